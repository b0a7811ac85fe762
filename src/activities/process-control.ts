/**
 * Process control adapter: stop gracefully, start, health. Two adapters from the target config:
 * `sandbox` (its control endpoints; start spawns `node dist/sandbox/main.js`) and `shell` (configured
 * commands, run with `sh -c` under a timeout, so systemd, docker or kubectl deployments work
 * unchanged). Stop and start are keyed: a marker `<opsDir>/<action>.<key>.done` holds the first
 * outcome, so a retried activity never stops (or starts) twice.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { formatIssues, targetNameSchema, type ProcessAdapterConfig, type TargetConfig } from '../domain/target';
import { targetCommandEnv } from '../domain/target-env';
import { resolveInside, writeFileAtomic } from '../io/files';
import { SandboxControlError, startSandbox, stopSandbox } from '../sandbox/control';
import { cancellationSignal, errorKind, getJson, heartbeat, parseInput, resolveTarget, type TargetActivityDeps } from './target-input';

/** Becomes a file name: the safe-id alphabet. */
export const idempotencyKeySchema = z
  .string({ error: 'idempotencyKey is required' })
  .min(1, { error: 'idempotencyKey must not be empty' })
  .max(128, { error: 'idempotencyKey must be at most 128 characters' })
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/, { error: 'idempotencyKey may hold only letters, digits and _ . : - (not starting with . or -)' });

export const processKeyedInputSchema = z.object({ target: targetNameSchema, idempotencyKey: idempotencyKeySchema });
export const processHealthInputSchema = z.object({ target: targetNameSchema, timeoutMs: z.number().int().min(100).max(600000).optional() });
export type ProcessKeyedInput = z.input<typeof processKeyedInputSchema>;
export type ProcessHealthInput = z.input<typeof processHealthInputSchema>;

/** The sandbox's `GET /health`: what the adapter reads of it (extra fields tolerated). */
const sandboxHealthSchema = z.looseObject({ status: z.string().optional(), pid: z.number().int().positive().optional(), boot_id: z.string().max(200).optional() });

export interface ProcessStopResult {
  adapter: 'sandbox' | 'shell';
  /** True when this key had already stopped the process: nothing was done this time. */
  alreadyDone: boolean;
  /** When the stop was issued (ISO). */
  stopRequestedAt: string;
  /** When the process was seen stopped: pid gone (sandbox) or stop command finished (shell). */
  stoppedAt: string;
  /** False if the process was not running when asked. */
  wasRunning: boolean;
  detail?: string;
}

export interface ProcessStartResult {
  adapter: 'sandbox' | 'shell';
  alreadyDone: boolean;
  startRequestedAt: string;
  /** When the start command returned / the spawn was issued (not "serving": poll processHealth). */
  startReturnedAt: string;
  alreadyRunning: boolean;
  pid?: number;
  detail?: string;
}

export interface ProcessHealthResult {
  adapter: 'sandbox' | 'shell';
  healthy: boolean;
  checkedAt: string;
  detail: string;
  /** Sandbox: the process id and boot id answering (a new boot id means a restart happened). */
  pid?: number;
  bootId?: string;
}

export interface CommandOutcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
}

const TAIL = 2000;

/**
 * Runs `sh -c command` in its own process group; on timeout (or activity cancellation) the group is
 * killed. Resolves on the shell's exit, not on its pipes closing: a start command may leave a
 * daemon holding them. The command gets only the allowed variables of the worker's environment
 * (`targetCommandEnv`: the defaults plus `envAllow`), never the worker's secrets.
 */
export function runShell(command: string, o: { timeoutMs: number; cwd?: string; envAllow?: readonly string[] }): Promise<CommandOutcome> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn('sh', ['-c', command], { cwd: o.cwd, env: targetCommandEnv(process.env, o.envAllow), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-TAIL)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-TAIL)));
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, o.timeoutMs);
    const signal = cancellationSignal();
    const onCancel = () => killGroup();
    signal?.addEventListener('abort', onCancel, { once: true });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (exitCode, sig) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCancel);
      // Give buffered output a moment, then stop listening (a daemon may keep the pipes open).
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ exitCode, signal: sig, timedOut, stdout: stdout.trim(), stderr: stderr.trim(), durationMs: Date.now() - t0 });
      }, 20);
    });
  });
}

function describe(c: CommandOutcome): string {
  const out = c.stderr || c.stdout;
  return `${c.timedOut ? 'timed out' : `exit ${c.exitCode ?? c.signal}`} after ${c.durationMs} ms${out ? `: ${out.slice(-500)}` : ''}`;
}

type Action = 'stop' | 'start';

async function readMarker<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function createProcessControlActivities(deps: TargetActivityDeps) {
  /** What a target's commands may see: `DRILL_TARGET_ENV_ALLOW` plus the target's own `envAllow`. */
  const envAllow = (p: ProcessAdapterConfig): string[] => [...(deps.envAllow ?? []), ...(p.envAllow ?? [])];
  const shell = (p: Extract<ProcessAdapterConfig, { adapter: 'shell' }>, timeoutMs?: number) => ({
    timeoutMs: timeoutMs ?? p.timeoutSeconds * 1000,
    envAllow: envAllow(p),
    ...(p.cwd ? { cwd: p.cwd } : {}),
  });
  const markerFiles = (action: Action, key: string) => ({
    done: resolveInside(deps.opsDir, `${action}.${key}.done`),
    pending: resolveInside(deps.opsDir, `${action}.${key}.pending`),
  });

  async function health(t: TargetConfig, timeoutMs?: number): Promise<ProcessHealthResult> {
    const p = t.process;
    const checkedAt = new Date().toISOString();
    if (p.adapter === 'sandbox') {
      try {
        const r = await getJson(`${p.controlUrl}/health`, timeoutMs ?? 3000);
        const parsed = sandboxHealthSchema.safeParse(r.body);
        if (!parsed.success) return { adapter: 'sandbox', healthy: false, checkedAt, detail: `HTTP ${r.status}: the health answer does not honour the contract (${formatIssues(parsed.error).join('; ').slice(0, 300)})` };
        const b = parsed.data;
        return { adapter: 'sandbox', healthy: r.status === 200 && b.status === 'ok', checkedAt, detail: `HTTP ${r.status} ${b.status ?? ''}`.trim(), ...(b.pid ? { pid: b.pid } : {}), ...(b.boot_id ? { bootId: b.boot_id } : {}) };
      } catch (err) {
        return { adapter: 'sandbox', healthy: false, checkedAt, detail: `unreachable (${errorKind(err)})` };
      }
    }
    const c = await runShell(p.health, shell(p, timeoutMs));
    return { adapter: 'shell', healthy: c.exitCode === 0 && !c.timedOut, checkedAt, detail: describe(c) };
  }

  async function doStop(t: TargetConfig, target: string): Promise<Omit<ProcessStopResult, 'alreadyDone'>> {
    const p: ProcessAdapterConfig = t.process;
    const stopRequestedAt = new Date().toISOString();
    if (p.adapter === 'sandbox') {
      if (p.configFile) {
        // Local sandbox: wait for the pid to be gone, so stoppedAt is when it really exited.
        const timer = setInterval(() => heartbeat({ stopping: target }), 1000);
        try {
          const r = await stopSandbox({ configFile: p.configFile, via: 'control', timeoutMs: p.timeoutSeconds * 1000 });
          if (!r.stopped) throw ApplicationFailure.retryable(`${target}: sandbox pid ${r.pid} still running ${p.timeoutSeconds} s after the stop request`, 'ProcessStopTimeout');
          return { adapter: 'sandbox', stopRequestedAt: r.stopRequestedAt, stoppedAt: r.stoppedAt ?? new Date().toISOString(), wasRunning: r.wasRunning, detail: r.wasRunning ? `stopped via ${r.via}` : 'was not running' };
        } catch (err) {
          if (err instanceof SandboxControlError) throw ApplicationFailure.nonRetryable(`${target}: ${err.message}`, 'InvalidTargetConfig');
          throw err;
        } finally {
          clearInterval(timer);
        }
      }
      // Remote sandbox: the control endpoint, then wait for its health endpoint to go away.
      try {
        const r = await getJson(`${p.controlUrl}/control/stop`, 5000, { method: 'POST' });
        if (r.status !== 202) throw ApplicationFailure.retryable(`${target}: stop answered ${r.status}`, 'ProcessStopFailed');
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        return { adapter: 'sandbox', stopRequestedAt, stoppedAt: new Date().toISOString(), wasRunning: false, detail: `not reachable (${errorKind(err)}): treated as stopped` };
      }
      const deadline = Date.now() + p.timeoutSeconds * 1000;
      while (Date.now() < deadline) {
        heartbeat({ stopping: target });
        const h = await health(t, 1000);
        if (!h.healthy && h.detail.startsWith('unreachable')) return { adapter: 'sandbox', stopRequestedAt, stoppedAt: h.checkedAt, wasRunning: true, detail: 'stopped via control endpoint' };
        await new Promise((r) => setTimeout(r, 50));
      }
      throw ApplicationFailure.retryable(`${target}: still answering ${p.timeoutSeconds} s after the stop request`, 'ProcessStopTimeout');
    }
    const timer = setInterval(() => heartbeat({ stopping: target }), 1000);
    try {
      const c = await runShell(p.stop, shell(p));
      if (c.timedOut) throw ApplicationFailure.retryable(`${target}: stop command ${describe(c)}`, 'ProcessCommandTimeout');
      if (c.exitCode !== 0) throw ApplicationFailure.retryable(`${target}: stop command failed: ${describe(c)}`, 'ProcessCommandFailed');
      return { adapter: 'shell', stopRequestedAt, stoppedAt: new Date().toISOString(), wasRunning: true, detail: describe(c) };
    } finally {
      clearInterval(timer);
    }
  }

  async function doStart(t: TargetConfig, target: string): Promise<Omit<ProcessStartResult, 'alreadyDone'>> {
    const p = t.process;
    const startRequestedAt = new Date().toISOString();
    if (p.adapter === 'sandbox') {
      if (!p.configFile) throw ApplicationFailure.nonRetryable(`${target}: process.configFile is required to start a sandbox (a stopped process has no URL to call)`, 'InvalidTargetConfig');
      try {
        const r = await startSandbox({ configFile: p.configFile, wait: false, baseEnv: targetCommandEnv(process.env, envAllow(p)) });
        return { adapter: 'sandbox', startRequestedAt: r.startRequestedAt, startReturnedAt: new Date().toISOString(), alreadyRunning: r.alreadyRunning, pid: r.pid, detail: r.alreadyRunning ? 'already running' : 'spawned' };
      } catch (err) {
        if (err instanceof SandboxControlError) throw ApplicationFailure.nonRetryable(`${target}: ${err.message}`, 'InvalidTargetConfig');
        throw err;
      }
    }
    const c = await runShell(p.start, shell(p));
    if (c.timedOut) throw ApplicationFailure.retryable(`${target}: start command ${describe(c)}`, 'ProcessCommandTimeout');
    if (c.exitCode !== 0) throw ApplicationFailure.retryable(`${target}: start command failed: ${describe(c)}`, 'ProcessCommandFailed');
    return { adapter: 'shell', startRequestedAt, startReturnedAt: new Date().toISOString(), alreadyRunning: false, detail: describe(c) };
  }

  /**
   * Runs a keyed action once. `.pending` is written before acting, `.done` (with the outcome) after;
   * a retry that finds `.done` returns it. One that finds only `.pending` (the worker died mid-way)
   * checks health first: a stop whose process is already down, or a start whose process is up, is
   * recorded as done without acting again.
   */
  async function keyed<R extends { alreadyDone: boolean }>(action: Action, target: string, key: string, t: TargetConfig, act: () => Promise<Omit<R, 'alreadyDone'>>): Promise<R> {
    const m = markerFiles(action, key);
    const done = await readMarker<R & { target?: string }>(m.done);
    if (done) {
      if (done.target !== undefined && done.target !== target) throw ApplicationFailure.nonRetryable(`idempotencyKey ${key} was already used to ${action} target ${done.target}`, 'InvalidInput');
      return { ...done, alreadyDone: true };
    }
    const pending = await readMarker<{ at: string }>(m.pending);
    if (pending) {
      const h = await health(t);
      if ((action === 'stop' && !h.healthy) || (action === 'start' && h.healthy)) {
        const at = new Date().toISOString();
        const r = action === 'stop'
          ? { adapter: t.process.adapter, stopRequestedAt: pending.at, stoppedAt: at, wasRunning: true, detail: `an earlier attempt already ${action}ped it (found on retry)` }
          : { adapter: t.process.adapter, startRequestedAt: pending.at, startReturnedAt: at, alreadyRunning: true, detail: 'an earlier attempt already started it (found on retry)' };
        await writeFileAtomic(m.done, JSON.stringify({ ...r, target, alreadyDone: false }));
        return { ...(r as unknown as R), alreadyDone: false };
      }
    } else {
      await fs.mkdir(path.dirname(m.pending), { recursive: true });
      await writeFileAtomic(m.pending, JSON.stringify({ at: new Date().toISOString(), target }));
    }
    const r = await act();
    await writeFileAtomic(m.done, JSON.stringify({ ...r, target, alreadyDone: false }));
    return { ...(r as R), alreadyDone: false };
  }

  return {
    /** Stops the target gracefully, once per idempotency key. Returns when it is down. */
    async processStop(input: ProcessKeyedInput): Promise<ProcessStopResult> {
      const i = parseInput(processKeyedInputSchema, input, 'processStop input');
      const t = await resolveTarget(deps, i.target);
      return keyed<ProcessStopResult>('stop', i.target, i.idempotencyKey, t, () => doStop(t, i.target));
    },

    /** Starts the target, once per idempotency key. Returns when started, not when serving: poll processHealth. */
    async processStart(input: ProcessKeyedInput): Promise<ProcessStartResult> {
      const i = parseInput(processKeyedInputSchema, input, 'processStart input');
      const t = await resolveTarget(deps, i.target);
      return keyed<ProcessStartResult>('start', i.target, i.idempotencyKey, t, () => doStart(t, i.target));
    },

    /** One health check (an activity per poll; the workflow waits between polls). Never throws for "unhealthy". */
    async processHealth(input: ProcessHealthInput): Promise<ProcessHealthResult> {
      const i = parseInput(processHealthInputSchema, input, 'processHealth input');
      return health(await resolveTarget(deps, i.target), i.timeoutMs);
    },
  };
}
