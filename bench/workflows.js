'use strict';
// Workflow benchmark (issue 12.1, 12.3, 12.5): the project's incidentAckWorkflow beside a minimal
// baseline on the same dev server, interleaved rounds, medians. Run: `npm run bench:workflows`
// (builds first). Writes bench/workflows.md. Not a test: numbers depend on the machine (reported).
//
// Per round, for baseline then ack (order alternates each round), each worker in its own process:
//   start       process start → worker RUNNING (ack: dist/workflow-bundle.js, as `node dist/worker.js`)
//   throughput  N workflows at concurrency C after a warm-up: baseline = one no-op activity;
//               ack = start → `acknowledge` update → complete (keepOpenAfterAckSeconds 0)
//   cpu         worker CPU (user+sys) per workflow over the throughput phase
//   memory      OPEN open workflows (baseline: a 1-day sleep; ack: unacknowledged, 1-day SLA), worker
//               RSS after full GC, (after − before) / OPEN; then all terminated. RSS, not the heap:
//               workflows run in the SDK's worker threads, whose heaps process.memoryUsage().heapUsed
//               of the main thread does not include. The ack figure includes its run-file watch
//               activities (up to the activity slots), which every open ack timer has in production.
// and once per round: ack worker start bundling from source (no prebuilt bundle), and replay of a
// committed history (ack: test/replay/histories/incident-ack-v2-acknowledged.json on the prebuilt
// bundle; baseline: bench/baseline/history.json, recorded from this benchmark's baseline workflow).
// Env: BENCH_WF_ROUNDS (3), BENCH_WF_N (200), BENCH_WF_CONCURRENCY (20), BENCH_WF_OPEN (300),
// BENCH_WF_REPLAYS (20), DRILL_MAX_CACHED_WORKFLOWS (the worker default).
const { fork, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const ROUNDS = Number(process.env.BENCH_WF_ROUNDS ?? 3);
const N = Number(process.env.BENCH_WF_N ?? 200);
const C = Number(process.env.BENCH_WF_CONCURRENCY ?? 20);
const OPEN = Number(process.env.BENCH_WF_OPEN ?? 300);
const REPLAYS = Number(process.env.BENCH_WF_REPLAYS ?? 20);
const ACK_HISTORY = path.join(ROOT, 'test', 'replay', 'histories', 'incident-ack-v2-acknowledged.json');
const BASELINE_HISTORY = path.join(__dirname, 'baseline', 'history.json');
const OUT = path.join(__dirname, 'workflows.md');
const SETTINGS = ['BENCH_WF_ROUNDS', 'BENCH_WF_N', 'BENCH_WF_CONCURRENCY', 'BENCH_WF_OPEN', 'BENCH_WF_REPLAYS', 'DRILL_MAX_CACHED_WORKFLOWS']
  .filter((k) => process.env[k] !== undefined)
  .map((k) => `${k}=${process.env[k]} `)
  .join('');
const COMMAND = `${SETTINGS}npm run bench:workflows`;
// The targets (issue 12, Build 1 and 3): never loosened here.
const TARGETS = { throughputRatio: 0.8, ackPerSec: 35, memoryRatio: 1.5, replayRatio: 2, startMs: 1000 };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const MiB = 1048576;
const say = (s) => process.stderr.write(`${s}\n`);

async function pool(count, conc, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(conc, count) }, async () => {
    while (next < count) await fn(next++);
  }));
}

function spawnWorker(kind, address, taskQueue, resultsDir, source) {
  const child = fork(path.join(__dirname, 'workflow-worker.js'), [kind, address, taskQueue, resultsDir, source], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const waiters = [];
  let ready;
  const readyP = new Promise((resolve, reject) => {
    ready = resolve;
    child.once('exit', (code) => reject(new Error(`${kind} worker exited (${code}) before it was ready`)));
  });
  child.on('message', (m) => {
    if (m.ready) ready(m.startMs);
    if (m.stats) waiters.shift()?.(m.stats);
  });
  return {
    ready: readyP,
    stats: () => new Promise((resolve) => { waiters.push(resolve); child.send('stats'); }),
    stop: () => new Promise((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 20000);
      child.once('exit', () => { clearTimeout(t); resolve(); });
      child.send('stop');
    }),
  };
}

/** Waits until the worker has been idle (< 5% of a core) for a second: every open run's first task done. */
async function settle(w, minMs = 2000) {
  const t0 = Date.now();
  let prev = await w.stats();
  let prevAt = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const s = await w.stats();
    const busy = (s.cpuUs - prev.cpuUs) / 1000 / (Date.now() - prevAt);
    prev = s;
    prevAt = Date.now();
    if (busy < 0.05 && Date.now() - t0 >= minMs) return s;
    if (Date.now() - t0 > 120000) return s;
  }
}

async function main() {
  const { Runtime, DefaultLogger, bundleWorkflowCode } = require('@temporalio/worker');
  const { TestWorkflowEnvironment } = require('@temporalio/testing');
  const { requireTool } = require(path.join(DIST, 'tools', 'provision'));
  const { SA } = require(path.join(DIST, 'search-attributes'));
  const { checkPrebuiltBundle } = require(path.join(DIST, 'prebuilt-bundle'));
  const { DEFAULT_MAX_CACHED_WORKFLOWS } = require(path.join(DIST, 'config'));
  const check = checkPrebuiltBundle(DIST);
  if (!check.ok) throw new Error(`prebuilt bundle not usable (${check.reason}): run \`npm run build\``);
  // No shutdown signals of the SDK's own: they would swallow Ctrl-C here (no worker in this process).
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const started = Date.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-bench-wf-'));
  const resultsDir = path.join(tmp, 'results');
  const runsDir = path.join(resultsDir, 'runs');
  fs.mkdirSync(runsDir, { recursive: true });
  const baselineBundle = path.join(tmp, 'baseline-bundle.js');
  const b = await bundleWorkflowCode({ workflowsPath: require.resolve('./baseline/workflows.js'), logger: new DefaultLogger('WARN') });
  fs.writeFileSync(baselineBundle, b.code);

  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: requireTool('temporal').path }, ui: false, searchAttributes: Object.values(SA) },
  });
  // Interrupted (Ctrl-C, a kill): the dev server and the tmp dir go with the benchmark.
  const stop = () => {
    env.teardown().finally(() => {
      fs.rmSync(tmp, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', stop).once('SIGTERM', stop);
  try {
    const report = ({ rounds }) => writeReport({ R, ratios, rounds, seconds: (Date.now() - started) / 1000, maxCached: Number(process.env.DRILL_MAX_CACHED_WORKFLOWS ?? DEFAULT_MAX_CACHED_WORKFLOWS), check });
    await runRounds(env, { baselineBundle, resultsDir, runsDir, report });
  } finally {
    await env.teardown();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const R = { start: { ack: [], baseline: [], ackFromSource: [] }, tput: { ack: [], baseline: [] }, cpu: { ack: [], baseline: [] }, mem: { ack: [], baseline: [] }, rssOpen: { ack: [], baseline: [] }, replay: { ack: [], baseline: [] }, ackP99: [], ackP50: [] };
const ratios = { tput: [], cpu: [], mem: [], replay: [], start: [] };

async function runRounds(env, { baselineBundle, resultsDir, runsDir, report }) {
  const address = env.address;
  const client = env.client;
  let seq = 0;

  async function runOne(kind, tq) {
    const i = seq++;
    if (kind === 'baseline') {
      await client.workflow.execute('baselineWorkflow', { taskQueue: tq, workflowId: `bench-base-${i}` });
      return undefined;
    }
    const runId = `bench-run-${i}`;
    fs.mkdirSync(path.join(runsDir, runId), { recursive: true });
    const h = await client.workflow.start('incidentAckWorkflow', {
      taskQueue: tq,
      workflowId: `bench-ack-${i}`,
      args: [{ runId, incidentId: 'inc-1', severity: 'critical', keepOpenAfterAckSeconds: 0 }],
    });
    const t0 = performance.now();
    await h.executeUpdate('acknowledge', { args: [{ ackBy: 'bench' }] });
    const ms = performance.now() - t0;
    await h.result();
    return ms;
  }

  async function openOne(kind, tq) {
    const i = seq++;
    if (kind === 'baseline') {
      return client.workflow.start('baselineTimerWorkflow', { taskQueue: tq, workflowId: `bench-open-base-${i}`, args: [86400] });
    }
    const runId = `bench-open-${i}`;
    fs.mkdirSync(path.join(runsDir, runId), { recursive: true });
    return client.workflow.start('incidentAckWorkflow', {
      taskQueue: tq,
      workflowId: `bench-open-ack-${i}`,
      args: [{ runId, incidentId: 'inc-1', severity: 'critical', ackSlaSeconds: 86400 }],
    });
  }

  async function phase(kind, round) {
    const tq = `bench-${kind}-${round}`;
    const w = spawnWorker(kind, address, tq, resultsDir, kind === 'ack' ? 'prebuilt' : baselineBundle);
    R.start[kind].push(await w.ready);
    await pool(C, C, () => runOne(kind, tq)); // warm-up
    const s0 = await w.stats();
    const lat = [];
    const t0 = performance.now();
    await pool(N, C, async () => {
      const ms = await runOne(kind, tq);
      if (ms !== undefined) lat.push(ms);
    });
    const secs = (performance.now() - t0) / 1000;
    const s1 = await w.stats();
    const r = { tput: N / secs, cpu: (s1.cpuUs - s0.cpuUs) / 1000 / N };
    if (kind === 'ack') {
      R.ackP50.push(pct(lat, 50));
      R.ackP99.push(pct(lat, 99));
    }
    const m0 = await settle(w);
    const handles = [];
    await pool(OPEN, C, async () => handles.push(await openOne(kind, tq)));
    const m1 = await settle(w, 3000);
    r.mem = (m1.rss - m0.rss) / OPEN;
    r.rssOpen = m1.rss;
    await pool(handles.length, C, (j) => handles[j].terminate('bench done').catch(() => undefined));
    await w.stop();
    R.tput[kind].push(r.tput);
    R.cpu[kind].push(r.cpu);
    R.mem[kind].push(r.mem);
    R.rssOpen[kind].push(r.rssOpen);
    say(`round ${round + 1} ${kind}: start ${R.start[kind].at(-1).toFixed(0)} ms, ${r.tput.toFixed(1)} wf/s, cpu ${r.cpu.toFixed(1)} ms/wf, ${(r.mem / MiB).toFixed(3)} MiB RSS per cached run (${(r.rssOpen / MiB).toFixed(0)} MiB RSS with ${OPEN} open)`);
    return r;
  }

  function replay(bundle, history) {
    const out = execFileSync(process.execPath, [path.join(__dirname, 'replay.js'), bundle, history, String(REPLAYS)], { encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop()).msPerHistory;
  }

  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? ['ack', 'baseline'] : ['baseline', 'ack'];
    const got = {};
    for (const kind of order) got[kind] = await phase(kind, round);
    if (!fs.existsSync(BASELINE_HISTORY)) {
      // Record the baseline's committed history once (then commit bench/baseline/history.json).
      const h = await client.workflow.getHandle(`bench-base-0`).fetchHistory();
      const { historyToJSON } = require('@temporalio/common/lib/proto-utils');
      fs.writeFileSync(BASELINE_HISTORY, `${historyToJSON(h)}\n`);
    }
    // Worker start bundling from source (what `node dist/worker.js` did before the build made the bundle).
    const src = spawnWorker('ack', address, `bench-src-${round}`, resultsDir, 'source');
    R.start.ackFromSource.push(await src.ready);
    await src.stop();
    const rp = {};
    for (const kind of order) rp[kind] = kind === 'ack' ? replay('prebuilt', ACK_HISTORY) : replay(baselineBundle, BASELINE_HISTORY);
    R.replay.ack.push(rp.ack);
    R.replay.baseline.push(rp.baseline);
    ratios.tput.push(got.ack.tput / got.baseline.tput);
    ratios.cpu.push(got.ack.cpu / got.baseline.cpu);
    ratios.mem.push(got.ack.mem / got.baseline.mem);
    ratios.replay.push(rp.ack / rp.baseline);
    ratios.start.push(R.start.ack.at(-1) / R.start.baseline.at(-1));
    // The report after every round: a run cut short still leaves its completed rounds.
    report({ rounds: round + 1 });
    say(`round ${round + 1}: ack start from source ${R.start.ackFromSource.at(-1).toFixed(0)} ms; replay ack ${rp.ack.toFixed(1)} ms, baseline ${rp.baseline.toFixed(1)} ms`);
  }
}

function writeReport({ R, ratios, rounds, seconds, maxCached, check }) {
  const m = (xs, d = 1) => `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`;
  const mib = (xs) => xs.map((x) => x / MiB);
  const ok = (b) => (b ? 'met' : '**not met**');
  const bundleMiB = fs.statSync(path.join(DIST, 'workflow-bundle.js')).size / MiB;
  const mapMiB = fs.statSync(path.join(DIST, 'workflow-bundle.js.map')).size / MiB;
  const tputR = median(ratios.tput);
  const ackTput = median(R.tput.ack);
  const memRssR = median(ratios.mem);
  const replayR = median(ratios.replay);
  const startAck = median(R.start.ack);
  const load = os.loadavg().map((x) => x.toFixed(1)).join(' / ');
  const lines = [
    '# Workflow benchmark: incidentAckWorkflow beside a minimal baseline',
    '',
    `Written by \`${COMMAND}\` on ${new Date().toISOString()}, ${seconds.toFixed(0)} s.`,
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB, Node ${process.version}, ${os.platform()}; load average at the end ${load}.`,
    'Shared machine: other sessions ran tests on the same 2 cores during the run, so absolute figures are',
    'noisy; each round runs baseline and ack back to back (order alternating), ratios are taken per round,',
    'and the tables give the median (min–max) over rounds.',
    '',
    `Settings: ${rounds} of ${ROUNDS} rounds done; ${N} workflows at concurrency ${C} (after ${C} warm-up); ${OPEN} open workflows for memory;`,
    `${REPLAYS} replays per history; maxCachedWorkflows ${maxCached}; each worker in its own process (CPU and RSS are the worker's).`,
    'Baseline (bench/baseline/workflows.js): one no-op activity; an open 1-day sleep for memory. Ack: start →',
    '`acknowledge` update → complete (keepOpenAfterAckSeconds 0), real activities (run-file watch, ack record);',
    'open ack timers are unacknowledged with a 1-day SLA. Memory is worker RSS after a full GC (workflows run in',
    "the SDK's worker threads, so the main thread's heap figure would miss them); the ack figure includes its",
    'run-file watch activities, as every open ack timer has them in production.',
    'Not measured here: 10,000 open ack timers and acknowledge p99 with evicted runs (issue 12 Build 1, second half).',
    '',
    '| figure | incidentAckWorkflow | minimal baseline | ratio (median of per-round) | target | |',
    '|---|---|---|---|---|---|',
    `| throughput, wf/s | ${m(R.tput.ack)} | ${m(R.tput.baseline)} | ${m(ratios.tput, 2)} | ≥ ${TARGETS.throughputRatio}× and ≥ ${TARGETS.ackPerSec} ack wf/s | ${ok(tputR >= TARGETS.throughputRatio && ackTput >= TARGETS.ackPerSec)} |`,
    `| worker CPU per workflow, ms | ${m(R.cpu.ack)} | ${m(R.cpu.baseline)} | ${m(ratios.cpu, 2)} | — | |`,
    `| memory per cached run (RSS), MiB | ${m(mib(R.mem.ack), 3)} | ${m(mib(R.mem.baseline), 3)} | ${m(ratios.mem, 2)} | ≤ ${TARGETS.memoryRatio}× | ${ok(memRssR <= TARGETS.memoryRatio)} |`,
    `| worker RSS with ${OPEN} open, MiB | ${m(mib(R.rssOpen.ack), 0)} | ${m(mib(R.rssOpen.baseline), 0)} | — | — | |`,
    `| replay of a committed history, ms | ${m(R.replay.ack)} | ${m(R.replay.baseline)} | ${m(ratios.replay, 2)} | ≤ ${TARGETS.replayRatio}× | ${ok(replayR <= TARGETS.replayRatio)} |`,
    `| worker start (process → polling), prebuilt bundle, ms | ${m(R.start.ack, 0)} | ${m(R.start.baseline, 0)} | ${m(ratios.start, 2)} | ≤ ${TARGETS.startMs} ms | ${ok(startAck <= TARGETS.startMs)} |`,
    `| worker start bundling from source, ms | ${m(R.start.ackFromSource, 0)} | — | — | — | |`,
    `| acknowledge update latency at concurrency ${C}, ms | p50 ${m(R.ackP50, 0)}, p99 ${m(R.ackP99, 0)} | — | — | — | |`,
    '',
    `Prebuilt bundle: dist/workflow-bundle.js ${bundleMiB.toFixed(2)} MiB + external map ${mapMiB.toFixed(2)} MiB; its manifest guards ${check.files} files.`,
    `Histories replayed: ack ${path.relative(ROOT, ACK_HISTORY)}, baseline ${path.relative(ROOT, BASELINE_HISTORY)}.`,
    '',
  ];
  fs.writeFileSync(OUT, `${lines.join('\n')}\n`);
  say(lines.join('\n'));
}

main().catch((err) => {
  say(`bench/workflows: ${err.stack ?? err}`);
  process.exit(1);
});
