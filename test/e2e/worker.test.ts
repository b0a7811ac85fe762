/**
 * The production worker entry (`node dist/worker.js`) as a real process: config from the
 * environment, JSON logs without secrets, Prometheus metrics, work done, graceful SIGTERM.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDevServer, type DevServer } from '../../src/client/dev-server';
import { requireTool } from '../../src/tools/provision';
import { eventually } from '../helpers/webhook-receiver';
import { freePort } from '../helpers/process';

const WORKER = path.resolve(__dirname, '../../dist/worker.js');


let server: DevServer;
beforeAll(async () => {
  server = await startDevServer({ cliPath: requireTool('temporal').path, host: '127.0.0.1', port: await freePort(), uiPort: 0, namespace: 'default', headless: true });
});
afterAll(() => server?.stop());

test('bad configuration stops start-up with the variable named, exit 2', async () => {
  const child = spawn(process.execPath, [WORKER], { env: { ...process.env, SLO_PAGING_MIN_SEVERITY: 'loud', DRILL_TASK_QUEUE: 'a b' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(2);
  expect(err).toMatch(/SLO_PAGING_MIN_SEVERITY: expected critical or warning/);
  expect(err).toMatch(/DRILL_TASK_QUEUE: expected letters, digits/);
});

test('runs workflows, serves metrics, logs JSON without secrets, stops on SIGTERM', async () => {
  const metricsPort = await freePort();
  const secret = 'hooks/T0KEN-never-logged';
  const child = spawn(process.execPath, [WORKER], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      DRILL_TASK_QUEUE: 'worker-e2e',
      DRILL_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      DRILL_LOG_PRETTY: 'false',
      SLO_PAGING_ENABLED: 'true',
      SLO_PAGING_WEBHOOK_URL: `http://127.0.0.1:9/${secret}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  await eventually(() => out.includes('worker started'), `the worker to start:\n${out}`, 60000);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const handle = await client.workflow.start('incidentAckWorkflow', {
    taskQueue: 'worker-e2e',
    workflowId: `incident-ack-worker-e2e-${Date.now()}`,
    args: [{ runId: 'worker-e2e', incidentId: 'inc-1', severity: 'critical', ackSlaSeconds: 900 }],
  });
  await eventually(async () => (await handle.query('status')) as object, 'the worker to run the workflow');
  const metrics = await eventually(async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    return text.includes('temporal_') ? text : undefined;
  }, 'Prometheus metrics');
  expect(metrics).toMatch(/temporal_workflow_task/);
  await handle.terminate('e2e done');
  await connection.close();

  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  const lines = out.trim().split('\n').filter((l) => l.startsWith('{'));
  expect(lines.length).toBeGreaterThan(0);
  for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
  expect(lines.some((l) => JSON.parse(l).msg === 'worker stopped')).toBe(true);
  expect(out).not.toContain('T0KEN-never-logged');
});
