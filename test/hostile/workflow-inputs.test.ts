/**
 * Hostile workflow inputs, generated (issue 11.4): a valid input of each workflow type with one
 * place mutated (a field replaced by any value, removed, an unknown key added, nested fields too) or
 * replaced whole, through the workflows' own first line, `parseOrFail`. Each case: either the input
 * is accepted and its parsed form survives the wire (JSON, as continue-as-new and child starts send
 * it) and parses again to the same value, or it is refused with a non-retryable `InvalidInput` whose
 * message names the mutated field. Never another error.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { ApplicationFailure } from '@temporalio/common';
import { type z } from 'zod';
import { weeklyDrillInputSchema } from '../../src/domain/drill';
import { drillLockInputSchema } from '../../src/domain/drill-lock';
import { incidentInputSchema } from '../../src/domain/incident';
import { incidentAckInputSchema } from '../../src/domain/incident-ack';
import { promotionGateInputSchema } from '../../src/domain/promotion';
import { recoveryInputSchema } from '../../src/domain/recovery';
import { alertWatchInputSchema, initialCarried } from '../../src/domain/watch';
import { INVALID_INPUT, parseOrFail } from '../../src/workflows/validation';
import { checkHostile, nastyJson, nastyString } from '../helpers/hostile';

type Path = Array<string | number>;

/** Every path into a JSON value (objects and arrays walked), the root excluded. */
function paths(v: unknown, prefix: Path = []): Path[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => [[...prefix, i], ...paths(x, [...prefix, i])]);
  if (typeof v === 'object' && v !== null) return Object.entries(v).flatMap(([k, x]) => [[...prefix, k], ...paths(x, [...prefix, k])]);
  return [];
}

/** A deep copy of `v` with the value at `p` replaced (or removed when `value` is the DELETE marker). */
const DELETE = Symbol('delete');
function setAt(v: unknown, p: Path, value: unknown): unknown {
  // The samples are JSON: copy them through JSON (structuredClone would build them in another realm).
  const copy = JSON.parse(JSON.stringify(v)) as Record<string | number, unknown>;
  let node = copy;
  for (const seg of p.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
  const last = p[p.length - 1]!;
  if (value === DELETE) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}

interface Sample {
  what: string;
  schema: z.ZodType;
  /** Valid inputs, minimal and with the optional parts filled in (so nested fields get mutated too). */
  valid: unknown[];
}

const T = '2026-11-25T03:00:00.000Z';
const SAMPLES: Sample[] = [
  {
    what: 'alertWatchWorkflow',
    schema: alertWatchInputSchema,
    valid: [
      { runId: 'paper-1', target: 'sandbox' },
      {
        runId: 'paper-1',
        target: 'sandbox',
        intervalSeconds: 5,
        cyclesPerRun: 100,
        selfOpenAfterCycles: 3,
        openIncidents: true,
        thresholds: { maxConsecutiveMismatchRuns: 3, minReconciliationPassRate: 0.995 },
        incident: { cycleSeconds: 10, maxWaitSeconds: 600, ackSlaSeconds: 900 },
        carried: {
          ...initialCarried(),
          recentBreaches: [{ at: T, source: 'target', slo: 'x', value: 1, threshold: 0, severity: 'critical' }],
          incidents: { 'inc-1': { source: 'target', openedAt: T, workflowId: 'w', outcome: 'started' } },
        },
      },
    ],
  },
  {
    what: 'incidentWorkflow',
    schema: incidentInputSchema,
    valid: [
      { runId: 'paper-1', incidentId: 'inc-1', target: 'sandbox' },
      {
        runId: 'paper-1',
        incidentId: 'inc-1',
        target: 'sandbox',
        severity: 'warning',
        openedAt: T,
        summary: 's',
        hint: 'reconciliation',
        source: 'target',
        cycleSeconds: 5,
        maxWaitSeconds: 600,
        ackSlaSeconds: 900,
        ackTimer: false,
      },
    ],
  },
  {
    what: 'incidentAckWorkflow',
    schema: incidentAckInputSchema,
    valid: [
      { runId: 'paper-1', incidentId: 'inc-1', severity: 'critical' },
      {
        runId: 'paper-1',
        incidentId: 'inc-1',
        severity: 'warning',
        openedAt: T,
        ackSlaSeconds: 600,
        escalation: { levels: [{ name: 'primary', afterSeconds: 900 }, { afterSeconds: 300 }], repeats: 2 },
        keepOpenAfterAckSeconds: 0,
        summary: 's',
      },
    ],
  },
  {
    what: 'recoveryWorkflow',
    schema: recoveryInputSchema,
    valid: [
      { runId: 'paper-1', incidentId: 'inc-1', target: 'sandbox', incidentClass: 'reconciliation', openedAt: T, haltReason: 'incident inc-1' },
      {
        runId: 'paper-1',
        incidentId: 'inc-1',
        target: 'sandbox',
        incidentClass: 'broker_connectivity',
        severity: 'warning',
        openedAt: T,
        attempt: 2,
        cycleSeconds: 5,
        maxWaitSeconds: 60,
        cleanCyclesRequired: 3,
        haltReason: 'h',
        restartBroker: false,
      },
    ],
  },
  {
    what: 'weeklyDrillWorkflow',
    schema: weeklyDrillInputSchema,
    valid: [
      { target: 'sandbox' },
      {
        target: 'sandbox',
        drillId: 'd-1',
        seed: 7,
        scenarios: ['stale_data', 'order_drift'],
        allowLive: false,
        mode: 'paper',
        rtoSeconds: 900,
        rpoSeconds: 60,
        maxDrillSeconds: 3600,
        pollMs: 1000,
      },
    ],
  },
  {
    what: 'drillTargetLockWorkflow',
    schema: drillLockInputSchema,
    valid: [{ target: 'sandbox', holder: { drillId: 'd-1', workflowId: 'drill~sandbox~d-1', runId: '0193a1b2-run', startedAt: T } }],
  },
  {
    what: 'promotionGateWorkflow',
    schema: promotionGateInputSchema,
    valid: [
      { experimentId: 'exp-1', runId: 'paper-1' },
      {
        experimentId: 'exp-1',
        runId: 'paper-1',
        strict: false,
        target: 'sandbox',
        thresholds: { maxDrillAgeSeconds: 86400, ackSlaSeconds: 900, maxOperationalErrorRate: 0.02 },
      },
    ],
  },
];

type Case = { base: unknown; path: Path; kind: 'replace' | 'delete' | 'extra' | 'whole'; value: unknown };

function caseArb(s: Sample): fc.Arbitrary<Case> {
  return fc.constantFrom(...s.valid).chain((base) => {
    const all = paths(base);
    return fc.oneof(
      { weight: 6, arbitrary: fc.record({ base: fc.constant(base), path: fc.constantFrom(...all), kind: fc.constant('replace' as const), value: nastyJson }) },
      {
        weight: 2,
        arbitrary: fc.record({ base: fc.constant(base), path: fc.constantFrom(...all), kind: fc.constant('delete' as const), value: fc.constant(DELETE) }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          base: fc.constant(base),
          path: fc
            .constantFrom<Path>(
              [],
              ...all.filter((p) => {
                const v = p.reduce<unknown>((n, k) => (n as Record<string, unknown>)[k], base);
                return typeof v === 'object' && v !== null && !Array.isArray(v);
              }),
            )
            .chain((p) => nastyString.map((k) => [...p, k])),
          kind: fc.constant('extra' as const),
          value: nastyJson,
        }),
      },
      { weight: 1, arbitrary: fc.record({ base: fc.constant(base), path: fc.constant([] as Path), kind: fc.constant('whole' as const), value: nastyJson }) },
    );
  });
}

/** The message names the place: a segment of the mutated path, or `(input)` for the whole value. */
function namesThePlace(message: string, c: Case): boolean {
  // A whole value: the input as such, or the required fields it lacks.
  if (c.kind === 'whole') return message.includes('(input)') || Object.keys(c.base as object).some((k) => message.includes(`${k}:`));
  const segs = c.kind === 'extra' ? c.path.slice(0, -1) : c.path;
  if (segs.length === 0) return message.includes('(input)') || message.includes(JSON.stringify(String(c.path.at(-1))).slice(1, -1));
  return segs.some((s) => message.includes(`${String(s)}:`) || message.includes(`${String(s)}.`) || message.includes(`.${String(s)}`));
}

describe.each(SAMPLES)('$what input', (s) => {
  test(`${s.what}: every generated input is accepted (and survives the wire) or refused as InvalidInput naming the field`, async () => {
    await checkHostile({
      boundary: `workflow-input/${s.what}`,
      through: 'parseOrFail (src/workflows/validation.ts), the first line of the workflow',
      checks: [
        'no error other than a non-retryable InvalidInput',
        'the message names the mutated field',
        'an accepted input survives JSON and parses again to the same value',
      ],
      test: 'test/hostile/workflow-inputs.test.ts',
      arbitrary: caseArb(s),
      run: (c) => {
        const input = c.kind === 'whole' ? c.value : setAt(c.base, c.path, c.value);
        try {
          parseOrFail(s.schema, input, `${s.what} input`);
        } catch (err) {
          if (!(err instanceof ApplicationFailure)) throw new Error(`not an ApplicationFailure: ${String(err)}`);
          expect(err.type).toBe(INVALID_INPUT);
          expect(err.nonRetryable).toBe(true);
          expect(err.message).toMatch(new RegExp(`^invalid ${s.what} input: `));
          if (!namesThePlace(err.message, c)) throw new Error(`the error does not name ${JSON.stringify(c.path)}: ${err.message}`);
          return 'refused';
        }
        // Only JSON crosses the wire: an input that is not JSON itself (a BigInt, a Map, a boxed
        // boolean, an undefined field) cannot arrive there as it is.
        let fromWire: unknown;
        try {
          fromWire = JSON.parse(JSON.stringify(input) ?? 'undefined') as unknown;
        } catch {
          return 'accepted (not JSON: never on the wire)';
        }
        if (!isDeepStrictEqual(fromWire, input)) return 'accepted (not JSON: never on the wire)';
        const wire = JSON.parse(JSON.stringify(parseOrFail(s.schema, fromWire, `${s.what} input`))) as unknown;
        expect(parseOrFail(s.schema, wire, `${s.what} input`)).toEqual(wire);
        return 'accepted';
      },
    });
  });
});
