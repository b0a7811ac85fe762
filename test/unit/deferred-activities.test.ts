import { ACTIVITY_NAMES } from '../../src/activities/names';
import { createActivities } from '../../src/activities';
import { deferredActivities } from '../../src/deferred-activities';

test('the names list is what createActivities builds (the compile-time check, at run time too)', () => {
  const built = createActivities({ config: { paging: { enabled: false } as never, runsDir: '/nonexistent/runs' } });
  expect(Object.keys(built).sort()).toEqual([...ACTIVITY_NAMES].sort());
  expect(new Set(ACTIVITY_NAMES).size).toBe(ACTIVITY_NAMES.length);
});

test('stand-ins call the provided activity with its arguments and `this`, and return what it returns', async () => {
  const deferred = deferredActivities(['add', 'who'] as const);
  const real = {
    base: 40,
    async add(this: { base: number }, a: number, b: number) {
      return this.base + a + b;
    },
    who() {
      return 'real';
    },
  };
  deferred.provide(real);
  await expect(deferred.activities.add(1, 1)).resolves.toBe(42);
  expect(deferred.activities.who()).toBe('real');
});

test('a stand-in called before the activities are provided fails with a clear error', () => {
  const deferred = deferredActivities(['early'] as const);
  expect(() => deferred.activities.early()).toThrow('activity early called before the worker loaded its activities');
});

test('provided activities that lack a name are refused, naming what is missing', () => {
  const deferred = deferredActivities(['a', 'b', 'c'] as const);
  expect(() => deferred.provide({ a: () => 1 } as never)).toThrow('activities missing from the loaded code: b, c');
  expect(() => deferred.activities.a()).toThrow('called before the worker loaded its activities');
});
