/**
 * The weekly DR drill (runbook "Disaster Recovery Drill (Weekly)"): its input, the chaos scenarios
 * and how each is detected, the observation state the workflow folds activity results into, and
 * the RTO/RPO maths with verdicts. Pure: no I/O, no host clock (every time is passed in as data).
 */
import { z } from 'zod';
import { auditSettingsSchema } from './drill-record';
import { drillIdSchema, targetNameSchema } from './ids';
import { DEFAULT_THRESHOLDS } from './slo';
import { type FaultName } from './target';
import { mulberry32 } from './rng';
import { secondsBetweenMs } from './durations';

// ---------------------------------------------------------------------------------------------
// Chaos scenarios

/**
 * What "the target detected it" means per fault, in the target's own artifacts: an SLO breach
 * (`ops_slo_events.jsonl`), an incident (`incident_events.jsonl`), a data quality issue, or a
 * reconciliation mismatch. A fault with no entry has no known signal: any SLO breach or incident
 * opened after the injection counts, and if none comes the scenario is reported as undetected.
 */
export interface DetectionSpec {
  slos?: readonly string[];
  dataQualityKinds?: readonly string[];
  positionMismatch?: boolean;
}

export const DETECTION: Partial<Record<FaultName, DetectionSpec>> = {
  stale_data: { slos: ['data_stale_warnings'], dataQualityKinds: ['stale'] },
  corrupt_bars: { slos: ['data_quality_errors'], dataQualityKinds: ['corrupt', 'non_positive_price', 'ohlc_inconsistent', 'gap', 'missing'] },
  order_drift: { slos: ['order_reconciliation_consecutive_mismatch_runs'] },
  position_drift: { slos: ['reconciliation_pass_rate'], positionMismatch: true },
  broker_disconnect: { slos: ['broker_api_connected', 'operational_error_rate'] },
  websocket_silence: { slos: ['broker_websocket_silent'] },
};

/** Faults that act on the running process (the others act at the next start, or kill it). */
export const CHAOS_FAULTS = [
  'stale_data',
  'corrupt_bars',
  'order_drift',
  'position_drift',
  'broker_disconnect',
  'websocket_silence',
  'state_saves_stop',
] as const satisfies readonly FaultName[];
export const chaosScenarioSchema = z.enum(CHAOS_FAULTS, { error: `expected a chaos scenario: one of ${CHAOS_FAULTS.join(', ')}` });
export type ChaosScenario = z.infer<typeof chaosScenarioSchema>;

/** The default set: one per incident class of the runbook (data quality, reconciliation, broker). */
export const DEFAULT_SCENARIOS: readonly ChaosScenario[] = ['stale_data', 'order_drift', 'broker_disconnect'];

/** The scenarios in the order the seed gives (Fisher-Yates): same seed, same drill. */
export function chaosOrder(scenarios: readonly ChaosScenario[], seed: number): ChaosScenario[] {
  const out = [...new Set(scenarios)];
  const r = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Input

const seconds = (dflt: number, max = 7 * 86400) => z.number().positive().max(max).default(dflt);

export const weeklyDrillInputSchema = z.object({
  target: targetNameSchema,
  /** Default: derived from the workflow id (deterministic; a schedule's run ids differ per run). */
  drillId: drillIdSchema.optional(),
  /** Orders the chaos scenarios. */
  seed: z.number().int().default(42),
  scenarios: z
    .array(chaosScenarioSchema)
    .max(20)
    .default([...DEFAULT_SCENARIOS]),
  /** A live target is refused unless this is true. */
  allowLive: z.boolean().default(false),
  mode: z.enum(['paper', 'live']).optional(),
  rtoSeconds: z.number().positive().max(86400).default(DEFAULT_THRESHOLDS.rtoSeconds),
  rpoSeconds: z.number().positive().max(86400).default(DEFAULT_THRESHOLDS.rpoSeconds),
  /** The whole drill; past it the drill is aborted and rolled back. */
  maxDrillSeconds: seconds(3600),
  /** Per chaos scenario: injection → the target's detection. */
  detectionSeconds: seconds(120),
  /** Per chaos scenario: clear → the target reports healthy signals again. */
  recoverySeconds: seconds(120),
  /** Stop request → process gone. */
  stopSeconds: seconds(300),
  /** Start → target serving again (a restart slower than this aborts the wait; the RTO verdict still counts). */
  restartSeconds: seconds(1800),
  /** Restart → fresh reconciliation events, a clean cycle and SLO snapshots. */
  verifySeconds: seconds(300),
  /** Stop condition: target unhealthy this long outside the stop/restart window aborts the drill. */
  unhealthySeconds: seconds(60),
  /** Interval between polls of outside state (one activity per poll). */
  pollMs: z.number().int().min(20).max(60000).default(1000),
  /** The test record (issue 13): who owns findings, who signs the drill off, and how long they have. */
  audit: auditSettingsSchema.prefault({}),
});
export type WeeklyDrillInput = z.input<typeof weeklyDrillInputSchema>;
export type WeeklyDrillParams = z.output<typeof weeklyDrillInputSchema>;

/** A drill id from a workflow id: the safe-id alphabet, at most 128 characters. */
export function drillIdFromWorkflowId(workflowId: string): string {
  const s = workflowId.replace(/[^A-Za-z0-9_.:-]/g, '_').replace(/^[.-]+/, '');
  return (s || 'drill').slice(-128);
}

// ---------------------------------------------------------------------------------------------
// Steps and status

export const DRILL_STEPS = ['preflight', 'chaos', 'stop', 'restart', 'record', 'evidence', 'rollback'] as const;
export type DrillStepName = (typeof DRILL_STEPS)[number];
export type DrillResult = 'pass' | 'fail' | 'error' | 'aborted';

export interface DrillStepRecord {
  index: number;
  name: DrillStepName;
  status: 'running' | 'ok' | 'failed' | 'skipped';
  startedAt: string;
  finishedAt?: string;
  detail?: string;
}

export interface DrillTimeline {
  /** When the outage was first seen: the first health answer after the stop request that was not healthy (the process adapter's own check while stopping, else the runner's probe after the stop). */
  detectedAt?: string;
  /** Outage start: when the process adapter first issued the stop (its keyed `.pending` record; a retried stop keeps it). */
  stopRequestedAt?: string;
  /** When the adapter saw the process gone. */
  stoppedAt?: string;
  /** Restart complete: the restarted process's own ready time (`serving_at` of its health answer, with a boot id or start time that differs from the preflight's); the runner's poll time only for a target whose health gives no ready time. */
  restartCompleteAt?: string;
  /** The restarted process's own start time (`started_at` of its health answer). */
  restartStartedAt?: string;
  /** The restarted process's boot id. */
  restartBootId?: string;
  /** The first cycle after the restart whose order and position reconciliation were both clean (the target's own `ts`). */
  firstCleanReconciliationAt?: string;
  /** `saved_at` of the last runtime-state save before the process went down. */
  lastStateSaveAt?: string;
  /** `saved_at` of the state the restarted process actually restored (its digest equals that save's): the RPO's end. */
  restoredStateSavedAt?: string;
  /** The first SLO snapshot after the restart. */
  firstSloSnapshotAt?: string;
}

export interface ChaosScenarioResult {
  scenario: ChaosScenario;
  injectedAt: string;
  detected: boolean;
  detectedAt?: string;
  detectionSeconds?: number;
  /** What detected it: `slo_breach:<slo>`, `incident_open:<id>`, `data_quality:<kind>`, `position_mismatch`. */
  signal?: string;
  clearedAt?: string;
  recovered?: boolean;
  recoveredAt?: string;
  detail?: string;
}

export interface ChaosDrillReport {
  schemaVersion: 1;
  generatedAt: string;
  target: string;
  drillId?: string;
  seed: number;
  detectionBoundSeconds: number;
  scenarios: ChaosScenarioResult[];
  /** True only when at least one scenario ran and every one was detected and recovered: never for a skipped chaos drill. */
  passed: boolean;
  failures: string[];
  /** `skipped`: nothing was injected (the target declares no fault injection, or no scenario was asked for). */
  status?: ChaosDrillStatus;
  /** Scenarios asked for but not run, each with why. */
  skipped?: Array<{ scenario: ChaosScenario; reason: string }>;
  /** How the target injects faults (`none`: it declares none). */
  faultAdapter?: 'http' | 'shell' | 'none';
}

export type ChaosDrillStatus = 'passed' | 'failed' | 'skipped';

/** Why a scenario is not run on a target (its fault declaration). */
export function chaosSkipReason(adapter: 'http' | 'shell' | 'none'): string {
  return adapter === 'none'
    ? 'the target declares no fault injection (targets entry "faults")'
    : `the target's ${adapter} fault declaration has no inject/clear for it`;
}

/**
 * The chaos drill's report (`results/chaos_drill_latest.json`) from what ran. Skipped when nothing
 * ran: `passed` is then false, `status` says `skipped` and `skipped` says why per scenario.
 */
export function chaosDrillReport(x: {
  generatedAt: string;
  target: string;
  drillId?: string;
  seed: number;
  detectionBoundSeconds: number;
  recoveryBoundSeconds: number;
  results: ChaosScenarioResult[];
  skipped: Array<{ scenario: ChaosScenario; reason: string }>;
  faultAdapter: 'http' | 'shell' | 'none';
  extraFailures?: string[];
}): ChaosDrillReport {
  const undetected = x.results.filter((c) => !c.detected).map((c) => c.scenario);
  const unrecovered = x.results.filter((c) => c.detected && c.recovered === false).map((c) => c.scenario);
  const failures = [
    ...undetected.map((s) => `chaos scenario ${s} not detected within ${x.detectionBoundSeconds} s`),
    ...unrecovered.map((s) => `chaos scenario ${s}: target did not recover within ${x.recoveryBoundSeconds} s of the clear`),
    ...(x.extraFailures ?? []),
  ];
  const status: ChaosDrillStatus = x.results.length === 0 && failures.length === 0 ? 'skipped' : failures.length ? 'failed' : 'passed';
  return {
    schemaVersion: 1,
    generatedAt: x.generatedAt,
    target: x.target,
    ...(x.drillId ? { drillId: x.drillId } : {}),
    seed: x.seed,
    detectionBoundSeconds: x.detectionBoundSeconds,
    scenarios: x.results,
    passed: status === 'passed',
    failures,
    status,
    skipped: x.skipped,
    faultAdapter: x.faultAdapter,
  };
}

// ---------------------------------------------------------------------------------------------
// Observation: what the activities read from the target's artifacts, folded by the workflow

export interface ObservedEvents {
  slo: Array<{ ts: string; event_type: string; slo?: string; severity?: string; incident_id?: string }>;
  incidents: Array<{ ts: string; event_type: string; incident_id: string; severity?: string; slo?: string }>;
  dataQuality: Array<{ ts: string; errors: number; stale_warnings: number; kinds: string[] }>;
  order: Array<{ ts: string; cycle: number; status: string }>;
  position: Array<{ ts: string; cycle: number; status: string }>;
}

export function emptyObserved(): ObservedEvents {
  return { slo: [], incidents: [], dataQuality: [], order: [], position: [] };
}

const KEEP = 400;

/** Appends new events, keeping at most the first and last few hundred per kind (bounded history). */
export function foldObserved(acc: ObservedEvents, next: ObservedEvents): ObservedEvents {
  const cat = <T>(a: T[], b: T[]) => {
    const all = a.concat(b);
    return all.length <= KEEP ? all : all.slice(0, KEEP / 2).concat(all.slice(-KEEP / 2));
  };
  return {
    slo: cat(acc.slo, next.slo),
    incidents: cat(acc.incidents, next.incidents),
    dataQuality: cat(acc.dataQuality, next.dataQuality),
    order: cat(acc.order, next.order),
    position: cat(acc.position, next.position),
  };
}

const after = (ts: string, sinceMs: number) => Date.parse(ts) >= sinceMs;

/** The first signal, at or after `sinceMs`, by which the target detected `scenario`. */
/** The result fields of a detected scenario: when, by which signal, and how long after injection. */
export function detectedFields(
  d: { at: string; signal: string },
  sinceMs: number,
): Pick<ChaosScenarioResult, 'detected' | 'detectedAt' | 'signal' | 'detectionSeconds'> {
  return { detected: true, detectedAt: d.at, signal: d.signal, detectionSeconds: Math.max(0, (Date.parse(d.at) - sinceMs) / 1000) };
}

export function detectScenario(scenario: ChaosScenario, obs: ObservedEvents, sinceMs: number): { at: string; signal: string } | undefined {
  const spec = DETECTION[scenario];
  const found: Array<{ at: string; signal: string }> = [];
  for (const e of obs.slo) {
    if (e.event_type !== 'slo_breach' || !after(e.ts, sinceMs)) continue;
    if (!spec || spec.slos?.includes(e.slo ?? '')) found.push({ at: e.ts, signal: `slo_breach:${e.slo}` });
  }
  for (const e of obs.incidents) {
    if (e.event_type !== 'incident_open' || !after(e.ts, sinceMs)) continue;
    if (!spec || spec.slos?.includes(e.slo ?? '')) found.push({ at: e.ts, signal: `incident_open:${e.incident_id}` });
  }
  if (spec?.dataQualityKinds) {
    for (const e of obs.dataQuality) {
      const kind = e.kinds.find((k) => spec.dataQualityKinds!.includes(k));
      if (kind && after(e.ts, sinceMs)) found.push({ at: e.ts, signal: `data_quality:${kind}` });
    }
  }
  if (spec?.positionMismatch)
    for (const e of obs.position) if (e.status === 'mismatch' && after(e.ts, sinceMs)) found.push({ at: e.ts, signal: 'position_mismatch' });
  found.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return found[0];
}

/** After a clear: the scenario's own signal is healthy again (a clean cycle of the kind it broke). */
export function scenarioRecovered(scenario: ChaosScenario, obs: ObservedEvents, sinceMs: number): string | undefined {
  const first = <T extends { ts: string }>(xs: T[], ok: (x: T) => boolean) => xs.find((x) => after(x.ts, sinceMs) && ok(x))?.ts;
  switch (scenario) {
    case 'stale_data':
    case 'corrupt_bars':
      return first(obs.dataQuality, (e) => e.errors === 0 && e.stale_warnings === 0);
    case 'order_drift':
      return first(obs.order, (e) => e.status === 'ok');
    case 'position_drift':
      return first(obs.position, (e) => e.status === 'ok');
    default:
      // Broker and state faults: any SLO snapshot after the clear shows the loops alive.
      return first(obs.slo, (e) => e.event_type === 'slo_snapshot');
  }
}

/** The first cycle at or after `sinceMs` with both order and position reconciliation clean. */
export function firstCleanReconciliation(obs: ObservedEvents, sinceMs: number): string | undefined {
  const positions = new Map(obs.position.filter((p) => after(p.ts, sinceMs)).map((p) => [p.cycle, p]));
  for (const o of obs.order) {
    if (!after(o.ts, sinceMs) || o.status !== 'ok') continue;
    const p = positions.get(o.cycle);
    if (p && p.status === 'ok') return Date.parse(p.ts) > Date.parse(o.ts) ? p.ts : o.ts;
  }
  return undefined;
}

export function firstAfter<T extends { ts: string }>(xs: readonly T[], sinceMs: number, ok: (x: T) => boolean = () => true): string | undefined {
  return xs.find((x) => after(x.ts, sinceMs) && ok(x))?.ts;
}

// ---------------------------------------------------------------------------------------------
// RTO / RPO

export interface RecoveryMeasure {
  seconds: number | null;
  targetSeconds: number;
  ok: boolean;
}

/** The definitions the figures follow, written into every drill report (and docs/target-contract.md §7.1). */
export const RECOVERY_DEFINITIONS = {
  rto: "RTO = outage start (the process adapter's record of when it first issued the stop) → the first clean reconciliation after the restart (the target's own reconciliation timestamps, a cycle of the new boot with orders and positions both ok). Never the time a probe happened to look.",
  rpo: "RPO = saved_at of the runtime state the restarted process actually restored (its digest equals that save's) → outage start; 0 when the stop flushed the state. Not measured when the restore is not digest-verified.",
  timeToDetect: 'time to detect = outage start → the first health answer that was not healthy.',
  restartComplete:
    "restart complete = the restarted process's own ready time (serving_at of its health answer, with a boot id or start time that differs from the preflight's).",
} as const;

/** The RTO's parts, each from the outage start (seconds; null when not observed). */
export interface RecoveryBreakdown {
  outageStartAt: string | null;
  timeToDetectSeconds: number | null;
  restartCompleteSeconds: number | null;
  firstCleanReconciliationSeconds: number | null;
}

export function recoveryBreakdown(t: DrillTimeline): RecoveryBreakdown {
  return {
    outageStartAt: t.stopRequestedAt ?? null,
    timeToDetectSeconds: secondsBetweenMs(t.stopRequestedAt, t.detectedAt),
    restartCompleteSeconds: secondsBetweenMs(t.stopRequestedAt, t.restartCompleteAt),
    firstCleanReconciliationSeconds: secondsBetweenMs(t.stopRequestedAt, t.firstCleanReconciliationAt),
  };
}

/**
 * See {@link RECOVERY_DEFINITIONS}. RTO: outage start → first clean reconciliation after the restart
 * (recovery means trading reconciles cleanly again, not merely "process up"). RPO: saved_at of the
 * state actually restored → outage start. Both from the target's or the adapter's own timestamps,
 * so a worker that dies mid-drill cannot move them. Missing evidence means no number and a failed
 * verdict.
 */
export function recoveryMeasures(t: DrillTimeline, targets: { rtoSeconds: number; rpoSeconds: number }): { rto: RecoveryMeasure; rpo: RecoveryMeasure } {
  const rto = secondsBetweenMs(t.stopRequestedAt, t.firstCleanReconciliationAt);
  const rpo = secondsBetweenMs(t.restoredStateSavedAt, t.stopRequestedAt);
  return {
    rto: { seconds: rto, targetSeconds: targets.rtoSeconds, ok: rto !== null && rto <= targets.rtoSeconds },
    rpo: { seconds: rpo, targetSeconds: targets.rpoSeconds, ok: rpo !== null && rpo <= targets.rpoSeconds },
  };
}

/**
 * The drill's verdict. `error`: it could not run (refused, target unreachable, an adapter failed);
 * `aborted`: cancelled or past its maximum duration / a stop condition; `fail`: it ran and found a
 * problem (a failed check, RTO or RPO over target); else `pass`.
 */
export function drillVerdict(i: {
  ran: boolean;
  aborted: boolean;
  errored: boolean;
  failures: readonly string[];
  rto: RecoveryMeasure;
  rpo: RecoveryMeasure;
}): { result: DrillResult; failures: string[] } {
  const failures = [...i.failures];
  if (i.ran) {
    if (!i.rto.ok)
      failures.push(
        i.rto.seconds === null
          ? 'RTO not measured: no clean reconciliation after the restart'
          : `RTO ${i.rto.seconds} s exceeds the target ${i.rto.targetSeconds} s`,
      );
    if (!i.rpo.ok)
      failures.push(
        i.rpo.seconds === null
          ? 'RPO not measured: no digest-verified restore of a runtime state save'
          : `RPO ${i.rpo.seconds} s exceeds the target ${i.rpo.targetSeconds} s`,
      );
  }
  const result: DrillResult = i.aborted ? 'aborted' : i.errored ? 'error' : failures.length ? 'fail' : 'pass';
  return { result, failures: [...new Set(failures)] };
}

/**
 * Whether a healthy answer after the restart comes from a new life of the process: `new` when its
 * boot id (else its start time) differs from the preflight's, `same` when it is equal, `unknown` when
 * the two answers carry nothing to compare.
 */
export function restartEvidence(before: { bootId?: string; startedAt?: string }, after: { bootId?: string; startedAt?: string }): 'new' | 'same' | 'unknown' {
  if (before.bootId && after.bootId) return before.bootId === after.bootId ? 'same' : 'new';
  if (before.startedAt && after.startedAt) return Date.parse(before.startedAt) === Date.parse(after.startedAt) ? 'same' : 'new';
  return 'unknown';
}

/** Preflight: decides from the snapshot whether the drill may proceed. */
export interface PreflightSnapshot {
  checkedAt: string;
  mode: 'paper' | 'live';
  runId: string;
  healthy: boolean;
  healthDetail: string;
  bootId?: string;
  /** The running process's own start time (health `started_at`): with the boot id, what a restart must change. */
  startedAt?: string;
  entriesHalted: boolean;
  haltReason: string | null;
  openCriticalIncidents: string[];
  activeFaults: string[];
  lastSave: { savedAt: string; seq: number; ageSeconds: number } | null;
  brokerHealthy: boolean | null;
  loops?: Record<string, boolean>;
}

export function preflightProblems(s: PreflightSnapshot, allowLive: boolean): { refused: string[] } {
  const refused: string[] = [];
  if (s.mode === 'live' && !allowLive) refused.push('target is in live mode: refused (pass allowLive: true to drill a live target)');
  if (!s.healthy) refused.push(`target is not healthy (${s.healthDetail})`);
  if (s.openCriticalIncidents.length) refused.push(`open critical incident(s): ${s.openCriticalIncidents.join(', ')}`);
  return { refused };
}

export interface WeeklyDrillStatus {
  drillId: string;
  target: string;
  /** The step running now (or the last one). */
  step: DrillStepName | 'done';
  stepIndex: number;
  startedAt: string;
  steps: DrillStepRecord[];
  timeline: DrillTimeline;
  chaos: ChaosScenarioResult[];
  failures: string[];
  rto?: RecoveryMeasure;
  rpo?: RecoveryMeasure;
  result?: DrillResult;
  reportPath?: string;
  abortReason?: string;
}

export interface WeeklyDrillResult {
  drillId: string;
  target: string;
  result: DrillResult;
  rto: RecoveryMeasure;
  rpo: RecoveryMeasure;
  /** The RTO's parts from the outage start (issue 9; absent from drills started before it). */
  recovery?: RecoveryBreakdown;
  failures: string[];
  reportPath?: string;
  abortReason?: string;
}
