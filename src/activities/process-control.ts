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
import { FAILURE } from '../domain/failure-types';
import { SAFE_ID } from '../domain/ids';

/** Becomes a file name: the safe-id alphabet. */
export const idempotencyKeySchema = z
  .string({ error: 'idempotencyKey is required' })
  .min(1, { error: 'idempotencyKey must not be empty' })
  .max(128, { error: 'idempotencyKey must be at most 128 characters' })
  .regex(SAFE_ID, { error: 'idempotencyKey may hold only letters, digits and _ . : - (not starting with . or -)' });

export const processKeyedInputSchema = z.object({ target: targetNameSchema, idempotencyKey: idempotencyKeySchema });
/**
 * `stopSeconds` bounds the whole stop, counted from the first request under this key (retries do not
 * extend it): past it the stop fails with `ProcessStopIncomplete` (non-retryable). Without it the
 * adapter's `timeoutSeconds` is the bound.
 */
export const processStopInputSchema = processKeyedInputSchema.extend({
  stopSeconds: z
    .number()
    .positive()
    .max(7 * 86400)
    .optional(),
});
export const processHealthInputSchema = z.object({ target: targetNameSchema, timeoutMs: z.number().int().min(100).max(600000).optional() });
export type ProcessKeyedInput = z.input<typeof processKeyedInputSchema>;
export type ProcessStopInput = z.input<typeof processStopInputSchema>;
export type ProcessHealthInput = z.input<typeof processHealthInputSchema>;

const isoOrNull = z
  .string()
  .max(64)
  .refine((x) => !Number.isNaN(Date.parse(x)), { error: 'expected an ISO 8601 date-time' })
  .nullable()
  .optional();
/**
 * The sandbox's `GET /health` (and what a shell adapter's health command may print): what the
 * adapter reads of it (extra fields tolerated). `boot_id` and `started_at` tell one life of the
 * process from the next; `serving_at` is the target's own "ready" time.
 */
export const healthAnswerSchema = z.looseObject({
  status: z.string().optional(),
  pid: z.number().int().positive().optional(),
  boot_id: z.string().max(200).optional(),
  started_at: isoOrNull,
  serving_at: isoOrNull,
});
const sandboxHealthSchema = healthAnswerSchema;

/** The health JSON a shell health command printed (the whole output, else its last line), if any. */
export function parseShellHealth(stdout: string): z.infer<typeof healthAnswerSchema> | undefined {
  const text = stdout.trim();
  if (!text) return undefined;
  for (const candidate of [text, text.split('\n').at(-1)!.trim()]) {
    try {
      const r = healthAnswerSchema.safeParse(JSON.parse(candidate));
      if (r.success && (r.data.boot_id || r.data.started_at || r.data.serving_at)) return r.data;
    } catch {
      // not JSON: a plain health command
    }
  }
  return undefined;
}

/** The boot fields of a health answer, as adapter result fields. */
function bootFields(b: z.infer<typeof healthAnswerSchema>): Pick<ProcessHealthResult, 'pid' | 'bootId' | 'startedAt' | 'servingAt'> {
  return {
    ...(b.pid ? { pid: b.pid } : {}),
    ...(b.boot_id ? { bootId: b.boot_id } : {}),
    ...(b.started_at ? { startedAt: new Date(b.started_at).toISOString() } : {}),
    ...(b.serving_at ? { servingAt: new Date(b.serving_at).toISOString() } : {}),
  };
}

export interface ProcessStopResult {
  adapter: 'sandbox' | 'shell';
  /** True when this key had already stopped the process: nothing was done this time. */
  alreadyDone: boolean;
  /**
   * Outage start: when the stop was first issued under this key (ISO), as the adapter recorded it
   * before acting (`.pending`). A retried activity returns this same time, never its own.
   */
  stopRequestedAt: string;
  /** When the process was seen gone: pid gone or control URL unreachable (sandbox), stop command finished (shell). A retry that finds it already gone gives the time it looked. */
  stoppedAt: string;
  /** The first time, after the request, the adapter saw the target not answer healthy (time to detect). Absent when not observed by this attempt. */
  detectedAt?: string;
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
  /** From the health answer (sandbox endpoint, or JSON printed by a shell health command): a new boot id or start time means a restart happened. */
  pid?: number;
  bootId?: string;
  /** The answering process's own start time and ready ("serving") time. */
  startedAt?: string;
  servingAt?: string;
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
    const child = spawn('sh', ['-c', command], {
      cwd: o.cwd,
      env: targetCommandEnv(process.env, o.envAllow),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
        if (!parsed.success)
          return {
            adapter: 'sandbox',
            healthy: false,
            checkedAt,
            detail: `HTTP ${r.status}: the health answer does not honour the contract (${formatIssues(parsed.error).join('; ').slice(0, 300)})`,
          };
        const b = parsed.data;
        return {
          adapter: 'sandbox',
          healthy: r.status === 200 && b.status === 'ok',
          checkedAt,
          detail: `HTTP ${r.status} ${b.status ?? ''}`.trim(),
          ...bootFields(b),
        };
      } catch (err) {
        return { adapter: 'sandbox', healthy: false, checkedAt, detail: `unreachable (${errorKind(err)})` };
      }
    }
    // A command costs a process spawn (often a CLI such as kubectl or node): never under 5 s, whatever
    // the caller's HTTP-sized bound, or a loaded host reads as "unhealthy".
    const c = await runShell(p.health, shell(p, timeoutMs === undefined ? undefined : Math.min(Math.max(timeoutMs, 5000), p.timeoutSeconds * 1000)));
    const healthy = c.exitCode === 0 && !c.timedOut;
    const b = healthy ? parseShellHealth(c.stdout) : undefined;
    return { adapter: 'shell', healthy, checkedAt, detail: describe(c), ...(b ? bootFields(b) : {}) };
  }

  /**
   * Watches health while a stop runs: resolves with the first time the target did not answer
   * healthy (the outage as a monitor would detect it), or undefined once `done` is set.
   */
  function watchUnavailable(t: TargetConfig, state: { done: boolean }): Promise<string | undefined> {
    const every = t.process.adapter === 'shell' ? 1000 : 200;
    return (async () => {
      while (!state.done) {
        const h = await health(t, 1000).catch(() => undefined);
        if (h && !h.healthy) return h.checkedAt;
        await new Promise((r) => setTimeout(r, every));
      }
      return undefined;
    })();
  }

  /**
   * Stops the process and returns once it is really gone, within `deadline` (epoch ms, counted from
   * the first request). A retry acts again (the stop request is idempotent) and waits again: a
   * draining process is never taken for a stopped one.
   */
  async function doStop(
    t: TargetConfig,
    target: string,
    o: { stopRequestedAt: string; deadline: number; retry: boolean },
  ): Promise<Omit<ProcessStopResult, 'alreadyDone'>> {
    const p: ProcessAdapterConfig = t.process;
    const { stopRequestedAt, deadline } = o;
    const remaining = () => Math.max(1, deadline - Date.now());
    const incomplete = (what: string) =>
      ApplicationFailure.nonRetryable(
        `${target}: stop did not complete: ${what} (stop requested at ${stopRequestedAt}, bound ${Math.round((deadline - Date.parse(stopRequestedAt)) / 1000)} s)`,
        FAILURE.processStopIncomplete,
      );
    const watch = { done: false };
    const unavailable = watchUnavailable(t, watch);
    const timer = setInterval(() => heartbeat({ stopping: target, stopRequestedAt }), 1000);
    const finish = async (r: Omit<ProcessStopResult, 'alreadyDone' | 'detectedAt'>): Promise<Omit<ProcessStopResult, 'alreadyDone'>> => {
      watch.done = true;
      const detectedAt = await unavailable;
      return { ...r, ...(detectedAt ? { detectedAt } : {}) };
    };
    try {
      if (p.adapter === 'sandbox') {
        if (p.configFile) {
          // Local sandbox: wait for the pid to be gone, so stoppedAt is when it really exited.
          try {
            const r = await stopSandbox({ configFile: p.configFile, via: 'control', timeoutMs: Math.min(p.timeoutSeconds * 1000, remaining()) });
            if (!r.stopped) {
              if (Date.now() >= deadline) throw incomplete(`sandbox pid ${r.pid} still running`);
              throw ApplicationFailure.retryable(
                `${target}: sandbox pid ${r.pid} still running ${p.timeoutSeconds} s after the stop request`,
                FAILURE.processStopTimeout,
              );
            }
            const wasRunning = r.wasRunning || o.retry;
            return await finish({
              adapter: 'sandbox',
              stopRequestedAt,
              stoppedAt: r.stoppedAt ?? new Date().toISOString(),
              wasRunning,
              detail: r.wasRunning
                ? `stopped via ${r.via}`
                : o.retry
                  ? 'an earlier attempt already stopped it (found on retry; stoppedAt is when it was seen gone)'
                  : 'was not running',
            });
          } catch (err) {
            if (err instanceof SandboxControlError) throw ApplicationFailure.nonRetryable(`${target}: ${err.message}`, FAILURE.invalidTargetConfig);
            throw err;
          }
        }
        // Remote sandbox: the control endpoint, then wait for its health endpoint to go away.
        try {
          const r = await getJson(`${p.controlUrl}/control/stop`, 5000, { method: 'POST' });
          // 503 "stopping": an earlier request is being honoured; wait for it.
          if (r.status !== 202 && r.status !== 503) throw ApplicationFailure.retryable(`${target}: stop answered ${r.status}`, FAILURE.processStopFailed);
        } catch (err) {
          if (err instanceof ApplicationFailure) throw err;
          return await finish({
            adapter: 'sandbox',
            stopRequestedAt,
            stoppedAt: new Date().toISOString(),
            wasRunning: o.retry,
            detail: `not reachable (${errorKind(err)}): treated as stopped`,
          });
        }
        const bound = Math.min(deadline, Date.now() + p.timeoutSeconds * 1000);
        while (Date.now() < bound) {
          const h = await health(t, 1000);
          if (!h.healthy && h.detail.startsWith('unreachable'))
            return await finish({ adapter: 'sandbox', stopRequestedAt, stoppedAt: h.checkedAt, wasRunning: true, detail: 'stopped via control endpoint' });
          await new Promise((r) => setTimeout(r, 50));
        }
        if (Date.now() >= deadline) throw incomplete('still answering');
        throw ApplicationFailure.retryable(`${target}: still answering ${p.timeoutSeconds} s after the stop request`, FAILURE.processStopTimeout);
      }
      const c = await runShell(p.stop, shell(p, Math.min(p.timeoutSeconds * 1000, remaining())));
      if (c.timedOut) {
        if (Date.now() >= deadline) throw incomplete(`stop command ${describe(c)}`);
        throw ApplicationFailure.retryable(`${target}: stop command ${describe(c)}`, FAILURE.processCommandTimeout);
      }
      if (c.exitCode !== 0) throw ApplicationFailure.retryable(`${target}: stop command failed: ${describe(c)}`, FAILURE.processCommandFailed);
      const stoppedAt = new Date().toISOString();
      // The contract: stop returns once the process is down. One that still answers healthy lied.
      const after = await health(t, 2000);
      if (after.healthy) {
        if (Date.now() >= deadline) throw incomplete(`stop command returned but health still answers healthy (${after.detail})`);
        throw ApplicationFailure.retryable(`${target}: stop command returned but health still answers healthy (${after.detail})`, FAILURE.processStopFailed);
      }
      return await finish({ adapter: 'shell', stopRequestedAt, stoppedAt, wasRunning: true, detail: describe(c) });
    } finally {
      watch.done = true;
      clearInterval(timer);
    }
  }

  async function doStart(t: TargetConfig, target: string): Promise<Omit<ProcessStartResult, 'alreadyDone'>> {
    const p = t.process;
    const startRequestedAt = new Date().toISOString();
    if (p.adapter === 'sandbox') {
      if (!p.configFile)
        throw ApplicationFailure.nonRetryable(
          `${target}: process.configFile is required to start a sandbox (a stopped process has no URL to call)`,
          FAILURE.invalidTargetConfig,
        );
      try {
        const r = await startSandbox({ configFile: p.configFile, wait: false, baseEnv: targetCommandEnv(process.env, envAllow(p)) });
        return {
          adapter: 'sandbox',
          startRequestedAt: r.startRequestedAt,
          startReturnedAt: new Date().toISOString(),
          alreadyRunning: r.alreadyRunning,
          pid: r.pid,
          detail: r.alreadyRunning ? 'already running' : 'spawned',
        };
      } catch (err) {
        if (err instanceof SandboxControlError) throw ApplicationFailure.nonRetryable(`${target}: ${err.message}`, FAILURE.invalidTargetConfig);
        throw err;
      }
    }
    const c = await runShell(p.start, shell(p));
    if (c.timedOut) throw ApplicationFailure.retryable(`${target}: start command ${describe(c)}`, FAILURE.processCommandTimeout);
    if (c.exitCode !== 0) throw ApplicationFailure.retryable(`${target}: start command failed: ${describe(c)}`, FAILURE.processCommandFailed);
    return { adapter: 'shell', startRequestedAt, startReturnedAt: new Date().toISOString(), alreadyRunning: false, detail: describe(c) };
  }

  /**
   * Runs a keyed action once. `.pending` (with the time of the first request) is written before
   * acting, `.done` (with the outcome) after; a retry that finds `.done` returns it. One that finds
   * only `.pending` (the worker died mid-way, or the attempt timed out) acts again with the first
   * request's time: a stop waits until the process is really gone (a draining process is not a
   * stopped one), a start whose process is already up is recorded as done without starting again.
   */
  async function keyed<R extends { alreadyDone: boolean }>(
    action: Action,
    target: string,
    key: string,
    t: TargetConfig,
    act: (first: { at: string; retry: boolean }) => Promise<Omit<R, 'alreadyDone'>>,
  ): Promise<R> {
    const m = markerFiles(action, key);
    const done = await readMarker<R & { target?: string }>(m.done);
    if (done) {
      if (done.target !== undefined && done.target !== target)
        throw ApplicationFailure.nonRetryable(`idempotencyKey ${key} was already used to ${action} target ${done.target}`, FAILURE.invalidInput);
      return { ...done, alreadyDone: true };
    }
    const pending = await readMarker<{ at: string; target?: string }>(m.pending);
    let first: { at: string; retry: boolean };
    if (pending && typeof pending.at === 'string' && !Number.isNaN(Date.parse(pending.at))) {
      if (pending.target !== undefined && pending.target !== target)
        throw ApplicationFailure.nonRetryable(`idempotencyKey ${key} was already used to ${action} target ${pending.target}`, FAILURE.invalidInput);
      first = { at: pending.at, retry: true };
      if (action === 'start') {
        const h = await health(t);
        if (h.healthy) {
          const r = {
            adapter: t.process.adapter,
            startRequestedAt: pending.at,
            startReturnedAt: new Date().toISOString(),
            alreadyRunning: true,
            detail: 'an earlier attempt already started it (found on retry)',
          };
          await writeFileAtomic(m.done, JSON.stringify({ ...r, target, alreadyDone: false }));
          return { ...(r as unknown as R), alreadyDone: false };
        }
      }
    } else {
      first = { at: new Date().toISOString(), retry: false };
      await fs.mkdir(path.dirname(m.pending), { recursive: true });
      await writeFileAtomic(m.pending, JSON.stringify({ at: first.at, target }));
    }
    const r = await act(first);
    await writeFileAtomic(m.done, JSON.stringify({ ...r, target, alreadyDone: false }));
    return { ...(r as R), alreadyDone: false };
  }

  return {
    /** Stops the target gracefully, once per idempotency key. Returns when it is really gone; fails `ProcessStopIncomplete` past `stopSeconds`. */
    async processStop(input: ProcessStopInput): Promise<ProcessStopResult> {
      const i = parseInput(processStopInputSchema, input, 'processStop input');
      const t = await resolveTarget(deps, i.target);
      const boundMs = (i.stopSeconds ?? t.process.timeoutSeconds) * 1000;
      return keyed<ProcessStopResult>('stop', i.target, i.idempotencyKey, t, (first) =>
        doStop(t, i.target, { stopRequestedAt: first.at, deadline: Date.parse(first.at) + boundMs, retry: first.retry }),
      );
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
