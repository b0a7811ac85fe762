/**
 * The production worker entry (`node dist/worker.js`) as a real process: config from the
 * environment, JSON logs without secrets, Prometheus metrics (the SDK's and the product's: drills,
 * RTO/RPO, acks), work done, graceful SIGTERM.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { startDevServer, type DevServer } from '../../src/client/dev-server';
import { drillReportSchema } from '../../src/domain/drill-report';
import { requireTool } from '../../src/tools/provision';
import { eventually } from '../helpers/webhook-receiver';
import { freePort } from '../helpers/process';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox';
import { workflowIds } from '../../src/shared';

const WORKER = path.resolve(__dirname, '../../dist/worker.js');

let server: DevServer;
let sbx: TestSandbox;
let dir: string;
beforeAll(async () => {
  server = await startDevServer({
    cliPath: requireTool('temporal').path,
    host: '127.0.0.1',
    port: await freePort(),
    uiPort: 0,
    namespace: 'default',
    headless: true,
  });
  sbx = await startTestSandbox({ targetName: 'e2e-sbx' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-e2e-'));
  fs.writeFileSync(path.join(dir, 'targets.json'), JSON.stringify(sbx.targets));
});
afterAll(async () => {
  await server?.stop();
  await sbx?.cleanup();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('bad configuration stops start-up with the variable named, exit 2', async () => {
  const child = spawn(process.execPath, [WORKER], {
    env: { ...process.env, SLO_PAGING_MIN_SEVERITY: 'loud', DRILL_TASK_QUEUE: 'a b' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
      DRILL_TARGETS_FILE: path.join(dir, 'targets.json'),
      DRILL_STATE_DIR: path.join(dir, 'state'),
      DRILL_RESULTS_DIR: path.join(dir, 'results'),
      DRILL_LOG_PRETTY: 'false',
      SLO_PAGING_ENABLED: 'true',
      SLO_PAGING_WEBHOOK_URL: `http://127.0.0.1:9/${secret}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    stdout += d.toString();
  });
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

  // Product metrics (issue 13): a drill on the sandbox and an acknowledged incident, counted once each.
  const drillId = `e2e-${Date.now()}`;
  const drill = await client.workflow.start('weeklyDrillWorkflow', {
    taskQueue: 'worker-e2e',
    workflowId: workflowIds.drill(sbx.targetName, drillId),
    args: [
      {
        target: sbx.targetName,
        drillId,
        scenarios: [],
        detectionSeconds: 5,
        recoverySeconds: 5,
        verifySeconds: 4,
        restartSeconds: 20,
        pollMs: 100,
        maxDrillSeconds: 120,
      },
    ],
  });
  const drilled = (await drill.result()) as { result: string; rto: { seconds: number }; reportPath: string };
  expect(drilled.result).toBe('pass');
  // The report names the procedure that ran: the prebuilt bundle this worker loaded.
  const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../dist/workflow-bundle.json'), 'utf8')) as { bundleSha256: string };
  const drillReport = drillReportSchema.parse(JSON.parse(fs.readFileSync(drilled.reportPath, 'utf8')));
  expect(drillReport.record?.procedure?.workflowBundleSha256).toBe(manifest.bundleSha256);
  const ack = await client.workflow.start('incidentAckWorkflow', {
    taskQueue: 'worker-e2e',
    workflowId: `incident-ack-worker-e2e-acked-${Date.now()}`,
    args: [{ runId: 'worker-e2e', incidentId: 'inc-2', severity: 'critical', ackSlaSeconds: 900, keepOpenAfterAckSeconds: 0 }],
  });
  await eventually(async () => (await ack.query('status')) as object, 'the ack timer to run');
  // Acknowledged through the run file (the runbook's incident_ack.py writes this line): the timer takes it.
  const runDir = path.join(dir, 'results', 'runs', 'worker-e2e');
  fs.mkdirSync(runDir, { recursive: true });
  fs.appendFileSync(
    path.join(runDir, 'incident_events.jsonl'),
    `${JSON.stringify({ ts: new Date().toISOString(), event_type: 'incident_ack', incident_id: 'inc-2', ack_by: 'e2e' })}\n`,
  );
  await ack.result();
  const product = await eventually(async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    return /drill_runs/.test(text) && /drill_incident_acks/.test(text) ? text : undefined;
  }, 'product metrics');
  const sample = (name: string, labels: string) => product.split('\n').find((l) => l.startsWith(name) && labels.split(',').every((x) => l.includes(x)));
  expect(sample('drill_runs', `target="${sbx.targetName}",result="pass"`)).toMatch(/ 1$/);
  expect(Number(sample('drill_last_rto_seconds', `target="${sbx.targetName}"`)!.split(' ').at(-1))).toBeCloseTo(drilled.rto.seconds, 3);
  expect(sample('drill_last_rpo_seconds', `target="${sbx.targetName}"`)).toBeDefined();
  expect(sample('drill_incident_acks', 'source="run-file",sla_met="true"')).toMatch(/ 1$/);
  expect(sample('drill_ack_latency_seconds_count', 'severity="critical"')).toMatch(/ 1$/);
  // Buckets in seconds (not the SDK's millisecond defaults): the runbook's 15-minute SLA is one.
  expect(sample('drill_ack_latency_seconds_bucket', 'le="900"')).toMatch(/ 1$/);
  expect(sample('drill_rto_seconds_bucket', `target="${sbx.targetName}",le="900"`)).toMatch(/ 1$/);

  // The prebuilt bundle holds zod's English messages only (src/workflow-bundle-options.ts): zod's own
  // message for bad workflow input still reads in English.
  const refused = await client.workflow
    .execute('promotionGateWorkflow', {
      taskQueue: 'worker-e2e',
      workflowId: `promotion-worker-e2e-${Date.now()}`,
      args: [{ experimentId: 'exp', runId: 'worker-e2e', thresholds: { maxDrillAgeSeconds: 'soon' } }],
    })
    .catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(WorkflowFailedError);
  expect((refused as WorkflowFailedError).cause?.message).toMatch(/maxDrillAgeSeconds: Invalid input: expected number, received string/);
  expect(out).not.toContain('not using the prebuilt workflow bundle');
  await connection.close();

  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  const lines = out
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'));
  expect(lines.length).toBeGreaterThan(0);
  for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
  expect(lines.some((l) => JSON.parse(l).msg === 'worker stopped')).toBe(true);
  // Logs go to stderr: stdout is for a command's own output.
  expect(stdout).not.toMatch(/"msg":/);
  expect(out).not.toContain('T0KEN-never-logged');
});
