/**
 * The bundle `npm run build` leaves in dist/ (deploy/bundle-workflows.js; `npm test` builds first)
 * is current and is real workflow code: committed histories of every workflow family replay on it,
 * loaded the way src/worker.ts loads it (external map inlined again in memory).
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { checkPrebuiltBundle } from '../../src/prebuilt-bundle';
import { installTestRuntime } from '../helpers/temporal';

const DIST = path.resolve(__dirname, '../../dist');
const HISTORIES = path.join(__dirname, 'histories');
const FILES = [
  'incident-ack-v2-acknowledged.json',
  'incident-ack-v4-acknowledged.json',
  'incident-v2-broker.json',
  'recovery-v2-broker.json',
  'halt-registry.json',
  'promotion-pass.json',
];

beforeAll(() => installTestRuntime());

test('the prebuilt bundle matches its manifest and keeps its source map in a separate file', () => {
  const check = checkPrebuiltBundle(DIST);
  if (!check.ok) throw new Error(`prebuilt bundle not usable (${check.reason}): run \`npm run build\``);
  const onDisk = fs.readFileSync(path.join(DIST, 'workflow-bundle.js'), 'utf8');
  expect(onDisk).not.toContain('sourceMappingURL=data:');
  expect(onDisk.trimEnd().endsWith('//# sourceMappingURL=workflow-bundle.js.map')).toBe(true);
  expect(check.files).toBeGreaterThan(10);
});

test.each(FILES)('%s replays on the prebuilt bundle', async (file) => {
  const check = checkPrebuiltBundle(DIST);
  if (!check.ok) throw new Error(`prebuilt bundle not usable: ${check.reason}`);
  const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8')));
  await Worker.runReplayHistory({ workflowBundle: { code: check.code } }, history, `prebuilt-${file}`);
});
