/**
 * The runbook's "Ensure paper KPI criteria pass" and the drill RTO regression check, as pure parts
 * of the promotion gate (issue 13, item 6).
 *
 * Paper KPI criteria live in one file per experiment, `<DRILL_KPI_DIR>/<experimentId>.json`
 * (schema `kpiFileSchema`, documented in docs/promotion-gate.md). Each criterion names a metric, where
 * its value comes from in the run folder (file, dotted field, optional `where` filter, aggregate),
 * a comparator, a threshold, a unit and a description. The `gatherPromotionKpiEvidence` activity
 * reads the file and the run's lines and folds each source with `foldKpiSource`; `kpiCriteria`
 * turns that evidence into gate criteria with the same fields and messages as the SLO criteria.
 *
 * `drill_rto_regression`: the latest drill's RTO divided by the median RTO of up to
 * `rtoRegressionWindow` earlier drills of the same target (measured RTOs only) must be
 * `<= rtoRegressionFactor`.
 */
import { z } from 'zod';
import { experimentIdSchema } from './promotion-ids';
import { compare } from './slo-evaluation';
import { issueLines } from './validation-kit';

// ---------------------------------------------------------------------------------------------------
// The KPI criteria file

export const KPI_COMPARATORS = ['<', '<=', '>=', '>', '='] as const;
export type KpiComparator = (typeof KPI_COMPARATORS)[number];
export const KPI_UNITS = ['number', 'count', 'ratio', 'seconds'] as const;
export const KPI_AGGREGATES = ['last', 'first', 'min', 'max', 'mean', 'sum', 'count'] as const;
export type KpiAggregate = (typeof KPI_AGGREGATES)[number];

/** A file name in the run folder: no separators, `.jsonl` (one record per line) or `.json` (one record). */
export const kpiSourceFileSchema = z
  .string()
  .max(128)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*\.jsonl?$/, { error: 'source.file must be a .jsonl or .json file name in the run folder (no path separators)' });

const fieldPathSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/, { error: 'field must be a dotted path of names, e.g. kpi.sharpe' });

export const kpiSourceSchema = z.strictObject({
  /** File in `results/runs/<run_id>/`. */
  file: kpiSourceFileSchema,
  /** Dotted path of the numeric field in each record, e.g. `sharpe` or `kpi.max_drawdown`. */
  field: fieldPathSchema,
  /** Only records whose fields equal these values count, e.g. `{ "event_type": "kpi_snapshot" }`. */
  where: z.record(fieldPathSchema, z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** How the run's values become one measure (default `last`: the value of the last matching record). */
  aggregate: z.enum(KPI_AGGREGATES).default('last'),
});
export type KpiSource = z.output<typeof kpiSourceSchema>;

export const kpiMetricSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9_]*$/, { error: 'metric must be lower-case letters, digits and _ (starting with a letter)' });

export const kpiCriterionSpecSchema = z.strictObject({
  metric: kpiMetricSchema,
  description: z.string().min(1).max(300),
  source: kpiSourceSchema,
  comparator: z.enum(KPI_COMPARATORS),
  threshold: z.number(),
  unit: z.enum(KPI_UNITS),
});
export type KpiCriterionSpec = z.output<typeof kpiCriterionSpecSchema>;

export const kpiFileSchema = z
  .strictObject({
    schemaVersion: z.literal(1),
    /** Must equal the file's name (the experiment the gate runs for). */
    experimentId: experimentIdSchema,
    criteria: z.array(kpiCriterionSpecSchema).min(1).max(50),
  })
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.criteria.forEach((c, i) => {
      if (seen.has(c.metric)) ctx.addIssue({ code: 'custom', path: ['criteria', i, 'metric'], message: `metric ${c.metric} appears twice` });
      seen.add(c.metric);
    });
  });
export type KpiFile = z.output<typeof kpiFileSchema>;

/** `<experimentId>.json` in the KPI folder. */
export function kpiFileName(experimentId: string): string {
  return `${experimentId}.json`;
}

/** Largest KPI criteria file read (it is configuration, not data). */
export const MAX_KPI_FILE_BYTES = 256 * 1024;

/** Problems of a parsed KPI file, as `path: message` lines; empty when valid for `experimentId`. */
export function parseKpiFile(raw: unknown, experimentId: string): { ok: true; file: KpiFile } | { ok: false; problems: string[] } {
  const r = kpiFileSchema.safeParse(raw);
  if (!r.success) return { ok: false, problems: issueLines(r.error, { root: '(file)', rootWhenBlank: true, max: 5 }) };
  if (r.data.experimentId !== experimentId)
    return { ok: false, problems: [`experimentId: ${r.data.experimentId} does not match the gate's experiment ${experimentId}`] };
  return { ok: true, file: r.data };
}

// ---------------------------------------------------------------------------------------------------
// Folding a source over the run's records

export interface KpiFold {
  /** Records read (valid JSON objects). */
  records: number;
  /** Records matching `where`. */
  matched: number;
  /** Matching records whose field is a finite number (the values aggregated). */
  values: number;
  /** Matching records whose field is present but not a finite number. */
  nonNumeric: number;
  first: number | null;
  last: number | null;
  min: number | null;
  max: number | null;
  sum: number;
}

export function initialKpiFold(): KpiFold {
  return { records: 0, matched: 0, values: 0, nonNumeric: 0, first: null, last: null, min: null, max: null, sum: 0 };
}

function at(record: unknown, dotted: string): unknown {
  let v: unknown = record;
  for (const k of dotted.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.prototype.hasOwnProperty.call(v, k)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** Folds one record (a parsed JSON value) into the source's running measure. */
export function foldKpiSource(acc: KpiFold, record: unknown, source: Pick<KpiSource, 'field' | 'where'>): KpiFold {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return acc;
  const next = { ...acc, records: acc.records + 1 };
  for (const [k, want] of Object.entries(source.where ?? {})) if (at(record, k) !== want) return next;
  next.matched++;
  const v = at(record, source.field);
  if (v === undefined) return next;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    next.nonNumeric++;
    return next;
  }
  next.values++;
  next.first = next.first ?? v;
  next.last = v;
  next.min = next.min === null ? v : Math.min(next.min, v);
  next.max = next.max === null ? v : Math.max(next.max, v);
  next.sum += v;
  return next;
}

/** The aggregate of a fold; null when no record had a numeric value (`count` is never null). */
export function kpiAggregate(f: KpiFold, aggregate: KpiAggregate): number | null {
  if (aggregate === 'count') return f.values;
  if (f.values === 0) return null;
  switch (aggregate) {
    case 'first':
      return f.first;
    case 'last':
      return f.last;
    case 'min':
      return f.min;
    case 'max':
      return f.max;
    case 'sum':
      return f.sum;
    case 'mean':
      return f.sum / f.values;
  }
}

/** The SLO criteria's comparison (one epsilon for rates computed from integers), for KPI rows too. */
export function kpiCompare(value: number, comparator: KpiComparator, threshold: number): boolean {
  return compare(value, comparator, threshold);
}

// ---------------------------------------------------------------------------------------------------
// Evidence gathered by `gatherPromotionKpiEvidence` (plain JSON)

export interface KpiSourceFileState {
  present: boolean;
  /** Bytes evaluated (complete lines); the bundle attaches exactly these. */
  bytes: number;
  corrupt: number;
  problems: string[];
}

export type KpiEvidence =
  /** No criteria file for the experiment. `path` as the worker sees it. */
  | { status: 'none'; path: string }
  /** A file that is not JSON, too large, or does not match `kpiFileSchema`. */
  | { status: 'invalid'; path: string; problems: string[] }
  | {
      status: 'found';
      path: string;
      /** The file's text as evaluated (the bundle attaches it as `kpi/<experimentId>.json`). */
      raw: string;
      file: KpiFile;
      /** Per metric, in file order: the fold of its source. */
      folds: Array<{ metric: string; fold: KpiFold }>;
      /** Per source file name in the run folder. */
      files: Record<string, KpiSourceFileState>;
    };

/** One earlier or latest drill of the target as the regression check reads it. */
export interface DrillRtoPoint {
  drillId: string;
  finishedAt: string;
  /** `rto.seconds`, null when the drill did not measure one. */
  rtoSeconds: number | null;
  path: string;
}

export interface PromotionExtraEvidence {
  kpi: KpiEvidence;
  /** Every valid drill report of the regression target, any order. */
  drillHistory: { target: string | null; drills: DrillRtoPoint[] };
}

// ---------------------------------------------------------------------------------------------------
// Criteria

/** Same shape as the gate's other criteria (`promotionCriterionSchema`). */
export interface ExtraCriterion {
  id: string;
  label: string;
  value: number | string | null;
  threshold: number | string;
  comparator: KpiComparator;
  unit: 'count' | 'ratio' | 'seconds' | 'result' | 'number';
  verdict: 'pass' | 'fail' | 'missing';
  source: string;
  evidence: string;
}

export const KPI_FILE_CRITERION = 'kpi_file';
export const RTO_REGRESSION_CRITERION = 'drill_rto_regression';
export const kpiCriterionId = (metric: string): string => `kpi.${metric}`;

function describeSource(s: KpiSource): string {
  const where =
    s.where && Object.keys(s.where).length
      ? ` where ${Object.entries(s.where)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(', ')}`
      : '';
  return `${s.file}: ${s.field}${where} (${s.aggregate})`;
}

function roundForText(v: number): string {
  return String(Math.round(v * 1e6) / 1e6);
}

/**
 * The KPI criteria: one per metric of the experiment's file, or one `kpi_file` criterion when the
 * file is absent (`missing`: a strict gate fails on it, a lenient one reports it) or invalid (`fail`:
 * criteria that cannot be read never pass a gate).
 */
export function kpiCriteria(k: KpiEvidence, runDir: string, experimentId: string): ExtraCriterion[] {
  const fileRow = (verdict: 'missing' | 'fail', evidence: string): ExtraCriterion => ({
    id: KPI_FILE_CRITERION,
    label: 'Paper KPI criteria file',
    value: null,
    threshold: 'valid',
    comparator: '=',
    unit: 'result',
    verdict,
    source: `${k.path} (DRILL_KPI_DIR/${kpiFileName(experimentId)})`,
    evidence,
  });
  if (k.status === 'none') return [fileRow('missing', `no KPI criteria file for experiment ${experimentId}: ${k.path} not found`)];
  if (k.status === 'invalid') return [fileRow('fail', `${k.path} is not a valid KPI criteria file: ${k.problems.join('; ')}`)];
  const folds = new Map(k.folds.map((f) => [f.metric, f.fold]));
  return k.file.criteria.map((c) => {
    const fold = folds.get(c.metric) ?? initialKpiFold();
    const value = kpiAggregate(fold, c.source.aggregate);
    const f = k.files[c.source.file];
    let evidence: string;
    if (!f?.present) evidence = `${c.source.file} not found in ${runDir}`;
    else if (value === null) {
      evidence = `${c.source.file}: no record with numeric ${c.source.field}${c.source.where ? ' among matching records' : ''} (${fold.records} records, ${fold.matched} matching${fold.nonNumeric ? `, ${fold.nonNumeric} non-numeric` : ''}${f.corrupt ? `, ${f.corrupt} corrupt lines` : ''})`;
    } else {
      evidence = `${c.description}: ${c.source.aggregate} over ${fold.values} value(s) in ${c.source.file} = ${roundForText(value)}${fold.nonNumeric ? `; ${fold.nonNumeric} non-numeric skipped` : ''}${f.corrupt ? `; ${f.corrupt} corrupt line(s) skipped` : ''}`;
    }
    return {
      id: kpiCriterionId(c.metric),
      label: c.description,
      value,
      threshold: c.threshold,
      comparator: c.comparator,
      unit: c.unit,
      verdict: value === null ? 'missing' : kpiCompare(value, c.comparator, c.threshold) ? 'pass' : 'fail',
      source: `${k.path}: ${c.metric} ← ${describeSource(c.source)}`,
      evidence,
    };
  });
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function byFinish(a: DrillRtoPoint, b: DrillRtoPoint): number {
  const d = Date.parse(a.finishedAt) - Date.parse(b.finishedAt);
  return d !== 0 ? d : a.drillId < b.drillId ? -1 : a.drillId > b.drillId ? 1 : 0;
}

/**
 * `drill_rto_regression`: latest RTO / median RTO of the `window` drills of the same target that
 * finished before it (measured RTOs only), `<= factor`. Without a latest drill or its RTO: `missing`.
 * Without any earlier measured drill there is nothing to regress against: `pass`, value `—`, and the
 * evidence says so (a first drill cannot be a regression; the other drill criteria still apply).
 */
export function rtoRegressionCriterion(
  latest: DrillRtoPoint | null,
  history: PromotionExtraEvidence['drillHistory'],
  t: { rtoRegressionFactor: number; rtoRegressionWindow: number },
): ExtraCriterion {
  const base = {
    id: RTO_REGRESSION_CRITERION,
    label: `Latest drill RTO vs median of ${t.rtoRegressionWindow} earlier drills`,
    threshold: t.rtoRegressionFactor,
    comparator: '<=' as const,
    unit: 'ratio' as const,
  };
  const target = history.target ?? '(any target)';
  if (!latest)
    return { ...base, value: null, verdict: 'missing', source: 'drills/<drillId>/report.json: rto.seconds', evidence: `no latest drill report for ${target}` };
  const source = `drills/*/report.json of ${target}: rto.seconds (latest ${latest.path})`;
  if (latest.rtoSeconds === null) return { ...base, value: null, verdict: 'missing', source, evidence: `${latest.path}: rto.seconds is null (not measured)` };
  const earlier = history.drills
    .filter((d) => d.drillId !== latest.drillId && byFinish(d, latest) < 0 && d.rtoSeconds !== null)
    .sort(byFinish)
    .slice(-t.rtoRegressionWindow);
  if (earlier.length === 0) {
    return {
      ...base,
      value: null,
      verdict: 'pass',
      source,
      evidence: `drill ${latest.drillId}: RTO ${roundForText(latest.rtoSeconds)} s; no earlier drill of ${target} with a measured RTO: nothing to regress against`,
    };
  }
  const med = median(earlier.map((d) => d.rtoSeconds as number));
  const ratio = med > 0 ? latest.rtoSeconds / med : latest.rtoSeconds > 0 ? Number.POSITIVE_INFINITY : 1;
  const ok = kpiCompare(ratio, '<=', t.rtoRegressionFactor);
  const shownRatio = Number.isFinite(ratio) ? Math.round(ratio * 1000) / 1000 : null;
  return {
    ...base,
    // A percentage of the median (ratio unit): 150% = 1.5 × the median.
    value: shownRatio,
    verdict: ok ? 'pass' : 'fail',
    source,
    evidence: `drill ${latest.drillId}: RTO ${roundForText(latest.rtoSeconds)} s vs median ${roundForText(med)} s of ${earlier.length} earlier drill(s) (${earlier.map((d) => d.drillId).join(', ')})${shownRatio === null ? '; the median is 0 s' : ''}${ok ? '' : `: more than ${t.rtoRegressionFactor}× the median`}`,
  };
}
