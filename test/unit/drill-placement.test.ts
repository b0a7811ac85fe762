import { placeWeeklyDrill, reviewSlots, specMatchingTimes, type Placement } from '../../src/domain/drill-placement';
import { marketCalendarSchema, type MarketCalendarInput } from '../../src/domain/market-calendar';
import { localToInstant } from '../../src/domain/zoned-time';

const NY = 'America/New_York';
const MIN = 60_000;
const NEED = 75 * MIN;

function xnys(extra: Partial<MarketCalendarInput>) {
  return marketCalendarSchema.parse({
    name: 'XNYS',
    timezone: NY,
    sessions: [{ days: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'], open: '09:30', close: '16:00' }],
    ...extra,
  });
}

function ny(s: string): number {
  const [d, t] = s.split(' ');
  const [year, month, day] = d!.split('-').map(Number);
  const [hour, minute] = t!.split(':').map(Number);
  return localToInstant({ year: year!, month: month!, day: day!, hour: hour!, minute: minute! }, NY);
}

/** The spec, evaluated the way the server evaluates it, gives exactly the planned runs. */
function expectSpecAgrees(p: Placement, fromMs: number): void {
  const server = specMatchingTimes(p.spec, fromMs, p.horizonEndMs);
  expect(server.map((t) => new Date(t).toISOString())).toEqual(p.runs.map((r) => r.at));
}

test("across a holiday: the slot is inside Monday's session, so the regular run is Monday 16:00; on a Monday holiday it runs at the slot", () => {
  const cal = xnys({
    drillSlot: { day: 'MONDAY', at: '10:00' },
    holidays: [{ date: '2027-01-18', name: 'Martin Luther King Jr. Day' }],
  });
  const from = ny('2027-01-01 00:00');
  const p = placeWeeklyDrill(cal, NEED, from, 60);
  expect(p.regular).toMatchObject({ day: 'MONDAY', hour: 16, minute: 0 });
  const local = p.runs.map((r) => r.local);
  expect(local.slice(0, 4)).toEqual(['2027-01-04 16:00', '2027-01-11 16:00', '2027-01-18 10:00', '2027-01-25 16:00']);
  expect(p.runs[0]!.note).toContain('trading session MONDAY 09:30-16:00');
  expect(p.runs[2]).toMatchObject({ regular: false });
  expect(p.runs[2]!.note).toBeUndefined();
  // The holiday week: the regular time skipped, the slot itself added as a dated calendar.
  expect(p.spec.skip).toEqual([expect.objectContaining({ year: 2027, month: 1, dayOfMonth: 18, hour: 16, minute: 0 })]);
  expect(p.spec.calendars).toEqual([
    expect.objectContaining({ dayOfWeek: 'MONDAY', hour: 16, minute: 0 }),
    expect.objectContaining({ year: 2027, month: 1, dayOfMonth: 18, hour: 10, minute: 0 }),
  ]);
  expectSpecAgrees(p, from);
});

test("across a blackout: a freeze moves one week's run to its end, blocks the next week entirely, and the gate review names it", () => {
  const cal = xnys({
    drillSlot: { day: 'SATURDAY', at: '02:00' },
    blackouts: [
      { name: 'options expiry weekend', start: '2026-12-18T18:00', end: '2026-12-21T06:00' },
      { name: 'year-end change freeze', start: '2026-12-24T00:00', end: '2027-01-04T00:00' },
    ],
  });
  const from = ny('2026-12-01 00:00');
  const p = placeWeeklyDrill(cal, NEED, from, 60);
  expect(p.regular).toMatchObject({ day: 'SATURDAY', hour: 2, minute: 0 });
  const byWeek = p.runs.map((r) => r.local);
  expect(byWeek).toEqual(expect.arrayContaining(['2026-12-12 02:00', '2026-12-21 06:00', '2027-01-04 00:00', '2027-01-09 02:00']));
  // No run in the week of 2026-12-26: every start up to the next slot is inside the freeze.
  expect(byWeek.some((l) => l.startsWith('2026-12-26') || l.startsWith('2026-12-27') || l.startsWith('2026-12-28'))).toBe(false);
  expect(p.blockedWeeks).toEqual([
    {
      weekOf: '2026-12-26 02:00',
      slotMs: ny('2026-12-26 02:00'),
      blockedBy: [expect.stringContaining('blackout "year-end change freeze"')],
    },
  ]);
  const moved = p.runs.find((r) => r.local === '2026-12-21 06:00')!;
  expect(moved.note).toContain('blackout "options expiry weekend"');
  expectSpecAgrees(p, from);

  const review = reviewSlots(cal, NEED, ny('2026-12-24 12:00'), ny('2027-01-03 12:00'));
  expect(review.allowed).toEqual([]);
  expect(review.text).toMatch(/^every weekly drill slot since 2026-12-24 12:00 America\/New_York was blocked by the market calendar/);
  expect(review.text).toContain('week of 2026-12-26 02:00: blackout "year-end change freeze"');
  const partly = reviewSlots(cal, NEED, ny('2026-12-10 00:00'), ny('2027-01-03 12:00'));
  expect(partly.text).toContain('1 weekly slot(s) since');
  expect(partly.text).toContain('allowed slots at 2026-12-12 02:00, 2026-12-21 06:00 had no passing drill');
});

test("across daylight saving in the target's time zone: same wall time, UTC shifts; a skipped or repeated slot time is placed once", () => {
  // Sunday 02:30 does not exist on 2026-03-08 in New York: the run is at 03:30 that day.
  const spring = marketCalendarSchema.parse({ timezone: NY, drillSlot: { day: 'SUNDAY', at: '02:30' } });
  const from = ny('2026-02-25 00:00');
  const p = placeWeeklyDrill(spring, NEED, from, 35);
  expect(p.regular).toMatchObject({ day: 'SUNDAY', hour: 2, minute: 30 });
  expect(p.runs.map((r) => r.at)).toEqual([
    '2026-03-01T07:30:00.000Z', // EST
    '2026-03-08T07:30:00.000Z', // 03:30 EDT: 02:30 was skipped
    '2026-03-15T06:30:00.000Z', // EDT
    '2026-03-22T06:30:00.000Z',
    '2026-03-29T06:30:00.000Z',
  ]);
  expect(p.runs[1]).toMatchObject({ local: '2026-03-08 03:30', regular: false });
  expect(p.spec.skip).toEqual([]);
  expect(p.spec.calendars[1]).toMatchObject({ year: 2026, month: 3, dayOfMonth: 8, hour: 3, minute: 30 });
  expectSpecAgrees(p, from);

  // Sunday 01:30 happens twice on 2026-11-01: the server would fire both; the run goes to 02:00 EST once.
  const fall = marketCalendarSchema.parse({ timezone: NY, drillSlot: { day: 'SUNDAY', at: '01:30' } });
  const from2 = ny('2026-10-20 00:00');
  const q = placeWeeklyDrill(fall, NEED, from2, 20);
  expect(q.runs.map((r) => `${r.local} ${r.at}`)).toEqual([
    '2026-10-25 01:30 2026-10-25T05:30:00.000Z',
    '2026-11-01 02:00 2026-11-01T07:00:00.000Z',
    '2026-11-08 01:30 2026-11-08T06:30:00.000Z',
  ]);
  expect(q.spec.skip).toEqual([expect.objectContaining({ year: 2026, month: 11, dayOfMonth: 1, hour: 1, minute: 30 })]);
  expectSpecAgrees(q, from2);
  // Without the skip the server's matching would fire twice that morning.
  const naive = specMatchingTimes({ timezone: NY, calendars: [q.spec.calendars[0]!], skip: [] }, ny('2026-10-31 00:00'), ny('2026-11-02 00:00'));
  expect(naive.map((t) => new Date(t).toISOString())).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-01T06:30:00.000Z']);
});

test('a session across the DST change: Friday-evening runs after the close keep 16:00 wall time', () => {
  const cal = xnys({ drillSlot: { day: 'FRIDAY', at: '12:00' } });
  const from = ny('2026-10-26 00:00');
  const p = placeWeeklyDrill(cal, NEED, from, 20);
  expect(p.runs.map((r) => `${r.local} ${r.at}`)).toEqual([
    '2026-10-30 16:00 2026-10-30T20:00:00.000Z',
    '2026-11-06 16:00 2026-11-06T21:00:00.000Z',
    '2026-11-13 16:00 2026-11-13T21:00:00.000Z',
  ]);
  expect(p.spec.calendars).toHaveLength(1);
  expectSpecAgrees(p, from);
});

test('month-end blackout over a long horizon: the spec stays small and still agrees', () => {
  const cal = xnys({
    drillSlot: { day: 'SUNDAY', at: '03:00' },
    blackouts: [{ name: 'month-end close', monthEnd: { lastDays: 1, firstDays: 1 } }],
  });
  const from = ny('2026-06-01 00:00');
  const p = placeWeeklyDrill(cal, NEED, from, 370);
  expect(p.runs.length).toBeGreaterThan(50);
  expect(p.spec.calendars.length + p.spec.skip.length).toBeLessThan(60);
  for (const r of p.runs.filter((x) => !x.regular)) expect(r.note).toContain('month-end close');
  expectSpecAgrees(p, from);
});
