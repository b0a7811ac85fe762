'use strict';
// What the workflow benchmarks (bench/workflows.js, bench/worker-start.js) stand on: the prebuilt
// bundle checked (a stale one would measure old code), the minimal baseline's bundle, a temp dir for
// results, and one local dev server with drill-runner's search attributes. Ctrl-C or a kill takes the
// dev server and the temp dir with it.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const DIST = path.join(__dirname, '..', '..', 'dist');

/** { env, check, tmp, resultsDir, baselineBundle, baselineBytes, teardown } — `prefix` names the temp dir. */
async function startBenchEnv(prefix) {
  const { Runtime, DefaultLogger, bundleWorkflowCode } = require('@temporalio/worker');
  const { TestWorkflowEnvironment } = require('@temporalio/testing');
  const { requireTool } = require(path.join(DIST, 'tools', 'provision'));
  const { SA } = require(path.join(DIST, 'search-attributes'));
  const { checkPrebuiltBundle } = require(path.join(DIST, 'prebuilt-bundle'));
  const check = checkPrebuiltBundle(DIST);
  if (!check.ok) throw new Error(`prebuilt bundle not usable (${check.reason}): run \`npm run build\``);
  // No shutdown signals of the SDK's own: they would swallow Ctrl-C here (no worker in this process).
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const resultsDir = path.join(tmp, 'results');
  fs.mkdirSync(path.join(resultsDir, 'runs'), { recursive: true });
  const baselineBundle = path.join(tmp, 'baseline-bundle.js');
  const b = await bundleWorkflowCode({ workflowsPath: require.resolve('../baseline/workflows.js'), logger: new DefaultLogger('WARN') });
  fs.writeFileSync(baselineBundle, b.code);
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: requireTool('temporal').path }, ui: false, searchAttributes: Object.values(SA) },
  });
  const teardown = async () => {
    await env.teardown();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  const interrupted = () => {
    teardown().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  return { env, check, tmp, resultsDir, baselineBundle, baselineBytes: Buffer.byteLength(b.code), teardown };
}

module.exports = { startBenchEnv };
