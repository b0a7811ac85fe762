'use strict';
// A benchmark worker in its own process (bench/workflow-worker.js), so its CPU and RSS are its own:
// used by bench/workflows.js (throughput, memory, the open-timer sweep) and bench/worker-start.js
// (worker start, phase by phase). Both kinds get the same cache size from here; the baseline worker
// does not load drill-runner's config.
const { fork } = require('node:child_process');
const path = require('node:path');

const DIST = path.join(__dirname, '..', '..', 'dist');

/** The workers' cache size: DRILL_MAX_CACHED_WORKFLOWS, else drill-runner's default. */
function workerCacheSize() {
  return Number(process.env.DRILL_MAX_CACHED_WORKFLOWS ?? require(path.join(DIST, 'config')).DEFAULT_MAX_CACHED_WORKFLOWS);
}

function spawnWorker(kind, address, taskQueue, resultsDir, source) {
  const child = fork(path.join(__dirname, '..', 'workflow-worker.js'), [kind, address, taskQueue, resultsDir, source], {
    execArgv: ['--expose-gc'],
    // Both kinds get the same cache size from here (the baseline worker does not load our config).
    env: { ...process.env, DRILL_MAX_CACHED_WORKFLOWS: String(workerCacheSize()) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const waiters = [];
  let ready;
  let phases; // the worker's start-up marks (bench/workflow-worker.js), once it is ready
  let exited; // the worker's exit, once it has exited (a crash, an out-of-memory kill)
  const readyP = new Promise((resolve, reject) => {
    ready = resolve;
    child.once('exit', (code) => reject(new Error(`${kind} worker exited (${code}) before it was ready`)));
  });
  readyP.catch(() => undefined);
  child.on('exit', (code, signal) => {
    exited = `${kind} worker exited (${signal ?? code})`;
    for (const w of waiters.splice(0)) w.reject(new Error(exited));
  });
  child.on('message', (m) => {
    if (m.ready) {
      phases = m.phases;
      ready(m.startMs);
    }
    if (m.stats) waiters.shift()?.resolve(m.stats);
  });
  const ask = (what) => new Promise((resolve, reject) => {
    if (exited) return reject(new Error(exited));
    waiters.push({ resolve, reject });
    child.send(what);
  });
  return {
    ready: readyP,
    phases: () => phases,
    stats: () => ask('stats'),
    cpu: () => ask('cpu'),
    stop: () => new Promise((resolve) => {
      if (exited) return resolve();
      const t = setTimeout(() => child.kill('SIGKILL'), 20000);
      child.once('exit', () => { clearTimeout(t); resolve(); });
      child.send('stop');
    }),
  };
}

module.exports = { spawnWorker, workerCacheSize };
