'use strict';
// Minimal baseline workflows for bench/workflows.js: what any Temporal app pays, nothing of ours.
const { proxyActivities, sleep } = require('@temporalio/workflow');

const { noop } = proxyActivities({ startToCloseTimeout: '10 seconds' });

/** One no-op activity (the throughput and CPU baseline). */
async function baselineWorkflow() {
  await noop();
}

/** An open timer (the memory-per-cached-run baseline). */
async function baselineTimerWorkflow(seconds) {
  await sleep(seconds * 1000);
}

module.exports = { baselineWorkflow, baselineTimerWorkflow };
