/** Run artifacts adapter: reads and writes under `results/runs/<run_id>/`. */
import { ApplicationFailure } from '@temporalio/activity';
import { type AckRecord } from '../domain/incident-ack';
import { PathEscapeError } from '../io/files';
import { appendIncidentAck, InvalidRunIdError, runDirExists } from '../io/run-artifacts';

export interface RecordAckInput {
  runId: string;
  incidentId: string;
  ack: AckRecord;
}

export type RecordAckOutcome = { written: true } | { written: false; reason: 'duplicate' | 'run-directory-missing' };

export function createArtifactActivities(runsDir: string) {
  return {
    /** Appends `incident_ack` to the run's incident log once (idempotent under retries). */
    async recordIncidentAck(input: RecordAckInput): Promise<RecordAckOutcome> {
      try {
        // No folder means this worker does not see that run's artifacts: do not create a stray one.
        if (!(await runDirExists(runsDir, input.runId))) return { written: false, reason: 'run-directory-missing' };
        const r = await appendIncidentAck(runsDir, { ...input, source: 'drill-runner' });
        return r.appended ? { written: true } : { written: false, reason: 'duplicate' };
      } catch (err) {
        if (err instanceof InvalidRunIdError || err instanceof PathEscapeError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidInput');
        throw err;
      }
    },
  };
}
