/**
 * Checks of CLI flag values that a command runs before it does anything (connects to Temporal,
 * writes a file, starts a process): a bad value is a `CommandError` (exit 2) that names the flag.
 * Commander hands numbers over as `Number(text)`, so `abc` arrives as NaN and an empty value as 0.
 */
import { type z } from 'zod';
import { CommandError } from './output';

export interface NumberBounds {
  /** Smallest allowed value. */
  min: number;
  /** With `exclusiveMin`, the value must be greater than `min` (a positive duration: `min: 0`). */
  exclusiveMin?: boolean;
  max: number;
  int?: boolean;
  unit?: string;
}

/** A number flag, if given: finite, in range, an integer when asked. */
export function checkNumberFlag(flag: string, value: number | undefined, b: NumberBounds): number | undefined {
  if (value === undefined) return undefined;
  const unit = b.unit ? ` ${b.unit}` : '';
  const range = `${b.exclusiveMin ? `greater than ${b.min}` : `at least ${b.min}`} and at most ${b.max}${unit}`;
  if (!Number.isFinite(value) || (b.int && !Number.isInteger(value))) throw new CommandError(`${flag}: expected ${b.int ? 'an integer' : 'a number'} ${range}`);
  if ((b.exclusiveMin ? value <= b.min : value < b.min) || value > b.max) throw new CommandError(`${flag}: expected ${range} (got ${value})`);
  return value;
}

/** A string flag checked by a schema (ids, names), if given. */
export function checkFlag<S extends z.ZodType>(flag: string, schema: S, value: unknown): z.output<S> | undefined {
  if (value === undefined) return undefined;
  const r = schema.safeParse(value);
  if (!r.success) throw new CommandError(`${flag}: ${r.error.issues.map((i) => i.message).join('; ')}`);
  return r.data;
}
