/**
 * The target a recovery rehearsal probes: in memory, nothing stopped, started or called. Entries stay
 * halted; until `recoverAtMs` (rehearsal clock) every probe finds the class's trouble (mismatched
 * reconciliation cycles, invalid bars, broker down), from then on it is clean. Typed against the real
 * activities, so a change of their shapes shows here at compile time.
 */
import { Context } from '@temporalio/activity';
import type { Activities } from '../activities';
import type { RecoveryCyclesInput, RecoveryCyclesResult } from '../activities/recovery';
import { brokerHealthStep, dataQualityRecoveryStep, reconciliationStep, type RecoveryProgress, type StepOutcome, type TimelineEntry } from '../domain/recovery';
import { initialSloState, type SloState } from '../domain/slo-fold';

type Simulated = Pick<
  Activities,
  | 'recoveryProbe'
  | 'recoveryCycles'
  | 'refreshDataSource'
  | 'brokerHealth'
  | 'gatewayHalt'
  | 'processHealth'
  | 'processStop'
  | 'processStart'
  | 'recoveryProcessStop'
  | 'recoveryProcessStart'
>;

/** The rehearsal clock (the server's, skipped) at the activity's scheduling, ms. */
function clockMs(): number {
  try {
    return Context.current().info.currentAttemptScheduledTimestampMs;
  } catch {
    return Date.now();
  }
}

export const SIMULATED_TARGET_NOTE =
  'target simulated in memory: entries stay halted, no process is stopped or started, no target is called; ' +
  'until it recovers every probe finds the trouble';

export function simulatedTarget(recoverAtMs: number | undefined): Simulated {
  const recovered = () => recoverAtMs !== undefined && clockMs() >= recoverAtMs;
  const iso = () => new Date(clockMs()).toISOString();
  let qualityCycle = 0;
  const gateway = () => ({
    ok: true as const,
    entriesHalted: true,
    haltReason: 'rehearsal: entries halted',
    tradingHaltedUntil: null,
  });
  const market = () => ({
    reachable: recovered(),
    errors: recovered() ? 0 : 1,
    staleWarnings: 0,
    issues: recovered() ? [] : ['SIM: latest bar is stale (simulated)'],
  });
  /** One simulated cycle of the branch at rehearsal time `atMs`, decided by the real pure steps. */
  const cycleAt = (progress: RecoveryProgress, atMs: number, cleanCyclesRequired: number): StepOutcome => {
    const ok = recoverAtMs !== undefined && atMs >= recoverAtMs;
    if (progress.branch === 'reconciliation') {
      const state = structuredClone((progress.recon?.state as SloState | undefined) ?? initialSloState());
      for (const side of [state.order, state.position]) {
        side.cycles += 1;
        if (ok) side.passes += 1;
      }
      return reconciliationStep(
        progress,
        {
          cursors: {},
          state,
          lastOrder: {
            cycle: state.order.cycles,
            status: ok ? 'ok' : 'mismatch',
            mismatched_order_ids: ok ? [] : ['SIM-1'],
            ...(ok ? {} : { broker_status: { 'SIM-1': 'filled' } }),
          },
        },
        cleanCyclesRequired,
      );
    }
    if (progress.branch === 'data_quality') {
      qualityCycle += 1;
      return dataQualityRecoveryStep(progress, {
        validation: ok
          ? { errors: 0, staleWarnings: 0, symbols: 1, issues: [] }
          : { errors: 1, staleWarnings: 0, symbols: 1, issues: ['SIM: latest bar is stale (simulated)'] },
        latest: { cycle: qualityCycle, errors: ok ? 0 : 1, stale_warnings: 0 },
      });
    }
    return brokerHealthStep(progress, {
      processHealthy: true,
      processDetail: 'simulated: serving',
      broker: ok ? { healthy: true } : { healthy: false, detail: 'broker API unreachable (simulated)' },
    });
  };
  const brokerNow = () => {
    const ok = recovered();
    return { checkedAt: iso(), healthy: ok, api: ok ? { ok: true } : { ok: false, error: 'broker API unreachable (simulated)' }, websocket: { ok } };
  };
  const stop = async () => ({
    adapter: 'shell' as const,
    alreadyDone: false,
    stopRequestedAt: iso(),
    stoppedAt: iso(),
    wasRunning: true,
    detail: 'simulated: nothing stopped',
  });
  const start = async () => ({
    adapter: 'shell' as const,
    alreadyDone: false,
    startRequestedAt: iso(),
    startReturnedAt: iso(),
    alreadyRunning: false,
    detail: 'simulated: nothing started',
  });
  return {
    /**
     * One cycle of the batch the real activity would run, at the rehearsal time it is scheduled, and
     * back at once as `progress`: the workflow then waits one cycle on its own timer before the next
     * batch, so each simulated cycle lands at the rehearsal time a real one would (a real batch spends
     * that time in the activity, which the time-skipping clock cannot skip).
     */
    async recoveryCycles(input: RecoveryCyclesInput): Promise<RecoveryCyclesResult> {
      const atMs = clockMs();
      const s = cycleAt(input.progress, atMs, input.cleanCyclesRequired ?? 2);
      const changed = s.verdict === 'baseline' || s.verdict !== input.progress.lastVerdict || s.verdict === 'clean';
      const notes: TimelineEntry[] = changed
        ? [
            {
              at: new Date(atMs).toISOString(),
              step: s.verdict === 'baseline' ? 'inspected reconciliation' : `cycle ${s.progress.cycles}: ${s.verdict}`,
              detail: s.reason,
            },
          ]
        : [];
      return { progress: s.progress, passed: s.passed, stop: s.passed ? 'passed' : 'progress', notes, evidence: {}, cyclesRun: 1 };
    },
    async brokerHealth() {
      return brokerNow();
    },
    recoveryProcessStop: stop,
    recoveryProcessStart: start,
    async recoveryProbe(input) {
      const ok = recovered();
      const out: Awaited<ReturnType<Activities['recoveryProbe']>> = { checkedAt: iso(), gateway: gateway() };
      if (input.reconciliation) {
        const before = (input.reconciliation.state as SloState | null | undefined) ?? initialSloState();
        const state = structuredClone(before);
        for (const side of [state.order, state.position]) {
          side.cycles += 1;
          if (ok) side.passes += 1;
        }
        out.reconciliation = {
          cursors: input.reconciliation.cursors ?? ({} as never),
          state,
          lastOrder: {
            cycle: state.order.cycles,
            status: ok ? 'ok' : 'mismatch',
            mismatched_order_ids: ok ? [] : ['SIM-1'],
            broker_status: ok ? {} : { 'SIM-1': 'filled' },
            stuck_transitions: 0,
          },
          corrupt: 0,
        };
      }
      if (input.dataQuality) {
        qualityCycle += 1;
        out.dataQuality = {
          validation: ok
            ? { errors: 0, staleWarnings: 0, symbols: 1, issues: [] }
            : { errors: 1, staleWarnings: 0, symbols: 1, issues: ['SIM: latest bar is stale (simulated)'] },
          latest: { cycle: qualityCycle, errors: ok ? 0 : 1, stale_warnings: 0 },
          market: market(),
        };
      }
      if (input.broker)
        out.broker = ok
          ? { healthy: true, apiOk: true, websocketOk: true }
          : { healthy: false, apiOk: false, websocketOk: false, detail: 'broker API unreachable (simulated)' };
      return out;
    },
    async refreshDataSource() {
      return { checkedAt: iso(), symbols: [], ...market() };
    },
    async gatewayHalt() {
      return {
        checkedAt: iso(),
        haltReason: 'rehearsal: entries halted',
        tradingHaltedUntil: null,
        entriesHalted: true,
        stats: { halt_reason: 'rehearsal', trading_halted_until: null, entries_halted: true },
        changed: false,
      };
    },
    async processHealth() {
      return { adapter: 'shell', healthy: true, checkedAt: iso(), detail: 'simulated: serving' };
    },
    processStop: stop,
    processStart: start,
  };
}
