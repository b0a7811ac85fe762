'use strict';
// Replay timing for bench/workflows.js: node bench/replay.js <bundle|prebuilt> <history.json> <reps>
// Replays the history <reps> times through one replay worker (runReplayHistories), after 3 warm-up
// replays, and prints { msPerHistory } (wall time / reps). prebuilt: dist/workflow-bundle.js as a
// worker loads it (src/prebuilt-bundle.ts).
const fs = require('node:fs');
const path = require('node:path');
const { Runtime, DefaultLogger, Worker } = require('@temporalio/worker');
const { historyFromJSON } = require('@temporalio/common/lib/proto-utils');

async function replayAll(bundle, history, n) {
  const histories = Array.from({ length: n }, (_, i) => ({ workflowId: `replay-${i}`, history }));
  for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
    if (r.error) throw r.error;
  }
}

async function main() {
  const [bundleArg, historyFile, repsArg] = process.argv.slice(2);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  let code;
  if (bundleArg === 'prebuilt') {
    const check = require(path.join(__dirname, '..', 'dist', 'prebuilt-bundle')).checkPrebuiltBundle(path.join(__dirname, '..', 'dist'));
    if (!check.ok) throw new Error(`prebuilt bundle: ${check.reason}`);
    code = check.code;
  } else code = fs.readFileSync(bundleArg, 'utf8');
  const history = historyFromJSON(JSON.parse(fs.readFileSync(historyFile, 'utf8')));
  const reps = Number(repsArg);
  await replayAll({ code }, history, 3);
  const t0 = performance.now();
  await replayAll({ code }, history, reps);
  process.stdout.write(`${JSON.stringify({ msPerHistory: (performance.now() - t0) / reps, events: history.events.length })}\n`);
}

main().catch((err) => {
  process.stderr.write(`replay: ${err.stack ?? err}\n`);
  process.exit(1);
});
