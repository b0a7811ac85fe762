/**
 * Determinism guard for the incident workflows: histories recorded from the integration tests
 * (`RECORD_HISTORIES=1`) of every branch — watcher (files, sandbox with an incident), incident
 * (reconciliation, data quality, broker, escalated + forced) and their recovery children — must
 * replay against today's workflow code. v1 histories (recorded before the v2 patches) replay on the
 * kept v1 code; v2 histories (owned halts, batched recovery, watcher v2, the halt registry) on v2.
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
  // v2
  'alert-watch-v2-audit.json',
  'alert-watch-v2-files.json',
  'alert-watch-v2-maintenance.json',
  'alert-watch-v2-sandbox.json',
  'halt-registry.json',
  'incident-v2-broker.json',
  'incident-v2-data-quality.json',
  'incident-v2-escalated-forced.json',
  'incident-v2-reconciliation.json',
  'incident-v2-two-holders.json',
  'recovery-v2-broker.json',
  'recovery-v2-data-quality.json',
  'recovery-v2-escalated.json',
  'recovery-v2-reconciliation.json',
];

beforeAll(() => installTestRuntime());

test('a recorded history exists for every branch', () => {
  const present = fs.readdirSync(HISTORIES);
  expect(BRANCHES.filter((f) => !present.includes(f))).toEqual([]);
});

test('every branch replays against the current workflow code', async () => {
  const histories = BRANCHES.map((file) => ({
    workflowId: `replay-${file}`,
    history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8'))),
  }));
  const results: string[] = [];
  for await (const r of Worker.runReplayHistories({ workflowsPath: require.resolve('../../src/workflows') }, histories)) {
    results.push(`${r.workflowId}: ${r.error ? String(r.error) : 'ok'}`);
  }
  expect(results).toEqual(BRANCHES.map((f) => `replay-${f}: ok`));
  // Bundling the workflow code takes most of it: ~40 s on a busy 2-core machine.
}, 180_000);

test.each(['incident-reconciliation.json', 'incident-escalated-forced.json', 'incident-v2-reconciliation.json', 'incident-v2-two-holders.json'])(
  '%s: incidentWorkflow changed without patched() is caught as a determinism violation',
  async (file) => {
    const err = await Worker.runReplayHistory(
      { workflowsPath: require.resolve('./fixtures/incident-workflow-changed') },
      historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8'))),
      `replay-negative-${file}`,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeterminismViolationError);
  },
  180_000,
);
