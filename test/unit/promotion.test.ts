/** The promotion gate's verdict (pure): every criterion, strict and lenient, and its renderings. */
import { ARTIFACT_FILES } from '../../src/domain/artifacts';
import {
  DEFAULT_PROMOTION_THRESHOLDS,
  evaluatePromotion,
  PROMOTION_CRITERIA,
  promotionGateInputSchema,
  promotionVerdictSchema,
  resolvePromotionThresholds,
  type EvaluateContext,
  type PromotionCriterionId,
  type PromotionEvidence,
} from '../../src/domain/promotion';
import { pickLatestDrill } from '../../src/domain/promotion-drill';
import { renderVerdictMarkdown, renderVerdictTable } from '../../src/report/promotion-verdict';
import { buildEvidence, DAY, dqCycles, drillReport, incident, MIN, NOW, opsSnapshots, recon } from '../fixtures/promotion/evidence';

function ctx(over: Partial<EvaluateContext> = {}): EvaluateContext {
  return { experimentId: 'momentum-v3', runId: 'paper-run-1', strict: true, thresholds: resolvePromotionThresholds(), now: NOW, ...over };
}

const byId = (e: PromotionEvidence, c: EvaluateContext = ctx()) => {
  const v = evaluatePromotion(e, c);
  return { v, get: (id: PromotionCriterionId) => v.criteria.find((x) => x.id === id)! };
};

test('a clean run with a fresh passing drill passes every criterion, strict', () => {
  const { v, get } = byId(buildEvidence());
  expect(v.result).toBe('pass');
  expect(v.failed).toEqual([]);
  expect(v.missing).toEqual([]);
  expect(v.criteria.map((c) => c.id)).toEqual([...PROMOTION_CRITERIA]);
  expect(v.criteria.every((c) => c.verdict === 'pass')).toBe(true);
  expect(get('reconciliation_pass_rate')).toMatchObject({ value: 1, threshold: 0.995, comparator: '>=', unit: 'ratio' });
  expect(get('operational_error_rate')).toMatchObject({ value: 0.01, threshold: 0.02, comparator: '<=' });
  expect(get('consecutive_mismatch_runs')).toMatchObject({ value: 0, threshold: 3, comparator: '<' });
  expect(get('ack_sla')).toMatchObject({ value: 300, threshold: 900, comparator: '<=' });
  expect(get('open_incidents')).toMatchObject({ value: 0, threshold: 0 });
  expect(get('drill_result')).toMatchObject({ value: 'pass', threshold: 'pass', comparator: '=' });
  expect(get('drill_age').value).toBe(2 * 86400);
  expect(promotionVerdictSchema.safeParse(v).success).toBe(true);
  expect(v.summary).toMatch(/^PASS: 11\/11/);
});

// Each row breaks exactly one criterion; everything else stays clean.
const alone: Array<[PromotionCriterionId, () => PromotionEvidence]> = [
  // 11 scattered position mismatches (never 3 in a row): 1989/2000 checks = 99.45% < 99.5%.
  ['reconciliation_pass_rate', () => buildEvidence({ position: recon(1000, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110], 'position') })],
  ['operational_error_rate', () => buildEvidence({ ops: opsSnapshots(10, 0.03) })],
  ['consecutive_mismatch_runs', () => buildEvidence({ order: recon(1000, [500, 501, 502]) })],
  ['data_quality_errors', () => buildEvidence({ dataQuality: dqCycles(10, { cycle: 4, errors: 1 }) })],
  ['stale_warnings', () => buildEvidence({ dataQuality: dqCycles(10, { cycle: 7, stale: 2 }) })],
  ['ack_sla', () => buildEvidence({ incidents: incident('inc-late', { ackAfterMs: 16 * MIN }) })],
  [
    'open_incidents',
    () => buildEvidence({ incidents: [...incident('inc-1', { ackAfterMs: 5 * MIN }), ...incident('inc-w', { severity: 'warning', resolved: false })] }),
  ],
  ['drill_result', () => buildEvidence({}, drillReport({ result: 'fail', failures: ['reconciliation did not restart'] }))],
  ['drill_rto', () => buildEvidence({}, drillReport({ rto: { seconds: 1200, targetSeconds: 900, ok: false } }))],
  ['drill_rpo', () => buildEvidence({}, drillReport({ rpo: { seconds: 90, targetSeconds: 60, ok: false } }))],
  ['drill_age', () => buildEvidence({}, drillReport({ finishedMsAgo: 8 * DAY }))],
];

test('every criterion has a row in the "fails alone" table', () => {
  expect(alone.map(([id]) => id).sort()).toEqual([...PROMOTION_CRITERIA].sort());
});

test.each(alone)('%s failing alone fails the gate and names itself', (id, make) => {
  for (const strict of [true, false]) {
    const v = evaluatePromotion(make(), ctx({ strict }));
    expect(v.result).toBe('fail');
    expect(v.failed).toEqual([id]);
    expect(v.missing).toEqual([]);
    expect(v.summary).toBe(`FAIL: ${id} failed`);
    const c = v.criteria.find((x) => x.id === id)!;
    expect(c.verdict).toBe('fail');
    expect(c.value).not.toBeNull();
  }
});

test('overdue drill: 8 days old fails drill_age with its age; 7 days passes', () => {
  const old = byId(buildEvidence({}, drillReport({ finishedMsAgo: 8 * DAY })));
  expect(old.get('drill_age')).toMatchObject({ value: 8 * 86400, threshold: 7 * 86400, verdict: 'fail' });
  expect(renderVerdictTable(old.v)).toMatch(/drill_age\s+8\.0 d\s+<= 7\.0 d\s+fail/);
  expect(byId(buildEvidence({}, drillReport({ finishedMsAgo: 7 * DAY }))).get('drill_age').verdict).toBe('pass');
  // Configurable: a 10-day window accepts it.
  expect(
    byId(buildEvidence({}, drillReport({ finishedMsAgo: 8 * DAY })), ctx({ thresholds: resolvePromotionThresholds({ maxDrillAgeSeconds: 10 * 86400 }) })).v
      .result,
  ).toBe('pass');
});

test('an unacknowledged critical incident fails ack_sla (whatever its age) and open_incidents, naming it', () => {
  const { v, get } = byId(buildEvidence({ incidents: incident('inc-9', { openedMsAgo: 2 * MIN, resolved: false }) }));
  expect(v.result).toBe('fail');
  expect(v.failed).toEqual(['ack_sla', 'open_incidents']);
  expect(get('ack_sla')).toMatchObject({ value: 120, verdict: 'fail' });
  expect(get('ack_sla').evidence).toMatch(/not acknowledged: inc-9/);
  expect(get('open_incidents')).toMatchObject({ value: 1, verdict: 'fail', evidence: 'open: inc-9' });
});

test('an unacknowledged critical incident that was resolved still fails ack_sla', () => {
  const { v, get } = byId(buildEvidence({ incidents: incident('inc-r', { openedMsAgo: 3 * 3600_000 }) }));
  expect(v.failed).toEqual(['ack_sla']);
  expect(get('ack_sla').value).toBe(3 * 3600);
});

test('late ack (> 15 min) fails; exactly 15 min passes; the late incident is named', () => {
  const late = byId(buildEvidence({ incidents: [...incident('inc-ok', { ackAfterMs: 2 * MIN }), ...incident('inc-late', { ackAfterMs: 15 * MIN + 1000 })] }));
  expect(late.get('ack_sla')).toMatchObject({ value: 901, verdict: 'fail' });
  expect(late.get('ack_sla').evidence).toMatch(/longest open → ack: inc-late \(901 s\); acknowledged late: inc-late/);
  expect(byId(buildEvidence({ incidents: incident('inc-15', { ackAfterMs: 15 * MIN }) })).get('ack_sla').verdict).toBe('pass');
});

test('a warning incident needs no ack, but must be resolved', () => {
  const { v } = byId(buildEvidence({ incidents: incident('inc-w', { severity: 'warning' }) }));
  expect(v.result).toBe('pass');
});

test('no incident log: no incident recorded, not missing evidence', () => {
  const { v, get } = byId(buildEvidence({ incidents: null }));
  expect(v.result).toBe('pass');
  expect(get('ack_sla').evidence).toMatch(/incident_events\.jsonl not present/);
});

test('missing evidence: strict fails naming the file and field; lenient reports it and passes', () => {
  const e = buildEvidence({ dataQuality: null, ops: null });
  const strict = evaluatePromotion(e, ctx());
  expect(strict.result).toBe('fail');
  expect(strict.failed).toEqual([]);
  expect(strict.missing).toEqual(['operational_error_rate', 'data_quality_errors', 'stale_warnings']);
  expect(strict.summary).toBe('FAIL: operational_error_rate missing evidence, data_quality_errors missing evidence, stale_warnings missing evidence');
  expect(strict.missingEvidence).toEqual([
    'operational_error_rate: ops_slo_events.jsonl not found in /results/runs/paper-run-1',
    'data_quality_errors: data_quality_events.jsonl not found in /results/runs/paper-run-1 (field errors)',
    'stale_warnings: data_quality_events.jsonl not found in /results/runs/paper-run-1 (field stale_warnings)',
  ]);
  const lenient = evaluatePromotion(e, ctx({ strict: false }));
  expect(lenient.result).toBe('pass');
  expect(lenient.missing).toEqual(strict.missing);
  expect(lenient.summary).toMatch(/^PASS: 8\/11 criteria met, 3 without evidence \(lenient\)/);
  expect(renderVerdictMarkdown(lenient)).toMatch(/missing \(not enforced\)/);
});

test('present but empty / corrupt-only file is missing evidence with the reason', () => {
  const e = buildEvidence({ order: [] });
  e.files[ARTIFACT_FILES.orderReconciliation] = { present: true, bytes: 20, lines: 0, corrupt: 2, problems: ['line 1: not JSON'] };
  const { v, get } = byId(e);
  expect(v.missing).toEqual(['consecutive_mismatch_runs']);
  expect(get('consecutive_mismatch_runs').evidence).toBe(
    'order_reconciliation_events.jsonl has no valid lines (2 corrupt, first: line 1: not JSON) (field status)',
  );
  expect(v.notes[0]).toMatch(/corrupt lines skipped: order_reconciliation_events\.jsonl 2/);
});

test('no drill report: the four drill criteria are missing; strict fails, lenient passes', () => {
  const e = buildEvidence({}, null);
  const strict = evaluatePromotion(e, ctx({ target: 'paper-sandbox' }));
  expect(strict.missing).toEqual(['drill_result', 'drill_rto', 'drill_rpo', 'drill_age']);
  expect(strict.result).toBe('fail');
  expect(strict.missingEvidence[0]).toBe('drill_result: no valid drill report for target paper-sandbox under /results/drills');
  expect(evaluatePromotion(e, ctx({ strict: false })).result).toBe('pass');
});

test('a drill that did not measure RPO is missing evidence for drill_rpo only', () => {
  const { v } = byId(buildEvidence({}, drillReport({ rpo: { seconds: null, targetSeconds: 60, ok: false } })));
  expect(v.missing).toEqual(['drill_rpo']);
  expect(v.missingEvidence).toEqual(['drill_rpo: drills/drill-2026-11-23/report.json: rpo.seconds is null (not measured)']);
});

test('thresholds are configurable and land in the verdict', () => {
  const e = buildEvidence({ ops: opsSnapshots(10, 0.03) });
  const t = resolvePromotionThresholds({ maxOperationalErrorRate: 0.05 });
  const v = evaluatePromotion(e, ctx({ thresholds: t }));
  expect(v.result).toBe('pass');
  expect(v.thresholds.maxOperationalErrorRate).toBe(0.05);
  expect(DEFAULT_PROMOTION_THRESHOLDS.maxOperationalErrorRate).toBe(0.02);
});

test('input: defaults strict, names a bad field, rejects unknown threshold keys', () => {
  expect(promotionGateInputSchema.parse({ experimentId: 'e1', runId: 'r1' }).strict).toBe(true);
  const bad = promotionGateInputSchema.safeParse({ experimentId: '../x', runId: 'r1', thresholds: { nope: 1 } });
  expect(bad.success).toBe(false);
  const paths = bad.error!.issues.map((i) => i.path.join('.'));
  expect(paths).toEqual(expect.arrayContaining(['experimentId', 'thresholds']));
});

test('latest drill: by finishedAt, any result, filtered by target', () => {
  const a = { path: 'drills/a/report.json', report: drillReport({ drillId: 'a', finishedMsAgo: 3 * DAY }) };
  const b = { path: 'drills/b/report.json', report: drillReport({ drillId: 'b', finishedMsAgo: 1 * DAY, result: 'aborted' }) };
  const c = { path: 'drills/c/report.json', report: drillReport({ drillId: 'c', finishedMsAgo: 0, target: 'live-1' }) };
  expect(pickLatestDrill([a, b, c])?.report.drillId).toBe('c');
  expect(pickLatestDrill([a, b, c], 'paper-sandbox')?.report.drillId).toBe('b');
  expect(pickLatestDrill([a, b, c], 'other')).toBeUndefined();
});

test('markdown: one row per criterion, pipes escaped, missing evidence section', () => {
  const e = buildEvidence({ dataQuality: null }, drillReport({ result: 'fail', failures: ['a | b'] }));
  const md = renderVerdictMarkdown(evaluatePromotion(e, ctx()), { bundleDir: '/r/promotions/x/y' });
  const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| |'));
  expect(rows).toHaveLength(PROMOTION_CRITERIA.length);
  for (const id of PROMOTION_CRITERIA) expect(md).toContain(`\`${id}\``);
  expect(md).toContain('a \\| b');
  expect(md).toMatch(/### Missing evidence\n\n- data_quality_errors: data_quality_events\.jsonl not found/);
  expect(md).toMatch(/^## Promotion gate: ❌ FAIL/);
  expect(md).toContain('drill verify-bundle /r/promotions/x/y');
});
