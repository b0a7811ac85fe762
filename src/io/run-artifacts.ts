/**
 * The run artifact folder (`<runsDir>/<run_id>/`) and its incident log. Used by the artifacts
 * activity and directly by the CLI (the runbook's `incident_ack.py` also writes without a worker).
 */
import fs from 'node:fs/promises';
import { runIdSchema } from '../domain/ids';
import { type AckRecord } from '../domain/incident-ack';
import {
  INCIDENT_EVENTS_FILE,
  incidentEventSchema,
  summarizeIncidents,
  type IncidentAckEvent,
  type IncidentEvent,
  type IncidentSummary,
} from '../domain/incident-events';
import { appendJsonlOnce, readJsonl, resolveInside } from './files';

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
  return fs.stat(runDir(runsDir, runId)).then((s) => s.isDirectory(), () => false);
}

export async function readIncidentEvents(runsDir: string, runId: string) {
  return readJsonl(resolveInside(runDir(runsDir, runId), INCIDENT_EVENTS_FILE), incidentEventSchema);
}

export async function findIncident(runsDir: string, runId: string, incidentId: string): Promise<IncidentSummary | undefined> {
  const { records } = await readIncidentEvents(runsDir, runId);
  return summarizeIncidents(records).find((s) => s.incidentId === incidentId && s.openedAt !== undefined);
}

export interface AckLine {
  runId: string;
  incidentId: string;
  ack: AckRecord;
  source: string;
}

/**
 * Appends the `incident_ack` line once per incident: a rerun, a retried activity or a second ack
 * finds the first line and writes nothing.
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
    ack_latency_seconds: line.ack.latencySeconds,
    sla_met: line.ack.slaMet,
    source: line.source,
  };
  const r = await appendJsonlOnce(file, incidentEventSchema, record, (e: IncidentEvent) => e.event_type === 'incident_ack' && e.incident_id === line.incidentId);
  return { appended: r.appended, existing: r.existing as IncidentAckEvent | undefined };
}
