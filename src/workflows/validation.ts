/**
 * Parsing of everything that enters a workflow from outside: its input, update payloads (in the
 * update's `validator`, so a rejected update never reaches history) and signal payloads (a bad one
 * is logged and dropped: a signal handler that throws fails the workflow task, which the server
 * retries forever, or, with an `ApplicationFailure`, fails the whole workflow).
 *
 * Every message passes the same checks first: a payload the worker could not decode (see
 * `payload-converter.ts`) and a value that is an object but not a plain JSON object (a
 * `binary/plain` payload arrives as a `Uint8Array`, which `z.object` would accept) are refused with
 * a message that says so. Errors name the field, path first: `reason: expected string`.
 */
import { ApplicationFailure, log } from '@temporalio/workflow';
import { isUndecodable } from '../payload-converter';
import { FAILURE } from '../domain/failure-types';
import { describeIssues, type IssueSource } from '../domain/validation-kit';

/**
 * What these helpers call on a schema: a zod schema, or a zod-free one from `domain/light-schema.ts`
 * (for workflows that must not load zod in every run).
 */
export interface Parser<T = unknown> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: IssueSource };
}
/** The value a parser gives on success. */
export type Parsed<S extends Parser> = Extract<ReturnType<S['safeParse']>, { success: true }>['data'];

/** Error type of every invalid workflow input or message payload (never retried). */
export const INVALID_INPUT = FAILURE.invalidInput;

/** zod issues as one line each, path first: `escalation.levels.0.afterSeconds: ...` (one home: `domain/validation-kit`). */
export { describeIssues };

export type MessageParse<T> = { ok: true; data: T } | { ok: false; error: string };

/** The checks before zod: decodable, and a plain JSON object where an object is given. */
function preCheck(value: unknown): string | undefined {
  if (isUndecodable(value)) return `(input): the payload could not be decoded (encoding "${value.encoding}": ${value.error})`;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    // Plain: tagged Object, made by a literal or JSON.parse (its prototype is an Object.prototype, of
    // whichever realm, or null). Class instances, typed arrays and dates are not.
    const proto = Object.getPrototypeOf(value) as object | null;
    if (Object.prototype.toString.call(value) !== '[object Object]' || (proto !== null && Object.getPrototypeOf(proto) !== null)) {
      const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      return `(input): expected a JSON object, got ${kind === 'Uint8Array' ? 'binary data' : kind}`;
    }
  }
  return undefined;
}

/** Parses a payload; never throws. */
export function parseMessage<S extends Parser>(schema: S, value: unknown): MessageParse<Parsed<S>> {
  const problem = preCheck(value);
  if (problem) return { ok: false, error: problem };
  const r = schema.safeParse(value);
  return r.success ? { ok: true, data: r.data } : { ok: false, error: describeIssues(r.error) };
}

/** Parses a workflow input or update payload; a bad one fails without retry, naming the field. */
export function parseOrFail<S extends Parser>(schema: S, value: unknown, what: string): Parsed<S> {
  const r = parseMessage(schema, value);
  if (r.ok) return r.data;
  throw ApplicationFailure.nonRetryable(`invalid ${what}: ${r.error}`, INVALID_INPUT);
}

/**
 * An update `validator` for `schema`: a bad payload is rejected before the update is accepted, so it
 * never enters history. Call it first inside a validator that also checks the workflow's state.
 */
export function validatorFor<S extends Parser>(schema: S, what: string): (value: unknown) => void {
  return (value) => {
    parseOrFail(schema, value, what);
  };
}

/**
 * A signal handler that parses its payload with `schema` and hands the data to `handle`; a bad
 * payload is logged (`onRejected`, default: the workflow logger) and dropped, never thrown.
 */
export function signalHandlerFor<S extends Parser>(
  schema: S,
  what: string,
  handle: (data: Parsed<S>) => void,
  onRejected: (message: string, error: string) => void = (message, error) => log.warn(message, { signal: what, error }),
): (value: unknown) => void {
  return (value) => {
    const r = parseMessage(schema, value);
    if (!r.ok) {
      onRejected(`invalid ${what} signal dropped`, r.error);
      return;
    }
    handle(r.data);
  };
}
