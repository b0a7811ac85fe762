/** `drill ack-timer start|status`: start an incident's ack timer, or show its live state. */
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import type { Config } from '../config';
import { connectClient, withTimeout } from '../client/connection';
import { incidentIdSchema, runIdSchema } from '../domain/ids';
import { incidentAckInputSchema, type IncidentAckInput, type IncidentAckStatus } from '../domain/incident-ack';
import { workflowIds } from '../shared';
import { incidentAckStatusQuery } from '../workflows/definitions';
import { checkFlag } from './flags';
import { CommandError } from './output';

type Deps = { config: Pick<Config, 'temporal' | 'taskQueue'> };

export async function ackTimerStart(input: IncidentAckInput, deps: Deps): Promise<{ workflowId: string; runId: string }> {
  const parsed = incidentAckInputSchema.safeParse(input);
  if (!parsed.success) throw new CommandError(`invalid ack timer: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const conn = await connectClient(deps.config);
  try {
    const workflowId = workflowIds.incidentAck(parsed.data.runId, parsed.data.incidentId);
    // One timer per incident: starting it again returns the running one.
    const handle = await conn.client.workflow.start('incidentAckWorkflow', {
      taskQueue: deps.config.taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      staticSummary: `Ack timer: incident ${parsed.data.incidentId} (run ${parsed.data.runId}, ${parsed.data.severity})`,
    });
    return { workflowId, runId: handle.firstExecutionRunId };
  } finally {
    await conn.close();
  }
}

export async function ackTimerStatus(runId: string, incidentId: string, deps: Deps): Promise<IncidentAckStatus> {
  checkFlag('--run-id', runIdSchema, runId);
  checkFlag('--incident-id', incidentIdSchema, incidentId);
  const conn = await connectClient(deps.config);
  try {
    return await withTimeout(conn.connection, 15000, `the ack timer of incident ${incidentId}`, () =>
      conn.client.workflow.getHandle(workflowIds.incidentAck(runId, incidentId)).query(incidentAckStatusQuery),
    );
  } finally {
    await conn.close();
  }
}
