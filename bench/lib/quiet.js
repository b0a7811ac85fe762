'use strict';
// "Each repetition started on a quiet machine" (issue 12): before a repetition, wait until the whole
// machine (every process, ours included: the dev server idles here) has used at most
// BENCH_QUIET_MAX_BUSY of its CPUs (0.10) over two 1-second windows in a row; give up after
// BENCH_QUIET_MAX_WAIT_S (45; 0: do not wait) and start anyway. Every wait is logged so the report
// can say how many repetitions started quiet and how busy the others began.
const os = require('node:os');

const MAX_BUSY = Number(process.env.BENCH_QUIET_MAX_BUSY ?? 0.1);
const MAX_WAIT_S = Number(process.env.BENCH_QUIET_MAX_WAIT_S ?? 45);
const WINDOW_MS = 1000;
const WINDOWS = 2;
const ENV_KEYS = ['BENCH_QUIET_MAX_BUSY', 'BENCH_QUIET_MAX_WAIT_S'];

if (!(MAX_BUSY > 0 && MAX_BUSY <= 1)) throw new Error(`BENCH_QUIET_MAX_BUSY must be in (0, 1] (got ${process.env.BENCH_QUIET_MAX_BUSY})`);
if (!(MAX_WAIT_S >= 0)) throw new Error(`BENCH_QUIET_MAX_WAIT_S must be ≥ 0 (got ${process.env.BENCH_QUIET_MAX_WAIT_S})`);

/** Busy and total CPU time of the machine so far (ms, all CPUs). */
function cpuTimes() {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const b = times.user + times.nice + times.sys + times.irq;
    busy += b;
    total += b + times.idle;
  }
  return { busy, total };
}

/** The machine's busy fraction over the next `ms`. */
async function busyOver(ms) {
  const a = cpuTimes();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuTimes();
  return b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0;
}

/**
 * Waits for a quiet machine; returns (and keeps in `log`) { what, quiet, waitedS, busy }.
 * `opts.maxWaitS` replaces BENCH_QUIET_MAX_WAIT_S for this wait (0 included).
 */
async function waitForQuiet(what, log, opts = {}) {
  const maxWaitS = opts.maxWaitS ?? MAX_WAIT_S;
  if (!(maxWaitS >= 0)) throw new Error(`waitForQuiet: maxWaitS must be ≥ 0 (got ${opts.maxWaitS})`);
  const t0 = Date.now();
  let streak = 0;
  let busy = 0;
  if (maxWaitS === 0) {
    busy = await busyOver(WINDOW_MS);
    streak = busy <= MAX_BUSY ? WINDOWS : 0;
  } else {
    while (streak < WINDOWS && Date.now() - t0 < maxWaitS * 1000) {
      busy = await busyOver(WINDOW_MS);
      streak = busy <= MAX_BUSY ? streak + 1 : 0;
    }
  }
  const entry = { what, quiet: streak >= WINDOWS, waitedS: (Date.now() - t0) / 1000, busy, maxWaitS };
  log.push(entry);
  if (!entry.quiet) process.stderr.write(`quiet: ${what} starts with the machine ${(busy * 100).toFixed(0)}% busy (waited ${entry.waitedS.toFixed(0)} s)\n`);
  return entry;
}

/** One line for a report: how many repetitions started quiet, the waits, how busy the others began. */
function quietSummary(log) {
  if (!log.length) return 'Quiet starts: no repetitions logged.';
  const quiet = log.filter((e) => e.quiet);
  const loud = log.filter((e) => !e.quiet);
  const waits = log.map((e) => e.waitedS).sort((a, b) => a - b);
  const med = waits[Math.floor(waits.length / 2)];
  const rule = `≤ ${(MAX_BUSY * 100).toFixed(0)}% of the CPUs busy over ${WINDOWS} × ${WINDOW_MS / 1000} s`;
  const rest = loud.length
    ? `; ${loud.length} began anyway after waiting their longest (${loud.map((e) => `${e.what}: ${(e.busy * 100).toFixed(0)}% busy after ${e.maxWaitS} s`).join(', ')})`
    : '';
  return `Quiet starts: ${quiet.length} of ${log.length} repetitions began on a quiet machine (${rule}; waits median ${med.toFixed(0)} s, max ${waits.at(-1).toFixed(0)} s)${rest}.`;
}

module.exports = { waitForQuiet, quietSummary, ENV_KEYS };
