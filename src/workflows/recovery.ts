/**
 * Runbook "Recovery Decision Tree" for one incident class, as a child of `incidentWorkflow`.
 *
 * - data quality: refresh data source connectivity, then bar validation and one full clean quality cycle;
 * - reconciliation: inspect mismatched ids and broker status, then two consecutive clean cycles;
 * - broker: verify API and websocket health, restart the broker session (the target process, keyed),
 *   wait until healthy, then the reconciliation criterion.
 *
 * Waits that poll run inside one heartbeating activity per batch (`recoveryCycles`), which returns on
 * progress, on success or after its batch; the workflow keeps the cadence between batches and
 * continues as new every `batchesPerRun` batches carrying its state, so each run's history stays
 * small however long the wait (up to 7 days). Entries stay halted by the incident's hold at the halt
 * registry, which also halts them again when they are released early: this workflow never touches
 * the kill switch. Past `maxWaitSeconds` it pages and returns `escalated`.
 *
 * Histories recorded before the `recovery-v2-batched` patch replay on `legacy/recovery-v1.ts`.
 */
import {
  ApplicationFailure,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RecoveryCyclesResult } from '../activities/recovery';
import {
  cyclesPerBatch,
  initialProgress,
  pauseAfterBatch,
  RECOVERY_CRITERIA,
  recoveryCarriedSchema,
  recoveryInputSchema,
  type CycleBranch,
  type RecoveryCarried,
  type RecoveryInput,
  type RecoveryParams,
  type RecoveryResult,
  type RecoveryStatus,
} from '../domain/recovery';
import { fitKey } from '../domain/stable-hash';
import { SA } from '../search-attributes';
import { workflowIds } from '../shared';
import { crashFastProcess, crashFastRead, paging } from './activity-profiles';
import { recoveryStatusQuery } from './definitions';
import { recoveryWorkflowV1 } from './legacy/recovery-v1';
import { describeIssues, parseOrFail } from './validation';
import { FAILURE } from '../domain/failure-types';

export const RECOVERY_V2_PATCH = 'recovery-v2-batched';

const { refreshDataSource, brokerHealth } = proxyActivities<Activities>(crashFastRead);
const { recoveryProcessStop, recoveryProcessStart } = proxyActivities<Activities>(crashFastProcess);
const { pageEscalation } = proxyActivities<Activities>(paging);

const MAX_TIMELINE = 300;
/** Sane lower bound on the cycle (workflow timers under 1 s fire at ~1 s anyway). */
const MIN_CYCLE_SECONDS = 1;

function batchOptions(maxCycles: number, cycleSeconds: number): ActivityOptions {
  return {
    startToCloseTimeout: `${Math.ceil(maxCycles * cycleSeconds + 120)} seconds`,
    heartbeatTimeout: '5 seconds',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '10 seconds',
      maximumAttempts: 10,
      nonRetryableErrorTypes: [FAILURE.invalidInput, FAILURE.unknownTarget, FAILURE.invalidTargetConfig],
    },
  };
}

class Recovery {
  readonly cycleSeconds: number;
  batchesThisRun = 0;

  constructor(
    readonly p: RecoveryParams,
    readonly c: RecoveryCarried,
  ) {
    this.cycleSeconds = Math.max(MIN_CYCLE_SECONDS, p.cycleSeconds);
  }

  note(step: string, detail?: string, at = new Date(Date.now()).toISOString()): void {
    this.c.timeline.push({ at, step, ...(detail ? { detail } : {}) });
    if (this.c.timeline.length > MAX_TIMELINE) this.c.timeline.splice(20, this.c.timeline.length - MAX_TIMELINE);
  }

  status(): RecoveryStatus {
    const pr = this.c.progress;
    return {
      incidentId: this.p.incidentId,
      incidentClass: this.p.incidentClass,
      attempt: this.p.attempt,
      phase: this.c.phase,
      cycles: this.c.cycles,
      cleanStreak: pr?.cleanStreak ?? 0,
      cleanCyclesRequired: this.p.cleanCyclesRequired,
      dirtyResets: this.c.dirtyResets,
      rehalts: 0,
      deadline: new Date(this.c.deadlineMs).toISOString(),
      criteria: RECOVERY_CRITERIA[this.p.incidentClass],
      lastReason: pr?.lastReason ?? null,
      timeline: [...this.c.timeline],
      continuedAsNew: this.c.continuedAsNew,
      batches: this.c.batches,
    };
  }

  expired(): boolean {
    return Date.now() >= this.c.deadlineMs;
  }

  private apply(r: RecoveryCyclesResult): void {
    const before = this.c.progress;
    this.c.cycles += r.cyclesRun;
    this.c.dirtyResets += r.progress.dirtyResets - (before?.branch === r.progress.branch ? before.dirtyResets : 0);
    this.c.progress = r.progress;
    for (const n of r.notes) this.note(n.step, n.detail, n.at);
    Object.assign(this.c.evidence, r.evidence);
  }

  /** Batches of cycles of `branch` until its criterion passes (true) or the deadline (false). */
  async cycles(branch: CycleBranch, phase: string): Promise<boolean> {
    this.c.phase = phase;
    if (this.c.progress?.branch !== branch) this.c.progress = initialProgress(branch);
    for (;;) {
      if (this.expired()) return false;
      const maxCycles = cyclesPerBatch(this.p.batchSeconds, this.cycleSeconds, this.c.deadlineMs - Date.now());
      const { recoveryCycles } = proxyActivities<Activities>(batchOptions(maxCycles, this.cycleSeconds));
      const t0 = Date.now();
      const r = await recoveryCycles({
        runId: this.p.runId,
        target: this.p.target,
        progress: this.c.progress!,
        cycleSeconds: this.cycleSeconds,
        maxCycles,
        cleanCyclesRequired: this.p.cleanCyclesRequired,
      });
      this.c.batches += 1;
      this.batchesThisRun += 1;
      this.apply(r);
      if (r.passed) return true;
      const remaining = this.c.deadlineMs - Date.now();
      if (remaining <= 0) return false;
      const cycleMs = this.cycleSeconds * 1000;
      await sleep(Math.min(pauseAfterBatch(r.stop, maxCycles * cycleMs, Date.now() - t0, cycleMs), remaining));
      await this.maybeContinueAsNew();
    }
  }

  /** Each run's history stays small: continue as new with the state, mid-wait. */
  async maybeContinueAsNew(): Promise<void> {
    if (this.batchesThisRun < this.p.batchesPerRun && !workflowInfo().continueAsNewSuggested) return;
    const { carried: _ignored, ...rest } = this.p;
    await continueAsNew<typeof recoveryWorkflow>({ ...rest, carried: { ...this.c, continuedAsNew: this.c.continuedAsNew + 1 } });
  }

  async dataQuality(): Promise<boolean> {
    if (!this.c.refreshed) {
      this.c.phase = 'refresh-data-source';
      const refresh = await refreshDataSource({ target: this.p.target });
      this.note(
        'refreshed data source connectivity',
        refresh.reachable ? `bars of ${refresh.symbols.length} symbol(s) reachable` : `unreachable: ${refresh.issues.slice(0, 3).join('; ')}`,
      );
      this.c.refreshed = true;
    }
    return this.cycles('data_quality', 'quality-cycles');
  }

  async broker(): Promise<boolean> {
    const p = this.p;
    if (!this.c.brokerVerified) {
      this.c.phase = 'verify-broker';
      const b = await brokerHealth({ target: p.target });
      const detail = [b.api.error, b.websocket.error].filter(Boolean).join('; ');
      this.c.evidence.brokerHealthBefore = { healthy: b.healthy, apiOk: b.api.ok, websocketOk: b.websocket.ok, ...(detail ? { detail } : {}) };
      this.note('verified broker health', `api ${b.api.ok ? 'ok' : 'down'}, websocket ${b.websocket.ok ? 'ok' : 'down'}${detail ? ` (${detail})` : ''}`);
      this.c.brokerVerified = true;
    }
    if (p.restartBroker && !this.c.restarted) {
      this.c.phase = 'restart-broker-session';
      // Keys unique per run, incident and attempt: a retry after a crash never stops or starts twice.
      const key = fitKey(`recovery.${p.runId}.${p.incidentId}.${p.attempt}`, 110);
      const stopped = await recoveryProcessStop({ target: p.target, idempotencyKey: `${key}.stop` });
      const started = await recoveryProcessStart({ target: p.target, idempotencyKey: `${key}.start` });
      this.note('restarted broker session', `stopped at ${stopped.stoppedAt}, started at ${started.startReturnedAt}`);
      this.c.evidence.brokerRestart = { stoppedAt: stopped.stoppedAt, startReturnedAt: started.startReturnedAt };
      this.c.restarted = true;
    }
    if (this.c.phase !== 'reconciliation-cycles') {
      if (!(await this.cycles('broker_health', 'await-broker-health'))) return false;
      this.note('broker healthy; rerunning reconciliation');
    }
    return this.cycles('reconciliation', 'reconciliation-cycles');
  }

  async escalate(): Promise<RecoveryResult['escalation']> {
    this.c.phase = 'escalating';
    const p = this.p;
    const dedupKey = fitKey(workflowIds.recovery(p.runId, p.incidentId, p.attempt), 255);
    let pageOutcome: string;
    try {
      const r = await pageEscalation({
        runId: p.runId,
        incidentId: p.incidentId,
        severity: 'critical',
        level: 1,
        round: p.attempt - 1,
        levelName: 'recovery-max-wait',
        openedAt: p.openedAt,
        summary: `${p.incidentClass} recovery did not meet its criteria within ${p.maxWaitSeconds} s; entries stay halted (${this.c.progress?.lastReason ?? 'no evidence'})`,
        dedupKey,
      });
      pageOutcome = r.outcome;
    } catch (err) {
      pageOutcome = `failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    this.note('escalated: maximum wait passed; entries stay halted', `page ${pageOutcome}`);
    return { at: new Date(Date.now()).toISOString(), pageOutcome, dedupKey };
  }
}

async function recoveryV2(input: RecoveryInput): Promise<RecoveryResult> {
  const p = parseOrFail(recoveryInputSchema, input, 'recoveryWorkflow input');
  let carried: RecoveryCarried | undefined;
  if (p.carried !== undefined) {
    const c = recoveryCarriedSchema.safeParse(p.carried);
    if (!c.success) throw ApplicationFailure.nonRetryable(`invalid recoveryWorkflow input: carried: ${describeIssues(c.error)}`, FAILURE.invalidInput);
    carried = c.data;
  }
  const r = new Recovery(
    p,
    carried ?? {
      phase: 'starting',
      progress: null,
      cycles: 0,
      dirtyResets: 0,
      deadlineMs: Date.now() + p.maxWaitSeconds * 1000,
      restarted: false,
      brokerVerified: false,
      refreshed: false,
      timeline: [],
      evidence: {},
      continuedAsNew: 0,
      batches: 0,
    },
  );
  setHandler(recoveryStatusQuery, () => r.status(), {
    description: 'Recovery branch, phase, clean-cycle count against the required count, dirty resets, deadline, timeline, batches and continue-as-new count.',
  });
  upsertSearchAttributes([
    { key: SA.runId, value: p.runId },
    { key: SA.incidentId, value: p.incidentId },
    { key: SA.target, value: p.target },
    { key: SA.incidentClass, value: p.incidentClass },
    { key: SA.state, value: 'recovering' },
  ]);
  if (!carried) r.note(`recovery started: ${p.incidentClass}`, RECOVERY_CRITERIA[p.incidentClass]);

  const passed =
    p.incidentClass === 'data_quality'
      ? await r.dataQuality()
      : p.incidentClass === 'reconciliation'
        ? await r.cycles('reconciliation', 'reconciliation-cycles')
        : await r.broker();
  const base = { incidentClass: p.incidentClass, attempt: p.attempt, cycles: r.c.cycles, dirtyResets: r.c.dirtyResets, rehalts: 0 };
  if (passed) {
    r.c.phase = 'recovered';
    r.note('recovery criteria passed');
    upsertSearchAttributes([{ key: SA.state, value: 'recovered' }]);
    return { outcome: 'recovered', ...base, timeline: r.c.timeline, evidence: r.c.evidence };
  }
  log.warn('recovery past its maximum wait: escalating', { incidentId: p.incidentId, attempt: p.attempt });
  const escalation = await r.escalate();
  r.c.phase = 'escalated';
  upsertSearchAttributes([{ key: SA.state, value: 'escalated' }]);
  return { outcome: 'escalated', ...base, timeline: r.c.timeline, evidence: r.c.evidence, ...(escalation ? { escalation } : {}) };
}

export async function recoveryWorkflow(input: RecoveryInput): Promise<RecoveryResult> {
  // Runs recorded before v2 (one probe activity and one timer per cycle) replay on v1.
  if (!patched(RECOVERY_V2_PATCH)) return recoveryWorkflowV1(input);
  return recoveryV2(input);
}
