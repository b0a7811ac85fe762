/** Triage from current evidence: breaches weighed by age and recovery; the issue's wrong-class case. */
import type { SloBreachEvent, SloSnapshotEvent } from '../../src/domain/artifacts';
import { buildTriageReport, recoveredSince, weighBreaches, type TriageEvidence } from '../../src/domain/triage';

const T0 = Date.parse('2026-11-25T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const breach = (slo: string, s: number, extra: Partial<SloBreachEvent> = {}): SloBreachEvent => ({
  ts: at(s),
  event_type: 'slo_breach',
  slo,
  value: 1,
  threshold: 0,
  severity: 'critical',
  ...extra,
});
const snapshot = (s: number, extra: Record<string, unknown> = {}): SloSnapshotEvent =>
  ({
    ts: at(s),
    event_type: 'slo_snapshot',
    cycle: 1,
    operations: 10,
    operational_errors: 0,
    reconciliation_cycles: 10,
    reconciliation_passes: 8,
    consecutive_mismatch_runs: 0,
    ...extra,
  }) as SloSnapshotEvent;

function evidence(over: Partial<TriageEvidence>): TriageEvidence {
  return {
    runId: 'run-1',
    target: 'paper-1',
    incidentId: 'inc-9',
    gatheredAt: at(0),
    openedAt: at(-5),
    killSwitch: { ok: true, haltReason: null, tradingHaltedUntil: null, entriesHalted: false },
    lastSloBreach: null,
    incidents: [],
    orderReconciliation: [],
    positionReconciliation: [],
    dataQualityLatest: { ok: true, value: { ts: at(-10), cycle: 3, symbols_checked: 3, errors: 0, stale_warnings: 0, issues: [] } as never },
    broker: { ok: true, apiOk: true, websocketOk: true },
    auditEvents: [],
    missingFiles: [],
    corruptLines: 0,
    ...over,
  };
}

test('the wrong-class case: an old broker breach with a healthy broker does not decide; the current drift does', () => {
  const old = breach('broker_api_connected', -7200, { incident_class: 'broker/connectivity', incident_id: 'inc-1' } as never);
  const report = buildTriageReport(
    evidence({
      lastSloBreach: old,
      recentBreaches: [old],
      latestSnapshot: snapshot(-3, { consecutive_mismatch_runs: 4 }),
      orderReconciliation: [{ ts: at(-4), cycle: 40, status: 'mismatch', orders_checked: 3, mismatched_order_ids: ['ord-7'] } as never],
    }),
  );
  expect(report.classification.class).toBe('reconciliation');
  expect(report.classification.reasons[0]).toMatch(/latest order reconciliation \(cycle 40\) mismatched: ord-7/);
  expect(report.breaches.ignored).toEqual([
    expect.objectContaining({ slo: 'broker_api_connected', why: expect.stringMatching(/older than the evidence window/) }),
  ]);
  expect(report.classification.reasons.join('\n')).toMatch(/not deciding: SLO breach broker_api_connected .* older than the evidence window/);
});

test('a recent broker breach already recovered (broker healthy now) does not decide either', () => {
  const b = breach('broker_api_connected', -60, { incident_class: 'broker/connectivity' } as never);
  const report = buildTriageReport(
    evidence({
      recentBreaches: [b],
      orderReconciliation: [{ ts: at(-4), cycle: 2, status: 'mismatch', orders_checked: 1, mismatched_order_ids: ['o'] } as never],
    }),
  );
  expect(report.classification.class).toBe('reconciliation');
  expect(report.breaches.ignored[0]!.why).toMatch(/recovered since: broker API and websocket healthy now/);
});

test("the incident's own current breach decides among several problems; a live broker outage outranks it", () => {
  const own = breach('data_quality_errors', -6, { incident_id: 'inc-9', incident_class: 'data_quality' } as never);
  const drift = { ts: at(-4), cycle: 2, status: 'mismatch', orders_checked: 1, mismatched_order_ids: ['o'] } as never;
  const dq = { ok: true as const, value: { ts: at(-8), cycle: 3, symbols_checked: 3, errors: 2, stale_warnings: 0, issues: [] } as never };
  const r = buildTriageReport(evidence({ ownBreach: own, recentBreaches: [own], orderReconciliation: [drift], dataQualityLatest: dq }));
  expect(r.classification).toMatchObject({ class: 'data_quality', basis: 'evidence', alsoSeen: ['reconciliation'] });
  expect(r.classification.reasons[0]).toBe("this incident's own breach data_quality_errors is current");
  const down = buildTriageReport(
    evidence({
      ownBreach: own,
      recentBreaches: [own],
      orderReconciliation: [drift],
      dataQualityLatest: dq,
      broker: { ok: true, apiOk: false, websocketOk: false },
    }),
  );
  expect(down.classification.class).toBe('broker_connectivity');
});

test('recovery of a breach is judged from a later snapshot, never an earlier one', () => {
  const b = breach('order_reconciliation_consecutive_mismatch_runs', -30, { threshold: 3, value: 3 });
  expect(recoveredSince(b, { snapshot: snapshot(-10, { consecutive_mismatch_runs: 0 }) })).toMatch(/back to 0/);
  expect(recoveredSince(b, { snapshot: snapshot(-40, { consecutive_mismatch_runs: 0 }) })).toBeNull();
  expect(recoveredSince(b, { snapshot: snapshot(-10, { consecutive_mismatch_runs: 5 }) })).toBeNull();
  const stale = breach('data_stale_warnings', -30);
  expect(recoveredSince(stale, { dataQualityLatest: { ts: at(-5), cycle: 9, errors: 0, stale_warnings: 0 } as never })).toMatch(/no stale warning/);
});

test('weighBreaches keeps the window boundary and drops duplicates', () => {
  const w = weighBreaches([breach('x_unknown', -100), breach('x_unknown', -100), breach('y_unknown', -1000)], {
    reference: at(0),
    gatheredAt: at(0),
    windowSeconds: 900,
  });
  expect(w.current.map((b) => b.slo)).toEqual(['x_unknown']);
  expect(w.ignored.map((b) => b.slo)).toEqual(['y_unknown']);
});

test('a lagging pass-rate breach is over once the latest reconciliation cycles are clean', () => {
  const rate = breach('reconciliation_pass_rate', -60, { severity: 'warning', threshold: 99.5, value: 97 });
  const dq = { ok: true as const, value: { ts: at(-8), cycle: 3, symbols_checked: 3, errors: 2, stale_warnings: 0, issues: [] } as never };
  const order = [{ ts: at(-3), cycle: 50, status: 'ok', orders_checked: 3, mismatched_order_ids: [] } as never];
  const position = [{ ts: at(-3), cycle: 50, status: 'ok', positions_checked: 3, mismatched_symbols: [] } as never];
  const r = buildTriageReport(
    evidence({
      recentBreaches: [rate],
      latestSnapshot: snapshot(-2, { reconciliation_pass_rate: 97 }),
      orderReconciliation: order,
      positionReconciliation: position,
      dataQualityLatest: dq,
    }),
  );
  expect(r.classification.class).toBe('data_quality');
  expect(r.breaches.ignored[0]!.why).toMatch(/latest reconciliation cycle 50 .* is clean/);
  // Still drifting: the rate breach counts.
  const drifting = buildTriageReport(
    evidence({
      recentBreaches: [rate],
      orderReconciliation: [{ ts: at(-3), cycle: 50, status: 'mismatch', orders_checked: 3, mismatched_order_ids: ['o'] } as never],
      dataQualityLatest: dq,
    }),
  );
  expect(drifting.classification.class).toBe('reconciliation');
});
