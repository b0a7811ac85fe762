/**
 * `drill ack-timer start|status|resolve`: start an incident's ack timer, show its live state, or tell
 * it the incident is resolved. Status and resolve find the timer by its search attributes (run id +
 * incident id), so one started from the Web UI under any workflow id is found too.
 */
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import type { Config } from '../config';
import { connectClient, withTimeout, type ConnectedClient } from '../client/connection';
import { AmbiguousWorkflowError, findIncidentWorkflow } from '../client/find-workflows';
import { incidentIdSchema, runIdSchema } from '../domain/ids';
import { incidentAckInputSchema, openedAtProblem, resolveSchema, type IncidentAckInput, type IncidentAckStatus } from '../domain/incident-ack';
import { workflowIds } from '../shared';
import { incidentAckStatusQuery, resolveIncidentSignal } from '../workflows/definitions';
import { checkFlag } from './flags';
import { CommandError } from './output';
import { describeIssues } from '../domain/validation-kit';
import type { incidentAckWorkflow } from '../workflows';
import { startDetails } from '../client/start-details';

type Deps = { config: Pick<Config, 'temporal' | 'taskQueue'>; now?: () => number };

const issues = (e: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> }) => describeIssues(e, { root: '' });

export async function ackTimerStart(input: IncidentAckInput, deps: Deps): Promise<{ workflowId: string; runId: string }> {
  const parsed = incidentAckInputSchema.safeParse(input);
  if (!parsed.success) throw new CommandError(`invalid ack timer: ${issues(parsed.error)}`);
  if (parsed.data.openedAt) {
    const problem = openedAtProblem(Date.parse(parsed.data.openedAt), (deps.now ?? Date.now)());
    if (problem) throw new CommandError(`invalid ack timer: ${problem}`);
  }
  const conn = await connectClient(deps.config);
  try {
    const workflowId = workflowIds.incidentAck(parsed.data.runId, parsed.data.incidentId);
    // One timer per incident: starting it again returns the running one.
    const handle = await conn.client.workflow.start<typeof incidentAckWorkflow>('incidentAckWorkflow', {
      taskQueue: deps.config.taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      staticSummary: `Ack timer: incident ${parsed.data.incidentId} (run ${parsed.data.runId}, ${parsed.data.severity})`,
      staticDetails: startDetails('drill ack-timer start', [
        ['run id', parsed.data.runId],
        ['incident id', parsed.data.incidentId],
        ['severity', parsed.data.severity],
      ]),
    });
    return { workflowId, runId: handle.firstExecutionRunId };
  } finally {
    await conn.close();
  }
}

export interface TimerRef {
  runId: string;
  incidentId: string;
  /** Skip the search: this workflow (e.g. when two timers match). */
  workflowId?: string;
}

function checkRef(o: TimerRef): void {
  checkFlag('--run-id', runIdSchema, o.runId);
  checkFlag('--incident-id', incidentIdSchema, o.incidentId);
}

/** The timer's workflow id, found by search attributes (exit 1 when none, 2 when several). */
async function locate(conn: ConnectedClient, o: TimerRef): Promise<string> {
  if (o.workflowId) return o.workflowId;
  try {
    const one = await withTimeout(conn.connection, 10000, 'the Temporal server', () =>
      findIncidentWorkflow(conn.client, 'incidentAckWorkflow', o.runId, o.incidentId),
    );
    if (!one)
      throw new CommandError(
        `no ack timer found for incident ${o.incidentId} of run ${o.runId} (workflow type incidentAckWorkflow, DrillRunId and DrillIncidentId)`,
        1,
      );
    return one.workflowId;
  } catch (err) {
    if (err instanceof AmbiguousWorkflowError) throw new CommandError(err.message, 2);
    throw err;
  }
}

export async function ackTimerStatus(o: TimerRef, deps: Deps): Promise<IncidentAckStatus & { workflowId: string }> {
  checkRef(o);
  const conn = await connectClient(deps.config);
  try {
    const workflowId = await locate(conn, o);
    const status = await withTimeout(conn.connection, 15000, `ack timer ${workflowId}`, () =>
      conn.client.workflow.getHandle(workflowId).query(incidentAckStatusQuery),
    );
    return { workflowId, ...status };
  } finally {
    await conn.close();
  }
}

/** Tells the timer the incident is resolved (what incidentWorkflow does when it resolves). */
export async function ackTimerResolve(o: TimerRef & { resolution?: string; by?: string }, deps: Deps): Promise<{ workflowId: string }> {
  checkRef(o);
  const req = resolveSchema.safeParse({ ...(o.resolution ? { resolution: o.resolution } : {}), ...(o.by ? { by: o.by } : {}) });
  if (!req.success) throw new CommandError(`--resolution/--by: ${issues(req.error)}`);
  const conn = await connectClient(deps.config);
  try {
    const workflowId = await locate(conn, o);
    await conn.client.workflow.getHandle(workflowId).signal(resolveIncidentSignal, req.data);
    return { workflowId };
  } finally {
    await conn.close();
  }
}
