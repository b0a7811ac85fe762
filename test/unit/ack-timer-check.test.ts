/**
 * The ack timer's zod-free checks (src/domain/ack-timer-check.ts, what the workflow runs) against
 * the zod schemas they stand in for (src/domain/incident-ack.ts, the contract): over generated
 * input — valid, near-valid and hostile — both give the same verdict, the same parsed value and the
 * same first issue and the same fields at fault.
 */
import fc from 'fast-check';
import { acknowledgeCheck, ackTimerInputCheck, resolveMessageCheck } from '../../src/domain/ack-timer-check';
import { acknowledgeSchema, incidentAckInputSchema, resolveMessageSchema } from '../../src/domain/incident-ack';
import type { LightSchema } from '../../src/domain/light-schema';

interface Comparable {
  safeParse(v: unknown): { success: boolean; data?: unknown; error?: { issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }> } };
}

/**
 * What must agree: the verdict; the parsed value; the first issue, path and message (the one a person
 * reads first); and which fields have issues. zod 4 also runs a field's remaining checks after its
 * type check failed (`ackBy: []` gets "must be a string" and "must not be empty"); the light checks
 * stop at the type, so the number of issues per field may differ.
 */
function outcome(s: Comparable, v: unknown) {
  const r = s.safeParse(v);
  if (r.success) return { ok: true, data: r.data };
  const issues = r.error!.issues;
  return {
    ok: false,
    first: { path: [...issues[0]!.path], message: issues[0]!.message },
    fields: [...new Set(issues.map((i) => i.path.map(String).join('.')))].sort(),
  };
}

function expectSame(light: LightSchema<unknown>, zod: Comparable, v: unknown) {
  expect(outcome(light as Comparable, v)).toStrictEqual(outcome(zod, v));
}

const RUNS = Number(process.env.PARITY_RUNS ?? 3000);

/** Strings near every rule: ids, padded and blank text, control and invisible characters, long ones. */
const text = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'on-call',
    '  alice  ',
    'run-1',
    'inc_2:a.b',
    '.hidden',
    '-x',
    'a/b',
    'a\nb',
    'a\tb',
    'a\u0000b',
    'a\u202eb',
    'a\u200bb',
    '\ud800',
    'é漢',
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.integer({ min: 95, max: 2100 }).map((n) => 'x'.repeat(n)),
  fc.constantFrom(
    ...[
      '2026-11-25T03:00:00Z',
      '2026-11-25T03:00:00.123+01:00',
      '2024-02-29T00:00:00Z',
      '2026-02-29T00:00:00Z',
      '2026-11-25T03:00Z',
      '2026-11-25 03:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-11-25T24:00:00Z',
      '2026-11-25T03:00:00',
    ],
  ),
);
/** Numbers near every bound. */
const num = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    0.5,
    1.5,
    10,
    11,
    99,
    100,
    600,
    900,
    1800,
    3600,
    3601,
    20000,
    20001,
    86400,
    86401,
    604800,
    604801,
    2592000,
    2592001,
    2 ** 53,
    2 ** 53 - 1,
  ),
  fc.integer({ min: -10, max: 3_000_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -10, max: 1e7 }),
);
const other = fc.oneof(fc.constant(null), fc.boolean(), fc.constant([]), fc.constant({}), fc.constant([1, 2]));
const anyLeaf = fc.oneof({ weight: 3, arbitrary: text }, { weight: 3, arbitrary: num }, { weight: 1, arbitrary: other });

const level = fc.record({ name: fc.oneof(text, other), afterSeconds: fc.oneof(num, anyLeaf) }, { requiredKeys: [] });
const policy = fc.oneof(
  fc.record({ levels: fc.oneof(fc.array(level, { maxLength: 22 }), anyLeaf), repeats: fc.oneof(num, anyLeaf) }, { requiredKeys: [] }),
  anyLeaf,
);
const ackInput = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record(
      {
        runId: fc.oneof(fc.constantFrom('run-1', 'paper-7'), text, other),
        incidentId: fc.oneof(fc.constantFrom('inc-1', 'INC_2'), text, other),
        severity: fc.oneof(fc.constantFrom('critical', 'warning', 'info'), anyLeaf),
        openedAt: fc.oneof(text, anyLeaf),
        ackSlaSeconds: fc.oneof(num, anyLeaf),
        escalation: policy,
        resolveSlaSeconds: fc.oneof(num, anyLeaf),
        keepOpenAfterAckSeconds: fc.oneof(num, anyLeaf),
        awaitResolveSeconds: fc.oneof(num, anyLeaf),
        summary: fc.oneof(text, anyLeaf),
        fileWatch: fc.oneof(fc.record({ holdSeconds: fc.oneof(num, anyLeaf), pauseSeconds: fc.oneof(num, anyLeaf) }, { requiredKeys: [] }), anyLeaf),
        historyLimit: fc.oneof(num, anyLeaf),
        carried: fc.oneof(fc.constant({ v: 2, runs: 1, pages: [] }), fc.constant({ v: 1 }), anyLeaf),
        extra: anyLeaf,
      },
      { requiredKeys: ['runId', 'incidentId', 'severity'] },
    ),
  },
  {
    weight: 2,
    arbitrary: fc.record({ runId: fc.oneof(text, other), incidentId: fc.oneof(text, other), severity: fc.oneof(text, other) }, { requiredKeys: [] }),
  },
  { weight: 1, arbitrary: anyLeaf },
);
const ack = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ ackBy: fc.oneof(text, anyLeaf), notes: fc.oneof(text, anyLeaf), extra: anyLeaf, constructor: anyLeaf }, { requiredKeys: [] }),
  },
  { weight: 1, arbitrary: fc.oneof(anyLeaf, fc.constant(undefined)) },
);
const resolve = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record(
      { resolution: fc.oneof(text, anyLeaf), by: fc.oneof(text, anyLeaf), resolvedAt: fc.oneof(text, anyLeaf), extra: anyLeaf },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.oneof(anyLeaf, fc.constant(undefined)) },
);

describe('the ack timer checks workflow code runs agree with the zod schemas', () => {
  it('timer input: same verdict, value and issues', () => {
    fc.assert(
      fc.property(ackInput, (v) => expectSame(ackTimerInputCheck, incidentAckInputSchema, v)),
      { numRuns: RUNS },
    );
  });

  it('acknowledge: same verdict, value and issues', () => {
    fc.assert(
      fc.property(ack, (v) => expectSame(acknowledgeCheck, acknowledgeSchema, v)),
      { numRuns: RUNS },
    );
  });

  it('resolve: same verdict, value and issues', () => {
    fc.assert(
      fc.property(resolve, (v) => expectSame(resolveMessageCheck, resolveMessageSchema, v)),
      { numRuns: RUNS },
    );
  });

  it('a valid input gets its defaults, as the schema gives them', () => {
    const v = { runId: 'run-1', incidentId: 'inc-1', severity: 'critical' };
    const light = ackTimerInputCheck.safeParse(v);
    expect(light).toStrictEqual({ success: true, data: incidentAckInputSchema.parse(v) });
    expect(light.success && light.data.ackSlaSeconds).toBe(900);
  });

  it('the hostile cases each once, by name', () => {
    // (An object with a prototype of its own never reaches a parser: workflows/validation.ts refuses it first.)
    const cases: unknown[] = [
      { ackBy: '  ', notes: 'x' },
      JSON.parse('{"ackBy":"a","__proto__":{"x":1}}'),
      { ackBy: 'a', notes: 'y'.repeat(2001) },
      { ackBy: 'a\u202e' },
      new Uint8Array([1, 2]),
      [{ ackBy: 'a' }],
    ];
    for (const c of cases) expectSame(acknowledgeCheck, acknowledgeSchema, c);
    expect(acknowledgeCheck.safeParse({ ackBy: '  alice ' })).toStrictEqual({ success: true, data: { ackBy: 'alice' } });
  });
});
