/**
 * Determinism guard for promotionGateWorkflow: histories recorded from the dev-server integration test
 * (`RECORD_HISTORIES=1`, a passing and a failing gate) must replay against today's workflow code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { installTestRuntime } from '../helpers/temporal';

const HISTORIES = path.join(__dirname, 'histories');
const recorded = fs
  .readdirSync(HISTORIES)
  .filter((f) => f.startsWith('promotion-') && f.endsWith('.json'))
  .sort();

function load(file: string) {
  return historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8')));
}

beforeAll(() => installTestRuntime());

test('recorded promotion histories exist (pass and fail, before and on the KPI path)', () => {
  expect(recorded).toEqual(['promotion-fail.json', 'promotion-kpi-fail.json', 'promotion-kpi-pass.json', 'promotion-pass.json']);
});

test.each(recorded)('%s replays against the current workflow code', async (file) => {
  await Worker.runReplayHistory({ workflowsPath: require.resolve('../../src/workflows/promotion-gate') }, load(file), `replay-${file}`);
});

test('a change made without patched() is caught as a determinism violation', async () => {
  const err = await Worker.runReplayHistory(
    { workflowsPath: require.resolve('../fixtures/promotion/promotion-gate-changed') },
    load('promotion-pass.json'),
    'replay-promotion-negative',
  ).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DeterminismViolationError);
});
