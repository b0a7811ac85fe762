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

test('recorded incident-ack histories exist (escalated and acknowledged branches)', () => {
  expect(recorded.sort()).toEqual(['incident-ack-acknowledged.json', 'incident-ack-escalated.json']);
});

test.each(recorded)('%s replays against the current workflow code', async (file) => {
  await Worker.runReplayHistory({ workflowsPath: require.resolve('../../src/workflows') }, load(file), `replay-${file}`);
});

test('a change made without patched() is caught as a determinism violation', async () => {
  const err = await Worker.runReplayHistory(
    { workflowsPath: require.resolve('./fixtures/incident-ack-changed') },
    load('incident-ack-escalated.json'),
    'replay-negative',
  ).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DeterminismViolationError);
});
