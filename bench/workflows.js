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
// committed history (ack: test/replay/histories/incident-ack-v4-acknowledged.json, today's path, on the prebuilt
// bundle; baseline: bench/baseline/history.json, recorded from this benchmark's baseline workflow),
// BENCH_WF_REPLAYS times through one replay worker (bench/replay.js): the target is judged on each
// history after the first, so the replay worker's creation (about 50 ms for either bundle) is not
// spread over the replays; the creation and the whole call / BENCH_WF_REPLAYS are reported beside it.
// Beside them, not judged: the baseline bundle replaying bench/baseline/ack-history.json, the ack
// timer's shape at its least (baselineAckTimerWorkflow: a timer, an `ack` update in a later workflow
// task running a no-op local activity, done), recorded by this benchmark when the file is missing;
// and both judged histories again with the SDK's stack-trace promise hook taken out of the replay
// process (bench/replay.js hook=off; a measurement of the hook's share, not a product setting).
// After the rounds, once: the open-timer sweep. One worker per kind (baseline, then ack), in its own
// process; for each count of BENCH_OPEN_COUNTS (ascending) the open workflows are topped up to the
// count (started at BENCH_OPEN_CONCURRENCY, progress on stderr), the worker settles, its RSS is read
// after a full GC, then BENCH_OPEN_ACKS runs picked at random among the open ones get an update while
// that many are open, BENCH_OPEN_ACK_CONCURRENCY at a time, then BENCH_OPEN_ACKS other runs one at a
// time (a person acking): ack = `acknowledge` (the run then completes: keepOpenAfterAckSeconds 0),
// baseline = `poke` (returns at once), then on the baseline two more phases of its closing `ack` (a
// no-op local activity, then the timer closes: bench/baseline/workflows.js); the worker's and the dev server's CPU over each phase's updates
// (server: /proc, Linux only) is reported per update. Runs started before the last maxCachedWorkflows are out of the
// worker's LRU cache (nothing wakes an open timer), so most acks at 10,000 hit evicted runs and replay.
// Env: BENCH_WF_ROUNDS (3), BENCH_WF_N (200), BENCH_WF_CONCURRENCY (20), BENCH_WF_OPEN (300),
// BENCH_WF_REPLAYS (50), DRILL_MAX_CACHED_WORKFLOWS (the worker default), BENCH_OPEN_COUNTS
// (150,1000,10000; empty or 0 skips the sweep), BENCH_OPEN_ACKS (100), BENCH_OPEN_CONCURRENCY (32),
// BENCH_OPEN_ACK_CONCURRENCY (4), BENCH_OPEN_ACK_TIMEOUT_MS (30000: an update slower than this counts
// as timed out, at this value), BENCH_OPEN_RSS_ABORT_MIB (6144: a sweep worker past this RSS ends the
// sweep, its point failed with the RSS reached), BENCH_QUIET_MAX_BUSY and BENCH_QUIET_MAX_WAIT_S (each
// repetition — a kind's round, a start from source, the replays, a sweep point's updates — first waits
// for a quiet machine: bench/lib/quiet.js), BENCH_SWEEP_QUIET_MAX_WAIT_S (300: a sweep point's
// updates wait this long for it, not BENCH_QUIET_MAX_WAIT_S). Also writes bench/out/workflows.json.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { figure, writeResult, pct: pctOf } = require('./lib/result');
const { spawnWorker, workerCacheSize } = require('./lib/worker-process');
const { startBenchEnv } = require('./lib/bench-env');
const { waitForQuiet, quietSummary, ENV_KEYS: QUIET_KEYS } = require('./lib/quiet');

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const ROUNDS = Number(process.env.BENCH_WF_ROUNDS ?? 3);
const N = Number(process.env.BENCH_WF_N ?? 200);
const C = Number(process.env.BENCH_WF_CONCURRENCY ?? 20);
const OPEN = Number(process.env.BENCH_WF_OPEN ?? 300);
const REPLAYS = Number(process.env.BENCH_WF_REPLAYS ?? 50);
const ACK_HISTORY = path.join(ROOT, 'test', 'replay', 'histories', 'incident-ack-v4-acknowledged.json');
const BASELINE_HISTORY = path.join(__dirname, 'baseline', 'history.json');
const BASELINE_ACK_HISTORY = path.join(__dirname, 'baseline', 'ack-history.json');
const OPEN_COUNTS = (process.env.BENCH_OPEN_COUNTS ?? '150,1000,10000').split(',').map(Number).filter((n) => n > 0).sort((a, b) => a - b);
const OPEN_ACKS = Number(process.env.BENCH_OPEN_ACKS ?? 100);
const OPEN_C = Number(process.env.BENCH_OPEN_CONCURRENCY ?? 32);
const ACK_C = Number(process.env.BENCH_OPEN_ACK_CONCURRENCY ?? 4);
const ACK_TIMEOUT_MS = Number(process.env.BENCH_OPEN_ACK_TIMEOUT_MS ?? 30000);
// The machine is shared: a worker past this RSS ends the sweep (the point then fails, with the figure).
const RSS_ABORT_MIB = Number(process.env.BENCH_OPEN_RSS_ABORT_MIB ?? 6144);
const OUT = path.join(__dirname, 'workflows.md');
const ENV_KEYS = ['BENCH_WF_ROUNDS', 'BENCH_WF_N', 'BENCH_WF_CONCURRENCY', 'BENCH_WF_OPEN', 'BENCH_WF_REPLAYS', 'DRILL_MAX_CACHED_WORKFLOWS', 'BENCH_OPEN_COUNTS', 'BENCH_OPEN_ACKS', 'BENCH_OPEN_CONCURRENCY', 'BENCH_OPEN_ACK_CONCURRENCY', 'BENCH_OPEN_ACK_TIMEOUT_MS', 'BENCH_OPEN_RSS_ABORT_MIB', 'BENCH_SWEEP_QUIET_MAX_WAIT_S', ...QUIET_KEYS];
const SETTINGS = ENV_KEYS
  .filter((k) => process.env[k] !== undefined)
  .map((k) => `${k}=${process.env[k]} `)
  .join('');
const COMMAND = `${SETTINGS}npm run bench:workflows`;
const STARTED = Date.now();
// The issue's targets (issue 12, Build 1 and 3): never loosened here.
const TARGETS = { throughputRatio: 0.8, ackPerSec: 35, memoryRatio: 1.5, replayRatio: 2, startMs: 1000, openTimers: 10000, openRssMiB: 1536, openAckP99Ms: 200 };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const MiB = 1048576;
const say = (s) => process.stderr.write(`${s}\n`);
/** Idle seconds in a row that make a worker settled (see settle). */
const SETTLE_QUIET_SECONDS = 3;
/**
 * How long a sweep point's updates wait for a quiet machine (s): after 10,000 starts the dev server
 * can still be busy when the worker has settled. Longer than the rounds' wait.
 */
const SWEEP_QUIET_MAX_WAIT_S = Number(process.env.BENCH_SWEEP_QUIET_MAX_WAIT_S ?? 300);
if (!(SWEEP_QUIET_MAX_WAIT_S >= 0)) throw new Error(`BENCH_SWEEP_QUIET_MAX_WAIT_S must be ≥ 0 (got ${process.env.BENCH_SWEEP_QUIET_MAX_WAIT_S})`);

async function pool(count, conc, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(conc, count) }, async () => {
    while (next < count) await fn(next++);
  }));
}

/**
 * Waits until the worker has been idle (< 5% of a core) for SETTLE_QUIET_SECONDS seconds in a row:
 * every open run's first task done; then its stats after a full GC. The idle checks themselves force
 * no GC (that would be 5%). One idle second is not enough: with 10,000 timers just started, the worker
 * can pause for a second while it is still minutes behind (a run on 2026-12-05 measured its acks then).
 */
async function settle(w, minMs = 2000, maxMs = 120000, guard = () => undefined) {
  const t0 = Date.now();
  let prev = await w.cpu();
  let prevAt = Date.now();
  let last = 1;
  let saidAt = t0;
  let quietFor = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const s = await w.cpu();
    guard(s);
    const busy = (s.cpuUs - prev.cpuUs) / 1000 / (Date.now() - prevAt);
    prev = s;
    prevAt = Date.now();
    last = busy;
    quietFor = busy < 0.05 ? quietFor + 1 : 0;
    if (quietFor >= SETTLE_QUIET_SECONDS && Date.now() - t0 >= minMs) break;
    if (maxMs > 120000 && Date.now() - saidAt >= 30000 && (saidAt = Date.now())) say(`settle: worker ${(busy * 100).toFixed(0)}% busy after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    if (Date.now() - t0 > maxMs) {
      say(`settle: worker still ${(busy * 100).toFixed(0)}% busy after ${(maxMs / 1000).toFixed(0)} s; measuring anyway`);
      break;
    }
  }
  return { ...(await w.stats()), busyAtEnd: last };
}

async function main() {
  const { env, check, resultsDir, baselineBundle, teardown } = await startBenchEnv('drill-bench-wf-');
  const runsDir = path.join(resultsDir, 'runs');
  const started = STARTED;
  try {
    const report = ({ rounds }) => writeReport({ R, ratios, rounds, seconds: (Date.now() - started) / 1000, maxCached: workerCacheSize(), check });
    await runRounds(env, { baselineBundle, resultsDir, runsDir, report });
    if (OPEN_COUNTS.length) {
      for (const kind of ['baseline', 'ack']) {
        SWEEP[kind] = await sweep(env, kind, { baselineBundle, resultsDir, runsDir }).catch((err) => {
          say(`sweep ${kind}: failed: ${err.stack ?? err}`);
          return [{ count: OPEN_COUNTS[0], acks: [], error: String(err.message ?? err).slice(0, 300), open: 0 }];
        });
      }
      report({ rounds: ROUNDS });
    }
  } finally {
    // Updates that timed out in the sweep may still be retrying inside the client: once the server is
    // gone their next retry throws 'Channel has been shut down' from a timer. Expected, not a failure.
    tearingDown = true;
    await teardown();
  }
}

/** The open-timer sweep per kind: [{ count, rss, startSeconds, settleSeconds, acks: [{ ms, evicted, timedOut }] }]. */
const SWEEP = { baseline: [], ack: [] };

/** Races a promise against a timeout; the loser is left to settle on its own (errors swallowed). */
function withTimeout(p, ms) {
  let t;
  const timeout = new Promise((resolve) => { t = setTimeout(() => resolve('timeout'), ms); });
  return Promise.race([p.then(() => 'ok', (err) => ({ err })), timeout]).finally(() => clearTimeout(t));
}

/**
 * CPU time (user + sys, ms) the dev server listening on `address` has used so far, from /proc (Linux);
 * undefined elsewhere or when the process is not found. The server shares the 2 cores with the worker,
 * so an update's latency under load follows what both spend on it.
 */
function serverCpuMs(address) {
  if (process.platform !== 'linux') return undefined;
  const port = String(address).split(':').pop();
  let ticks;
  try {
    ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    ticks = 100;
  }
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let args;
    try {
      args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!args.includes('start-dev') || args[args.indexOf('--port') + 1] !== port) continue;
    // After the command name's ') ': [0] is field 3 (state) of /proc/pid/stat, so utime (14) is [11], stime (15) [12].
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks;
  }
  return undefined;
}

async function sweep(env, kind, { baselineBundle, resultsDir, runsDir }) {
  const client = env.client;
  const tq = `bench-sweep-${kind}`;
  const maxCached = workerCacheSize();
  const w = spawnWorker(kind, env.address, tq, resultsDir, kind === 'ack' ? 'prebuilt' : baselineBundle);
  await w.ready;
  const idle = await settle(w);
  const open = []; // handles, in start order (= the worker's LRU order: nothing wakes an open timer)
  const updated = new Set(); // handles already updated (a poked baseline stays open): not picked again
  const points = [];
  let seq = 0;
  let acked = 0;
  let aborted = false;
  const guard = (st) => {
    if (aborted) throw new Error('sweep stopped');
    if (st.rss / MiB > RSS_ABORT_MIB) aborted = true;
    if (aborted) throw new Error(`worker RSS ${(st.rss / MiB).toFixed(0)} MiB passed ${RSS_ABORT_MIB} MiB (BENCH_OPEN_RSS_ABORT_MIB): sweep stopped to spare the shared machine`);
  };
  try {
    for (const count of OPEN_COUNTS) {
      try {
        await sweepPoint(count);
      } catch (err) {
        aborted = true;
        // A worker that dies (out of memory) or a server that stops answering: the point says so.
        say(`sweep ${kind} @${count}: failed: ${err.message ?? err}`);
        points.push({ count, maxCached, acks: [], error: String(err.message ?? err).slice(0, 300), open: seq - acked });
        break;
      }
    }
  } finally {
    await w.stop();
  }
  // The open workflows are left to the dev server, which the benchmark tears down next.
  return points;

  async function sweepPoint(count) {
    {
      const need = count - open.length;
      const t0 = Date.now();
      let lastSay = t0;
      let done = 0;
      const batch = new Array(Math.max(0, need));
      await pool(Math.max(0, need), OPEN_C, async (j) => {
        if (aborted) throw new Error('sweep stopped');
        const i = seq++;
        let h;
        if (kind === 'baseline') {
          h = await client.workflow.start('baselineAckTimerWorkflow', { taskQueue: tq, workflowId: `bench-sweep-base-${i}`, args: [86400] });
        } else {
          const runId = `bench-sweep-${i}`;
          fs.mkdirSync(path.join(runsDir, runId), { recursive: true });
          h = await client.workflow.start('incidentAckWorkflow', {
            taskQueue: tq,
            workflowId: `bench-sweep-ack-${i}`,
            args: [{ runId, incidentId: 'inc-1', severity: 'critical', ackSlaSeconds: 86400, keepOpenAfterAckSeconds: 0 }],
          });
        }
        batch[j] = h;
        done++;
        if (done % 500 === 0) guard(await w.cpu());
        if (Date.now() - lastSay > 5000) {
          lastSay = Date.now();
          say(`sweep ${kind}: ${open.length + done}/${count} open, ${(done / ((Date.now() - t0) / 1000)).toFixed(1)} starts/s`);
        }
      });
      open.push(...batch.filter(Boolean));
      const startSeconds = (Date.now() - t0) / 1000;
      const t1 = Date.now();
      const m = await settle(w, 3000, 15 * 60000, guard);
      const settleSeconds = (Date.now() - t1) / 1000;
      say(`sweep ${kind}: ${open.length} open (started in ${startSeconds.toFixed(0)} s, worker settled in ${settleSeconds.toFixed(0)} s): RSS ${(m.rss / MiB).toFixed(0)} MiB`);
      // Updates while `count` are open, on runs picked at random; evicted = outside the last maxCached
      // started. First ACK_C at a time (the target's row), then one at a time (a person acking) on
      // other runs. In the baseline's second phase "evicted" is approximate: the first phase's pokes
      // brought up to OPEN_ACKS runs back into the cache (acked timers complete and leave it).
      await waitForQuiet(`sweep ${kind} @${count} updates`, QUIET, { maxWaitS: SWEEP_QUIET_MAX_WAIT_S });
      const burst = await updatePhase(ACK_C);
      const single = await updatePhase(1);
      // The baseline's closing ack (a no-op local activity, then the timer closes) on other runs:
      // the least an ack that records and closes costs, beside the ack's rows.
      // At a count too small for four phases of distinct runs the later phases are left out.
      const closing = kind === 'baseline' ? { burst: await updatePhase(ACK_C, 'ack'), single: await updatePhase(1, 'ack') } : undefined;
      points.push({ count, rss: m.rss, peakRss: m.maxRss, rssIdle: idle.rss, startSeconds, settleSeconds, busyAtEnd: m.busyAtEnd, maxCached, ...burst, ...(single ? { single } : {}), ...(closing?.burst ? { closing } : {}) });
    }
  }

  /**
   * OPEN_ACKS updates on distinct open runs picked at random (none updated before), `concurrency` at
   * a time: ack `acknowledge`; baseline `poke`, or with `update` 'ack' its closing ack.
   */
  async function updatePhase(concurrency, update = kind === 'ack' ? 'acknowledge' : 'poke') {
    const openAtStart = open.length;
    const fresh = open.map((h, k) => k).filter((k) => !updated.has(open[k]));
    const picks = new Set();
    while (picks.size < Math.min(OPEN_ACKS, fresh.length)) picks.add(fresh[Math.floor(Math.random() * fresh.length)]);
    const cutoff = open.length - maxCached;
    const chosen = [...picks].map((k) => ({ h: open[k], evicted: k < cutoff, k }));
    // Every open run was updated before (the baseline's four phases at a small count): no phase.
    if (!chosen.length) return undefined;
    for (const c of chosen) updated.add(c.h);
    const acks = [];
    const cpu0 = await w.cpu();
    const srv0 = serverCpuMs(env.address);
    await pool(chosen.length, concurrency, async (j) => {
      const { h, evicted } = chosen[j];
      const a0 = performance.now();
      const r = await withTimeout(update === 'acknowledge' ? h.executeUpdate(update, { args: [{ ackBy: 'bench' }] }) : h.executeUpdate(update), ACK_TIMEOUT_MS);
      const ms = Math.min(performance.now() - a0, ACK_TIMEOUT_MS);
      acks.push({ ms, evicted, timedOut: r === 'timeout', error: r.err ? String(r.err.message ?? r.err) : undefined });
    });
    // CPU per update over the update phase: the worker's and the dev server's (both on the same cores).
    const cpu1 = await w.cpu();
    const srv1 = serverCpuMs(env.address);
    const cpuPerUpdate = {
      worker: (cpu1.cpuUs - cpu0.cpuUs) / 1000 / chosen.length,
      ...(srv0 !== undefined && srv1 !== undefined ? { server: (srv1 - srv0) / chosen.length } : {}),
    };
    // Acked timers complete (ack: keepOpenAfterAckSeconds 0): no longer open. Poked baselines stay open.
    if (update !== 'poke') {
      acked += chosen.length;
      const gone = new Set(chosen.map((c) => c.k));
      const keep = open.filter((_, k) => !gone.has(k));
      open.length = 0;
      open.push(...keep);
    }
    const lat = acks.map((a) => a.ms);
    const ev = acks.filter((a) => a.evicted).map((a) => a.ms);
    const bad = acks.filter((a) => a.timedOut || a.error);
    say(`sweep ${kind} @${openAtStart} open, ${concurrency} at a time, ${update}: update p50 ${pctOf(lat, 50)?.toFixed(0)} ms, p99 ${pctOf(lat, 99)?.toFixed(0)} ms (${ev.length} evicted, p99 ${pctOf(ev, 99)?.toFixed(0) ?? 'n/a'} ms); CPU per update ${f0(cpuPerUpdate.worker, 1)} + ${f0(cpuPerUpdate.server, 1)} ms${bad.length ? `; ${bad.length} timed out or failed: ${bad[0].error ?? 'timeout'}` : ''}`);
    return { acks, cpuPerUpdate, concurrency, openAtUpdates: openAtStart, update };
  }
}

const R = { start: { ack: [], baseline: [], ackFromSource: [] }, tput: { ack: [], baseline: [] }, cpu: { ack: [], baseline: [] }, mem: { ack: [], baseline: [] }, rssOpen: { ack: [], baseline: [] }, replay: { ack: [], baseline: [], baselineAck: [] }, replayNoHook: { ack: [], baseline: [] }, replayFirst: { ack: [], baseline: [] }, replayWall: { ack: [], baseline: [] }, ackP99: [], ackP50: [] };
const ratios = { tput: [], cpu: [], mem: [], replay: [], replayVsAckShape: [], replayNoHook: [], start: [] };
/** Each repetition's wait for a quiet machine (bench/lib/quiet.js), for the reports. */
const QUIET = [];
/** Events in each replayed history (from bench/replay.js), for the replay row's reason. */
const REPLAY_EVENTS = {};

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

  /**
   * Records bench/baseline/ack-history.json once (then commit it): a baselineAckTimerWorkflow whose
   * `ack` arrives after its first workflow task has started the timer, as an ack reaches an open timer.
   */
  async function recordAckShapedHistory(tq) {
    const h = await client.workflow.start('baselineAckTimerWorkflow', { taskQueue: tq, workflowId: `bench-base-ack-${seq++}`, args: [86400] });
    const deadline = Date.now() + 30000;
    while (!(await h.fetchHistory()).events?.some((e) => e.timerStartedEventAttributes)) {
      if (Date.now() > deadline) throw new Error('the ack-shaped baseline started no timer within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    await h.executeUpdate('ack');
    await h.result();
    await saveHistory(BASELINE_ACK_HISTORY, await h.fetchHistory());
  }

  /** Writes a recorded history to be committed, atomically: a run cut short leaves no half a file to be replayed later. */
  async function saveHistory(file, history) {
    const { historyToJSON } = require('@temporalio/common/lib/proto-utils');
    await require(path.join(DIST, 'io', 'files')).writeFileAtomic(file, `${historyToJSON(history)}\n`);
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
    if (kind === 'baseline' && !fs.existsSync(BASELINE_ACK_HISTORY)) await recordAckShapedHistory(tq);
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

  function replay(bundle, history, hook = 'on') {
    const out = execFileSync(process.execPath, [path.join(__dirname, 'replay.js'), bundle, history, String(REPLAYS), `hook=${hook}`], { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop());
    REPLAY_EVENTS[history === ACK_HISTORY ? 'ack' : history === BASELINE_ACK_HISTORY ? 'baselineAck' : 'baseline'] = r.events;
    return r;
  }

  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? ['ack', 'baseline'] : ['baseline', 'ack'];
    const got = {};
    for (const kind of order) {
      await waitForQuiet(`round ${round + 1} ${kind}`, QUIET);
      got[kind] = await phase(kind, round);
    }
    if (!fs.existsSync(BASELINE_HISTORY)) {
      // Record the baseline's committed history once (then commit bench/baseline/history.json).
      await saveHistory(BASELINE_HISTORY, await client.workflow.getHandle(`bench-base-0`).fetchHistory());
    }
    // Worker start bundling from source (what `node dist/worker.js` did before the build made the bundle).
    await waitForQuiet(`round ${round + 1} start from source`, QUIET);
    const src = spawnWorker('ack', address, `bench-src-${round}`, resultsDir, 'source');
    R.start.ackFromSource.push(await src.ready);
    await src.stop();
    const rp = {};
    await waitForQuiet(`round ${round + 1} replays`, QUIET);
    for (const kind of order) rp[kind] = kind === 'ack' ? replay('prebuilt', ACK_HISTORY) : replay(baselineBundle, BASELINE_HISTORY);
    const ackShape = replay(baselineBundle, BASELINE_ACK_HISTORY);
    R.replay.baselineAck.push(ackShape.msPerHistory);
    ratios.replayVsAckShape.push(rp.ack.msPerHistory / ackShape.msPerHistory);
    // Not judged: both again with the SDK's stack-trace promise hook taken out (bench/replay.js hook=off).
    const noHook = {};
    for (const kind of order) noHook[kind] = kind === 'ack' ? replay('prebuilt', ACK_HISTORY, 'off') : replay(baselineBundle, BASELINE_HISTORY, 'off');
    for (const kind of order) R.replayNoHook[kind].push(noHook[kind].msPerHistory);
    ratios.replayNoHook.push(noHook.ack.msPerHistory / noHook.baseline.msPerHistory);
    for (const kind of order) {
      R.replay[kind].push(rp[kind].msPerHistory);
      R.replayFirst[kind].push(rp[kind].firstMs);
      R.replayWall[kind].push(rp[kind].wallPerHistory);
    }
    ratios.tput.push(got.ack.tput / got.baseline.tput);
    ratios.cpu.push(got.ack.cpu / got.baseline.cpu);
    ratios.mem.push(got.ack.mem / got.baseline.mem);
    ratios.replay.push(rp.ack.msPerHistory / rp.baseline.msPerHistory);
    ratios.start.push(R.start.ack.at(-1) / R.start.baseline.at(-1));
    // The report after every round: a run cut short still leaves its completed rounds.
    report({ rounds: round + 1 });
    say(`round ${round + 1}: ack start from source ${R.start.ackFromSource.at(-1).toFixed(0)} ms; replay ack ${rp.ack.msPerHistory.toFixed(1)} ms, baseline ${rp.baseline.msPerHistory.toFixed(1)} ms, ack-shaped baseline ${ackShape.msPerHistory.toFixed(1)} ms per history; without the SDK's promise hook ack ${noHook.ack.msPerHistory.toFixed(1)}, baseline ${noHook.baseline.msPerHistory.toFixed(1)} ms`);
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
    'A shared host: absolute figures move between runs of the same code, even with every repetition started',
    'quiet (below); each round runs baseline and ack back to back (order alternating), ratios are taken per round,',
    'and the tables give the median (min–max) over rounds.',
    quietSummary(QUIET),
    '',
    `Settings: ${rounds} of ${ROUNDS} rounds done; ${N} workflows at concurrency ${C} (after ${C} warm-up); ${OPEN} open workflows for memory;`,
    `${REPLAYS} replays per history; maxCachedWorkflows ${maxCached}; each worker in its own process (CPU and RSS are the worker's).`,
    'Baseline (bench/baseline/workflows.js): one no-op activity; an open 1-day sleep for memory. Ack: start →',
    '`acknowledge` update → complete (keepOpenAfterAckSeconds 0), real activities (run-file watch, ack record);',
    'open ack timers are unacknowledged with a 1-day SLA. Memory is worker RSS after a full GC (workflows run in',
    "the SDK's worker threads, so the main thread's heap figure would miss them); the ack figure includes its",
    'run-file watch activities, as every open ack timer has them in production.',
    '',
    '| figure | incidentAckWorkflow | minimal baseline | ratio (median of per-round) | target | |',
    '|---|---|---|---|---|---|',
    `| throughput, wf/s | ${m(R.tput.ack)} | ${m(R.tput.baseline)} | ${m(ratios.tput, 2)} | ≥ ${TARGETS.throughputRatio}× and ≥ ${TARGETS.ackPerSec} ack wf/s | ${ok(tputR >= TARGETS.throughputRatio && ackTput >= TARGETS.ackPerSec)} |`,
    `| worker CPU per workflow, ms | ${m(R.cpu.ack)} | ${m(R.cpu.baseline)} | ${m(ratios.cpu, 2)} | — | |`,
    `| memory per cached run (RSS), MiB | ${m(mib(R.mem.ack), 3)} | ${m(mib(R.mem.baseline), 3)} | ${m(ratios.mem, 2)} | ≤ ${TARGETS.memoryRatio}× | ${ok(memRssR <= TARGETS.memoryRatio)} |`,
    `| worker RSS with ${OPEN} open, MiB | ${m(mib(R.rssOpen.ack), 0)} | ${m(mib(R.rssOpen.baseline), 0)} | — | — | |`,
    `| replay of a committed history, per history after the first through one replay worker, ms | ${m(R.replay.ack)} | ${m(R.replay.baseline)} | ${m(ratios.replay, 2)} | ≤ ${TARGETS.replayRatio}× | ${ok(replayR <= TARGETS.replayRatio)} |`,
    `| replay, beside the ack-shaped baseline's history (not the target's baseline; see below), ms | ${m(R.replay.ack)} | ${m(R.replay.baselineAck)} | ${m(ratios.replayVsAckShape, 2)} | — | |`,
    `| replay with the SDK's stack-trace promise hook taken out of both (a measurement, not a product setting; see below), ms | ${m(R.replayNoHook.ack)} | ${m(R.replayNoHook.baseline)} | ${m(ratios.replayNoHook, 2)} | — | |`,
    `| replay: the replay worker's creation and the first history, ms | ${m(R.replayFirst.ack)} | ${m(R.replayFirst.baseline)} | — | — | |`,
    `| replay: the whole call / ${REPLAYS} (creation included; the figure before stop 33), ms | ${m(R.replayWall.ack)} | ${m(R.replayWall.baseline)} | — | — | |`,
    `| worker start (process → polling), prebuilt bundle, ms | ${m(R.start.ack, 0)} | ${m(R.start.baseline, 0)} | ${m(ratios.start, 2)} | ≤ ${TARGETS.startMs} ms | ${ok(startAck <= TARGETS.startMs)} |`,
    `| worker start bundling from source, ms | ${m(R.start.ackFromSource, 0)} | — | — | — | |`,
    `| acknowledge update latency at concurrency ${C}, ms | p50 ${m(R.ackP50, 0)}, p99 ${m(R.ackP99, 0)} | — | — | — | |`,
    '',
    `Prebuilt bundle: dist/workflow-bundle.js ${bundleMiB.toFixed(2)} MiB + external map ${mapMiB.toFixed(2)} MiB; its manifest guards ${check.files} files.`,
    `Histories replayed: ack ${path.relative(ROOT, ACK_HISTORY)}, baseline ${path.relative(ROOT, BASELINE_HISTORY)}; beside them,`,
    `not judged, the baseline bundle on ${path.relative(ROOT, BASELINE_ACK_HISTORY)}: the least an ack timer does (a timer, an \`ack\``,
    `update in a later workflow task running a no-op local activity, done; ${REPLAY_EVENTS.baselineAck ?? '?'} events), to show how much of the replay`,
    'ratio is that shape, which any acknowledgeable timer has, and how much is ours.',
    "Without the promise hook: the SDK captures and source-maps a stack for every promise workflow code makes (for the Web UI's",
    "stack trace view) and has no switch for it; bench/replay.js hook=off takes it out of both replays, in the benchmark's process only,",
    'to show how much of the replay ratio it is. The product keeps it (docs/decisions.md, stop 38).',
    '',
    ...sweepLines(maxCached),
  ];
  fs.writeFileSync(OUT, `${lines.join('\n')}\n`);
  say(lines.join('\n'));
  writeJson({ R, ratios, rounds, maxCached, bundleMiB, mapMiB });
}

const f0 = (x, d = 0) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const lats = (p, evictedOnly) => p.acks.filter((a) => !evictedOnly || a.evicted).map((a) => a.ms);
const failed = (p) => p.acks.filter((a) => a.timedOut || a.error).length;
/** `worker + server` CPU per update, ms (server n/a off Linux; older results have neither). */
const cpuCell = (p) => (p.cpuPerUpdate ? `${f0(p.cpuPerUpdate.worker, 1)} + ${f0(p.cpuPerUpdate.server, 1)}` : 'n/a');

function sweepLines(maxCached) {
  if (!SWEEP.ack.length && !SWEEP.baseline.length) {
    return [`Open-timer sweep: ${OPEN_COUNTS.length ? 'not finished' : 'skipped (BENCH_OPEN_COUNTS empty)'}.`, ''];
  }
  const base = (count) => SWEEP.baseline.find((p) => p.count === count);
  return [
    `## Open timers on one worker (maxCachedWorkflows ${maxCached})`,
    '',
    `One worker per kind, in its own process; open workflows topped up to each count (started at concurrency ${OPEN_C}); RSS after the worker`,
    `settled and a full GC; then ${OPEN_ACKS} updates ${ACK_C} at a time on open runs picked at random while that many were open, then`,
    `${OPEN_ACKS} more one at a time on other runs (a person acking; for the ack, ${OPEN_ACKS} fewer were then open) —`,
    'ack: `acknowledge` (the run then completes), baseline: `poke` (returns at once; the timer stays open). "Evicted": started before the last',
    `${maxCached} (the worker's cache is LRU and nothing wakes an open timer), so its update replays the history first. An update`,
    `slower than ${ACK_TIMEOUT_MS} ms counts as timed out at ${ACK_TIMEOUT_MS} ms. CPU per update: the worker process's and the dev`,
    'server\'s CPU time (user + sys) over the update phase, divided by the updates: the two share the same cores. It includes',
    'whatever else each did meanwhile (for the ack worker and its server: the run-file watches\' heartbeats and turned-away looks).',
    '',
    `| open | ack worker RSS, MiB | baseline RSS, MiB | ratio | ${ACK_C} at a time: ack update p50 / p99, ms | of them evicted: n, p99 ms | baseline update p50 / p99, ms | CPU per update, worker + server, ms: ack / baseline | one at a time: ack p50 / p99, ms (evicted: n, p99) | baseline p50 / p99, ms | CPU per update: ack / baseline | timed out / failed (ack) | start + settle, s (ack) |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...SWEEP.ack.map((p) => {
      if (p.error) return `| ${p.count.toLocaleString('en-US')} | failed with ${p.open} open: ${p.error.replace(/\|/g, '/')} | | | | | | | | | | | |`;
      const b = base(p.count);
      const l = lats(p);
      const e = lats(p, true);
      const bl = b ? lats(b) : [];
      const one = p.single ? lats(p.single) : [];
      const oneE = p.single ? lats(p.single, true) : [];
      const oneB = b?.single ? lats(b.single) : [];
      return `| ${p.count.toLocaleString('en-US')} | ${f0(p.rss / MiB)} | ${b ? f0(b.rss / MiB) : 'n/a'} | ${b ? f0(p.rss / b.rss, 2) : 'n/a'} | ${f0(pctOf(l, 50))} / ${f0(pctOf(l, 99))} | ${e.length}, ${f0(pctOf(e, 99))} | ${f0(pctOf(bl, 50))} / ${f0(pctOf(bl, 99))} | ${cpuCell(p)} / ${b ? cpuCell(b) : 'n/a'} | ${f0(pctOf(one, 50))} / ${f0(pctOf(one, 99))} (${oneE.length}, ${f0(pctOf(oneE, 99))}) | ${f0(pctOf(oneB, 50))} / ${f0(pctOf(oneB, 99))} | ${p.single ? cpuCell(p.single) : 'n/a'} / ${b?.single ? cpuCell(b.single) : 'n/a'} | ${failed(p) + (p.single ? failed(p.single) : 0)} | ${f0(p.startSeconds)} + ${f0(p.settleSeconds)} |`;
    }),
    '',
    ...closingLines(),
    `Targets (issue 12 Build 1): ${TARGETS.openTimers.toLocaleString('en-US')} open ack timers on one worker with RSS ≤ ${TARGETS.openRssMiB} MiB (1.5 GiB) and acknowledge p99 ≤ ${TARGETS.openAckP99Ms} ms including evicted runs — see docs/BENCHMARKS.md.`,
    `The issue names no concurrency for the acks; both loads are held to the target there. ${ACK_C} at a time on 2 cores keeps both`,
    'processes busy for the whole phase (a bulk ack); one at a time is a person acking.',
    '',
  ];
}

/** The baseline's closing `ack` per open count (after its pokes, on other runs). */
function closingLines() {
  const rows = SWEEP.baseline.filter((b) => b.closing?.burst);
  if (!rows.length) return [];
  const cell = (ph) => `${f0(pctOf(lats(ph), 50))} / ${f0(pctOf(lats(ph), 99))} (${lats(ph, true).length}, ${f0(pctOf(lats(ph, true), 99))})`;
  return [
    'The baseline\'s closing `ack`, on other runs after its pokes: a no-op local activity, then the timer closes. It is the least',
    'an ack that records itself and closes its timer costs on this server, and the ack rows in docs/BENCHMARKS.md stand beside it.',
    '',
    `| open | ${ACK_C} at a time: baseline \`ack\` p50 / p99, ms (evicted: n, p99) | CPU per update, worker + server, ms | one at a time: p50 / p99, ms (evicted: n, p99) | CPU per update, ms |`,
    '|---|---|---|---|---|',
    ...rows.map((b) => `| ${b.closing.burst.openAtUpdates.toLocaleString('en-US')} | ${cell(b.closing.burst)} | ${cpuCell(b.closing.burst)} | ${b.closing.single ? cell(b.closing.single) : 'n/a'} | ${b.closing.single ? cpuCell(b.closing.single) : 'n/a'} |`),
    '',
  ];
}

function writeJson({ R, ratios, rounds, maxCached, bundleMiB, mapMiB }) {
  const G = 'workflows';
  const ok = (b, why) => ({ met: b, reason: b ? undefined : why });
  const mib = (xs) => xs.map((x) => x / MiB);
  const tputR = median(ratios.tput);
  const ackTput = median(R.tput.ack);
  const figures = [
    figure({
      group: G, name: `incidentAckWorkflow throughput (start → acknowledge → complete), ${N} at concurrency ${C}`, unit: 'wf/s', samples: R.tput.ack,
      baseline: { label: 'one no-op activity', samples: R.tput.baseline }, ratioSamples: ratios.tput,
      target: `≥ ${TARGETS.throughputRatio}× baseline and ≥ ${TARGETS.ackPerSec} ack wf/s`,
      ...ok(
        tputR >= TARGETS.throughputRatio && ackTput >= TARGETS.ackPerSec,
        `${f0(ackTput, 1)} wf/s, ${f0(tputR, 2)}× baseline${median(R.tput.baseline) < TARGETS.ackPerSec ? `; the minimal baseline itself ran ${f0(median(R.tput.baseline), 1)} wf/s on this machine` : ''}`,
      ),
    }),
    figure({ group: G, name: 'worker CPU per workflow', unit: 'ms', samples: R.cpu.ack, baseline: { label: 'one no-op activity', samples: R.cpu.baseline }, ratioSamples: ratios.cpu }),
    figure({
      group: G, name: `memory per cached run (worker RSS / ${OPEN} open)`, unit: 'MiB', samples: mib(R.mem.ack), baseline: { label: 'open 1-day sleep', samples: mib(R.mem.baseline) }, ratioSamples: ratios.mem,
      target: `≤ ${TARGETS.memoryRatio}× baseline`, ...ok(median(ratios.mem) <= TARGETS.memoryRatio, `${f0(median(ratios.mem), 2)}× baseline`),
    }),
    figure({ group: G, name: `worker RSS with ${OPEN} open`, unit: 'MiB', samples: mib(R.rssOpen.ack), baseline: { label: 'open 1-day sleep', samples: mib(R.rssOpen.baseline) } }),
    figure({
      group: G, name: 'replay of a committed history (each history after the first through one replay worker)', unit: 'ms', samples: R.replay.ack, baseline: { label: 'baseline history', samples: R.replay.baseline }, ratioSamples: ratios.replay,
      target: `≤ ${TARGETS.replayRatio}× baseline`,
      ...ok(
        median(ratios.replay) <= TARGETS.replayRatio,
        `${f0(median(ratios.replay), 2)}× baseline${REPLAY_EVENTS.ack ? `; a history of ${REPLAY_EVENTS.ack} events (two timed waits, the watch, the ack) against the baseline's ${REPLAY_EVENTS.baseline}` : ''}${R.replay.baselineAck.length ? `; the ack timer's shape at its least (bench/baseline/ack-history.json) replays at ${f0(median(R.replay.baselineAck) / median(R.replay.baseline), 2)}× the baseline's, ours at ${f0(median(ratios.replayVsAckShape), 2)}× that` : ''}${R.replayNoHook.ack.length ? `; with the SDK's stack-trace promise hook taken out of both, ours at ${f0(median(ratios.replayNoHook), 2)}×` : ''}`,
      ),
    }),
    figure({
      group: G, name: "replay with the SDK's stack-trace promise hook taken out of both (a measurement, not a product setting; not judged)", unit: 'ms', samples: R.replayNoHook.ack, baseline: { label: 'baseline history, hook out', samples: R.replayNoHook.baseline }, ratioSamples: ratios.replayNoHook,
    }),
    figure({
      group: G, name: "replay beside the ack-shaped baseline's history (a timer, an ack update with a no-op local activity; not judged)", unit: 'ms', samples: R.replay.ack, baseline: { label: 'ack-shaped baseline history', samples: R.replay.baselineAck }, ratioSamples: ratios.replayVsAckShape,
    }),
    figure({ group: G, name: "replay: the replay worker's creation and the first history", unit: 'ms', samples: R.replayFirst.ack, baseline: { label: 'baseline history', samples: R.replayFirst.baseline } }),
    figure({ group: G, name: `replay: the whole call / ${REPLAYS} (creation included; the replay figure before stop 33)`, unit: 'ms', samples: R.replayWall.ack, baseline: { label: 'baseline history', samples: R.replayWall.baseline } }),
    figure({
      group: G, name: 'worker start (process → polling), prebuilt bundle', unit: 'ms', samples: R.start.ack, baseline: { label: 'baseline worker', samples: R.start.baseline }, ratioSamples: ratios.start,
      target: `≤ ${TARGETS.startMs} ms`,
      ...ok(
        median(R.start.ack) <= TARGETS.startMs,
        `median ${f0(median(R.start.ack))} ms${median(R.start.baseline) > TARGETS.startMs ? `; the minimal baseline worker itself took ${f0(median(R.start.baseline))} ms on this machine` : ''}`,
      ),
    }),
    figure({ group: G, name: 'worker start bundling from source (no prebuilt bundle)', unit: 'ms', samples: R.start.ackFromSource }),
    figure({ group: G, name: `acknowledge update latency p50 during the throughput phase (concurrency ${C})`, unit: 'ms', samples: R.ackP50 }),
    figure({ group: G, name: `acknowledge update latency p99 during the throughput phase (concurrency ${C})`, unit: 'ms', samples: R.ackP99 }),
    figure({ group: G, name: 'prebuilt workflow bundle size (map external)', unit: 'MiB', samples: [bundleMiB], note: `external map ${f0(mapMiB, 2)} MiB` }),
  ];
  const S = 'open timers';
  const base = (count) => SWEEP.baseline.find((p) => p.count === count);
  /**
   * The baseline beside one of the ack's update phases (`which`: 'burst', ACK_C at a time, or
   * 'single'): its closing `ack` (the same job at its least), or its `poke` when that did not run.
   */
  const baselineOf = (b, which) => {
    const closing = b?.closing?.[which];
    if (closing) return { phase: closing, label: 'baseline `ack` (a no-op local activity, then the timer closes)' };
    const poke = which === 'burst' ? b : b?.single;
    return poke ? { phase: poke, label: 'baseline `poke` update (the timer stays open)' } : undefined;
  };
  /** One update phase of the ack: its latencies, and its p99 (the target's row at the target's count). */
  const ackPhaseFigures = (ph, bl, how, isTarget) => {
    const l = lats(ph);
    const e = lats(ph, true);
    const p99 = pctOf(l, 99);
    const bad = failed(ph);
    const open = ph.openAtUpdates.toLocaleString('en-US');
    const blP99 = bl ? pctOf(lats(bl.phase), 99) : undefined;
    return [
      figure({
        group: S, name: `acknowledge latency with ${open} open, ${how}, ${l.length} random runs (${e.length} evicted)`, unit: 'ms', samples: l,
        ...(bl ? { baseline: { label: bl.label, samples: lats(bl.phase) } } : {}),
        note: `p99 ${f0(p99)} ms; evicted p99 ${f0(pctOf(e, 99))} ms; CPU per update ${cpuCell(ph)} ms worker + server${bl ? ` (baseline ${cpuCell(bl.phase)})` : ''}${bad ? `; ${bad} timed out (≥ ${ACK_TIMEOUT_MS} ms) or failed` : ''}`,
      }),
      figure({
        group: S, name: `acknowledge p99 with ${open} open, ${how}, including evicted runs`, unit: 'ms', samples: [p99],
        ...(bl ? { baseline: { label: `${bl.label}, p99`, samples: [blP99] } } : {}),
        target: isTarget ? `≤ ${TARGETS.openAckP99Ms} ms including evicted runs` : null,
        ...(isTarget
          ? ok(
              p99 <= TARGETS.openAckP99Ms && e.length > 0 && bad === 0,
              `p99 ${f0(p99)} ms over ${l.length} acks (${e.length} evicted)${bad ? `, ${bad} timed out or failed` : ''}${blP99 !== undefined && blP99 > TARGETS.openAckP99Ms ? `; the minimal baseline misses it too: its p99 ${f0(blP99)} ms at the same count and load` : ''}`,
            )
          : {}),
      }),
    ];
  };
  /** The baseline's `poke` (a no-op update; the timer stays open), for comparison with earlier runs. */
  const pokeFigure = (ph, how) => figure({
    group: S, name: `baseline \`poke\` update latency with ${ph.openAtUpdates.toLocaleString('en-US')} open, ${how}`, unit: 'ms', samples: lats(ph),
    note: `p99 ${f0(pctOf(lats(ph), 99))} ms; CPU per update ${cpuCell(ph)} ms worker + server`,
  });
  for (const p of SWEEP.ack) {
    const b = base(p.count);
    const isTarget = p.count === TARGETS.openTimers;
    if (p.error) {
      const why = `failed with ${p.open.toLocaleString('en-US')} of ${p.count.toLocaleString('en-US')} open: ${p.error}`;
      figures.push(
        figure({ group: S, name: `worker RSS with ${p.count.toLocaleString('en-US')} open ack timers`, unit: 'MiB', samples: [], target: isTarget ? `≤ ${TARGETS.openRssMiB} MiB (1.5 GiB)` : null, met: false, reason: why, note: isTarget ? undefined : why }),
        figure({ group: S, name: `acknowledge p99 with ${p.count.toLocaleString('en-US')} open, ${ACK_C} at a time, including evicted runs`, unit: 'ms', samples: [], target: isTarget ? `≤ ${TARGETS.openAckP99Ms} ms including evicted runs` : null, met: false, reason: why, note: isTarget ? undefined : why }),
      );
      continue;
    }
    figures.push(
      figure({
        group: S, name: `worker RSS with ${p.count.toLocaleString('en-US')} open ack timers (one worker, maxCachedWorkflows ${p.maxCached})`, unit: 'MiB', samples: [p.rss / MiB],
        note: `${p.busyAtEnd >= 0.05 ? `worker still ${f0(p.busyAtEnd * 100)}% busy after ${f0(p.settleSeconds)} s (settle cap), then` : 'after settling and'} a full GC; peak ${f0(p.peakRss / MiB)} MiB${b ? `, baseline peak ${f0(b.peakRss / MiB)} MiB` : ''}`,
        ...(b ? { baseline: { label: `${p.count.toLocaleString('en-US')} open 1-day baseline timers`, samples: [b.rss / MiB] } } : {}),
        target: isTarget ? `≤ ${TARGETS.openRssMiB} MiB (1.5 GiB)` : null, ...(isTarget ? ok(p.rss / MiB <= TARGETS.openRssMiB, `${f0(p.rss / MiB)} MiB`) : {}),
      }),
      ...ackPhaseFigures({ ...p, openAtUpdates: p.openAtUpdates ?? p.count }, baselineOf(b, 'burst'), `${ACK_C} at a time`, isTarget),
      // The same target, acks one at a time (a person acking), on other runs after the phase above.
      ...(p.single ? ackPhaseFigures(p.single, baselineOf(b, 'single'), 'one at a time', isTarget) : []),
      ...(b?.closing?.burst ? [pokeFigure({ ...b, openAtUpdates: b.openAtUpdates ?? b.count }, `${ACK_C} at a time`), ...(b.single ? [pokeFigure(b.single, 'one at a time')] : [])] : []),
    );
  }
  if (!SWEEP.ack.some((p) => p.count === TARGETS.openTimers)) {
    const why = `not run: BENCH_OPEN_COUNTS=${OPEN_COUNTS.join(',') || '(empty)'}${OPEN_COUNTS.length && !SWEEP.ack.length ? ' (sweep not finished)' : ''}`;
    figures.push(
      figure({ group: S, name: `worker RSS with ${TARGETS.openTimers.toLocaleString('en-US')} open ack timers`, unit: 'MiB', samples: [], target: `≤ ${TARGETS.openRssMiB} MiB (1.5 GiB)`, met: null, reason: why }),
      figure({ group: S, name: `acknowledge p99 with ${TARGETS.openTimers.toLocaleString('en-US')} open, ${ACK_C} at a time, including evicted runs`, unit: 'ms', samples: [], target: `≤ ${TARGETS.openAckP99Ms} ms including evicted runs`, met: null, reason: why }),
    );
  }
  const curve = (kind) => SWEEP[kind].filter((p) => !p.error).map((p) => [p.count, Number((p.rss / MiB).toFixed(1))]);
  const curves = SWEEP.ack.length || SWEEP.baseline.length
    ? [{
      id: 'memory', title: 'Worker RSS vs open workflows (one worker)', x: 'open workflows', y: 'worker RSS, MiB',
      series: [{ label: 'incidentAckWorkflow (open ack timers)', points: curve('ack') }, { label: 'baseline (open 1-day timer)', points: curve('baseline') }],
      limit: { label: `target: ≤ ${TARGETS.openRssMiB} MiB at ${TARGETS.openTimers.toLocaleString('en-US')}`, y: TARGETS.openRssMiB },
      note: `maxCachedWorkflows ${maxCached}`,
    }]
    : undefined;
  const settings = Object.fromEntries(ENV_KEYS.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
  writeResult('workflows', {
    title: 'Workflows beside a minimal baseline', command: COMMAND, settings, startedAt: STARTED, report: 'bench/workflows.md', figures, curves,
    notes: [`${rounds} of ${ROUNDS} rounds; ${N} workflows at concurrency ${C}; ${OPEN} open for memory per cached run; ${REPLAYS} replays per history; maxCachedWorkflows ${maxCached}`, `open-timer sweep: ${OPEN_COUNTS.join(', ') || 'skipped'}; ${OPEN_ACKS} updates per point ${ACK_C} at a time, then ${OPEN_ACKS} one at a time`, quietSummary(QUIET).replace(/\.$/, '')],
  });
}

let tearingDown = false;
process.on('uncaughtException', (err) => {
  if (tearingDown && /Channel has been shut down/.test(String(err?.message))) return;
  say(`bench/workflows: ${err?.stack ?? err}`);
  process.exit(1);
});

main().then(() => process.exit(process.exitCode ?? 0), (err) => {
  say(`bench/workflows: ${err.stack ?? err}`);
  process.exit(1);
});
