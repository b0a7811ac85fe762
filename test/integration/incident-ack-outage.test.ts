/**
 * An ack while Temporal is down. A real dev server on a SQLite file is killed (SIGKILL) while an ack
 * timer runs; the on-call acks with `drill incident-ack` (a child process) — the CLI cannot reach the
 * server, records the ack in the run file and says so (exit 3); the SLA passes while the server is
 * down; the server restarts on the same file. The timer must take the ack from the file: no page
 * reaches the receiver, and the timer and the file agree on who acked, when, and the SLA verdict.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import type { DevServer } from '../../src/client/dev-server';
import type { IncidentAckInput } from '../../src/domain/incident-ack';
import { workflowIds } from '../../src/shared';
import { incidentAckStatusQuery } from '../../src/workflows/definitions';
import { recordHistory, runDrillCli } from '../helpers/process';
import { installTestRuntime, startRestartableDevServer, startRestartableDevServerOnFreePort, uniqueId, workflowBundle } from '../helpers/temporal';
import { eventually, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

let dir: string;
let runsDir: string;
let port: number;
let server: DevServer | undefined;
let receiver: WebhookReceiver;

function startServer(): Promise<DevServer> {
  return startRestartableDevServer(dir, port);
}

async function killServer(): Promise<void> {
  const child = server?.process;
  server = undefined;
  if (!child || child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

beforeAll(async () => {
  installTestRuntime();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ack-outage-'));
  runsDir = path.join(dir, 'results', 'runs');
  let started: { server: DevServer; port: number };
  [started, receiver] = await Promise.all([startRestartableDevServerOnFreePort(dir), startWebhookReceiver(), workflowBundle()]);
  ({ server, port } = started);
});

afterAll(async () => {
  await killServer();
  await receiver?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('ack via the CLI while the server is down → no page after it comes back; timer and file agree', async () => {
  const address = `127.0.0.1:${port}`;
  const taskQueue = uniqueId('tq');
  const runId = uniqueId('run');
  const incidentId = 'inc-outage';
  const runDir = path.join(runsDir, runId);
  fs.mkdirSync(runDir, { recursive: true });
  const file = path.join(runDir, 'incident_events.jsonl');
  const openedAt = new Date().toISOString();
  fs.writeFileSync(file, `${JSON.stringify({ ts: openedAt, event_type: 'incident_open', incident_id: incidentId, severity: 'critical' })}\n`);

  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({
      config: { paging: { enabled: true, webhookUrl: receiver.url, minSeverity: 'critical', format: 'json', timeoutMs: 2000 }, runsDir },
    }),
  });
  const workerDone = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const workflowId = workflowIds.incidentAck(runId, incidentId);
  try {
    const handle = await client.workflow.start('incidentAckWorkflow', {
      taskQueue,
      workflowId,
      args: [{ runId, incidentId, severity: 'critical', openedAt, ackSlaSeconds: 10, keepOpenAfterAckSeconds: 60 } satisfies IncidentAckInput],
    });
    await eventually(() => handle.query(incidentAckStatusQuery), 'the timer to answer');

    await killServer();
    const cli = await runDrillCli(
      ['incident-ack', '--run-id', runId, '--incident-id', incidentId, '--ack-by', 'alice', '--notes', 'server down; acked from the runbook'],
      {
        TEMPORAL_ADDRESS: address,
        DRILL_RESULTS_DIR: path.dirname(runsDir),
        DRILL_TASK_QUEUE: taskQueue,
      },
    );
    expect(cli.code).toBe(3);
    expect(cli.stdout).toMatch(/NOT confirmed by an ack timer: the Temporal server at 127\.0\.0\.1:\d+ is unreachable/);
    expect(cli.stdout).toMatch(/takes the ack from that file \(with this time\) before its next page/);
    const line = fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.event_type === 'incident_ack')!;
    // The CLI cannot know the timer's SLA: the line has the latency, and no verdict to contradict the timer's.
    expect(line).toMatchObject({ ack_by: 'alice', source: 'drill incident-ack' });
    expect(line.sla_met).toBeUndefined();

    // The SLA passes while the server is down.
    const slaAt = Date.parse(openedAt) + 10_000;
    await new Promise((r) => setTimeout(r, Math.max(0, slaAt - Date.now()) + 2000));
    server = await startServer();

    const status = await eventually(
      async () => {
        const s = await handle.query(incidentAckStatusQuery);
        return s.state === 'acknowledged' ? s : undefined;
      },
      'the timer to take the ack from the file',
      60000,
    );
    // Give a late page every chance to show up.
    await new Promise((r) => setTimeout(r, 5000));
    const pagesForIt = receiver.requests.filter((q) => q.body.incident_id === incidentId && q.body.event_action === 'trigger');
    expect(pagesForIt).toEqual([]);
    const after = await handle.query(incidentAckStatusQuery);
    expect(after.pages.every((p) => p.outcome === 'suppressed')).toBe(true);
    // Timer and file agree: who, when (the line's time), latency and the SLA verdict.
    expect(status.ack).toMatchObject({ ackBy: 'alice', notes: 'server down; acked from the runbook', ackedAt: line.ts, source: 'run-file' });
    expect(status.ack!.latencySeconds).toBeCloseTo(line.ack_latency_seconds as number, 3);
    expect(status.ack!.slaMet).toBe((line.ack_latency_seconds as number) <= 10);
    expect(status.sla).toBe(status.ack!.slaMet ? 'met' : 'breached');
    expect(status.ackLine).toBe('from-file');
    // The file still holds exactly one ack.
    expect(
      fs
        .readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .filter((l) => l.includes('"incident_ack"')),
    ).toHaveLength(1);
    await handle.terminate('test done');
    await recordHistory(handle, 'incident-ack-v4-file-ack-outage');
  } finally {
    await connection.close();
    worker.shutdown();
    await workerDone.catch(() => undefined);
    await nativeConnection.close();
  }
});
