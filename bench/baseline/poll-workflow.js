'use strict';
// Baseline for bench/drill-timing.js: how late a timer-polled wait (the drill's pre-long-poll loop)
// learns of a target record. A worker with bench/baseline/workflows.js; per round, a workflow polls
// the sandbox's order reconciliation file (one activity per poll, a `pollMs` timer between) until a
// line newer than the round's start appears; lag = the completion event time of the activity that
// saw it minus the line's own `ts`.
const fs = require('node:fs');
const path = require('node:path');

async function lastRecordTs(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const lines = text.trimEnd().split('\n');
  try {
    return JSON.parse(lines.at(-1)).ts ?? null;
  } catch {
    return null;
  }
}

async function runBaselinePolls({ client, config, runId, pollMs, rounds }) {
  const { Worker, DefaultLogger, NativeConnection, bundleWorkflowCode } = require('@temporalio/worker');
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const taskQueue = 'bench-baseline-poll';
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows.js'), logger: new DefaultLogger('WARN') });
  const worker = await Worker.create({ connection, taskQueue, workflowBundle: bundle, activities: { lastRecordTs, noop: async () => undefined } });
  const file = path.join(config.runsDir, runId, 'order_reconciliation_events.jsonl');
  const lags = [];
  try {
    await worker.runUntil(async () => {
      for (let i = 0; i < rounds; i++) {
        // Start at a random point of the target's cycle, as a drill's wait does.
        await new Promise((r) => setTimeout(r, 300 + Math.random() * 1000));
        const handle = await client.workflow.start('baselinePollWorkflow', { taskQueue, workflowId: `bench-baseline-poll-${Date.now().toString(36)}-${i}`, args: [{ file, since: new Date().toISOString(), pollMs }] });
        const ts = await handle.result();
        const events = (await handle.fetchHistory()).events;
        const done = events.filter((e) => e.activityTaskCompletedEventAttributes).at(-1);
        const at = Number(done.eventTime.seconds) * 1000 + Math.floor(done.eventTime.nanos / 1e6);
        lags.push((at - Date.parse(ts)) / 1000);
      }
    });
  } finally {
    await connection.close();
  }
  return { lags };
}

module.exports = { runBaselinePolls, lastRecordTs };
