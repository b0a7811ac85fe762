/**
 * The drill's long-poll waits (issues 11, 12) against a real sandbox: each returns at the first poll
 * that satisfies it, runs its slice polling at most every 250 ms when nothing happens, reads the
 * target's own records (its detection of a real injected fault), rejects bad input as non-retryable,
 * and stops at once when the activity is cancelled.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createDrillActivities } from '../../src/activities/drill';
import { createDrillWaitActivities } from '../../src/activities/drill-waits';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox';

let sbx: TestSandbox;
let waits: ReturnType<typeof createDrillWaitActivities>;
let drill: ReturnType<typeof createDrillActivities>;

beforeAll(async () => {
  sbx = await startTestSandbox();
  waits = createDrillWaitActivities(sbx.deps);
  drill = createDrillActivities(sbx.deps);
});
afterAll(async () => sbx?.cleanup());

test('serving: a healthy target ends the wait at the first poll; the same boot keeps it polling (≤ 250 ms apart) until the slice ends', async () => {
  const healthy = await waits.drillWaitServing({ target: sbx.targetName, sliceMs: 5000, pollMs: 1000, until: 'healthy' });
  expect(healthy).toMatchObject({ done: true, polls: 1, health: { healthy: true } });
  const boot = healthy.health.bootId!;
  expect(boot).toBeTruthy();
  const t0 = Date.now();
  const same = await waits.drillWaitServing({ target: sbx.targetName, sliceMs: 1500, pollMs: 60_000, until: 'new-boot', preflight: { bootId: boot } });
  expect(same.done).toBe(false);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
  // pollMs 60 s asked for, but the inner poll is at most 250 ms: at least 4 looks in 1.5 s.
  expect(same.polls).toBeGreaterThanOrEqual(4);
  const other = await waits.drillWaitServing({
    target: sbx.targetName,
    sliceMs: 1500,
    pollMs: 100,
    until: 'new-boot',
    preflight: { bootId: `${boot}-before` },
  });
  expect(other).toMatchObject({ done: true, polls: 1 });
});

test("detection: the wait returns the target's own detection of an injected fault, timed from its record", async () => {
  const mark = await drill.drillArtifactCursors({ target: sbx.targetName });
  const injectedAt = Date.now();
  await sbx.inject('order_drift');
  try {
    const r = await waits.drillWaitDetection({
      target: sbx.targetName,
      scenario: 'order_drift',
      cursors: mark.cursors,
      sinceMs: injectedAt,
      sliceMs: 60_000,
      pollMs: 100,
    });
    expect(r.done).toBe(true);
    expect(r.detection).toMatchObject({ detected: true });
    expect(Date.parse(r.detection!.detectedAt!)).toBeGreaterThanOrEqual(injectedAt - 1000);
  } finally {
    await sbx.clear('order_drift');
  }
});

test("one call (drill-chaos-one-call): keyed inject, the target's own detection and a keyed clear at once; a retried attempt changes nothing at the target", async () => {
  const mark = await drill.drillArtifactCursors({ target: sbx.targetName });
  const key = `t${Date.now().toString(36)}`;
  const input = {
    target: sbx.targetName,
    scenario: 'stale_data' as const,
    cursors: mark.cursors,
    sliceMs: 60_000,
    pollMs: 100,
    injectKey: `${key}.inject`,
    clearKey: `${key}.clear`,
  };
  const before = sbx.groundTruth().length;
  const r = await waits.drillInjectDetectClear(input);
  expect(r.done).toBe(true);
  expect(r.detection).toMatchObject({ detected: true });
  expect(r.cleared).toBeDefined();
  const truth = sbx
    .groundTruth()
    .slice(before)
    .filter((e) => e.fault === 'stale_data');
  const injected = truth.filter((e) => e.event === 'fault_injected');
  const cleared = truth.filter((e) => e.event === 'fault_cleared');
  expect(injected).toHaveLength(1);
  expect(cleared).toHaveLength(1);
  // Times are the target's own: the inject's as it recorded it, the detection after it, the clear after that.
  expect(Math.abs(Date.parse(r.injected.at) - Date.parse(injected[0]!.ts))).toBeLessThan(1000);
  expect(Date.parse(r.detection!.detectedAt!)).toBeGreaterThanOrEqual(Date.parse(r.injected.at));
  expect(Date.parse(r.cleared!.at)).toBeGreaterThanOrEqual(Date.parse(r.detection!.detectedAt!) - 1000);
  // A second attempt (a worker died before the result reached the server): same keys, same cursors.
  const again = await waits.drillInjectDetectClear(input);
  expect(again.injected.at).toBe(r.injected.at);
  expect(again.detection).toEqual(r.detection);
  expect(again.cleared!.at).toBe(r.cleared!.at);
  expect(again.injected.alreadyDone).toBe(true);
  expect(again.cleared!.alreadyDone).toBe(true);
  const after = sbx
    .groundTruth()
    .slice(before)
    .filter((e) => e.fault === 'stale_data');
  expect(after.filter((e) => e.event === 'fault_injected')).toHaveLength(1);
  expect(after.filter((e) => e.event === 'fault_cleared')).toHaveLength(1);
});

test('one call whose slice ends first: the fault stays in (no clear), the inject is returned for the wait that follows', async () => {
  const mark = await drill.drillArtifactCursors({ target: sbx.targetName });
  const key = `u${Date.now().toString(36)}`;
  const before = sbx.groundTruth().length;
  // A slice far shorter than the target's detection of an order drift.
  const r = await waits.drillInjectDetectClear({
    target: sbx.targetName,
    scenario: 'order_drift',
    cursors: mark.cursors,
    sliceMs: 1,
    pollMs: 100,
    injectKey: `${key}.inject`,
    clearKey: `${key}.clear`,
  });
  try {
    expect(r.done).toBe(false);
    expect(r.cleared).toBeUndefined();
    const truth = sbx
      .groundTruth()
      .slice(before)
      .filter((e) => e.fault === 'order_drift');
    expect(truth.map((e) => e.event)).toEqual(['fault_injected']);
  } finally {
    await sbx.clear('order_drift');
  }
});

test('bad input is a non-retryable InvalidInput naming the field', async () => {
  const err = await waits.drillWaitServing({ target: sbx.targetName, sliceMs: 0, pollMs: 100, until: 'healthy' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect((err as ApplicationFailure).type).toBe('InvalidInput');
  expect((err as ApplicationFailure).nonRetryable).toBe(true);
  expect((err as ApplicationFailure).message).toMatch(/sliceMs/);
});

test("a cancelled wait stops at once (the drill's deadline or the user), not at the end of its slice", async () => {
  const boot = (await waits.drillWaitServing({ target: sbx.targetName, sliceMs: 1000, pollMs: 100, until: 'healthy' })).health.bootId!;
  const env = new MockActivityEnvironment();
  const t0 = Date.now();
  // The same boot never counts as a restart: only the cancellation can end this 10-minute slice.
  const run = env
    .run(waits.drillWaitServing, { target: sbx.targetName, sliceMs: 600_000, pollMs: 200, until: 'new-boot' as const, preflight: { bootId: boot } })
    .catch((e: unknown) => e);
  setTimeout(() => env.cancel(), 1000);
  const err = await run;
  expect(err).toBeInstanceOf(CancelledFailure);
  expect(Date.now() - t0).toBeLessThan(5000);
});
