/** v2 recovery steps (pure): the baseline, clean streaks and resets, batch sizing and pacing; halts domain helpers. */
import { haltReasonFor, holderKey, incidentHolder, isRegistryReason, parseHolderKey, registryCallKey } from '../../src/domain/halts';
import { cyclesPerBatch, initialProgress, pauseAfterBatch, reconciliationStep } from '../../src/domain/recovery';
import { initialSloState, type SloState } from '../../src/domain/slo-fold';
import { fitKey } from '../../src/domain/stable-hash';

const state = (orders: number, passes: number): SloState => {
  const s = initialSloState();
  return { ...s, order: { ...s.order, cycles: orders, passes }, position: { ...s.position, cycles: orders, passes: orders } };
};

test('reconciliation: a baseline first, then two clean cycles pass; a dirty one in between resets', () => {
  let p = initialProgress('reconciliation');
  const obs = (o: number, ok: number) => ({
    cursors: {},
    state: state(o, ok),
    lastOrder: { cycle: o, status: o === ok ? ('ok' as const) : ('mismatch' as const), mismatched_order_ids: o === ok ? [] : ['ord-1'] },
  });
  let s = reconciliationStep(p, obs(10, 8), 2);
  expect(s).toMatchObject({ verdict: 'baseline', passed: false, notable: true });
  expect(s.reason).toMatch(/latest order cycle 10 mismatch: ord-1/);
  p = s.progress;
  s = reconciliationStep(p, obs(11, 9), 2);
  expect(s).toMatchObject({ verdict: 'clean', passed: false, progress: { cleanStreak: 1 } });
  s = reconciliationStep(s.progress, obs(12, 9), 2);
  expect(s).toMatchObject({ verdict: 'dirty', progress: { cleanStreak: 0, dirtyResets: 1 } });
  s = reconciliationStep(s.progress, obs(12, 9), 2);
  expect(s).toMatchObject({ verdict: 'idle', notable: true });
  s = reconciliationStep(s.progress, obs(12, 9), 2);
  expect(s).toMatchObject({ verdict: 'idle', notable: false });
  s = reconciliationStep(s.progress, obs(13, 10), 2);
  s = reconciliationStep(s.progress, obs(14, 11), 2);
  expect(s).toMatchObject({ verdict: 'clean', passed: true, progress: { cleanStreak: 2, cycles: 7 } });
});

test('batches: cycles per batch bounded by the batch, the deadline and 1000; pacing never faster than a cycle', () => {
  expect(cyclesPerBatch(300, 30, 86400_000)).toBe(10);
  expect(cyclesPerBatch(300, 30, 45_000)).toBe(2);
  expect(cyclesPerBatch(10, 30, 86400_000)).toBe(1);
  expect(cyclesPerBatch(3600, 1, 86400_000)).toBe(1000);
  expect(pauseAfterBatch('batch', 300_000, 270_000, 30_000)).toBe(30_000);
  expect(pauseAfterBatch('batch', 300_000, 5, 30_000)).toBe(299_995);
  expect(pauseAfterBatch('progress', 300_000, 5, 30_000)).toBe(30_000);
  expect(pauseAfterBatch('passed', 300_000, 5, 30_000)).toBe(0);
});

test('holders: keys round-trip, one per (run, incident); the registry recognises only its own reason', () => {
  const h = incidentHolder('run-a', 'inc-1');
  expect(holderKey(h)).toBe('incident:run-a/inc-1');
  expect(parseHolderKey('incident:run-a/inc-1')).toEqual(h);
  expect(parseHolderKey('god:x')).toBeUndefined();
  expect(holderKey(incidentHolder('run-b', 'inc-1'))).not.toBe(holderKey(h));
  const reason = haltReasonFor([
    { kind: 'incident', id: 'run-a/inc-1', reason: 'x'.repeat(400), since: '' },
    { kind: 'drill', id: 'd-1', reason: 'weekly', since: '' },
  ]);
  expect(reason.length).toBeLessThanOrEqual(500);
  expect(isRegistryReason(reason)).toBe(true);
  expect(isRegistryReason('manual: risk desk')).toBe(false);
  expect(registryCallKey('paper-1', 'abcdef0123456789', 7, 'halt')).not.toBe(registryCallKey('paper-2', 'abcdef0123456789', 7, 'halt'));
});

test('fitKey keeps short keys and hashes long ones, still distinct', () => {
  expect(fitKey('short', 20)).toBe('short');
  const a = fitKey(`recovery.${'r'.repeat(128)}.${'i'.repeat(128)}.1`, 110);
  const b = fitKey(`recovery.${'r'.repeat(128)}.${'i'.repeat(128)}.2`, 110);
  expect(a.length).toBe(110);
  expect(a).not.toBe(b);
});
