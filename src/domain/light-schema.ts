/**
 * A few zod-shaped parsers for workflow code that must not load zod.
 *
 * Why: the SDK's reusable VM gives each workflow run its own module cache, so a workflow that imports
 * zod evaluates zod (95 modules) and builds its schemas again in every run: ~8.5 ms of CPU and ~2 MiB
 * per cached run (issue 12). Small, busy workflows (the ack timer: one per incident, thousands open)
 * check their input with these instead. The zod schemas stay the contract (clients, the CLI, the
 * generated docs); each light parser is held to its zod schema by a parity test over generated input
 * (test/unit/ack-timer-check.test.ts), so the two cannot drift apart unnoticed.
 *
 * Semantics follow zod 4 where the parity test can see them: objects strip unknown keys (or refuse
 * them when strict), a default replaces only `undefined`, `int` means a safe integer, string checks
 * all run (issues accumulate), and `parse` returns `{ success, data }` or `{ success, error: { issues } }`
 * — the shape `workflows/validation.ts` and `domain/validation-kit.ts` read.
 */

export interface LightIssue {
  path: PropertyKey[];
  message: string;
}

export type LightResult<T> = { success: true; data: T } | { success: false; error: { issues: LightIssue[] } };

/** The one method the workflow-side helpers call on a schema (zod's schemas have it too). */
export interface LightSchema<T> {
  safeParse(value: unknown): LightResult<T>;
}

const FAIL: unique symbol = Symbol('invalid');
type Failed = typeof FAIL;

/** Checks `value` at `path`; pushes issues and returns {@link FAIL}, or returns the parsed value. */
export type Rule<T> = (value: unknown, path: PropertyKey[], issues: LightIssue[]) => T | Failed;

export function schema<T>(rule: Rule<T>): LightSchema<T> {
  return {
    safeParse(value) {
      const issues: LightIssue[] = [];
      const out = rule(value, [], issues);
      return out === FAIL || issues.length > 0 ? { success: false, error: { issues } } : { success: true, data: out };
    },
  };
}

/** A message, or a message built from the value (for "is required" vs "must be a string"). */
type Message = string | ((value: unknown) => string);
const say = (m: Message, v: unknown) => (typeof m === 'function' ? m(v) : m);

export interface StringRule {
  type: Message;
  trim?: boolean;
  min?: [number, string];
  max?: [number, string];
  pattern?: [RegExp, string];
  refine?: [(s: string) => boolean, string];
}

export function string(o: StringRule): Rule<string> {
  return (value, path, issues) => {
    if (typeof value !== 'string') {
      issues.push({ path, message: say(o.type, value) });
      return FAIL;
    }
    const s = o.trim ? value.trim() : value;
    const before = issues.length;
    if (o.min && s.length < o.min[0]) issues.push({ path, message: o.min[1] });
    if (o.max && s.length > o.max[0]) issues.push({ path, message: o.max[1] });
    if (o.pattern && !o.pattern[0].test(s)) issues.push({ path, message: o.pattern[1] });
    if (o.refine && !o.refine[0](s)) issues.push({ path, message: o.refine[1] });
    return issues.length === before ? s : FAIL;
  };
}

export interface NumberRule {
  type: Message;
  int?: Message;
  /** Exclusive lower bound (zod's `positive()` is `gt: 0`). */
  gt?: [number, Message];
  min?: [number, Message];
  max?: [number, Message];
}

export function number(o: NumberRule): Rule<number> {
  return (value, path, issues) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      issues.push({ path, message: say(o.type, value) });
      return FAIL;
    }
    const before = issues.length;
    if (o.int && !Number.isSafeInteger(value)) issues.push({ path, message: say(o.int, value) });
    if (o.gt && !(value > o.gt[0])) issues.push({ path, message: say(o.gt[1], value) });
    if (o.min && value < o.min[0]) issues.push({ path, message: say(o.min[1], value) });
    if (o.max && value > o.max[0]) issues.push({ path, message: say(o.max[1], value) });
    return issues.length === before ? value : FAIL;
  };
}

export function oneOf<const V extends readonly string[]>(values: V, message: string): Rule<V[number]> {
  return (value, path, issues) => {
    if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as V[number];
    issues.push({ path, message });
    return FAIL;
  };
}

/** A value that passes `test` as it is (zod's `custom`). */
export function custom<T>(test: (v: unknown) => v is T, message: string): Rule<T> {
  return (value, path, issues) => {
    if (test(value)) return value;
    issues.push({ path, message });
    return FAIL;
  };
}

const ABSENT: unique symbol = Symbol('absent');

/** `undefined` stays absent (the key is left out of its object). */
export function optional<T>(rule: Rule<T>): Rule<T | typeof ABSENT> {
  return (value, path, issues) => (value === undefined ? ABSENT : rule(value, path, issues));
}

/** `undefined` becomes `fallback` (not checked: zod 4 does not check a default either). */
export function withDefault<T>(rule: Rule<T>, fallback: () => T): Rule<T> {
  return (value, path, issues) => (value === undefined ? fallback() : rule(value, path, issues));
}

/** `map` runs on the raw value first (zod's `preprocess`). */
export function preprocess<T>(map: (v: unknown) => unknown, rule: Rule<T>): Rule<T> {
  return (value, path, issues) => rule(map(value), path, issues);
}

export function array<T>(item: Rule<T>, o: { type: Message; min?: [number, string]; max?: [number, string] }): Rule<T[]> {
  return (value, path, issues) => {
    if (!Array.isArray(value)) {
      issues.push({ path, message: say(o.type, value) });
      return FAIL;
    }
    const before = issues.length;
    const out = value.map((v, i) => item(v, [...path, i], issues));
    if (o.min && value.length < o.min[0]) issues.push({ path, message: o.min[1] });
    if (o.max && value.length > o.max[0]) issues.push({ path, message: o.max[1] });
    return issues.length === before ? (out as T[]) : FAIL;
  };
}

type Shape = Record<string, Rule<unknown>>;
type Out<R> = R extends Rule<infer T> ? T : never;
type Optional<S extends Shape> = { [K in keyof S]: typeof ABSENT extends Out<S[K]> ? K : never }[keyof S];
type Parsed<S extends Shape> = { [K in Exclude<keyof S, Optional<S>>]: Out<S[K]> } & { [K in Optional<S>]?: Exclude<Out<S[K]>, typeof ABSENT> };

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * An object of `shape`: keys in shape order, unknown keys dropped — or, with `strict`, refused with
 * zod's message (`Unrecognized key: "x"`, one issue for all of them, after the known keys' issues).
 */
export function object<S extends Shape>(shape: S, o: { type: Message; strict?: boolean }): Rule<{ [K in keyof Parsed<S>]: Parsed<S>[K] }> {
  return (value, path, issues) => {
    if (!isPlainObject(value)) {
      issues.push({ path, message: say(o.type, value) });
      return FAIL;
    }
    const before = issues.length;
    const out: Record<string, unknown> = {};
    for (const [key, rule] of Object.entries(shape)) {
      const v = rule(Object.prototype.hasOwnProperty.call(value, key) ? value[key] : undefined, [...path, key], issues);
      if (v !== FAIL && v !== ABSENT) out[key] = v;
    }
    if (o.strict) {
      const unknown = Object.keys(value).filter((k) => !Object.prototype.hasOwnProperty.call(shape, k));
      if (unknown.length > 0) {
        const keys = unknown.map((k) => `"${k}"`).join(', ');
        issues.push({ path, message: `Unrecognized key${unknown.length > 1 ? 's' : ''}: ${keys}` });
      }
    }
    return issues.length === before ? (out as { [K in keyof Parsed<S>]: Parsed<S>[K] }) : FAIL;
  };
}
