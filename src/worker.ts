/**
 * The drill-runner worker: a builder (used by `drill dev`, the tests and the container) and a
 * guarded main. Workflow code comes from the prebuilt bundle `npm run build` leaves in dist/
 * (deploy/bundle-workflows.js) when its manifest still matches the compiled code
 * (src/prebuilt-bundle.ts); otherwise it is bundled from `./workflows` at start-up, with a warning
 * saying why (a `tsc` without the bundle step, or ts-node / tests running from src/).
 */
import './zod-english-only';
import path from 'node:path';
import { NativeConnection, Runtime, Worker, makeTelemetryFilterString, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { ACTIVITY_NAMES } from './activities/names';
import { DEFAULT_MAX_CACHED_WORKFLOWS, loadConfig, type Config } from './config';
import { deferredActivities } from './deferred-activities';
import type { TargetResolver } from './io/targets';
import { createLogger } from './logger';
import { temporalLoggerFor } from './temporal-logger';
import { BUNDLE_FILE, checkPrebuiltBundle } from './prebuilt-bundle';
import { startHealthServer } from './worker-health';
import { workflowWebpackConfig } from './workflow-bundle-options';
import { PRODUCT_HISTOGRAM_BUCKETS } from './workflows/product-metric-buckets';

/** Where `npm run build` leaves the prebuilt workflow bundle (beside it: its .map and manifest). */
export const PREBUILT_BUNDLE = path.join(__dirname, BUNDLE_FILE);
/** The payload converter of every worker and workflow bundle: undecodable payloads never wedge a workflow. */
export const PAYLOAD_CONVERTER_PATH = require.resolve('./payload-converter');

let runtimeInstalled = false;

/** Installs the Temporal Runtime once per process, before any connection or worker. */
export function installRuntime(config: Pick<Config, 'metricsAddress' | 'log'>, logger: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: temporalLoggerFor(logger, config.log.level === 'debug' || config.log.level === 'trace' ? 'DEBUG' : 'INFO'),
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) },
      ...(config.metricsAddress
        ? { metrics: { prometheus: { bindAddress: config.metricsAddress, histogramBucketOverrides: PRODUCT_HISTOGRAM_BUCKETS } } }
        : {}),
    },
  });
}

export interface BuildWorkerOptions {
  config: Config;
  connection: NativeConnection;
  /** Hears why the prebuilt bundle was not used (when it was not). */
  logger?: Pick<Logger, 'warn' | 'debug'>;
  /** Override the workflow source (tests pass a bundle built once per file). */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Override or extend activities (tests). */
  activities?: object;
  /** The targets the activities act on (default: the targets file; `drill dev`: the one it wrote). */
  targets?: TargetResolver;
  taskQueue?: string;
}

/**
 * The prebuilt bundle when it is there and current, else the workflow sources to bundle now. A
 * stale or missing bundle is never used: `logger` (when given) hears why start-up bundles instead.
 */
export function workflowSource(
  logger?: Pick<Logger, 'warn' | 'debug'>,
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'> & { bundleSha256?: string } {
  const check = checkPrebuiltBundle(path.dirname(PREBUILT_BUNDLE));
  if (check.ok) {
    logger?.debug({ bundle: PREBUILT_BUNDLE, guardedFiles: check.files }, 'prebuilt workflow bundle');
    return { workflowBundle: { code: check.code }, bundleSha256: check.bundleSha256 };
  }
  // From src/ (tests, ts-node) there is no prebuilt bundle by design: bundling is the normal path.
  const fromSource = path.extname(__filename) === '.ts';
  if (!fromSource) logger?.warn({ reason: check.reason }, 'not using the prebuilt workflow bundle: bundling at start-up (run `npm run build`)');
  return { workflowsPath: require.resolve('./workflows'), bundlerOptions: { webpackConfigHook: workflowWebpackConfig } };
}

/**
 * Worker Deployment options from config. Versioning on: the worker polls as `<name>.<buildId>` and
 * workflows without their own behaviour are PINNED (src/workflows/versioning.ts sets each one).
 * Versioning off: an unversioned worker, as before (a build id then only names the drill reports).
 */
export function deploymentOptions(d: Config['deployment']): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  if (!d.version || !d.versioning) return {};
  return {
    workerDeploymentOptions: { version: d.version, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' },
  };
}

/**
 * Node loads its HTTP client (undici) on the first `fetch`, ~35 ms on this machine: without this, the
 * first page or target probe after a worker starts pays for it (bench/drill-timing.md: the first
 * drill's preflight). A `data:` URL: no network, nothing sent.
 */
function warmHttpClient(): void {
  fetch('data:,')
    .then((r) => r.arrayBuffer())
    .catch(() => undefined);
}

export async function buildWorker(opts: BuildWorkerOptions): Promise<Worker> {
  const { config } = opts;
  const { bundleSha256, ...source } = opts.workflowBundle ? { workflowBundle: opts.workflowBundle, bundleSha256: undefined } : workflowSource(opts.logger);
  const options = (activities: object): WorkerOptions => ({
    connection: opts.connection,
    namespace: config.temporal.namespace,
    taskQueue: opts.taskQueue ?? config.taskQueue,
    ...source,
    activities,
    dataConverter: { payloadConverterPath: PAYLOAD_CONVERTER_PATH },
    ...deploymentOptions(config.deployment),
    // Bounded: each cached run holds its own module cache in the workflow VM (bench/workflows.md).
    maxCachedWorkflows: config.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS,
    // Give in-flight activities time to finish on SIGTERM (a deploy), then stop.
    shutdownGraceTime: '10 seconds',
    // A worker killed without a goodbye keeps its workflows' tasks on its sticky queue until this
    // passes: short, so another worker takes over in seconds (it replays the history; cheap).
    stickyQueueScheduleToStartTimeout: '2 seconds',
  });
  if (opts.activities) {
    warmHttpClient();
    return Worker.create(options(opts.activities));
  }
  // The activities' code and Node's HTTP client load while the SDK starts its workflow thread
  // (src/deferred-activities.ts); the worker only polls once `run()` is called, after they are in place.
  const deferred = deferredActivities(ACTIVITY_NAMES);
  const creating = Worker.create(options(deferred.activities));
  creating.catch(() => undefined); // awaited below; a load failure first must not leave it unhandled
  await new Promise<void>((resolve) => setImmediate(resolve));
  warmHttpClient();
  const { createActivities } = await import('./activities');
  // The drill report names the procedure that ran: the prebuilt bundle's hash (none when bundled at start).
  deferred.provide(
    createActivities({ config, ...(opts.targets ? { targets: opts.targets } : {}), ...(bundleSha256 ? { workflowBundleSha256: bundleSha256 } : {}) }),
  );
  return creating;
}

export async function connectWorker(config: Config): Promise<NativeConnection> {
  return NativeConnection.connect(config.temporal.connectionOptions);
}

export interface WorkerStarted {
  taskQueue: string;
  namespace: string;
  address: string;
  version: string | null;
  versioning: Config['deployment']['versioning'];
  health?: string;
}

/** Runs a worker until SIGINT/SIGTERM; `onStarted` hears what it logs as `worker started`. */
export async function runWorker(config: Config, logger: Logger, onStarted?: (started: WorkerStarted) => void): Promise<void> {
  installRuntime(config, logger);
  const connection = await connectWorker(config);
  try {
    const worker = await buildWorker({ config, connection, logger });
    const health = config.healthAddress
      ? await startHealthServer({
          address: config.healthAddress,
          inputs: () => ({
            state: worker.getState(),
            taskQueue: config.taskQueue,
            namespace: config.temporal.namespace,
            versioning: config.deployment.versioning,
            ...(config.deployment.version ? { version: config.deployment.version } : {}),
          }),
          pingServer: () => connection.workflowService.getSystemInfo({}),
          logger,
        })
      : undefined;
    const v = config.deployment.version;
    const version = v ? `${v.deploymentName}.${v.buildId}` : null;
    const started: WorkerStarted = {
      taskQueue: config.taskQueue,
      namespace: config.temporal.namespace,
      address: config.temporal.address,
      version,
      versioning: config.deployment.versioning,
      ...(health ? { health: health.url } : {}),
    };
    logger.info(started, 'worker started');
    try {
      const running = worker.run();
      onStarted?.(started);
      await running;
    } finally {
      await health?.close();
    }
    logger.info('worker stopped');
  } finally {
    // A worker that failed before it ran still holds the connection: that must not hide its error.
    await connection.close().catch((err: unknown) => logger.warn({ err }, 'could not close the server connection'));
  }
}

if (require.main === module) {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty });
  runWorker(config, logger).then(
    () => process.exit(0),
    (err) => {
      logger.error({ err }, 'worker failed');
      process.exit(1);
    },
  );
}
