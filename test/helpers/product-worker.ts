/**
 * A worker with drill-runner's own workflows (the tests' bundle) and activities on a fresh task queue
 * of a test server: what most integration tests stand on.
 */
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities, type ActivityDeps } from '../../src/activities';
import type { PagingConfig } from '../../src/config';
import { uniqueId, workflowBundle } from './temporal';

/** Paging off: nothing is delivered anywhere. */
export const PAGING_OFF: PagingConfig = { enabled: false, minSeverity: 'critical', format: 'json', timeoutMs: 1000 };

export interface ProductWorker {
  taskQueue: string;
  worker: Worker;
  /** Shuts the worker down and waits for its run to end. */
  stop(): Promise<void>;
}

/** Creates and runs the worker; `deps` as `createActivities` takes them. */
export async function startProductWorker(env: TestWorkflowEnvironment, deps: ActivityDeps): Promise<ProductWorker> {
  const taskQueue = uniqueId('tq');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities(deps),
  });
  const done = worker.run();
  return {
    taskQueue,
    worker,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
