/** Drill domain: RTO/RPO from a timeline, verdicts, seeded chaos order, detection, next runs, rendering. */
import {
  chaosOrder,
  detectScenario,
  drillVerdict,
  emptyObserved,
  firstCleanReconciliation,
  recoveryBreakdown,
  recoveryMeasures,
  restartEvidence,
  weeklyDrillInputSchema,
} from '../../src/domain/drill';
import { drillReportSchema, type DrillReport } from '../../src/domain/drill-report';
import { nextRunsUtc } from '../../src/domain/schedule';
import { renderDrillHtml, renderDrillMarkdown } from '../../src/report/drill-report';

const T = (s: number) => new Date(Date.UTC(2026, 10, 22, 3, 0, 0) + s * 1000).toISOString();

test('RTO = outage start (stop requested) → first clean reconciliation; RPO = saved_at of the restored state → stop request (0 after a final flush)', () => {
  const m = recoveryMeasures(
    {
      stopRequestedAt: T(9),
      detectedAt: T(10),
      restartCompleteAt: T(100),
      firstCleanReconciliationAt: T(130.5),
      lastStateSaveAt: T(-20),
      restoredStateSavedAt: T(-20),
    },
    { rtoSeconds: 900, rpoSeconds: 60 },
  );
  // Detection is beside the RTO, never its start: a late probe cannot shorten the outage.
  expect(m.rto).toEqual({ seconds: 121.5, targetSeconds: 900, ok: true });
  expect(m.rpo).toEqual({ seconds: 29, targetSeconds: 60, ok: true });
  expect(
    recoveryMeasures({ stopRequestedAt: T(9), detectedAt: T(60), firstCleanReconciliationAt: T(70) }, { rtoSeconds: 900, rpoSeconds: 60 }).rto.seconds,
  ).toBe(61);
  expect(recoveryMeasures({ restoredStateSavedAt: T(9.5), stopRequestedAt: T(9) }, { rtoSeconds: 1, rpoSeconds: 1 }).rpo.seconds).toBe(0);
  // A last save whose restore was not digest-verified gives no RPO.
  expect(recoveryMeasures({ lastStateSaveAt: T(0), stopRequestedAt: T(9) }, { rtoSeconds: 1, rpoSeconds: 60 }).rpo).toEqual({
    seconds: null,
    targetSeconds: 60,
    ok: false,
  });
  const none = recoveryMeasures({}, { rtoSeconds: 900, rpoSeconds: 60 });
  expect(none.rto).toEqual({ seconds: null, targetSeconds: 900, ok: false });
  expect(recoveryMeasures({ stopRequestedAt: T(0), firstCleanReconciliationAt: T(901) }, { rtoSeconds: 900, rpoSeconds: 60 }).rto.ok).toBe(false);
  expect(recoveryBreakdown({ stopRequestedAt: T(9), detectedAt: T(9.25), restartCompleteAt: T(100), firstCleanReconciliationAt: T(130.5) })).toEqual({
    outageStartAt: T(9),
    timeToDetectSeconds: 0.25,
    restartCompleteSeconds: 91,
    firstCleanReconciliationSeconds: 121.5,
  });
});

test('a restart counts only with a new boot: boot id, else start time, else unknown', () => {
  expect(restartEvidence({ bootId: 'a', startedAt: T(0) }, { bootId: 'b', startedAt: T(0) })).toBe('new');
  expect(restartEvidence({ bootId: 'a', startedAt: T(0) }, { bootId: 'a', startedAt: T(5) })).toBe('same');
  expect(restartEvidence({ startedAt: T(0) }, { startedAt: T(5) })).toBe('new');
  expect(restartEvidence({ startedAt: T(0) }, { startedAt: T(0) })).toBe('same');
  expect(restartEvidence({}, {})).toBe('unknown');
  expect(restartEvidence({ bootId: 'a' }, {})).toBe('unknown');
});

test('verdicts: pass, fail on RTO/RPO or a failed check, error, aborted', () => {
  const ok = { seconds: 1, targetSeconds: 900, ok: true };
  const bad = { seconds: 1000, targetSeconds: 900, ok: false };
  expect(drillVerdict({ ran: true, aborted: false, errored: false, failures: [], rto: ok, rpo: ok })).toEqual({ result: 'pass', failures: [] });
  expect(drillVerdict({ ran: true, aborted: false, errored: false, failures: [], rto: bad, rpo: ok })).toEqual({
    result: 'fail',
    failures: ['RTO 1000 s exceeds the target 900 s'],
  });
  expect(drillVerdict({ ran: true, aborted: false, errored: false, failures: ['x'], rto: ok, rpo: ok }).result).toBe('fail');
  expect(drillVerdict({ ran: false, aborted: false, errored: true, failures: ['refused'], rto: bad, rpo: bad })).toEqual({
    result: 'error',
    failures: ['refused'],
  });
  expect(drillVerdict({ ran: true, aborted: true, errored: false, failures: [], rto: ok, rpo: ok }).result).toBe('aborted');
});

test('chaos order is a permutation fixed by the seed', () => {
  const s = ['stale_data', 'corrupt_bars', 'order_drift', 'broker_disconnect', 'websocket_silence'] as const;
  expect(chaosOrder([...s], 42)).toEqual(chaosOrder([...s], 42));
  expect([...chaosOrder([...s], 42)].sort()).toEqual([...s].sort());
  expect(new Set([1, 2, 3, 4, 5, 6, 7].map((seed) => chaosOrder([...s], seed).join())).size).toBeGreaterThan(1);
});

test("detection by the fault's own signal only, after the injection; first clean reconciliation pairs order and position", () => {
  const obs = emptyObserved();
  obs.slo.push(
    { ts: T(1), event_type: 'slo_breach', slo: 'broker_api_connected' },
    { ts: T(3), event_type: 'slo_breach', slo: 'order_reconciliation_consecutive_mismatch_runs' },
  );
  expect(detectScenario('order_drift', obs, Date.parse(T(0)))).toEqual({ at: T(3), signal: 'slo_breach:order_reconciliation_consecutive_mismatch_runs' });
  expect(detectScenario('order_drift', obs, Date.parse(T(4)))).toBeUndefined();
  expect(detectScenario('state_saves_stop', obs, Date.parse(T(2)))?.signal).toBe('slo_breach:order_reconciliation_consecutive_mismatch_runs');
  obs.order.push({ ts: T(5), cycle: 1, status: 'mismatch' }, { ts: T(6), cycle: 2, status: 'ok' });
  obs.position.push({ ts: T(5), cycle: 1, status: 'ok' }, { ts: T(6.1), cycle: 2, status: 'ok' });
  expect(firstCleanReconciliation(obs, Date.parse(T(0)))).toBe(T(6.1));
});

test("input defaults are the runbook's; a bad scenario names the field", () => {
  const p = weeklyDrillInputSchema.parse({ target: 'paper-1' });
  expect(p).toMatchObject({ rtoSeconds: 900, rpoSeconds: 60, allowLive: false, scenarios: ['stale_data', 'order_drift', 'broker_disconnect'] });
  const bad = weeklyDrillInputSchema.safeParse({ target: 'paper-1', scenarios: ['crash_without_flush'] });
  expect(bad.success).toBe(false);
  expect(bad.error!.issues[0]!.path).toEqual(['scenarios', 0]);
});

function report(drillId: string, target: string, result: DrillReport['result'], finishedAt: string): DrillReport {
  return drillReportSchema.parse({
    schemaVersion: 1,
    drillId,
    target,
    mode: 'paper',
    startedAt: finishedAt,
    finishedAt,
    result,
    rto: { seconds: 1, targetSeconds: 900, ok: true },
    rpo: { seconds: 0, targetSeconds: 60, ok: true },
    timeline: {},
    failures: [],
  });
}

test('next weekly runs (UTC)', () => {
  // 2026-11-25 is a Wednesday.
  expect(nextRunsUtc({ dayOfWeek: 'SUNDAY', hour: 3, minute: 0 }, Date.parse('2026-11-25T12:00:00Z'), 2).map((d) => d.toISOString())).toEqual([
    '2026-11-29T03:00:00.000Z',
    '2026-12-06T03:00:00.000Z',
  ]);
  expect(nextRunsUtc({ dayOfWeek: 'SUNDAY', hour: 3, minute: 0 }, Date.parse('2026-11-29T03:00:00Z'), 1)[0]!.toISOString()).toBe('2026-12-06T03:00:00.000Z');
});

test('markdown and HTML carry the verdict, RTO/RPO and an escaped SVG timeline', () => {
  const r = { ...report('d1', 'p1', 'fail', T(200)), timeline: { detectedAt: T(10), firstCleanReconciliationAt: T(20) }, failures: ['<script>x</script>'] };
  expect(renderDrillMarkdown(r)).toMatch(/# DR drill d1: FAIL[\s\S]*RTO: 1\.000 s/);
  const html = renderDrillHtml(r);
  expect(html).toMatch(/<svg[\s\S]*outage detected[\s\S]*first clean reconciliation[\s\S]*RTO[\s\S]*RPO/);
  expect(html).not.toContain('<script>');
});
