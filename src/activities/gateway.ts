/**
 * Gateway adapter: stats and the kill switch (runbook: "Confirm kill switch state from gateway stats
 * (halt_reason, trading_halted_until)"; "Keep entries halted until root cause is identified").
 * Halt and resume carry an idempotency key the gateway remembers, and are idempotent by nature.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { formatIssues, gatewayStatsSchema, targetNameSchema, type GatewayStats } from '../domain/target';
import { errorKind, getJson, parseInput, resolveTarget, type TargetActivityDeps } from './target-input';
import { FAILURE } from '../domain/failure-types';

const idempotencyKey = z.string().min(1).max(200);

export const gatewayStatsInputSchema = z.object({ target: targetNameSchema, timeoutMs: z.number().int().min(100).max(60000).default(5000) });
export const gatewayHaltInputSchema = z.object({
  target: targetNameSchema,
  reason: z.string().min(1, { error: 'reason must not be empty' }).max(500),
  /** Entries halted until this time; absent: until resumed. */
  until: z.iso.datetime({ offset: true }).optional(),
  idempotencyKey,
  timeoutMs: z.number().int().min(100).max(60000).default(5000),
});
export const gatewayResumeInputSchema = z.object({ target: targetNameSchema, idempotencyKey, timeoutMs: z.number().int().min(100).max(60000).default(5000) });

export type GatewayStatsInput = z.input<typeof gatewayStatsInputSchema>;
export type GatewayHaltInput = z.input<typeof gatewayHaltInputSchema>;
export type GatewayResumeInput = z.input<typeof gatewayResumeInputSchema>;

export interface GatewayStatsResult {
  checkedAt: string;
  haltReason: string | null;
  tradingHaltedUntil: string | null;
  entriesHalted: boolean;
  /** The whole payload, parsed (extra fields kept). */
  stats: GatewayStats;
}

export interface KillSwitchResult extends GatewayStatsResult {
  /** False when the gateway was already in the asked state (or saw this key before). */
  changed: boolean;
}

function toResult(stats: GatewayStats, checkedAt: string): GatewayStatsResult {
  return { checkedAt, haltReason: stats.halt_reason, tradingHaltedUntil: stats.trading_halted_until, entriesHalted: stats.entries_halted, stats };
}

function parseStats(body: unknown, what: string): GatewayStats {
  const r = gatewayStatsSchema.safeParse(body);
  if (!r.success)
    throw ApplicationFailure.nonRetryable(`${what} does not honour the target contract: ${formatIssues(r.error).join('; ')}`, FAILURE.contractViolation);
  return r.data;
}

/** The gateway's `{ error, issues }` as one bounded line, whatever the body really is. */
function rejectionText(body: unknown): string {
  const e = typeof body === 'object' && body !== null ? (body as { error?: unknown; issues?: unknown }) : {};
  const issues = Array.isArray(e.issues) ? e.issues.filter((i): i is string => typeof i === 'string') : [];
  return [typeof e.error === 'string' ? e.error : '', ...issues].filter(Boolean).join('; ').slice(0, 500);
}

async function call(url: string, timeoutMs: number, init: RequestInit, what: string) {
  try {
    return await getJson(url, timeoutMs, init);
  } catch (err) {
    throw ApplicationFailure.retryable(`${what}: gateway unreachable (${errorKind(err)})`, FAILURE.gatewayUnreachable);
  }
}

export function createGatewayActivities(deps: TargetActivityDeps) {
  async function killSwitch(target: string, body: Record<string, unknown>, timeoutMs: number): Promise<KillSwitchResult> {
    const t = await resolveTarget(deps, target);
    const r = await call(
      `${t.gatewayUrl}/kill-switch`,
      timeoutMs,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      `${target} kill switch`,
    );
    if (r.status >= 500) throw ApplicationFailure.retryable(`${target} kill switch: gateway answered ${r.status}`, FAILURE.gatewayUnavailable);
    if (r.status !== 200)
      throw ApplicationFailure.nonRetryable(`${target} kill switch rejected (${r.status}): ${rejectionText(r.body)}`, FAILURE.killSwitchRejected);
    const stats = parseStats(r.body, `${target} kill-switch reply`);
    const changed = (r.body as { changed?: unknown }).changed;
    if (changed !== undefined && typeof changed !== 'boolean')
      throw ApplicationFailure.nonRetryable(
        `${target} kill-switch reply does not honour the target contract: changed: expected a boolean`,
        FAILURE.contractViolation,
      );
    return { ...toResult(stats, new Date().toISOString()), changed: changed ?? true };
  }

  return {
    /** `GET <gatewayUrl>/stats`: kill-switch state and the rest of the payload. */
    async gatewayStats(input: GatewayStatsInput): Promise<GatewayStatsResult> {
      const i = parseInput(gatewayStatsInputSchema, input, 'gatewayStats input');
      const t = await resolveTarget(deps, i.target);
      const r = await call(`${t.gatewayUrl}/stats`, i.timeoutMs, {}, `${i.target} stats`);
      if (r.status !== 200) throw ApplicationFailure.retryable(`${i.target} stats: gateway answered ${r.status}`, FAILURE.gatewayUnavailable);
      return toResult(parseStats(r.body, `${i.target} /stats`), new Date().toISOString());
    },

    /** Halts entries (`POST /kill-switch {action:"halt"}`). Halting a halted gateway changes nothing. */
    async gatewayHalt(input: GatewayHaltInput): Promise<KillSwitchResult> {
      const i = parseInput(gatewayHaltInputSchema, input, 'gatewayHalt input');
      return killSwitch(i.target, { action: 'halt', reason: i.reason, ...(i.until ? { until: i.until } : {}), idempotency_key: i.idempotencyKey }, i.timeoutMs);
    },

    /** Resumes entries (`POST /kill-switch {action:"resume"}`). Resuming a running gateway changes nothing. */
    async gatewayResume(input: GatewayResumeInput): Promise<KillSwitchResult> {
      const i = parseInput(gatewayResumeInputSchema, input, 'gatewayResume input');
      return killSwitch(i.target, { action: 'resume', idempotency_key: i.idempotencyKey }, i.timeoutMs);
    },
  };
}
