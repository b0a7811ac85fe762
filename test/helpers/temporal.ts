/**
 * Real Temporal servers for tests: the time-skipping test server (long timers in seconds) and the
 * Temporal CLI dev server (Schedules, visibility, search attributes). Both come from the pinned
 * per-user cache (`drill tools ensure`, run by `npm test`'s pretest step).
 */
import path from 'node:path';
import { Runtime, DefaultLogger, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ConnectionPlugin } from '@temporalio/client';
import { requireTool } from '../../src/tools/provision';
import { startDevServer, type DevServer } from '../../src/client/dev-server';
import { SA } from '../../src/search-attributes';
import { workflowWebpackConfig } from '../../src/workflow-bundle-options';
import { freePort } from './process';

let runtimeInstalled = false;

/** temporal.api.enums.v1.IndexedValueType codes. */
const SA_TYPE_CODE: Record<string, number> = { TEXT: 1, KEYWORD: 2, INT: 3, DOUBLE: 4, BOOL: 5, DATETIME: 6, KEYWORD_LIST: 7 };

/** Once per test file (each file has its own module registry), before any server or worker. */
export function installTestRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

/**
 * The Java-based test server allows a client keepalive ping only every 5 minutes; the SDK's client
 * pings every 30 s, and on a loaded machine (a long test file) the server answers GOAWAY
 * "too_many_pings", which can leave an in-flight call hanging. Ping less often than the server allows.
 */
const slowKeepalive: ConnectionPlugin = {
  name: 'drill-runner-test-keepalive',
  configureConnection: (options) => ({
    ...options,
    channelArgs: { ...(options.channelArgs ?? {}), 'grpc.keepalive_time_ms': 6 * 60 * 1000, 'grpc.keepalive_permit_without_calls': 0 },
  }),
};

export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  installTestRuntime();
  const server = requireTool('test-server');
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: server.path } },
    plugins: [slowKeepalive],
  });
  // The test server knows no custom search attributes until told (it has the operator API, not visibility).
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.values(SA).map((k) => [k.name, SA_TYPE_CODE[k.type] ?? 2])) as Record<string, never>,
  });
  return env;
}

export async function devServerEnv(): Promise<TestWorkflowEnvironment> {
  installTestRuntime();
  const cli = requireTool('temporal');
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli.path },
      ui: false,
      searchAttributes: Object.values(SA),
      extraArgs: ['--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true'],
    },
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle, built once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: path.resolve(__dirname, '../../src/workflows/index.ts'),
    payloadConverterPath: path.resolve(__dirname, '../../src/payload-converter.ts'),
    logger: new DefaultLogger('WARN'),
    webpackConfigHook: workflowWebpackConfig,
  });
  return bundle;
}

let counter = 0;
/** Fresh ids per test so nothing collides on a shared server. */
export function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/**
 * A dev server whose state is a SQLite file in `dir`, on a fixed `port`: it can be killed and started
 * again (the same call) with its workflows intact, as the fault tests do.
 */
export function startRestartableDevServer(dir: string, port: number, readyTimeoutMs?: number): Promise<DevServer> {
  return startDevServer({
    cliPath: requireTool('temporal').path,
    host: '127.0.0.1',
    port,
    uiPort: 0,
    namespace: 'default',
    headless: true,
    dbFile: path.join(dir, 'temporal.db'),
    logFile: path.join(dir, 'server.log'),
    ...(readyTimeoutMs ? { readyTimeoutMs } : {}),
  });
}

/**
 * The first start of {@link startRestartableDevServer}, on a port `freePort()` found free. Another
 * process can take that port before the server binds it (seen once in CI: the server exited before
 * it was ready): such a start is tried again on a fresh port, three tries in all. Restarts in the
 * test reuse the port returned.
 */
export async function startRestartableDevServerOnFreePort(dir: string, readyTimeoutMs?: number): Promise<{ server: DevServer; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return { server: await startRestartableDevServer(dir, port, readyTimeoutMs), port };
    } catch (err) {
      if (attempt >= 3 || !/exited with code/.test((err as Error).message)) throw err;
    }
  }
}
