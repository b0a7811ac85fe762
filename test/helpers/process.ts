/** Test plumbing for real processes: free loopback ports, the `drill` CLI as a child process, histories. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

const exec = promisify(execFile);
export const DRILL_BIN = path.resolve(__dirname, '../../bin/drill.js');

/**
 * A loopback port nothing holds right now, for a server a test starts. It is picked below the
 * kernel's ephemeral range: ports in that range are handed to every outgoing connection (the
 * workers', clients' and probes' of the tests running beside this one), and such a connection can
 * take a port between the moment we find it free and the moment the server binds it (CI saw a dev
 * server end on exactly that). Below the range only an explicit bind takes a port. Falls back to a
 * port the kernel picks when no port below the range is free after a few tries.
 */
export async function freePort(): Promise<number> {
  const band = portsBelowEphemeralRange();
  if (!band) return kernelPickedPort();
  const [lowest, below] = band;
  for (let tries = 0; tries < 20; tries++) {
    const port = lowest + Math.floor(Math.random() * (below - lowest));
    if (await canListen(port)) return port;
  }
  return kernelPickedPort();
}

const LOWEST_PICKED_PORT = 15000;

/**
 * [LOWEST_PICKED_PORT, the first ephemeral port): Linux's range from /proc, else the IANA one's
 * start (49152); none when the range starts too low to leave 1,000 ports below it.
 */
export function portsBelowEphemeralRange(rangeFile = '/proc/sys/net/ipv4/ip_local_port_range'): [number, number] | undefined {
  let first = 49152;
  try {
    const parsed = Number(fs.readFileSync(rangeFile, 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(parsed) && parsed > 0) first = parsed;
  } catch {
    // Not Linux: the IANA range.
  }
  return first >= LOWEST_PICKED_PORT + 1000 ? [LOWEST_PICKED_PORT, first] : undefined;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function kernelPickedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/drill.js ...args` with `env` on top of this process's environment. */
export async function runDrillCli(args: string[], env: Record<string, string>, timeoutMs = 60000): Promise<CliResult> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [DRILL_BIN, ...args], {
      env: { ...process.env, DRILL_LOG_PRETTY: 'false', ...env },
      timeout: timeoutMs,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** `RECORD_HISTORIES=1 npx jest ...` refreshes the histories the replay tests guard. */
export async function recordHistory(handle: { fetchHistory(): Promise<Parameters<typeof historyToJSON>[0]> }, name: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  fs.writeFileSync(path.resolve(__dirname, `../replay/histories/${name}.json`), historyToJSON(await handle.fetchHistory()));
}
