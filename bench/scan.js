'use strict';
// One measurement in its own process, so peak RSS (maxRSS) belongs to that reader alone.
// Usage: node bench/scan.js <mode> <file>   modes: raw | naive | tail | tail-full
// Prints one JSON line: { mode, bytes, seconds, mbPerSec, lines, peakRssMb }.
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const [mode, file] = process.argv.slice(2);
const dist = path.join(__dirname, '..', 'dist');

async function raw() {
  // Stream with the default 64 KiB chunks, no parsing: the disk/page-cache ceiling.
  let n = 0;
  for await (const chunk of fs.createReadStream(file)) for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
  return n;
}

async function naive() {
  // The baseline a hurried engineer writes: readline + JSON.parse, no validation.
  let n = 0;
  let mismatches = 0;
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line) continue;
    const v = JSON.parse(line);
    if (v.status === 'mismatch') mismatches++;
    n++;
  }
  if (n > 0 && mismatches < 0) throw new Error('unreachable'); // keep the read of v.status
  return n;
}

async function tail() {
  // The watcher's path: the artifact fold (light schema: cycle + status, folded into SloState),
  // called repeatedly with the activity's default per-call byte bound, as the workflow would.
  const { foldRunArtifacts } = require(path.join(dist, 'io', 'run-artifact-fold.js'));
  const { initialSloState } = require(path.join(dist, 'domain', 'slo-fold.js'));
  let cursors = {};
  let state = initialSloState();
  let lines = 0;
  for (;;) {
    const r = await foldRunArtifacts(path.dirname(file), cursors, state);
    cursors = r.cursors;
    state = r.state;
    lines += r.files.orderReconciliation.read + r.files.orderReconciliation.corrupt;
    if (!r.more) break;
  }
  if (state.order.cycles === 0) throw new Error('nothing folded');
  return lines;
}

async function tailFull() {
  // For comparison: the same reader with the full artifact schema per line.
  const { readNew } = require(path.join(dist, 'io', 'tail.js'));
  const { orderReconciliationEventSchema } = require(path.join(dist, 'domain', 'artifacts.js'));
  let cursor;
  let lines = 0;
  for (;;) {
    const r = await readNew(file, cursor, orderReconciliationEventSchema, { maxBytes: 64 * 1024 * 1024, onRecord: () => undefined });
    cursor = r.cursor;
    lines += r.count + r.corrupt;
    if (!r.more) break;
  }
  return lines;
}

const modes = { raw, naive, tail, 'tail-full': tailFull };

(async () => {
  const fn = modes[mode];
  if (!fn) throw new Error(`unknown mode ${mode}`);
  const bytes = fs.statSync(file).size;
  const t0 = process.hrtime.bigint();
  const lines = await fn();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ mode, bytes, seconds, mbPerSec: bytes / 1e6 / seconds, lines, peakRssMb })}\n`);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
