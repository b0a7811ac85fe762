/**
 * Crash-fast activities: a heartbeat every second while `fn` runs, so a worker that dies mid-call is
 * noticed within the activity's heartbeat timeout (seconds) and the call retried on another worker;
 * and a pause that ends early when the activity is cancelled.
 */
import { Context } from '@temporalio/activity';
import { heartbeat } from './target-input';

export async function withHeartbeat<T>(fn: () => Promise<T>, everyMs = 1000, details?: () => unknown): Promise<T> {
  heartbeat(details?.());
  const timer = setInterval(() => heartbeat(details?.()), everyMs);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

function context(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Sleeps `ms`; inside a worker it rejects with `CancelledFailure` as soon as the activity is cancelled. */
export async function pause(ms: number): Promise<void> {
  const c = context();
  if (c) await c.sleep(ms);
  else await new Promise((r) => setTimeout(r, ms));
}
