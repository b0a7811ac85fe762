import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  acknowledgeSchema,
  ackFromFileLine,
  escalationSchedule,
  nextMove,
  openedAtProblem,
  resolveSchedule,
  type AckTimerPlan,
} from '../../src/domain/incident-ack';
import { boundDedupKey, incidentDedupKey, inferPageKind, pagerDutyPayload, plainPayload, slackPayload, type PageEvent } from '../../src/domain/paging';
import { sha256Hex } from '../../src/domain/sha256';
import { isPrintable, sanitizeText } from '../../src/domain/text';

describe('dedup key: one per incident, stable, at most 255 characters', () => {
  test('readable when it fits', () => {
    expect(incidentDedupKey('paper-2026-11-25', 'inc-42')).toBe('drill-runner/paper-2026-11-25/inc-42');
    expect(incidentDedupKey('paper-2026-11-25', 'inc-42', 'resolve-sla')).toBe('drill-runner/paper-2026-11-25/inc-42/resolve-sla');
  });

  test('128-character ids: shortened ids plus the SHA-256 of the pair, still <= 255, the same every time', () => {
    const run = 'r'.repeat(128);
    const inc = 'i'.repeat(128);
    const k = incidentDedupKey(run, inc);
    expect(k.length).toBeLessThanOrEqual(255);
    expect(k).toBe(incidentDedupKey(run, inc));
    expect(k).toBe(`drill-runner/${'r'.repeat(72)}/${'i'.repeat(72)}/${createHash('sha256').update(`${run}\n${inc}`).digest('hex')}`);
    expect(incidentDedupKey(run, inc, 'resolve-sla').length).toBeLessThanOrEqual(255);
  });

  test('different incidents never share a key (generated, long and short ids)', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/);
    fc.assert(
      fc.property(id, id, id, id, (a, b, c, d) => {
        if (a === c && b === d) return;
        expect(incidentDedupKey(a, b)).not.toBe(incidentDedupKey(c, d));
        expect(incidentDedupKey(a, b).length).toBeLessThanOrEqual(255);
      }),
      { numRuns: 500 },
    );
  });

  test('any key held to 255', () => {
    expect(boundDedupKey('short')).toBe('short');
    const long = `recovery-${'x'.repeat(300)}`;
    expect(boundDedupKey(long).length).toBeLessThanOrEqual(255);
    expect(boundDedupKey(long)).toBe(boundDedupKey(long));
    expect(boundDedupKey(long)).not.toBe(boundDedupKey(`${long}y`));
  });
});

test('sha256 (pure, for workflow code) matches node:crypto', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (s) => {
      // Lone surrogates become U+FFFD on both sides (as Node encodes UTF-8).
      expect(sha256Hex(s)).toBe(createHash('sha256').update(s, 'utf8').digest('hex'));
    }),
    { numRuns: 200 },
  );
  expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

describe('page bodies', () => {
  const e: PageEvent = {
    action: 'trigger',
    kind: 'incident_ack_sla',
    runId: 'r1',
    incidentId: 'i1',
    severity: 'critical',
    level: 2,
    round: 1,
    levelName: 'secondary',
    openedAt: '2026-11-25T03:00:00Z',
    dedupKey: 'drill-runner/r1/i1',
    at: '2026-11-25T03:25:00Z',
  };

  test('class follows the kind of page', () => {
    expect(pagerDutyPayload({ ...e, kind: 'dr_drill_failed' }, 'k')).toMatchObject({ payload: { class: 'dr_drill_failed' } });
    expect(inferPageKind({ levelName: 'dr-drill' })).toBe('dr_drill_failed');
    expect(inferPageKind({ levelName: 'recovery-max-wait' })).toBe('recovery_max_wait');
    expect(inferPageKind({ levelName: 'primary' })).toBe('incident_ack_sla');
    expect(inferPageKind({ levelName: 'dr-drill', kind: 'incident_resolve_sla' })).toBe('incident_resolve_sla');
  });

  test('PagerDuty: a full trigger with the level; acknowledge and resolve carry only the key', () => {
    expect(pagerDutyPayload(e, 'RK')).toMatchObject({
      routing_key: 'RK',
      event_action: 'trigger',
      dedup_key: 'drill-runner/r1/i1',
      payload: { class: 'incident_ack_sla', custom_details: { level: 2, round: 1, level_name: 'secondary' } },
    });
    expect(pagerDutyPayload({ ...e, action: 'resolve' }, 'RK')).toEqual({ routing_key: 'RK', event_action: 'resolve', dedup_key: 'drill-runner/r1/i1' });
  });

  test('JSON webhook: the same lifecycle, one key', () => {
    expect(plainPayload({ ...e, action: 'acknowledge', ackBy: 'alice' })).toMatchObject({
      type: 'incident_acknowledged',
      event_action: 'acknowledge',
      ack_by: 'alice',
      dedup_key: 'drill-runner/r1/i1',
    });
    expect(plainPayload(e).summary).toBe('Incident i1 (run r1, critical) not acknowledged: escalation level 2, repeat 1');
  });

  test('Slack: text escaped for mrkdwn', () => {
    expect(slackPayload({ ...e, summary: 'a <b> & c' }).text).toBe(':rotating_light: a &lt;b&gt; &amp; c');
  });
});

describe('ack validation says what is wrong', () => {
  const message = (v: unknown) => {
    const r = acknowledgeSchema.safeParse(v);
    return r.success ? 'ok' : r.error.issues.map((i) => i.message).join('; ');
  };
  test.each([
    [{ ackBy: 'alice', notes: 'entries halted\nreconciling' }, 'ok'],
    [{ ackBy: "  Ann Ó'Brien  " }, 'ok'],
    [{}, 'ackBy is required'],
    [{ ackBy: 5 }, 'ackBy must be a string'],
    [{ ackBy: '\u0000' }, 'ackBy must be printable (no control or invisible formatting characters)'],
    [{ ackBy: 'a\u200bb' }, 'ackBy must be printable (no control or invisible formatting characters)'],
    [{ ackBy: 'x'.repeat(129) }, 'ackBy must be at most 128 characters'],
    [{ ackBy: 'x', notes: ['a'] }, 'notes must be a string'],
    [{ ackBy: 'x', notes: 'tab\tok\r\n' }, 'ok'],
    [{ ackBy: 'x', notes: 'nul\u0000' }, 'notes must be printable (no control or invisible formatting characters other than newlines and tabs)'],
    [{ ackBy: 'x', extra: 1 }, 'Unrecognized key: "extra"'],
    [null, 'acknowledge expects an object: { "ackBy": "<on-call>", "notes": "<mitigation status>" }'],
  ])('%j → %s', (v, want) => {
    expect(message(v)).toBe(want);
  });

  test('openedAt: a little clock skew is fine, the future is not', () => {
    const now = Date.parse('2026-11-25T03:00:00Z');
    expect(openedAtProblem(now + 119_000, now)).toBeUndefined();
    expect(openedAtProblem(Date.parse('2099-01-01T00:00:00Z'), now)).toMatch(/^openedAt: must not be in the future \(it is \d+ s ahead/);
  });

  test('text from a file line is made printable, never rejected', () => {
    expect(sanitizeText('bob\u0007\u202e', 128, 'x')).toBe('bob??');
    expect(sanitizeText(42, 128, 'unknown')).toBe('unknown');
    expect(sanitizeText('x'.repeat(200), 128, '').length).toBe(128);
    expect(isPrintable('Zoë 🙂')).toBe(true);
  });
});

describe('an ack from a run-file line', () => {
  const opened = Date.parse('2026-11-25T03:00:00Z');
  test("the line's time is the ack time", () => {
    expect(ackFromFileLine({ ts: '2026-11-25T03:05:00Z', ack_by: 'alice' }, opened, opened + 3_600_000, 900)).toEqual({
      ackBy: 'alice',
      ackedAt: '2026-11-25T03:05:00.000Z',
      latencySeconds: 300,
      slaMet: true,
      source: 'run-file',
    });
  });
  test("a time ahead of the timer's clock (or unreadable) counts as when the timer saw it", () => {
    const now = opened + 1_000_000;
    expect(ackFromFileLine({ ts: '2099-01-01T00:00:00Z', ack_by: 'a' }, opened, now, 900).ackedAt).toBe(new Date(now).toISOString());
    expect(ackFromFileLine({ ts: 'yesterday', ack_by: 'a' }, opened, now, 900)).toMatchObject({ ackedAt: new Date(now).toISOString(), slaMet: false });
    expect(ackFromFileLine({}, opened, now, 900).ackBy).toBe('unknown (run file)');
  });
});

describe("nextMove: the timer's plan", () => {
  const policy = { levels: [{ afterSeconds: 900 }, { afterSeconds: 600 }], repeats: 1 };
  const base: AckTimerPlan = {
    nowMs: 0,
    openedAtMs: 0,
    ackSteps: escalationSchedule(policy),
    nextAckStep: 0,
    resolveSteps: resolveSchedule(policy),
    nextResolveStep: 0,
    resolved: false,
    paged: false,
    keepOpenAfterAckSeconds: 600,
    awaitResolveSeconds: 86400,
  };

  test('unacknowledged: wait for the next step, fire it when due, wait forever past the last', () => {
    expect(nextMove(base)).toEqual({ move: 'wait', untilMs: 900_000 });
    expect(nextMove({ ...base, nowMs: 900_000 })).toMatchObject({ move: 'fire', kind: 'incident_ack_sla', step: { level: 1, round: 0 } });
    expect(nextMove({ ...base, nowMs: 10_000_000, nextAckStep: 4 })).toEqual({ move: 'wait' });
  });

  test('acknowledged with nothing paged: close after keepOpen; something paged: wait for the resolution', () => {
    const ack = { noticedAtMs: 100_000 };
    expect(nextMove({ ...base, nowMs: 100_000, ack })).toEqual({ move: 'wait', untilMs: 700_000 });
    expect(nextMove({ ...base, nowMs: 700_000, ack })).toEqual({ move: 'finish', reason: 'kept-open-after-ack' });
    expect(nextMove({ ...base, nowMs: 700_000, ack, paged: true })).toEqual({ move: 'wait', untilMs: 100_000 + 86_400_000 });
    expect(nextMove({ ...base, nowMs: 700_000, ack, resolved: true })).toEqual({ move: 'finish', reason: 'resolved' });
  });

  test('resolve SLA: level 1 at the deadline, level 2 its afterSeconds later; an ack after the deadline starts it then', () => {
    const p = { ...base, resolveSlaSeconds: 3600, ack: { noticedAtMs: 100_000 }, nowMs: 200_000 };
    expect(nextMove(p)).toEqual({ move: 'wait', untilMs: 3_600_000 });
    expect(nextMove({ ...p, nowMs: 3_600_000 })).toMatchObject({ move: 'fire', kind: 'incident_resolve_sla', step: { level: 1 } });
    expect(nextMove({ ...p, nowMs: 3_600_000, nextResolveStep: 1 })).toEqual({ move: 'wait', untilMs: 4_200_000 });
    expect(nextMove({ ...p, ack: { noticedAtMs: 5_000_000 }, nowMs: 5_000_000 })).toMatchObject({ move: 'fire', step: { level: 1 } });
  });
});
