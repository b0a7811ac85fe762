/**
 * The runbook's "Promotion Readiness (Operational)" gate as pure functions: input and thresholds,
 * the evidence an activity gathers, the verdict over it, and the gate workflow's status and result.
 * The verdict's Markdown / text renderings are in `src/report/promotion-verdict.ts`.
 *
 * Criteria (each with measured value, threshold, comparator and verdict; thresholds default to the
 * runbook's numbers in `slo.ts`, overridable per gate):
 * - reconciliation pass rate `>= 99.5%`, operational error rate `<= 2.0%`, consecutive order
 *   reconciliation mismatch runs `< 3`, data quality errors `0` and stale warnings `0` per cycle:
 *   `evaluateSlos` over the whole run (window `run`: the worst cycle / longest streak);
 * - `ack_sla`: every critical incident acknowledged within 15 minutes. The measure is the longest
 *   open → ack time; a critical incident never acknowledged counts with its age at evaluation and
 *   fails the criterion whatever its age (it was not acknowledged);
 * - `open_incidents`: incidents opened and not resolved, `<= 0`;
 * - the latest weekly drill (for the target, when given): `drill_result` is `pass`, its measured RTO
 *   and RPO are within the thresholds, and it finished at most 7 days before the evaluation.
 *
 * A criterion without evidence has verdict `missing` and a message naming the file and field. A
 * strict gate fails on it; a lenient one reports it and does not fail.
 *
 * An absent `incident_events.jsonl` means "no incident recorded" (the target writes it on the first
 * incident), not missing evidence; the evidence text says so.
 */
import { z } from 'zod';
import { ARTIFACT_FILES } from './artifacts';
import { runIdSchema, targetNameSchema } from './ids';
import { experimentIdSchema } from './promotion-ids';
import {
  KPI_FILE_CRITERION,
  kpiCriteria,
  RTO_REGRESSION_CRITERION,
  rtoRegressionCriterion,
  type ExtraCriterion,
  type PromotionExtraEvidence,
} from './promotion-kpi';
import { type DrillCalendarReview } from './drill-placement';
import { type IncidentSummary } from './incident-events';
import { DRILL_REPORT_FILE, DRILLS_DIR, type DrillEvidence } from './promotion-drill';
import { DEFAULT_THRESHOLDS, sloThresholdsSchema } from './slo';
import { type SloState } from './slo-fold';
import { compare, evaluateSlos, type SloCriterion } from './slo-evaluation';
import { secondsBetween } from './durations';

// ---------------------------------------------------------------------------------------------------
// Input and thresholds

export { experimentIdSchema };

export const DRILL_MAX_AGE_SECONDS = 7 * 24 * 3600;
export const DEFAULT_RTO_REGRESSION_FACTOR = 1.5;
export const DEFAULT_RTO_REGRESSION_WINDOW = 5;

export const promotionThresholdsSchema = sloThresholdsSchema.extend({
  /** The latest weekly drill must have finished at most this long before the gate (runbook: weekly). */
  maxDrillAgeSeconds: z.number().positive(),
  /** `drill_rto_regression`: the latest drill's RTO may be at most this many times the trailing median. */
  rtoRegressionFactor: z.number().positive(),
  /** `drill_rto_regression`: how many earlier drills of the target the median covers. */
  rtoRegressionWindow: z.number().int().min(1).max(100),
});
export type PromotionThresholds = z.infer<typeof promotionThresholdsSchema>;

export const DEFAULT_PROMOTION_THRESHOLDS: Readonly<PromotionThresholds> = Object.freeze({
  ...DEFAULT_THRESHOLDS,
  maxDrillAgeSeconds: DRILL_MAX_AGE_SECONDS,
  rtoRegressionFactor: DEFAULT_RTO_REGRESSION_FACTOR,
  rtoRegressionWindow: DEFAULT_RTO_REGRESSION_WINDOW,
});

/** Any subset; an unknown key is rejected by name. */
export const promotionThresholdOverridesSchema = promotionThresholdsSchema.partial().strict();
export type PromotionThresholdOverrides = z.infer<typeof promotionThresholdOverridesSchema>;

export const promotionGateInputSchema = z.object({
  experimentId: experimentIdSchema,
  runId: runIdSchema,
  /** Strict (default): missing evidence fails the gate. Lenient: it is reported only. */
  strict: z.boolean({ error: 'strict must be true or false' }).default(true),
  /** Target whose latest drill counts; default: the latest drill of any target. */
  target: targetNameSchema.optional(),
  thresholds: promotionThresholdOverridesSchema.optional(),
});
export type PromotionGateInput = z.input<typeof promotionGateInputSchema>;
export type PromotionGateParams = z.output<typeof promotionGateInputSchema>;

export function resolvePromotionThresholds(overrides?: PromotionThresholdOverrides): PromotionThresholds {
  return { ...DEFAULT_PROMOTION_THRESHOLDS, ...(overrides ?? {}) };
}

// ---------------------------------------------------------------------------------------------------
// Evidence (gathered by the `gatherPromotionEvidence` activity; plain JSON)

export interface RunFileEvidence {
  present: boolean;
  /** Bytes evaluated (complete lines up to here); the bundle attaches exactly these. */
  bytes: number;
  /** Valid lines read. */
  lines: number;
  corrupt: number;
  problems: string[];
}

export type DrillLookup = { status: 'found'; path: string; report: DrillEvidence } | { status: 'none'; searched: string };

export interface PromotionEvidence {
  runId: string;
  /** The run folder as the worker sees it (for messages). */
  runDir: string;
  /** Per artifact file name (`ARTIFACT_FILES`). */
  files: Record<string, RunFileEvidence>;
  slo: SloState;
  incidents: IncidentSummary[];
  drill: DrillLookup;
  /** Drill reports skipped as unreadable or invalid, with the reason. */
  drillProblems: Array<{ path: string; problem: string }>;
  /** The target's market calendar over the weeks since its last drill (issue 15), when it has one. */
  drillCalendar?: DrillCalendarReview;
  /** Closed DR drill maintenance windows of the run (issue 9): their cycle lines were not counted. */
  drillWindows?: { windows: Array<{ windowId: string; from: string; to: string }>; excludedLines: number };
}

// ---------------------------------------------------------------------------------------------------
// Verdict

export const PROMOTION_CRITERIA = [
  'reconciliation_pass_rate',
  'operational_error_rate',
  'consecutive_mismatch_runs',
  'data_quality_errors',
  'stale_warnings',
  'ack_sla',
  'open_incidents',
  'drill_result',
  'drill_rto',
  'drill_rpo',
  'drill_age',
] as const;
/**
 * Ids of every criterion: the fixed ones above, and on the gate's KPI path (patch
 * `promotion-kpi-criteria`) `drill_rto_regression`, then `kpi_file` (no or an invalid KPI file) or
 * one `kpi.<metric>` per metric of the experiment's KPI file.
 */
export const promotionCriterionIdSchema = z.union([
  z.enum(PROMOTION_CRITERIA),
  z.literal(RTO_REGRESSION_CRITERION),
  z.literal(KPI_FILE_CRITERION),
  z.string().regex(/^kpi\.[a-z][a-z0-9_]*$/),
]);
export type PromotionCriterionId = z.infer<typeof promotionCriterionIdSchema>;
type PromotionCriterionIdBase = (typeof PROMOTION_CRITERIA)[number];

export const promotionCriterionSchema = z.object({
  id: promotionCriterionIdSchema,
  label: z.string(),
  value: z.union([z.number(), z.string()]).nullable(),
  threshold: z.union([z.number(), z.string()]),
  comparator: z.enum(['<', '<=', '>=', '>', '=']),
  unit: z.enum(['count', 'ratio', 'seconds', 'result', 'number']),
  verdict: z.enum(['pass', 'fail', 'missing']),
  /** Where the value comes from: file and field. */
  source: z.string(),
  /** What was measured, in words; for `missing`, what is absent. */
  evidence: z.string(),
});
export type PromotionCriterion = z.infer<typeof promotionCriterionSchema>;

export const promotionVerdictSchema = z.object({
  schemaVersion: z.literal(1),
  experimentId: experimentIdSchema,
  runId: runIdSchema,
  target: z.string().optional(),
  strict: z.boolean(),
  result: z.enum(['pass', 'fail']),
  evaluatedAt: z.iso.datetime({ offset: true }),
  thresholds: promotionThresholdsSchema,
  /** The fixed criteria in documented order, then (KPI path) the regression and KPI criteria. */
  criteria: z.array(promotionCriterionSchema).min(PROMOTION_CRITERIA.length),
  failed: z.array(promotionCriterionIdSchema),
  missing: z.array(promotionCriterionIdSchema),
  /** One line per missing piece of evidence: file and field. */
  missingEvidence: z.array(z.string()),
  summary: z.string(),
  drill: z.object({ drillId: z.string(), path: z.string(), target: z.string(), finishedAt: z.string(), result: z.string() }).nullable(),
  notes: z.array(z.string()),
  workflow: z.object({ workflowId: z.string(), runId: z.string() }).optional(),
});
export type PromotionVerdict = z.infer<typeof promotionVerdictSchema>;

export interface EvaluateContext {
  experimentId: string;
  runId: string;
  strict: boolean;
  target?: string;
  thresholds: PromotionThresholds;
  /** ISO time of the evaluation (workflow time). */
  now: string;
  workflow?: { workflowId: string; runId: string };
}

const F = ARTIFACT_FILES;

function verdictOf(ok: boolean | undefined): PromotionCriterion['verdict'] {
  return ok === undefined ? 'missing' : ok ? 'pass' : 'fail';
}

function fileState(e: PromotionEvidence, name: string): string {
  const f = e.files[name];
  if (!f || !f.present) return `${name} not found in ${e.runDir}`;
  if (f.lines === 0) return `${name} has no valid lines${f.corrupt ? ` (${f.corrupt} corrupt${f.problems[0] ? `, first: ${f.problems[0]}` : ''})` : ''}`;
  return `${name}: ${f.lines} lines`;
}

/** The SLO criteria from `evaluateSlos`, with file/field sources and missing-evidence messages. */
function sloCriteria(e: PromotionEvidence, t: PromotionThresholds): PromotionCriterion[] {
  const ev = evaluateSlos(e.slo, t, { window: 'run' });
  const byId = new Map(ev.criteria.map((c) => [c.id, c]));
  const from = (id: SloCriterion['id'], source: string, missing: () => string): PromotionCriterion => {
    const c = byId.get(id) as SloCriterion;
    return {
      id: id as PromotionCriterionId,
      label: c.label,
      value: c.value,
      threshold: c.threshold,
      comparator: c.comparator,
      unit: c.unit,
      verdict: verdictOf(c.ok),
      source,
      evidence: c.ok === undefined ? missing() : c.evidence,
    };
  };
  return [
    from(
      'reconciliation_pass_rate',
      `${F.orderReconciliation} + ${F.positionReconciliation}: status (else ${F.opsSlo}: slo_snapshot.reconciliation_passes/reconciliation_cycles)`,
      () => `${fileState(e, F.orderReconciliation)}; ${fileState(e, F.positionReconciliation)}; no slo_snapshot reconciliation counters in ${F.opsSlo}`,
    ),
    from('operational_error_rate', `${F.opsSlo}: slo_snapshot.operational_errors/operations`, () =>
      e.slo.ops.latest
        ? `${F.opsSlo}: slo_snapshot.operations is 0`
        : e.files[F.opsSlo]?.present && (e.files[F.opsSlo]?.lines ?? 0) > 0
          ? `${F.opsSlo}: no slo_snapshot line (field operations)`
          : fileState(e, F.opsSlo),
    ),
    from('consecutive_mismatch_runs', `${F.orderReconciliation}: status per cycle`, () => `${fileState(e, F.orderReconciliation)} (field status)`),
    from('data_quality_errors', `${F.dataQuality}: errors per cycle`, () => `${fileState(e, F.dataQuality)} (field errors)`),
    from('stale_warnings', `${F.dataQuality}: stale_warnings per cycle`, () => `${fileState(e, F.dataQuality)} (field stale_warnings)`),
  ];
}

function listIds(ids: string[], max = 5): string {
  return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')} and ${ids.length - max} more`;
}

function incidentCriteria(e: PromotionEvidence, t: PromotionThresholds, now: string): PromotionCriterion[] {
  const source = `${F.incidents}: incident_open / incident_ack / incident_resolved (ts)`;
  const f = e.files[F.incidents];
  const noLog = !f || !f.present;
  // A DR drill's own incidents (caused by its chaos or stop, closed by its rollback) are a maintenance
  // window's, not the run's: nobody was paged for them, so there was no ack to make.
  const drillOwn = e.incidents.filter((i) => i.openedAt !== undefined && i.resolvedByDrill !== undefined && i.ackedAt === undefined);
  const critical = e.incidents.filter((i) => i.openedAt !== undefined && (i.severity ?? 'critical') === 'critical' && !drillOwn.includes(i));
  let longest: { id: string; seconds: number; acked: boolean } | undefined;
  const unacked: string[] = [];
  const late: string[] = [];
  for (const i of critical) {
    const acked = i.ackedAt !== undefined;
    const s = secondsBetween(i.openedAt as string, acked ? (i.ackedAt as string) : now);
    if (s === null) continue;
    if (!acked) unacked.push(i.incidentId);
    else if (!compare(s, '<=', t.ackSlaSeconds)) late.push(i.incidentId);
    if (!longest || s > longest.seconds) longest = { id: i.incidentId, seconds: s, acked };
  }
  const ackValue = critical.length === 0 ? 0 : (longest?.seconds ?? null);
  const ackOk = ackValue === null ? undefined : unacked.length === 0 && compare(ackValue, '<=', t.ackSlaSeconds);
  const parts: string[] = [];
  if (noLog) parts.push(`${F.incidents} not present: no incident recorded`);
  else if (critical.length === 0) parts.push('no critical incidents');
  else {
    parts.push(`${critical.length} critical incident(s)`);
    if (longest) parts.push(`longest ${longest.acked ? 'open → ack' : 'unacknowledged'}: ${longest.id} (${Math.round(longest.seconds)} s)`);
    if (late.length) parts.push(`acknowledged late: ${listIds(late)}`);
    if (unacked.length) parts.push(`not acknowledged: ${listIds(unacked)}`);
  }
  if (drillOwn.length)
    parts.push(
      `${drillOwn.length} incident(s) caused and closed by DR drills not counted (${listIds(
        drillOwn.map((i) => `${i.incidentId}: ${i.resolvedByDrill}`),
        3,
      )})`,
    );
  if (f?.corrupt) parts.push(`${f.corrupt} corrupt line(s) skipped`);

  const open = e.incidents.filter((i) => i.openedAt !== undefined && i.resolvedAt === undefined).map((i) => i.incidentId);
  return [
    {
      id: 'ack_sla',
      label: 'Every critical incident acknowledged within the SLA',
      value: ackValue,
      threshold: t.ackSlaSeconds,
      comparator: '<=',
      unit: 'seconds',
      verdict: verdictOf(ackOk),
      source,
      evidence: parts.join('; '),
    },
    {
      id: 'open_incidents',
      label: 'Open incidents (opened, not resolved)',
      value: open.length,
      threshold: 0,
      comparator: '<=',
      unit: 'count',
      verdict: open.length === 0 ? 'pass' : 'fail',
      source,
      evidence: noLog
        ? `${F.incidents} not present: no incident recorded`
        : open.length
          ? `open: ${listIds(open)}`
          : `${e.incidents.length} incident(s), all resolved`,
    },
  ];
}

function drillCriteria(e: PromotionEvidence, t: PromotionThresholds, now: string, target?: string): PromotionCriterion[] {
  const d = e.drill;
  const forTarget = target ? ` for target ${target}` : '';
  if (d.status === 'none') {
    const why = `no valid drill report${forTarget} under ${d.searched}${e.drillProblems.length ? ` (${e.drillProblems.length} invalid skipped: ${e.drillProblems[0]?.path}: ${e.drillProblems[0]?.problem})` : ''}`;
    const src = `${DRILLS_DIR}/<drillId>/${DRILL_REPORT_FILE}`;
    return [
      {
        id: 'drill_result',
        label: 'Latest weekly drill result',
        value: null,
        threshold: 'pass',
        comparator: '=',
        unit: 'result',
        verdict: 'missing',
        source: `${src}: result`,
        evidence: why,
      },
      {
        id: 'drill_rto',
        label: 'Latest drill RTO',
        value: null,
        threshold: t.rtoSeconds,
        comparator: '<=',
        unit: 'seconds',
        verdict: 'missing',
        source: `${src}: rto.seconds`,
        evidence: why,
      },
      {
        id: 'drill_rpo',
        label: 'Latest drill RPO',
        value: null,
        threshold: t.rpoSeconds,
        comparator: '<=',
        unit: 'seconds',
        verdict: 'missing',
        source: `${src}: rpo.seconds`,
        evidence: why,
      },
      {
        id: 'drill_age',
        label: 'Latest drill age',
        value: null,
        threshold: t.maxDrillAgeSeconds,
        comparator: '<=',
        unit: 'seconds',
        verdict: 'missing',
        source: `${src}: finishedAt`,
        evidence: `${why}${overdueReason(e)}`,
      },
    ];
  }
  const r = d.report;
  const measure = (id: 'drill_rto' | 'drill_rpo', label: string, m: DrillEvidence['rto'], threshold: number, field: string): PromotionCriterion => {
    const ok = m.seconds === null ? undefined : compare(m.seconds, '<=', threshold);
    return {
      id,
      label,
      value: m.seconds,
      threshold,
      comparator: '<=',
      unit: 'seconds',
      verdict: verdictOf(ok),
      source: `${d.path}: ${field}.seconds`,
      evidence:
        m.seconds === null
          ? `${d.path}: ${field}.seconds is null (not measured)`
          : `drill ${r.drillId}: ${m.seconds} s (drill's own target ${m.targetSeconds} s, ${m.ok ? 'ok' : 'not ok'})`,
    };
  };
  const age = secondsBetween(r.finishedAt, now);
  const fresh = age !== null && compare(age, '<=', t.maxDrillAgeSeconds);
  return [
    {
      id: 'drill_result',
      label: 'Latest weekly drill result',
      value: r.result,
      threshold: 'pass',
      comparator: '=',
      unit: 'result',
      verdict: r.result === 'pass' ? 'pass' : 'fail',
      source: `${d.path}: result`,
      evidence: `drill ${r.drillId} on ${r.target} (${r.mode})${r.failures.length ? `; failures: ${r.failures.slice(0, 3).join('; ')}` : ''}`,
    },
    measure('drill_rto', 'Latest drill RTO', r.rto, t.rtoSeconds, 'rto'),
    measure('drill_rpo', 'Latest drill RPO', r.rpo, t.rpoSeconds, 'rpo'),
    {
      id: 'drill_age',
      label: 'Latest drill age',
      value: age,
      threshold: t.maxDrillAgeSeconds,
      comparator: '<=',
      unit: 'seconds',
      verdict: verdictOf(age === null ? undefined : compare(age, '<=', t.maxDrillAgeSeconds)),
      source: `${d.path}: finishedAt`,
      evidence: `finished ${r.finishedAt}${fresh ? '' : overdueReason(e)}`,
    },
  ];
}

/** The overdue check's reason from the target's market calendar (issue 15): which weekly slots it blocked. */
function overdueReason(e: PromotionEvidence): string {
  const c = e.drillCalendar;
  return c ? `; overdue — calendar ${c.calendar} for ${c.target}: ${c.text}` : '';
}

/** The regression and KPI criteria (KPI path of the gate). */
function extraCriteria(e: PromotionEvidence, x: PromotionExtraEvidence, ctx: EvaluateContext): ExtraCriterion[] {
  const d = e.drill;
  const latest = d.status === 'found' ? { drillId: d.report.drillId, finishedAt: d.report.finishedAt, rtoSeconds: d.report.rto.seconds, path: d.path } : null;
  return [rtoRegressionCriterion(latest, x.drillHistory, ctx.thresholds), ...kpiCriteria(x.kpi, e.runDir, ctx.experimentId)];
}

/**
 * The gate's verdict over gathered evidence. Pure: same evidence and context, same verdict. With
 * `extra` (the KPI path), the RTO regression and paper KPI criteria follow the fixed ones and count
 * the same way (strict: missing evidence fails).
 */
export function evaluatePromotion(e: PromotionEvidence, ctx: EvaluateContext, extra?: PromotionExtraEvidence): PromotionVerdict {
  const t = ctx.thresholds;
  const fixed = [...sloCriteria(e, t), ...incidentCriteria(e, t, ctx.now), ...drillCriteria(e, t, ctx.now, ctx.target)];
  // Keep the documented order whatever the builders return.
  fixed.sort((a, b) => PROMOTION_CRITERIA.indexOf(a.id as PromotionCriterionIdBase) - PROMOTION_CRITERIA.indexOf(b.id as PromotionCriterionIdBase));
  const criteria: PromotionCriterion[] = [...fixed, ...(extra ? extraCriteria(e, extra, ctx) : [])];
  const failed = criteria.filter((c) => c.verdict === 'fail').map((c) => c.id);
  const missing = criteria.filter((c) => c.verdict === 'missing').map((c) => c.id);
  const pass = failed.length === 0 && (!ctx.strict || missing.length === 0);
  const missingEvidence = [...new Set(criteria.filter((c) => c.verdict === 'missing').map((c) => `${c.id}: ${c.evidence}`))];
  const notes: string[] = [];
  const corrupt = Object.entries(e.files).filter(([, f]) => f.corrupt > 0);
  if (corrupt.length) notes.push(`corrupt lines skipped: ${corrupt.map(([n, f]) => `${n} ${f.corrupt}`).join(', ')}`);
  if (!ctx.strict && missing.length) notes.push(`lenient gate: ${missing.length} criterion/criteria without evidence reported, not enforced`);
  for (const p of e.drillProblems.slice(0, 5)) notes.push(`drill report skipped: ${p.path}: ${p.problem}`);
  if (e.drillWindows?.windows.length)
    notes.push(
      `${e.drillWindows.excludedLines} reconciliation/data quality cycle line(s) inside ${e.drillWindows.windows.length} DR drill maintenance window(s) not counted (${listIds(
        e.drillWindows.windows.map((w) => w.windowId),
        3,
      )})`,
    );

  const summary = pass
    ? `PASS: ${criteria.length - missing.length}/${criteria.length} criteria met${missing.length ? `, ${missing.length} without evidence (lenient)` : ''}`
    : `FAIL: ${[...failed.map((id) => `${id} failed`), ...(ctx.strict ? missing.map((id) => `${id} missing evidence`) : [])].join(', ')}`;
  const drill =
    e.drill.status === 'found'
      ? {
          drillId: e.drill.report.drillId,
          path: e.drill.path,
          target: e.drill.report.target,
          finishedAt: e.drill.report.finishedAt,
          result: e.drill.report.result,
        }
      : null;
  return promotionVerdictSchema.parse({
    schemaVersion: 1,
    experimentId: ctx.experimentId,
    runId: ctx.runId,
    ...(ctx.target ? { target: ctx.target } : {}),
    strict: ctx.strict,
    result: pass ? 'pass' : 'fail',
    evaluatedAt: ctx.now,
    thresholds: t,
    criteria,
    failed,
    missing,
    missingEvidence,
    summary,
    drill,
    notes,
    ...(ctx.workflow ? { workflow: ctx.workflow } : {}),
  });
}

// ---------------------------------------------------------------------------------------------------
// Workflow status and result

export const PROMOTION_PHASES = ['gathering', 'writing', 'done', 'failed'] as const;
export type PromotionPhase = (typeof PROMOTION_PHASES)[number];

export interface PromotionBundleInfo {
  /** `<resultsDir>/promotions/<experimentId>/<runId>` as the worker wrote it. */
  dir: string;
  /** Files in the bundle (manifest included), bundle-relative. */
  files: string[];
  /** SHA-256 of `manifest.json`: one value that pins the whole bundle. */
  manifestSha256: string;
}

export interface PromotionGateStatus {
  experimentId: string;
  runId: string;
  strict: boolean;
  target?: string;
  phase: PromotionPhase;
  result?: 'pass' | 'fail';
  summary?: string;
  failed?: PromotionCriterionId[];
  missing?: PromotionCriterionId[];
  bundleDir?: string;
  error?: string;
}

export interface PromotionGateResult {
  verdict: PromotionVerdict;
  markdown: string;
  bundle: PromotionBundleInfo;
}

/** Where bundles live under the results folder: `promotions/<experimentId>/<runId>/`. */
export const PROMOTIONS_DIR = 'promotions';
