/**
 * LEGACY (v1), kept as it was so histories recorded before the v2 patch (see `../recovery.ts`) replay
 * unchanged and runs started by the old code finish on it. New runs take v2. Do not change.
 *
 * Runbook "Recovery Decision Tree" for one incident class, as a child of `incidentWorkflow`.
 *
 * One probe activity per cycle (kill switch + the branch's evidence), a durable `sleep` between
 * cycles. Every probe also checks that entries are still halted; found released early, it halts them
 * again and records it. Past `maxWaitSeconds` the branch pages (the existing `pageEscalation`) and
 * returns `escalated`: the incident stays halted and waits for an operator.
 */
import { log, proxyActivities, setHandler, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import {
  dataQualityStep,
  nextCleanStreak,
  reconciliationVerdict,
  reconCounts,
  RECOVERY_CRITERIA,
  recoveryInputSchema,
  type CycleVerdict,
  type DataQualityProgress,
  type RecoveryInput,
  type RecoveryParams,
  type RecoveryResult,
  type RecoveryStatus,
  type TimelineEntry,
} from '../../domain/recovery';
import { type SloState } from '../../domain/slo-fold';
import { SA } from '../../search-attributes';
import { paging, probe, processOps } from '../activity-profiles';
import { recoveryStatusQuery } from '../definitions';
import { parseOrFail } from '../validation';

const { recoveryProbe, refreshDataSource, gatewayHalt, processHealth } = proxyActivities<Activities>(probe);
const { processStop, processStart } = proxyActivities<Activities>(processOps);
const { pageEscalation } = proxyActivities<Activities>(paging);

type Probe = Awaited<ReturnType<Activities['recoveryProbe']>>;
const MAX_TIMELINE = 300;

class Recovery {
  phase = 'starting';
  cycles = 0;
  cleanStreak = 0;
  dirtyResets = 0;
  rehalts = 0;
  lastReason: string | null = null;
  lastVerdict: CycleVerdict | null = null;
  readonly timeline: TimelineEntry[] = [];
  readonly evidence: Record<string, unknown> = {};
  recon: { cursors?: NonNullable<Probe['reconciliation']>['cursors']; state: SloState | null } = { state: null };

  constructor(
    readonly p: RecoveryParams,
    readonly deadlineMs: number,
  ) {}

  note(step: string, detail?: string): void {
    this.timeline.push({ at: new Date(Date.now()).toISOString(), step, ...(detail ? { detail } : {}) });
    if (this.timeline.length > MAX_TIMELINE) this.timeline.splice(20, this.timeline.length - MAX_TIMELINE);
  }

  status(): RecoveryStatus {
    return {
      incidentId: this.p.incidentId,
      incidentClass: this.p.incidentClass,
      attempt: this.p.attempt,
      phase: this.phase,
      cycles: this.cycles,
      cleanStreak: this.cleanStreak,
      cleanCyclesRequired: this.p.cleanCyclesRequired,
      dirtyResets: this.dirtyResets,
      rehalts: this.rehalts,
      deadline: new Date(this.deadlineMs).toISOString(),
      criteria: RECOVERY_CRITERIA[this.p.incidentClass],
      lastReason: this.lastReason,
      timeline: [...this.timeline],
    };
  }

  /** One probe; halts entries again when they were released behind our back. */
  async probe(want: { reconciliation?: boolean; dataQuality?: boolean; broker?: boolean }): Promise<Probe> {
    this.cycles++;
    const r = await recoveryProbe({
      runId: this.p.runId,
      target: this.p.target,
      ...(want.reconciliation ? { reconciliation: { ...(this.recon.cursors ? { cursors: this.recon.cursors } : {}), state: this.recon.state } } : {}),
      dataQuality: want.dataQuality ?? false,
      broker: want.broker ?? false,
    });
    await this.guard(r);
    return r;
  }

  async guard(r: Probe): Promise<void> {
    if (!r.gateway.ok) {
      this.note('kill switch unknown', r.gateway.error);
      return;
    }
    if (r.gateway.entriesHalted) return;
    this.rehalts++;
    log.warn('entries found released before the recovery criteria passed; halting again', { incidentId: this.p.incidentId, rehalts: this.rehalts });
    await gatewayHalt({
      target: this.p.target,
      reason: this.p.haltReason ?? 'entries halted by drill-runner until recovery',
      idempotencyKey: `rehalt-${this.p.incidentId}-${this.p.attempt}-${this.rehalts}`,
    });
    this.note('entries found released early: halted again', `halt_reason was ${JSON.stringify(r.gateway.haltReason)}, checked at ${r.checkedAt}`);
  }

  verdict(v: CycleVerdict, reason: string): void {
    if (v === 'dirty' && this.cleanStreak > 0) this.dirtyResets++;
    if (v !== this.lastVerdict || v === 'clean') this.note(`cycle ${this.cycles}: ${v}`, reason);
    this.lastVerdict = v;
    this.lastReason = reason;
  }

  expired(): boolean {
    return Date.now() >= this.deadlineMs;
  }

  /** Runs `step` once per cycle until it reports done or the deadline passes. */
  async everyCycle(step: () => Promise<boolean>): Promise<boolean> {
    for (;;) {
      if (await step()) return true;
      if (this.expired()) return false;
      await sleep(Math.min(this.p.cycleSeconds * 1000, Math.max(1, this.deadlineMs - Date.now())));
    }
  }

  /** Two (configurable) consecutive clean reconciliation cycles; a dirty cycle resets the count. */
  async reconciliationCycles(): Promise<boolean> {
    this.phase = 'reconciliation-cycles';
    this.cleanStreak = 0;
    // Baseline: where the files are now, and the latest mismatches ("inspect mismatched order ids and broker status").
    const base = await this.probe({ reconciliation: true });
    if (base.reconciliation) {
      this.recon = { cursors: base.reconciliation.cursors, state: base.reconciliation.state };
      const o = base.reconciliation.lastOrder;
      this.evidence.mismatchedOrderIds = o?.mismatched_order_ids ?? [];
      this.evidence.brokerStatus = o?.broker_status ?? {};
      this.note(
        'inspected reconciliation',
        o
          ? `latest order cycle ${o.cycle} ${o.status}${o.mismatched_order_ids.length ? `: ${o.mismatched_order_ids.slice(0, 5).join(', ')}` : ''}${o.stuck_transitions ? `; ${o.stuck_transitions} stuck lifecycle transition(s)` : ''}`
          : 'no reconciliation events yet',
      );
    }
    await sleep(this.p.cycleSeconds * 1000);
    return this.everyCycle(async () => {
      const r = await this.probe({ reconciliation: true });
      if (!r.reconciliation) return false;
      const before = reconCounts(this.recon.state);
      const after = reconCounts(r.reconciliation.state);
      const moved = after.orderCycles !== before.orderCycles;
      const stuck = moved ? (r.reconciliation.lastOrder?.stuck_transitions ?? 0) : 0;
      const v = reconciliationVerdict(before, after, stuck);
      this.recon = { cursors: r.reconciliation.cursors, state: r.reconciliation.state };
      this.verdict(
        v,
        `${after.orderCycles - before.orderCycles} order / ${after.positionCycles - before.positionCycles} position check(s), ${after.orderCycles - before.orderCycles - (after.orderPasses - before.orderPasses)} / ${after.positionCycles - before.positionCycles - (after.positionPasses - before.positionPasses)} mismatched${stuck ? `, ${stuck} stuck transition(s)` : ''}`,
      );
      this.cleanStreak = nextCleanStreak(this.cleanStreak, v);
      if (v === 'clean' && stuck === 0) this.evidence.lifecycleTransitionsRecovered = true;
      return this.cleanStreak >= this.p.cleanCyclesRequired;
    });
  }

  async dataQuality(): Promise<boolean> {
    this.phase = 'refresh-data-source';
    const refresh = await refreshDataSource({ target: this.p.target });
    this.note(
      'refreshed data source connectivity',
      refresh.reachable ? `bars of ${refresh.symbols.length} symbol(s) reachable` : `unreachable: ${refresh.issues.slice(0, 3).join('; ')}`,
    );
    this.phase = 'quality-cycles';
    let progress: DataQualityProgress = { cleanFromCycle: null };
    return this.everyCycle(async () => {
      const r = await this.probe({ dataQuality: true });
      if (!r.dataQuality) return false;
      const s = dataQualityStep(progress, r.dataQuality);
      const wasClean = progress.cleanFromCycle !== null;
      progress = s.progress;
      this.cleanStreak = s.passed ? 1 : 0;
      if (s.verdict === 'dirty' && wasClean) this.dirtyResets++;
      this.verdict(s.verdict, s.reason);
      this.evidence.barValidation = r.dataQuality.market;
      return s.passed;
    });
  }

  async broker(): Promise<boolean> {
    this.phase = 'verify-broker';
    const first = await this.probe({ broker: true });
    this.evidence.brokerHealthBefore = first.broker;
    this.note(
      'verified broker health',
      first.broker
        ? `api ${first.broker.apiOk ? 'ok' : 'down'}, websocket ${first.broker.websocketOk ? 'ok' : 'down'}${first.broker.detail ? ` (${first.broker.detail})` : ''}`
        : undefined,
    );
    if (this.p.restartBroker) {
      this.phase = 'restart-broker-session';
      const key = `recovery-${this.p.incidentId}-${this.p.attempt}`.slice(0, 120);
      const stopped = await processStop({ target: this.p.target, idempotencyKey: `${key}-stop` });
      const started = await processStart({ target: this.p.target, idempotencyKey: `${key}-start` });
      this.note('restarted broker session', `stopped at ${stopped.stoppedAt}, started at ${started.startReturnedAt}`);
      this.evidence.brokerRestart = { stoppedAt: stopped.stoppedAt, startReturnedAt: started.startReturnedAt };
    }
    this.phase = 'await-broker-health';
    const healthy = await this.everyCycle(async () => {
      const h = await processHealth({ target: this.p.target });
      if (!h.healthy) {
        this.verdict('dirty', `process not serving: ${h.detail}`);
        return false;
      }
      const r = await this.probe({ broker: true });
      const ok = r.broker?.healthy === true;
      this.verdict(ok ? 'clean' : 'dirty', ok ? 'broker API and websocket healthy' : `broker unhealthy: ${r.broker?.detail ?? 'unknown'}`);
      return ok;
    });
    if (!healthy) return false;
    this.note('broker healthy; rerunning reconciliation');
    return this.reconciliationCycles();
  }

  async escalate(): Promise<RecoveryResult['escalation']> {
    this.phase = 'escalating';
    const p = this.p;
    const dedupKey = `recovery-${p.runId}-${p.incidentId}-${p.attempt}`;
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
        summary: `${p.incidentClass} recovery did not meet its criteria within ${p.maxWaitSeconds} s; entries stay halted (${this.lastReason ?? 'no evidence'})`,
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

export async function recoveryWorkflowV1(input: RecoveryInput): Promise<RecoveryResult> {
  const p = parseOrFail(recoveryInputSchema, input, 'recoveryWorkflow input');
  const r = new Recovery(p, Date.now() + p.maxWaitSeconds * 1000);
  setHandler(recoveryStatusQuery, () => r.status(), {
    description: 'Recovery branch, phase, clean-cycle count against the required count, dirty resets, re-halts, deadline and timeline.',
  });
  upsertSearchAttributes([
    { key: SA.runId, value: p.runId },
    { key: SA.incidentId, value: p.incidentId },
    { key: SA.target, value: p.target },
    { key: SA.incidentClass, value: p.incidentClass },
    { key: SA.state, value: 'recovering' },
  ]);
  r.note(`recovery started: ${p.incidentClass}`, RECOVERY_CRITERIA[p.incidentClass]);

  const passed =
    p.incidentClass === 'data_quality' ? await r.dataQuality() : p.incidentClass === 'reconciliation' ? await r.reconciliationCycles() : await r.broker();
  const base = { incidentClass: p.incidentClass, attempt: p.attempt, cycles: r.cycles, dirtyResets: r.dirtyResets, rehalts: r.rehalts };
  if (passed) {
    r.phase = 'recovered';
    r.note('recovery criteria passed');
    upsertSearchAttributes([{ key: SA.state, value: 'recovered' }]);
    return { outcome: 'recovered', ...base, timeline: r.timeline, evidence: r.evidence };
  }
  const escalation = await r.escalate();
  r.phase = 'escalated';
  upsertSearchAttributes([{ key: SA.state, value: 'escalated' }]);
  return { outcome: 'escalated', ...base, timeline: r.timeline, evidence: r.evidence, ...(escalation ? { escalation } : {}) };
}
