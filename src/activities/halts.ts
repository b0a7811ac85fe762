/**
 * The halt registry's two hands on a gateway: apply a halt or a resume only when it is the registry's
 * to apply (never overwrite or resume someone else's halt), and watch the kill switch in one
 * heartbeating activity that returns as soon as entries are found released.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import { isRegistryReason } from '../domain/halts';
import { targetNameSchema } from '../domain/ids';
import { createGatewayActivities, type GatewayStatsResult } from './gateway';
import { pause } from './heartbeat';
import { heartbeat, parseInput, type TargetActivityDeps } from './target-input';
import { FAILURE } from '../domain/failure-types';

export const registryApplyInputSchema = z.object({
  target: targetNameSchema,
  action: z.enum(['halt', 'resume']),
  /** The registry's reason (halt only). */
  reason: z.string().min(1).max(500).optional(),
  /** Base key; each attempt adds its number so a retry after someone else's call is not ignored. */
  idempotencyKey: z.string().min(1).max(180),
});
export type RegistryApplyInput = z.input<typeof registryApplyInputSchema>;

export interface RegistryApplyResult {
  checkedAt: string;
  entriesHalted: boolean;
  haltReason: string | null;
  /** The kill switch changed because of this call. */
  changed: boolean;
  /** Entries are halted by someone else (a reason the registry did not write): left as they are. */
  foreign: boolean;
}

export const watchKillSwitchInputSchema = z.object({
  target: targetNameSchema,
  maxSeconds: z.number().min(1).max(3600),
  pollMs: z.number().int().min(250).max(10_000).default(1000),
});
export type WatchKillSwitchInput = z.input<typeof watchKillSwitchInputSchema>;

export interface WatchKillSwitchResult {
  /** Entries were found not halted (the gateway answered). */
  released: boolean;
  checkedAt: string | null;
  entriesHalted: boolean | null;
  haltReason: string | null;
  checks: number;
  unreachable: number;
  lastError?: string;
}

function attempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

export function createHaltActivities(deps: TargetActivityDeps) {
  const gw = createGatewayActivities(deps);
  const view = (s: GatewayStatsResult, changed: boolean, foreign: boolean): RegistryApplyResult => ({
    checkedAt: s.checkedAt,
    entriesHalted: s.entriesHalted,
    haltReason: s.haltReason,
    changed,
    foreign,
  });

  return {
    /**
     * Halt: writes the registry's reason unless entries are already halted with it, or halted by
     * someone else (left alone, `foreign`). Resume: only a halt the registry wrote is resumed.
     */
    async registryApply(input: RegistryApplyInput): Promise<RegistryApplyResult> {
      const i = parseInput(registryApplyInputSchema, input, 'registryApply input');
      if (i.action === 'halt' && !i.reason) throw ApplicationFailure.nonRetryable('registryApply input: reason is required to halt', FAILURE.invalidInput);
      const key = `${i.idempotencyKey}:a${attempt()}`;
      const now = await gw.gatewayStats({ target: i.target });
      if (i.action === 'halt') {
        if (now.entriesHalted && !isRegistryReason(now.haltReason)) return view(now, false, true);
        if (now.entriesHalted && now.haltReason === i.reason) return view(now, false, false);
        const r = await gw.gatewayHalt({ target: i.target, reason: i.reason!, idempotencyKey: key });
        if (!r.entriesHalted) throw ApplicationFailure.retryable(`${i.target}: entries still released after the halt`, FAILURE.haltNotApplied);
        return view(r, r.changed, false);
      }
      if (!now.entriesHalted) return view(now, false, false);
      if (!isRegistryReason(now.haltReason)) return view(now, false, true);
      const r = await gw.gatewayResume({ target: i.target, idempotencyKey: key });
      return view(r, r.changed, false);
    },

    /**
     * Reads the kill switch every `pollMs` and returns as soon as entries are found released, or
     * after `maxSeconds` with the last state. Heartbeats at every read, so a dead worker's watch is
     * picked up by another within the heartbeat timeout; never fails because the gateway is down.
     */
    async watchKillSwitch(input: WatchKillSwitchInput): Promise<WatchKillSwitchResult> {
      const i = parseInput(watchKillSwitchInputSchema, input, 'watchKillSwitch input');
      const until = Date.now() + i.maxSeconds * 1000;
      const out: WatchKillSwitchResult = { released: false, checkedAt: null, entriesHalted: null, haltReason: null, checks: 0, unreachable: 0 };
      for (;;) {
        try {
          const s = await gw.gatewayStats({ target: i.target, timeoutMs: Math.min(5000, Math.max(500, i.pollMs * 2)) });
          out.checks++;
          Object.assign(out, { checkedAt: s.checkedAt, entriesHalted: s.entriesHalted, haltReason: s.haltReason });
          if (!s.entriesHalted) return { ...out, released: true };
        } catch (err) {
          if (err instanceof ApplicationFailure && err.nonRetryable) throw err;
          out.unreachable++;
          out.lastError = err instanceof Error ? err.message : String(err);
        }
        heartbeat({ checks: out.checks, unreachable: out.unreachable });
        if (Date.now() + i.pollMs > until) return out;
        await pause(i.pollMs);
      }
    },
  };
}
