/**
 * The promotion gate's KPI path (issue 13): the KPI criteria file's schema, the fold of a source over
 * the run's records, the KPI and RTO regression criteria in the verdict (pure), and the gather
 * activity over a real folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gatherKpiEvidence } from '../../src/activities/promotion';
import { renderVerdictTable } from '../../src/report/promotion-verdict';
import { evaluatePromotion, promotionVerdictSchema, PROMOTION_CRITERIA, resolvePromotionThresholds, type EvaluateContext } from '../../src/domain/promotion';
import {
  foldKpiSource,
  initialKpiFold,
  kpiAggregate,
  kpiFileSchema,
  median,
  parseKpiFile,
  rtoRegressionCriterion,
  type DrillRtoPoint,
  type KpiEvidence,
  type PromotionExtraEvidence,
} from '../../src/domain/promotion-kpi';
import {
  buildEvidence,
  DAY,
  drillReport,
  iso,
  kpiFile,
  NOW,
  paperKpiLines,
  writeDrillReport,
  writeKpiFile,
  writeRunFile,
  writeRunFolder,
} from '../fixtures/promotion/evidence';

const EXP = 'momentum-v3';
const ctx = (over: Partial<EvaluateContext> = {}): EvaluateContext => ({
  experimentId: EXP,
  runId: 'paper-run-1',
  strict: true,
  thresholds: resolvePromotionThresholds(),
  now: NOW,
  ...over,
});

function foldAll(lines: unknown[], source: Parameters<typeof foldKpiSource>[2]) {
  return lines.reduce<ReturnType<typeof initialKpiFold>>((acc, l) => foldKpiSource(acc, l, source), initialKpiFold());
}

/** KPI evidence as the activity returns it for `kpiFile(EXP)` over the given records. */
function foundKpi(
  records: Array<Record<string, unknown>>,
  ops: Array<Record<string, unknown>> = [{ event_type: 'slo_snapshot', operations: 500 }],
  file = kpiFile(EXP),
): KpiEvidence {
  const parsed = parseKpiFile(file, EXP);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return {
    status: 'found',
    path: `/kpi/${EXP}.json`,
    raw: JSON.stringify(file),
    file: parsed.file,
    folds: parsed.file.criteria.map((c) => ({ metric: c.metric, fold: foldAll(c.source.file === 'paper_kpi.jsonl' ? records : ops, c.source) })),
    files: {
      'paper_kpi.jsonl': { present: true, bytes: 100, corrupt: 0, problems: [] },
      'ops_slo_events.jsonl': { present: true, bytes: 100, corrupt: 0, problems: [] },
    },
  };
}

const history = (rtos: Array<number | null>, target = 'paper-sandbox'): PromotionExtraEvidence['drillHistory'] => ({
  target,
  drills: rtos.map((r, i) => ({ drillId: `d-${i}`, finishedAt: iso((rtos.length - i + 2) * DAY), rtoSeconds: r, path: `drills/d-${i}/report.json` })),
});

describe('KPI criteria file', () => {
  test('the documented example parses; aggregate defaults to last', () => {
    const f = kpiFile(EXP) as { criteria: Array<{ source: Record<string, unknown> }> };
    delete f.criteria[0]!.source.aggregate;
    const r = kpiFileSchema.parse(f);
    expect(r.criteria[0]!.source.aggregate).toBe('last');
  });

  test('examples/kpi/momentum-v3.json (the documented example) is valid for its experiment', () => {
    const raw: unknown = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../examples/kpi/momentum-v3.json'), 'utf8'));
    expect(parseKpiFile(raw, 'momentum-v3')).toMatchObject({
      ok: true,
      file: { criteria: [{ metric: 'sharpe' }, { metric: 'max_drawdown' }, { metric: 'operations' }] },
    });
  });

  test('rejects by path: path separators, a duplicate metric, an unknown key, a wrong experiment', () => {
    type Loose = { criteria: Array<Record<string, unknown> & { source: Record<string, unknown> }> };
    const bad = (mutate: (f: Loose) => void, experiment = EXP) => {
      const f = kpiFile(EXP) as unknown as Loose;
      mutate(f);
      const r = parseKpiFile(f, experiment);
      return r.ok ? [] : r.problems;
    };
    expect(bad((f) => (f.criteria[0]!.source.file = '../secrets.jsonl'))[0]).toMatch(/^criteria\.0\.source\.file: .*no path separators/);
    expect(bad((f) => (f.criteria[1]!.metric = 'sharpe'))[0]).toMatch(/^criteria\.1\.metric: metric sharpe appears twice/);
    expect(bad((f) => (f.criteria[0]!.extra = 1))[0]).toMatch(/^criteria\.0: .*extra/);
    expect(bad(() => undefined, 'other-exp')[0]).toMatch(/experimentId: momentum-v3 does not match the gate's experiment other-exp/);
  });
});

describe('folding a source', () => {
  const lines = [
    { event_type: 'kpi_snapshot', kpi: { x: 3 } },
    { event_type: 'other', kpi: { x: 100 } },
    { event_type: 'kpi_snapshot', kpi: { x: 'n/a' } },
    { event_type: 'kpi_snapshot', kpi: { x: 1 } },
    'not an object',
  ];
  const f = foldAll(lines, { field: 'kpi.x', where: { event_type: 'kpi_snapshot' } });

  test('counts records, matching records, values and non-numeric values', () => {
    expect(f).toMatchObject({ records: 4, matched: 3, values: 2, nonNumeric: 1 });
  });

  test.each([
    ['last', 1],
    ['first', 3],
    ['min', 1],
    ['max', 3],
    ['sum', 4],
    ['mean', 2],
    ['count', 2],
  ] as const)('%s', (agg, want) => expect(kpiAggregate(f, agg)).toBe(want));

  test('no numeric value: null, except count (0)', () => {
    const none = foldAll([{ a: 1 }], { field: 'b' });
    expect(kpiAggregate(none, 'last')).toBeNull();
    expect(kpiAggregate(none, 'count')).toBe(0);
  });
});

describe('KPI criteria in the verdict', () => {
  test('passing KPIs: one row per metric after the fixed criteria and the regression row; the gate passes', () => {
    const v = evaluatePromotion(buildEvidence(), ctx(), { kpi: foundKpi(paperKpiLines(5, { sharpe: 1.5 })), drillHistory: history([]) });
    expect(v.criteria.map((c) => c.id)).toEqual([...PROMOTION_CRITERIA, 'drill_rto_regression', 'kpi.sharpe', 'kpi.max_drawdown', 'kpi.operations']);
    expect(v.result).toBe('pass');
    expect(v.criteria.find((c) => c.id === 'kpi.sharpe')).toMatchObject({
      value: 1.5,
      threshold: 1.2,
      comparator: '>=',
      unit: 'number',
      verdict: 'pass',
      label: 'Sharpe ratio of the paper run',
    });
    expect(v.criteria.find((c) => c.id === 'kpi.operations')).toMatchObject({ value: 500, comparator: '>', verdict: 'pass' });
    expect(promotionVerdictSchema.parse(v)).toEqual(v);
    expect(v.summary).toBe('PASS: 15/15 criteria met');
    expect(renderVerdictTable(v)).toMatch(/^kpi\.sharpe\s+1\.5\s+>= 1\.2\s+pass$/m);
  });

  test('a KPI below its threshold fails the gate with the measured value and its source in the evidence', () => {
    const v = evaluatePromotion(buildEvidence(), ctx(), { kpi: foundKpi(paperKpiLines(5, { sharpe: 0.8 })), drillHistory: history([]) });
    expect(v.result).toBe('fail');
    expect(v.failed).toEqual(['kpi.sharpe']);
    const c = v.criteria.find((x) => x.id === 'kpi.sharpe')!;
    expect(c).toMatchObject({ value: 0.8, verdict: 'fail' });
    expect(c.source).toBe(`/kpi/${EXP}.json: sharpe ← paper_kpi.jsonl: kpi.sharpe where event_type=kpi_snapshot (last)`);
    expect(c.evidence).toBe('Sharpe ratio of the paper run: last over 5 value(s) in paper_kpi.jsonl = 0.8');
    expect(v.summary).toBe('FAIL: kpi.sharpe failed');
  });

  test('a KPI source without values is missing evidence: strict fails, lenient reports', () => {
    const kpi = foundKpi([{ event_type: 'kpi_snapshot', kpi: {} }]);
    const strict = evaluatePromotion(buildEvidence(), ctx(), { kpi, drillHistory: history([]) });
    expect(strict.result).toBe('fail');
    expect(strict.missing).toEqual(['kpi.sharpe', 'kpi.max_drawdown']);
    expect(strict.missingEvidence[0]).toBe('kpi.sharpe: paper_kpi.jsonl: no record with numeric kpi.sharpe among matching records (1 records, 1 matching)');
    const lenient = evaluatePromotion(buildEvidence(), ctx({ strict: false }), { kpi, drillHistory: history([]) });
    expect(lenient.result).toBe('pass');
    const absent = foundKpi(paperKpiLines());
    if (absent.status === 'found') absent.files['paper_kpi.jsonl'] = { present: false, bytes: 0, corrupt: 0, problems: [] };
    const v = evaluatePromotion(buildEvidence(), ctx(), { kpi: absent, drillHistory: history([]) });
    expect(v.criteria.find((c) => c.id === 'kpi.sharpe')?.evidence).toBe('paper_kpi.jsonl not found in /results/runs/paper-run-1');
  });

  test('no KPI file: one kpi_file row, missing (strict fails naming the file); an invalid file fails even lenient', () => {
    const none = evaluatePromotion(buildEvidence(), ctx(), { kpi: { status: 'none', path: `/kpi/${EXP}.json` }, drillHistory: history([]) });
    expect(none.result).toBe('fail');
    expect(none.missing).toEqual(['kpi_file']);
    expect(none.summary).toBe('FAIL: kpi_file missing evidence');
    expect(none.missingEvidence).toEqual([`kpi_file: no KPI criteria file for experiment ${EXP}: /kpi/${EXP}.json not found`]);
    expect(evaluatePromotion(buildEvidence(), ctx({ strict: false }), { kpi: { status: 'none', path: 'x' }, drillHistory: history([]) }).result).toBe('pass');
    const invalid = evaluatePromotion(buildEvidence(), ctx({ strict: false }), {
      kpi: { status: 'invalid', path: '/kpi/x.json', problems: ['criteria: too small'] },
      drillHistory: history([]),
    });
    expect(invalid.result).toBe('fail');
    expect(invalid.failed).toEqual(['kpi_file']);
  });

  test('without the KPI path (histories from before the patch) the verdict has the fixed criteria only', () => {
    expect(evaluatePromotion(buildEvidence(), ctx()).criteria.map((c) => c.id)).toEqual([...PROMOTION_CRITERIA]);
  });
});

describe('drill RTO regression', () => {
  const t = { rtoRegressionFactor: 1.5, rtoRegressionWindow: 3 };
  const latest = (rto: number | null): DrillRtoPoint => ({ drillId: 'latest', finishedAt: iso(1 * DAY), rtoSeconds: rto, path: 'drills/latest/report.json' });

  test('median of the trailing window of earlier measured drills', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    // Window 3 of [1000, 100, null, 200, 300]: 100, 200, 300 → median 200 (null skipped, oldest outside).
    const c = rtoRegressionCriterion(latest(290), history([1000, 100, null, 200, 300]), t);
    expect(c).toMatchObject({ id: 'drill_rto_regression', value: 1.45, threshold: 1.5, comparator: '<=', verdict: 'pass' });
    expect(c.evidence).toBe('drill latest: RTO 290 s vs median 200 s of 3 earlier drill(s) (d-1, d-3, d-4)');
  });

  test('worse than factor × median fails', () => {
    const c = rtoRegressionCriterion(latest(301), history([200, 200, 200]), t);
    expect(c).toMatchObject({ value: 1.505, verdict: 'fail' });
    expect(c.evidence).toMatch(/: more than 1.5× the median$/);
  });

  test('later drills than the latest and the latest itself are not "earlier"', () => {
    const h = history([100]);
    h.drills.push({ drillId: 'newer', finishedAt: NOW, rtoSeconds: 1, path: 'p' }, { ...latest(500) });
    expect(rtoRegressionCriterion(latest(500), h, t)).toMatchObject({ value: 5, verdict: 'fail' });
  });

  test('no earlier drill: pass with no value; no latest RTO: missing', () => {
    expect(rtoRegressionCriterion(latest(300), history([null]), t)).toMatchObject({
      value: null,
      verdict: 'pass',
      evidence: expect.stringContaining('nothing to regress against'),
    });
    expect(rtoRegressionCriterion(latest(null), history([100]), t)).toMatchObject({ value: null, verdict: 'missing' });
    expect(rtoRegressionCriterion(null, history([100]), t)).toMatchObject({ verdict: 'missing' });
  });

  test('in the verdict: the latest drill of the evidence against the history, factor from the thresholds', () => {
    const e = buildEvidence({}, drillReport({ drillId: 'latest', finishedMsAgo: 1 * DAY, rto: { seconds: 400, targetSeconds: 900, ok: true } }));
    const x = { kpi: foundKpi(paperKpiLines(5, { sharpe: 2 })), drillHistory: history([200, 200]) };
    const v = evaluatePromotion(e, ctx(), x);
    expect(v.failed).toEqual(['drill_rto_regression']);
    expect(evaluatePromotion(e, ctx({ thresholds: resolvePromotionThresholds({ rtoRegressionFactor: 2 }) }), x).result).toBe('pass');
  });
});

describe('gatherKpiEvidence over a real folder', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'kpi-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('folds complete lines only, counts corrupt ones, reads the target drill history', async () => {
    const runsDir = path.join(root, 'runs');
    writeRunFolder(runsDir, 'run-1');
    writeRunFile(runsDir, 'run-1', 'paper_kpi.jsonl', paperKpiLines(3, { sharpe: 1.7 }));
    const complete = fs.statSync(path.join(runsDir, 'run-1', 'paper_kpi.jsonl')).size;
    fs.appendFileSync(path.join(runsDir, 'run-1', 'paper_kpi.jsonl'), 'garbage\n{"event_type":"kpi_snapshot","kpi":{"sharpe":0.1}');
    writeKpiFile(path.join(root, 'kpi'), kpiFile(EXP));
    writeDrillReport(root, drillReport({ drillId: 'a', target: 'paper-sandbox', rto: { seconds: 100, targetSeconds: 900, ok: true } }));
    writeDrillReport(root, drillReport({ drillId: 'b', target: 'other' }));
    const x = await gatherKpiEvidence(
      { runsDir, resultsDir: root, kpiDir: path.join(root, 'kpi') },
      { experimentId: EXP, runId: 'run-1', target: 'paper-sandbox' },
    );
    expect(x.kpi.status).toBe('found');
    if (x.kpi.status !== 'found') return;
    expect(x.kpi.files['paper_kpi.jsonl']).toEqual({ present: true, bytes: complete + 'garbage\n'.length, corrupt: 1, problems: ['line 4: not JSON'] });
    expect(kpiAggregate(x.kpi.folds[0]!.fold, 'last')).toBe(1.7);
    expect(x.kpi.raw).toBe(fs.readFileSync(path.join(root, 'kpi', `${EXP}.json`), 'utf8'));
    expect(x.drillHistory).toEqual({ target: 'paper-sandbox', drills: [expect.objectContaining({ drillId: 'a', rtoSeconds: 100 })] });
  });

  test('no file, and a file that is not JSON', async () => {
    const runsDir = path.join(root, 'runs');
    writeRunFolder(runsDir, 'run-1');
    const deps = { runsDir, resultsDir: root, kpiDir: path.join(root, 'kpi') };
    expect((await gatherKpiEvidence(deps, { experimentId: EXP, runId: 'run-1' })).kpi).toEqual({ status: 'none', path: path.join(root, 'kpi', `${EXP}.json`) });
    fs.mkdirSync(deps.kpiDir);
    fs.writeFileSync(path.join(deps.kpiDir, `${EXP}.json`), '{nope');
    const x = await gatherKpiEvidence(deps, { experimentId: EXP, runId: 'run-1' });
    expect(x.kpi).toMatchObject({ status: 'invalid', problems: [expect.stringMatching(/^not JSON/)] });
    expect(x.drillHistory).toEqual({ target: null, drills: [] });
  });
});
