/**
 * The one walker of an error's `cause` chain, and the questions asked of it. Pure: used by workflow
 * code (bundled into the sandbox) and by Node code alike.
 *
 * Not `rootCause` from `@temporalio/common`: that one only descends through `TemporalFailure`s and
 * returns `undefined` for a thrown non-Error, where these keep the messages drill-runner has always shown.
 */
type Link = { message?: string; cause?: unknown; type?: string };

/** `err`, then its cause, its cause's cause…: follows `.cause` while it is set, at most `maxCauses` times. */
export function causeChain(err: unknown, maxCauses = Infinity): unknown[] {
  const chain = [err];
  let e = err as Link | null | undefined;
  for (let i = 0; i < maxCauses && e?.cause; i++) {
    e = e.cause as Link;
    chain.push(e);
  }
  return chain;
}

/**
 * The innermost message: an activity failure wraps the activity's `ApplicationFailure`, whose message
 * is the one to show. Descends while the next cause has a message; `String(err)` when there is none.
 */
export function innermostMessage(err: unknown): string {
  let e = err as Link | null | undefined;
  for (const c of causeChain(err).slice(1)) {
    if (!(c as Link).message) break;
    e = c as Link;
  }
  return e?.message ?? String(err);
}

/** The message at the end of the chain (at most `maxCauses` deep), whether or not the links on the way have one. */
export function deepestMessage(err: unknown, maxCauses: number): string {
  const e = causeChain(err, maxCauses).at(-1) as Link | null | undefined;
  return e?.message ?? String(err);
}

/** The first failure `type` on the chain, outermost first (`ApplicationFailure.type`). */
export function failureTypeOf(err: unknown): string | undefined {
  for (const e of causeChain(err)) {
    const type = (e as Link | null | undefined)?.type;
    if (type) return type;
  }
  return undefined;
}
