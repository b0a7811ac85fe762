/**
 * weeklyDrillWorkflow's long bounds on the time-skipping server, at their real durations: a
 * 10-minute detection bound that runs out, and the maximum drill duration aborting a restart that
 * never completes (with the rollback still run). Activities are in-memory stand-ins of a target.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { createReportActivities } from '../../src/activities/reports';
import { emptyObserved, type WeeklyDrillInput, type WeeklyDrillResult } from '../../src/domain/drill';
import { drillReportSchema } from '../../src/domain/drill-report';
import { workflowIds } from '../../src/shared';
import { timeSkippingEnv, uniqueId, workflowBundle } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let resultsDir: string;

beforeAll(async () => {
  env = await timeSkippingEnv();
  await workflowBundle();
  resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-wf-'));
});

afterAll(async () => {
  await env?.teardown();
  fs.rmSync(resultsDir, { recursive: true, force: true });
});

/** A target that is healthy, never detects a fault, and (optionally) never comes back after a stop, or never completes one. */
function fakeTarget(o: { comesBack: boolean; stopHangs?: boolean; stillDraining?: boolean }) {
  const calls: string[] = [];
  let up = true;
  const now = () => new Date().toISOString();
  return {
    calls,
    activities: {
      ...createReportActivities(resultsDir),
      // No market calendar for this target (issue 15's preflight check).
      async drillCalendarCheck() {
        return { hasCalendar: false, allowed: true, checkedAt: now() };
      },
      async drillPreflight() {
        calls.push('preflight');
        return {
          checkedAt: now(),
          mode: 'paper',
          runId: 'fake-run',
          healthy: true,
          healthDetail: 'ok',
          bootId: 'b1',
          entriesHalted: false,
          haltReason: null,
          openCriticalIncidents: [],
          activeFaults: [],
          lastSave: null,
          brokerHealthy: true,
          cursors: {},
        };
      },
      async drillArtifactCursors() {
        return { at: now(), cursors: {} };
      },
      async drillObserve() {
        return { checkedAt: now(), cursors: {}, events: emptyObserved(), more: false };
      },
      async chaosInject(i: { fault: string }) {
        calls.push(`inject:${i.fault}`);
        return { at: now(), changed: true, active: [i.fault] };
      },
      async chaosClear(i: { fault: string }) {
        calls.push(`clear:${i.fault}`);
        return { at: now(), changed: true, active: [] };
      },
      // Chaos through the contract and the drill's maintenance window (issue 9): faults over HTTP, no incidents.
      async chaosCapabilities(i: { scenarios: string[] }) {
        return { adapter: 'http', supported: i.scenarios, unsupported: [] };
      },
      async drillMaintenanceWindow() {
        return { ts: now(), written: true, runId: 'fake-run' };
      },
      async drillIncidentsSince() {
        return { checkedAt: now(), opens: [], resolved: [] };
      },
      async drillResolveIncidents() {
        return { resolved: [] };
      },
      async gatewayHalt() {
        calls.push('halt');
        return { checkedAt: now(), haltReason: 'drill', tradingHaltedUntil: null, entriesHalted: true, stats: {}, changed: true };
      },
      async gatewayResume() {
        calls.push('resume');
        return { checkedAt: now(), haltReason: null, tradingHaltedUntil: null, entriesHalted: false, stats: {}, changed: true };
      },
      async processStop(i: { stopSeconds?: number }) {
        calls.push('stop');
        if (o.stopHangs)
          throw ApplicationFailure.nonRetryable(`fake: stop did not complete: pid 42 still running (bound ${i.stopSeconds} s)`, 'ProcessStopIncomplete');
        up = false;
        return { adapter: 'sandbox', alreadyDone: false, stopRequestedAt: now(), stoppedAt: now(), wasRunning: true };
      },
      async processStart(i: { idempotencyKey: string }) {
        calls.push(`start:${i.idempotencyKey.split('.').pop()}`);
        if (o.comesBack) up = true;
        return { adapter: 'sandbox', alreadyDone: false, startRequestedAt: now(), startReturnedAt: now(), alreadyRunning: o.stillDraining === true };
      },
      async processHealth() {
        return { adapter: 'sandbox', healthy: up, checkedAt: now(), detail: up ? 'ok' : 'unreachable', bootId: 'b2' };
      },
      // The drill's long-poll waits (bounded histories): one look per call; the workflow pauses pollMs between calls.
      async drillWaitServing() {
        return { done: up, health: { adapter: 'sandbox', healthy: up, checkedAt: now(), detail: up ? 'ok' : 'unreachable', bootId: 'b2' }, polls: 1 };
      },
      async drillWaitRecoveryEvidence() {
        return { done: false, freshReconciliations: 0, polls: 1 };
      },
      async drillWaitDetection() {
        return { done: false, polls: 1 };
      },
      // Since drill-chaos-one-call: the inject and the first detection slice in one call (the fake never detects).
      async drillInjectDetectClear(i: { scenario: string }) {
        calls.push(`inject:${i.scenario}`);
        return { done: false, polls: 1, injected: { at: now(), changed: true, active: [i.scenario] } };
      },
      async drillWaitChaosRecovery() {
        return { done: false, unhealthyStreakMs: 0, polls: 1 };
      },
      async runtimeStateLastSave() {
        return {
          exists: true,
          checkedAt: now(),
          savedAt: now(),
          ageSeconds: 0,
          seq: 1,
          digest: `sha256:${'0'.repeat(64)}`,
          computedDigest: `sha256:${'0'.repeat(64)}`,
          digestValid: true,
        };
      },
      async runtimeStateVerifyRestore() {
        return { checkedAt: now(), restored: true, restoredDigest: null, restoredSeq: 1, restoreError: null, matches: true, reason: 'ok' };
      },
      async appendDrillAudit() {
        return { appended: true, hash: 'x' };
      },
      async pageEscalation(i: { dedupKey: string }) {
        calls.push('page');
        return { outcome: 'disabled', dedupKey: i.dedupKey };
      },
    },
  };
}

/**
 * Drills here run without their sign-off (`audit.signOff: false`; its own time-skipping test is
 * test/workflow/drill-signoff.test.ts): on this server, a drill's abandoned sign-off child left behind
 * by one test stops the clock from skipping in the next (seen: the next drill's 30-minute timer never
 * fired, whether the sign-off was terminated or signed).
 */
const NO_SIGN_OFF = { audit: { signOff: false } } as const;

async function runDrill(input: Partial<WeeklyDrillInput>, comesBack: boolean, stopHangs = false): Promise<{ result: WeeklyDrillResult; calls: string[] }> {
  const fake = fakeTarget({ comesBack, stopHangs });
  const taskQueue = uniqueId('tq');
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: fake.activities });
  const drillId = uniqueId('d');
  const result = await worker.runUntil(async () => {
    return env.client.workflow.execute('weeklyDrillWorkflow', {
      taskQueue,
      workflowId: uniqueId('drill-wf'),
      args: [{ target: 'fake', drillId, pollMs: 30_000, ...NO_SIGN_OFF, ...input }],
    });
  });
  return { result: result as WeeklyDrillResult, calls: fake.calls };
}

test('a 10-minute detection bound runs out: the chaos step fails naming the scenario; nothing is stopped; the fault is cleared', async () => {
  const t0 = await env.currentTimeMs();
  const { result, calls } = await runDrill({ scenarios: ['corrupt_bars'], detectionSeconds: 600 }, true);
  expect(result.result).toBe('fail');
  expect(result.failures).toContain('chaos scenario corrupt_bars not detected within 600 s');
  expect(calls).toEqual(['preflight', 'inject:corrupt_bars', 'clear:corrupt_bars', 'clear:all', 'page']);
  expect((await env.currentTimeMs()) - t0).toBeGreaterThanOrEqual(600_000);
  const report = drillReportSchema.parse(JSON.parse(fs.readFileSync(result.reportPath!, 'utf8')));
  expect(report.chaos[0]).toMatchObject({ scenario: 'corrupt_bars', detected: false });
});

test('the maximum drill duration aborts a restart that never completes; the rollback still runs', async () => {
  const t0 = await env.currentTimeMs();
  const { result, calls } = await runDrill({ scenarios: [], maxDrillSeconds: 1800, restartSeconds: 7200 }, false);
  expect(result.result).toBe('aborted');
  expect(result.abortReason).toMatch(/maximum drill duration 1800 s reached in step restart/);
  expect((await env.currentTimeMs()) - t0).toBeGreaterThanOrEqual(1_800_000);
  // The abort came from the 30-minute bound, not from the 2-hour restart bound.
  const report = drillReportSchema.parse(JSON.parse(fs.readFileSync(result.reportPath!, 'utf8')));
  const drillSpan = Date.parse(report.steps.find((s) => s.name === 'restart')!.finishedAt!) - Date.parse(report.startedAt);
  expect(drillSpan).toBeGreaterThanOrEqual(1_800_000);
  expect(drillSpan).toBeLessThan(1_800_000 + 60_000);
  expect(report.result).toBe('aborted');
  // Rollback: the target was down, so it was started again (its own key), then the pages.
  expect(calls.slice(0, 4)).toEqual(['preflight', 'halt', 'stop', 'start:start']);
  expect(calls).toContain('start:rollback-start');
  expect(calls.at(-1)).toBe('page');
});

test('bounded history: a 30-minute restart wait polled every 20 ms, then a 30-minute rollback wait, stays far below 10,000 events', async () => {
  const fake = fakeTarget({ comesBack: false });
  const taskQueue = uniqueId('tq');
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: fake.activities });
  const drillId = uniqueId('d');
  const handle = await env.client.workflow.start('weeklyDrillWorkflow', {
    taskQueue,
    workflowId: uniqueId('drill-wf'),
    args: [{ target: 'fake', drillId, scenarios: [], restartSeconds: 1800, maxDrillSeconds: 7200, pollMs: 20, ...NO_SIGN_OFF } satisfies WeeklyDrillInput],
  });
  const t0 = await env.currentTimeMs();
  const result = (await worker.runUntil(handle.result())) as WeeklyDrillResult;
  expect(result.result).toBe('fail');
  expect(result.failures).toContain('target not serving within 1800 s of the restart');
  // Both waits ran their full 30 minutes of (skipped) time.
  expect((await env.currentTimeMs()) - t0).toBeGreaterThanOrEqual(3_600_000);
  expect(fake.calls).toContain('start:rollback-start');
  // One activity per waited slice: polling every 20 ms through workflow timers would have been ~90,000 polls per wait.
  const events = (await handle.fetchHistory()).events!;
  expect(events.length).toBeLessThan(300);
});

test('a stop that does not complete within stopSeconds fails the drill with that cause; the rollback still runs', async () => {
  const { result, calls } = await runDrill({ scenarios: [], stopSeconds: 900 }, true, true);
  expect(result.result).toBe('fail');
  expect(result.failures[0]).toBe('stop did not complete: pid 42 still running (bound 900 s)');
  const report = drillReportSchema.parse(JSON.parse(fs.readFileSync(result.reportPath!, 'utf8')));
  expect(report.steps.find((s) => s.name === 'stop')).toMatchObject({ status: 'failed' });
  expect(report.steps.some((s) => s.name === 'restart')).toBe(false);
  expect(calls.slice(0, 3)).toEqual(['preflight', 'halt', 'stop']);
  // The rollback: the fake still answers healthy, so no start; faults cleared and entries resumed.
  expect(calls).toEqual(expect.arrayContaining(['clear:all', 'resume', 'page']));
  expect(report.rollback.join('\n')).toMatch(/resume entries: resumed/);
});

test('one drill per target across a 30-minute drill: a second one, 10 minutes in, is refused naming it without calling the target; the lock ends with the first', async () => {
  const fake = fakeTarget({ comesBack: false });
  const taskQueue = uniqueId('tq');
  const target = uniqueId('lock');
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: fake.activities });
  await worker.runUntil(async () => {
    const firstId = uniqueId('first');
    const first = await env.client.workflow.start('weeklyDrillWorkflow', {
      taskQueue,
      workflowId: workflowIds.drill(target, firstId),
      args: [{ target, drillId: firstId, scenarios: [], maxDrillSeconds: 1800, restartSeconds: 7200, pollMs: 30_000, ...NO_SIGN_OFF }],
    });
    await env.sleep('10 minutes');
    const second = (await env.client.workflow.execute('weeklyDrillWorkflow', {
      taskQueue,
      workflowId: uniqueId('second'),
      args: [{ target, drillId: uniqueId('second'), scenarios: [], pollMs: 30_000 }],
    })) as WeeklyDrillResult;
    expect(second.result).toBe('error');
    expect(second.failures).toEqual([expect.stringContaining(`another drill is running on target ${target}: drill ${firstId} (workflow ${first.workflowId}`)]);
    // Refused before the target: one preflight (the first drill's), no second halt or stop, no page.
    expect(fake.calls.filter((c) => c === 'preflight')).toHaveLength(1);
    expect(fake.calls.filter((c) => c === 'stop' || c === 'halt')).toEqual(['halt', 'stop']);
    expect(fake.calls).not.toContain('page');
    const lock = env.client.workflow.getHandle(workflowIds.drillLock(target));
    expect((await lock.describe()).status.name).toBe('RUNNING');
    const r = (await first.result()) as WeeklyDrillResult;
    expect(r.result).toBe('aborted');
    expect((await lock.describe()).status.name).toBe('COMPLETED');
    const history = await lock.fetchHistory();
    expect(history.events!.length).toBeLessThan(30);
  });
});

test('a target that keeps draining for 3 days: the rollback starts it again with back-off up to 30 min, and the history stays bounded', async () => {
  const fake = fakeTarget({ comesBack: false, stillDraining: true });
  const taskQueue = uniqueId('tq');
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: fake.activities });
  const handle = await env.client.workflow.start('weeklyDrillWorkflow', {
    taskQueue,
    workflowId: uniqueId('drill-wf'),
    args: [
      {
        target: 'fake',
        drillId: uniqueId('d'),
        scenarios: [],
        restartSeconds: 3 * 86400,
        maxDrillSeconds: 3600,
        pollMs: 1000,
        ...NO_SIGN_OFF,
      } satisfies WeeklyDrillInput,
    ],
  });
  const result = (await worker.runUntil(handle.result())) as WeeklyDrillResult;
  expect(result.result).not.toBe('pass');
  // The rollback's starts: its first (`rollback-start`), then `rollback-start.<n>` (the fake logs the key's last part).
  const rollbackStarts = fake.calls.filter((c) => c === 'start:rollback-start' || /^start:\d+$/.test(c)).length;
  // A one-minute cap would have been ~4,300 starts over 3 days; a 30-minute cap is ~150.
  expect(rollbackStarts).toBeGreaterThan(100);
  expect(rollbackStarts).toBeLessThan(300);
  expect((await handle.fetchHistory()).events!.length).toBeLessThan(3000);
});
