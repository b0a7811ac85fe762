/**
 * The weekly drill's waits, each one heartbeating long poll (see `domain/drill-wait.ts`): the same
 * health check and artifact reads as the one-shot activities, repeated every ≤ 250 ms inside one
 * activity until the condition holds or the slice ends (sooner at first, and at once when the target
 * writes to an observed artifact file: see `longPoll`). A retried slice (worker crash, heartbeat
 * timeout) starts over from the same input: the reads are by cursor from a fixed mark, so a retry
 * sees the same events. Cancellation (the drill's deadline or the user) ends the poll at once.
 */
import { watch, type FSWatcher } from 'node:fs';
import { createChaosActivities, type ChaosFaultResult } from './chaos';
import { createDrillActivities, OBSERVED_FILE_NAMES, runDirOf, type DrillCursors } from './drill';
import { pause, withHeartbeat } from './heartbeat';
import { createProcessControlActivities, type ProcessHealthResult } from './process-control';
import { parseInput, resolveTarget, type TargetActivityDeps } from './target-input';
import {
  detectScenario,
  detectedFields,
  emptyObserved,
  firstAfter,
  firstCleanReconciliation,
  foldObserved,
  scenarioRecovered,
  type ChaosScenarioResult,
  type ObservedEvents,
} from '../domain/drill';
import {
  injectDetectClearInputSchema,
  innerPollMs,
  pollDelayMs,
  servingReached,
  waitChaosRecoveryInputSchema,
  waitDetectionInputSchema,
  waitRecoveryEvidenceInputSchema,
  waitServingInputSchema,
  type InjectDetectClearInput,
  type WaitChaosRecoveryInput,
  type WaitDetectionInput,
  type WaitRecoveryEvidenceInput,
  type WaitServingInput,
} from '../domain/drill-wait';

export interface WaitServingResult {
  /** The condition held (else the slice ran out). */
  done: boolean;
  /** The last health answer. */
  health: ProcessHealthResult;
  polls: number;
}

export interface WaitRecoveryEvidenceResult {
  done: boolean;
  firstCleanReconciliationAt?: string;
  firstSloSnapshotAt?: string;
  /** Reconciliation cycles the target wrote since `sinceMs`. */
  freshReconciliations: number;
  polls: number;
}

export interface WaitDetectionResult {
  done: boolean;
  detection?: Pick<ChaosScenarioResult, 'detected' | 'detectedAt' | 'signal' | 'detectionSeconds'>;
  polls: number;
}

export interface InjectDetectClearResult extends WaitDetectionResult {
  /** The inject (its `at` is the target's own time of it; a retried attempt returns the first one). */
  injected: ChaosFaultResult;
  /** The clear, made as soon as the detection was seen; absent when the slice ended first. */
  cleared?: ChaosFaultResult;
}

export interface WaitChaosRecoveryResult {
  done: boolean;
  recoveredAt?: string;
  /** Set when the target stayed unhealthy past `unhealthyMs`: the drill's stop condition. */
  unhealthy?: string;
  unhealthyStreakMs: number;
  polls: number;
}

/** After a change is seen, the poll waits this long so the target's writes of one cycle (several files) are read together. */
const WAKE_SETTLE_MS = 5;

/** Wakes a long poll when something may have changed; `next` resolves at the next change (or never). */
interface Wake {
  next(): Promise<void>;
  close(): void;
}

const NO_WAKE: Wake = { next: () => new Promise<void>(() => undefined), close: () => undefined };

/**
 * Wakes a long poll when the target appends to one of its observed artifact files (a directory watch:
 * inotify on Linux). Only a hint: the poll still reads by cursor and still runs on its own cadence,
 * so a platform or file system without watch support (or a run directory not yet there) just polls.
 */
function artifactWake(dir: string): Wake {
  let changed = false;
  let wake: (() => void) | undefined;
  let w: FSWatcher | undefined;
  try {
    w = watch(dir, { persistent: false }, (_event, name) => {
      if (name && !OBSERVED_FILE_NAMES.includes(String(name))) return;
      changed = true;
      wake?.();
    });
    w.on('error', () => {
      w?.close();
      w = undefined;
    });
  } catch {
    return NO_WAKE;
  }
  return {
    next: () => {
      // A change seen while the last poll was reading: poll again at once (the read may have missed it).
      if (changed) {
        changed = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        wake = () => {
          wake = undefined;
          changed = false;
          resolve();
        };
      });
    },
    close: () => {
      wake = undefined;
      w?.close();
    },
  };
}

export function createDrillWaitActivities(deps: TargetActivityDeps) {
  const proc = createProcessControlActivities(deps);
  const drill = createDrillActivities(deps);
  const chaos = createChaosActivities(deps);

  /** A wake on the target's artifact files; none when the target cannot be resolved (the poll's own read reports that). */
  async function artifactsOf(target: string): Promise<Wake> {
    try {
      return artifactWake(runDirOf(await resolveTarget(deps, target)));
    } catch {
      return NO_WAKE;
    }
  }

  /**
   * Polls `check` until it returns a value or `sliceMs` passes (then `onEnd`), heartbeating the poll
   * count. The pause between polls grows with the time waited (`pollDelayMs`: 20 ms at first, then up
   * to the inner poll interval), ends early when `wake` reports a change of the target's artifacts,
   * and ends at once when the activity is cancelled.
   */
  async function longPoll<T>(
    sliceMs: number,
    pollMs: number,
    check: (polls: number) => Promise<T | undefined>,
    onEnd: (polls: number) => T,
    wake: Wake = NO_WAKE,
  ): Promise<T> {
    const start = Date.now();
    const end = start + sliceMs;
    let polls = 0;
    try {
      return await withHeartbeat(
        async () => {
          for (;;) {
            polls++;
            const r = await check(polls);
            if (r !== undefined) return r;
            if (Date.now() >= end) return onEnd(polls);
            const delay = Math.min(pollDelayMs(pollMs, Date.now() - start), Math.max(0, end - Date.now()));
            await Promise.race([pause(delay), wake.next().then(() => pause(WAKE_SETTLE_MS))]);
          }
        },
        1000,
        () => ({ polls }),
      );
    } finally {
      wake.close();
    }
  }

  /** Everything the target wrote since `from`, read to the current end (several reads when a file is long). */
  async function observeAll(target: string, acc: { cursors: DrillCursors; obs: ObservedEvents }): Promise<void> {
    for (;;) {
      const r = await drill.drillObserve({ target, cursors: acc.cursors });
      acc.cursors = r.cursors;
      acc.obs = foldObserved(acc.obs, r.events);
      if (!r.more) return;
    }
  }

  return {
    /** Waits until the target serves again (as `until` defines it) or the slice ends. */
    async drillWaitServing(input: WaitServingInput): Promise<WaitServingResult> {
      const i = parseInput(waitServingInputSchema, input, 'drillWaitServing input');
      let last: ProcessHealthResult | undefined;
      return longPoll<WaitServingResult>(
        i.sliceMs,
        i.pollMs,
        async (polls) => {
          last = await proc.processHealth({ target: i.target, timeoutMs: 1000 });
          return servingReached(i.until, i.preflight, last) ? { done: true, health: last, polls } : undefined;
        },
        (polls) => ({ done: false, health: last!, polls }),
      );
    },

    /** Waits for the restarted target's first clean reconciliation cycle and first SLO snapshot since `sinceMs`. */
    async drillWaitRecoveryEvidence(input: WaitRecoveryEvidenceInput): Promise<WaitRecoveryEvidenceResult> {
      const i = parseInput(waitRecoveryEvidenceInputSchema, input, 'drillWaitRecoveryEvidence input');
      const acc = { cursors: i.cursors as DrillCursors, obs: emptyObserved() };
      const summary = (done: boolean, polls: number): WaitRecoveryEvidenceResult => {
        const clean = firstCleanReconciliation(acc.obs, i.sinceMs);
        const slo = firstAfter(acc.obs.slo, i.sinceMs, (e) => e.event_type === 'slo_snapshot');
        return {
          done,
          ...(clean ? { firstCleanReconciliationAt: clean } : {}),
          ...(slo ? { firstSloSnapshotAt: slo } : {}),
          freshReconciliations: acc.obs.order.filter((e) => Date.parse(e.ts) >= i.sinceMs).length,
          polls,
        };
      };
      return longPoll<WaitRecoveryEvidenceResult>(
        i.sliceMs,
        i.pollMs,
        async (polls) => {
          await observeAll(i.target, acc);
          const s = summary(true, polls);
          return s.firstCleanReconciliationAt && s.firstSloSnapshotAt ? s : undefined;
        },
        (polls) => summary(false, polls),
        await artifactsOf(i.target),
      );
    },

    /** Waits until the target's own artifacts show it detected `scenario` (after the inject). */
    async drillWaitDetection(input: WaitDetectionInput): Promise<WaitDetectionResult> {
      const i = parseInput(waitDetectionInputSchema, input, 'drillWaitDetection input');
      const acc = { cursors: i.cursors as DrillCursors, obs: emptyObserved() };
      return longPoll<WaitDetectionResult>(
        i.sliceMs,
        i.pollMs,
        async (polls) => {
          await observeAll(i.target, acc);
          const d = detectScenario(i.scenario, acc.obs, i.sinceMs);
          return d ? { done: true, detection: detectedFields(d, i.sinceMs), polls } : undefined;
        },
        (polls) => ({ done: false, polls }),
        await artifactsOf(i.target),
      );
    },

    /**
     * A chaos scenario's inject, the wait for its detection and its clear in one call (since
     * `drill-chaos-one-call`): no workflow task between the target's fault and the runner's wait, or
     * between the detection and the clear. Both target calls are keyed, so a retried attempt (a dead
     * worker) injects nothing new, reads the same detection from the same cursors, and clears once.
     * When the slice ends before a detection, the fault stays in and the workflow waits on.
     */
    async drillInjectDetectClear(input: InjectDetectClearInput): Promise<InjectDetectClearResult> {
      const i = parseInput(injectDetectClearInputSchema, input, 'drillInjectDetectClear input');
      const injected = await chaos.chaosInject({ target: i.target, fault: i.scenario, idempotencyKey: i.injectKey });
      const sinceMs = Date.parse(injected.at);
      const acc = { cursors: i.cursors as DrillCursors, obs: emptyObserved() };
      const w = await longPoll<WaitDetectionResult>(
        i.sliceMs,
        i.pollMs,
        async (polls) => {
          await observeAll(i.target, acc);
          const d = detectScenario(i.scenario, acc.obs, sinceMs);
          return d ? { done: true, detection: detectedFields(d, sinceMs), polls } : undefined;
        },
        (polls) => ({ done: false, polls }),
        await artifactsOf(i.target),
      );
      if (!w.done) return { ...w, injected };
      const cleared = await chaos.chaosClear({ target: i.target, fault: i.scenario, idempotencyKey: i.clearKey });
      return { ...w, injected, cleared };
    },

    /**
     * Waits until the target's artifacts show it recovered from `scenario` after the clear; ends
     * early with `unhealthy` when its health fails for `unhealthyMs` in a row (the drill's stop condition).
     */
    async drillWaitChaosRecovery(input: WaitChaosRecoveryInput): Promise<WaitChaosRecoveryResult> {
      const i = parseInput(waitChaosRecoveryInputSchema, input, 'drillWaitChaosRecovery input');
      const acc = { cursors: i.cursors as DrillCursors, obs: emptyObserved() };
      let streak = i.unhealthyStreakMs;
      let lastHealth: number | undefined;
      return longPoll<WaitChaosRecoveryResult>(
        i.sliceMs,
        i.pollMs,
        async (polls) => {
          await observeAll(i.target, acc);
          const at = scenarioRecovered(i.scenario, acc.obs, i.clearedMs);
          if (at) return { done: true, recoveredAt: at, unhealthyStreakMs: 0, polls };
          // Health at the inner poll's cadence, whatever wakes the artifact reads in between.
          if (lastHealth !== undefined && Date.now() - lastHealth < innerPollMs(i.pollMs)) return undefined;
          const h = await proc.processHealth({ target: i.target, timeoutMs: 2000 });
          const now = Date.now();
          streak = h.healthy ? 0 : streak + (lastHealth === undefined ? 0 : now - lastHealth);
          lastHealth = now;
          if (!h.healthy && streak >= i.unhealthyMs) return { done: false, unhealthy: h.detail, unhealthyStreakMs: streak, polls };
          return undefined;
        },
        (polls) => ({ done: false, unhealthyStreakMs: streak, polls }),
        await artifactsOf(i.target),
      );
    },
  };
}
