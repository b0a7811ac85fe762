/** `drill incident list|status`: incidents of a run (visibility) and one incident's live status. */
import type { Config } from '../config';
import { connectClient, withTimeout } from '../client/connection';
import { AmbiguousWorkflowError, findIncidentWorkflow } from '../client/find-workflows';
import { incidentIdSchema, runIdSchema } from '../domain/ids';
import { type IncidentStatus } from '../domain/incident';
import { workflowIds } from '../shared';
import { incidentStatusQuery } from '../workflows/definitions';
import { CommandError } from './output';

type Deps = { config: Pick<Config, 'temporal'> };

export interface IncidentListEntry {
  workflowId: string;
  status: string;
  runId: string | null;
  incidentId: string | null;
  incidentClass: string | null;
  state: string | null;
  startTime: string;
  closeTime: string | null;
}

function check(what: string, schema: typeof runIdSchema, v: string | undefined): void {
  if (v === undefined) return;
  const r = schema.safeParse(v);
  if (!r.success) throw new CommandError(`${what}: ${r.error.issues[0]?.message}`);
}

const kw = (v: unknown): string | null => (Array.isArray(v) ? ((v[0] as string) ?? null) : typeof v === 'string' ? v : null);

export async function incidentList(o: { runId?: string; open?: boolean; limit?: number }, deps: Deps): Promise<IncidentListEntry[]> {
  check('--run-id', runIdSchema, o.runId);
  const query = [
    `WorkflowType = 'incidentWorkflow'`,
    ...(o.runId ? [`DrillRunId = '${o.runId}'`] : []),
    ...(o.open ? [`ExecutionStatus = 'Running'`] : []),
  ].join(' AND ');
  const conn = await connectClient(deps.config);
  try {
    const out: IncidentListEntry[] = [];
    for await (const wf of conn.client.workflow.list({ query })) {
      const sa = wf.searchAttributes as Record<string, unknown>;
      out.push({
        workflowId: wf.workflowId,
        status: wf.status.name,
        runId: kw(sa.DrillRunId),
        incidentId: kw(sa.DrillIncidentId),
        incidentClass: kw(sa.DrillIncidentClass),
        state: kw(sa.DrillState),
        startTime: wf.startTime.toISOString(),
        closeTime: wf.closeTime?.toISOString() ?? null,
      });
      if (out.length >= (o.limit ?? 100)) break;
    }
    return out;
  } finally {
    await conn.close();
  }
}

export async function incidentStatus(o: { runId: string; incidentId: string }, deps: Deps): Promise<IncidentStatus> {
  check('--run-id', runIdSchema, o.runId);
  check('--incident-id', incidentIdSchema, o.incidentId);
  const conn = await connectClient(deps.config);
  try {
    // Found by search attributes (run id + incident id), so one started from the Web UI is found too.
    const one = await withTimeout(conn.connection, 10000, 'the Temporal server', () =>
      findIncidentWorkflow(conn.client, 'incidentWorkflow', o.runId, o.incidentId),
    );
    if (!one)
      throw new CommandError(
        `no incident workflow ${workflowIds.incident(o.runId, o.incidentId)} (nor any incidentWorkflow tagged DrillRunId=${o.runId}, DrillIncidentId=${o.incidentId})`,
        1,
      );
    return await withTimeout(conn.connection, 15000, `incident workflow ${one.workflowId}`, () =>
      conn.client.workflow.getHandle(one.workflowId).query(incidentStatusQuery),
    );
  } catch (err) {
    if (err instanceof AmbiguousWorkflowError) throw new CommandError(err.message, 2);
    if ((err as Error).name === 'WorkflowNotFoundError') throw new CommandError(`no incident workflow ${workflowIds.incident(o.runId, o.incidentId)}`, 1);
    throw err;
  } finally {
    await conn.close();
  }
}
