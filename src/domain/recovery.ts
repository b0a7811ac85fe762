/**
 * The runbook's "Recovery Decision Tree" as pure criteria: when a reconciliation cycle is clean, when
 * a data quality cycle counts, when the broker is healthy. `recoveryWorkflow` feeds them one probe per
 * cycle and waits between cycles.
 *
 * - reconciliation: a recovery cycle is the set of reconciliation events the target wrote since the
 *   previous probe. Clean: at least one order and position check, all passed, no stuck lifecycle
 *   transitions. Dirty: any mismatch. Idle: nothing new (the target did not reconcile; neither counts
 *   nor resets). Two consecutive clean cycles pass; a dirty one resets the count to zero.
 * - data quality: our own validation of the latest 30 daily bars of every active symbol must be clean
 *   (no critical issue, no stale warning), and then one full quality cycle of the target, begun after
 *   that, must report zero errors and zero stale warnings. Any dirty probe starts over.
 * - broker: API and websocket healthy, then the reconciliation criterion above.
 */
import { z } from 'zod';
import { cycleSecondsSchema, maxWaitSecondsSchema } from './incident-tuning';
import { incidentClassSchema } from './classification';
import { incidentIdSchema, runIdSchema, targetNameSchema } from './ids';
import { severitySchema } from './severity';
import { type SloState } from './slo-fold';

export const recoveryInputSchema = z.object({
  runId: runIdSchema,
  incidentId: incidentIdSchema,
  target: targetNameSchema,
  incidentClass: incidentClassSchema,
  severity: severitySchema.default('critical'),
  openedAt: z.iso.datetime({ offset: true }),
  /** 1 for the first recovery of the incident; +1 per reclassification. */
  attempt: z.number().int().min(1).default(1),
  /** Seconds between probes (one activity per cycle). */
  cycleSeconds: cycleSecondsSchema.default(30),
  /** Past this the branch escalates (pages) and stays halted. */
  maxWaitSeconds: maxWaitSecondsSchema.default(1800),
  cleanCyclesRequired: z.number().int().min(1).max(100).default(2),
  /** v1 only: the kill-switch reason used when entries had to be halted again (v2 leaves halts to the registry). */
  haltReason: z.string().min(1).max(500).optional(),
  /** Broker branch: restart the target's broker session (its process) once. */
  restartBroker: z.boolean().default(true),
  /** v2: the cycles of one heartbeating activity (it returns earlier on progress). Sane bounds. */
  batchSeconds: z.number().min(10).max(3600).default(300),
  /** v2: continue-as-new after this many batches (or earlier when the server suggests it). */
  batchesPerRun: z.number().int().min(1).max(1000).default(100),
  /** v2: state carried over continue-as-new. */
  carried: z.unknown().optional(),
});
export type RecoveryInput = z.input<typeof recoveryInputSchema>;
export type RecoveryParams = z.output<typeof recoveryInputSchema>;

export type CycleVerdict = 'clean' | 'dirty' | 'idle';

export interface ReconCounts {
  orderCycles: number;
  orderPasses: number;
  positionCycles: number;
  positionPasses: number;
}

export function reconCounts(s: SloState | null): ReconCounts {
  if (!s) return { orderCycles: 0, orderPasses: 0, positionCycles: 0, positionPasses: 0 };
  return { orderCycles: s.order.cycles, orderPasses: s.order.passes, positionCycles: s.position.cycles, positionPasses: s.position.passes };
}

/** One reconciliation recovery cycle, from the counters before and after the probe's read. */
export function reconciliationVerdict(before: ReconCounts, after: ReconCounts, stuckTransitions = 0): CycleVerdict {
  const dOrder = after.orderCycles - before.orderCycles;
  const dPos = after.positionCycles - before.positionCycles;
  const failedOrder = dOrder - (after.orderPasses - before.orderPasses);
  const failedPos = dPos - (after.positionPasses - before.positionPasses);
  if (failedOrder > 0 || failedPos > 0 || stuckTransitions > 0) return 'dirty';
  if (dOrder <= 0 && dPos <= 0) return 'idle';
  return 'clean';
}

/** Clean adds one, dirty resets to zero, idle keeps the count. */
export function nextCleanStreak(streak: number, verdict: CycleVerdict): number {
  return verdict === 'clean' ? streak + 1 : verdict === 'dirty' ? 0 : streak;
}

export interface DataQualityProbe {
  /** Our validation of the latest bars; null when the data source could not be read. */
  validation: { errors: number; staleWarnings: number; symbols: number; issues: string[] } | null;
  /** The target's `data_quality_latest.json`; null when missing or invalid. */
  latest: { cycle: number; errors: number; stale_warnings: number } | null;
}

export interface DataQualityProgress {
  /** The target's quality cycle seen when our validation first came back clean (-1: none seen yet). */
  cleanFromCycle: number | null;
}

/** One data quality recovery cycle. `passed` once a full target quality cycle after a clean validation is clean. */
export function dataQualityStep(
  p: DataQualityProgress,
  probe: DataQualityProbe,
): { progress: DataQualityProgress; verdict: CycleVerdict; passed: boolean; reason: string } {
  const v = probe.validation;
  if (!v) return { progress: { cleanFromCycle: null }, verdict: 'dirty', passed: false, reason: 'data source unreachable: bars could not be fetched' };
  if (v.errors > 0 || v.staleWarnings > 0)
    return {
      progress: { cleanFromCycle: null },
      verdict: 'dirty',
      passed: false,
      reason: `bar validation: ${v.errors} critical issue(s), ${v.staleWarnings} stale warning(s)`,
    };
  const l = probe.latest;
  if (l && p.cleanFromCycle !== null && l.cycle > p.cleanFromCycle && (l.errors > 0 || l.stale_warnings > 0)) {
    return {
      progress: { cleanFromCycle: null },
      verdict: 'dirty',
      passed: false,
      reason: `quality cycle ${l.cycle}: ${l.errors} error(s), ${l.stale_warnings} stale warning(s)`,
    };
  }
  if (p.cleanFromCycle === null)
    return {
      progress: { cleanFromCycle: l?.cycle ?? -1 },
      verdict: 'clean',
      passed: false,
      reason: `bars of ${v.symbols} symbol(s) valid; waiting for one full quality cycle`,
    };
  if (l && l.cycle > p.cleanFromCycle)
    return { progress: p, verdict: 'clean', passed: true, reason: `quality cycle ${l.cycle} clean after a clean validation` };
  return { progress: p, verdict: 'idle', passed: false, reason: 'waiting for the next quality cycle' };
}

export const RECOVERY_CRITERIA: Record<z.infer<typeof incidentClassSchema>, string> = {
  data_quality: 'latest 30 daily bars of every active symbol valid, then one full quality cycle with zero errors and zero stale warnings',
  reconciliation: 'two consecutive clean reconciliation cycles (a dirty cycle resets the count)',
  broker_connectivity: 'broker API and websocket healthy after a session restart, then two consecutive clean reconciliation cycles',
};

export interface TimelineEntry {
  at: string;
  step: string;
  detail?: string;
}

export interface RecoveryStatus {
  incidentId: string;
  /** v2: continue-as-new count and activity batches so far. */
  continuedAsNew?: number;
  batches?: number;
  incidentClass: string;
  attempt: number;
  phase: string;
  cycles: number;
  cleanStreak: number;
  cleanCyclesRequired: number;
  dirtyResets: number;
  rehalts: number;
  deadline: string;
  criteria: string;
  lastReason: string | null;
  timeline: TimelineEntry[];
}

export interface RecoveryResult {
  outcome: 'recovered' | 'escalated';
  incidentClass: string;
  attempt: number;
  cycles: number;
  dirtyResets: number;
  rehalts: number;
  timeline: TimelineEntry[];
  evidence: Record<string, unknown>;
  escalation?: { at: string; pageOutcome: string; dedupKey: string };
}

// ---------------------------------------------------------------------------------------------------
// v2: the cycles of a branch run inside one heartbeating activity; these pure steps decide each one.

/** The waits of the decision tree that poll: each runs as batches of cycles in one activity. */
export const CYCLE_BRANCHES = ['reconciliation', 'data_quality', 'broker_health'] as const;
export type CycleBranch = (typeof CYCLE_BRANCHES)[number];

/** Where a branch's wait stands; plain JSON, carried from batch to batch and over continue-as-new. */
export interface RecoveryProgress {
  branch: CycleBranch;
  /** Probes so far in this branch. */
  cycles: number;
  cleanStreak: number;
  dirtyResets: number;
  lastVerdict: CycleVerdict | null;
  lastReason: string | null;
  /** Reconciliation: file cursors and folded counters at the last probe; null until the baseline. */
  recon: { cursors: Record<string, unknown>; state: SloState } | null;
  dq: DataQualityProgress;
  lifecycleTransitionsRecovered: boolean;
}

export function initialProgress(branch: CycleBranch): RecoveryProgress {
  return {
    branch,
    cycles: 0,
    cleanStreak: 0,
    dirtyResets: 0,
    lastVerdict: null,
    lastReason: null,
    recon: null,
    dq: { cleanFromCycle: null },
    lifecycleTransitionsRecovered: false,
  };
}

export interface StepOutcome {
  progress: RecoveryProgress;
  verdict: CycleVerdict | 'baseline';
  reason: string;
  passed: boolean;
  /** Worth a timeline line and an early return (baseline, verdict change, a clean cycle, a reset). */
  notable: boolean;
}

export interface ReconciliationObservation {
  cursors: Record<string, unknown>;
  state: SloState;
  lastOrder: {
    cycle: number;
    status: 'ok' | 'mismatch';
    mismatched_order_ids: string[];
    broker_status?: Record<string, string>;
    stuck_transitions?: number;
  } | null;
}

function settle(prev: RecoveryProgress, next: RecoveryProgress, verdict: CycleVerdict, reason: string, passed: boolean): StepOutcome {
  const reset = verdict === 'dirty' && prev.cleanStreak > 0;
  const progress = { ...next, cycles: prev.cycles + 1, dirtyResets: prev.dirtyResets + (reset ? 1 : 0), lastVerdict: verdict, lastReason: reason };
  const notable = passed || verdict !== prev.lastVerdict || verdict === 'clean' || reset;
  return { progress, verdict, reason, passed, notable };
}

/** One reconciliation probe: the first sets the baseline; then clean / dirty / idle against it. */
export function reconciliationStep(prev: RecoveryProgress, o: ReconciliationObservation, cleanCyclesRequired: number): StepOutcome {
  if (!prev.recon) {
    const l = o.lastOrder;
    const reason = l
      ? `latest order cycle ${l.cycle} ${l.status}${l.mismatched_order_ids.length ? `: ${l.mismatched_order_ids.slice(0, 5).join(', ')}` : ''}${l.stuck_transitions ? `; ${l.stuck_transitions} stuck lifecycle transition(s)` : ''}`
      : 'no reconciliation events yet';
    return {
      progress: { ...prev, cycles: prev.cycles + 1, recon: { cursors: o.cursors, state: o.state }, cleanStreak: 0 },
      verdict: 'baseline',
      reason,
      passed: false,
      notable: true,
    };
  }
  const before = reconCounts(prev.recon.state);
  const after = reconCounts(o.state);
  const moved = after.orderCycles !== before.orderCycles;
  const stuck = moved ? (o.lastOrder?.stuck_transitions ?? 0) : 0;
  const v = reconciliationVerdict(before, after, stuck);
  const dOrder = after.orderCycles - before.orderCycles;
  const dPos = after.positionCycles - before.positionCycles;
  const reason = `${dOrder} order / ${dPos} position check(s), ${dOrder - (after.orderPasses - before.orderPasses)} / ${dPos - (after.positionPasses - before.positionPasses)} mismatched${stuck ? `, ${stuck} stuck transition(s)` : ''}`;
  const streak = nextCleanStreak(prev.cleanStreak, v);
  const next = {
    ...prev,
    recon: { cursors: o.cursors, state: o.state },
    cleanStreak: streak,
    lifecycleTransitionsRecovered: prev.lifecycleTransitionsRecovered || (v === 'clean' && stuck === 0),
  };
  return settle(prev, next, v, reason, streak >= cleanCyclesRequired);
}

/** One data quality probe (see `dataQualityStep`). */
export function dataQualityRecoveryStep(prev: RecoveryProgress, probe: DataQualityProbe): StepOutcome {
  const s = dataQualityStep(prev.dq, probe);
  return settle(prev, { ...prev, dq: s.progress, cleanStreak: s.passed ? 1 : 0 }, s.verdict, s.reason, s.passed);
}

export interface BrokerObservation {
  processHealthy: boolean;
  processDetail: string;
  broker: { healthy: boolean; detail?: string } | null;
}

/** One broker probe: the process serving, then the broker API and websocket healthy. */
export function brokerHealthStep(prev: RecoveryProgress, o: BrokerObservation): StepOutcome {
  if (!o.processHealthy) return settle(prev, prev, 'dirty', `process not serving: ${o.processDetail}`, false);
  const ok = o.broker?.healthy === true;
  return settle(prev, prev, ok ? 'clean' : 'dirty', ok ? 'broker API and websocket healthy' : `broker unhealthy: ${o.broker?.detail ?? 'unknown'}`, ok);
}

/**
 * How many cycles one activity runs: its batch, never past the deadline, at least one. The workflow
 * waits between batches so the next one never starts before the planned cadence (a lower bound that
 * also holds when an activity comes back early).
 */
export function cyclesPerBatch(batchSeconds: number, cycleSeconds: number, remainingMs: number): number {
  const byBatch = Math.max(1, Math.floor(batchSeconds / cycleSeconds));
  const byDeadline = Math.max(1, Math.ceil(remainingMs / (cycleSeconds * 1000)));
  return Math.min(byBatch, byDeadline, 1000);
}

/** Wait before the next batch: one cycle after progress; after a full batch, what is left of its planned span. */
export function pauseAfterBatch(stop: 'batch' | 'progress' | 'passed', plannedMs: number, elapsedMs: number, cycleMs: number): number {
  if (stop === 'passed') return 0;
  if (stop === 'progress') return cycleMs;
  return Math.max(cycleMs, plannedMs - elapsedMs);
}

export interface RecoveryCarried {
  phase: string;
  progress: RecoveryProgress | null;
  cycles: number;
  dirtyResets: number;
  deadlineMs: number;
  restarted: boolean;
  brokerVerified: boolean;
  refreshed: boolean;
  timeline: TimelineEntry[];
  evidence: Record<string, unknown>;
  continuedAsNew: number;
  batches: number;
}

export const recoveryCarriedSchema = z.custom<RecoveryCarried>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { deadlineMs?: unknown }).deadlineMs === 'number' &&
    typeof (v as { phase?: unknown }).phase === 'string',
  { error: 'carried must be the recovery state from continue-as-new' },
);
