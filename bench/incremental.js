'use strict';
// The cost of one watcher cycle after 1 MiB is appended, for files of different sizes.
// Usage: node bench/incremental.js <rounds> <dir>=<nextCycle> ...
// Each dir holds order_reconciliation_events.jsonl. The cursor starts at the end of the file (a
// watcher that has caught up), then each round appends 1 MiB and times one foldRunArtifacts call,
// the whole per-run read the tailRunArtifacts activity does.
const fs = require('node:fs');
const path = require('node:path');
const { makeLines } = require('./gen');

const dist = path.join(__dirname, '..', 'dist');
const { foldRunArtifacts } = require(path.join(dist, 'io', 'run-artifact-fold.js'));
const { initialSloState } = require(path.join(dist, 'domain', 'slo-fold.js'));

const [roundsArg, ...targets] = process.argv.slice(2);
const rounds = Number(roundsArg);
const MIB = 1024 * 1024;

(async () => {
  const results = [];
  for (const t of targets) {
    const [dir, next] = t.split('=');
    let cycle = Number(next);
    const file = path.join(dir, 'order_reconciliation_events.jsonl');
    const st = fs.statSync(file);
    let cursors = { orderReconciliation: { offset: st.size, inode: Number(st.ino), size: st.size } };
    let state = initialSloState();
    {
      // One untimed warm-up cycle (JIT, first open of this file).
      const block = makeLines(cycle, MIB);
      cycle = block.nextCycle;
      fs.appendFileSync(file, block.text);
      const out = await foldRunArtifacts(dir, cursors, state);
      cursors = out.cursors;
      state = out.state;
    }
    const ms = [];
    let bytes = 0;
    let records = 0;
    for (let r = 0; r < rounds; r++) {
      const block = makeLines(cycle, MIB);
      cycle = block.nextCycle;
      fs.appendFileSync(file, block.text);
      const t0 = process.hrtime.bigint();
      const out = await foldRunArtifacts(dir, cursors, state);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      cursors = out.cursors;
      state = out.state;
      bytes += out.files.orderReconciliation.read ? block.text.length : 0;
      records += out.files.orderReconciliation.read;
      if (out.more) throw new Error('one cycle should read the whole MiB');
    }
    ms.sort((a, b) => a - b);
    results.push({ fileBytes: st.size + MIB, rounds, medianMs: ms[Math.floor(ms.length / 2)], minMs: ms[0], maxMs: ms[ms.length - 1], samples: ms, recordsPerRound: records / rounds, bytesPerRound: bytes / rounds });
  }
  process.stdout.write(`${JSON.stringify({ results, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
