/**
 * The target a recovery rehearsal probes: in memory, nothing stopped, started or called. Entries stay
 * halted; until `recoverAtMs` (rehearsal clock) every probe finds the class's trouble (mismatched
 * reconciliation cycles, invalid bars, broker down), from then on it is clean. Typed against the real
 * activities, so a change of their shapes shows here at compile time.
 */
import { Context } from '@temporalio/activity';
import type { Activities } from '../activities';
import { initialSloState, type SloState } from '../domain/slo';

type Simulated = Pick<
  Activities,
  'recoveryProbe' | 'refreshDataSource' | 'gatewayHalt' | 'processHealth' | 'processStop' | 'processStart'
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
  return {
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
    async processStop() {
      return {
        adapter: 'shell',
        alreadyDone: false,
        stopRequestedAt: iso(),
        stoppedAt: iso(),
        wasRunning: true,
        detail: 'simulated: nothing stopped',
      };
    },
    async processStart() {
      return {
        adapter: 'shell',
        alreadyDone: false,
        startRequestedAt: iso(),
        startReturnedAt: iso(),
        alreadyRunning: false,
        detail: 'simulated: nothing started',
      };
    },
  };
}
