/**
 * Bounded histories for the workflow-side halt API (issue 11): a holder whose registry never answers
 * (wedged, or its workers gone) keeps asking with back-off, not every 30 s forever. On its own
 * time-skipping server: skipping 3 days must not also run other tests' idle registries.
 */
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { workflowIds } from '../../src/shared';
import { timeSkippingEnv, uniqueId } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, bundle] = await Promise.all([
    timeSkippingEnv(),
    bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '../fixtures/workflows/halt-callers.ts'), logger: new DefaultLogger('WARN') }),
  ]);
});

afterAll(async () => {
  await env?.teardown();
});

test('a registry that never answers for 3 days: the holder asks again with back-off (30 s … 30 min), its history stays far below 10,000 events, and it is still waiting', async () => {
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: uniqueId('tq'), workflowBundle: bundle, activities: {} });
  const taskQueue = worker.options.taskQueue;
  await worker.runUntil(async () => {
    const target = uniqueId('t');
    const silent = await env.client.workflow.start('silentRegistryWorkflow', { taskQueue, workflowId: workflowIds.haltRegistry(target) });
    const holder = await env.client.workflow.start('holderWorkflow', {
      taskQueue,
      workflowId: uniqueId('holder-silent'),
      args: [{ target, holder: { kind: 'incident', id: 'run/inc-silent' }, reason: 'incident inc-silent' }],
    });
    await env.sleep('3 days');
    expect((await holder.describe()).status.name).toBe('RUNNING');
    const events = (await holder.fetchHistory()).events!;
    const asked = events.filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes).length;
    // A fixed 30 s resend would have asked 8,640 times (~50,000 events, past Temporal's limit).
    expect(asked).toBeGreaterThan(100);
    expect(asked).toBeLessThan(200);
    expect(events.length).toBeLessThan(2000);
    await holder.terminate('test done');
    await silent.terminate('test done');
  });
});
