'use strict';
// Replay timing for bench/workflows.js: node bench/replay.js <bundle|prebuilt> <history.json> <reps> [hook=on|hook=off]
// Replays the history <reps> (≥ 2) times through one replay worker (runReplayHistories), after 3
// warm-up replays through another, and prints:
//   msPerHistory   each history after the first: (last result − first result) / (reps − 1); the
//                  replay worker's creation is not in it (about 50 ms for either bundle here);
//   firstMs        the call until the first result: the replay worker's creation and one replay;
//   wallPerHistory the whole call / reps (the figure before stop 33: the creation spread over reps).
//   promiseHook    whether the SDK's stack-trace promise hook was installed for these replays.
// prebuilt: dist/workflow-bundle.js as a worker loads it (src/prebuilt-bundle.ts).
// hook=off: a measurement, never a product setting: the SDK installs a promise hook that captures and
// source-maps a stack for every promise workflow code makes (it feeds the Web UI's stack trace view;
// the SDK has no switch for it). Replay runs workflows in this process (the replay worker's debug
// mode), so taking the hook's installer out of the SDK's shared handlers here shows what a history
// costs without it, for both bundles alike (docs/decisions.md, stop 38).
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

/** The SDK's shared workflow handlers (promise hook, stack-trace mapping); throws if its internals moved. */
function sdkGlobalHandlers() {
  const { globalHandlers } = require('@temporalio/worker/lib/workflow/vm-shared');
  if (!globalHandlers || typeof globalHandlers.setPromiseHook !== 'function' || typeof globalHandlers.promiseHookInstalled !== 'boolean') {
    throw new Error("the SDK's workflow handlers (@temporalio/worker/lib/workflow/vm-shared globalHandlers) are not where this benchmark expects them");
  }
  return globalHandlers;
}

async function main() {
  const [bundleArg, historyFile, repsArg, hookArg = 'hook=on'] = process.argv.slice(2);
  if (hookArg !== 'hook=on' && hookArg !== 'hook=off') throw new Error(`the fourth argument is hook=on or hook=off (got ${hookArg})`);
  const handlers = sdkGlobalHandlers();
  if (handlers.installed) throw new Error("the SDK's workflow handlers were installed before this benchmark could choose the hook");
  if (hookArg === 'hook=off') handlers.setPromiseHook = () => {};
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
  const promiseHook = handlers.promiseHookInstalled;
  if (promiseHook !== (hookArg === 'hook=on')) throw new Error(`asked ${hookArg}, but the SDK's promise hook installed: ${promiseHook}`);
  const first = at[0];
  const last = at[at.length - 1];
  process.stdout.write(
    `${JSON.stringify({ msPerHistory: (last - first) / (reps - 1), firstMs: first - t0, wallPerHistory: (last - t0) / reps, events: history.events.length, promiseHook })}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`replay: ${err.stack ?? err}\n`);
  process.exit(1);
});
