/**
 * Determinism guard for drillSignOffWorkflow: histories recorded from test/workflow/drill-signoff.test.ts
 * (`RECORD_HISTORIES=1 npx jest --selectProjects workflow --runTestsByPath test/workflow/drill-signoff.test.ts`)
 * must replay against today's workflow code: a late sign-off after the backup page, and one on time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { installTestRuntime } from '../helpers/temporal';

const HISTORIES = path.join(__dirname, 'histories');
const recorded = fs
  .readdirSync(HISTORIES)
  .filter((f) => f.startsWith('drill-signoff-') && f.endsWith('.json'))
  .sort();

beforeAll(() => installTestRuntime());

test('recorded sign-off histories exist', () => {
  expect(recorded).toEqual(['drill-signoff-late.json', 'drill-signoff-on-time.json']);
});

test.each(recorded)('%s replays against the current workflow code', async (file) => {
  const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8')));
  await Worker.runReplayHistory({ workflowsPath: require.resolve('../../src/workflows') }, history, `replay-${file}`);
});
