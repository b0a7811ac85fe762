/**
 * Determinism guard for the incident workflows: histories recorded from the integration tests
 * (`RECORD_HISTORIES=1`) of every branch — watcher (files, sandbox with an incident), incident
 * (reconciliation, data quality, broker, escalated + forced) and their recovery children — must
 * replay against today's workflow code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { installTestRuntime } from '../helpers/temporal';

const HISTORIES = path.join(__dirname, 'histories');
const BRANCHES = [
  'alert-watch-files.json',
  'alert-watch-sandbox.json',
  'incident-broker.json',
  'incident-data-quality.json',
  'incident-escalated-forced.json',
  'incident-reconciliation.json',
  'recovery-broker.json',
  'recovery-data-quality.json',
  'recovery-escalated.json',
  'recovery-reconciliation.json',
];

beforeAll(() => installTestRuntime());

test('a recorded history exists for every branch', () => {
  const present = fs.readdirSync(HISTORIES);
  expect(BRANCHES.filter((f) => !present.includes(f))).toEqual([]);
});

test('every branch replays against the current workflow code', async () => {
  const histories = BRANCHES.map((file) => ({ workflowId: `replay-${file}`, history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8'))) }));
  const results: string[] = [];
  for await (const r of Worker.runReplayHistories({ workflowsPath: require.resolve('../../src/workflows') }, histories)) {
    results.push(`${r.workflowId}: ${r.error ? String(r.error) : 'ok'}`);
  }
  expect(results).toEqual(BRANCHES.map((f) => `replay-${f}: ok`));
});

test.each(['incident-reconciliation.json', 'incident-escalated-forced.json'])('%s: incidentWorkflow changed without patched() is caught as a determinism violation', async (file) => {
  const err = await Worker.runReplayHistory(
    { workflowsPath: require.resolve('./fixtures/incident-workflow-changed') },
    historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8'))),
    `replay-negative-${file}`,
  ).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DeterminismViolationError);
});
