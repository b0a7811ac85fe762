/**
 * The embedded Temporal dev server (`temporal server start-dev`) with the Web UI, on a SQLite file
 * so state survives restarts, offline (version check off), with drill-runner's search attributes.
 * A server already listening on the address is reused, never started twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { searchAttributeCliArgs, SA } from '../search-attributes';

export interface DevServerOptions {
  cliPath: string;
  host: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** SQLite file; omitted → in-memory (tests). */
  dbFile?: string;
  headless?: boolean;
  /** Where the server's own output goes (a log file). */
  logFile?: string;
  readyTimeoutMs?: number;
  say?: (line: string) => void;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  reused: boolean;
  process?: ChildProcess;
  stop(): Promise<void>;
}

export function isListening(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function devServerArgs(o: DevServerOptions): string[] {
  const args = [
    'server',
    'start-dev',
    '--ip',
    o.host,
    '--port',
    String(o.port),
    '--namespace',
    o.namespace,
    '--log-format',
    'json',
    '--log-level',
    'warn',
    // Offline machines: no phone-home; updates and update-with-start on.
    '--dynamic-config-value',
    'frontend.enableServerVersionCheck=false',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
    '--dynamic-config-value',
    'frontend.enableExecuteMultiOperation=true',
  ];
  if (o.dbFile) args.push('--db-filename', o.dbFile);
  if (o.headless) args.push('--headless');
  else args.push('--ui-port', String(o.uiPort), '--ui-ip', o.host);
  for (const sa of searchAttributeCliArgs()) args.push('--search-attribute', sa);
  return args;
}

async function waitReady(address: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`temporal server exited with code ${child.exitCode} before it was ready`);
    try {
      const c = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await c.workflowService.getSystemInfo({});
        return;
      } finally {
        await c.close();
      }
    } catch (err) {
      lastErr = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`temporal server at ${address} not ready after ${timeoutMs} ms: ${(lastErr as Error)?.message}`);
}

/** Registers any missing drill-runner search attribute on a server we did not start. */
export async function ensureSearchAttributes(address: string, namespace: string): Promise<void> {
  const c = await Connection.connect({ address });
  try {
    const existing = await c.operatorService.listSearchAttributes({ namespace });
    const have = new Set(Object.keys(existing.customAttributes ?? {}));
    const typeCode: Record<string, number> = { KEYWORD: 2, DOUBLE: 4, INT: 3, BOOL: 5, TEXT: 1, DATETIME: 6 };
    const missing = Object.values(SA).filter((k) => !have.has(k.name));
    if (missing.length === 0) return;
    await c.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((k) => [k.name, typeCode[k.type] ?? 2])),
    });
  } finally {
    await c.close();
  }
}

export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  const say = o.say ?? (() => undefined);
  const address = `${o.host}:${o.port}`;
  const uiUrl = o.headless ? undefined : `http://${o.host}:${o.uiPort}`;
  if (await isListening(o.host, o.port)) {
    say(`a Temporal server is already listening on ${address}: reusing it`);
    await waitReady(address, o.readyTimeoutMs ?? 15000);
    await ensureSearchAttributes(address, o.namespace).catch((err) => say(`could not check search attributes: ${(err as Error).message}`));
    return { address, uiUrl, reused: true, stop: async () => undefined };
  }
  if (o.dbFile) fs.mkdirSync(path.dirname(o.dbFile), { recursive: true });
  const out = o.logFile ? fs.openSync(o.logFile, 'a') : 'ignore';
  if (o.logFile) fs.mkdirSync(path.dirname(o.logFile), { recursive: true });
  say(`starting ${path.basename(o.cliPath)} server start-dev on ${address}${o.dbFile ? ` (state in ${o.dbFile})` : ''}`);
  const child = spawn(o.cliPath, devServerArgs(o), {
    stdio: ['ignore', out, out],
    env: { ...process.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' },
  });
  if (typeof out === 'number') fs.closeSync(out);
  try {
    await waitReady(address, o.readyTimeoutMs ?? 30000, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    address,
    uiUrl,
    reused: false,
    process: child,
    stop: () => stopChild(child),
  };
}

/** SIGTERM, then SIGKILL after a grace period. */
export function stopChild(child: ChildProcess, graceMs = 10000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
