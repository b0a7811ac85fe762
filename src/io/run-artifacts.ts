/**
 * The run artifact folder (`<runsDir>/<run_id>/`) and its incident log. Used by the artifacts
 * activity and directly by the CLI (the runbook's `incident_ack.py` also writes without a worker).
 */
import fs from 'node:fs/promises';
import { runIdSchema } from '../domain/ids';
import { type AckRecord } from '../domain/incident-ack';
import { INCIDENT_EVENTS_FILE, incidentEventSchema, type IncidentAckEvent, type IncidentSummary } from '../domain/incident-events';
import { readJsonl, resolveInside } from './files';
import { appendIncidentEventOnce, incidentFromLog, incidentLogPath } from './incident-log';

export class InvalidRunIdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRunIdError';
  }
}

/** `<runsDir>/<runId>` after checking the id: empty, too long, odd characters or traversal → error. */
export function runDir(runsDir: string, runId: string): string {
  const r = runIdSchema.safeParse(runId);
  if (!r.success) throw new InvalidRunIdError(`invalid run id ${JSON.stringify(runId)}: ${r.error.issues[0]?.message}`);
  return resolveInside(runsDir, r.data);
}

export async function runDirExists(runsDir: string, runId: string): Promise<boolean> {
  return fs.stat(runDir(runsDir, runId)).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

export async function readIncidentEvents(runsDir: string, runId: string) {
  return readJsonl(resolveInside(runDir(runsDir, runId), INCIDENT_EVENTS_FILE), incidentEventSchema);
}

/** The incident as the run file knows it (undefined when it never opened there). Incremental per process. */
export async function findIncident(runsDir: string, runId: string, incidentId: string): Promise<IncidentSummary | undefined> {
  const s = await incidentFromLog(incidentLogPath(runDir(runsDir, runId)), incidentId);
  return s?.openedAt !== undefined ? s : undefined;
}

/** The incident's first `incident_ack`, `incident_open` or `incident_resolved` facts, opened or not. */
export async function incidentFacts(runsDir: string, runId: string, incidentId: string): Promise<IncidentSummary | undefined> {
  return incidentFromLog(incidentLogPath(runDir(runsDir, runId)), incidentId);
}

export interface AckLine {
  runId: string;
  incidentId: string;
  ack: AckRecord;
  source: string;
  /** The ack timer that writes the line (its first run id), so that its own file watch skips it. */
  timerRunId?: string;
  /** Leave `ack_latency_seconds` and `sla_met` out (the writer does not know when the incident opened). */
  withoutLatency?: boolean;
  /** Leave `sla_met` out (the writer does not know the timer's SLA; the timer has the verdict). */
  withoutVerdict?: boolean;
}

/**
 * Appends the `incident_ack` line once per incident: a rerun, a retried activity or a second ack
 * finds the first line and writes nothing. O(1) in the file's length (`io/incident-log.ts`).
 */
export async function appendIncidentAck(runsDir: string, line: AckLine): Promise<{ appended: boolean; existing?: IncidentAckEvent }> {
  const file = resolveInside(runDir(runsDir, line.runId), INCIDENT_EVENTS_FILE);
  const record: IncidentAckEvent = {
    ts: line.ack.ackedAt,
    event_type: 'incident_ack',
    incident_id: line.incidentId,
    run_id: line.runId,
    ack_by: line.ack.ackBy,
    ...(line.ack.notes !== undefined ? { notes: line.ack.notes } : {}),
    ...(line.withoutLatency ? {} : { ack_latency_seconds: line.ack.latencySeconds }),
    ...(line.withoutLatency || line.withoutVerdict ? {} : { sla_met: line.ack.slaMet }),
    source: line.source,
    ...(line.timerRunId !== undefined ? { timer_run_id: line.timerRunId } : {}),
  };
  const r = await appendIncidentEventOnce(file, record);
  return { appended: r.appended, existing: r.existing as IncidentAckEvent | undefined };
}
