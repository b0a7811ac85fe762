'use strict';
// Worker start, phase by phase (issue 12, Build 3): where the time from process start to a polling
// worker goes, for drill-runner's worker (the prebuilt bundle, as `node dist/worker.js` starts) and
// the minimal baseline worker (one no-op activity, its own small bundle), measured alternately against
// one local dev server. Run: `npm run bench:worker-start` (builds first); part of `npm run bench`.
// Writes bench/worker-start.md and bench/out/worker-start.json. The total is the same figure as the
// worker-start row of bench/workflows.js (process start → RUNNING); this bench takes it apart.
//
// Phases (from the marks bench/workflow-worker.js sends, ms since its process started):
//   Node booted           process start → Node's bootstrap complete (performance.nodeTiming)
//   script running        → the worker script's first line
//   SDK loaded            require('@temporalio/worker') (with it @temporalio/client, grpc-js, protobufjs, rxjs)
//   connected             NativeConnection.connect
//   config validated      ours only: drill-runner's config module (zod and the schemas) + loadConfig
//   worker module loaded  ours only: dist/worker.js
//   worker created        Worker.create (ours: buildWorker — the bundle's staleness check, activities
//                         loaded while the SDK boots its workflow thread)
//   running               worker.run() → RUNNING
// Env: BENCH_START_ROUNDS (10); BENCH_QUIET_MAX_BUSY, BENCH_QUIET_MAX_WAIT_S (each start first waits
// for a quiet machine: bench/lib/quiet.js).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { figure, median, writeResult, settingsOf } = require('./lib/result');
const { spawnWorker } = require('./lib/worker-process');
const { startBenchEnv } = require('./lib/bench-env');
const { waitForQuiet, quietSummary, ENV_KEYS: QUIET_KEYS } = require('./lib/quiet');

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const ROUNDS = Number(process.env.BENCH_START_ROUNDS ?? 10);
const SETTINGS = settingsOf(['BENCH_START_ROUNDS', ...QUIET_KEYS]);
const QUIET = [];
const COMMAND = `${Object.entries(SETTINGS).map(([k, v]) => `${k}=${v} `).join('')}npm run bench:worker-start`;
const STARTED = Date.now();
const say = (s) => process.stderr.write(`${s}\n`);

/** [label, mark it ends at, mark it starts from (first present)] — ours-only phases have no baseline mark. */
const PHASES = [
  ['Node booted', 'nodeBootstrapped', []],
  ['script running', 'scriptStart', ['nodeBootstrapped']],
  ['SDK loaded', 'sdkLoaded', ['scriptStart']],
  ['connected', 'connected', ['sdkLoaded']],
  ['config validated', 'configLoaded', ['connected']],
  ['worker module loaded', 'workerModuleLoaded', ['configLoaded']],
  ['worker created', 'created', ['workerModuleLoaded', 'connected']],
  ['running', 'running', ['created']],
];

/** Each phase's duration (ms) from one worker's marks; undefined where the kind has no such phase. */
function durations(marks) {
  const out = {};
  for (const [label, end, from] of PHASES) {
    if (marks[end] === undefined) continue;
    const start = from.map((k) => marks[k]).find((v) => v !== undefined) ?? 0;
    out[label] = marks[end] - start;
  }
  out.total = marks.running;
  return out;
}

async function main() {
  if (ROUNDS < 1 || !Number.isInteger(ROUNDS)) throw new Error(`BENCH_START_ROUNDS must be a positive integer (got ${process.env.BENCH_START_ROUNDS})`);
  const { env, check, resultsDir, baselineBundle, baselineBytes, teardown } = await startBenchEnv('drill-bench-start-');
  const runs = { ack: [], baseline: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of round % 2 ? ['ack', 'baseline'] : ['baseline', 'ack']) {
        await waitForQuiet(`round ${round + 1} ${kind}`, QUIET);
        const w = spawnWorker(kind, env.address, `bench-start-${kind}-${round}`, resultsDir, kind === 'ack' ? 'prebuilt' : baselineBundle);
        try {
          await w.ready;
          const d = durations(w.phases());
          runs[kind].push(d);
          say(`round ${round + 1} ${kind}: ${d.total.toFixed(0)} ms (SDK ${d['SDK loaded'].toFixed(0)}, create ${d['worker created'].toFixed(0)})`);
        } finally {
          await w.stop();
        }
      }
    }
  } finally {
    await teardown();
  }
  report(runs, check, baselineBytes);
}

const mib = (file) => (fs.statSync(file).size / 1048576).toFixed(2);

function report(runs, check, baselineBytes) {
  const labels = ['total', ...PHASES.map(([l]) => l)];
  const col = (kind, label) => runs[kind].map((d) => d[label]).filter((v) => v !== undefined);
  const fmt = (xs) => (xs.length ? `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})` : '—');
  const figures = labels.map((label) => {
    const ours = col('ack', label);
    const base = col('baseline', label);
    // No target here: the worker-start target is judged once, in bench/workflows.js's row.
    return figure({
      name: label === 'total' ? 'worker start, process → RUNNING, taken apart below' : `worker start: ${label}`,
      unit: 'ms',
      samples: ours,
      ...(base.length ? { baseline: { label: 'minimal baseline worker', samples: base } } : {}),
    });
  });
  const total = col('ack', 'total');
  const m = os.loadavg().map((x) => x.toFixed(1)).join(' / ');
  const cpus = os.cpus();
  const L = [
    '# Worker start, phase by phase',
    '',
    `Written by \`${COMMAND}\` on ${new Date().toISOString()}, ${((Date.now() - STARTED) / 1000).toFixed(0)} s.`,
    `Machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown'}, Node ${process.version}; load average at the end ${m}.`,
    `${ROUNDS} rounds, each starting drill-runner's worker (prebuilt bundle: ${mib(path.join(DIST, 'workflow-bundle.js'))} MiB + map ${mib(path.join(DIST, 'workflow-bundle.js.map'))} MiB, handed to the SDK as one`,
    `string with an inline map of ${(check.code.length / 1048576).toFixed(2)} MiB) and the minimal baseline worker (its bundle, inline map`,
    `included, ${(baselineBytes / 1048576).toFixed(2)} MiB) one after the other (order alternating) against one local dev server; each worker in its own process,`,
    'stopped before the next starts. Milliseconds, median (min–max) over the rounds; a phase ends at the mark named and starts',
    'where the one before it ended. The total is the worker-start figure of bench/workflows.md.',
    quietSummary(QUIET),
    '',
    '| phase | drill-runner worker | minimal baseline worker | difference of medians |',
    '|---|---|---|---|',
    ...[...labels.slice(1), 'total'].map((label) => {
      const ours = col('ack', label);
      const base = col('baseline', label);
      const diff = ours.length ? `${(median(ours) - (base.length ? median(base) : 0)).toFixed(0)}` : '—';
      return `| ${label === 'total' ? '**total** (process → RUNNING)' : label} | ${fmt(ours)} | ${fmt(base)} | ${diff} |`;
    }),
    '',
    'What each phase is: see the header of bench/worker-start.js. Target (issue 12, Build 3): worker start ≤ 1 s',
    `(judged in bench/workflows.md); here the median is ${median(total).toFixed(0)} ms, ${median(total) <= 1000 ? 'within' : '**over**'} it, and the minimal baseline worker's ${median(col('baseline', 'total')).toFixed(0)} ms.`,
    '',
  ];
  fs.writeFileSync(path.join(__dirname, 'worker-start.md'), L.join('\n'));
  writeResult('worker-start', { title: 'Worker start, phase by phase', command: COMMAND, settings: SETTINGS, startedAt: STARTED, report: 'bench/worker-start.md', figures, notes: [quietSummary(QUIET).replace(/\.$/, '')] });
  say(L.join('\n'));
}

main().catch((err) => {
  say(`worker-start: ${err.stack ?? err}`);
  process.exit(1);
});
