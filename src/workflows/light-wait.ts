/**
 * Waits in workflow code that cost fewer promises than the SDK's `condition(fn, timeout)`.
 *
 * Why it matters: the SDK's worker records a stack trace (mapped through the bundle's source map) for
 * every promise created in workflow code, for the Web UI's stack trace view. `condition(fn, timeout)`
 * creates about thirty promises (a cancellable scope, a race of a sleep against the condition, their
 * `then`s and `catch`es); an ack timer made about 190 per run against a minimal workflow's 11, and that
 * was the larger part of its extra CPU (issue 12, docs/decisions.md).
 *
 * The commands are the same as the SDK's — a timer started at the call, cancelled when the condition
 * holds first — but they may be issued at another point of an activation than the SDK would issue
 * them, so a workflow switches to these only behind a `patched()` decision.
 */
import { CancellationScope, condition, sleep } from '@temporalio/workflow';

/**
 * Resolves when `fn()` holds (true) or after `ms` of workflow time (false). Cancelling the enclosing
 * scope rejects it, as with `condition`.
 */
export async function conditionWithin(fn: () => boolean, ms: number): Promise<boolean> {
  if (fn()) return true;
  let fired = false;
  const timer = new CancellationScope();
  timer
    .run(() => sleep(ms))
    .then(
      () => {
        fired = true;
      },
      () => undefined,
    );
  await condition(() => fired || fn());
  if (!fired) timer.cancel();
  return fn();
}

/** `condition(fn)` that returns at once, creating no promise of its own, when `fn()` already holds. */
export function conditionNow(fn: () => boolean): Promise<void> | undefined {
  return fn() ? undefined : condition(fn);
}
