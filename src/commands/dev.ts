/**
 * `drill dev`: the embedded Temporal dev server (Web UI, SQLite state, search attributes, offline)
 * plus a worker, until Ctrl-C. A server already on the address is reused.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { startDevServer, type DevServer } from '../client/dev-server';
import { ensureTool } from '../tools/provision';
import { buildWorker, connectWorker, installRuntime } from '../worker';
import type { Output } from './output';

export interface DevOptions {
  headless?: boolean;
  worker?: boolean;
}

export interface DevSession {
  server: DevServer;
  /** Resolves when everything has stopped. */
  done: Promise<void>;
  stop(): Promise<void>;
}

export function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}

export async function startDev(opts: DevOptions, deps: { config: Config; logger: Logger; output: Output }): Promise<DevSession> {
  const { config, output } = deps;
  const cli = await ensureTool('temporal', { say: (l) => output.out(l) });
  const { host, port } = splitAddress(config.temporal.address);
  const server = await startDevServer({
    cliPath: cli.path,
    host,
    port,
    uiPort: config.uiPort,
    namespace: config.temporal.namespace,
    dbFile: path.join(config.stateDir, 'temporal-dev.sqlite'),
    logFile: path.join(config.stateDir, 'temporal-dev.log'),
    headless: opts.headless,
    say: (l) => output.out(l),
  });
  output.out(`Temporal server ${server.reused ? 'reused' : 'started'} at ${server.address} (namespace ${config.temporal.namespace})`);
  if (server.uiUrl) output.out(`Web UI: ${server.uiUrl}/namespaces/${config.temporal.namespace}/workflows`);

  let stopWorker = async () => undefined as void;
  let workerDone: Promise<void> = Promise.resolve();
  if (opts.worker !== false) {
    installRuntime(config, deps.logger);
    const connection = await connectWorker(config);
    const worker = await buildWorker({ config, connection });
    workerDone = worker.run().finally(() => connection.close());
    stopWorker = async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerDone;
    };
    output.out(`worker polling task queue ${config.taskQueue}`);
  }
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await stopWorker().catch(() => undefined);
      await server.stop();
    })());
  return { server, done: workerDone.then(() => stop()), stop };
}
