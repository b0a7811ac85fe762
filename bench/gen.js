'use strict';
// Synthetic order_reconciliation_events.jsonl lines, shaped like the target contract's
// (domain/artifacts.ts), about 140 bytes each; one mismatch in 997 cycles.
const fs = require('node:fs');

const T0 = Date.UTC(2025, 0, 1);

/** Lines for cycles starting at `cycle` until at least `bytes` bytes; returns the text and the next cycle. */
function makeLines(cycle, bytes) {
  const parts = [];
  let size = 0;
  let c = cycle;
  while (size < bytes) {
    const mismatch = c % 997 === 0;
    const line = `${JSON.stringify({
      ts: new Date(T0 + c * 1000).toISOString(),
      cycle: c,
      status: mismatch ? 'mismatch' : 'ok',
      orders_checked: 40 + (c % 13),
      mismatched_order_ids: mismatch ? [`ord-${c}`] : [],
      stuck_transitions: 0,
      latency_ms: (c * 7) % 250,
    })}\n`;
    parts.push(line);
    size += line.length; // ASCII
    c++;
  }
  return { text: parts.join(''), nextCycle: c };
}

/** Writes a file of at least `bytes` bytes in 8 MiB blocks; returns the next cycle number. */
function writeFile(file, bytes) {
  const fd = fs.openSync(file, 'w');
  let written = 0;
  let cycle = 1;
  try {
    while (written < bytes) {
      const block = makeLines(cycle, Math.min(8 * 1024 * 1024, bytes - written));
      fs.writeSync(fd, block.text);
      written += block.text.length;
      cycle = block.nextCycle;
    }
  } finally {
    fs.closeSync(fd);
  }
  return cycle;
}

module.exports = { makeLines, writeFile };
