/**
 * Runbook "Incident Acknowledgment" + "Critical incident acknowledgment SLA: <= 15 minutes".
 *
 * Waits for the ack — the `acknowledge` update, or an `incident_ack` line in the run's
 * `incident_events.jsonl` (the runbook's script, a person, the CLI while Temporal was down; the line's
 * time is the ack time). Unacknowledged past the SLA it escalates through the policy's levels, each
 * on its own schedule: a page is delivered in the background, so a failing receiver never holds the
 * next level back. An ack (or the resolution) cancels every page still being delivered; a page also
 * looks at the run file right before it goes out. The receivers paged get the incident's lifecycle
 * under one dedup key: trigger → acknowledge → resolve (the incident workflow sends `resolve`).
 * With a resolve SLA, an acknowledged incident still unresolved in time escalates again.
 *
 * History stays bounded over days: the file is watched by one heartbeating activity that long-polls
 * (one call per half hour when nothing happens), and the timer continues as new, carrying its state,
 * when its history grows past `historyLimit` events.
 *
 * Timers begun before this version replay on `incident-ack-v1.ts` (patch `ack-timer-lifecycle`).
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { IncidentLifecycleInput } from '../activities/paging';
import {
  ackFromFileLine,
  defaultPolicy,
  escalationSchedule,
  makeAckRecord,
  nextMove,
  openedAtProblem,
  resolveSchedule,
  resolveStartMs,
  slaVerdict,
  type AckPhase,
  type AckRecord,
  type AckTimerCarry,
  type AcknowledgeRequest,
  type EscalationStep,
  type IncidentAckInput,
  type IncidentAckParams,
  type IncidentAckResult,
  type IncidentAckStatus,
  type LifecycleRecord,
  type PageRecord,
  type ResolvedRecord,
} from '../domain/ack-timer';
import { acknowledgeCheck, ackTimerInputCheck, resolveMessageCheck } from '../domain/ack-timer-check';
import { incidentDedupKey } from '../domain/dedup-key';
import type { PageKind } from '../domain/paging';
import { sanitizeText } from '../domain/printable';
import { SA } from '../search-attributes';
import { fileWatch, pageDelivery, pageLifecycle, shortIo, shortIoLocal } from './activity-profiles';
import { acknowledgeUpdate, incidentAckStatusQuery, resolveIncidentSignal } from './definitions';
import { incidentAckWorkflowV1 } from './incident-ack-v1';
import * as metrics from './product-metrics';
import { parseMessage, parseOrFail, validatorFor } from './validation';
import { conditionNow, conditionWithin } from './light-wait';
import { FAILURE } from '../domain/failure-types';
import { deepestMessage } from '../domain/failure-chain';

/** Guards the paging lifecycle version of the timer (histories recorded before it replay on v1). */
export const ACK_TIMER_LIFECYCLE_PATCH = 'ack-timer-lifecycle';
/** A page stopped by the ack whose last attempt failed meanwhile counts as cancelled, not failed. */
export const PAGE_STOPPED_PATCH = 'ack-page-stopped-is-cancelled';
/**
 * The light ack path (issue 12), decided once per run at its start; timers begun before keep the old path.
 *
 * The `acknowledge` update appends its `incident_ack` line in a local activity: no trip through the
 * activity task queue (where up to thousands of run-file watches wait), one workflow task for the ack.
 * The append is idempotent (one line per incident), so a retry after a worker crash writes nothing twice.
 * The line names the timer (`timer_run_id`) and the timer's own watch skips it: a watch returning on
 * it while the ack's task completes the timer would fail that task, and the server would then drop
 * the update it carried (the client sees "unexpected workflow task failure").
 *
 * Its waits create few promises (`light-wait.ts`): a timed wait is one timer and one plain condition,
 * and a wait whose condition already holds, or a lifecycle message with nothing paged, costs nothing.
 */
export const ACK_LIGHT_PATCH = 'ack-light-path';
/**
 * One patch marker and one search-attribute upsert at a timer's start (issue 12): a timer begun
 * since it records this marker alone and takes every path the three patches above guard (the paging
 * lifecycle, the light path, a stopped page counted as cancelled) without asking for them, and tags
 * itself (run, incident, state) in one upsert. Each `patched()` marker also brings an upsert of
 * `TemporalChangeVersion`, so a timer's start wrote six such events (two markers, four search-attribute
 * updates, each a visibility write) where it now writes three (one marker, two updates). Timers begun
 * before decide as they did.
 */
export const ACK_COMPACT_START_PATCH = 'ack-compact-start';

const { deliverIncidentPage } = proxyActivities<Activities>(pageDelivery);
const { sendIncidentPageEvent } = proxyActivities<Activities>(pageLifecycle);
const { watchIncidentFile } = proxyActivities<Activities>(fileWatch);
const { recordIncidentAck } = proxyActivities<Activities>(shortIo);
const { recordIncidentAck: recordIncidentAckLocal } = proxyLocalActivities<Activities>({ ...shortIoLocal, summary: 'record the ack in incident_events.jsonl' });

/** A watch that may not hold (too many on its worker, or hold 0) looks again after at least this long. */
const MIN_WATCH_PAUSE_SECONDS = 60;

interface Delivery {
  scope: CancellationScope;
  done?: Promise<void>;
}

const iso = (ms: number) => new Date(ms).toISOString();
const messageOf = (err: unknown): string => deepestMessage(err, 5);

/** State and handlers of one ack timer; the workflow function only wires them. */
class AckTimer {
  readonly s: AckTimerCarry;
  readonly dedupKey: string;
  readonly resolveDedupKey: string;
  readonly ackSteps: EscalationStep[];
  readonly resolveSteps: EscalationStep[];
  private readonly deliveries = new Set<Delivery>();
  private lifecycle: Promise<void> = Promise.resolve();
  private lifecyclePending = 0;
  private watchScope?: CancellationScope;
  private stopWatching = false;
  private published?: AckPhase;
  /** {@link ACK_LIGHT_PATCH}: the ack's line is written by a local activity, tagged with the timer; light waits. */
  private readonly light: boolean;

  /** `compact`: {@link ACK_COMPACT_START_PATCH} holds, and with it every patch this timer asks about. */
  constructor(
    readonly p: IncidentAckParams,
    readonly openedAtMs: number,
    private readonly compact: boolean,
  ) {
    const policy = p.escalation ?? defaultPolicy(p.ackSlaSeconds);
    this.ackSteps = escalationSchedule(policy);
    this.resolveSteps = resolveSchedule(policy);
    this.dedupKey = incidentDedupKey(p.runId, p.incidentId);
    this.resolveDedupKey = incidentDedupKey(p.runId, p.incidentId, 'resolve-sla');
    this.light = compact || patched(ACK_LIGHT_PATCH);
    this.s = p.carried ?? {
      v: 2,
      runs: 0,
      pages: [],
      events: [],
      nextAckStep: 0,
      nextResolveStep: 0,
      triggeredLevels: [],
      resolveTriggeredLevels: [],
      acknowledgeSent: false,
    };
  }

  get phase(): AckPhase {
    if (this.s.resolved) return 'resolved';
    if (this.s.ack) return this.s.nextResolveStep > 0 ? 'resolve-overdue' : 'acknowledged';
    return this.s.nextAckStep > 0 ? 'escalated' : 'open';
  }

  publish(): void {
    if (this.published !== this.phase) upsertSearchAttributes([this.stateAttribute()]);
  }

  /** The state's search attribute, marked as published: `publish()` writes it, and so does the first upsert ({@link ACK_COMPACT_START_PATCH}). */
  stateAttribute(): { key: typeof SA.state; value: AckPhase } {
    this.published = this.phase;
    return { key: SA.state, value: this.phase };
  }

  private get ackNoticedAtMs(): number | undefined {
    return this.s.ackNoticedAt ? Date.parse(this.s.ackNoticedAt) : undefined;
  }

  status(nowMs: number): IncidentAckStatus {
    const p = this.p;
    const s = this.s;
    const last = [...s.pages].reverse().find((r) => r.kind !== 'incident_resolve_sla');
    const noticed = this.ackNoticedAtMs;
    const rStart = resolveStartMs({
      openedAtMs: this.openedAtMs,
      resolveSlaSeconds: p.resolveSlaSeconds,
      ...(noticed !== undefined ? { ack: { noticedAtMs: noticed } } : {}),
    });
    const next = s.resolved
      ? undefined
      : !s.ack
        ? this.ackSteps[s.nextAckStep] && this.openedAtMs + (this.ackSteps[s.nextAckStep] as EscalationStep).atSeconds * 1000
        : rStart !== undefined && this.resolveSteps[s.nextResolveStep]
          ? rStart + (this.resolveSteps[s.nextResolveStep] as EscalationStep).atSeconds * 1000
          : undefined;
    return {
      runId: p.runId,
      incidentId: p.incidentId,
      severity: p.severity,
      state: this.phase,
      escalationLevel: last?.level ?? 0,
      escalationRound: last?.round ?? 0,
      openedAt: iso(this.openedAtMs),
      slaDeadline: iso(this.openedAtMs + p.ackSlaSeconds * 1000),
      ...(p.resolveSlaSeconds !== undefined ? { resolveDeadline: iso(this.openedAtMs + p.resolveSlaSeconds * 1000) } : {}),
      ...(next !== undefined ? { nextEscalationAt: iso(next) } : {}),
      sla: slaVerdict(this.openedAtMs, s.resolved ? Math.min(nowMs, Date.parse(s.resolved.resolvedAt)) : nowMs, p.ackSlaSeconds, s.ack),
      pages: s.pages.map((r) => ({ ...r })),
      ...(s.ack ? { ack: s.ack } : {}),
      ...(s.ackLine ? { ackLine: s.ackLine } : {}),
      dedupKey: this.dedupKey,
      events: s.events.map((e) => ({ ...e })),
      ...(s.resolved ? { resolved: s.resolved } : {}),
      continuedRuns: s.runs,
      historyLength: workflowInfo().historyLength,
    };
  }

  // ------------------------------------------------------------------------------------------------
  // The ack, from either source, and the resolution

  private setAck(ack: AckRecord): void {
    this.s.ack = ack;
    this.s.ackNoticedAt = iso(Date.now());
    // No page after an ack: every delivery still running is cancelled (and checks the file anyway).
    this.cancelDeliveries();
    this.publish();
    log.info('incident acknowledged', { ackBy: ack.ackBy, source: ack.source, latencySeconds: ack.latencySeconds, slaMet: ack.slaMet });
    metrics.incidentAcked({ severity: this.p.severity, source: ack.source ?? 'update', latencySeconds: ack.latencySeconds, slaMet: ack.slaMet });
  }

  /** The `acknowledge` update. Idempotent: the first ack stands and every later one gets it back. */
  async acknowledge(req: AcknowledgeRequest): Promise<AckRecord> {
    if (this.s.ack) return this.s.ack;
    const ack = makeAckRecord(parseOrFail(acknowledgeCheck, req, 'acknowledge'), this.openedAtMs, Date.now(), this.p.ackSlaSeconds, 'update');
    this.setAck(ack);
    const target = { runId: this.p.runId, incidentId: this.p.incidentId, ack };
    const recorded = (this.light ? recordIncidentAckLocal({ ...target, timerRunId: workflowInfo().firstExecutionRunId }) : recordIncidentAck(target)).then(
      (r) => r,
      (err: unknown) => err as Error,
    );
    // When this returns, no page is being delivered and none will start.
    const settling = this.settled();
    if (settling) await settling;
    const r = await recorded;
    if (r instanceof Error) {
      // The ack stands in history either way; the line is evidence, not the truth.
      this.s.ackLine = 'failed';
      log.warn('could not append incident_ack to the run artifacts', { error: messageOf(r) });
    } else if (r.written) this.s.ackLine = 'written';
    else if (r.reason === 'duplicate') {
      this.s.ackLine = 'duplicate';
      // Someone acked in the file first (not yet seen by the watch): that ack stands, timer and file agree.
      if (r.existing && Date.parse(r.existing.ts) < Date.parse(ack.ackedAt)) {
        this.s.ack = ackFromFileLine(r.existing, this.openedAtMs, Date.now(), this.p.ackSlaSeconds);
      }
    } else this.s.ackLine = r.reason;
    return this.s.ack as AckRecord;
  }

  /** An `incident_ack` or `incident_resolved` line for this incident in the run file. */
  adoptFileLine(hit: { kind: 'ack' | 'resolved'; line: Record<string, unknown> }): void {
    if (hit.kind === 'ack') {
      if (this.s.ack) return;
      this.s.ackLine = 'from-file';
      this.setAck(ackFromFileLine(hit.line, this.openedAtMs, Date.now(), this.p.ackSlaSeconds));
      return;
    }
    const ts = typeof hit.line.ts === 'string' ? Date.parse(hit.line.ts) : NaN;
    const resolution = sanitizeText(hit.line.resolution, 100, '');
    this.setResolved({
      resolvedAt: iso(Number.isFinite(ts) ? Math.min(ts, Date.now()) : Date.now()),
      source: 'run-file',
      ...(resolution ? { resolution } : {}),
    });
  }

  /** The `resolve` signal: never throws (a signal handler that throws would wedge the timer). */
  resolveSignal(req: unknown): void {
    // A payload that does not parse is dropped: a malformed message must not end the escalation.
    const r = parseMessage(resolveMessageCheck, req);
    if (!r.ok) {
      log.warn('resolve signal with an invalid payload dropped', { problems: r.error });
      return;
    }
    const d = r.data;
    const at = d.resolvedAt ? Math.min(Date.parse(d.resolvedAt), Date.now()) : Date.now();
    this.setResolved({ resolvedAt: iso(at), source: 'signal', ...(d.resolution ? { resolution: d.resolution } : {}), ...(d.by ? { by: d.by } : {}) });
  }

  private setResolved(rec: ResolvedRecord): void {
    if (this.s.resolved) return;
    this.s.resolved = rec;
    this.cancelDeliveries();
    this.publish();
    log.info('incident resolved', { source: rec.source, resolution: rec.resolution });
  }

  // ------------------------------------------------------------------------------------------------
  // Pages

  private cancelDeliveries(): void {
    for (const d of this.deliveries) d.scope.cancel();
  }

  private async settleDeliveries(): Promise<void> {
    await condition(() => this.deliveries.size === 0);
  }

  /** {@link settleDeliveries}, with no promise at all when nothing is being delivered (light path). */
  private settled(): Promise<void> | undefined {
    return this.light ? conditionNow(() => this.deliveries.size === 0) : this.settleDeliveries();
  }

  /** `condition(fn, ms)`, or its light equivalent ({@link ACK_LIGHT_PATCH}). */
  private within(fn: () => boolean, ms: number): Promise<boolean> {
    return this.light ? conditionWithin(fn, ms) : condition(fn, ms);
  }

  /** Fires one escalation step: the page is delivered in the background, the timer goes on. */
  private fire(step: EscalationStep, kind: 'incident_ack_sla' | 'incident_resolve_sla'): void {
    const resolveSla = kind === 'incident_resolve_sla';
    const dedupKey = resolveSla ? this.resolveDedupKey : this.dedupKey;
    const noticed = this.ackNoticedAtMs;
    const start = resolveSla
      ? resolveStartMs({
          openedAtMs: this.openedAtMs,
          resolveSlaSeconds: this.p.resolveSlaSeconds,
          ...(noticed !== undefined ? { ack: { noticedAtMs: noticed } } : {}),
        })
      : this.openedAtMs;
    const rec: PageRecord = {
      level: step.level,
      round: step.round,
      ...(step.name ? { name: step.name } : {}),
      at: iso(Date.now()),
      ...(start !== undefined ? { dueAt: iso(start + step.atSeconds * 1000) } : {}),
      outcome: 'pending',
      dedupKey,
      kind,
    };
    this.s.pages.push(rec);
    if (resolveSla) this.s.nextResolveStep++;
    else this.s.nextAckStep++;
    this.publish();
    log.warn(resolveSla ? 'resolve SLA passed; escalating again' : 'ack SLA step passed unacknowledged; escalating', { level: step.level, round: step.round });
    metrics.escalationFired({ kind, level: step.level });
    const p = this.p;
    const d: Delivery = { scope: new CancellationScope() };
    d.done = d.scope
      .run(() =>
        deliverIncidentPage({
          kind,
          runId: p.runId,
          incidentId: p.incidentId,
          severity: p.severity,
          level: step.level,
          round: step.round,
          ...(step.name ? { levelName: step.name } : {}),
          openedAt: iso(this.openedAtMs),
          ...(p.summary ? { summary: p.summary } : {}),
          dedupKey,
          ...(this.s.cursor ? { fileCursor: this.s.cursor as never } : {}),
          // After the ack, only a resolution in the file stops a resolve-SLA page.
          suppressOn: resolveSla ? ['resolved'] : ['ack', 'resolved'],
        }),
      )
      .then(
        (r) => {
          rec.outcome = r.outcome;
          if (r.routes.length) rec.routes = r.routes;
          if (r.outcome === 'suppressed') this.adoptFileLine(r.hit);
        },
        (err: unknown) => {
          // Stopped by an ack or the resolution: cancelled, even when the attempt under way ended in
          // the receiver's error before the activity heard of the cancellation.
          if (isCancellation(err) || (d.scope.consideredCancelled && (this.compact || patched(PAGE_STOPPED_PATCH)))) rec.outcome = 'cancelled';
          else {
            // A receiver that rejects the page for good must not stop the timer: record it and go on.
            rec.outcome = 'failed';
            rec.detail = messageOf(err);
            log.error('page failed for good', { dedupKey, level: step.level });
          }
        },
      )
      .finally(() => {
        this.deliveries.delete(d);
        metrics.pageSettled({ kind, level: step.level, outcome: rec.outcome });
      });
    this.deliveries.add(d);
  }

  /** Levels whose trigger may have reached a receiver (delivered, or cancelled while in flight). */
  private levelsPaged(kind: PageKind): number[] {
    const levels = this.s.pages.filter((r) => r.kind === kind && (r.outcome === 'delivered' || r.outcome === 'cancelled')).map((r) => r.level);
    return [...new Set(levels)].sort((a, b) => a - b);
  }

  /** Sends `acknowledge` or `resolve` to what was paged, in order, in the background (after pending deliveries settle). */
  private queueLifecycle(action: 'acknowledge' | 'resolve'): void {
    const kinds: Array<'incident_ack_sla' | 'incident_resolve_sla'> =
      action === 'acknowledge' ? ['incident_ack_sla'] : ['incident_ack_sla', 'incident_resolve_sla'];
    // Nothing paged and nothing being delivered: no receiver to tell, and none can appear for these kinds.
    if (this.light && this.deliveries.size === 0 && this.lifecyclePending === 0 && kinds.every((k) => this.levelsPaged(k).length === 0)) return;
    this.lifecyclePending++;
    this.lifecycle = this.lifecycle
      .then(async () => {
        await this.settleDeliveries();
        for (const kind of kinds) {
          const levels = this.levelsPaged(kind);
          if (levels.length === 0) continue;
          const dedupKey = kind === 'incident_resolve_sla' ? this.resolveDedupKey : this.dedupKey;
          const at = action === 'acknowledge' ? (this.s.ack?.ackedAt ?? iso(Date.now())) : (this.s.resolved?.resolvedAt ?? iso(Date.now()));
          const rec: LifecycleRecord = { action, dedupKey, at, outcome: 'pending' };
          this.s.events.push(rec);
          const input: IncidentLifecycleInput = {
            action,
            kind,
            runId: this.p.runId,
            incidentId: this.p.incidentId,
            severity: this.p.severity,
            levels,
            openedAt: iso(this.openedAtMs),
            dedupKey,
            at,
            ...(action === 'acknowledge' && this.s.ack ? { ackBy: this.s.ack.ackBy } : {}),
          };
          try {
            const r = await sendIncidentPageEvent(input);
            rec.outcome = r.outcome;
            if (r.routes.length) rec.routes = r.routes;
          } catch (err) {
            rec.outcome = 'failed';
            rec.detail = messageOf(err);
            log.error(`page ${action} not delivered`, { dedupKey });
          }
        }
      })
      .finally(() => {
        this.lifecyclePending--;
      });
  }

  // ------------------------------------------------------------------------------------------------
  // The run file, watched in the background

  startWatching(): void {
    this.watchLoop().catch((err: unknown) => log.error('run-file watch stopped', { error: messageOf(err) }));
  }

  private stopWatch(): void {
    this.stopWatching = true;
    this.watchScope?.cancel();
  }

  private async watchLoop(): Promise<void> {
    const fw = this.p.fileWatch;
    while (!this.stopWatching && !this.s.resolved) {
      let pause = fw.holdSeconds === 0 ? Math.max(fw.pauseSeconds, MIN_WATCH_PAUSE_SECONDS) : fw.pauseSeconds;
      const scope = new CancellationScope();
      this.watchScope = scope;
      try {
        const r = await scope.run(() =>
          watchIncidentFile({
            runId: this.p.runId,
            incidentId: this.p.incidentId,
            ...(this.s.cursor ? { cursor: this.s.cursor as never } : {}),
            holdSeconds: fw.holdSeconds,
            want: this.s.ack ? ['resolved'] : ['ack', 'resolved'],
            ...(this.light ? { skipAckOfTimer: workflowInfo().firstExecutionRunId } : {}),
          }),
        );
        if (r.cursor) this.s.cursor = r.cursor;
        if (r.hit) this.adoptFileLine(r.hit);
        if (r.busy) pause = Math.max(pause, MIN_WATCH_PAUSE_SECONDS, r.retryAfterSeconds ?? 0);
      } catch (err) {
        if (this.stopWatching) return;
        if (!isCancellation(err)) log.warn('run-file watch failed; looking again later', { error: messageOf(err) });
        pause = Math.max(pause, MIN_WATCH_PAUSE_SECONDS);
      }
      if (pause > 0 && !this.stopWatching) await this.within(() => this.stopWatching, pause * 1000);
    }
  }

  // ------------------------------------------------------------------------------------------------
  // The timer's life

  private shouldContinueAsNew(): boolean {
    if (this.deliveries.size > 0 || this.lifecyclePending > 0) return false;
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= this.p.historyLimit;
  }

  private async continueAsNewNow(): Promise<never> {
    this.stopWatch();
    await condition(allHandlersFinished);
    log.info('continuing as new', { historyLength: workflowInfo().historyLength, runs: this.s.runs + 1 });
    return continueAsNew<typeof incidentAckWorkflow>({
      ...this.p,
      openedAt: iso(this.openedAtMs),
      carried: { ...this.s, runs: this.s.runs + 1 },
    });
  }

  async run(): Promise<IncidentAckResult> {
    this.publish();
    this.startWatching();
    for (;;) {
      if (this.s.ack && !this.s.acknowledgeSent && !this.s.resolved) {
        this.s.acknowledgeSent = true;
        this.queueLifecycle('acknowledge');
      }
      const noticed = this.ackNoticedAtMs;
      const m = nextMove({
        nowMs: Date.now(),
        openedAtMs: this.openedAtMs,
        ackSteps: this.ackSteps,
        nextAckStep: this.s.nextAckStep,
        resolveSteps: this.resolveSteps,
        nextResolveStep: this.s.nextResolveStep,
        ...(this.p.resolveSlaSeconds !== undefined ? { resolveSlaSeconds: this.p.resolveSlaSeconds } : {}),
        ...(this.s.ack && noticed !== undefined ? { ack: { noticedAtMs: noticed } } : {}),
        resolved: this.s.resolved !== undefined,
        paged: this.levelsPaged('incident_ack_sla').length > 0 || this.deliveries.size > 0,
        keepOpenAfterAckSeconds: this.p.keepOpenAfterAckSeconds,
        awaitResolveSeconds: this.p.awaitResolveSeconds,
      });
      if (m.move === 'finish') break;
      if (m.move === 'fire') {
        this.fire(m.step, m.kind);
        continue;
      }
      // Anything the plan depends on: the ack, the resolution, what was paged and what is still in flight.
      const key = () => `${this.s.ack !== undefined}/${this.s.resolved !== undefined}/${this.deliveries.size}/${this.levelsPaged('incident_ack_sla').length}`;
      const seen = key();
      const woken = () => key() !== seen || this.shouldContinueAsNew();
      if (m.untilMs === undefined) await condition(woken);
      else await this.within(woken, Math.max(1, m.untilMs - Date.now()));
      if (this.shouldContinueAsNew()) await this.continueAsNewNow();
    }
    this.stopWatch();
    this.cancelDeliveries();
    const settling = this.settled();
    if (settling) await settling;
    if (this.s.resolved) this.queueLifecycle('resolve');
    if (!this.light || this.lifecyclePending > 0) await this.lifecycle;
    const handlers = this.light ? conditionNow(allHandlersFinished) : condition(allHandlersFinished);
    if (handlers) await handlers;
    const s = this.s;
    return {
      runId: this.p.runId,
      incidentId: this.p.incidentId,
      severity: this.p.severity,
      slaMet: s.ack?.slaMet ?? false,
      ...(s.ack ? { ack: s.ack } : {}),
      pages: s.pages,
      events: s.events,
      ...(s.resolved ? { resolved: s.resolved } : {}),
    };
  }
}

export async function incidentAckWorkflow(input: IncidentAckInput): Promise<IncidentAckResult> {
  const compact = patched(ACK_COMPACT_START_PATCH);
  if (!compact && !patched(ACK_TIMER_LIFECYCLE_PATCH)) return incidentAckWorkflowV1(input);
  const params = parseOrFail(ackTimerInputCheck, input, 'incidentAckWorkflow input');
  const openedAtMs = params.openedAt ? Date.parse(params.openedAt) : workflowInfo().runStartTime.getTime();
  if (!params.carried) {
    const problem = openedAtProblem(openedAtMs, Date.now());
    if (problem) throw ApplicationFailure.nonRetryable(`invalid incidentAckWorkflow input: ${problem}`, FAILURE.invalidInput);
  }
  const timer = new AckTimer(params, openedAtMs, compact);

  setHandler(incidentAckStatusQuery, () => timer.status(Date.now()), {
    description: 'State (open / escalated / acknowledged / resolve-overdue / resolved), level, times, pages and lifecycle events sent, the SLA verdict.',
  });
  setHandler(acknowledgeUpdate, (req) => timer.acknowledge(req), {
    description:
      'Acknowledge the incident: { "ackBy": "<on-call>", "notes": "<mitigation status>" }. Stops every page still being delivered; returns the recorded ack with its latency and SLA verdict; a second ack returns the first.',
    validator: validatorFor(acknowledgeCheck, 'acknowledge'),
  });
  setHandler(resolveIncidentSignal, (req) => timer.resolveSignal(req), {
    description:
      'The incident is resolved: { "resolution": "recovered", "by": "<identity>" } (all optional). Stops escalation and sends resolve to what was paged.',
  });
  // From the Web UI's Start Workflow form the timer may run under any id: it tags itself, so the CLI
  // finds it by run and incident id.
  upsertSearchAttributes([
    { key: SA.runId, value: params.runId },
    { key: SA.incidentId, value: params.incidentId },
    ...(compact ? [timer.stateAttribute()] : []),
  ]);
  return timer.run();
}
