/**
 * The worker's health, for a container healthcheck or a load balancer: `GET /healthz` on
 * `DRILL_HEALTH_ADDRESS` answers 200 while the worker polls and its Temporal frontend answered
 * recently, 503 otherwise, with the facts as JSON. The frontend is asked (`GetSystemInfo`) on a
 * timer, not per request, so a busy healthcheck never adds load to the server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

/** What the endpoint reports. */
export interface WorkerHealth {
  ok: boolean;
  /** The SDK worker's state: RUNNING while it polls. */
  state: string;
  taskQueue: string;
  namespace: string;
  /** `<deploymentName>.<buildId>` when a build id is configured. */
  version: string | null;
  versioning: boolean;
  /** The last time the Temporal frontend answered (ISO), null before the first answer. */
  serverOkAt: string | null;
  /** Why `ok` is false. */
  problems: string[];
}

export interface HealthInputs {
  state: string;
  taskQueue: string;
  namespace: string;
  version?: { deploymentName: string; buildId: string };
  versioning: boolean;
  serverOkAtMs: number | null;
  nowMs: number;
  /** The frontend must have answered within this long (default 30 s). */
  maxServerSilenceMs?: number;
}

/** Pure: healthy means polling, and the frontend answered within the allowed silence. */
export function workerHealth(i: HealthInputs): WorkerHealth {
  const maxSilence = i.maxServerSilenceMs ?? 30_000;
  const problems: string[] = [];
  if (i.state !== 'RUNNING') problems.push(`worker is ${i.state}, not RUNNING`);
  if (i.serverOkAtMs === null) problems.push('the Temporal frontend has not answered yet');
  else if (i.nowMs - i.serverOkAtMs > maxSilence) {
    problems.push(`the Temporal frontend has not answered for ${Math.round((i.nowMs - i.serverOkAtMs) / 1000)} s`);
  }
  return {
    ok: problems.length === 0,
    state: i.state,
    taskQueue: i.taskQueue,
    namespace: i.namespace,
    version: i.version ? `${i.version.deploymentName}.${i.version.buildId}` : null,
    versioning: i.versioning,
    serverOkAt: i.serverOkAtMs === null ? null : new Date(i.serverOkAtMs).toISOString(),
    problems,
  };
}

export interface HealthServerOptions {
  address: string;
  /** Current inputs except the server check, which the server keeps itself. */
  inputs: () => Omit<HealthInputs, 'serverOkAtMs' | 'nowMs'>;
  /** One cheap call to the frontend; resolves when it answered. */
  pingServer: () => Promise<unknown>;
  pingEveryMs?: number;
  logger?: Logger;
}

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

/** Starts the endpoint and the frontend ping loop. */
export async function startHealthServer(o: HealthServerOptions): Promise<HealthServer> {
  let serverOkAtMs: number | null = null;
  let stopped = false;
  const ping = async () => {
    try {
      await o.pingServer();
      serverOkAtMs = Date.now();
    } catch (err) {
      o.logger?.warn({ err: (err as Error).message }, 'health: the Temporal frontend did not answer');
    }
  };
  void ping();
  const timer = setInterval(() => void (stopped ? undefined : ping()), o.pingEveryMs ?? 10_000);
  timer.unref();

  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/healthz' && req.url !== '/')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found: GET /healthz"}');
      return;
    }
    const h = workerHealth({ ...o.inputs(), serverOkAtMs, nowMs: Date.now() });
    res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(`${JSON.stringify(h)}\n`);
  });
  const [host, port] = splitHostPort(o.address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${shownHost}:${bound.port}/healthz`,
    close: () =>
      new Promise<void>((resolve) => {
        stopped = true;
        clearInterval(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i).replace(/^\[(.*)\]$/, '$1'), Number(address.slice(i + 1))];
}
