/**
 * recoveryWorkflow on the time-skipping server at realistic durations (30-second cycles, 5-minute
 * batches of cycles in one heartbeating activity): a 30-minute maximum wait escalates with one page;
 * a reconciliation that turns clean after 20 minutes recovers; a 7-day wait continues as new and each
 * run's history stays far below 10,000 events, the status query answering across continue-as-new.
 * The target is simulated (`simulatedTarget`), its cycles decided by the real pure steps.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { RecoveryInput, RecoveryResult } from '../../src/domain/recovery';
import { recoveryStatusQuery } from '../../src/workflows/definitions';
import { runChain, simulatedTarget } from '../helpers/simulated-target';
import { timeSkippingEnv, uniqueId, workflowBundle } from '../helpers/temporal';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnv();
});

afterAll(async () => {
  await env?.teardown();
});

const input = (over: Partial<RecoveryInput> = {}): RecoveryInput => ({
  runId: 'paper-1',
  incidentId: 'inc-1',
  target: 'sandbox',
  incidentClass: 'reconciliation',
  openedAt: new Date().toISOString(),
  cycleSeconds: 30,
  maxWaitSeconds: 1800,
  ...over,
});

test('30-minute maximum wait, still dirty: escalates with one page, never touching the kill switch', async () => {
  const sim = simulatedTarget();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: uniqueId('tq'),
    workflowBundle: await workflowBundle(),
    activities: sim.activities,
  });
  const result: RecoveryResult = await worker.runUntil(
    env.client.workflow.execute('recoveryWorkflow', { taskQueue: worker.options.taskQueue, workflowId: uniqueId('recovery'), args: [input()] }),
  );
  expect(result.outcome).toBe('escalated');
  expect(result.escalation).toMatchObject({ pageOutcome: 'delivered', dedupKey: 'recovery~paper-1~inc-1~1' });
  expect(sim.calls.page).toBe(1);
  // One simulated cycle per 30 s over 30 minutes, in a handful of activity batches.
  expect(sim.calls.cycles).toBeGreaterThanOrEqual(55);
  expect(sim.calls.cycles).toBeLessThanOrEqual(63);
  expect(sim.calls.batches).toBeLessThanOrEqual(10);
  expect(sim.gw.haltCalls).toBe(0);
});

test('clean after 20 minutes: two consecutive clean cycles recover before the deadline', async () => {
  const sim = simulatedTarget();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: uniqueId('tq'),
    workflowBundle: await workflowBundle(),
    activities: sim.activities,
  });
  const result: RecoveryResult = await worker.runUntil(async () => {
    const h = await env.client.workflow.start('recoveryWorkflow', { taskQueue: worker.options.taskQueue, workflowId: uniqueId('recovery'), args: [input()] });
    await env.sleep('20m');
    expect(await h.query(recoveryStatusQuery)).toMatchObject({ phase: 'reconciliation-cycles', cleanStreak: 0 });
    sim.health.reconciliation = 'clean';
    return h.result();
  });
  expect(result.outcome).toBe('recovered');
  expect(sim.calls.page).toBe(0);
  expect(sim.calls.cycles).toBeGreaterThanOrEqual(40);
  expect(sim.calls.cycles).toBeLessThanOrEqual(46);
  expect(result.timeline.map((t) => t.step)).toEqual(expect.arrayContaining(['cycle 2: dirty', 'recovery criteria passed']));
});

test('a 7-day wait: continue-as-new keeps every run far below 10,000 events; status answers across it', async () => {
  const sim = simulatedTarget();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: uniqueId('tq'),
    workflowBundle: await workflowBundle(),
    activities: sim.activities,
  });
  const workflowId = uniqueId('recovery');
  const { result, firstRunId } = await worker.runUntil(async () => {
    const h = await env.client.workflow.start('recoveryWorkflow', {
      taskQueue: worker.options.taskQueue,
      workflowId,
      args: [input({ maxWaitSeconds: 7 * 86400, batchSeconds: 3600, batchesPerRun: 24 })],
    });
    await env.sleep('3d');
    const mid = await h.query(recoveryStatusQuery);
    expect(mid.continuedAsNew).toBeGreaterThanOrEqual(2);
    expect(mid.phase).toBe('reconciliation-cycles');
    // 3 days of 30-second cycles, counted through every run.
    expect(mid.cycles).toBeGreaterThan(8000);
    expect(Date.parse(mid.deadline) - Date.now()).toBeGreaterThan(3 * 86400 * 1000);
    return { result: (await h.result()) as RecoveryResult, firstRunId: h.firstExecutionRunId };
  });
  expect(result.outcome).toBe('escalated');
  expect(sim.calls.page).toBe(1);
  expect(result.cycles).toBeGreaterThan(20000);
  const lengths = await runChain(env.client, workflowId, firstRunId);
  expect(lengths.length).toBeGreaterThanOrEqual(7);
  expect(Math.max(...lengths)).toBeLessThan(1000);
  console.log(`7-day recovery wait (1-hour batches, 24 a run): runs of ${lengths.join(', ')} events`);
});

test('defaults (30 s cycles, 5-minute batches, 100 batches a run) over a day: bounded runs', async () => {
  const sim = simulatedTarget();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: uniqueId('tq'),
    workflowBundle: await workflowBundle(),
    activities: sim.activities,
  });
  const workflowId = uniqueId('recovery');
  const { result, firstRunId } = await worker.runUntil(async () => {
    const h = await env.client.workflow.start('recoveryWorkflow', {
      taskQueue: worker.options.taskQueue,
      workflowId,
      args: [input({ maxWaitSeconds: 86400 })],
    });
    return { result: (await h.result()) as RecoveryResult, firstRunId: h.firstExecutionRunId };
  });
  expect(result.outcome).toBe('escalated');
  const lengths = await runChain(env.client, workflowId, firstRunId);
  expect(lengths.length).toBeGreaterThanOrEqual(3);
  expect(Math.max(...lengths)).toBeLessThan(1500);
  console.log(`1-day recovery wait at the defaults: runs of ${lengths.join(', ')} events`);
  // 2880 cycles of 30 s in 288 five-minute batches.
  expect(sim.calls.cycles).toBeGreaterThanOrEqual(2870);
  expect(sim.calls.batches).toBeLessThanOrEqual(300);
});
