/**
 * A worker fleet for tests: the production worker entry (`node dist/worker.js`) as real child
 * processes, configured with docker-compose.yml's own `worker` environment (container paths mapped
 * to test folders, `temporal:7233` to the test server), against the dev server, or against the
 * Temporal server on PostgreSQL when `DRILL_TEST_TEMPORAL=postgres` (`npm run test:postgres`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { startDevServer } from '../../src/client/dev-server';
import { requireTool } from '../../src/tools/provision';
import { TOOL_VERSIONS } from '../../src/tools/versions';
import type { WorkerHealth } from '../../src/worker-health';
import { freePort } from './process';
import { waitFor } from './sandbox';
import { startPostgresTemporal } from './temporal-postgres';

const ROOT = path.resolve(__dirname, '..', '..');
const WORKER = path.join(ROOT, 'dist', 'worker.js');

export interface FleetServer {
  kind: 'dev' | 'postgres';
  address: string;
  namespace: string;
  stop(): Promise<void>;
}

/** The dev server, or the PostgreSQL-backed server with `DRILL_TEST_TEMPORAL=postgres`. */
export async function startFleetServer(): Promise<FleetServer> {
  if (process.env.DRILL_TEST_TEMPORAL === 'postgres') {
    const s = await startPostgresTemporal();
    const pinned = TOOL_VERSIONS.temporalServer.go.version.replace(/^v/, '');
    if (s.serverVersion !== pinned) {
      await s.stop();
      throw new Error(`the PostgreSQL-backed server reports ${s.serverVersion}, expected the pinned ${pinned}`);
    }
    return { kind: 'postgres', address: s.address, namespace: s.namespace, stop: s.stop };
  }
  const s = await startDevServer({
    cliPath: requireTool('temporal').path,
    host: '127.0.0.1',
    port: await freePort(),
    uiPort: 0,
    namespace: 'default',
    headless: true,
    readyTimeoutMs: 60000,
  });
  return { kind: 'dev', address: s.address, namespace: 'default', stop: s.stop };
}

interface ComposeWorker {
  environment: Record<string, string>;
  volumes: string[];
}

/** `${VAR:-default}` → default, `${VAR}` → '' : the file's own defaults, whatever this shell holds. */
function interpolateDefaults(v: string): string {
  return v.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}/g, (_m, dflt: string | undefined) => dflt ?? '');
}

/** Container path → volume source of the compose worker (`${X:-./a}:/data/a:ro` → `/data/a`). */
function composeWorker(): ComposeWorker {
  const doc = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeWorker>;
  };
  const w = doc.services.worker;
  if (!w) throw new Error('docker-compose.yml has no worker service');
  return w;
}

/** Test folders for the compose worker's container mounts, created under `dir`. */
export function fleetMounts(dir: string): Record<string, string> {
  const w = composeWorker();
  const mounts: Record<string, string> = {};
  for (const v of w.volumes) {
    const dst = interpolateDefaults(v).split(':')[1]!;
    mounts[dst] = path.join(dir, dst.slice(1).replace(/\//g, '-'));
    fs.mkdirSync(mounts[dst]!, { recursive: true });
  }
  return mounts;
}

export interface WorkerEnvOptions {
  server: FleetServer;
  /** Host folder for each container mount of the compose worker (`/data/results`, `/config/targets`, ...). */
  mounts: Record<string, string>;
  /** Anything else (task queue, paging, build id, versioning). */
  extra?: Record<string, string>;
}

/**
 * The compose worker's environment, runnable on this host: every value that lies on a mount moves
 * to the mount's host folder; the server address, health and metrics addresses move to loopback.
 */
export async function composeWorkerEnv(o: WorkerEnvOptions): Promise<Record<string, string>> {
  const w = composeWorker();
  const containerDirs = w.volumes.map((v) => interpolateDefaults(v).split(':')[1]!).filter((d) => d.startsWith('/'));
  for (const d of containerDirs) if (!o.mounts[d]) throw new Error(`no host folder given for the compose worker's mount ${d}`);
  const env: Record<string, string> = {};
  for (const [k, raw] of Object.entries(w.environment)) {
    let v = interpolateDefaults(String(raw));
    const mount = containerDirs.find((d) => v === d || v.startsWith(`${d}/`));
    if (mount) v = o.mounts[mount]! + v.slice(mount.length);
    if (v !== '') env[k] = v;
  }
  if (env.TEMPORAL_ADDRESS !== 'temporal:7233') throw new Error(`unexpected compose TEMPORAL_ADDRESS ${env.TEMPORAL_ADDRESS}`);
  env.TEMPORAL_ADDRESS = o.server.address;
  env.TEMPORAL_NAMESPACE = o.server.namespace;
  env.DRILL_HEALTH_ADDRESS = `127.0.0.1:${await freePort()}`;
  env.DRILL_METRICS_ADDRESS = `127.0.0.1:${await freePort()}`;
  return { ...env, ...(o.extra ?? {}) };
}

/** The compose worker's healthcheck command (`CMD` form), to run against a worker on this host. */
export function composeHealthcheck(): string[] {
  const doc = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { healthcheck: { test: string[] } }>;
  };
  const test = doc.services.worker?.healthcheck.test ?? [];
  if (test[0] !== 'CMD') throw new Error(`expected a CMD healthcheck, got ${JSON.stringify(test)}`);
  return test.slice(1);
}

export interface FleetWorker {
  name: string;
  pid: number;
  /** The SDK's default worker identity (`<pid>@<hostname>`), as it appears in histories. */
  identity: string;
  env: Record<string, string>;
  healthUrl: string;
  output(): string;
  health(): Promise<{ status: number; body: WorkerHealth }>;
  /** Runs the compose healthcheck command with this worker's environment: its exit code. */
  healthcheck(): Promise<number | null>;
  kill9(): void;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * Spawns `node dist/worker.js` and waits until its /healthz answers 200. The health and metrics ports
 * come from `freePort()`, which frees them before the worker binds them; a loopback connection can
 * take one in between (seen in CI: EADDRINUSE on the health port). A worker that exits for that
 * reason before it is healthy is started again on fresh ports, up to 3 times in all.
 */
export async function spawnWorker(name: string, env: Record<string, string>, timeoutMs = 90000): Promise<FleetWorker> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnWorkerOnce(name, env, timeoutMs);
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= 3) throw err;
      env = { ...env, DRILL_HEALTH_ADDRESS: `127.0.0.1:${await freePort()}`, DRILL_METRICS_ADDRESS: `127.0.0.1:${await freePort()}` };
    }
  }
}

/** A worker that exited before it was healthy because a port it was given was taken. */
class PortTakenError extends Error {}

async function spawnWorkerOnce(name: string, env: Record<string, string>, timeoutMs: number): Promise<FleetWorker> {
  const child: ChildProcess = spawn(process.execPath, [WORKER], {
    env: { ...process.env, DRILL_LOG_PRETTY: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const healthUrl = `http://${env.DRILL_HEALTH_ADDRESS}/healthz`;
  const health = async () => {
    const r = await fetch(healthUrl, { signal: AbortSignal.timeout(5000) });
    return { status: r.status, body: (await r.json()) as WorkerHealth };
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      const message = `worker ${name} exited ${child.exitCode} before it was healthy:\n${out.slice(-3000)}`;
      throw /EADDRINUSE|address already in use/i.test(out) ? new PortTakenError(message) : new Error(message);
    }
    const h = await health().catch(() => undefined);
    if (h?.status === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker ${name} not healthy after ${timeoutMs} ms (${JSON.stringify(h?.body)}):\n${out.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name,
    pid: child.pid!,
    identity: `${child.pid}@${os.hostname()}`,
    env,
    healthUrl,
    output: () => out,
    health,
    healthcheck: () =>
      new Promise((resolve) => {
        const [cmd, ...args] = composeHealthcheck();
        const p = spawn(cmd!, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
        p.once('exit', (code) => resolve(code));
      }),
    kill9: () => void child.kill('SIGKILL'),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    exited,
  };
}

/**
 * Waits until the server lists every one of `identities` among the pollers of `taskQueue`, for both
 * workflow and activity tasks. A worker's health endpoint answers once the worker runs, which can be
 * before its first polls reach the server; work started before then can only go to the others.
 */
export async function waitForPollers(client: Client, taskQueue: string, identities: string[], timeoutMs = 30000): Promise<void> {
  const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;
  const kinds = [
    { type: TASK_QUEUE_TYPE_WORKFLOW, label: 'workflow' },
    { type: TASK_QUEUE_TYPE_ACTIVITY, label: 'activity' },
  ];
  await waitFor(
    `${identities.join(', ')} polling ${taskQueue}`,
    async () => {
      const missing: string[] = [];
      for (const { type, label } of kinds) {
        const r = await client.workflowService.describeTaskQueue({ namespace: client.options.namespace, taskQueue: { name: taskQueue }, taskQueueType: type });
        const polling = new Set((r.pollers ?? []).map((p) => p.identity));
        missing.push(...identities.filter((id) => !polling.has(id)).map((id) => `${id} (${label} tasks)`));
      }
      if (missing.length) throw new Error(`not polling yet: ${missing.join(', ')}`);
      return true;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/** Identities of the workers that completed workflow tasks / started activities in a history. */
export function workersInHistory(history: History | undefined): { workflowTasks: string[]; activities: string[] } {
  const workflowTasks: string[] = [];
  const activities: string[] = [];
  for (const e of history?.events ?? []) {
    const wft = e.workflowTaskCompletedEventAttributes?.identity;
    if (wft) workflowTasks.push(wft);
    const act = e.activityTaskStartedEventAttributes?.identity;
    if (act) activities.push(act);
  }
  return { workflowTasks, activities };
}
