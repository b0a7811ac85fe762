'use strict';
// Minimal baseline workflows for bench/workflows.js: what any Temporal app pays, nothing of ours.
const { proxyActivities, proxyLocalActivities, sleep, condition, defineUpdate, setHandler } = require('@temporalio/workflow');

const { noop } = proxyActivities({ startToCloseTimeout: '10 seconds' });

/** One no-op activity (the throughput and CPU baseline). */
async function baselineWorkflow() {
  await noop();
}

/** `poke`: an update that returns at once (the baseline for the acknowledge update on open timers). */
const pokeUpdate = defineUpdate('poke');

/** An open timer (the memory-per-cached-run baseline); `poke` answers while it sleeps. */
async function baselineTimerWorkflow(seconds) {
  setHandler(pokeUpdate, () => true);
  await sleep(seconds * 1000);
}

/** `ack`: records (a no-op local activity, the ack's append) and closes the timer. */
const ackUpdate = defineUpdate('ack');
const { noop: noopLocal } = proxyLocalActivities({ startToCloseTimeout: '10 seconds' });

/**
 * The open-timer sweep's baseline: an open timer that answers `poke` at once and closes on `ack`
 * after a no-op local activity: the least any ack timer that records its ack and closes does.
 */
async function baselineAckTimerWorkflow(seconds) {
  let acked = false;
  setHandler(pokeUpdate, () => true);
  setHandler(ackUpdate, async () => {
    await noopLocal();
    acked = true;
    return true;
  });
  await condition(() => acked, seconds * 1000);
}

module.exports = { baselineWorkflow, baselineTimerWorkflow, baselineAckTimerWorkflow };

const { lastRecordTs } = proxyActivities({ startToCloseTimeout: '10 seconds' });

/**
 * The drill's wait loop before its long polls (bench/drill-timing.js's baseline): one activity per
 * poll and a workflow timer of `pollMs` between polls, until the target writes a record after `since`.
 */
async function baselinePollWorkflow({ file, since, pollMs }) {
  for (;;) {
    const ts = await lastRecordTs(file);
    if (ts && ts > since) return ts;
    await sleep(pollMs);
  }
}

module.exports.baselinePollWorkflow = baselinePollWorkflow;
