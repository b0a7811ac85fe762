/**
 * The runbook's operational SLOs: thresholds in one place, and their evaluation as pure folds over
 * the run's event files. No I/O, no clock: workflows and activities both import this.
 *
 * Shape: a small JSON-serializable accumulator {@link SloState} (counters, current mismatch run, last
 * cycle seen) is folded event by event (`foldOrderRecon`, `foldPositionRecon`, `foldDataQuality`,
 * `foldOpsSlo`, `foldIncidents`), in any batch sizes: folding a file in two reads gives the same state
 * as folding it in one. `evaluateSlos(state, thresholds)` turns it into criteria with measured value,
 * threshold and verdict. Missing evidence is `value: null, ok: undefined`: a strict gate fails on it,
 * a lenient one skips it.
 *
 * Definitions (what each number means):
 * - consecutive mismatch runs: the number of consecutive order reconciliation cycles with
 *   `status: mismatch` (runbook: "Order reconciliation consecutive mismatch runs < 3"). Window `run`:
 *   the longest streak seen; window `latest`: the streak still running.
 * - data quality errors / stale warnings per cycle: `errors` / `stale_warnings` of one quality cycle.
 *   Window `run`: the worst cycle; `latest`: the last cycle.
 * - reconciliation pass rate: order and position reconciliation are each one check per cycle; the
 *   rate is passing checks / all checks (order ok + position ok) / (order cycles + position cycles).
 *   So one cycle with both mismatched counts twice. Without reconciliation events it falls back to the
 *   latest `slo_snapshot` counters `reconciliation_passes / reconciliation_cycles`.
 * - operational error rate: `operational_errors / operations` of the latest `slo_snapshot`; when a
 *   snapshot's counters go backwards (the target restarted), the previous counters are kept as a base
 *   and added, so the rate covers the whole run.
 * - ack SLA: the longest time from `incident_open` to `incident_ack` among critical incidents, and,
 *   given `now`, the age of any still unacknowledged critical incident.
 * - duplicate cycles: an event whose `cycle` equals the last one seen for that stream is ignored
 *   (re-emitted). A lower cycle number is taken as a counter reset (restart) and counted, not dropped.
 */
import { z } from 'zod';
import { RUNBOOK_THRESHOLDS } from './runbook-thresholds';
import { type Severity } from './severity';
import { secondsBetween } from './durations';

// ---------------------------------------------------------------------------------------------------
// Thresholds

export const sloThresholdsSchema = z.object({
  /** Breach when the consecutive order mismatch run reaches this (runbook: `< 3`). */
  maxConsecutiveMismatchRuns: z.number().int().positive(),
  maxDataQualityErrorsPerCycle: z.number().int().nonnegative(),
  maxStaleWarningsPerCycle: z.number().int().nonnegative(),
  /** Critical incident acknowledgment SLA (runbook: `<= 15 minutes`). */
  ackSlaSeconds: z.number().positive(),
  /** Fraction, 0..1 (runbook: `>= 99.5%`). */
  minReconciliationPassRate: z.number().min(0).max(1),
  /** Fraction, 0..1 (runbook: `<= 2.0%`). */
  maxOperationalErrorRate: z.number().min(0).max(1),
  rtoSeconds: z.number().positive(),
  rpoSeconds: z.number().positive(),
});
export type SloThresholds = z.infer<typeof sloThresholdsSchema>;

/** The runbook's numbers. */
export const DEFAULT_THRESHOLDS: Readonly<SloThresholds> = RUNBOOK_THRESHOLDS;

/** Overrides (config file, workflow input): any subset, unknown keys rejected. */
export const sloThresholdOverridesSchema = sloThresholdsSchema.partial().strict();
export type SloThresholdOverrides = z.infer<typeof sloThresholdOverridesSchema>;

/** Defaults with `overrides` applied; throws a zod error naming the bad key. */
export function resolveThresholds(overrides: unknown = {}, base: SloThresholds = DEFAULT_THRESHOLDS): SloThresholds {
  return { ...base, ...sloThresholdOverridesSchema.parse(overrides ?? {}) };
}

/**
 * Environment variable for each threshold. Rates accept a fraction (`0.995`) or a percentage
 * (`99.5%`); the others are plain numbers.
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `SLO_MAX_CONSECUTIVE_MISMATCH_RUNS` | 3 | breach when the order mismatch streak reaches it |
 * | `SLO_MAX_DATA_QUALITY_ERRORS` | 0 | data quality errors allowed per cycle |
 * | `SLO_MAX_STALE_WARNINGS` | 0 | stale warnings allowed per cycle |
 * | `SLO_ACK_SLA_SECONDS` | 900 | critical incident ack SLA |
 * | `SLO_MIN_RECONCILIATION_PASS_RATE` | 0.995 | minimum reconciliation pass rate |
 * | `SLO_MAX_OPERATIONAL_ERROR_RATE` | 0.02 | maximum operational error rate |
 * | `SLO_RTO_SECONDS` | 900 | recovery time objective |
 * | `SLO_RPO_SECONDS` | 60 | recovery point objective (runtime state age) |
 */
export const SLO_ENV_VARIABLES = {
  SLO_MAX_CONSECUTIVE_MISMATCH_RUNS: 'maxConsecutiveMismatchRuns',
  SLO_MAX_DATA_QUALITY_ERRORS: 'maxDataQualityErrorsPerCycle',
  SLO_MAX_STALE_WARNINGS: 'maxStaleWarningsPerCycle',
  SLO_ACK_SLA_SECONDS: 'ackSlaSeconds',
  SLO_MIN_RECONCILIATION_PASS_RATE: 'minReconciliationPassRate',
  SLO_MAX_OPERATIONAL_ERROR_RATE: 'maxOperationalErrorRate',
  SLO_RTO_SECONDS: 'rtoSeconds',
  SLO_RPO_SECONDS: 'rpoSeconds',
} as const satisfies Record<string, keyof SloThresholds>;

const RATE_KEYS = new Set<keyof SloThresholds>(['minReconciliationPassRate', 'maxOperationalErrorRate']);

export class SloConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid SLO thresholds:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SloConfigError';
  }
}

/**
 * Thresholds from `SLO_*` variables (see {@link SLO_ENV_VARIABLES}); unset or empty → default.
 * Throws {@link SloConfigError} naming every bad variable. `env` is passed in (domain code reads no
 * globals).
 */
export function thresholdsFromEnv(env: Readonly<Record<string, string | undefined>>, base: SloThresholds = DEFAULT_THRESHOLDS): SloThresholds {
  const overrides: Record<string, number> = {};
  const problems: string[] = [];
  for (const [name, key] of Object.entries(SLO_ENV_VARIABLES)) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    const pct = RATE_KEYS.has(key) && raw.endsWith('%');
    const n = Number(pct ? raw.slice(0, -1) : raw);
    if (!Number.isFinite(n)) {
      problems.push(`${name}: expected a number${RATE_KEYS.has(key) ? ' (0.995 or 99.5%)' : ''} (got "${raw}")`);
      continue;
    }
    overrides[key] = pct ? n / 100 : n;
  }
  const r = sloThresholdOverridesSchema.safeParse(overrides);
  if (!r.success) {
    for (const issue of r.error.issues) {
      const key = String(issue.path[0]);
      const name = Object.entries(SLO_ENV_VARIABLES).find(([, k]) => k === key)?.[0] ?? key;
      problems.push(`${name}: ${issue.message} (got "${env[name]}")`);
    }
  }
  if (problems.length) throw new SloConfigError(problems);
  return { ...base, ...(r.data ?? {}) };
}

// ---------------------------------------------------------------------------------------------------
// Event shapes the folds need (the full artifact schemas' outputs satisfy these)

export interface ReconFoldEvent {
  cycle: number;
  status: 'ok' | 'mismatch';
  ts?: string;
}
export interface DataQualityFoldEvent {
  cycle: number;
  errors: number;
  stale_warnings: number;
  ts?: string;
}
export type OpsSloFoldEvent =
  | {
      event_type: 'slo_snapshot';
      cycle: number;
      operations: number;
      operational_errors: number;
      reconciliation_cycles: number;
      reconciliation_passes: number;
      consecutive_mismatch_runs?: number;
      ts?: string;
    }
  | { event_type: 'slo_breach'; slo: string; value: number; threshold: number; severity: Severity; ts?: string; incident_id?: string };
export type IncidentFoldEvent =
  | { event_type: 'incident_open'; incident_id: string; ts: string; severity?: Severity }
  | { event_type: 'incident_ack'; incident_id: string; ts: string; ack_latency_seconds?: number }
  | { event_type: 'incident_resolved'; incident_id: string; ts: string };

/**
 * Light line validators with only the fields the folds read, for the tailer's fast path. They have
 * zod's `safeParse` shape but are hand-written: measured on this project's 2-core machine, a zod
 * object per line cost ~40% of the reader's throughput, these ~5% (bench/results.md). Every line the
 * full artifact schema accepts, these accept (test/unit/slo.test.ts checks it); the object is passed
 * through untouched.
 */
export interface LightIssue {
  path: PropertyKey[];
  message: string;
}
export type LightParse<T> = { success: true; data: T } | { success: false; error: { issues: LightIssue[] } };

function fail(field: string, message: string): { success: false; error: { issues: LightIssue[] } } {
  return { success: false, error: { issues: [{ path: field ? [field] : [], message }] } };
}
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const asObject = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

export const reconFoldLineSchema = {
  safeParse(value: unknown): LightParse<ReconFoldEvent & Record<string, unknown>> {
    const o = asObject(value);
    if (!o) return fail('', 'expected an object');
    if (!isCount(o.cycle)) return fail('cycle', 'expected a non-negative integer');
    if (o.status !== 'ok' && o.status !== 'mismatch') return fail('status', 'expected "ok" or "mismatch"');
    if (o.ts !== undefined && typeof o.ts !== 'string') return fail('ts', 'expected a string');
    return { success: true, data: o as ReconFoldEvent & Record<string, unknown> };
  },
};

export const dataQualityFoldLineSchema = {
  safeParse(value: unknown): LightParse<DataQualityFoldEvent & Record<string, unknown>> {
    const o = asObject(value);
    if (!o) return fail('', 'expected an object');
    if (!isCount(o.cycle)) return fail('cycle', 'expected a non-negative integer');
    if (!isCount(o.errors)) return fail('errors', 'expected a non-negative integer');
    if (!isCount(o.stale_warnings)) return fail('stale_warnings', 'expected a non-negative integer');
    if (o.ts !== undefined && typeof o.ts !== 'string') return fail('ts', 'expected a string');
    return { success: true, data: o as DataQualityFoldEvent & Record<string, unknown> };
  },
};

// ---------------------------------------------------------------------------------------------------
// State

export interface ReconCounters {
  cycles: number;
  passes: number;
  lastCycle: number | null;
  lastStatus: 'ok' | 'mismatch' | null;
  lastTs: string | null;
  currentMismatchRun: number;
  maxMismatchRun: number;
  /** Clean cycles in a row at the end (recovery: "two consecutive clean cycles"). */
  currentCleanRun: number;
  duplicates: number;
  restarts: number;
}

export interface SloBreachSeen {
  slo: string;
  value: number;
  threshold: number;
  severity: Severity;
  ts: string | null;
}

export interface SloState {
  v: 1;
  order: ReconCounters;
  position: ReconCounters;
  dataQuality: {
    cycles: number;
    lastCycle: number | null;
    lastTs: string | null;
    lastErrors: number | null;
    lastStaleWarnings: number | null;
    maxErrors: number;
    maxStaleWarnings: number;
    cyclesWithErrors: number;
    cyclesWithStaleWarnings: number;
    duplicates: number;
    restarts: number;
  };
  ops: {
    snapshots: number;
    lastCycle: number | null;
    lastTs: string | null;
    /** Counters of snapshots before the last counter reset. */
    base: { operations: number; operationalErrors: number; reconciliationCycles: number; reconciliationPasses: number };
    latest: {
      operations: number;
      operationalErrors: number;
      reconciliationCycles: number;
      reconciliationPasses: number;
      consecutiveMismatchRuns: number | null;
    } | null;
    resets: number;
    breaches: number;
    lastBreach: SloBreachSeen | null;
  };
  incidents: {
    opened: number;
    critical: number;
    criticalAcked: number;
    resolved: number;
    /** Longest open → ack among critical incidents, seconds. */
    maxCriticalAckSeconds: number | null;
    /** Critical incidents not yet acknowledged: id → opened at. Shrinks as acks arrive. */
    unackedCritical: Record<string, string>;
    /** Incidents opened and not resolved: id → opened at. */
    open: Record<string, string>;
  };
  /** Lines skipped as corrupt per artifact file, as counted by the reader (optional, set by it). */
  corruptLines?: Record<string, number>;
}

function emptyRecon(): ReconCounters {
  return {
    cycles: 0,
    passes: 0,
    lastCycle: null,
    lastStatus: null,
    lastTs: null,
    currentMismatchRun: 0,
    maxMismatchRun: 0,
    currentCleanRun: 0,
    duplicates: 0,
    restarts: 0,
  };
}

export function initialSloState(): SloState {
  return {
    v: 1,
    order: emptyRecon(),
    position: emptyRecon(),
    dataQuality: {
      cycles: 0,
      lastCycle: null,
      lastTs: null,
      lastErrors: null,
      lastStaleWarnings: null,
      maxErrors: 0,
      maxStaleWarnings: 0,
      cyclesWithErrors: 0,
      cyclesWithStaleWarnings: 0,
      duplicates: 0,
      restarts: 0,
    },
    ops: {
      snapshots: 0,
      lastCycle: null,
      lastTs: null,
      base: { operations: 0, operationalErrors: 0, reconciliationCycles: 0, reconciliationPasses: 0 },
      latest: null,
      resets: 0,
      breaches: 0,
      lastBreach: null,
    },
    incidents: { opened: 0, critical: 0, criticalAcked: 0, resolved: 0, maxCriticalAckSeconds: null, unackedCritical: {}, open: {} },
  };
}

/** Structural copy (state is plain JSON); folds never mutate their input. */
function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** 'dup' for a re-emitted cycle, 'reset' for a counter that went back, 'new' otherwise. */
function cycleKind(last: number | null, cycle: number): 'new' | 'dup' | 'reset' {
  if (last === null || cycle > last) return 'new';
  return cycle === last ? 'dup' : 'reset';
}

function foldRecon(prev: ReconCounters, events: Iterable<ReconFoldEvent>): ReconCounters {
  const c = { ...prev };
  for (const e of events) {
    const kind = cycleKind(c.lastCycle, e.cycle);
    if (kind === 'dup') {
      c.duplicates++;
      continue;
    }
    if (kind === 'reset') c.restarts++;
    c.cycles++;
    c.lastCycle = e.cycle;
    c.lastStatus = e.status;
    c.lastTs = e.ts ?? c.lastTs;
    if (e.status === 'ok') {
      c.passes++;
      c.currentMismatchRun = 0;
      c.currentCleanRun++;
    } else {
      c.currentCleanRun = 0;
      c.currentMismatchRun++;
      if (c.currentMismatchRun > c.maxMismatchRun) c.maxMismatchRun = c.currentMismatchRun;
    }
  }
  return c;
}

/** Folds `order_reconciliation_events.jsonl` records. */
export function foldOrderRecon(state: SloState, events: Iterable<ReconFoldEvent>): SloState {
  return { ...state, order: foldRecon(state.order, events) };
}

/** Folds `position_reconciliation_events.jsonl` records. */
export function foldPositionRecon(state: SloState, events: Iterable<ReconFoldEvent>): SloState {
  return { ...state, position: foldRecon(state.position, events) };
}

/** Folds `data_quality_events.jsonl` records (one per quality cycle). */
export function foldDataQuality(state: SloState, events: Iterable<DataQualityFoldEvent>): SloState {
  const d = { ...state.dataQuality };
  for (const e of events) {
    const kind = cycleKind(d.lastCycle, e.cycle);
    if (kind === 'dup') {
      d.duplicates++;
      continue;
    }
    if (kind === 'reset') d.restarts++;
    d.cycles++;
    d.lastCycle = e.cycle;
    d.lastTs = e.ts ?? d.lastTs;
    d.lastErrors = e.errors;
    d.lastStaleWarnings = e.stale_warnings;
    if (e.errors > d.maxErrors) d.maxErrors = e.errors;
    if (e.stale_warnings > d.maxStaleWarnings) d.maxStaleWarnings = e.stale_warnings;
    if (e.errors > 0) d.cyclesWithErrors++;
    if (e.stale_warnings > 0) d.cyclesWithStaleWarnings++;
  }
  return { ...state, dataQuality: d };
}

/** Folds `ops_slo_events.jsonl` records: `slo_snapshot` counters and `slo_breach` events. */
export function foldOpsSlo(state: SloState, events: Iterable<OpsSloFoldEvent>): SloState {
  const o = clone(state.ops);
  for (const e of events) {
    if (e.event_type === 'slo_breach') {
      o.breaches++;
      o.lastBreach = { slo: e.slo, value: e.value, threshold: e.threshold, severity: e.severity, ts: e.ts ?? null };
      continue;
    }
    const kind = cycleKind(o.lastCycle, e.cycle);
    if (kind === 'dup') continue;
    const next = {
      operations: e.operations,
      operationalErrors: e.operational_errors,
      reconciliationCycles: e.reconciliation_cycles,
      reconciliationPasses: e.reconciliation_passes,
      consecutiveMismatchRuns: e.consecutive_mismatch_runs ?? null,
    };
    // Counters that went backwards: the monitor restarted from zero; keep what it had counted.
    if (o.latest && (next.operations < o.latest.operations || next.reconciliationCycles < o.latest.reconciliationCycles)) {
      o.resets++;
      o.base.operations += o.latest.operations;
      o.base.operationalErrors += o.latest.operationalErrors;
      o.base.reconciliationCycles += o.latest.reconciliationCycles;
      o.base.reconciliationPasses += o.latest.reconciliationPasses;
    }
    o.snapshots++;
    o.lastCycle = e.cycle;
    o.lastTs = e.ts ?? o.lastTs;
    o.latest = next;
  }
  return { ...state, ops: o };
}

/** Folds `incident_events.jsonl` records (ack SLA evidence, open incidents). */
export function foldIncidents(state: SloState, events: Iterable<IncidentFoldEvent>): SloState {
  const s = clone(state.incidents);
  for (const e of events) {
    if (e.event_type === 'incident_open') {
      if (e.incident_id in s.open) continue; // duplicate open
      s.opened++;
      s.open[e.incident_id] = e.ts;
      if ((e.severity ?? 'critical') === 'critical') {
        s.critical++;
        s.unackedCritical[e.incident_id] = e.ts;
      }
    } else if (e.event_type === 'incident_ack') {
      const openedAt = s.unackedCritical[e.incident_id];
      // Ack of a warning incident, a duplicate ack, or one whose open we never saw.
      if (openedAt === undefined) continue;
      s.criticalAcked++;
      delete s.unackedCritical[e.incident_id];
      const latency = e.ack_latency_seconds ?? secondsBetween(openedAt, e.ts);
      if (latency !== null && (s.maxCriticalAckSeconds === null || latency > s.maxCriticalAckSeconds)) s.maxCriticalAckSeconds = latency;
    } else {
      if (!(e.incident_id in s.open)) continue;
      s.resolved++;
      delete s.open[e.incident_id];
    }
  }
  return { ...state, incidents: s };
}

// ---------------------------------------------------------------------------------------------------
// Evaluation

export const SLO_IDS = [
  'consecutive_mismatch_runs',
  'data_quality_errors',
  'stale_warnings',
  'reconciliation_pass_rate',
  'operational_error_rate',
  'ack_sla',
] as const;
export type SloId = (typeof SLO_IDS)[number] | 'rto' | 'rpo';

export type Comparator = '<' | '<=' | '>=' | '>' | '=';

export interface SloCriterion {
  id: SloId;
  label: string;
  /** Measured value; null when there is no evidence. Rates are fractions (0.995). */
  value: number | null;
  threshold: number;
  comparator: Comparator;
  /** undefined when `value` is null: a strict gate fails it, a lenient one skips it. */
  ok: boolean | undefined;
  severity: Severity;
  unit: 'count' | 'ratio' | 'seconds';
  /** Where the value came from, in words (for reports). */
  evidence: string;
}

export interface SloEvaluation {
  criteria: SloCriterion[];
  /** Criteria with `ok === false`. */
  breaches: SloCriterion[];
  /** Ids of criteria without evidence. */
  missing: SloId[];
}

export interface EvaluateOptions {
  /** `run` (default, promotion gate): worst over the run. `latest` (watcher): the current cycle/streak. */
  window?: 'run' | 'latest';
  /** ISO time "now" (workflow time): an unacknowledged critical incident older than the SLA breaches. */
  now?: string;
}

// Rates computed from integers can land a hair off the decimal threshold (0.1 + 0.2 style).
const EPS = 1e-12;

export function compare(value: number, comparator: Comparator, threshold: number): boolean {
  switch (comparator) {
    case '<':
      return value < threshold - EPS;
    case '<=':
      return value <= threshold + EPS;
    case '>=':
      return value >= threshold - EPS;
    case '>':
      return value > threshold + EPS;
    case '=':
      return Math.abs(value - threshold) <= EPS;
  }
}

export function criterion(c: Omit<SloCriterion, 'ok'>): SloCriterion {
  return { ...c, ok: c.value === null ? undefined : compare(c.value, c.comparator, c.threshold) };
}

/** Pass rate from the folded counters; see the file header for the definition. */
export function reconciliationPassRate(state: SloState): { value: number | null; evidence: string } {
  const checks = state.order.cycles + state.position.cycles;
  if (checks > 0) {
    const passes = state.order.passes + state.position.passes;
    return { value: passes / checks, evidence: `${passes}/${checks} order+position reconciliation checks passed` };
  }
  const o = state.ops;
  const cycles = o.base.reconciliationCycles + (o.latest?.reconciliationCycles ?? 0);
  if (cycles > 0) {
    const passes = o.base.reconciliationPasses + (o.latest?.reconciliationPasses ?? 0);
    return { value: passes / cycles, evidence: `${passes}/${cycles} from slo_snapshot counters (no reconciliation events)` };
  }
  return { value: null, evidence: 'no reconciliation events or snapshot counters' };
}

export function operationalErrorRate(state: SloState): { value: number | null; evidence: string } {
  const o = state.ops;
  if (!o.latest) return { value: null, evidence: 'no slo_snapshot events' };
  const ops = o.base.operations + o.latest.operations;
  const errs = o.base.operationalErrors + o.latest.operationalErrors;
  if (ops === 0) return { value: null, evidence: 'slo_snapshot reports 0 operations' };
  return { value: errs / ops, evidence: `${errs}/${ops} operations failed (latest slo_snapshot${o.resets ? `, ${o.resets} counter reset(s) added` : ''})` };
}

/** Turns folded state into the runbook's criteria. */
export function evaluateSlos(state: SloState, thresholds: SloThresholds = DEFAULT_THRESHOLDS, opts: EvaluateOptions = {}): SloEvaluation {
  const latest = opts.window === 'latest';
  const criteria: SloCriterion[] = [];

  const order = state.order;
  criteria.push(
    criterion({
      id: 'consecutive_mismatch_runs',
      label: 'Order reconciliation consecutive mismatch runs',
      value: order.cycles === 0 ? null : latest ? order.currentMismatchRun : order.maxMismatchRun,
      threshold: thresholds.maxConsecutiveMismatchRuns,
      comparator: '<',
      severity: 'critical',
      unit: 'count',
      evidence:
        order.cycles === 0
          ? 'no order reconciliation events'
          : `${order.cycles} order reconciliation cycles; ${latest ? 'current' : 'longest'} mismatch streak`,
    }),
  );

  const dq = state.dataQuality;
  const dqEvidence = dq.cycles === 0 ? 'no data quality cycles' : latest ? `cycle ${dq.lastCycle}` : `worst of ${dq.cycles} data quality cycles`;
  criteria.push(
    criterion({
      id: 'data_quality_errors',
      label: 'Data quality errors per quality cycle',
      value: dq.cycles === 0 ? null : latest ? dq.lastErrors : dq.maxErrors,
      threshold: thresholds.maxDataQualityErrorsPerCycle,
      comparator: '<=',
      severity: 'critical',
      unit: 'count',
      evidence: dqEvidence,
    }),
    criterion({
      id: 'stale_warnings',
      label: 'Data stale warnings per quality cycle',
      value: dq.cycles === 0 ? null : latest ? dq.lastStaleWarnings : dq.maxStaleWarnings,
      threshold: thresholds.maxStaleWarningsPerCycle,
      comparator: '<=',
      severity: 'warning',
      unit: 'count',
      evidence: dqEvidence,
    }),
  );

  const pass = reconciliationPassRate(state);
  criteria.push(
    criterion({
      id: 'reconciliation_pass_rate',
      label: 'Reconciliation pass rate',
      value: pass.value,
      threshold: thresholds.minReconciliationPassRate,
      comparator: '>=',
      severity: 'critical',
      unit: 'ratio',
      evidence: pass.evidence,
    }),
  );

  const err = operationalErrorRate(state);
  criteria.push(
    criterion({
      id: 'operational_error_rate',
      label: 'Operational error rate',
      value: err.value,
      threshold: thresholds.maxOperationalErrorRate,
      comparator: '<=',
      severity: 'warning',
      unit: 'ratio',
      evidence: err.evidence,
    }),
  );

  const inc = state.incidents;
  let ack: number | null = inc.maxCriticalAckSeconds;
  let ackEvidence = inc.critical === 0 ? 'no critical incidents' : `${inc.critical} critical incident(s), longest acknowledgment`;
  const unacked = Object.entries(inc.unackedCritical);
  if (unacked.length && opts.now) {
    for (const [id, openedAt] of unacked) {
      const age = secondsBetween(openedAt, opts.now);
      if (age !== null && (ack === null || age > ack)) {
        ack = age;
        ackEvidence = `incident ${id} unacknowledged for ${Math.round(age)} s`;
      }
    }
  } else if (unacked.length) ackEvidence += `; ${unacked.length} unacknowledged (no "now" given to age them)`;
  // No critical incident is evidence that nothing waited on an ack: 0, not missing.
  if (inc.critical === 0) ack = 0;
  criteria.push(
    criterion({
      id: 'ack_sla',
      label: 'Critical incident acknowledgment',
      value: ack,
      threshold: thresholds.ackSlaSeconds,
      comparator: '<=',
      severity: 'critical',
      unit: 'seconds',
      evidence: ackEvidence,
    }),
  );

  return {
    criteria,
    breaches: criteria.filter((c) => c.ok === false),
    missing: criteria.filter((c) => c.value === null).map((c) => c.id),
  };
}

/** RTO / RPO criteria for a drill's measured recovery (null = not measured). */
export function recoveryCriteria(
  measured: { rtoSeconds: number | null; rpoSeconds: number | null },
  thresholds: SloThresholds = DEFAULT_THRESHOLDS,
): SloCriterion[] {
  return [
    criterion({
      id: 'rto',
      label: 'Recovery time (detection → first clean reconciliation)',
      value: measured.rtoSeconds,
      threshold: thresholds.rtoSeconds,
      comparator: '<=',
      severity: 'critical',
      unit: 'seconds',
      evidence: measured.rtoSeconds === null ? 'not measured' : 'drill timeline',
    }),
    criterion({
      id: 'rpo',
      label: 'Runtime state data loss (RPO)',
      value: measured.rpoSeconds,
      threshold: thresholds.rpoSeconds,
      comparator: '<=',
      severity: 'critical',
      unit: 'seconds',
      evidence: measured.rpoSeconds === null ? 'not measured' : 'age of the last state save at stop',
    }),
  ];
}

/** Gate verdict over criteria: strict fails on missing evidence, lenient skips it. */
export function sloVerdict(criteria: readonly SloCriterion[], { strict = true } = {}): { pass: boolean; failed: SloId[]; missing: SloId[] } {
  const failed = criteria.filter((c) => c.ok === false).map((c) => c.id);
  const missing = criteria.filter((c) => c.ok === undefined).map((c) => c.id);
  return { pass: failed.length === 0 && (!strict || missing.length === 0), failed, missing };
}
