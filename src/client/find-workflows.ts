/**
 * Finding an incident's workflows by what they are — workflow type, `DrillRunId`, `DrillIncidentId`
 * search attributes — not by rebuilding an id: a timer started from the Web UI's form under any id is
 * found, and two candidates are reported, never guessed between. The workflows tag themselves (they
 * upsert the attributes on their first task), so this works whoever started them.
 *
 * Visibility is eventually consistent: a workflow started a moment ago (or one whose first task has
 * not run yet) may not be listed. The id drill-runner itself would give the workflow is therefore
 * also looked up directly.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { SA } from '../search-attributes';
import { workflowIds } from '../shared';

export interface FoundWorkflow {
  workflowId: string;
  /** The latest run (after continue-as-new, the one still going). */
  runId: string;
  status: string;
  startTime: string;
  closeTime?: string;
}

export class AmbiguousWorkflowError extends Error {
  constructor(
    readonly what: string,
    readonly matches: FoundWorkflow[],
  ) {
    super(
      `${matches.length} ${what} match: ${matches.map((m) => `${m.workflowId} (${m.status}, started ${m.startTime})`).join('; ')}. ` +
        'Pass --workflow-id to choose one (or end the one that should not exist).',
    );
    this.name = 'AmbiguousWorkflowError';
  }
}

/** A value for a visibility query string literal (our ids cannot hold quotes; escape anyway). */
function literal(v: string): string {
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export interface FindIncidentWorkflowsOptions {
  workflowType: 'incidentAckWorkflow' | 'incidentWorkflow';
  runId: string;
  incidentId: string;
  /** The id drill-runner gives such a workflow when it starts it (checked directly too). */
  canonicalId?: string;
  /** At most this many executions are read (a run id + incident id pair has few). */
  limit?: number;
}

/** Every workflow of that type for that incident, one entry per workflow id, running ones first. */
export async function findIncidentWorkflows(client: Client, o: FindIncidentWorkflowsOptions): Promise<FoundWorkflow[]> {
  const query = [
    `WorkflowType = ${literal(o.workflowType)}`,
    `${SA.runId.name} = ${literal(o.runId)}`,
    `${SA.incidentId.name} = ${literal(o.incidentId)}`,
  ].join(' AND ');
  const byId = new Map<string, FoundWorkflow>();
  const keep = (f: FoundWorkflow) => {
    const had = byId.get(f.workflowId);
    // One entry per workflow id: the running run, else the latest one.
    if (!had || (f.status === 'RUNNING' && had.status !== 'RUNNING') || (had.status !== 'RUNNING' && f.startTime > had.startTime)) byId.set(f.workflowId, f);
  };
  let seen = 0;
  for await (const wf of client.workflow.list({ query })) {
    keep({
      workflowId: wf.workflowId,
      runId: wf.runId,
      status: wf.status.name,
      startTime: wf.startTime.toISOString(),
      ...(wf.closeTime ? { closeTime: wf.closeTime.toISOString() } : {}),
    });
    if (++seen >= (o.limit ?? 200)) break;
  }
  if (o.canonicalId && !byId.has(o.canonicalId)) {
    try {
      const d = await client.workflow.getHandle(o.canonicalId).describe();
      if (d.type === o.workflowType) {
        keep({
          workflowId: d.workflowId,
          runId: d.runId,
          status: d.status.name,
          startTime: d.startTime.toISOString(),
          ...(d.closeTime ? { closeTime: d.closeTime.toISOString() } : {}),
        });
      }
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return [...byId.values()].sort((a, b) => (a.status === 'RUNNING' ? 0 : 1) - (b.status === 'RUNNING' ? 0 : 1) || b.startTime.localeCompare(a.startTime));
}

/**
 * The one workflow meant: the running one; with none running, the only closed one. Two running (or,
 * with none running, two closed) are an {@link AmbiguousWorkflowError}. None: undefined.
 */
export function pickOne(found: FoundWorkflow[], what: string): FoundWorkflow | undefined {
  const running = found.filter((f) => f.status === 'RUNNING');
  if (running.length === 1) return running[0];
  if (running.length > 1) throw new AmbiguousWorkflowError(what, running);
  if (found.length > 1) throw new AmbiguousWorkflowError(what, found);
  return found[0];
}

const KINDS = {
  incidentAckWorkflow: { what: 'ack timers', canonicalId: workflowIds.incidentAck },
  incidentWorkflow: { what: 'incident workflows', canonicalId: workflowIds.incident },
} as const;

/**
 * The incident's one workflow of that type ({@link pickOne} over {@link findIncidentWorkflows}, the
 * id drill-runner would give it looked up too): undefined when there is none, an
 * {@link AmbiguousWorkflowError} when two could be meant.
 */
export async function findIncidentWorkflow(
  client: Client,
  workflowType: FindIncidentWorkflowsOptions['workflowType'],
  runId: string,
  incidentId: string,
): Promise<FoundWorkflow | undefined> {
  const k = KINDS[workflowType];
  const found = await findIncidentWorkflows(client, { workflowType, runId, incidentId, canonicalId: k.canonicalId(runId, incidentId) });
  return pickOne(found, `${k.what} for incident ${incidentId} of run ${runId}`);
}
