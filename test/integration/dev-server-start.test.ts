/**
 * Starting the embedded dev server when it ends before it is ready. The server picks its internal
 * services' ports itself and binds them later; another process can take one in between, and the
 * server then panics (exit code 2). Such a start is tried again; any other early end is reported
 * at once with the server's own last lines. The stand-in CLI below fails as the real one does and
 * then hands over to the real CLI, so the retried start is a real server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { startDevServer, DevServerExitedError } from '../../src/client/dev-server';
import { requireTool } from '../../src/tools/provision';
import { freePort } from '../helpers/process';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dev-server-start-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A CLI that fails its first `failures` runs with `output` and exit code `code`, then runs the real one. */
function standInCli(failures: number, output: string, code: number): { cliPath: string; runs: () => number } {
  const counter = path.join(dir, 'runs');
  const cliPath = path.join(dir, 'temporal');
  fs.writeFileSync(
    cliPath,
    [
      '#!/bin/sh',
      `echo run >> '${counter}'`,
      `if [ "$(wc -l < '${counter}')" -le ${failures} ]; then`,
      `  cat <<'OUT'`,
      output,
      'OUT',
      `  exit ${code}`,
      'fi',
      `exec '${requireTool('temporal').path}' "$@"`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  return { cliPath, runs: () => (fs.existsSync(counter) ? fs.readFileSync(counter, 'utf8').trim().split('\n').length : 0) };
}

/** Starts a server with `cliPath` that is expected to fail before it is ready; returns the error. */
async function failingStart(cliPath: string, extra: { logFile?: string; readyTimeoutMs?: number } = {}): Promise<DevServerExitedError> {
  const err = await startDevServer({ cliPath, host: '127.0.0.1', port: await freePort(), uiPort: 0, namespace: 'default', headless: true, ...extra }).catch(
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DevServerExitedError);
  return err as DevServerExitedError;
}

const PANIC = [
  '{"level":"ERROR","msg":"Failed to start gRPC listener","error":"listen tcp 127.0.0.1:41234: bind: address already in use"}',
  'panic: runtime error: invalid memory address or nil pointer dereference',
  '[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x1c3f1a2]',
].join('\n');

test('a server that panics on a port taken under it is started again, and the retried one serves', async () => {
  const cli = standInCli(1, PANIC, 2);
  const said: string[] = [];
  const port = await freePort();
  const server = await startDevServer({
    cliPath: cli.cliPath,
    host: '127.0.0.1',
    port,
    uiPort: 0,
    namespace: 'default',
    headless: true,
    logFile: path.join(dir, 'logs', 'server.log'),
    say: (l) => said.push(l),
  });
  try {
    expect(cli.runs()).toBe(2);
    expect(said.filter((l) => l.startsWith('starting '))).toHaveLength(2);
    expect(said.some((l) => /port it picked was taken.*try 2 of 3/.test(l))).toBe(true);
    const c = await Connection.connect({ address: server.address });
    try {
      expect((await c.workflowService.getSystemInfo({})).serverVersion).toMatch(/\d/);
    } finally {
      await c.close();
    }
    // The first run's panic stays in the log file the retried server appends to.
    expect(fs.readFileSync(path.join(dir, 'logs', 'server.log'), 'utf8')).toContain('Failed to start gRPC listener');
  } finally {
    await server.stop();
  }
});

test('a port that stays taken: three tries, then the error carries the lines that say why', async () => {
  const cli = standInCli(99, PANIC, 2);
  const err = await failingStart(cli.cliPath);
  expect(cli.runs()).toBe(3);
  expect(err.exitCode).toBe(2);
  expect(err.message).toMatch(/^temporal server exited with code 2 before it was ready; its output:\n/);
  // The panic's own line, and the error logged before it, not just the trace's last frames.
  expect(err.message).toContain('bind: address already in use');
  expect(err.message).toContain('panic: runtime error');
});

test('any other early end is reported at once, with what the server printed', async () => {
  const cli = standInCli(99, 'Error: unknown flag: --no-such-flag', 1);
  const logFile = path.join(dir, 'server.log');
  fs.writeFileSync(logFile, 'a line from an earlier start\n');
  const err = await failingStart(cli.cliPath, { logFile });
  expect(cli.runs()).toBe(1);
  expect(err.exitCode).toBe(1);
  // Only this start's lines: the earlier start's line in the shared log file is not this failure's cause.
  expect(err.output.trim()).toBe('Error: unknown flag: --no-such-flag');
  expect(err.message).toBe('temporal server exited with code 1 before it was ready; its output:\nError: unknown flag: --no-such-flag');
});

test('a server killed by a signal before it is ready is reported at once, not waited out', async () => {
  const cli = standInCli(99, 'about to be killed', 0);
  // The stand-in kills itself in place of exiting.
  fs.writeFileSync(
    cli.cliPath,
    fs.readFileSync(cli.cliPath, 'utf8').replace('  exit 0', () => '  kill -KILL $$'),
  );
  const err = await failingStart(cli.cliPath, { readyTimeoutMs: 20000 });
  expect(err.signal).toBe('SIGKILL');
  expect(err.message).toBe('temporal server was killed by SIGKILL before it was ready; its output:\nabout to be killed');
  expect(cli.runs()).toBe(1);
});
