/**
 * The Temporal server on PostgreSQL, run here the way docker-compose.yml runs it, without Docker:
 * a throwaway PostgreSQL cluster (Debian's packages), `deploy/setup-schema.sh` with the release's
 * `temporal-sql-tool`, the release's `temporal-server start` rendering its embedded config template
 * from the same variables as the compose `temporal` service, with the same dynamic config file,
 * then `deploy/setup-temporal.sh` (namespace + search attributes) with the pinned CLI.
 *
 * The server and the SQL tool are built from the Go module proxy by `scripts/test-postgres.sh`
 * (`npm run test:postgres`) into `<cache>/temporal-server-go-<version>/bin`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { cacheRoot, requireTool } from '../../src/tools/provision';
import { TOOL_VERSIONS } from '../../src/tools/versions';
import { searchAttributeCliArgs } from '../../src/search-attributes';
import { freePort } from './process';

const exec = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');

export interface PostgresTemporal {
  address: string;
  namespace: string;
  serverVersion: string;
  postgresVersion: string;
  stop(): Promise<void>;
}

/** Where `scripts/test-postgres.sh` builds the server and the SQL tool. */
export function postgresTemporalBin(): { server: string; sqlTool: string } {
  const dir = path.join(cacheRoot(), `temporal-server-go-${TOOL_VERSIONS.temporalServer.go.version}`, 'bin');
  return { server: path.join(dir, 'server'), sqlTool: path.join(dir, 'sql') };
}

function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql: run scripts/test-postgres.sh (it installs them)');
  return path.join(base, newest, 'bin');
}

/**
 * A free port below 32768: Temporal stores membership ports in a PostgreSQL smallint, and the
 * kernel's ephemeral range (what port 0 gives) is above it.
 */
async function lowPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (taken.has(port)) continue;
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free port below 32768');
}

function stopProcess(child: ChildProcess, graceMs = 10000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs} ms:\n${log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function startPostgresTemporal(o: { namespace?: string } = {}): Promise<PostgresTemporal> {
  const namespace = o.namespace ?? 'default';
  const bin = postgresTemporalBin();
  for (const f of [bin.server, bin.sqlTool]) {
    if (!fs.existsSync(f)) throw new Error(`${f} is missing: run scripts/test-postgres.sh (npm run test:postgres) to build it`);
  }
  const pgBin = postgresBinDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-pg-'));
  const cleanups: Array<() => Promise<void> | void> = [() => fs.rmSync(dir, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  };
  try {
    // PostgreSQL refuses to run as root: as root, run it as Debian's `postgres` user.
    const asRoot = process.getuid?.() === 0;
    const pg = (cmd: string, args: string[]) =>
      asRoot ? exec('runuser', ['-u', 'postgres', '--', path.join(pgBin, cmd), ...args]) : exec(path.join(pgBin, cmd), args);
    const data = path.join(dir, 'pgdata');
    const sock = path.join(dir, 'sock');
    fs.mkdirSync(sock);
    fs.writeFileSync(path.join(dir, 'pw'), 'temporal\n');
    if (asRoot) await exec('chown', ['-R', 'postgres', dir]);
    const taken = new Set<number>();
    const pgPort = await lowPort(taken);
    await pg('initdb', ['-D', data, '-U', 'temporal', `--pwfile=${path.join(dir, 'pw')}`, '--auth=scram-sha-256', '-E', 'UTF8']);
    await pg('pg_ctl', [
      '-D',
      data,
      '-l',
      path.join(dir, 'postgres.log'),
      '-w',
      '-o',
      `-p ${pgPort} -k ${sock} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
      'start',
    ]);
    cleanups.push(() => pg('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']).then(() => undefined));
    const { stdout: pgVersion } = await exec(path.join(pgBin, 'postgres'), ['--version']);

    // The tools as the admin-tools image names them.
    const toolDir = path.join(dir, 'bin');
    fs.mkdirSync(toolDir);
    fs.symlinkSync(bin.sqlTool, path.join(toolDir, 'temporal-sql-tool'));
    fs.symlinkSync(requireTool('temporal').path, path.join(toolDir, 'temporal'));
    const PATH = `${toolDir}${path.delimiter}${process.env.PATH ?? ''}`;
    await exec('sh', [path.join(ROOT, 'deploy', 'setup-schema.sh')], {
      env: {
        ...process.env,
        PATH,
        SQL_PLUGIN: 'postgres12',
        SQL_HOST: '127.0.0.1',
        SQL_PORT: String(pgPort),
        SQL_USER: 'temporal',
        SQL_PASSWORD: 'temporal',
      },
      maxBuffer: 64 * 1024 * 1024,
    });

    // The compose `temporal` service's variables; ports moved to free ones (membership ports < 32768).
    const grpcPort = await lowPort(taken);
    const httpPort = await freePort();
    const ports: Record<string, string> = {
      FRONTEND_GRPC_PORT: String(grpcPort),
      FRONTEND_HTTP_PORT: String(httpPort),
    };
    for (const svc of ['HISTORY', 'MATCHING', 'WORKER']) ports[`${svc}_GRPC_PORT`] = String(await lowPort(taken));
    for (const svc of ['FRONTEND', 'HISTORY', 'MATCHING', 'WORKER']) ports[`${svc}_MEMBERSHIP_PORT`] = String(await lowPort(taken));
    const logFile = path.join(dir, 'temporal.log');
    const out = fs.openSync(logFile, 'a');
    const server = spawn(bin.server, ['start'], {
      cwd: dir,
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        DB: 'postgres12',
        DB_PORT: String(pgPort),
        POSTGRES_SEEDS: '127.0.0.1',
        POSTGRES_USER: 'temporal',
        POSTGRES_PWD: 'temporal',
        BIND_ON_IP: '127.0.0.1',
        TEMPORAL_ALLOW_NO_AUTH: 'true',
        DYNAMIC_CONFIG_FILE_PATH: path.join(ROOT, 'deploy', 'dynamicconfig', 'drill-runner.yaml'),
        LOG_LEVEL: 'warn',
        ...ports,
      },
    });
    fs.closeSync(out);
    cleanups.push(() => stopProcess(server));
    const readLog = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
    let serverVersion = '';
    // The compose healthcheck's probe: GetClusterInfo on the frontend's HTTP API.
    await waitFor(
      'temporal-server (GET /api/v1/cluster-info)',
      async () => {
        if (server.exitCode !== null) throw new Error(`temporal-server exited ${server.exitCode}`);
        const r = await fetch(`http://127.0.0.1:${httpPort}/api/v1/cluster-info`);
        if (r.ok) serverVersion = ((await r.json()) as { serverVersion?: string }).serverVersion ?? '';
        return r.ok;
      },
      60000,
      readLog,
    );
    const address = `127.0.0.1:${grpcPort}`;
    await exec('sh', [path.join(ROOT, 'deploy', 'setup-temporal.sh'), ...searchAttributeCliArgs()], {
      env: {
        ...process.env,
        PATH,
        TEMPORAL_ADDRESS: address,
        TEMPORAL_NAMESPACE: namespace,
        TEMPORAL_NAMESPACE_RETENTION: '1d',
      },
    });
    return { address, namespace, serverVersion, postgresVersion: pgVersion.trim(), stop: cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
