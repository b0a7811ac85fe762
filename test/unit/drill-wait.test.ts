/** The drill's long-poll waits, the pure part: when a health answer ends a serving wait, slice and inner-poll bounds. */
import {
  innerPollMs,
  MAX_WAIT_SLICE_MS,
  nextSliceMs,
  pollDelayMs,
  rollbackRestartDelayMs,
  servingReached,
  waitChaosRecoveryInputSchema,
} from '../../src/domain/drill-wait';

test('serving: a new boot (or no boot evidence, which the drill then fails on) ends a drill-truth wait; the same boot never does', () => {
  const pre = { bootId: 'b1', startedAt: '2026-12-01T10:00:00.000Z' };
  expect(servingReached('new-boot', pre, { healthy: true, bootId: 'b2' })).toBe(true);
  expect(servingReached('new-boot', pre, { healthy: true, bootId: 'b1' })).toBe(false);
  expect(servingReached('new-boot', { startedAt: pre.startedAt }, { healthy: true, startedAt: '2026-12-01T10:00:00Z' })).toBe(false);
  expect(servingReached('new-boot', { startedAt: pre.startedAt }, { healthy: true, startedAt: '2026-12-01T10:05:00Z' })).toBe(true);
  expect(servingReached('new-boot', pre, { healthy: true })).toBe(true);
  expect(servingReached('new-boot', pre, { healthy: false, bootId: 'b2' })).toBe(false);
});

test("serving: legacy counts any boot id but the preflight's; healthy counts any healthy answer", () => {
  expect(servingReached('legacy', { bootId: 'b1' }, { healthy: true, bootId: 'b1' })).toBe(false);
  expect(servingReached('legacy', { bootId: 'b1' }, { healthy: true })).toBe(true);
  expect(servingReached('healthy', { bootId: 'b1' }, { healthy: true, bootId: 'b1' })).toBe(true);
  expect(servingReached('healthy', {}, { healthy: false })).toBe(false);
});

test('slices: at most 30 minutes, at least 1 ms; inner poll between 20 and 250 ms whatever pollMs says', () => {
  expect(nextSliceMs(7 * 86400_000)).toBe(MAX_WAIT_SLICE_MS);
  expect(nextSliceMs(1234.4)).toBe(1234);
  expect(nextSliceMs(-50)).toBe(1);
  expect(innerPollMs(60_000)).toBe(250);
  expect(innerPollMs(100)).toBe(100);
  expect(innerPollMs(5)).toBe(20);
  // A 7-day wait in slices: far below Temporal's 10,000-event warning even at ~10 events per slice.
  expect(Math.ceil((7 * 86400_000) / MAX_WAIT_SLICE_MS) * 10).toBeLessThan(10_000);
});

test('poll delay: an eighth of the time waited, from 20 ms up to the inner poll; a 30-minute wait costs ~25 polls more than at 250 ms', () => {
  expect(pollDelayMs(500, 0)).toBe(20);
  expect(pollDelayMs(500, 400)).toBe(50);
  expect(pollDelayMs(500, 1000)).toBe(125);
  expect(pollDelayMs(500, 60_000)).toBe(250);
  expect(pollDelayMs(100, 60_000)).toBe(100);
  let polls = 0;
  for (let t = 0; t < 30 * 60_000; t += pollDelayMs(60_000, t)) polls++;
  expect(polls - (30 * 60_000) / 250).toBeLessThan(30);
});

test('inputs: a chaos-recovery wait names the bad field', () => {
  const r = waitChaosRecoveryInputSchema.safeParse({
    target: 'paper-1',
    scenario: 'nope',
    cursors: {},
    clearedMs: 1,
    sliceMs: 10,
    pollMs: 100,
    unhealthyMs: 0,
  });
  expect(r.success).toBe(false);
  expect(r.error!.issues.map((i) => i.path.join('.'))).toEqual(['scenario']);
});

test('the rollback restarts a draining target 5 s, 10 s, 20 s … apart, capped at 30 min (1 min before the patch)', () => {
  expect([1, 2, 3, 4, 5].map((n) => rollbackRestartDelayMs(n, true))).toEqual([5000, 10000, 20000, 40000, 80000]);
  expect(rollbackRestartDelayMs(20, true)).toBe(MAX_WAIT_SLICE_MS);
  expect(rollbackRestartDelayMs(5, false)).toBe(60_000);
  expect(rollbackRestartDelayMs(0, true)).toBe(5000);
});
