/**
 * Activities registered by name before their code is loaded.
 *
 * `Worker.create` needs the activity functions up front, and then spends most of its time waiting
 * for the SDK's workflow thread to start (loading the SDK there and the workflow bundle). Loading the
 * activities' modules first (~70–80 ms: adapters, ws, domain code) kept the main thread busy before
 * that wait instead of during it. So the worker hands the SDK stand-ins by name
 * (src/activities/names.ts), loads the real activities while the thread starts, and provides them
 * before the worker runs: no activity task can arrive earlier (src/worker.ts, docs/decisions.md).
 */

type AnyActivity = (...args: never[]) => unknown;

export interface DeferredActivities<N extends string> {
  /** What the SDK registers: one function per name, calling the provided activity of that name. */
  activities: Record<N, (...args: unknown[]) => unknown>;
  /** The real activities; every name must be there (throws, naming the missing ones, otherwise). */
  provide(real: Record<N, AnyActivity>): void;
}

export function deferredActivities<N extends string>(names: readonly N[]): DeferredActivities<N> {
  let real: Record<N, AnyActivity> | undefined;
  const activities = {} as Record<N, (...args: unknown[]) => unknown>;
  for (const name of names) {
    activities[name] = (...args: unknown[]) => {
      if (!real) throw new Error(`activity ${name} called before the worker loaded its activities`);
      // As the SDK would call it, but with `this` the object the activities came in.
      return Reflect.apply(real[name] as (...a: unknown[]) => unknown, real, args);
    };
  }
  return {
    activities,
    provide(given) {
      const missing = names.filter((n) => typeof given[n] !== 'function');
      if (missing.length > 0) throw new Error(`activities missing from the loaded code: ${missing.join(', ')}`);
      real = given;
    },
  };
}
