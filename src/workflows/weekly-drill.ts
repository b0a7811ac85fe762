/**
 * Runbook "Disaster Recovery Drill (Weekly)" as one durable workflow:
 *   0 preflight → 1 seeded chaos drill → 2 graceful stop (keyed) → 3 restart and confirm →
 *   4 record RTO/RPO → 5 evidence (report.json/md/html, audit event, page on failure).
 * A rollback that always runs (non-cancellable) brings the target back up: faults cleared,
 * process started if down, entries resumed if the drill halted them. A maximum duration and stop
 * conditions abort the drill; cancelling it from the UI rolls back too. Every time used as a
 * measurement comes from an activity; workflow time only bounds waits and stamps steps.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import type { DrillCursors } from '../activities/drill';
import {
  chaosOrder,
  drillIdFromWorkflowId,
  emptyObserved,
  firstAfter,
  firstCleanReconciliation,
  foldObserved,
  preflightProblems,
  recoveryBreakdown,
  recoveryMeasures,
  restartEvidence,
  weeklyDrillInputSchema,
  type ChaosDrillReport,
  type ChaosDrillStatus,
  type ChaosScenario,
  type ChaosScenarioResult,
  type DrillResult,
  type DrillStepName,
  type DrillStepRecord,
  type DrillTimeline,
  type ObservedEvents,
  type PreflightSnapshot,
  type RecoveryMeasure,
  type WeeklyDrillInput,
  type WeeklyDrillParams,
  type WeeklyDrillResult,
  type WeeklyDrillStatus,
} from '../domain/drill';
import { drillBusyMessage, drillLockHolderSchema, type DrillLockHolder } from '../domain/drill-lock';
import type { DrillIncidentsReport } from '../domain/drill-report';
import { calendarRefusal } from '../domain/market-calendar';
import { SA } from '../search-attributes';
import { workflowIds } from '../shared';
import { nextSliceMs } from '../domain/drill-wait';
import { drillLockHolderSignal, drillLockReleaseSignal, drillLockWhoSignal, weeklyDrillStatusQuery } from './definitions';
import { drillTargetLockWorkflow } from './drill-lock';
import { parseMessage, parseOrFail } from './validation';
import { FAILURE } from '../domain/failure-types';
import { failureTypeOf, innermostMessage } from '../domain/failure-chain';

import { io, iso, localIo, localProbe, ms, probe, processCall, waitCall } from './drill-calls';
import { drillEvidence, publishMeasures } from './drill-evidence';
import {
  BOUNDED_WAITS_PATCH,
  CHAOS_CONTRACT_PATCH,
  CHAOS_ONE_CALL_PATCH,
  DRILL_STATE_DONE_PATCH,
  DRILL_TRUTH_PATCH,
  DRILL_WINDOW_PATCH,
  FAST_ORCHESTRATION_PATCH,
  LATER_PATCHES,
  MARKET_CALENDAR_PATCH,
  ROLLBACK_BACKOFF_PATCH,
  SIGN_OFF_PATCH,
} from './drill-patches';
import { chaosScenario, chaosThroughContract } from './drill-chaos';
import { rollbackDrill } from './drill-rollback';

/** The patch ids, where tests and tools have always found them. */
export {
  BOUNDED_WAITS_PATCH,
  CHAOS_CONTRACT_PATCH,
  DRILL_STATE_DONE_PATCH,
  DRILL_TRUTH_PATCH,
  DRILL_WINDOW_PATCH,
  FAST_ORCHESTRATION_PATCH,
  MARKET_CALENDAR_PATCH,
  ROLLBACK_BACKOFF_PATCH,
  SIGN_OFF_PATCH,
};

const STEP_INDEX: Record<DrillStepName, number> = { preflight: 0, chaos: 1, stop: 2, restart: 3, record: 4, evidence: 5, rollback: 6 };

/** State and steps of one drill; the workflow function only wires them. */
export class WeeklyDrill {
  readonly startedAt = iso();
  readonly steps: DrillStepRecord[] = [];
  readonly timeline: DrillTimeline = {};
  readonly chaos: ChaosScenarioResult[] = [];
  readonly failures: string[] = [];
  readonly checks: Array<{ name: string; ok: boolean; detail: string }> = [];
  readonly rollbackLog: string[] = [];
  current: DrillStepName | 'done' = 'preflight';
  preflight?: PreflightSnapshot;
  haltedByDrill = false;
  ran = false;
  rto?: RecoveryMeasure;
  rpo?: RecoveryMeasure;
  result?: DrillResult;
  reportPath?: string;
  abortReason?: string;
  /** This drill runs the issue-9 command sequence (lock, boot check, rollback restarts). */
  truth = false;
  /** This drill's waits are long polls (patched): its history does not grow with their length. */
  bounded = false;
  /** This drill's short reads and idempotent writes are local activities (patched). */
  fast = false;
  /** A chaos scenario's inject, detection wait and clear are one activity (patched, decided at the start). */
  oneCall = false;
  /** The per-target drill lock this drill holds (its child workflow). */
  lock?: ChildWorkflowHandle<typeof drillTargetLockWorkflow>;
  /** Refused because another drill holds the target: no page (nothing happened to the target). */
  busy = false;
  /** The holder named by the lock, answering this drill's `who`. */
  busyHolder?: DrillLockHolder;
  /** Chaos through the contract (patched): the target's fault adapter, and the scenarios not run. */
  chaosContract?: boolean;
  faultAdapter?: 'http' | 'shell' | 'none';
  chaosSkipped: Array<{ scenario: ChaosScenario; reason: string }> = [];
  chaosStatus?: ChaosDrillStatus;
  /** The drill's maintenance window (patched): when it opened, and the incidents it attributed. */
  window?: { openedAt: string };
  incidents?: DrillIncidentsReport;

  constructor(
    readonly p: WeeklyDrillParams,
    readonly drillId: string,
  ) {}

  /** A short read of the target: a local activity since `drill-fast-orchestration`. */
  read(summary: string): ReturnType<typeof probe> {
    return this.fast ? localProbe(summary) : probe(summary);
  }

  /** A short file write (or calendar read) that may run again: a local activity since `drill-fast-orchestration`. */
  write(summary: string): ReturnType<typeof io> {
    return this.fast ? localIo(summary) : io(summary);
  }

  /** Keys for the keyed target calls: unique per drill, within the 128-character key alphabet. */
  key(what: string): string {
    return `drill.${this.drillId.slice(-100)}.${what}`;
  }

  begin(name: DrillStepName, detail?: string): DrillStepRecord {
    const s: DrillStepRecord = { index: STEP_INDEX[name], name, status: 'running', startedAt: iso(), ...(detail ? { detail } : {}) };
    this.steps.push(s);
    this.current = name;
    upsertSearchAttributes([{ key: SA.state, value: name }]);
    this.publishDetails();
    return s;
  }

  end(s: DrillStepRecord, status: DrillStepRecord['status'], detail?: string): void {
    s.status = status;
    s.finishedAt = iso();
    if (detail) s.detail = detail;
    this.publishDetails();
  }

  /** The Web UI's current details (Markdown, no history event): the step now, the steps so far, RTO/RPO once recorded. */
  publishDetails(): void {
    const cell = (x: string) => x.replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 200);
    const head = this.current === 'done' ? `**Done: ${(this.result ?? '').toUpperCase()}**` : `**Step ${STEP_INDEX[this.current]}: ${this.current}**`;
    const lines = [
      `${head} · target \`${this.p.target}\` · drill \`${this.drillId}\``,
      '',
      '| # | step | status | started | finished | detail |',
      '|---|---|---|---|---|---|',
      ...this.steps.map(
        (s) => `| ${s.index} | ${s.name} | ${s.status} | ${s.startedAt.slice(11, 19)} | ${s.finishedAt?.slice(11, 19) ?? ''} | ${cell(s.detail ?? '')} |`,
      ),
      ...(this.rto && this.rpo
        ? [
            '',
            `RTO ${this.rto.seconds ?? 'n/a'} s (target ${this.rto.targetSeconds} s, ${this.rto.ok ? 'ok' : 'FAILED'}) · RPO ${this.rpo.seconds ?? 'n/a'} s (target ${this.rpo.targetSeconds} s, ${this.rpo.ok ? 'ok' : 'FAILED'})`,
          ]
        : []),
      ...(this.reportPath ? ['', `Report: \`${this.reportPath}\``] : []),
    ];
    setCurrentDetails(lines.join('\n'));
  }

  status(): WeeklyDrillStatus {
    return {
      drillId: this.drillId,
      target: this.p.target,
      step: this.current,
      stepIndex: this.current === 'done' ? 7 : STEP_INDEX[this.current],
      startedAt: this.startedAt,
      steps: this.steps.map((s) => ({ ...s })),
      timeline: { ...this.timeline },
      chaos: this.chaos.map((c) => ({ ...c })),
      failures: [...this.failures],
      ...(this.rto ? { rto: this.rto } : {}),
      ...(this.rpo ? { rpo: this.rpo } : {}),
      ...(this.result ? { result: this.result } : {}),
      ...(this.reportPath ? { reportPath: this.reportPath } : {}),
      ...(this.abortReason ? { abortReason: this.abortReason } : {}),
    };
  }

  /** Runs a step; a throw marks it failed (with the message) and propagates. */
  async step<T>(name: DrillStepName, fn: (s: DrillStepRecord) => Promise<T>): Promise<T> {
    const s = this.begin(name);
    try {
      const r = await fn(s);
      if (s.status === 'running') this.end(s, 'ok');
      return r;
    } catch (err) {
      this.end(s, 'failed', isCancellation(err) ? 'cancelled' : innermostMessage(err));
      throw err;
    }
  }

  async observe(cursors: ObservedCursors, summary: string): Promise<{ cursors: ObservedCursors; events: ObservedEvents; checkedAt: string }> {
    const r = await probe(summary).drillObserve({ target: this.p.target, cursors });
    return { cursors: r.cursors, events: r.events, checkedAt: r.checkedAt };
  }

  // -------------------------------------------------------------------------------------------

  async runSteps(): Promise<void> {
    const p = this.p;
    await this.step('preflight', async (s) => {
      this.fast = patched(FAST_ORCHESTRATION_PATCH);
      // A local activity may end its workflow task with its marker (the code after it runs in the next task); on replay it
      // resolves inside the first task, before the next task's patch markers are known, and a patch decided there would
      // read false. So a fast drill decides every later patch here, before its first local activity (all are true).
      if (this.fast) for (const id of LATER_PATCHES) patched(id);
      // Kept, not asked again in the chaos step: a drill begun before this patch reads false here on
      // replay, and a second call after its replay caught up would read true in the middle of it.
      this.oneCall = this.fast && patched(CHAOS_ONE_CALL_PATCH);
      if (patched(MARKET_CALENDAR_PATCH)) await this.calendarPreflight();
      this.truth = patched(DRILL_TRUTH_PATCH);
      this.bounded = patched(BOUNDED_WAITS_PATCH);
      if (this.truth) await this.acquireLock();
      const snap = await this.read('0 preflight: target healthy, paper mode, no open critical incident, steady-state snapshot').drillPreflight({
        target: p.target,
      });
      this.preflight = snap;
      upsertSearchAttributes([{ key: SA.runId, value: snap.runId }]);
      const { refused } = preflightProblems(snap, p.allowLive);
      if (refused.length) {
        this.failures.push(...refused);
        throw ApplicationFailure.nonRetryable(`preflight refused the drill: ${refused.join('; ')}`, FAILURE.drillRefused);
      }
      s.detail = `${snap.mode}, boot ${snap.bootId ?? '?'}, entries ${snap.entriesHalted ? 'halted' : 'open'}, faults [${snap.activeFaults.join(', ')}], last save ${snap.lastSave ? `${snap.lastSave.ageSeconds.toFixed(1)} s ago` : 'none'}`;
    });

    await this.step('chaos', async (s) => {
      let opening: Promise<void> | undefined;
      if (patched(DRILL_WINDOW_PATCH)) {
        opening = this.write('1 chaos: open the drill maintenance window (maintenance_events.jsonl)')
          .drillMaintenanceWindow({ target: p.target, windowId: this.drillId, action: 'open', workflowId: workflowInfo().workflowId })
          .then((w) => {
            this.window = { openedAt: w.ts };
          });
        // Since drill-fast-orchestration the window opens while the target's declared faults are read.
        if (!this.fast) await opening;
      }
      if (patched(CHAOS_CONTRACT_PATCH)) {
        this.chaosContract = true;
        return chaosThroughContract(this, s, opening);
      }
      await opening;
      const order = chaosOrder(p.scenarios, p.seed);
      for (const scenario of order) await chaosScenario(this, scenario);
      const undetected = this.chaos.filter((c) => !c.detected).map((c) => c.scenario);
      const unrecovered = this.chaos.filter((c) => c.detected && c.recovered === false).map((c) => c.scenario);
      const report: ChaosDrillReport = {
        schemaVersion: 1,
        generatedAt: iso(),
        target: p.target,
        drillId: this.drillId,
        seed: p.seed,
        detectionBoundSeconds: p.detectionSeconds,
        scenarios: this.chaos,
        passed: undetected.length === 0 && unrecovered.length === 0,
        failures: [
          ...undetected.map((x) => `chaos scenario ${x} not detected within ${p.detectionSeconds} s`),
          ...unrecovered.map((x) => `chaos scenario ${x}: target did not recover within ${p.recoverySeconds} s of the clear`),
        ],
      };
      await io('1 chaos: write results/chaos_drill_latest.json').writeChaosReport({ report });
      if (report.failures.length) {
        this.failures.push(...report.failures);
        throw ApplicationFailure.nonRetryable(report.failures.join('; '), FAILURE.drillFailed);
      }
      s.detail = order.length ? this.chaos.map((c) => `${c.scenario} ${c.detectionSeconds?.toFixed(2)} s via ${c.signal}`).join('; ') : 'no scenarios';
    });

    const { cursors, lastSave } = await this.step('stop', async (s) => {
      const mark = await this.read('2 stop: mark the artifact files').drillArtifactCursors({ target: p.target });
      const halt = await processCall('2 stop: halt entries (kill switch) before the stop').gatewayHalt({
        target: p.target,
        reason: `DR drill ${this.drillId}: graceful stop`,
        idempotencyKey: this.key('halt'),
      });
      this.haltedByDrill = !this.preflight?.entriesHalted;
      if (!halt.entriesHalted) {
        this.failures.push('entries not halted after the kill-switch halt');
        throw ApplicationFailure.nonRetryable(
          'stop condition: entries not halted when they must be (kill switch halt had no effect)',
          FAILURE.drillStopCondition,
        );
      }
      let stop: Awaited<ReturnType<Activities['processStop']>>;
      try {
        stop = await processCall(`2 stop: graceful stop of ${p.target} within ${p.stopSeconds} s (keyed by drill id)`).processStop({
          target: p.target,
          idempotencyKey: this.key('stop'),
          stopSeconds: p.stopSeconds,
        });
      } catch (err) {
        if (isCancellation(err)) throw err;
        // The target was touched: the drill ran, and failed with this cause; the rollback still runs.
        this.ran = true;
        const cause = `stop did not complete: ${innermostMessage(err).replace(/^.*?stop did not complete: /, '')}`;
        this.failures.push(cause);
        throw ApplicationFailure.nonRetryable(cause, FAILURE.drillFailed);
      }
      this.ran = true;
      this.timeline.stopRequestedAt = stop.stopRequestedAt;
      this.timeline.stoppedAt = stop.stoppedAt;
      if (stop.detectedAt) this.timeline.detectedAt = stop.detectedAt;
      const down = await this.read('2 stop: detect the outage').processHealth({ target: p.target, timeoutMs: 1000 });
      if (down.healthy) this.failures.push(`target still answers healthy after the stop (${down.detail})`);
      else this.timeline.detectedAt ??= down.checkedAt;
      const save = await this.read('2 stop: last runtime-state save').runtimeStateLastSave({ target: p.target });
      if (save.exists) this.timeline.lastStateSaveAt = save.savedAt;
      s.detail = `${stop.alreadyDone ? 'already stopped by this drill' : (stop.detail ?? 'stopped')}; last save ${save.exists ? `seq ${save.seq} at ${save.savedAt}` : 'none'}`;
      return { cursors: mark.cursors, lastSave: save };
    });

    await this.step('restart', async (s) => {
      await processCall(`3 restart: start ${p.target} (keyed by drill id)`).processStart({ target: p.target, idempotencyKey: this.key('start') });
      const bound = Date.now() + ms(p.restartSeconds);
      for (;;) {
        if (this.bounded) {
          if (!(await this.awaitServing(s, bound))) return;
          break;
        }
        const h = await probe('3 restart: wait until serving').processHealth({ target: p.target, timeoutMs: 1000 });
        if (this.truth && h.healthy) {
          // A restart counts only with a new boot: boot id or start time differs from the preflight's.
          const boot = restartEvidence(this.preflight ?? {}, h);
          if (boot === 'new') {
            this.timeline.restartCompleteAt = h.servingAt ?? h.checkedAt;
            if (h.startedAt) this.timeline.restartStartedAt = h.startedAt;
            if (h.bootId) this.timeline.restartBootId = h.bootId;
            break;
          }
          if (boot === 'unknown') {
            const why = 'the health answer carries no boot_id or started_at (target contract §7): a restart cannot be told from a process that never stopped';
            this.check('target restarted (new boot)', false, why);
            this.end(s, 'failed', `restart not verified: ${why}`);
            return;
          }
        } else if (!this.truth && h.healthy && (!h.bootId || h.bootId !== this.preflight?.bootId)) {
          this.timeline.restartCompleteAt = h.checkedAt;
          break;
        }
        if (Date.now() >= bound) {
          this.failures.push(`target not serving within ${p.restartSeconds} s of the restart`);
          this.check('target serving after restart', false, `not healthy within ${p.restartSeconds} s (${h.detail})`);
          this.end(s, 'failed', `not serving within ${p.restartSeconds} s`);
          return;
        }
        await sleep(p.pollMs);
      }
      this.check('target serving after restart', true, `healthy at ${this.timeline.restartCompleteAt}`);

      if (lastSave.exists) {
        const v = await this.read('3 restart: runtime state restored (digest equals the last save)').runtimeStateVerifyRestore({
          target: p.target,
          expectedDigest: lastSave.digest,
          expectedSeq: lastSave.seq,
        });
        this.check('runtime state restored', v.matches, v.reason);
        // RPO ends at the save whose state was actually restored (digest-verified).
        if (v.matches) this.timeline.restoredStateSavedAt = lastSave.savedAt;
      } else {
        this.check('runtime state restored', false, 'no runtime state save found before the stop');
      }

      // Reconciliation of the new boot: from its own start time when the target gives one.
      const sinceMs = Date.parse(this.timeline.restartStartedAt ?? this.timeline.stoppedAt ?? this.timeline.stopRequestedAt ?? this.startedAt);
      let obs = emptyObserved();
      let c = cursors;
      const verifyBound = Date.now() + ms(p.verifySeconds);
      let fresh: number | undefined;
      for (;;) {
        if (this.bounded) {
          fresh = await this.awaitRecoveryEvidence(cursors, sinceMs, verifyBound);
          break;
        }
        const r = await this.observe(c, '3 restart: reconciliation loop and SLO monitor emitting again');
        c = r.cursors;
        obs = foldObserved(obs, r.events);
        const clean = firstCleanReconciliation(obs, sinceMs);
        const slo = firstAfter(obs.slo, sinceMs, (e) => e.event_type === 'slo_snapshot');
        if (clean) this.timeline.firstCleanReconciliationAt = clean;
        if (slo) this.timeline.firstSloSnapshotAt = slo;
        if ((clean && slo) || Date.now() >= verifyBound) break;
        await sleep(p.pollMs);
      }
      const freshRecon = fresh ?? obs.order.filter((e) => Date.parse(e.ts) >= sinceMs).length;
      this.check(
        'reconciliation loop restarted',
        freshRecon > 0,
        freshRecon > 0
          ? `${freshRecon} fresh reconciliation cycle(s) after the restart`
          : `no reconciliation events within ${p.verifySeconds} s of the restart`,
      );
      this.check(
        'first clean reconciliation',
        !!this.timeline.firstCleanReconciliationAt,
        this.timeline.firstCleanReconciliationAt ? `at ${this.timeline.firstCleanReconciliationAt}` : `none within ${p.verifySeconds} s`,
      );
      this.check(
        'SLO monitor emitting',
        !!this.timeline.firstSloSnapshotAt,
        this.timeline.firstSloSnapshotAt
          ? `first snapshot at ${this.timeline.firstSloSnapshotAt}`
          : `no SLO snapshot within ${p.verifySeconds} s of the restart`,
      );
      const bad = this.checks.filter((x) => !x.ok);
      if (bad.length) this.end(s, 'failed', bad.map((x) => `${x.name}: ${x.detail}`).join('; '));
    });

    await this.step('record', async (s) => {
      const m = recoveryMeasures(this.timeline, p);
      this.rto = m.rto;
      this.rpo = m.rpo;
      publishMeasures(m.rto, m.rpo);
      const b = recoveryBreakdown(this.timeline);
      s.detail = `RTO ${m.rto.seconds ?? 'n/a'} s (target ${m.rto.targetSeconds}), RPO ${m.rpo.seconds ?? 'n/a'} s (target ${m.rpo.targetSeconds}); from the stop request: detected ${b.timeToDetectSeconds ?? 'n/a'} s, restart complete ${b.restartCompleteSeconds ?? 'n/a'} s, first clean reconciliation ${b.firstCleanReconciliationSeconds ?? 'n/a'} s`;
    });
  }

  /**
   * Runs a long-poll wait slice by slice until it is done, `stop` says so, or workflow time reaches
   * `boundAt`. A real slice lasts until the condition or its end; one that came back before its end
   * without the condition (a stand-in in the time-skipping tests) is followed by a timer to that end,
   * so the history grows per slice, never per poll, whoever answers.
   */
  async slices<R extends { done: boolean }>(boundAt: number, slice: (sliceMs: number) => Promise<R>, stop?: (r: R) => boolean): Promise<R> {
    for (;;) {
      const sliceMs = nextSliceMs(boundAt - Date.now());
      const sliceEnd = Date.now() + sliceMs;
      const r = await slice(sliceMs);
      if (r.done || stop?.(r) || Date.now() >= boundAt) return r;
      await this.restOfSlice(sliceEnd);
    }
  }

  /** Waits out the rest of a slice that ended early (at least `pollMs`). */
  async restOfSlice(sliceEnd: number): Promise<void> {
    await sleep(Math.max(this.p.pollMs, sliceEnd - Date.now()));
  }

  /** Step 3's wait for the target serving again with a new boot (bounded waits); false when the step failed. */
  private async awaitServing(s: DrillStepRecord, boundAt: number): Promise<boolean> {
    const p = this.p;
    const pre = {
      ...(this.preflight?.bootId ? { bootId: this.preflight.bootId } : {}),
      ...(this.preflight?.startedAt ? { startedAt: this.preflight.startedAt } : {}),
    };
    const w = await this.slices(boundAt, (sliceMs) =>
      waitCall('3 restart: wait until serving with a new boot (long poll)').drillWaitServing({
        target: p.target,
        sliceMs,
        pollMs: p.pollMs,
        until: this.truth ? 'new-boot' : 'legacy',
        preflight: pre,
      }),
    );
    const h = w.health;
    if (!w.done) {
      this.failures.push(`target not serving within ${p.restartSeconds} s of the restart`);
      this.check('target serving after restart', false, `not healthy within ${p.restartSeconds} s (${h.detail})`);
      this.end(s, 'failed', `not serving within ${p.restartSeconds} s`);
      return false;
    }
    if (!this.truth) {
      this.timeline.restartCompleteAt = h.checkedAt;
      return true;
    }
    if (restartEvidence(this.preflight ?? {}, h) === 'unknown') {
      const why = 'the health answer carries no boot_id or started_at (target contract §7): a restart cannot be told from a process that never stopped';
      this.check('target restarted (new boot)', false, why);
      this.end(s, 'failed', `restart not verified: ${why}`);
      return false;
    }
    this.timeline.restartCompleteAt = h.servingAt ?? h.checkedAt;
    if (h.startedAt) this.timeline.restartStartedAt = h.startedAt;
    if (h.bootId) this.timeline.restartBootId = h.bootId;
    return true;
  }

  /** Step 3's wait for the new boot's first clean reconciliation and SLO snapshot (bounded waits); returns the fresh cycles seen. */
  private async awaitRecoveryEvidence(cursors: ObservedCursors, sinceMs: number, boundAt: number): Promise<number> {
    const p = this.p;
    const w = await this.slices(boundAt, (sliceMs) =>
      waitCall('3 restart: reconciliation loop and SLO monitor emitting again (long poll)').drillWaitRecoveryEvidence({
        target: p.target,
        cursors,
        sinceMs,
        sliceMs,
        pollMs: p.pollMs,
      }),
    );
    if (w.firstCleanReconciliationAt) this.timeline.firstCleanReconciliationAt = w.firstCleanReconciliationAt;
    if (w.firstSloSnapshotAt) this.timeline.firstSloSnapshotAt = w.firstSloSnapshotAt;
    return w.freshReconciliations;
  }

  /**
   * Market calendar (issue 15): refused inside a trading session or blackout, before any call to the
   * target, whoever started the drill (UI, schedule, trigger, backfill, CLI).
   */
  private async calendarPreflight(): Promise<void> {
    const c = await this.write('0 preflight: market calendar (sessions, holidays, blackouts)').drillCalendarCheck({
      target: this.p.target,
      maxDrillSeconds: this.p.maxDrillSeconds,
    });
    const refusal = calendarRefusal(c);
    if (!refusal) return;
    this.failures.push(refusal);
    throw ApplicationFailure.nonRetryable(`preflight refused the drill: ${refusal}`, FAILURE.drillRefused);
  }

  /**
   * One drill per target (issue 9): starts the target's lock as a child (id `drill-lock~<target>`),
   * outside any cancellation scope so a cancelled drill keeps it until its rollback is done. A start
   * that fails because the lock runs means another drill holds the target: refused, naming it.
   */
  private async acquireLock(): Promise<void> {
    const p = this.p;
    const info = workflowInfo();
    const holder: DrillLockHolder = { drillId: this.drillId, workflowId: info.workflowId, runId: info.runId, startedAt: this.startedAt };
    const lockId = workflowIds.drillLock(p.target);
    try {
      this.lock = await CancellationScope.nonCancellable(() =>
        startChild(drillTargetLockWorkflow, {
          workflowId: lockId,
          args: [{ target: p.target, holder }],
          parentClosePolicy: ParentClosePolicy.TERMINATE,
          staticSummary: `Drill lock of ${p.target}: held by drill ${this.drillId}`,
        }),
      );
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      this.busy = true;
      try {
        await getExternalWorkflowHandle(lockId).signal(drillLockWhoSignal, { replyTo: info.workflowId });
        await condition(() => this.busyHolder !== undefined, '10 seconds');
      } catch (e) {
        log.info('drill lock holder not named', { error: innermostMessage(e) });
      }
      const msg = drillBusyMessage(p.target, this.busyHolder);
      this.failures.push(msg);
      throw ApplicationFailure.nonRetryable(`preflight refused the drill: ${msg}`, FAILURE.drillRefused);
    }
  }

  /** Ends the lock this drill holds (the server would terminate it with the drill anyway). */
  async releaseLock(): Promise<void> {
    if (!this.lock) return;
    try {
      await this.lock.signal(drillLockReleaseSignal, { drillId: this.drillId });
      await this.lock.result();
    } catch (err) {
      log.warn('drill lock not released by signal (closes with the drill)', { error: innermostMessage(err) });
    }
  }

  private check(name: string, ok: boolean, detail: string): void {
    this.checks.push({ name, ok, detail });
    if (!ok) this.failures.push(`${name}: ${detail}`);
  }

  /** Keys of one scenario's inject and clear (within the 128-character key alphabet). */
  chaosKey(what: 'inject' | 'clear', scenario: string): string {
    return `chaos.${this.drillId.slice(-90)}.${what}.${scenario}`;
  }

  // -------------------------------------------------------------------------------------------

  /** Always runs (non-cancellable): target up, faults cleared, entries resumed if the drill halted them (`drill-rollback.ts`). */
  rollback(): Promise<void> {
    return rollbackDrill(this);
  }

  /** The evidence step: RTO/RPO, the verdict, the report and the audit event, the page on failure (`drill-evidence.ts`). */
  evidence(cancelledByUser: boolean, errored: boolean): Promise<void> {
    return drillEvidence(this, cancelledByUser, errored);
  }
}

type ObservedCursors = DrillCursors;

export async function weeklyDrillWorkflow(input: WeeklyDrillInput): Promise<WeeklyDrillResult> {
  const p = parseOrFail(weeklyDrillInputSchema, input, 'weeklyDrillWorkflow input');
  const drillId = p.drillId ?? drillIdFromWorkflowId(workflowInfo().workflowId);
  const d = new WeeklyDrill(p, drillId);
  setHandler(
    drillLockHolderSignal,
    (raw) => {
      const r = parseMessage(drillLockHolderSchema, raw);
      if (r.ok) d.busyHolder ??= r.data;
      else log.warn('invalid drillLockHolder signal dropped', { error: r.error });
    },
    { description: "The target's drill lock naming the drill that holds it (answer to this drill's question when it was refused)." },
  );
  setHandler(weeklyDrillStatusQuery, () => d.status(), {
    description:
      'Current step (0 preflight … 5 evidence, rollback), each step with start/finish times and detail, the timeline measured so far, chaos results, failures, and RTO/RPO with verdicts once recorded.',
  });
  upsertSearchAttributes([
    { key: SA.target, value: p.target },
    { key: SA.state, value: 'preflight' },
  ]);

  let timedOut = false;
  let cancelledByUser: unknown;
  let errored = false;
  const main = new CancellationScope();
  const deadline = new CancellationScope();
  void deadline
    .run(() => sleep(ms(p.maxDrillSeconds)))
    .then(
      () => {
        timedOut = true;
        main.cancel();
      },
      () => undefined,
    );
  try {
    await main.run(() => d.runSteps());
  } catch (err) {
    const type = failureTypeOf(err);
    if (isCancellation(err) && timedOut) {
      d.abortReason = `maximum drill duration ${p.maxDrillSeconds} s reached in step ${d.current}`;
      d.failures.push(d.abortReason);
    } else if (isCancellation(err)) {
      d.abortReason = `cancelled during step ${d.current}`;
      cancelledByUser = err;
    } else if (type === FAILURE.drillStopCondition) {
      d.abortReason = innermostMessage(err);
    } else if (type === FAILURE.drillFailed) {
      // the step recorded its failures
    } else if (type === FAILURE.drillRefused) {
      // could not run; the preflight recorded why (once)
      errored = true;
    } else {
      errored = true;
      d.failures.push(`${d.current}: ${innermostMessage(err)}`);
    }
    log.warn('drill ended early', { step: d.current, error: innermostMessage(err) });
  } finally {
    deadline.cancel();
  }
  await CancellationScope.nonCancellable(async () => {
    await d.rollback();
    await d.evidence(cancelledByUser !== undefined, errored);
    await d.releaseLock();
  });
  if (cancelledByUser) throw cancelledByUser;
  return {
    drillId,
    target: p.target,
    result: d.result!,
    rto: d.rto!,
    rpo: d.rpo!,
    ...(d.truth ? { recovery: recoveryBreakdown(d.timeline) } : {}),
    failures: [...d.failures],
    ...(d.reportPath ? { reportPath: d.reportPath } : {}),
    ...(d.abortReason ? { abortReason: d.abortReason } : {}),
  };
}
