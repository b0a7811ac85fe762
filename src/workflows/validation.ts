import { ApplicationFailure } from '@temporalio/workflow';
import { type z } from 'zod';

/** Error type of every invalid workflow input or message payload (never retried). */
export const INVALID_INPUT = 'InvalidInput';

/** zod issues as one line each, path first: `escalation.levels.0.afterSeconds: ...`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`).join('; ');
}

/** Parses a workflow input or update payload; a bad one fails without retry, naming the field. */
export function parseOrFail<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw ApplicationFailure.nonRetryable(`invalid ${what}: ${describeIssues(r.error)}`, INVALID_INPUT);
}
