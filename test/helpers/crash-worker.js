/**
 * A drill-runner worker as a real process for fault tests, built from `dist/` (npm test builds it):
 * the production activities over a targets file, a prebuilt workflow bundle, and an optional crash
 * point on either side of one activity boundary:
 * - CRASH_AT=<activity name>: it kills itself (SIGKILL, no cleanup) when that activity starts for the
 *   first time (the activity's side effect has not happened);
 * - CRASH_AFTER=<activity name>: it runs that activity to completion the first time, then kills itself
 *   before the completion reaches the server (the side effect happened; the server will retry it).
 * A marker file (CRASH_MARKER) keeps the restarted worker from crashing again.
 *
 * Environment: TEMPORAL_ADDRESS, TASK_QUEUE, TARGETS_FILE, STATE_DIR, RUNS_DIR, WORKFLOW_BUNDLE,
 * PAGING_URL (optional), CRASH_AT or CRASH_AFTER, CRASH_MARKER. Promotion KPI files: <RUNS_DIR>/../kpi.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- a plain Node script run as a child process */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { NativeConnection, Worker, Runtime, DefaultLogger } = require('@temporalio/worker');
const dist = path.resolve(__dirname, '../../dist');
const { createActivities } = require(path.join(dist, 'activities'));
const { fileTargetResolver } = require(path.join(dist, 'io', 'targets'));

async function main() {
  const env = process.env;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const paging = env.PAGING_URL
    ? { enabled: true, webhookUrl: env.PAGING_URL, minSeverity: 'critical', format: 'json', timeoutMs: 2000 }
    : { enabled: false, minSeverity: 'critical', format: 'json', timeoutMs: 1000 };
  const activities = createActivities({ config: { paging, runsDir: env.RUNS_DIR, stateDir: env.STATE_DIR, kpiDir: path.join(path.dirname(env.RUNS_DIR), 'kpi') }, targets: fileTargetResolver(env.TARGETS_FILE) });
  const crashName = env.CRASH_AT || env.CRASH_AFTER;
  if (crashName) {
    const when = env.CRASH_AT ? 'before' : 'after';
    const original = activities[crashName];
    if (typeof original !== 'function') throw new Error(`no activity ${crashName}`);
    const die = async () => {
      fs.writeFileSync(env.CRASH_MARKER, `${new Date().toISOString()} ${crashName} ${when}\n`);
      process.kill(process.pid, 'SIGKILL');
      await new Promise(() => undefined);
    };
    activities[crashName] = async (...args) => {
      if (fs.existsSync(env.CRASH_MARKER)) return original(...args);
      if (when === 'before') await die();
      const result = await original(...args);
      if (!fs.existsSync(env.CRASH_MARKER)) await die();
      return result;
    };
  }
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    taskQueue: env.TASK_QUEUE,
    workflowBundle: { codePath: env.WORKFLOW_BUNDLE },
    activities,
    shutdownGraceTime: '1 second',
    // As the production worker (src/worker.ts): a dead worker's sticky tasks move on within 2 s.
    stickyQueueScheduleToStartTimeout: '2 seconds',
  });
  process.stdout.write('worker ready\n');
  process.on('SIGTERM', () => worker.shutdown());
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
