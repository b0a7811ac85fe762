/**
 * The ack timer's input, `acknowledge` and `resolve` checks for workflow code, without zod: the same
 * shapes, defaults and messages as the zod schemas in `incident-ack.ts` (the contract), built from
 * `light-schema.ts`. test/unit/ack-timer-check.test.ts holds each one to its zod schema over
 * generated input: same verdict, same parsed value, same issues.
 */
import { DAY_SECONDS, DEFAULT_ACK_SLA_SECONDS, isAckTimerCarry, MAX_ACK_BY, MAX_NOTES, WEEK_SECONDS } from './ack-timer';
import type { AcknowledgeRequest, IncidentAckParams, ResolveRequest } from './incident-ack';
import { array, custom, number, object, oneOf, optional, preprocess, schema, string, withDefault, type LightSchema, type Rule } from './light-schema';
import { isPrintable } from './printable';
import { SAFE_ID, safeIdMessage } from './safe-id';
import { SEVERITIES } from './severity-levels';

/** zod's name for a value's type in "expected X, received Y". */
function received(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  return typeof v;
}
const expected = (what: string) => (v: unknown) => `Invalid input: expected ${what}, received ${received(v)}`;
/** `<what> is required` when absent, `<what> must be <kind>` when of another type (as `text.ts`'s `typeError`). */
const typeError = (what: string, kind: string) => (v: unknown) => (v === undefined ? `${what} is required` : `${what} must be ${kind}`);
const INT = 'Invalid input: expected int, received number';
const atLeast = (n: number): [number, string] => [n, `Too small: expected number to be >=${n}`];
const atMost = (n: number): [number, string] => [n, `Too big: expected number to be <=${n}`];
const POSITIVE: [number, string] = [0, 'Too small: expected number to be >0'];

function safeId(what: string): Rule<string> {
  return string({
    type: typeError(what, 'a string'),
    min: [1, `${what} must not be empty`],
    max: [128, `${what} must be at most 128 characters`],
    pattern: [SAFE_ID, safeIdMessage(what)],
  });
}

function identity(what: string, max: number): Rule<string> {
  return string({
    type: typeError(what, 'a string'),
    trim: true,
    min: [1, `${what} must not be empty`],
    max: [max, `${what} must be at most ${max} characters`],
    refine: [(v) => isPrintable(v), `${what} must be printable (no control or invisible formatting characters)`],
  });
}

function freeText(what: string, max: number, { multiline = false } = {}): Rule<string> {
  return string({
    type: typeError(what, 'a string'),
    max: [max, `${what} must be at most ${max} characters`],
    refine: [
      (v) => isPrintable(v, { multiline }),
      `${what} must be printable (no control or invisible formatting characters${multiline ? ' other than newlines and tabs' : ''})`,
    ],
  });
}

const LEAP_DAY = '(?:\\d\\d[2468][048]|\\d\\d[13579][26]|\\d\\d0[48]|[02468][048]00|[13579][26]00)-02-29';
const MONTH_DAY = '\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8]))';
/** An RFC 3339 date-time with seconds and `Z` or an offset, as zod's `z.iso.datetime({ offset: true })`. */
const ISO_DATETIME_OFFSET = new RegExp(`^(?:${LEAP_DAY}|${MONTH_DAY})T(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?(?:Z|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)$`);

function isoDateTime(message: string, type: (v: unknown) => string = expected('string')): Rule<string> {
  return string({ type, pattern: [ISO_DATETIME_OFFSET, message] });
}

/**
 * A safe integer. With a `type` message (zod's schema-level `error`), that message also stands for
 * every check without one of its own, as in zod.
 */
function int(o: { type?: (v: unknown) => string; gt?: [number, string]; min?: [number, string]; max: [number, string] }): Rule<number> {
  const t = o.type;
  if (!t) return number({ type: expected('number'), int: INT, ...o });
  return number({ type: t, int: t, gt: o.gt && [o.gt[0], t], min: o.min && [o.min[0], t], max: [o.max[0], t] });
}

const OPENED_AT_MESSAGE = 'openedAt must be an ISO 8601 date-time with a time zone, e.g. 2026-11-25T03:00:00Z';

const escalationPolicy = object(
  {
    levels: array(
      object(
        {
          name: optional(freeText('name', 100)),
          afterSeconds: number({
            type: typeError('afterSeconds', 'a number of seconds'),
            gt: [0, 'afterSeconds must be positive'],
            max: [WEEK_SECONDS, 'afterSeconds must be at most a week'],
          }),
        },
        { type: expected('object') },
      ),
      { type: expected('array'), min: [1, 'an escalation policy needs at least one level'], max: [20, 'at most 20 levels'] },
    ),
    repeats: withDefault(int({ min: atLeast(0), max: atMost(10) }), () => 0),
  },
  { type: expected('object') },
);

/** The timer's input (`incidentAckInputSchema`). */
export const ackTimerInputCheck: LightSchema<IncidentAckParams> = schema(
  object(
    {
      runId: safeId('run id'),
      incidentId: safeId('incident id'),
      severity: oneOf(SEVERITIES, 'expected critical or warning'),
      openedAt: optional(isoDateTime(OPENED_AT_MESSAGE, () => OPENED_AT_MESSAGE)),
      ackSlaSeconds: withDefault(
        int({ type: typeError('ackSlaSeconds', 'a number of seconds'), gt: POSITIVE, max: atMost(WEEK_SECONDS) }),
        () => DEFAULT_ACK_SLA_SECONDS,
      ),
      escalation: optional(escalationPolicy),
      resolveSlaSeconds: optional(int({ type: typeError('resolveSlaSeconds', 'a number of seconds'), gt: POSITIVE, max: atMost(30 * DAY_SECONDS) })),
      keepOpenAfterAckSeconds: withDefault(int({ min: atLeast(0), max: atMost(DAY_SECONDS) }), () => 600),
      awaitResolveSeconds: withDefault(int({ min: atLeast(0), max: atMost(30 * DAY_SECONDS) }), () => WEEK_SECONDS),
      summary: optional(freeText('summary', 500)),
      fileWatch: withDefault(
        object(
          {
            holdSeconds: withDefault(int({ min: atLeast(0), max: atMost(3600) }), () => 1800),
            pauseSeconds: withDefault(int({ min: atLeast(0), max: atMost(DAY_SECONDS) }), () => 0),
          },
          { type: expected('object') },
        ),
        () => ({ holdSeconds: 1800, pauseSeconds: 0 }),
      ),
      historyLimit: withDefault(int({ min: atLeast(100), max: atMost(20000) }), () => 2000),
      carried: optional(custom(isAckTimerCarry, 'carried must be the state a previous run of this timer carried over (v: 2)')),
    },
    { type: expected('object') },
  ),
);

/** The `acknowledge` update's payload (`acknowledgeSchema`). */
export const acknowledgeCheck: LightSchema<AcknowledgeRequest> = schema(
  object(
    { ackBy: identity('ackBy', MAX_ACK_BY), notes: optional(freeText('notes', MAX_NOTES, { multiline: true })) },
    { type: 'acknowledge expects an object: { "ackBy": "<on-call>", "notes": "<mitigation status>" }', strict: true },
  ),
);

/** The `resolve` signal's payload (`resolveMessageSchema`): none at all means `{}`. */
export const resolveMessageCheck: LightSchema<ResolveRequest> = schema(
  preprocess(
    (v) => v ?? {},
    object(
      {
        resolution: optional(freeText('resolution', 100)),
        by: optional(identity('by', MAX_ACK_BY)),
        resolvedAt: optional(isoDateTime('Invalid ISO datetime')),
      },
      { type: expected('object') },
    ),
  ),
);
