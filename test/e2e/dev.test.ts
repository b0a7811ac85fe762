/**
 * `drill dev` as a user runs it: a real child process starting the embedded dev server (SQLite
 * state, Web UI) and a worker; Ctrl-C stops it; state survives a restart; a running server is reused.
 * And the README's main job, `drill dev --drill --exit-after-drill`: one full drill on the sandbox.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { isListening } from '../../src/client/dev-server';
import { drillReportSchema } from '../../src/domain/drill-report';
import { eventually } from '../helpers/webhook-receiver';
import { freePort } from '../helpers/process';

const DRILL = path.resolve(__dirname, '../../bin/drill.js');

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startDev(env: NodeJS.ProcessEnv, args: string[] = []): Running {
  const child = spawn(process.execPath, [DRILL, 'dev', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

let tmp: string;
let env: NodeJS.ProcessEnv;
let port: number;
let uiPort: number;
const running: Running[] = [];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-dev-'));
  port = await freePort();
  uiPort = await freePort();
  env = {
    ...process.env,
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    DRILL_UI_PORT: String(uiPort),
    DRILL_STATE_DIR: path.join(tmp, 'state'),
    DRILL_RESULTS_DIR: path.join(tmp, 'results'),
    DRILL_TASK_QUEUE: 'dev-e2e',
    DRILL_LOG_PRETTY: 'false',
    DRILL_LOG_LEVEL: 'warn',
  };
});

afterAll(async () => {
  for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('starts server + UI + worker, keeps state across a restart, reuses a running server, stops on Ctrl-C', async () => {
  const first = startDev(env);
  running.push(first);
  await eventually(() => first.output().includes('ready. Ctrl-C to stop.'), `drill dev to be ready:\n${first.output()}`, 90000);
  expect(first.output()).toContain(`Web UI: http://127.0.0.1:${uiPort}/namespaces/default/workflows`);
  expect(first.output()).toContain('worker polling task queue dev-e2e');
  expect(fs.existsSync(path.join(tmp, 'state', 'temporal-dev.sqlite'))).toBe(true);
  const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
  expect(ui.status).toBe(200);

  // A workflow started through the server, run by dev's own worker.
  const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
  const client = new Client({ connection });
  const handle = await client.workflow.start('incidentAckWorkflow', {
    taskQueue: 'dev-e2e',
    workflowId: 'incident-ack-dev-e2e-inc-1',
    args: [{ runId: 'dev-e2e', incidentId: 'inc-1', severity: 'critical' }],
  });
  await eventually(async () => (await handle.query('status')) as object, 'the worker to answer the status query');

  // A second `drill dev` on the same address reuses the server instead of starting another.
  const second = startDev(env, ['--no-worker']);
  running.push(second);
  await eventually(() => second.output().includes('ready. Ctrl-C to stop.'), `second drill dev:\n${second.output()}`, 60000);
  expect(second.output()).toContain('already listening');
  second.child.kill('SIGINT');
  expect(await second.exited).toBe(0);
  expect(await isListening('127.0.0.1', port)).toBe(true);

  first.child.kill('SIGINT');
  expect(await first.exited).toBe(0);
  expect(first.output()).toContain('stopped.');
  await connection.close();
  expect(await isListening('127.0.0.1', port)).toBe(false);

  // Restart on the same SQLite file: the workflow is still there.
  const third = startDev(env);
  running.push(third);
  await eventually(() => third.output().includes('ready. Ctrl-C to stop.'), `restarted drill dev:\n${third.output()}`, 90000);
  const c2 = await Connection.connect({ address: `127.0.0.1:${port}` });
  const desc = await new Client({ connection: c2 }).workflow.getHandle('incident-ack-dev-e2e-inc-1').describe();
  expect(desc.status.name).toBe('RUNNING');
  await new Client({ connection: c2 }).workflow.getHandle('incident-ack-dev-e2e-inc-1').terminate('e2e done');
  await c2.close();
  third.child.kill('SIGTERM');
  expect(await third.exited).toBe(0);
});

test("the README's main job: --drill runs one full drill on the sandbox, prints verdict, report and UI link, exits with its code", async () => {
  const drillPort = await freePort();
  const drillUiPort = await freePort();
  const run = startDev(
    {
      ...env,
      TEMPORAL_ADDRESS: `127.0.0.1:${drillPort}`,
      DRILL_UI_PORT: String(drillUiPort),
      DRILL_STATE_DIR: path.join(tmp, 'drill-state'),
      DRILL_RESULTS_DIR: path.join(tmp, 'drill-results'),
      DRILL_TASK_QUEUE: 'dev-e2e-drill',
    },
    ['--drill', '--exit-after-drill', '--json'],
  );
  running.push(run);
  const code = await run.exited;
  const out = run.output();
  expect({ code, out }).toMatchObject({ code: 0 });
  expect(out).toContain('verdict: PASS');
  expect(out).toContain(`Web UI: http://127.0.0.1:${drillUiPort}/namespaces/default/workflows/`);
  const summary = out
    .split('\n')
    .filter((l) => l.startsWith('{"address"'))
    .map((l) => JSON.parse(l) as { drill?: { result: string; exitCode: number; reportPath?: string } })[0];
  expect(summary?.drill).toMatchObject({ result: 'pass', exitCode: 0 });
  // The report names the procedure that ran: the prebuilt bundle dev's worker loaded.
  const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../dist/workflow-bundle.json'), 'utf8')) as { bundleSha256: string };
  const report = drillReportSchema.parse(JSON.parse(fs.readFileSync(summary!.drill!.reportPath!, 'utf8')));
  expect(report.record?.procedure?.workflowBundleSha256).toBe(manifest.bundleSha256);
  expect(await isListening('127.0.0.1', drillPort)).toBe(false);
});
