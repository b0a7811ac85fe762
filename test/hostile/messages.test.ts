/**
 * Hostile signal and update payloads, generated (issue 11.4), through the code the workflows
 * register: `signalHandlerFor` (signals) and `validatorFor` (update validators), with the schemas of
 * every message; and the worker's payload converter, which turns whatever bytes and metadata a
 * client sends into the value those handlers see. Each case: a signal handler never throws, and
 * either hands parsed data on or reports the field and drops the payload; a validator passes exactly
 * when the signal parse accepts, else throws a non-retryable `InvalidInput` naming the field; the
 * converter never throws, and JSON values round-trip.
 */
import fc from 'fast-check';
import { ApplicationFailure, type Payload } from '@temporalio/common';
import { type z } from 'zod';
import { forceResumeSchema, reclassifySchema } from '../../src/domain/incident';
import { acknowledgeSchema } from '../../src/domain/incident-ack';
import { stopWatchMessageSchema } from '../../src/domain/watch';
import { isUndecodable, payloadConverter } from '../../src/payload-converter';
import { INVALID_INPUT, signalHandlerFor, validatorFor } from '../../src/workflows/validation';
import { checkHostile, nastyJson, nastyString } from '../helpers/hostile';

const T = 'hostile-suite';
const MESSAGES: Array<{ name: string; schema: z.ZodType; valid: Record<string, unknown> }> = [
  { name: 'stop', schema: stopWatchMessageSchema, valid: { reason: 'run ended', by: T } },
  { name: 'stopWatch', schema: stopWatchMessageSchema, valid: { reason: 'run ended', by: T } },
  { name: 'acknowledge', schema: acknowledgeSchema, valid: { ackBy: T, notes: 'entries halted' } },
  { name: 'forceResume', schema: forceResumeSchema, valid: { reason: 'operator decision', by: T } },
  { name: 'reclassify', schema: reclassifySchema, valid: { incidentClass: 'data_quality', reason: 'bars are stale', by: T } },
];

const decode = (v: unknown): unknown => payloadConverter.fromPayload(payloadConverter.toPayload(v));
const undecodable = (encoding: string): unknown =>
  payloadConverter.fromPayload({ metadata: { encoding: new TextEncoder().encode(encoding) }, data: new Uint8Array([1, 2, 3]) });

/** What a handler can receive: a valid payload with one field mutated, any value, binary data, an undecodable payload. */
function payloadArb(valid: Record<string, unknown>): fc.Arbitrary<{ label: string; value: unknown; field?: string }> {
  const keys = Object.keys(valid);
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .record({ field: fc.constantFrom(...keys), value: nastyJson })
        .map(({ field, value }) => ({ label: 'field replaced', field, value: { ...valid, [field]: value } })),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(...keys).map((field) => {
        const { [field]: _gone, ...rest } = valid;
        return { label: 'field removed', field, value: rest };
      }),
    },
    { weight: 2, arbitrary: fc.record({ k: nastyString, v: nastyJson }).map(({ k, v }) => ({ label: 'extra field', value: { ...valid, [k]: v } })) },
    { weight: 3, arbitrary: nastyJson.map((value) => ({ label: 'any value', value })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => ({ label: 'binary', value: b })) },
    { weight: 1, arbitrary: nastyString.map((enc) => ({ label: 'undecodable', value: undecodable(`x-${enc}`) })) },
  );
}

describe.each(MESSAGES)('$name payload', (m) => {
  test(`${m.name}: the signal path drops what the validator rejects, naming the field; nothing throws but the validator`, async () => {
    await checkHostile({
      boundary: `message-payload/${m.name}`,
      through: 'signalHandlerFor and validatorFor (src/workflows/validation.ts) over the payload converter',
      checks: [
        'the signal handler never throws',
        'a rejected payload is reported and dropped, the handler never sees it',
        'the update validator rejects exactly what the signal path drops, as non-retryable InvalidInput',
        'the message names the mutated field',
      ],
      test: 'test/hostile/messages.test.ts',
      arbitrary: payloadArb(m.valid),
      run: ({ value, field }) => {
        const handled: unknown[] = [];
        const rejected: string[] = [];
        const signal = signalHandlerFor(
          m.schema,
          m.name,
          (d) => handled.push(d),
          (_msg, error) => rejected.push(error),
        );
        signal(value);
        expect(handled.length + rejected.length).toBe(1);
        let validatorError: unknown;
        try {
          validatorFor(m.schema, m.name)(value);
        } catch (err) {
          validatorError = err;
        }
        if (handled.length) {
          expect(validatorError).toBeUndefined();
          return 'accepted';
        }
        expect(validatorError).toBeInstanceOf(ApplicationFailure);
        const f = validatorError as ApplicationFailure;
        expect(f).toMatchObject({ type: INVALID_INPUT, nonRetryable: true });
        expect(f.message).toBe(`invalid ${m.name}: ${rejected[0]}`);
        // Which field: the mutated one, or the payload as a whole.
        if (field && !rejected[0]!.includes(`${field}:`) && !rejected[0]!.includes('(input)')) throw new Error(`does not name ${field}: ${rejected[0]}`);
        if (isUndecodable(value)) expect(rejected[0]).toMatch(/could not be decoded/);
        return 'rejected';
      },
    });
  });
});

test('the payload converter never throws: any metadata and bytes decode to a value or to the undecodable marker; JSON values round-trip', async () => {
  const bytes = fc.uint8Array({ maxLength: 256 });
  const meta = fc.dictionary(
    fc.oneof(fc.constant('encoding'), nastyString),
    fc.oneof(
      bytes,
      fc.constantFrom('json/plain', 'binary/plain', 'binary/null', 'json/protobuf', '').map((s) => new TextEncoder().encode(s)),
    ),
    { maxKeys: 3 },
  );
  const payloads: fc.Arbitrary<{ kind: 'raw'; payload: Payload } | { kind: 'json'; value: unknown }> = fc.oneof(
    fc
      .record({ metadata: fc.option(meta, { nil: undefined }), data: fc.option(bytes, { nil: undefined }) })
      .map((payload) => ({ kind: 'raw' as const, payload })),
    fc.record({ data: fc.string({ unit: 'binary' }) }).map(({ data }) => ({
      kind: 'raw' as const,
      payload: { metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode(data) },
    })),
    fc.jsonValue().map((value) => ({ kind: 'json' as const, value })),
  );
  await checkHostile({
    boundary: 'message-payload/payload-converter',
    through: 'payloadConverter.fromPayload (src/payload-converter.ts), used by the worker and inside the workflow sandbox',
    checks: ['never throws', 'an undecodable payload becomes the marker, with its encoding and a bounded error', 'JSON values round-trip unchanged'],
    test: 'test/hostile/messages.test.ts',
    arbitrary: payloads,
    run: (c) => {
      if (c.kind === 'json') {
        expect(decode(c.value)).toEqual(JSON.parse(JSON.stringify(c.value)));
        return 'json round-trip';
      }
      const v = payloadConverter.fromPayload(c.payload);
      if (isUndecodable(v)) {
        expect(v.error.length).toBeLessThanOrEqual(200);
        expect(v.encoding.length).toBeLessThanOrEqual(64);
        return 'undecodable marker';
      }
      return 'decoded';
    },
  });
});
