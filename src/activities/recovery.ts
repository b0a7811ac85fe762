/**
 * The recovery decision tree's waits as one heartbeating activity per batch (Temporal's guidance for
 * polling faster than about a minute): `recoveryCycles` probes the branch's evidence every
 * `cycleSeconds`, decides each cycle with the pure steps of `domain/recovery.ts`, and returns when the
 * criteria pass, when progress was made (so the workflow's status and timeline follow), or after its
 * batch. The process stop and start of the broker branch heartbeat every second, so a worker that dies
 * between or during them costs seconds, not the old one-minute heartbeat timeout.
 */
import { z } from 'zod';
import { runIdSchema, targetNameSchema } from '../domain/ids';
import {
  brokerHealthStep,
  CYCLE_BRANCHES,
  dataQualityRecoveryStep,
  reconciliationStep,
  type RecoveryProgress,
  type StepOutcome,
  type TimelineEntry,
} from '../domain/recovery';
import { initialSloState, type SloState } from '../domain/slo-fold';
import { runArtifactCursorsSchema } from '../io/run-artifact-fold';
import { createBrokerActivities } from './broker';
import { pause, withHeartbeat } from './heartbeat';
import { targetRunDir } from './incidents';
import { brokerHealthReading, readDataQuality, readReconciliation } from './recovery-readings';
import { createProcessControlActivities, type ProcessKeyedInput, type ProcessStartResult, type ProcessStopResult } from './process-control';
import { parseInput, resolveTarget, type TargetActivityDeps } from './target-input';

const progressSchema = z.custom<RecoveryProgress>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    (CYCLE_BRANCHES as readonly string[]).includes(String((v as { branch?: unknown }).branch)) &&
    typeof (v as { cycles?: unknown }).cycles === 'number',
  { error: 'progress must be a RecoveryProgress' },
);

export const recoveryCyclesInputSchema = z.object({
  runId: runIdSchema,
  target: targetNameSchema,
  progress: progressSchema,
  cycleSeconds: z.number().min(1).max(3600),
  maxCycles: z.number().int().min(1).max(1000),
  cleanCyclesRequired: z.number().int().min(1).max(100).default(2),
});
export type RecoveryCyclesInput = z.input<typeof recoveryCyclesInputSchema>;

export interface RecoveryCyclesResult {
  progress: RecoveryProgress;
  passed: boolean;
  /** Why it returned: the criteria passed, progress worth showing, or the batch ran out. */
  stop: 'passed' | 'progress' | 'batch';
  /** Timeline lines (cycle verdicts that changed, the baseline), activity clock. */
  notes: TimelineEntry[];
  /** Evidence for the result: mismatched ids and broker status, bar validation, broker health. */
  evidence: Record<string, unknown>;
  cyclesRun: number;
}

export function createRecoveryActivities(deps: TargetActivityDeps) {
  const br = createBrokerActivities(deps);
  const pc = createProcessControlActivities(deps);

  async function observe(
    i: z.output<typeof recoveryCyclesInputSchema>,
    progress: RecoveryProgress,
    dir: string,
    evidence: Record<string, unknown>,
  ): Promise<StepOutcome> {
    const t = await resolveTarget(deps, i.target);
    if (progress.branch === 'reconciliation') {
      const prev = progress.recon;
      const cursors = prev ? runArtifactCursorsSchema.parse(prev.cursors) : {};
      const reading = await readReconciliation(dir, cursors, (prev?.state as SloState | undefined) ?? initialSloState());
      const o = reading.lastOrder;
      const step = reconciliationStep(progress, reading, i.cleanCyclesRequired);
      if (step.verdict === 'baseline') {
        evidence.mismatchedOrderIds = o?.mismatched_order_ids ?? [];
        evidence.brokerStatus = o?.broker_status ?? {};
      }
      if (step.progress.lifecycleTransitionsRecovered) evidence.lifecycleTransitionsRecovered = true;
      return step;
    }
    if (progress.branch === 'data_quality') {
      const { market, ...probe } = await readDataQuality(t, dir);
      evidence.barValidation = market;
      return dataQualityRecoveryStep(progress, probe);
    }
    const h = await pc.processHealth({ target: i.target, timeoutMs: 3000 });
    if (!h.healthy) return brokerHealthStep(progress, { processHealthy: false, processDetail: h.detail, broker: null });
    const b = brokerHealthReading(await br.brokerHealth({ target: i.target }));
    evidence.brokerHealthAfter = b;
    return brokerHealthStep(progress, {
      processHealthy: true,
      processDetail: h.detail,
      broker: { healthy: b.healthy, ...(b.detail ? { detail: b.detail } : {}) },
    });
  }

  return {
    /**
     * Up to `maxCycles` probes of the branch, `cycleSeconds` apart, heartbeating throughout; returns
     * the progress (to pass into the next batch), whether the criteria passed, and why it stopped.
     * Read-only: a retry after a crash repeats at most the cycle in flight.
     */
    async recoveryCycles(input: RecoveryCyclesInput): Promise<RecoveryCyclesResult> {
      const i = parseInput(recoveryCyclesInputSchema, input, 'recoveryCycles input');
      const t = await resolveTarget(deps, i.target);
      const dir = targetRunDir(t, i.runId);
      let progress = i.progress;
      const notes: TimelineEntry[] = [];
      const evidence: Record<string, unknown> = {};
      return withHeartbeat(
        async () => {
          for (let n = 0; n < i.maxCycles; n++) {
            if (n > 0) await pause(i.cycleSeconds * 1000);
            const s = await observe(i, progress, dir, evidence);
            const changed = s.verdict === 'baseline' || s.verdict !== progress.lastVerdict || s.verdict === 'clean';
            progress = s.progress;
            if (changed)
              notes.push({
                at: new Date().toISOString(),
                step: s.verdict === 'baseline' ? 'inspected reconciliation' : `cycle ${progress.cycles}: ${s.verdict}`,
                detail: s.reason,
              });
            if (s.passed) return { progress, passed: true, stop: 'passed', notes, evidence, cyclesRun: n + 1 };
            if (s.notable) return { progress, passed: false, stop: 'progress', notes, evidence, cyclesRun: n + 1 };
          }
          return { progress, passed: false, stop: 'batch', notes, evidence, cyclesRun: i.maxCycles };
        },
        1000,
        () => ({ branch: progress.branch, cycles: progress.cycles }),
      );
    },

    /** `processStop`, heartbeating every second (keyed: a retry never stops twice). */
    async recoveryProcessStop(input: ProcessKeyedInput): Promise<ProcessStopResult> {
      return withHeartbeat(() => pc.processStop(input));
    },

    /** `processStart`, heartbeating every second (keyed: a retry never starts twice). */
    async recoveryProcessStart(input: ProcessKeyedInput): Promise<ProcessStartResult> {
      return withHeartbeat(() => pc.processStart(input));
    },
  };
}
