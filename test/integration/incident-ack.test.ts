/**
 * incidentAckWorkflow end to end on the Temporal CLI dev server: a real paging receiver on loopback,
 * the real `drill incident-ack` as a child process, search attributes queried through visibility.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import type { PagingConfig } from '../../src/config';
import type { IncidentAckInput, IncidentAckResult } from '../../src/domain/incident-ack';
import { workflowIds } from '../../src/shared';
import { incidentAckStatusQuery } from '../../src/workflows/definitions';
import { devServerEnv, uniqueId, workflowBundle } from '../helpers/temporal';
import { eventually, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';
import { recordHistory, runDrillCli } from '../helpers/process';


let env: TestWorkflowEnvironment;
let receiver: WebhookReceiver;
let resultsDir: string;
let runsDir: string;
let worker: Worker;
let workerDone: Promise<void>;
let taskQueue: string;
let pagingConfig: PagingConfig;

beforeAll(async () => {
  [env, receiver] = await Promise.all([devServerEnv(), startWebhookReceiver()]);
  resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ack-int-'));
  runsDir = path.join(resultsDir, 'runs');
  taskQueue = uniqueId('tq');
  pagingConfig = { enabled: true, webhookUrl: receiver.url, minSeverity: 'critical', format: 'json', timeoutMs: 2000 };
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ config: { paging: pagingConfig, runsDir } }),
  });
  workerDone = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await workerDone;
  await receiver?.close();
  await env?.teardown();
  fs.rmSync(resultsDir, { recursive: true, force: true });
});

function start(input: Partial<IncidentAckInput> & { runId: string; incidentId: string }) {
  return env.client.workflow.start('incidentAckWorkflow', {
    taskQueue,
    workflowId: workflowIds.incidentAck(input.runId, input.incidentId),
    args: [{ severity: 'critical', keepOpenAfterAckSeconds: 60, ...input } satisfies IncidentAckInput],
  });
}

function openIncident(runId: string, incidentId: string, openedAt = new Date().toISOString()): string {
  const dir = path.join(runsDir, runId);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'incident_events.jsonl');
  fs.appendFileSync(file, `${JSON.stringify({ ts: openedAt, event_type: 'incident_open', incident_id: incidentId, severity: 'critical' })}\n`);
  return file;
}

function drill(args: string[]) {
  return runDrillCli(args, {
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: env.namespace ?? 'default',
    DRILL_TASK_QUEUE: taskQueue,
    DRILL_RESULTS_DIR: resultsDir,
  }, 30000);
}


function lines(file: string): Array<Record<string, unknown>> {
  return fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('short SLA: receiver down for a while → the page arrives once it recovers, exactly once', async () => {
  const runId = uniqueId('run');
  receiver.requests.length = 0;
  receiver.failNext(2, 503);
  const handle = await start({ runId, incidentId: 'inc-500', ackSlaSeconds: 1 });
  const [page] = await receiver.waitForDelivered(1, 30000);
  expect(receiver.requests.map((r) => r.status)).toEqual([503, 503, 202]);
  // Every attempt carried the same dedup key: the receiver can drop repeats.
  expect(new Set(receiver.requests.map((r) => r.headers['idempotency-key'])).size).toBe(1);
  expect(page!.body).toMatchObject({ incident_id: 'inc-500', run_id: runId, level: 1, round: 0 });
  const status = await eventually(async () => {
    const s = await handle.query(incidentAckStatusQuery);
    return s.pages.length === 1 ? s : undefined;
  }, 'the page recorded in status');
  expect(status.pages[0]!.outcome).toBe('delivered');
  // Nothing more arrives for that level.
  await new Promise((r) => setTimeout(r, 1500));
  expect(receiver.delivered()).toHaveLength(1);
  await handle.terminate('test done');
  await recordHistory(handle, 'incident-ack-escalated');
});

test('`drill incident-ack` as a child process acks the timer and writes one incident_ack line; a rerun adds nothing', async () => {
  const runId = uniqueId('run');
  const file = openIncident(runId, 'inc-cli');
  const handle = await start({ runId, incidentId: 'inc-cli', ackSlaSeconds: 900 });
  await eventually(() => handle.query(incidentAckStatusQuery), 'the timer to answer');

  const first = await drill(['incident-ack', '--run-id', runId, '--incident-id', 'inc-cli', '--ack-by', 'alice', '--notes', 'entries halted; reconciling']);
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  expect(first.stdout).toMatch(/incident inc-cli acknowledged by alice/);
  expect(first.stdout).toMatch(/SLA met/);

  const status = await handle.query(incidentAckStatusQuery);
  expect(status.state).toBe('acknowledged');
  expect(status.ack?.ackBy).toBe('alice');
  const afterFirst = lines(file);
  expect(afterFirst.map((l) => l.event_type)).toEqual(['incident_open', 'incident_ack']);
  expect(afterFirst[1]).toMatchObject({ incident_id: 'inc-cli', ack_by: 'alice', notes: 'entries halted; reconciling', sla_met: true });

  const rerun = await drill(['incident-ack', '--run-id', runId, '--incident-id', 'inc-cli', '--ack-by', 'bob']);
  expect(rerun.code).toBe(0);
  expect(rerun.stdout).toMatch(/already acknowledged by alice/);
  expect(lines(file)).toEqual(afterFirst);

  // The UI finds it by its search attributes.
  await eventually(async () => {
    const found: string[] = [];
    for await (const wf of env.client.workflow.list({ query: `DrillRunId = '${runId}' AND DrillIncidentId = 'inc-cli' AND DrillState = 'acknowledged'` })) found.push(wf.workflowId);
    return found.length === 1 ? found : undefined;
  }, 'visibility to show the acknowledged incident');

  await handle.terminate('test done');
  await recordHistory(handle, 'incident-ack-acknowledged');
});

test('bad input from the CLI: nothing written, clear message, non-zero exit', async () => {
  const runId = uniqueId('run');
  const file = openIncident(runId, 'inc-known');
  const before = fs.readFileSync(file, 'utf8');

  const unknown = await drill(['incident-ack', '--run-id', runId, '--incident-id', 'inc-nope', '--ack-by', 'alice']);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(/unknown incident inc-nope/);

  const missing = await drill(['incident-ack', '--run-id', runId, '--ack-by', 'alice']);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/required option '--incident-id <id>' not specified/);

  for (const bad of ['../escape', '', 'a/b', 'x'.repeat(200), '..']) {
    const r = await drill(['incident-ack', '--run-id', bad, '--incident-id', 'inc-known', '--ack-by', 'alice']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--run-id: run id (must not be empty|must be at most 128|may hold only)/);
  }
  const emptyAck = await drill(['incident-ack', '--run-id', runId, '--incident-id', 'inc-known', '--ack-by', '  ']);
  expect(emptyAck.code).toBe(2);
  expect(emptyAck.stderr).toMatch(/ackBy must not be empty/);

  expect(fs.readFileSync(file, 'utf8')).toBe(before);
  expect(fs.readdirSync(resultsDir).sort()).toEqual(['runs']);
});

test('a timer with no worker to answer: clear error after --timeout, nothing written', async () => {
  const runId = uniqueId('run');
  const file = openIncident(runId, 'inc-noworker');
  const before = fs.readFileSync(file, 'utf8');
  const handle = await env.client.workflow.start('incidentAckWorkflow', {
    taskQueue: uniqueId('no-worker-tq'),
    workflowId: workflowIds.incidentAck(runId, 'inc-noworker'),
    args: [{ runId, incidentId: 'inc-noworker', severity: 'critical' } satisfies IncidentAckInput],
  });
  const r = await drill(['incident-ack', '--run-id', runId, '--incident-id', 'inc-noworker', '--ack-by', 'alice', '--timeout', '2']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/did not answer within 2 s: is a worker running/);
  expect(fs.readFileSync(file, 'utf8')).toBe(before);
  await handle.terminate('test done');
});

test('no timer running: the ack is recorded in the run file alone, once', async () => {
  const runId = uniqueId('run');
  const file = openIncident(runId, 'inc-file', new Date(Date.now() - 60_000).toISOString());
  const r = await drill(['incident-ack', '--run-id', runId, '--incident-id', 'inc-file', '--ack-by', 'erin']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/recorded in the run file only/);
  const again = await drill(['incident-ack', '--run-id', runId, '--incident-id', 'inc-file', '--ack-by', 'erin']);
  expect(again.code).toBe(0);
  const acks = lines(file).filter((l) => l.event_type === 'incident_ack');
  expect(acks).toHaveLength(1);
  expect(acks[0]!.ack_latency_seconds as number).toBeGreaterThanOrEqual(60);
});

test('acknowledged through the update: the result records the SLA verdict', async () => {
  const runId = uniqueId('run');
  openIncident(runId, 'inc-upd');
  const handle = await start({ runId, incidentId: 'inc-upd', ackSlaSeconds: 600, keepOpenAfterAckSeconds: 0 });
  const r = await drill(['incident-ack', '--run-id', runId, '--incident-id', 'inc-upd', '--ack-by', 'frank']);
  expect(r.code).toBe(0);
  const result: IncidentAckResult = await handle.result();
  expect(result).toMatchObject({ runId, incidentId: 'inc-upd', slaMet: true, pages: [] });
  expect(result.ack?.ackBy).toBe('frank');
});
