/** The promotion gate's overdue check names the market calendar's blocked slots (issue 15). */
import { drillCalendarReview } from '../../src/domain/drill-placement';
import { marketCalendarSchema } from '../../src/domain/market-calendar';
import { evaluatePromotion, resolvePromotionThresholds, type PromotionEvidence } from '../../src/domain/promotion';
import { buildEvidence, drillReport } from '../fixtures/promotion/evidence';

const cal = marketCalendarSchema.parse({
  name: 'XNYS',
  timezone: 'America/New_York',
  sessions: [{ days: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'], open: '09:30', close: '16:00' }],
  blackouts: [{ name: 'year-end change freeze', start: '2026-12-18T18:00', end: '2027-01-04T00:00' }],
  drillSlot: { day: 'SATURDAY', at: '02:00' },
});

function gate(finishedAt: string, now: string, withCalendar = true) {
  const e: PromotionEvidence = {
    ...buildEvidence({}, drillReport({ target: 'live-k8s', finishedAt, startedAt: finishedAt })),
    ...(withCalendar ? { drillCalendar: drillCalendarReview('live-k8s', cal, 75 * 60_000, Date.parse(finishedAt), Date.parse(now)) } : {}),
  };
  const v = evaluatePromotion(e, {
    experimentId: 'x',
    runId: 'paper-run-1',
    strict: true,
    thresholds: resolvePromotionThresholds(),
    now,
    target: 'live-k8s',
  });
  return v.criteria.find((c) => c.id === 'drill_age')!;
}

test('every slot blocked by a freeze: drill_age fails and says so, naming the blackout and the weeks', () => {
  const c = gate('2026-12-13T09:00:00.000Z', '2026-12-31T12:00:00.000Z');
  expect(c.verdict).toBe('fail');
  expect(c.evidence).toContain(
    'finished 2026-12-13T09:00:00.000Z; overdue — calendar XNYS for live-k8s: every weekly drill slot since 2026-12-13 04:00 America/New_York was blocked by the market calendar',
  );
  expect(c.evidence).toContain('week of 2026-12-19 02:00: blackout "year-end change freeze"');
  expect(c.evidence).toContain('week of 2026-12-26 02:00: blackout "year-end change freeze"');
});

test('allowed slots that had no passing drill are named as such', () => {
  const c = gate('2026-11-01T12:00:00.000Z', '2026-11-20T12:00:00.000Z');
  expect(c.verdict).toBe('fail');
  expect(c.evidence).toMatch(
    /the market calendar allowed 2 slot\(s\) since .*\(2026-11-07 02:00, 2026-11-14 02:00 America\/New_York\): the drill did not run or did not pass there/,
  );
});

test('a fresh drill: no reason; without a calendar: the plain age', () => {
  expect(gate('2026-12-12T08:00:00.000Z', '2026-12-14T12:00:00.000Z').evidence).toBe('finished 2026-12-12T08:00:00.000Z');
  expect(gate('2026-12-01T08:00:00.000Z', '2026-12-31T12:00:00.000Z', false).evidence).toBe('finished 2026-12-01T08:00:00.000Z');
});
