/**
 * `--json` as a script uses it (issue 13, item 4): `node bin/drill.js <command> --json` as a child
 * process; stdout must be exactly one JSON document (JSON.parse of all of it), progress and human
 * text on stderr, exit codes unchanged. Without a server: tools, config, report index, audit verify,
 * the sandbox; with the embedded dev server (`drill dev --json`, one line once up): ack-timer, incident
 * list and a worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DRILL_BIN, freePort, runDrillCli, type CliResult } from '../helpers/process';
import { eventually } from '../helpers/webhook-receiver';

let tmp: string;
let env: Record<string, string>;
const children: ChildProcess[] = [];

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-cli-json-'));
  env = {
    DRILL_STATE_DIR: path.join(tmp, 'state'),
    DRILL_RESULTS_DIR: path.join(tmp, 'results'),
    DRILL_TARGETS_FILE: path.join(tmp, 'no-targets.json'),
    DRILL_SANDBOX_CONFIG: '',
    DRILL_LOG_LEVEL: 'warn',
    TEMPORAL_ADDRESS: '127.0.0.1:1', // nothing listens: the commands here must not need a server
    TEMPORAL_CONFIG_FILE: path.join(tmp, 'no-profile.toml'),
  };
  // The runbook's SLO_* and paging settings of the caller's shell stay out of these runs.
  for (const k of Object.keys(process.env)) if (k.startsWith('SLO_')) env[k] = '';
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await runDrillCli(['sandbox', 'stop'], env).catch(() => undefined);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The whole of stdout is one JSON document. */
function doc<T = Record<string, unknown>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${r.code}):\n${r.stdout}\n--- stderr:\n${r.stderr}`);
  }
}

test("tools where / tools ensure --json: the tools as data; ensure's progress on stderr", async () => {
  const where = await runDrillCli(['tools', 'where', '--json'], env);
  const w = doc<{ cache: string; tools: Array<{ tool: string; provisioned: boolean; path?: string }>; exitCode: number }>(where);
  expect(where.code).toBe(w.exitCode);
  expect(w.tools.map((t) => t.tool)).toEqual(['temporal', 'test-server']);
  expect(typeof w.cache).toBe('string');
  // `npm test` provisions both before the tests (pretest).
  for (const t of w.tools) if (t.provisioned) expect(fs.existsSync(t.path!)).toBe(true);

  const human = await runDrillCli(['tools', 'where'], env);
  expect(human.stdout).toMatch(/^cache: /);
  expect(human.stdout).toContain('temporal: ');

  if (w.exitCode === 0) {
    const ensure = await runDrillCli(['tools', 'ensure', '--json'], env);
    expect(ensure.code).toBe(0);
    const e = doc<{ tools: Array<{ tool: string; path: string; source: string }> }>(ensure);
    expect(e.tools.map((t) => [t.tool, t.path])).toEqual(w.tools.map((t) => [t.tool, t.path]));
    expect(ensure.stderr).toMatch(/temporal: present at /);
  }
});

test('config --json: every setting and what is in force', async () => {
  const r = await runDrillCli(['config', '--json'], env);
  expect(r.code).toBe(0);
  const c = doc<{ settings: Array<{ name: string }>; inForce: { address: string; namespace: string; taskQueue: string } }>(r);
  expect(c.inForce.address).toBe('127.0.0.1:1');
  expect(c.settings.map((s) => s.name)).toEqual(expect.arrayContaining(['TEMPORAL_ADDRESS', 'DRILL_RESULTS_DIR']));
});

test('report index --json on an empty results folder; audit verify --json without a log: the error as JSON, exit 2', async () => {
  const idx = await runDrillCli(['report', 'index', '--json'], env);
  expect(idx.code).toBe(0);
  const i = doc<{ path: string; reports: number; problems: string[] }>(idx);
  expect(i).toEqual({ path: path.join(tmp, 'results', 'drills', 'index.html'), reports: 0, problems: [] });
  expect(fs.existsSync(i.path)).toBe(true);

  const audit = await runDrillCli(['audit', 'verify', '--json'], env);
  expect(audit.code).toBe(2);
  const a = doc<{ error: string; exitCode: number }>(audit);
  expect(a).toEqual({ error: expect.stringMatching(/no audit log at .*drill-runner\.jsonl/), exitCode: 2 });
  expect(audit.stderr).toContain('drill: no audit log');
  // Without --json the error stays on stderr alone.
  const plain = await runDrillCli(['audit', 'verify'], env);
  expect(plain.code).toBe(2);
  expect(plain.stdout).toBe('');
});

test('sandbox start / inject / clear / status / stop --json', async () => {
  const start = await runDrillCli(['sandbox', 'start', '--json'], env);
  expect(start.code).toBe(0);
  const s = doc<{ pid: number; alreadyRunning: boolean; configFile: string; info: { gateway_url: string } }>(start);
  expect(s).toMatchObject({ alreadyRunning: false, configFile: path.join(tmp, 'state', 'sandbox', 'config.json') });
  expect(s.info.gateway_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

  const inject = await runDrillCli(['sandbox', 'inject', 'order_drift', '--json'], env);
  expect(doc(inject)).toMatchObject({ fault: 'order_drift', changed: true, faults: [{ fault: 'order_drift' }] });
  const again = await runDrillCli(['sandbox', 'inject', 'order_drift', '--json'], env);
  expect(doc(again)).toMatchObject({ fault: 'order_drift', changed: false });
  const clear = await runDrillCli(['sandbox', 'clear', 'all', '--json'], env);
  expect(doc(clear)).toEqual({ fault: 'all', changed: true, faults: [] });
  const status = await runDrillCli(['sandbox', 'status', '--json'], env);
  expect(status.code).toBe(0);
  expect(doc(status)).toMatchObject({ running: true, pid: s.pid });

  const stop = await runDrillCli(['sandbox', 'stop', '--json'], env);
  expect(stop.code).toBe(0);
  expect(doc(stop)).toMatchObject({ wasRunning: true, stopped: true, pid: s.pid, via: 'control' });
  const human = await runDrillCli(['sandbox', 'stop'], env);
  expect(human.stdout.trim()).toBe('sandbox was not running');
});

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function spawnDrill(args: string[], extra: Record<string, string>): Running {
  const child = spawn(process.execPath, [DRILL_BIN, ...args], {
    env: { ...process.env, DRILL_LOG_PRETTY: 'false', ...env, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

test('dev --json: one line once up; ack-timer, incident list and worker --json against it', async () => {
  const port = await freePort();
  const server = { TEMPORAL_ADDRESS: `127.0.0.1:${port}`, DRILL_TASK_QUEUE: 'cli-json-e2e' };
  const dev = spawnDrill(['dev', '--json', '--headless', '--no-sandbox'], server);
  const line = await eventually(() => (dev.stdout().includes('\n') ? dev.stdout() : undefined), `drill dev --json to print its line:\n${dev.stderr()}`, 90000);
  const up = JSON.parse(line) as { address: string; namespace: string; uiUrl: string | null; taskQueue: string; sandbox: unknown };
  expect(line.trim().split('\n')).toHaveLength(1);
  expect(up).toMatchObject({ address: `127.0.0.1:${port}`, namespace: 'default', uiUrl: null, taskQueue: 'cli-json-e2e', sandbox: null });
  expect(dev.stderr()).toContain(`Temporal server started at 127.0.0.1:${port}`);

  const all = { ...env, ...server };
  const started = await runDrillCli(['ack-timer', 'start', '--run-id', 'cli-json', '--incident-id', 'inc-1', '--severity', 'warning', '--json'], all);
  expect(started.code).toBe(0);
  const t = doc<{ workflowId: string; runId: string }>(started);
  expect(t.workflowId).toContain('cli-json');
  expect(t.runId).toMatch(/\S/);
  const resolved = await runDrillCli(
    ['ack-timer', 'resolve', '--run-id', 'cli-json', '--incident-id', 'inc-1', '--workflow-id', t.workflowId, '--by', 'alice', '--json'],
    all,
  );
  expect(resolved.code).toBe(0);
  expect(doc(resolved)).toEqual({ workflowId: t.workflowId });
  const list = await runDrillCli(['incident', 'list', '--run-id', 'cli-json', '--json'], all);
  expect(list.code).toBe(0);
  expect(Array.isArray(doc(list))).toBe(true);
  const notRunning = await runDrillCli(['watch', 'stop', '--run-id', 'cli-json', '--json'], all);
  expect(notRunning.code).toBe(1);
  expect(doc(notRunning)).toEqual({ error: expect.stringContaining('no running watcher'), exitCode: 1 });

  const worker = spawnDrill(['worker', '--json'], { ...server, DRILL_TASK_QUEUE: 'cli-json-e2e-2' });
  const w = await eventually(
    () => (worker.stdout().includes('\n') ? worker.stdout() : undefined),
    `drill worker --json to print its line:\n${worker.stderr()}`,
    60000,
  );
  expect(JSON.parse(w)).toMatchObject({ taskQueue: 'cli-json-e2e-2', namespace: 'default', address: `127.0.0.1:${port}` });
  worker.child.kill('SIGINT');
  expect(await worker.exited).toBe(0);
  expect(worker.stdout().trim().split('\n')).toHaveLength(1);

  dev.child.kill('SIGINT');
  expect(await dev.exited).toBe(0);
  expect(dev.stdout().trim().split('\n')).toHaveLength(1);
  expect(dev.stderr()).toContain('stopped.');
});
