/**
 * Determinism guard: histories recorded from the integration tests (`RECORD_HISTORIES=1`) must replay
 * against today's workflow code. A change that alters the commands needs `patched()`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { installTestRuntime } from '../helpers/temporal';

const HISTORIES = path.join(__dirname, 'histories');
const recorded = fs.readdirSync(HISTORIES).filter((f) => f.startsWith('incident-ack-') && f.endsWith('.json'));

function load(file: string) {
  return historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8')));
}

beforeAll(() => installTestRuntime());

test('recorded incident-ack histories exist: before the paging lifecycle (v1), after it (v2), on the light path (v3), with the compact start (v4)', () => {
  expect(recorded.sort()).toEqual([
    // Timers begun before the `ack-timer-lifecycle` patch: they must keep replaying on the old path.
    'incident-ack-acknowledged.json',
    'incident-ack-escalated.json',
    // The paging lifecycle: acked through the CLI; paged then resolved; acked from the run file while
    // the server was down; a run begun by continue-as-new from carried state.
    'incident-ack-v2-acknowledged.json',
    'incident-ack-v2-continued-as-new.json',
    'incident-ack-v2-escalated-resolved.json',
    'incident-ack-v2-file-ack-outage.json',
    // `ack-light-path`: the ack's line written by a local activity, tagged for the timer's own watch; light waits.
    'incident-ack-v3-acknowledged.json',
    'incident-ack-v3-escalated-resolved.json',
    // `ack-compact-start`: one patch marker for all of the above, and one search-attribute upsert at the start.
    'incident-ack-v4-acknowledged.json',
    'incident-ack-v4-continued-as-new.json',
    'incident-ack-v4-escalated-resolved.json',
    'incident-ack-v4-file-ack-outage.json',
  ]);
});

test('the v4 histories run the ack-compact-start path: its patch marker alone, and the timer tagged in one upsert at its start', () => {
  type Event = {
    markerRecordedEventAttributes?: { markerName: string; details?: Record<string, { payloads: Array<{ data: string }> }> };
    upsertWorkflowSearchAttributesEventAttributes?: { searchAttributes?: { indexedFields?: Record<string, unknown> } };
  };
  const v4 = recorded.filter((f) => f.startsWith('incident-ack-v4-'));
  expect(v4).toHaveLength(4);
  for (const f of v4) {
    const events = JSON.parse(fs.readFileSync(path.join(HISTORIES, f), 'utf8')).events as Event[];
    const patches = events
      .flatMap((e) => (e.markerRecordedEventAttributes?.markerName === 'core_patch' ? [e.markerRecordedEventAttributes] : []))
      .map((m) => (JSON.parse(Buffer.from(m.details?.['patch-data']?.payloads[0]?.data ?? '', 'base64').toString('utf8')) as { id: string }).id);
    expect(patches).toEqual(['ack-compact-start']);
    const first = events
      .map((e) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}).sort())
      .find((keys) => keys.length > 0 && !keys.includes('TemporalChangeVersion'));
    expect(first).toEqual(['DrillIncidentId', 'DrillRunId', 'DrillState']);
  }
});

test.each(recorded)('%s replays against the current workflow code', async (file) => {
  await Worker.runReplayHistory({ workflowsPath: require.resolve('../../src/workflows') }, load(file), `replay-${file}`);
});

test.each([
  'incident-ack-escalated.json',
  'incident-ack-v2-escalated-resolved.json',
  'incident-ack-v3-escalated-resolved.json',
  'incident-ack-v4-escalated-resolved.json',
])('a change made without patched() is caught as a determinism violation (%s)', async (file) => {
  const err = await Worker.runReplayHistory({ workflowsPath: require.resolve('./fixtures/incident-ack-changed') }, load(file), 'replay-negative').catch(
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeterminismViolationError);
});
