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
import { incidentClassSchema } from './classification';
import { incidentIdSchema, runIdSchema, targetNameSchema } from './ids';
import { severitySchema } from './severity';
import { type SloState } from './slo';

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
  cycleSeconds: z.number().positive().max(3600).default(30),
  /** Past this the branch escalates (pages) and stays halted. */
  maxWaitSeconds: z.number().positive().max(7 * 86400).default(1800),
  cleanCyclesRequired: z.number().int().min(1).max(100).default(2),
  /** The kill-switch reason used when entries must be halted again. */
  haltReason: z.string().min(1).max(500),
  /** Broker branch: restart the target's broker session (its process) once. */
  restartBroker: z.boolean().default(true),
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
export function dataQualityStep(p: DataQualityProgress, probe: DataQualityProbe): { progress: DataQualityProgress; verdict: CycleVerdict; passed: boolean; reason: string } {
  const v = probe.validation;
  if (!v) return { progress: { cleanFromCycle: null }, verdict: 'dirty', passed: false, reason: 'data source unreachable: bars could not be fetched' };
  if (v.errors > 0 || v.staleWarnings > 0) return { progress: { cleanFromCycle: null }, verdict: 'dirty', passed: false, reason: `bar validation: ${v.errors} critical issue(s), ${v.staleWarnings} stale warning(s)` };
  const l = probe.latest;
  if (l && p.cleanFromCycle !== null && l.cycle > p.cleanFromCycle && (l.errors > 0 || l.stale_warnings > 0)) {
    return { progress: { cleanFromCycle: null }, verdict: 'dirty', passed: false, reason: `quality cycle ${l.cycle}: ${l.errors} error(s), ${l.stale_warnings} stale warning(s)` };
  }
  if (p.cleanFromCycle === null) return { progress: { cleanFromCycle: l?.cycle ?? -1 }, verdict: 'clean', passed: false, reason: `bars of ${v.symbols} symbol(s) valid; waiting for one full quality cycle` };
  if (l && l.cycle > p.cleanFromCycle) return { progress: p, verdict: 'clean', passed: true, reason: `quality cycle ${l.cycle} clean after a clean validation` };
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
