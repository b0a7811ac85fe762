/**
 * `drill dev`: the embedded Temporal dev server (Web UI, SQLite state, search attributes, offline)
 * plus a worker and a paper-trading sandbox target, until Ctrl-C. A server already on the address
 * is reused. With `--drill` it runs one full weekly drill against the sandbox and prints the report
 * path and the UI link; `--exit-after-drill` then exits with the drill's code (scripted use).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { readVariable, type Config } from '../config';
import type { WeeklyDrillResult } from '../domain/drill';
import { startDevServer, type DevServer } from '../client/dev-server';
import { configuredTargetsFile, fileTargetResolver, targetsFilePath } from '../io/targets';
import { loadSandboxConfig } from '../sandbox/config';
import { sandboxTargetEntry, startSandbox, stopSandbox, writeSandboxConfig } from '../sandbox/control';
import { ensureTool } from '../tools/provision';
import { buildWorker, connectWorker, installRuntime } from '../worker';
import type { Output } from './output';
import { describeDrillResult, runWeeklyCommand, type RunWeeklyOutcome } from './run';
import { resolveSandboxConfigFile } from './sandbox';
import { writeFileAtomic } from '../io/files';

export interface DevOptions {
  headless?: boolean;
  worker?: boolean;
  /** Start the sandbox target (default true). */
  sandbox?: boolean;
}

export interface DevSession {
  server: DevServer;
  /** The targets file the worker reads, and the sandbox target's name (when started). */
  targetsFile?: string;
  target?: string;
  /** The sandbox target (when started or found running). */
  sandbox?: DevSandbox;
  /** Resolves when everything has stopped. */
  done: Promise<void>;
  stop(): Promise<void>;
}

export interface DevSandbox {
  pid: number;
  alreadyRunning: boolean;
  gatewayUrl?: string;
}

export const DEV_TARGET = 'sandbox';

/** Demo-friendly cycles: a whole drill in well under a minute, still far slower than the tests'. */
const DEV_INTERVALS = { reconciliationMs: 1000, sloMonitorMs: 1000, dataQualityMs: 2000, stateSaveMs: 5000, feedMs: 1000 };

/** Drill input for `drill dev --drill`: bounds that fit the dev sandbox's cycles. */
export const DEV_DRILL_INPUT = { pollMs: 500, detectionSeconds: 60, recoverySeconds: 60, verifySeconds: 60, restartSeconds: 120, maxDrillSeconds: 900 };

export function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}

/**
 * Starts the sandbox (its config from DRILL_SANDBOX_CONFIG, else `<state>/sandbox/config.json`,
 * written with dev intervals the first time) and returns the targets file to use: the configured
 * one (DRILL_TARGETS_FILE, or ./targets.json) when present, else `<state>/targets.json` written
 * with a `sandbox` entry.
 */
export async function startDevSandbox(
  config: Config,
  output: Output,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ targetsFile: string; target?: string; sandbox: DevSandbox; stopSandbox?: () => Promise<void> }> {
  const defaultConfig = path.join(config.stateDir, 'sandbox', 'config.json');
  if (!readVariable('DRILL_SANDBOX_CONFIG', env) && !fs.existsSync(defaultConfig)) {
    await writeSandboxConfig(defaultConfig, {
      runId: 'sandbox-paper',
      stateDir: '.',
      artifactsRoot: config.runsDir,
      auditLogsDir: path.join(path.dirname(config.resultsDir), 'audit_logs'),
      intervals: DEV_INTERVALS,
    });
  }
  const configFile = await resolveSandboxConfigFile(undefined, { config, env });
  const r = await startSandbox({ configFile, timeoutMs: 30000 });
  output.out(`sandbox ${r.alreadyRunning ? 'already running' : 'started'} (pid ${r.pid})${r.info ? `: gateway ${r.info.gateway_url}` : ''}`);
  // One we started stops with `drill dev`; one that was already running is left alone.
  const stop = r.alreadyRunning ? undefined : async () => void (await stopSandbox({ configFile, timeoutMs: 20000 }));
  const sandbox: DevSandbox = { pid: r.pid, alreadyRunning: r.alreadyRunning, ...(r.info ? { gatewayUrl: r.info.gateway_url } : {}) };
  const configured = configuredTargetsFile(env) ? targetsFilePath(env) : fs.existsSync(targetsFilePath({})) ? targetsFilePath({}) : undefined;
  if (configured) {
    output.out(`targets from ${configured}`);
    return { targetsFile: configured, sandbox, ...(stop ? { stopSandbox: stop } : {}) };
  }
  const sbx = loadSandboxConfig(configFile);
  const port = r.info?.port ?? sbx.port;
  const targetsFile = path.join(config.stateDir, 'targets.json');
  // Atomic: a worker re-reads the targets file when it changes and must never see half of it.
  await writeFileAtomic(targetsFile, `${JSON.stringify({ targets: { [DEV_TARGET]: sandboxTargetEntry(sbx, port) } }, null, 2)}\n`);
  output.out(`target "${DEV_TARGET}" written to ${targetsFile}`);
  return { targetsFile, target: DEV_TARGET, sandbox, ...(stop ? { stopSandbox: stop } : {}) };
}

export async function startDev(opts: DevOptions, deps: { config: Config; logger: Logger; output: Output; env?: NodeJS.ProcessEnv }): Promise<DevSession> {
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

  let targets: { targetsFile?: string; target?: string; sandbox?: DevSandbox; stopSandbox?: () => Promise<void> } = {};
  if (opts.sandbox !== false) {
    try {
      targets = await startDevSandbox(config, output, deps.env);
    } catch (err) {
      output.err(`sandbox not started: ${(err as Error).message}`);
    }
  }

  let stopWorker = async () => undefined as void;
  let workerDone: Promise<void> = Promise.resolve();
  if (opts.worker !== false) {
    installRuntime(config, deps.logger);
    const connection = await connectWorker(config);
    // The worker builds its activities (and names the prebuilt bundle in drill reports); the sandbox's targets file if one was written.
    const worker = await buildWorker({
      config,
      connection,
      logger: deps.logger,
      ...(targets.targetsFile ? { targets: fileTargetResolver(targets.targetsFile) } : {}),
    });
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
      await targets.stopSandbox?.().catch(() => undefined);
      await server.stop();
    })());
  return {
    server,
    ...(targets.targetsFile ? { targetsFile: targets.targetsFile } : {}),
    ...(targets.target ? { target: targets.target } : {}),
    ...(targets.sandbox ? { sandbox: targets.sandbox } : {}),
    done: workerDone.then(() => stop()),
    stop,
  };
}

/** `drill dev --drill`: one full drill against the dev target; prints the verdict, report path and UI link. */
export async function runDevDrill(session: DevSession, deps: { config: Config; output: Output; env?: NodeJS.ProcessEnv }): Promise<RunWeeklyOutcome> {
  const env = { ...(deps.env ?? process.env), ...(session.targetsFile ? { DRILL_TARGETS_FILE: session.targetsFile } : {}) };
  const out = await runWeeklyCommand(
    { ...(session.target ? { target: session.target } : {}), watch: true, input: JSON.stringify(DEV_DRILL_INPUT) },
    { config: deps.config, output: deps.output, env },
  );
  for (const l of describeDrillResult(out.result)) deps.output.out(l);
  if (session.server.uiUrl)
    deps.output.out(`Web UI: ${session.server.uiUrl}/namespaces/${deps.config.temporal.namespace}/workflows/${encodeURIComponent(out.workflowId)}`);
  return out;
}

/** What `drill dev` prints for humans once it is up, as one object (`drill dev --json`). */
export interface DevSummary {
  address: string;
  namespace: string;
  serverReused: boolean;
  uiUrl: string | null;
  workflowsUrl: string | null;
  taskQueue: string | null;
  targetsFile: string | null;
  target: string | null;
  sandbox: DevSandbox | null;
  drill?:
    | { workflowId: string; exitCode: number; drillId: string; result: WeeklyDrillResult['result']; reportPath?: string; workflowUrl: string | null }
    | { error: string; exitCode: number };
}

export function devSummary(session: DevSession, deps: { config: Config; worker: boolean; drill?: RunWeeklyOutcome | { error: string } }): DevSummary {
  const ns = deps.config.temporal.namespace;
  const ui = session.server.uiUrl;
  const d = deps.drill;
  return {
    address: session.server.address,
    namespace: ns,
    serverReused: session.server.reused,
    uiUrl: ui ?? null,
    workflowsUrl: ui ? `${ui}/namespaces/${ns}/workflows` : null,
    taskQueue: deps.worker ? deps.config.taskQueue : null,
    targetsFile: session.targetsFile ?? null,
    target: session.target ?? null,
    sandbox: session.sandbox ?? null,
    ...(d === undefined
      ? {}
      : 'error' in d
        ? { drill: { error: d.error, exitCode: 2 } }
        : {
            drill: {
              workflowId: d.workflowId,
              exitCode: d.exitCode,
              drillId: d.result.drillId,
              result: d.result.result,
              ...(d.result.reportPath ? { reportPath: d.result.reportPath } : {}),
              workflowUrl: ui ? `${ui}/namespaces/${ns}/workflows/${encodeURIComponent(d.workflowId)}` : null,
            },
          }),
  };
}
