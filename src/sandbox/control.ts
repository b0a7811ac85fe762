/**
 * Starting, stopping and poking the sandbox process from outside: shared by `drill sandbox`, the
 * sandbox process adapter, tests and `drill dev`. The sandbox supervises nothing: "start" spawns
 * `node dist/sandbox/main.js --config <file>` detached (pid file in its state dir); "stop" is
 * graceful (control endpoint, else SIGTERM) and waits for the process to be gone.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { type ActiveFault, type FaultName, type TargetConfigInput } from '../domain/target';
import { writeFileAtomic } from '../io/files';
import { loadSandboxConfig, sandboxPaths, type SandboxConfig, type SandboxConfigInput } from './config';
import type { SandboxInfo } from './sandbox';

export class SandboxControlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxControlError';
  }
}

/** `dist/sandbox/main.js`, whether this module runs compiled (dist/) or under ts-jest (src/). */
export function sandboxMainPath(): string {
  const candidates = [path.join(__dirname, 'main.js'), path.resolve(__dirname, '..', '..', 'dist', 'sandbox', 'main.js')];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new SandboxControlError(`sandbox not built: ${candidates[1]} is missing. Run \`npm run build\` (tsc -p tsconfig.build.json) first.`);
  return found;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

const infoSchema = z.looseObject({
  pid: z.number(),
  port: z.number(),
  gateway_url: z.string(),
  control_url: z.string(),
  broker_api_url: z.string(),
  broker_ws_url: z.string(),
  serving_at: z.string(),
});

/** The info file of this pid: it is written just after the port opens, so allow a moment. */
async function waitForInfo(stateDir: string, pid: number, ms: number): Promise<SandboxInfo | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const info = readSandboxInfo(stateDir);
    if (info?.pid === pid) return info;
    if (Date.now() > deadline || !isAlive(pid)) return undefined;
    await sleep(25);
  }
}

/** The info file the sandbox writes once serving (`<stateDir>/sandbox.json`), if any. */
export function readSandboxInfo(stateDir: string): SandboxInfo | undefined {
  try {
    const r = infoSchema.safeParse(JSON.parse(fs.readFileSync(sandboxPaths(stateDir).infoFile, 'utf8')));
    return r.success ? (r.data as unknown as SandboxInfo) : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fetchJson(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 2000) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body };
}

export interface StartOptions {
  configFile: string;
  /** Wait until the new process serves (default true). With slow_restart that is N s later. */
  wait?: boolean;
  timeoutMs?: number;
  /** Extra environment for the child. */
  env?: NodeJS.ProcessEnv;
  /** The environment `env` is added to (default: this process's). The worker passes only the allowed variables. */
  baseEnv?: NodeJS.ProcessEnv;
}

export interface StartResult {
  pid: number;
  alreadyRunning: boolean;
  /** When the spawn was issued (ISO). */
  startRequestedAt: string;
  info?: SandboxInfo;
}

/** Spawns the sandbox detached, unless one is already running for this state dir. */
export async function startSandbox(o: StartOptions): Promise<StartResult> {
  const config = loadSandboxConfig(o.configFile);
  const paths = sandboxPaths(config.stateDir);
  const startRequestedAt = new Date().toISOString();
  const existing = readPid(paths.pidFile);
  if (existing && isAlive(existing)) {
    const info = readSandboxInfo(config.stateDir);
    return { pid: existing, alreadyRunning: true, startRequestedAt, ...(info && info.pid === existing ? { info } : {}) };
  }
  const main = sandboxMainPath();
  fs.mkdirSync(config.stateDir, { recursive: true });
  const log = fs.openSync(paths.logFile, 'a');
  let exited: { code: number | null; signal: string | null } | undefined;
  try {
    const child = spawn(process.execPath, [main, '--config', config.configFile!], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...(o.baseEnv ?? process.env), ...(o.env ?? {}) },
    });
    if (!child.pid) throw new SandboxControlError('spawn failed: no pid');
    child.on('exit', (code, signal) => (exited = { code, signal }));
    child.unref();
    fs.writeFileSync(paths.pidFile, `${child.pid}\n`);
    const pid = child.pid;
    if (o.wait === false) return { pid, alreadyRunning: false, startRequestedAt };
    const deadline = Date.now() + (o.timeoutMs ?? 20000);
    while (Date.now() < deadline) {
      if (exited) throw new SandboxControlError(`sandbox exited during start (code ${exited.code}, signal ${exited.signal}); see ${paths.logFile}`);
      const info = readSandboxInfo(config.stateDir);
      if (info && info.pid === pid) return { pid, alreadyRunning: false, startRequestedAt, info };
      await sleep(50);
    }
    throw new SandboxControlError(`sandbox (pid ${pid}) not serving after ${o.timeoutMs ?? 20000} ms; see ${paths.logFile}`);
  } finally {
    fs.closeSync(log);
  }
}

export interface StopOptions {
  configFile?: string;
  stateDir?: string;
  /** `control`: POST /control/stop (falls back to SIGTERM); `signal`: SIGTERM. */
  via?: 'control' | 'signal';
  timeoutMs?: number;
}

export interface StopResult {
  wasRunning: boolean;
  stopped: boolean;
  pid?: number;
  stopRequestedAt: string;
  /** When the process was seen gone (ISO); absent if it did not stop in time. */
  stoppedAt?: string;
  via?: 'control' | 'signal';
}

function stateDirOf(o: { configFile?: string; stateDir?: string }): string {
  if (o.stateDir) return path.resolve(o.stateDir);
  if (o.configFile) return loadSandboxConfig(o.configFile).stateDir;
  throw new SandboxControlError('configFile or stateDir is required');
}

/** Graceful stop; waits until the process is gone. Stopping a stopped sandbox is a no-op. */
export async function stopSandbox(o: StopOptions): Promise<StopResult> {
  const stateDir = stateDirOf(o);
  const paths = sandboxPaths(stateDir);
  const stopRequestedAt = new Date().toISOString();
  const pid = readPid(paths.pidFile);
  if (!pid || !isAlive(pid)) return { wasRunning: false, stopped: true, stopRequestedAt, ...(pid ? { pid } : {}) };
  let via: 'control' | 'signal' = o.via ?? 'control';
  if (via === 'control') {
    const info = readSandboxInfo(stateDir);
    try {
      if (!info || info.pid !== pid) throw new Error('not serving yet');
      const r = await fetchJson(`${info.control_url}/control/stop`, { method: 'POST', timeoutMs: 2000 });
      if (r.status !== 202) throw new Error(`status ${r.status}`);
    } catch {
      via = 'signal';
    }
  }
  if (via === 'signal') {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
  }
  const deadline = Date.now() + (o.timeoutMs ?? 20000);
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return { wasRunning: true, stopped: true, pid, stopRequestedAt, stoppedAt: new Date().toISOString(), via };
    await sleep(25);
  }
  return { wasRunning: true, stopped: false, pid, stopRequestedAt, via };
}

/** SIGKILL (tests' cleanup; the crash a drill may simulate). */
export function killSandbox(o: { configFile?: string; stateDir?: string }): boolean {
  const pid = readPid(sandboxPaths(stateDirOf(o)).pidFile);
  if (!pid || !isAlive(pid)) return false;
  process.kill(pid, 'SIGKILL');
  return true;
}

export interface SandboxStatus {
  running: boolean;
  pid?: number;
  healthy: boolean;
  info?: SandboxInfo;
  stats?: unknown;
  faults?: ActiveFault[];
  stateDir: string;
}

export async function sandboxStatus(o: { configFile?: string; stateDir?: string }): Promise<SandboxStatus> {
  const stateDir = stateDirOf(o);
  const pid = readPid(sandboxPaths(stateDir).pidFile);
  const running = pid !== undefined && isAlive(pid);
  const info = readSandboxInfo(stateDir);
  const out: SandboxStatus = { running, healthy: false, stateDir, ...(pid ? { pid } : {}), ...(info ? { info } : {}) };
  if (running && info && info.pid === pid) {
    try {
      const s = await fetchJson(`${info.gateway_url}/stats`);
      out.healthy = s.status === 200;
      out.stats = s.body;
      out.faults = (s.body as { faults?: ActiveFault[] }).faults;
    } catch {
      out.healthy = false;
    }
  }
  return out;
}

/** Injects or clears a fault on the running sandbox (POST /faults). */
export async function sandboxFault(
  o: { configFile?: string; stateDir?: string },
  req: { action: 'inject'; fault: FaultName; seconds?: number } | { action: 'clear'; fault: FaultName | 'all' },
): Promise<{ faults: ActiveFault[]; changed: boolean }> {
  const stateDir = stateDirOf(o);
  const pid = readPid(sandboxPaths(stateDir).pidFile);
  const info = pid && isAlive(pid) ? await waitForInfo(stateDir, pid, 2000) : undefined;
  if (!pid || !info) throw new SandboxControlError(`sandbox in ${stateDir} is not running (start it first)`);
  const r = await fetchJson(`${info.gateway_url}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(req) });
  if (r.status !== 200) {
    const b = r.body as { error?: string; issues?: string[] };
    throw new SandboxControlError(`fault request rejected (${r.status}): ${b.error ?? ''}${b.issues ? ` ${b.issues.join('; ')}` : ''}`);
  }
  return r.body as { faults: ActiveFault[]; changed: boolean };
}

/** Writes a sandbox config file (for `drill sandbox start` without --config, tests, `drill dev`). */
export async function writeSandboxConfig(file: string, config: SandboxConfigInput): Promise<string> {
  const abs = path.resolve(file);
  await writeFileAtomic(abs, `${JSON.stringify(config, null, 2)}\n`);
  return abs;
}

/**
 * The targets-file entry that points drill-runner at this sandbox (its port must be known: a
 * fixed port in the config, or the one remembered after the first start).
 */
export function sandboxTargetEntry(config: SandboxConfig, port: number): TargetConfigInput {
  const base = `http://${config.host}:${port}`;
  return {
    mode: config.mode,
    artifactsRoot: config.artifactsRoot,
    runId: config.runId,
    auditLogsDir: config.auditLogsDir,
    gatewayUrl: base,
    process: { adapter: 'sandbox', controlUrl: base, ...(config.configFile ? { configFile: config.configFile } : {}) },
    stateFile: sandboxPaths(config.stateDir).stateFile,
    broker: { apiUrl: `${base}/broker`, wsUrl: `ws://${config.host}:${port}/broker/ws` },
    symbols: config.symbols,
  };
}

/** The port a sandbox with this config uses: fixed, or remembered from its first start. */
export function sandboxPort(config: SandboxConfig): number | undefined {
  if (config.port) return config.port;
  try {
    const p = Number(fs.readFileSync(sandboxPaths(config.stateDir).portFile, 'utf8').trim());
    return Number.isInteger(p) && p > 0 ? p : undefined;
  } catch {
    return undefined;
  }
}
