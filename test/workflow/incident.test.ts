/**
 * incidentWorkflow on the time-skipping server at realistic durations, against a simulated target:
 * - an incident escalated for 3 days keeps entries halted through the target's halt registry (a manual
 *   release is halted again), its status query and updates answer, and no run's history gets near
 *   10,000 events (the incident's own history does not grow with time at all);
 * - two incidents of different classes: entries stay halted until both recovered (one resume);
 * - a reclassification while escalated recovers as the new class;
 * - an `incident_resolved` written elsewhere ends the incident without a second line; bad payloads on
 *   that signal are dropped.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { IncidentInput, IncidentResult } from '../../src/domain/incident';
import { workflowIds } from '../../src/shared';
import { forceResumeUpdate, haltRegistryStatusQuery, incidentResolvedSignal, incidentStatusQuery, reclassifyUpdate } from '../../src/workflows/definitions';
import { runChain, simulatedTarget, type SimulatedTarget } from '../helpers/simulated-target';
import { timeSkippingEnv, uniqueId, workflowBundle } from '../helpers/temporal';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnv();
});

afterAll(async () => {
  await env?.teardown();
});

async function withWorker<T>(sim: SimulatedTarget, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: uniqueId('tq'),
    workflowBundle: await workflowBundle(),
    activities: sim.activities,
  });
  return worker.runUntil(fn(worker.options.taskQueue));
}

function start(taskQueue: string, target: string, incidentId: string, over: Partial<IncidentInput> = {}) {
  return env.client.workflow.start('incidentWorkflow', {
    taskQueue,
    workflowId: workflowIds.incident('paper-1', incidentId),
    args: [
      { runId: 'paper-1', incidentId, target, severity: 'critical', cycleSeconds: 30, maxWaitSeconds: 1800, ackTimer: false, ...over } satisfies IncidentInput,
    ],
  });
}

test('escalated for 3 days: entries held (a manual release halted again), updates answer, every history stays small', async () => {
  const sim = simulatedTarget();
  const target = uniqueId('t');
  await withWorker(sim, async (taskQueue) => {
    const handle = await start(taskQueue, target, 'inc-esc');
    await env.sleep('29m');
    expect(await handle.query(incidentStatusQuery)).toMatchObject({
      phase: 'recovering',
      incidentClass: 'reconciliation',
      escalated: false,
      hold: { state: 'held', entriesHalted: true },
    });
    expect(sim.gw.halted).toBe(true);
    expect(sim.calls.page).toBe(0);

    await env.sleep('3m');
    expect(await handle.query(incidentStatusQuery)).toMatchObject({ phase: 'escalated', escalated: true });
    expect(sim.calls.page).toBe(1);

    // Two days later someone releases entries at the gateway: the registry halts them again.
    await env.sleep('2d');
    sim.manualRelease();
    await env.sleep('10m');
    expect(sim.gw.halted).toBe(true);
    const registry = env.client.workflow.getHandle(workflowIds.haltRegistry(target));
    const reg = await registry.query(haltRegistryStatusQuery);
    expect(reg).toMatchObject({ rehalts: 1, holders: [expect.objectContaining({ kind: 'incident', id: 'paper-1/inc-esc' })] });
    expect(reg.continuedAsNew).toBeGreaterThanOrEqual(1);

    await env.sleep('1d');
    const status = await handle.query(incidentStatusQuery);
    expect(status).toMatchObject({ phase: 'escalated', recoveryAttempt: 1 });
    const action = await handle.executeUpdate(forceResumeUpdate, { args: [{ reason: 'broker confirmed positions by phone', by: 'alice' }] });
    expect(action).toMatchObject({ action: 'forceResume', by: 'alice' });
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ resolution: 'forced', escalated: true, incidentClass: 'reconciliation' });
    expect(result.timeline.map((t) => t.step)).toEqual(expect.arrayContaining(['entries halted', 'entries resumed', 'incident_resolved written']));
    expect(sim.gw).toMatchObject({ halted: false, halts: 2, resumes: 1 });
    expect(sim.calls.page).toBe(1);
    expect(sim.calls.resolved).toEqual([
      expect.objectContaining({ incidentId: 'inc-esc', resolution: 'forced', detail: 'force resume by alice: broker confirmed positions by phone' }),
    ]);

    // The incident's own history does not grow while it waits; the registry's runs stay bounded.
    expect((await handle.describe()).historyLength).toBeLessThan(150);
    const lengths = await runChain(env.client, workflowIds.haltRegistry(target), await firstRunOf(workflowIds.haltRegistry(target)));
    expect(lengths.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...lengths)).toBeLessThan(3000);
    console.log(
      `3-day escalated incident: incident history ${(await handle.describe()).historyLength} events; halt registry runs ${lengths.join(', ')} events`,
    );
    await registry.terminate('test done').catch(() => undefined);
  });
});

/** The first run of a workflow id (continue-as-new chain): from the latest run's start event. */
async function firstRunOf(workflowId: string): Promise<string> {
  const h = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return h.events![0]!.workflowExecutionStartedEventAttributes!.firstExecutionRunId!;
}

test('two incidents of different classes on one target: entries stay halted until both recovered', async () => {
  const sim = simulatedTarget();
  sim.classes['inc-recon'] = 'reconciliation';
  sim.classes['inc-dq'] = 'data_quality';
  sim.health.dataQuality = 'clean';
  const target = uniqueId('t');
  await withWorker(sim, async (taskQueue) => {
    const recon = await start(taskQueue, target, 'inc-recon');
    const dq = await start(taskQueue, target, 'inc-dq');
    const dqResult: IncidentResult = await dq.result();
    expect(dqResult).toMatchObject({ resolution: 'recovered', incidentClass: 'data_quality' });
    expect(dqResult.timeline.find((t) => t.step === 'hold released; entries stay halted')?.detail).toMatch(/still held by incident:paper-1\/inc-recon/);
    expect(sim.gw).toMatchObject({ halted: true, resumes: 0 });
    await env.sleep('10m');
    expect(sim.gw.halted).toBe(true);
    sim.health.reconciliation = 'clean';
    const reconResult: IncidentResult = await recon.result();
    expect(reconResult).toMatchObject({ resolution: 'recovered', incidentClass: 'reconciliation' });
    expect(reconResult.timeline.some((t) => t.step === 'entries resumed')).toBe(true);
    expect(sim.gw).toMatchObject({ halted: false, halts: 1, resumes: 1 });
    await env.client.workflow
      .getHandle(workflowIds.haltRegistry(target))
      .terminate('test done')
      .catch(() => undefined);
  });
});

test('escalated reconciliation reclassified as data quality: the new recovery passes and entries resume', async () => {
  const sim = simulatedTarget();
  const target = uniqueId('t');
  await withWorker(sim, async (taskQueue) => {
    const handle = await start(taskQueue, target, 'inc-re');
    await env.sleep('32m');
    expect(await handle.query(incidentStatusQuery)).toMatchObject({ phase: 'escalated', incidentClass: 'reconciliation' });
    await handle.executeUpdate(reclassifyUpdate, {
      args: [{ incidentClass: 'data_quality', reason: 'recon is clean at the broker; bars are stale', by: 'bob' }],
    });
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ resolution: 'recovered', incidentClass: 'data_quality', escalated: true });
    expect(result.recoveries.map((r) => [r.incidentClass, r.outcome, r.attempt])).toEqual([
      ['reconciliation', 'escalated', 1],
      ['data_quality', 'recovered', 2],
    ]);
    expect(sim.calls.refresh).toBe(1);
    expect(sim.calls.page).toBe(1);
    expect(sim.gw).toMatchObject({ halted: false, resumes: 1 });
    await env.client.workflow
      .getHandle(workflowIds.haltRegistry(target))
      .terminate('test done')
      .catch(() => undefined);
  });
});

test('resolved elsewhere (the run file): ends without a second incident_resolved; bad payloads dropped', async () => {
  const sim = simulatedTarget();
  const target = uniqueId('t');
  await withWorker(sim, async (taskQueue) => {
    const handle = await start(taskQueue, target, 'inc-ext');
    await env.sleep('5m');
    for (const bad of [null, 7, 'x', { ts: 5 }, { ts: 'x'.repeat(500) }]) await handle.signal(incidentResolvedSignal, bad as never);
    expect((await handle.query(incidentStatusQuery)).phase).toBe('recovering');
    await handle.signal(incidentResolvedSignal, { ts: new Date().toISOString(), resolution: 'recovered', by: 'incident_ack.py' });
    const result: IncidentResult = await handle.result();
    expect(result.resolution).toBe('external');
    expect(sim.calls.resolved).toEqual([]);
    expect(sim.gw).toMatchObject({ halted: false, resumes: 1 });
    await env.client.workflow
      .getHandle(workflowIds.haltRegistry(target))
      .terminate('test done')
      .catch(() => undefined);
  });
});
