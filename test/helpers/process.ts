/** Test plumbing for real processes: free loopback ports, the `drill` CLI as a child process, histories. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { pickPortBelowEphemeralRange } from '../../src/io/local-ports';

const exec = promisify(execFile);
export const DRILL_BIN = path.resolve(__dirname, '../../bin/drill.js');

/**
 * A loopback port nothing holds right now, for a server a test starts: picked below the kernel's
 * ephemeral range (src/io/local-ports.ts says why; CI saw a dev server end on a port an outgoing
 * connection of another test took), else one the kernel picks.
 */
export async function freePort(): Promise<number> {
  return (await pickPortBelowEphemeralRange('127.0.0.1')) || kernelPickedPort();
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
