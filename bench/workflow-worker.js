'use strict';
// One worker for bench/workflows.js, in its own process so its CPU and RSS are its own.
//   node --expose-gc bench/workflow-worker.js <ack|baseline> <address> <taskQueue> <resultsDir> <source>
// source: prebuilt (dist/workflow-bundle.js via workflowSource(), as `node dist/worker.js` does),
// source (bundle dist/workflows at start), or a path to a bundle file (baseline).
// Sends { ready, startMs, phases } over IPC — startMs: process start → worker RUNNING; phases: the
// start-up marks, ms since process start (bench/worker-start.js) — then answers { stats } (cpu µs,
// rss, heap) to 'stats' (after a full GC) or 'cpu' (no GC), and stops on 'stop'.
// First: when Node has booted and this file runs (before it loads anything).
const marks = { scriptStart: performance.now() };
const fs = require('node:fs');
const path = require('node:path');
const { NativeConnection, Runtime, DefaultLogger, Worker } = require('@temporalio/worker');
marks.sdkLoaded = performance.now();

const [kind, address, taskQueue, resultsDir, source] = process.argv.slice(2);
const dist = path.join(__dirname, '..', 'dist');

async function main() {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address });
  marks.connected = performance.now();
  let worker;
  if (kind === 'ack') {
    const { loadConfig } = require(path.join(dist, 'config'));
    const config = loadConfig({ ...process.env, TEMPORAL_ADDRESS: address, DRILL_TASK_QUEUE: taskQueue, DRILL_RESULTS_DIR: resultsDir, DRILL_LOG_LEVEL: 'warn' });
    marks.configLoaded = performance.now();
    const { buildWorker } = require(path.join(dist, 'worker'));
    marks.workerModuleLoaded = performance.now();
    const logger = { warn: (o, m) => process.stderr.write(`worker: ${m} ${JSON.stringify(o)}\n`), debug: () => undefined };
    const opts = { config, connection, logger };
    // source: bundle at start, as a worker does without (or with a stale) prebuilt bundle.
    worker = source === 'source' ? await Worker.create(await buildOptions(opts)) : await buildWorker(opts);
  } else {
    // The cache size comes from bench/workflows.js: loading drill-runner's config (zod and its
    // schemas) here would put part of our own start-up cost into the baseline's.
    const max = Number(process.env.DRILL_MAX_CACHED_WORKFLOWS);
    if (!Number.isInteger(max) || max < 1) throw new Error(`DRILL_MAX_CACHED_WORKFLOWS must be set to a positive integer (got ${process.env.DRILL_MAX_CACHED_WORKFLOWS})`);
    worker = await Worker.create({
      connection,
      taskQueue,
      workflowBundle: { code: fs.readFileSync(source, 'utf8') },
      activities: { noop: async () => undefined },
      maxCachedWorkflows: max,
      shutdownGraceTime: '1 second',
    });
  }
  marks.created = performance.now();
  const running = worker.run();
  while (worker.getState() !== 'RUNNING') await new Promise((r) => setTimeout(r, 2));
  marks.running = performance.now();
  process.send({ ready: true, startMs: marks.running, phases: { nodeBootstrapped: performance.nodeTiming.bootstrapComplete, ...marks } });
  // The benchmark went away (crashed, killed): stop instead of polling forever.
  process.on('disconnect', () => worker.getState() === 'RUNNING' && worker.shutdown());
  process.on('message', (m) => {
    if (m === 'stats' || m === 'cpu') {
      // 'cpu': no GC (settle() polls it every second; two full GCs a second would be its own load).
      if (m === 'stats') {
        global.gc?.();
        global.gc?.();
      }
      const mem = process.memoryUsage();
      const cpu = process.cpuUsage();
      process.send({ stats: { cpuUs: cpu.user + cpu.system, rss: mem.rss, maxRss: process.resourceUsage().maxRSS * 1024, heapUsed: mem.heapUsed } });
    } else if (m === 'stop') {
      worker.shutdown();
    }
  });
  await running;
  await connection.close();
  process.exit(0);
}

/** The ack worker's options with the workflow code bundled from dist/workflows at start-up. */
async function buildOptions(opts) {
  const { createActivities } = require(path.join(dist, 'activities'));
  const { PAYLOAD_CONVERTER_PATH } = require(path.join(dist, 'worker'));
  return {
    connection: opts.connection,
    taskQueue,
    workflowsPath: require.resolve(path.join(dist, 'workflows')),
    bundlerOptions: { webpackConfigHook: require(path.join(dist, 'workflow-bundle-options')).workflowWebpackConfig },
    activities: createActivities({ config: opts.config }),
    dataConverter: { payloadConverterPath: PAYLOAD_CONVERTER_PATH },
    maxCachedWorkflows: opts.config.maxCachedWorkflows,
  };
}

main().catch((err) => {
  process.stderr.write(`workflow-worker: ${err.stack ?? err}\n`);
  process.exit(1);
});
