/**
 * Issue 9, pure parts: the targets entry's fault declaration, the chaos drill report (skipped is never
 * passed), which incidents a drill's causes explain and which are still open, and the promotion gate's
 * ack SLA without the incidents drills closed.
 */
import { chaosDrillReport } from '../../src/domain/drill';
import { attributeIncidents, chaosCause, stillOpen, stopCause } from '../../src/domain/drill-incidents';
import { evaluatePromotion, resolvePromotionThresholds } from '../../src/domain/promotion';
import { declaredFaults, faultSupported, parseTargetsFile, type TargetConfigInput } from '../../src/domain/target';
import { buildEvidence, incident, NOW } from '../fixtures/promotion/evidence';

const base: TargetConfigInput = {
  mode: 'paper',
  artifactsRoot: 'runs',
  runId: 'r1',
  auditLogsDir: 'audit',
  gatewayUrl: 'http://127.0.0.1:1',
  process: { adapter: 'shell', stop: 'true', start: 'true', health: 'true' },
  stateFile: 's.json',
  broker: { apiUrl: 'http://127.0.0.1:1/broker', wsUrl: 'ws://127.0.0.1:1/ws' },
  symbols: ['AAPL'],
};
const parse = (entry: Record<string, unknown>) => parseTargetsFile({ targets: { t: { ...base, ...entry } } });

test('fault declarations: none for a shell target, http implied by the sandbox adapter, shell per scenario, typos refused', () => {
  const none = parse({});
  expect(none.ok && declaredFaults(none.value.targets.t!)).toBeUndefined();
  const sbx = parse({ process: { adapter: 'sandbox', controlUrl: 'http://127.0.0.1:1' } });
  expect(sbx.ok && declaredFaults(sbx.value.targets.t!)).toMatchObject({ adapter: 'http' });
  const shell = parse({ faults: { adapter: 'shell', inject: { stale_data: 'a', order_drift: 'b' }, clear: { stale_data: 'c' } } });
  expect(shell.ok).toBe(true);
  const f = shell.ok ? declaredFaults(shell.value.targets.t!) : undefined;
  expect(faultSupported(f, 'stale_data')).toBe(true);
  // Inject without a clear (and no clearAll): not runnable.
  expect(faultSupported(f, 'order_drift')).toBe(false);
  expect(faultSupported(f, 'broker_disconnect')).toBe(false);
  const typo = parse({ faults: { adapter: 'shell', inject: { stale_dat: 'a' } } });
  expect(typo.ok).toBe(false);
  expect(!typo.ok && typo.errors.join('\n')).toMatch(/targets\.t\.faults\.inject/);
  expect(parse({ faults: { adapter: 'snmp' } }).ok).toBe(false);
  expect(parse({ faults: { adapter: 'http', url: 'ftp://x' } }).ok).toBe(false);
});

test('the chaos report: nothing run → skipped and not passed; a failure → failed; all detected and recovered → passed', () => {
  const common = { generatedAt: NOW, target: 't', seed: 1, detectionBoundSeconds: 5, recoveryBoundSeconds: 5 };
  const skipped = chaosDrillReport({ ...common, results: [], skipped: [{ scenario: 'stale_data', reason: 'none' }], faultAdapter: 'none' });
  expect(skipped).toMatchObject({ status: 'skipped', passed: false, scenarios: [], failures: [] });
  expect(chaosDrillReport({ ...common, results: [], skipped: [], faultAdapter: 'http' })).toMatchObject({ status: 'skipped', passed: false });
  const at = '2026-12-01T10:00:00.000Z';
  expect(
    chaosDrillReport({ ...common, results: [{ scenario: 'stale_data', injectedAt: at, detected: false }], skipped: [], faultAdapter: 'http' }),
  ).toMatchObject({ status: 'failed', passed: false, failures: ['chaos scenario stale_data not detected within 5 s'] });
  expect(
    chaosDrillReport({
      ...common,
      results: [{ scenario: 'stale_data', injectedAt: at, detected: true, recovered: true }],
      skipped: [{ scenario: 'order_drift', reason: 'x' }],
      faultAdapter: 'shell',
    }),
  ).toMatchObject({ status: 'passed', passed: true });
});

test("attribution: a scenario claims its own SLOs/class in its interval plus grace; the stop claims anything in its own; the rest is not the drill's", () => {
  const t = (s: number) => new Date(Date.parse('2026-12-01T10:00:00.000Z') + s * 1000).toISOString();
  const causes = [
    chaosCause({ scenario: 'stale_data', injectedAt: t(0), clearedAt: t(10), recovered: true, recoveredAt: t(12) }),
    chaosCause({ scenario: 'order_drift', injectedAt: t(20), clearedAt: t(30), recovered: false }),
    stopCause({ stopRequestedAt: t(40), firstCleanReconciliationAt: t(50) })!,
  ];
  const opens = [
    { incident_id: 'a', ts: t(3), slo: 'data_stale_warnings', incident_class: 'data_quality' },
    { incident_id: 'b', ts: t(4), slo: 'broker_api_connected', incident_class: 'broker/connectivity' }, // not stale data's
    { incident_id: 'c', ts: t(16), incident_class: 'data_quality' }, // within recovery + grace
    { incident_id: 'd', ts: t(25), slo: 'order_reconciliation_consecutive_mismatch_runs' },
    { incident_id: 'e', ts: t(45), slo: 'broker_api_connected' }, // during the outage: the stop's
    { incident_id: 'f', ts: t(90), slo: 'data_stale_warnings' }, // after everything plus grace
    { incident_id: 'g', ts: t(22) }, // no slo, no class: on its time alone
  ];
  const a = attributeIncidents(opens, causes, { untilIso: t(60), graceSeconds: 5 });
  expect(a.map((x) => [x.incidentId, x.cause])).toEqual([
    ['a', 'chaos:stale_data'],
    ['c', 'chaos:stale_data'],
    ['d', 'chaos:order_drift'],
    ['e', 'stop'],
    ['g', 'chaos:order_drift'],
  ]);
  // The target's word (open_breaches) wins; without it, the cause's own clean signal.
  expect(stillOpen(a, causes, ['e', 'zzz']).map((x) => x.incidentId)).toEqual(['e']);
  expect(stillOpen(a, causes, undefined).map((x) => x.incidentId)).toEqual(['d', 'g']);
  expect(stopCause({})).toBeUndefined();
});

test('the promotion gate: incidents a drill closed (unacknowledged, never paged) do not break the ack SLA; others still do', () => {
  const ctx = { experimentId: 'x', runId: 'paper-run-1', strict: true, thresholds: resolvePromotionThresholds(), now: NOW };
  const ack = (incidents: Array<Record<string, unknown>>) => evaluatePromotion(buildEvidence({ incidents }), ctx).criteria.find((c) => c.id === 'ack_sla')!;
  const open = (incidents: Array<Record<string, unknown>>) =>
    evaluatePromotion(buildEvidence({ incidents }), ctx).criteria.find((c) => c.id === 'open_incidents')!;
  const clean = incident('inc-1', { ackAfterMs: 5 * 60_000 });
  const drillOwn = incident('inc-drill', { resolved: true }).map((l) =>
    l.event_type === 'incident_resolved' ? { ...l, drill_id: 'd-1', source: 'dr-drill' } : l,
  );
  expect(ack(clean)).toMatchObject({ verdict: 'pass' });
  const withDrill = ack([...clean, ...drillOwn]);
  expect(withDrill).toMatchObject({ verdict: 'pass', value: ack(clean).value });
  expect(withDrill.evidence).toMatch(/1 incident\(s\) caused and closed by DR drills not counted \(inc-drill: d-1\)/);
  expect(open([...clean, ...drillOwn])).toMatchObject({ verdict: 'pass', value: 0 });
  // The same incident resolved by anyone else, unacknowledged: the ack SLA fails as before.
  expect(ack([...clean, ...incident('inc-other', { resolved: true })])).toMatchObject({ verdict: 'fail' });
});
