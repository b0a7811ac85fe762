/** Run artifacts adapter: reads and writes under `results/runs/<run_id>/`. */
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { ARTIFACT_FILES, dataQualityLatestSchema, type DataQualityEvent } from '../domain/artifacts';
import { type AckRecord } from '../domain/incident-ack';
import { initialSloState } from '../domain/slo-fold';
import { PathEscapeError } from '../io/files';
import { appendIncidentAck, InvalidRunIdError, runDir, runDirExists } from '../io/run-artifacts';
import { readLatestJson, type LatestJson } from '../io/tail';
import {
  foldRunArtifacts,
  snapshotRunArtifacts,
  tailRunArtifactsInputSchema,
  type FoldRunResult,
  type RunSnapshot,
  type TailRunArtifactsInput,
} from '../io/run-artifact-fold';
import { FAILURE } from '../domain/failure-types';
import { SAFE_ID } from '../domain/safe-id';

export interface RecordAckInput {
  runId: string;
  incidentId: string;
  ack: AckRecord;
  /** The timer's first run id, written as `timer_run_id`: the timer's own watch skips its own line. */
  timerRunId?: string;
}

export type RecordAckOutcome =
  | { written: true }
  | { written: false; reason: 'run-directory-missing' }
  /** The file already held this incident's ack (maybe an earlier one: the first ack stands). */
  | { written: false; reason: 'duplicate'; existing?: { ts: string; ack_by: string; notes?: string } };

export function createArtifactActivities(runsDir: string) {
  return {
    /**
     * Appends `incident_ack` to the run's incident log once (idempotent under retries). Reads only the
     * lines written since this worker's last append to that file (`io/incident-log.ts`).
     */
    async recordIncidentAck(input: RecordAckInput): Promise<RecordAckOutcome> {
      try {
        // No folder means this worker does not see that run's artifacts: do not create a stray one.
        if (!(await runDirExists(runsDir, input.runId))) return { written: false, reason: 'run-directory-missing' };
        const { timerRunId, ...rest } = input;
        const writer = typeof timerRunId === 'string' && timerRunId.length <= 100 && SAFE_ID.test(timerRunId) ? { timerRunId } : {};
        const r = await appendIncidentAck(runsDir, { ...rest, ...writer, source: 'drill-runner' });
        if (r.appended) return { written: true };
        const e = r.existing;
        return {
          written: false,
          reason: 'duplicate',
          ...(e ? { existing: { ts: e.ts, ack_by: e.ack_by, ...(e.notes !== undefined ? { notes: e.notes } : {}) } } : {}),
        };
      } catch (err) {
        if (err instanceof InvalidRunIdError || err instanceof PathEscapeError) throw ApplicationFailure.nonRetryable(err.message, FAILURE.invalidInput);
        throw err;
      }
    },

    /**
     * Reads what the run's artifacts gained since `cursors` and returns the SLO state folded forward
     * (`domain/slo.ts`), new cursors, corrupt-line counts, and the events a watcher acts on (incident
     * events, SLO breaches, audit events; capped, the cursor stops at the cap). Raw reconciliation
     * and data quality lines are folded, not returned, so the result stays small for any file size.
     * Retry-safe: the same input gives the same output. Call again while `more` is true.
     */
    async tailRunArtifacts(input: TailRunArtifactsInput): Promise<FoldRunResult> {
      const i = parseActivityInput(tailRunArtifactsInputSchema, input);
      const dir = artifactDir(runsDir, i.runId);
      return foldRunArtifacts(dir, i.cursors ?? {}, i.state ?? initialSloState(), {
        maxBytesPerFile: i.maxBytesPerFile,
        maxEvents: i.maxEvents,
        auditLogsDir: i.auditLogsDir,
      });
    },

    /** `data_quality_latest.json` of a run: the value, or why there is none (missing / invalid). */
    async readDataQualityLatest(input: { runId: string }): Promise<LatestJson<DataQualityEvent>> {
      return readLatestJson(path.join(artifactDir(runsDir, input.runId), ARTIFACT_FILES.dataQualityLatest), dataQualityLatestSchema);
    },

    /** The latest lines of every artifact file, for the triage report. */
    async snapshotRunArtifacts(input: { runId: string; lines?: number }): Promise<RunSnapshot> {
      const lines = Math.min(Math.max(1, Math.trunc(input.lines ?? 5)), 100);
      return snapshotRunArtifacts(artifactDir(runsDir, input.runId), { lines });
    },
  };
}

function artifactDir(runsDir: string, runId: string): string {
  try {
    return runDir(runsDir, runId);
  } catch (err) {
    if (err instanceof InvalidRunIdError || err instanceof PathEscapeError) throw ApplicationFailure.nonRetryable(err.message, FAILURE.invalidInput);
    throw err;
  }
}

function parseActivityInput<T>(
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> } };
  },
  input: unknown,
): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw ApplicationFailure.nonRetryable(
    `${issue ? `${issue.path.map(String).join('.') || '(input)'}: ${issue.message}` : 'invalid input'}`,
    FAILURE.invalidInput,
  );
}
