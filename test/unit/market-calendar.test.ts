import {
  blockedWindows,
  checkDrillStart,
  marketCalendarSchema,
  nextAllowedStart,
  parseMarketCalendar,
  type MarketCalendar,
  type MarketCalendarInput,
} from '../../src/domain/market-calendar';
import { formatZoned, localToInstant, localToInstants, offsetMinutes, zonedParts } from '../../src/domain/zoned-time';

const NY = 'America/New_York';
const MIN = 60_000;

/** A New York equities calendar: 09:30-16:00 on weekdays. */
function xnys(extra: Partial<MarketCalendarInput> = {}): MarketCalendar {
  return marketCalendarSchema.parse({
    name: 'XNYS',
    timezone: NY,
    sessions: [{ days: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'], open: '09:30', close: '16:00' }],
    ...extra,
  });
}

const ny = (s: string) => {
  const [d, t] = s.split(' ');
  const [year, month, day] = d!.split('-').map(Number);
  const [hour, minute] = t!.split(':').map(Number);
  return localToInstant({ year: year!, month: month!, day: day!, hour: hour!, minute: minute! }, NY);
};

describe('zoned time (Intl)', () => {
  test('a wall time skipped by daylight saving has no instant; a repeated one has two', () => {
    expect(localToInstants({ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, NY)).toEqual([]);
    expect(localToInstants({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, NY).map((t) => new Date(t).toISOString())).toEqual([
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T06:30:00.000Z',
    ]);
    // Read forward by the gap, as Go's time.Date (the Temporal server) does.
    expect(new Date(localToInstant({ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, NY)).toISOString()).toBe('2026-03-08T07:30:00.000Z');
    expect(offsetMinutes(Date.parse('2026-07-01T12:00:00Z'), NY)).toBe(-240);
    expect(offsetMinutes(Date.parse('2026-01-01T12:00:00Z'), 'Asia/Kolkata')).toBe(330);
    expect(zonedParts(Date.parse('2026-03-08T07:00:00Z'), NY)).toMatchObject({ hour: 3, minute: 0, weekday: 0 });
  });
});

describe('market calendar schema', () => {
  test('errors name the path; unknown keys are refused (a typo must not disable a blackout)', () => {
    const r = parseMarketCalendar({
      timezone: 'Mars/Olympus',
      sessions: [{ days: ['MONDAY'], open: '9:30', close: '16:00' }],
      holidays: [{ date: '2026-02-30', name: 'nope' }],
      blackouts: [{ name: 'freeze', start: '2026-12-20T00:00', end: '2026-12-19T00:00' }],
      blackout: [],
    });
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors.join('\n');
    expect(errors).toContain('timezone: expected an IANA time zone');
    expect(errors).toContain('sessions.0.open: expected HH:MM');
    expect(errors).toContain('holidays.0.date: expected a date YYYY-MM-DD');
    expect(errors).toMatch(/blackouts\.0/);
    expect(errors).toMatch(/Unrecognized key.*"blackout"/);
  });

  test('defaults: Sunday 03:00 slot, 75 minutes clear', () => {
    const c = marketCalendarSchema.parse({ timezone: 'UTC' });
    expect(c).toMatchObject({
      drillSlot: { day: 'SUNDAY', at: '03:00' },
      drillWindowMinutes: 75,
      sessions: [],
      holidays: [],
      blackouts: [],
    });
  });
});

describe('checkDrillStart', () => {
  const cal = xnys({
    holidays: [
      { date: '2026-11-26', name: 'Thanksgiving Day' },
      { date: '2026-11-27', name: 'Day after Thanksgiving', close: '13:00' },
    ],
    blackouts: [{ name: 'year-end change freeze', start: '2026-12-18T18:00', end: '2027-01-04T06:00' }],
  });

  test('inside a session: refused, naming the session and the next allowed time (after the close)', () => {
    const c = checkDrillStart(cal, ny('2026-11-24 11:00'), 75 * MIN);
    expect(c.allowed).toBe(false);
    if (c.allowed) return;
    expect(c.inside).toBe(true);
    expect(c.window.kind).toBe('session');
    expect(c.nextAllowedMs).toBe(ny('2026-11-24 16:00'));
    expect(c.message).toContain('trading session TUESDAY 09:30-16:00');
    expect(c.message).toContain('calendar XNYS');
    expect(c.message).toContain(`next allowed start: 2026-11-24 16:00 ${NY} (2026-11-24T21:00:00.000Z)`);
  });

  test('before the open with too little time: refused as "would run into"', () => {
    const c = checkDrillStart(cal, ny('2026-11-24 08:30'), 75 * MIN);
    expect(c.allowed).toBe(false);
    if (c.allowed) return;
    expect(c.inside).toBe(false);
    expect(c.message).toContain('needs 75 min clear and would run into the trading session TUESDAY');
    expect(checkDrillStart(cal, ny('2026-11-24 08:15'), 75 * MIN).allowed).toBe(true);
  });

  test('a holiday has no session; an early close frees the afternoon', () => {
    expect(checkDrillStart(cal, ny('2026-11-26 11:00'), 75 * MIN).allowed).toBe(true);
    expect(checkDrillStart(cal, ny('2026-11-27 12:00'), 75 * MIN).allowed).toBe(false);
    expect(checkDrillStart(cal, ny('2026-11-27 13:00'), 75 * MIN).allowed).toBe(true);
  });

  test('inside a blackout: refused, next allowed start after the freeze with room before the open', () => {
    const c = checkDrillStart(cal, ny('2026-12-26 03:00'), 75 * MIN);
    expect(c.allowed).toBe(false);
    if (c.allowed) return;
    expect(c.window).toMatchObject({ kind: 'blackout', name: 'blackout "year-end change freeze"' });
    expect(c.nextAllowedMs).toBe(ny('2027-01-04 06:00'));
    // Needing 4 h, 06:00 is too close to the 09:30 open: the evening after the close.
    expect(nextAllowedStart(cal, ny('2026-12-26 03:00'), 240 * MIN).atMs).toBe(ny('2027-01-04 16:00'));
  });

  test('Friday close to Monday open is allowed across the weekend', () => {
    expect(checkDrillStart(cal, ny('2026-11-21 03:00'), 24 * 60 * MIN).allowed).toBe(true);
    expect(nextAllowedStart(cal, ny('2026-11-20 15:00'), 60 * MIN).atMs).toBe(ny('2026-11-20 16:00'));
  });

  test('month-end blackout: last 2 days and the first day of each month', () => {
    const c = xnys({ blackouts: [{ name: 'month-end close', monthEnd: { lastDays: 2, firstDays: 1 } }] });
    const w = blockedWindows(c, ny('2027-02-26 00:00'), ny('2027-03-03 00:00')).filter((x) => x.kind === 'blackout');
    expect(w.map((x) => [formatZoned(x.startMs, NY), formatZoned(x.endMs, NY)])).toEqual([[`2027-02-27 00:00 ${NY}`, `2027-03-02 00:00 ${NY}`]]);
    expect(checkDrillStart(c, ny('2027-02-28 03:00'), 60 * MIN).allowed).toBe(false);
    expect(checkDrillStart(c, ny('2027-03-02 03:00'), 60 * MIN).allowed).toBe(true);
  });

  test('overnight session (open 17:00, close 16:00 next day) blocks across midnight', () => {
    const c = marketCalendarSchema.parse({
      timezone: 'America/Chicago',
      sessions: [
        {
          days: ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY'],
          open: '17:00',
          close: '16:00',
          name: 'Globex',
        },
      ],
    });
    const ct = (h: number, d: number) => localToInstant({ year: 2026, month: 11, day: d, hour: h, minute: 0 }, 'America/Chicago');
    expect(checkDrillStart(c, ct(2, 24), 30 * MIN).allowed).toBe(false);
    const gap = checkDrillStart(c, ct(16, 24), 61 * MIN);
    expect(gap.allowed).toBe(false);
    expect(checkDrillStart(c, ct(16, 24), 60 * MIN).allowed).toBe(true);
    // Friday 16:00 to Sunday 17:00 is the weekend gap.
    expect(nextAllowedStart(c, ct(10, 27), 6 * 60 * MIN).atMs).toBe(ct(16, 27));
  });

  test('daylight saving: the session is at 09:30 wall time on both sides of the change (UTC moves)', () => {
    const cal2 = xnys();
    const before = blockedWindows(cal2, Date.parse('2026-03-06T00:00:00Z'), Date.parse('2026-03-07T00:00:00Z'))[0]!;
    const after = blockedWindows(cal2, Date.parse('2026-03-09T00:00:00Z'), Date.parse('2026-03-10T00:00:00Z'))[0]!;
    expect(new Date(before.startMs).toISOString()).toBe('2026-03-06T14:30:00.000Z');
    expect(new Date(after.startMs).toISOString()).toBe('2026-03-09T13:30:00.000Z');
    // A 02:00-03:00 blackout on the spring-forward night is only the instants that exist.
    const c = marketCalendarSchema.parse({
      timezone: NY,
      blackouts: [{ name: 'dst', start: '2026-03-08T01:30', end: '2026-03-08T03:30' }],
    });
    const [w] = blockedWindows(c, Date.parse('2026-03-08T00:00:00Z'), Date.parse('2026-03-09T00:00:00Z'));
    expect((w!.endMs - w!.startMs) / MIN).toBe(60);
  });
});
