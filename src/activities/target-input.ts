/**
 * Shared by the target adapters (gateway, process control, runtime state, broker): input parsing and
 * target resolution with the project's failure types. A bad input or an unknown target is
 * non-retryable (`InvalidInput`, `UnknownTarget`, `InvalidTargetConfig`); retrying cannot fix it.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { type z } from 'zod';
import { formatIssues, type TargetConfig } from '../domain/target';
import { TargetConfigError, UnknownTargetError, type TargetResolver } from '../io/targets';
import { FAILURE } from '../domain/failure-types';

export interface TargetActivityDeps {
  /** Target name → config (the targets file). */
  targets: TargetResolver;
  /** Where keyed operations leave their markers (`<DRILL_STATE_DIR>/ops`). */
  opsDir: string;
  /** `DRILL_TARGET_ENV_ALLOW`: variables every target command gets beyond the defaults. */
  envAllow?: readonly string[];
}

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw ApplicationFailure.nonRetryable(`${what}: ${formatIssues(r.error).join('; ')}`, FAILURE.invalidInput);
  return r.data;
}

export async function resolveTarget(deps: TargetActivityDeps, name: string): Promise<TargetConfig> {
  try {
    return await deps.targets(name);
  } catch (err) {
    if (err instanceof UnknownTargetError) throw ApplicationFailure.nonRetryable(err.message, FAILURE.unknownTarget);
    if (err instanceof TargetConfigError) throw ApplicationFailure.nonRetryable(err.message, FAILURE.invalidTargetConfig);
    throw err;
  }
}

/** Heartbeats when running inside a worker; a no-op when called as a plain function. */
export function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // not in an activity context
  }
}

/** The cancellation signal inside a worker, if any. */
export function cancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

/** A network error's kind, without the URL (a URL may carry credentials). */
export function errorKind(err: unknown): string {
  const e = err as { name?: string; cause?: { code?: string }; code?: string };
  return e.cause?.code ?? e.code ?? (e.name === 'TimeoutError' ? 'timeout' : (e.name ?? 'error'));
}

export async function getJson(url: string, timeoutMs: number, init: RequestInit = {}): Promise<{ status: number; body: unknown; latencyMs: number }> {
  const t0 = performance.now();
  const signals = [AbortSignal.timeout(timeoutMs), cancellationSignal()].filter((s): s is AbortSignal => s !== undefined);
  const res = await fetch(url, { ...init, signal: AbortSignal.any(signals) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.status, body, latencyMs: Math.round((performance.now() - t0) * 10) / 10 };
}
