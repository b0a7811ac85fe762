'use strict';
// Replay timing for bench/workflows.js: node bench/replay.js <bundle|prebuilt> <history.json> <reps>
// Replays the history <reps> (≥ 2) times through one replay worker (runReplayHistories), after 3
// warm-up replays through another, and prints:
//   msPerHistory   each history after the first: (last result − first result) / (reps − 1); the
//                  replay worker's creation is not in it (about 50 ms for either bundle here);
//   firstMs        the call until the first result: the replay worker's creation and one replay;
//   wallPerHistory the whole call / reps (the figure before stop 33: the creation spread over reps).
// prebuilt: dist/workflow-bundle.js as a worker loads it (src/prebuilt-bundle.ts).
const fs = require('node:fs');
const path = require('node:path');
const { Runtime, DefaultLogger, Worker } = require('@temporalio/worker');
const { historyFromJSON } = require('@temporalio/common/lib/proto-utils');

/** Replays `history` n times through one replay worker; returns when each result arrived (performance.now()). */
async function replayAll(bundle, history, n) {
  const histories = Array.from({ length: n }, (_, i) => ({ workflowId: `replay-${i}`, history }));
  const at = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
    if (r.error) throw r.error;
    at.push(performance.now());
  }
  return at;
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
  if (!Number.isInteger(reps) || reps < 2) throw new Error(`reps must be an integer ≥ 2 (got ${repsArg})`);
  await replayAll({ code }, history, 3);
  const t0 = performance.now();
  const at = await replayAll({ code }, history, reps);
  const first = at[0];
  const last = at[at.length - 1];
  process.stdout.write(
    `${JSON.stringify({ msPerHistory: (last - first) / (reps - 1), firstMs: first - t0, wallPerHistory: (last - t0) / reps, events: history.events.length })}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`replay: ${err.stack ?? err}\n`);
  process.exit(1);
});
