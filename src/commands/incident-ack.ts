/**
 * `drill incident-ack`: the runbook's `scripts/incident_ack.py --run-id --incident-id --ack-by
 * [--notes]`. Finds the incident's ack timer by its search attributes (whoever started it, under
 * whatever id), sends it `acknowledge`, and makes sure the run's `incident_events.jsonl` holds exactly
 * one `incident_ack` line.
 *
 * When the timer cannot confirm the ack — the server is unreachable, no worker answers, no timer is
 * running — the ack is recorded in the run file. That is not a lesser ack: the file is an ack source,
 * every timer for the incident takes the ack from it (with the line's time) before its next page. The
 * outcome says which happened, and the exit code tells them apart: 0 the timer acknowledged, 3
 * recorded in the run file for the timer to pick up.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Config } from '../config';
import { connectClient, TemporalTimeoutError, withTimeout, type ConnectedClient } from '../client/connection';
import { AmbiguousWorkflowError, findIncidentWorkflow } from '../client/find-workflows';
import { acknowledgeSchema, DEFAULT_ACK_SLA_SECONDS, makeAckRecord, type AckRecord, type IncidentAckStatus } from '../domain/incident-ack';
import { incidentIdSchema, runIdSchema } from '../domain/ids';
import { appendIncidentAck, incidentFacts, runDir, runDirExists } from '../io/run-artifacts';
import { acknowledgeUpdate, incidentAckStatusQuery } from '../workflows/definitions';
import { CommandError, type Output } from './output';
import { describeIssues } from '../domain/validation-kit';

export interface IncidentAckOptions {
  runId: string;
  incidentId: string;
  ackBy: string;
  notes?: string;
  /** Ack this timer (when several match, or to skip the search). */
  workflowId?: string;
}

/** Why the ack went to the run file instead of the timer. */
export type FileReason = 'server-unreachable' | 'timer-not-answering' | 'no-timer' | 'timer-closed';

export interface IncidentAckOutcome {
  ack: AckRecord;
  /** `timer`: the ack timer recorded it; `file`: recorded in the run file for the timer to pick up. */
  via: 'timer' | 'file';
  fileReason?: FileReason;
  /** The timer (when one was found). */
  workflowId?: string;
  timerStatus?: string;
  alreadyAcknowledged: boolean;
  /** This command appended the `incident_ack` line (false: the line was there, or the timer wrote it). */
  lineWritten: boolean;
  /** Where the run file's ack line stands after this command. */
  line: 'written' | 'present' | 'not-written';
  file: string;
  /** Details for the human message (server address, timeout). */
  detail?: string;
  /** The SLA verdict as this command knows it; `the timer's` when only the (unreachable) timer knows its SLA. */
  slaVerdict?: 'met' | 'breached' | "the timer's";
}

/** Exit code of `drill incident-ack`: 0 the timer has the ack, 3 the run file has it (the timer will see it). */
export const ACK_RECORDED_IN_FILE_EXIT = 3;

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
  const req = acknowledgeSchema.safeParse({ ackBy: o.ackBy, ...(o.notes !== undefined ? { notes: o.notes } : {}) });
  if (!req.success) throw new CommandError(`--ack-by/--notes: ${describeIssues(req.error, { root: '' })}`);
  return {
    runId: o.runId,
    incidentId: inc.data,
    ackBy: req.data.ackBy,
    ...(req.data.notes !== undefined ? { notes: req.data.notes } : {}),
    ...(o.workflowId ? { workflowId: o.workflowId } : {}),
  };
}

/** What the timer said, or why it could not say it. */
type TimerAnswer =
  | { kind: 'acked'; ack: AckRecord; already: boolean; status?: IncidentAckStatus; workflowId: string; timerStatus: string }
  | { kind: 'file'; reason: FileReason; workflowId?: string; timerStatus?: string; detail?: string; ackSlaSeconds?: number; openedAt?: string };

async function askTimer(conn: ConnectedClient, o: IncidentAckOptions, timeoutMs: number): Promise<TimerAnswer> {
  let workflowId = o.workflowId;
  let timerStatus = 'RUNNING';
  if (!workflowId) {
    const one = await withTimeout(conn.connection, 10000, 'the Temporal server', () =>
      findIncidentWorkflow(conn.client, 'incidentAckWorkflow', o.runId, o.incidentId),
    );
    if (!one) return { kind: 'file', reason: 'no-timer' };
    workflowId = one.workflowId;
    timerStatus = one.status;
  }
  const handle = conn.client.workflow.getHandle(workflowId);
  try {
    return await withTimeout(conn.connection, timeoutMs, `ack timer ${workflowId}`, async () => {
      if (o.workflowId) timerStatus = (await handle.describe()).status.name;
      const before = await handle.query(incidentAckStatusQuery);
      if (before.ack) return { kind: 'acked', ack: before.ack, already: true, status: before, workflowId: workflowId as string, timerStatus };
      if (timerStatus !== 'RUNNING') {
        return {
          kind: 'file',
          reason: 'timer-closed',
          workflowId,
          timerStatus,
          ackSlaSeconds: (Date.parse(before.slaDeadline) - Date.parse(before.openedAt)) / 1000,
          openedAt: before.openedAt,
        };
      }
      const ack = await handle.executeUpdate(acknowledgeUpdate, { args: [{ ackBy: o.ackBy, ...(o.notes !== undefined ? { notes: o.notes } : {}) }] });
      const after = await handle.query(incidentAckStatusQuery).catch(() => undefined);
      // The first ack stands: one found in the run file (or another on-call's) comes back instead of ours.
      const already = ack.source === 'run-file' || ack.ackBy !== o.ackBy;
      return { kind: 'acked', ack, already, ...(after ? { status: after } : {}), workflowId: workflowId as string, timerStatus };
    });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new CommandError(`acknowledge rejected: ${(err.cause as Error)?.message ?? err.message}`);
    if (err instanceof TemporalTimeoutError) return { kind: 'file', reason: 'timer-not-answering', workflowId, detail: `${timeoutMs / 1000} s` };
    if (err instanceof WorkflowNotFoundError) {
      if (o.workflowId) throw new CommandError(`no workflow ${o.workflowId}`, 1);
      return { kind: 'file', reason: 'no-timer' };
    }
    throw err;
  }
}

export async function incidentAckCommand(raw: IncidentAckOptions, deps: IncidentAckDeps): Promise<IncidentAckOutcome> {
  const o = validate(raw);
  const { runsDir } = deps.config;
  const file = `${runDir(runsDir, o.runId)}/incident_events.jsonl`;
  const now = deps.now ?? Date.now;
  let answer: TimerAnswer;
  let conn: ConnectedClient | undefined;
  try {
    conn = await (deps.connect ?? connectClient)(deps.config, { connectTimeoutMs: 3000 });
  } catch (err) {
    deps.output.err(`warning: ${(err as Error).message}`);
  }
  try {
    if (!conn) answer = { kind: 'file', reason: 'server-unreachable', detail: deps.config.temporal.address };
    else {
      try {
        answer = await askTimer(conn, o, deps.timeoutMs ?? 15000);
      } catch (err) {
        if (err instanceof AmbiguousWorkflowError) throw new CommandError(err.message, 2);
        if (err instanceof CommandError) throw err;
        // The server went away between connecting and asking: the file path below still works.
        deps.output.err(`warning: the Temporal server did not answer: ${(err as Error).message}`);
        answer = { kind: 'file', reason: 'server-unreachable', detail: deps.config.temporal.address };
      }
    }
  } finally {
    await conn?.close();
  }

  if (answer.kind === 'acked') {
    // The timer writes the line when its worker sees the run folder; otherwise this command does.
    const timerWrote = answer.status?.ackLine === 'written' || answer.status?.ackLine === 'duplicate' || answer.status?.ackLine === 'from-file';
    let lineWritten = false;
    if (!timerWrote && (await runDirExists(runsDir, o.runId))) {
      lineWritten = (await appendIncidentAck(runsDir, { runId: o.runId, incidentId: o.incidentId, ack: answer.ack, source: 'drill incident-ack' })).appended;
    }
    return {
      ack: answer.ack,
      via: 'timer',
      workflowId: answer.workflowId,
      timerStatus: answer.timerStatus,
      alreadyAcknowledged: answer.already,
      lineWritten,
      line: timerWrote || (await runDirExists(runsDir, o.runId)) ? (lineWritten ? 'written' : 'present') : 'not-written',
      file,
    };
  }

  // The run file: the ack source every timer for this incident reads before it pages.
  const base = {
    via: 'file' as const,
    fileReason: answer.reason,
    ...(answer.workflowId ? { workflowId: answer.workflowId } : {}),
    ...(answer.timerStatus ? { timerStatus: answer.timerStatus } : {}),
    ...(answer.detail ? { detail: answer.detail } : {}),
    file,
  };
  if (!(await runDirExists(runsDir, o.runId))) {
    throw new CommandError(
      `the ack was NOT recorded: ${describeReason(base)}, and the run folder ${runDir(runsDir, o.runId)} does not exist here (DRILL_RESULTS_DIR). Retry where the run's artifacts are, or once the timer answers.`,
      1,
    );
  }
  const facts = await incidentFacts(runsDir, o.runId, o.incidentId);
  const openedAt = facts?.openedAt ?? answer.openedAt;
  if (!openedAt && !answer.workflowId && !facts?.ackedAt) {
    throw new CommandError(`unknown incident ${o.incidentId} in run ${o.runId}: no ack timer found for it and ${file} has no incident_open for it`, 1);
  }
  const req = { ackBy: o.ackBy, ...(o.notes !== undefined ? { notes: o.notes } : {}) };
  const ack = openedAt
    ? makeAckRecord(req, Date.parse(openedAt), now(), answer.ackSlaSeconds ?? DEFAULT_ACK_SLA_SECONDS, 'run-file')
    : { ...req, ackedAt: new Date(now()).toISOString(), latencySeconds: 0, slaMet: true, source: 'run-file' as const };
  // The SLA verdict belongs to the timer: with no timer reachable, its SLA is unknown (it may not be the
  // runbook's 15 minutes), so the line carries the latency and no verdict, and nothing can disagree.
  // With no timer at all, the runbook's SLA is the one that applies.
  const slaKnown = answer.ackSlaSeconds !== undefined || answer.reason === 'no-timer';
  const r = await appendIncidentAck(runsDir, {
    runId: o.runId,
    incidentId: o.incidentId,
    ack,
    source: 'drill incident-ack',
    withoutLatency: !openedAt,
    withoutVerdict: !slaKnown,
  });
  if (!r.appended && r.existing) {
    const e = r.existing;
    return {
      ...base,
      ack: {
        ackBy: e.ack_by,
        ...(e.notes ? { notes: e.notes } : {}),
        ackedAt: e.ts,
        latencySeconds: e.ack_latency_seconds ?? 0,
        slaMet: e.sla_met ?? true,
        source: 'run-file',
      },
      slaVerdict: e.sla_met === undefined ? "the timer's" : e.sla_met ? 'met' : 'breached',
      alreadyAcknowledged: true,
      lineWritten: false,
      line: 'present',
    };
  }
  return {
    ...base,
    ack,
    slaVerdict: !openedAt || !slaKnown ? "the timer's" : ack.slaMet ? 'met' : 'breached',
    alreadyAcknowledged: false,
    lineWritten: true,
    line: 'written',
  };
}

function describeReason(o: Pick<IncidentAckOutcome, 'fileReason' | 'workflowId' | 'timerStatus' | 'detail'>): string {
  switch (o.fileReason) {
    case 'server-unreachable':
      return `the Temporal server${o.detail ? ` at ${o.detail}` : ''} is unreachable`;
    case 'timer-not-answering':
      return `ack timer ${o.workflowId} did not answer within ${o.detail ?? 'the timeout'} (is a worker running on its task queue?)`;
    case 'timer-closed':
      return `ack timer ${o.workflowId} is closed (${o.timerStatus?.toLowerCase()})`;
    default:
      return 'no ack timer is running for it';
  }
}

/** The one line `drill incident-ack` prints: exactly what happened. */
export function describeAck(o: IncidentAckOutcome, incidentId: string): string {
  const a = o.ack;
  const verdict = o.slaVerdict ?? (a.slaMet ? 'met' : 'breached');
  const sla = verdict === "the timer's" ? "the SLA verdict is the timer's" : `SLA ${verdict}`;
  const latency = a.latencySeconds ? `, ${a.latencySeconds.toFixed(0)} s after it opened (${sla})` : '';
  const head = o.alreadyAcknowledged
    ? `incident ${incidentId} was already acknowledged by ${a.ackBy} at ${a.ackedAt}${latency}`
    : `incident ${incidentId} acknowledged by ${a.ackBy} at ${a.ackedAt}${latency}`;
  if (o.via === 'timer') {
    const line =
      o.line === 'written'
        ? 'incident_ack written to the run file'
        : o.line === 'present'
          ? 'the run file has the incident_ack line'
          : "the run folder is not on this machine; the line is the worker's to write";
    return `${head}. Ack timer ${o.workflowId}: acknowledged, it pages no more; ${line}.`;
  }
  return (
    `${head}. Recorded in ${o.file}${o.lineWritten ? '' : ' (the line was already there)'}, NOT confirmed by an ack timer: ${describeReason(o)}. ` +
    'Any ack timer for this incident takes the ack from that file (with this time) before its next page.'
  );
}
