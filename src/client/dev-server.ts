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
import { readFileTail } from '../io/files';
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

/**
 * The server process ended before it answered. `output` is what this start printed (up to the last
 * 64 KiB); the message carries the lines that say why ({@link whyItEnded}).
 */
export class DevServerExitedError extends Error {
  constructor(
    readonly exitCode: number | null,
    readonly output: string,
    readonly signal: NodeJS.Signals | null = null,
  ) {
    const why = whyItEnded(output);
    const how = exitCode === null && signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
    super(`temporal server ${how} before it was ready${why ? `; its output:\n${why}` : ''}`);
    this.name = 'DevServerExitedError';
  }
}

/**
 * The dev server picks its internal services' ports and its HTTP API port itself (free when it
 * looked) and binds them later; another process can take one in between, and the server then
 * reports the failed listen and ends (a panic, exit code 2, or exit code 1). Such a start is worth
 * trying again: the next one picks fresh ports.
 */
export function isPortTakenOutput(output: string): boolean {
  return /address already in use|EADDRINUSE|failed to start grpc listener|failed assigning ephemeral port/i.test(output);
}

/**
 * The lines of a server's output that say why it ended: a Go panic's message and its first frames
 * with the error lines logged just before it (the panic's last lines are only goroutine frames),
 * else the last lines. At most `maxLines` lines and `maxChars` characters.
 */
export function whyItEnded(output: string, maxLines = 20, maxChars = 4000): string {
  const lines = output.trimEnd().split('\n');
  const panicAt = lines.findIndex((l) => l.startsWith('panic: '));
  if (panicAt < 0) return lines.slice(-maxLines).join('\n').slice(-maxChars);
  const errorsBefore = lines
    .slice(0, panicAt)
    .filter((l) => /"level":"(ERROR|FATAL)"|^Error: /.test(l))
    .slice(-3);
  return [...errorsBefore, ...lines.slice(panicAt, panicAt + Math.max(1, maxLines - errorsBefore.length))].join('\n').slice(0, maxChars);
}

async function waitReady(address: string, timeoutMs: number, child?: ChildProcess, output?: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null))
      throw new DevServerExitedError(child.exitCode, (await output?.()) ?? '', child.signalCode);
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
  if (o.logFile) fs.mkdirSync(path.dirname(o.logFile), { recursive: true });
  for (let attempt = 1; ; attempt++) {
    say(`starting ${path.basename(o.cliPath)} server start-dev on ${address}${o.dbFile ? ` (state in ${o.dbFile})` : ''}`);
    const child = spawnServer(o);
    try {
      await waitReady(address, o.readyTimeoutMs ?? 30000, child.process, child.output);
    } catch (err) {
      child.process.kill('SIGKILL');
      if (err instanceof DevServerExitedError && attempt < START_ATTEMPTS && isPortTakenOutput(err.output)) {
        say(`temporal server exited before it was ready (a port it picked was taken); starting it again (try ${attempt + 1} of ${START_ATTEMPTS})`);
        await new Promise((r) => setTimeout(r, 250 * attempt));
        continue;
      }
      throw err;
    }
    return {
      address,
      uiUrl,
      reused: false,
      process: child.process,
      stop: () => stopChild(child.process),
    };
  }
}

const START_ATTEMPTS = 3;
/** How much of a start's output is kept for its error. */
const OUTPUT_KEPT = 64 * 1024;

/**
 * Starts the server process. Its output goes to the log file when there is one (appended: restarts
 * share it), else through a pipe; `output()` gives what this process printed (the last
 * {@link OUTPUT_KEPT} bytes), for an error when it ends early.
 */
function spawnServer(o: DevServerOptions): { process: ChildProcess; output: () => Promise<string> } {
  const env = { ...process.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' };
  if (o.logFile) {
    const from = fs.existsSync(o.logFile) ? fs.statSync(o.logFile).size : 0;
    const fd = fs.openSync(o.logFile, 'a');
    const child = spawn(o.cliPath, devServerArgs(o), { stdio: ['ignore', fd, fd], env });
    fs.closeSync(fd);
    const logFile = o.logFile;
    return { process: child, output: async () => (await readFileTail(logFile, { from, maxBytes: OUTPUT_KEPT }).catch(() => null))?.text ?? '' };
  }
  const child = spawn(o.cliPath, devServerArgs(o), { stdio: ['ignore', 'pipe', 'pipe'], env });
  let kept = '';
  const keep = (d: Buffer) => void (kept = (kept + d.toString()).slice(-OUTPUT_KEPT));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { process: child, output: async () => kept };
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
