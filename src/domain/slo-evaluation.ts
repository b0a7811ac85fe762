/**
 * The runbook's operational SLOs as criteria: `evaluateSlos(state, thresholds)` turns the folded
 * {@link SloState} (`slo-fold.ts`) into criteria with measured value, threshold and verdict; RTO / RPO
 * criteria for a drill; the gate verdict over criteria. Missing evidence is `value: null, ok:
 * undefined`: a strict gate fails on it, a lenient one skips it. No I/O, no clock.
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
 *
 * How the folds count duplicate and reset cycles: `slo-fold.ts`.
 */
import { secondsBetween } from './durations';
import { type Severity } from './severity';
import { DEFAULT_THRESHOLDS, type SloThresholds } from './slo';
import { type SloState } from './slo-fold';

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
