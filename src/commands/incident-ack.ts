/**
 * `drill incident-ack`: the runbook's `scripts/incident_ack.py --run-id --incident-id --ack-by
 * [--notes]`. Sends the `acknowledge` update to the incident's ack timer and makes sure the run's
 * `incident_events.jsonl` holds exactly one `incident_ack` line. Without a running timer (or with no
 * reachable server) it records the ack in the file alone, as the runbook's script did.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Config } from '../config';
import { connectClient, TemporalTimeoutError, withTimeout, type ConnectedClient } from '../client/connection';
import { acknowledgeSchema, DEFAULT_ACK_SLA_SECONDS, makeAckRecord, type AckRecord } from '../domain/incident-ack';
import { incidentIdSchema, runIdSchema } from '../domain/ids';
import { appendIncidentAck, findIncident, runDir, runDirExists } from '../io/run-artifacts';
import { workflowIds } from '../shared';
import { acknowledgeUpdate, incidentAckStatusQuery } from '../workflows/definitions';
import { CommandError, type Output } from './output';

export interface IncidentAckOptions {
  runId: string;
  incidentId: string;
  ackBy: string;
  notes?: string;
}

export interface IncidentAckOutcome {
  ack: AckRecord;
  /** `timer`: the workflow recorded it; `file-only`: no timer was running. */
  via: 'timer' | 'file-only';
  alreadyAcknowledged: boolean;
  lineWritten: boolean;
}

export interface IncidentAckDeps {
  config: Pick<Config, 'temporal' | 'runsDir'>;
  output: Output;
  connect?: typeof connectClient;
  now?: () => number;
  /** How long the timer may take to answer (it needs a worker). */
  timeoutMs?: number;
}

function validate(o: IncidentAckOptions): IncidentAckOptions {
  const run = runIdSchema.safeParse(o.runId);
  if (!run.success) throw new CommandError(`--run-id: ${run.error.issues[0]?.message}`);
  const inc = incidentIdSchema.safeParse(o.incidentId);
  if (!inc.success) throw new CommandError(`--incident-id: ${inc.error.issues[0]?.message}`);
  const req = acknowledgeSchema.safeParse({ ackBy: o.ackBy, notes: o.notes });
  if (!req.success) throw new CommandError(`--ack-by/--notes: ${req.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return { runId: o.runId, incidentId: inc.data, ackBy: req.data.ackBy, ...(req.data.notes !== undefined ? { notes: req.data.notes } : {}) };
}

export async function incidentAckCommand(raw: IncidentAckOptions, deps: IncidentAckDeps): Promise<IncidentAckOutcome> {
  const o = validate(raw);
  const { runsDir } = deps.config;
  const now = deps.now ?? Date.now;
  let conn: ConnectedClient | undefined;
  try {
    conn = await (deps.connect ?? connectClient)(deps.config, { connectTimeoutMs: 3000 });
  } catch (err) {
    deps.output.err(`warning: ${(err as Error).message}; recording the ack in the run's file only`);
  }
  try {
    let ack: AckRecord | undefined;
    let already = false;
    if (conn) {
      const handle = conn.client.workflow.getHandle(workflowIds.incidentAck(o.runId, o.incidentId));
      const timeoutMs = deps.timeoutMs ?? 15000;
      try {
        await withTimeout(conn.connection, timeoutMs, `the ack timer of incident ${o.incidentId}`, async () => {
          const before = await handle.query(incidentAckStatusQuery);
          already = before.ack !== undefined;
          ack = before.ack ?? (await handle.executeUpdate(acknowledgeUpdate, { args: [{ ackBy: o.ackBy, ...(o.notes ? { notes: o.notes } : {}) }] }));
        });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw new CommandError(`acknowledge rejected: ${(err.cause as Error)?.message ?? err.message}`);
        if (err instanceof WorkflowNotFoundError) {
          // no timer: fall through to the file alone
        } else if (err instanceof TemporalTimeoutError) {
          throw new CommandError(`${err.message} Nothing was written; retry when it is.`);
        } else throw err;
      }
    }
    if (ack) {
      // The workflow wrote the line when its worker sees the run folder; this makes sure either way.
      const lineWritten = (await runDirExists(runsDir, o.runId)) ? (await appendIncidentAck(runsDir, { runId: o.runId, incidentId: o.incidentId, ack, source: 'drill incident-ack' })).appended : false;
      return { ack, via: 'timer', alreadyAcknowledged: already, lineWritten };
    }
    const incident = await findIncident(runsDir, o.runId, o.incidentId);
    if (!incident?.openedAt) {
      throw new CommandError(`unknown incident ${o.incidentId} in run ${o.runId}: no ack timer is running for it and ${runDir(runsDir, o.runId)}/incident_events.jsonl has no incident_open for it`, 1);
    }
    const fileAck = makeAckRecord({ ackBy: o.ackBy, ...(o.notes ? { notes: o.notes } : {}) }, Date.parse(incident.openedAt), now(), DEFAULT_ACK_SLA_SECONDS);
    const r = await appendIncidentAck(runsDir, { runId: o.runId, incidentId: o.incidentId, ack: fileAck, source: 'drill incident-ack' });
    if (!r.appended && r.existing) {
      const e = r.existing;
      return {
        ack: { ackBy: e.ack_by, ...(e.notes ? { notes: e.notes } : {}), ackedAt: e.ts, latencySeconds: e.ack_latency_seconds ?? 0, slaMet: e.sla_met ?? true },
        via: 'file-only',
        alreadyAcknowledged: true,
        lineWritten: false,
      };
    }
    return { ack: fileAck, via: 'file-only', alreadyAcknowledged: false, lineWritten: true };
  } finally {
    await conn?.close();
  }
}

export function describeAck(o: IncidentAckOutcome, incidentId: string): string {
  const a = o.ack;
  const head = o.alreadyAcknowledged ? `incident ${incidentId} was already acknowledged` : `incident ${incidentId} acknowledged`;
  return `${head} by ${a.ackBy} at ${a.ackedAt}, ${a.latencySeconds.toFixed(0)} s after it opened (SLA ${a.slaMet ? 'met' : 'breached'})` +
    `${o.via === 'file-only' ? ' [no ack timer running: recorded in the run file only]' : ''}${o.lineWritten ? '' : ' [incident_events.jsonl already had the line]'}`;
}
