// The shared cause-chain walker gives the same answers as the four hand-written loops it replaced.
import { ActivityFailure, ApplicationFailure, CancelledFailure, RetryState, TemporalFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { causeChain, deepestMessage, failureTypeOf, innermostMessage } from '../../src/domain/failure-chain';

// The replaced loops, verbatim.
function oldDrillMessageOf(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e && e.cause && (e.cause as { message?: string }).message) e = e.cause as { message?: string; cause?: unknown };
  return e?.message ?? String(err);
}
function oldFailureType(err: unknown): string | undefined {
  let e = err as { type?: string; cause?: unknown } | undefined;
  while (e) {
    if (e.type) return e.type;
    e = e.cause as typeof e;
  }
  return undefined;
}
function oldAckMessageOf(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  for (let i = 0; e?.cause && i < 5; i++) e = e.cause as typeof e;
  return e?.message ?? String(err);
}
function oldPromoteMessage(err: unknown): string {
  let e: unknown = err;
  let message = (err as Error)?.message ?? String(err);
  while (e instanceof Error) {
    if (e instanceof TemporalFailure || e instanceof WorkflowFailedError) message = e.message || message;
    e = e.cause;
  }
  return message;
}
function newPromoteMessage(err: unknown): string {
  let message = (err as Error)?.message ?? String(err);
  for (const e of causeChain(err)) {
    if (!(e instanceof Error)) break;
    if (e instanceof TemporalFailure || e instanceof WorkflowFailedError) message = e.message || message;
  }
  return message;
}
function oldTimeoutCodes(err: unknown): number[] {
  const seen: number[] = [];
  for (let e = err as { code?: number; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) seen.push(e.code ?? -1);
  return seen;
}
function newTimeoutCodes(err: unknown): number[] {
  const seen: number[] = [];
  for (const e of causeChain(err, 4) as ({ code?: number } | null | undefined)[]) if (e) seen.push(e.code ?? -1);
  return seen;
}

const activity = (cause?: Error, message = 'Activity task failed') =>
  new ActivityFailure(message, 'probe', '1', RetryState.NON_RETRYABLE_FAILURE, undefined, cause);
const app = (message: string, type?: string, cause?: Error) => ApplicationFailure.create({ message, type, nonRetryable: true, cause });

function nest(depth: number): Error {
  let e: Error = app('innermost', 'Inner');
  for (let i = 0; i < depth; i++) e = app(`level ${i}`, i % 2 ? `T${i}` : undefined, e);
  return e;
}

const cases: [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['a string', 'boom'],
  ['a number', 42],
  ['a plain object', { message: 'plain' }],
  ['an object with a string cause', { message: 'outer', cause: 'inner' }],
  ['an Error', new Error('plain error')],
  ['an Error with an Error cause', new Error('outer', { cause: new Error('inner') })],
  ['an ApplicationFailure', app('refused', 'DrillRefused')],
  ['ApplicationFailure without type', app('no type')],
  ['ActivityFailure > ApplicationFailure', activity(app('gateway answered 503', 'GatewayUnavailable'))],
  ['ActivityFailure > ApplicationFailure > Error', activity(app('wrapped', 'ContractViolation', new Error('root')))],
  ['ActivityFailure > ApplicationFailure with empty message > typed', activity(app('', undefined, app('deep', 'Deep')))],
  ['ActivityFailure > CancelledFailure', activity(new CancelledFailure('cancelled'))],
  ['ActivityFailure without cause', activity()],
  ['ActivityFailure with empty message', activity(app('inner', 'X'), '')],
  [
    'WorkflowFailedError > ActivityFailure > ApplicationFailure',
    new WorkflowFailedError('Workflow execution failed', activity(app('run r1: folder not found', 'RunNotFound')), RetryState.NON_RETRYABLE_FAILURE),
  ],
  ['codes', { code: 14, cause: { code: 2, cause: { code: 4 } } }],
  ...[0, 1, 3, 4, 5, 6, 9].map((d): [string, unknown] => [`${d} nested ApplicationFailures`, nest(d)]),
];

test.each(cases)('%s: same results as the replaced loops', (_name, err) => {
  expect(innermostMessage(err)).toBe(oldDrillMessageOf(err));
  expect(failureTypeOf(err)).toBe(oldFailureType(err));
  expect(deepestMessage(err, 5)).toBe(oldAckMessageOf(err));
  expect(newPromoteMessage(err)).toBe(oldPromoteMessage(err));
  expect(newTimeoutCodes(err)).toEqual(oldTimeoutCodes(err));
});

test('the chain is outermost first and stops at a missing cause', () => {
  const inner = app('inner', 'Inner');
  const outer = activity(inner);
  expect(causeChain(outer)).toEqual([outer, inner]);
  expect(causeChain(nest(9), 2)).toHaveLength(3);
  expect(causeChain(undefined)).toEqual([undefined]);
});
