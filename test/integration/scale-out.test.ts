/**
 * Scale-out: a fleet of production worker processes (`node dist/worker.js`, configured with the
 * compose stack's worker environment) on one task queue. Several targets are drilled in parallel by
 * the fleet; then, with a drill, an incident in recovery and three ack timers in flight, one worker
 * is killed with SIGKILL and the other finishes all of them, each side effect once where it lands:
 * the target's ground-truth log (one graceful stop per drill), the run's incident_events.jsonl (one
 * incident_resolved, one incident_ack per timer) and a loopback paging receiver (one page per
 * escalation, by idempotency key).
 *
 * Dev server by default; `npm run test:postgres` runs this file against the Temporal server on
 * PostgreSQL, started the way docker-compose.yml starts it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { WeeklyDrillInput, WeeklyDrillResult } from '../../src/domain/drill';
import { drillReportSchema } from '../../src/domain/drill-report';
import type { IncidentAckInput, IncidentAckResult } from '../../src/domain/incident-ack';
import type { IncidentInput, IncidentResult } from '../../src/domain/incident';
import { incidentEventSchema } from '../../src/domain/incident-events';
import { workflowIds } from '../../src/shared';
import { acknowledgeUpdate, incidentAckStatusQuery, resolveIncidentSignal, recoveryStatusQuery, weeklyDrillStatusQuery } from '../../src/workflows/definitions';
import {
  composeWorkerEnv,
  fleetMounts,
  spawnWorker,
  startFleetServer,
  waitForPollers,
  workersInHistory,
  type FleetServer,
  type FleetWorker,
} from '../helpers/fleet';
import { startTestSandbox, waitFor, type TestSandbox } from '../helpers/sandbox';
import { uniqueId } from '../helpers/temporal';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';
import { parseJsonl } from '../../src/io/files';

let server: FleetServer;
let receiver: WebhookReceiver;
let connection: Connection;
let client: Client;
let dir: string;
let taskQueue: string;
const drillTargets: TestSandbox[] = [];
let incidentTarget: TestSandbox;
const workers: FleetWorker[] = [];
const ACK_RUN = 'fleet-acks';

beforeAll(async () => {
  [server, receiver] = await Promise.all([startFleetServer(), startWebhookReceiver()]);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-'));
  const sandboxes = await Promise.all([
    ...[1, 2, 3].map((i) => startTestSandbox({ targetName: `fleet-t${i}`, config: { runId: `paper-fleet-${i}` } })),
    startTestSandbox({ targetName: 'fleet-incident', config: { runId: 'paper-fleet-incident' } }),
  ]);
  incidentTarget = sandboxes.pop()!;
  drillTargets.push(...sandboxes);
  // The compose worker's mounts, as test folders: the targets file, the results (runs/ + evidence), the runner's state.
  const mounts = fleetMounts(dir);
  const targets = Object.assign({}, ...[...drillTargets, incidentTarget].map((s) => s.targets.targets));
  fs.writeFileSync(path.join(mounts['/config/targets']!, 'targets.json'), JSON.stringify({ targets }));
  fs.mkdirSync(path.join(mounts['/data/results']!, 'runs', ACK_RUN), { recursive: true });
  taskQueue = uniqueId('fleet');
  const extra = {
    DRILL_TASK_QUEUE: taskQueue,
    SLO_PAGING_ENABLED: 'true',
    SLO_PAGING_WEBHOOK_URL: receiver.url,
    SLO_PAGING_TIMEOUT_MS: '2000',
    DRILL_LOG_LEVEL: 'warn',
  };
  const envs = await Promise.all([1, 2].map(() => composeWorkerEnv({ server, mounts, extra })));
  workers.push(...(await Promise.all(envs.map((env, i) => spawnWorker(`w${i + 1}`, env)))));
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection, namespace: server.namespace });
}, 180_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await connection?.close();
  await Promise.all([...drillTargets, incidentTarget].filter(Boolean).map((s) => s.cleanup()));
  await receiver?.close();
  await server?.stop();
  if (dir && !process.env.KEEP_SANDBOX_DIRS) fs.rmSync(dir, { recursive: true, force: true });
});

const resultsDir = () => path.join(dir, 'data-results');

function startDrill(sbx: TestSandbox, input: Partial<WeeklyDrillInput> = {}): Promise<WorkflowHandle> {
  const drillId = uniqueId('d');
  return client.workflow.start('weeklyDrillWorkflow', {
    taskQueue,
    workflowId: workflowIds.drill(sbx.targetName, drillId),
    args: [
      {
        target: sbx.targetName,
        drillId,
        scenarios: ['stale_data'],
        detectionSeconds: 5,
        recoverySeconds: 5,
        verifySeconds: 4,
        restartSeconds: 20,
        pollMs: 100,
        maxDrillSeconds: 120,
        ...input,
      } satisfies WeeklyDrillInput,
    ],
  });
}

const stops = (sbx: TestSandbox) => sbx.groundTruth().filter((e) => e.event === 'stop_requested').length;

/** Rounds of parallel drills at most, until both workers have taken part (see the test below). */
const MAX_DRILL_ROUNDS = 5;

test('the fleet drills several targets in parallel: all pass, each target stopped once per drill, both workers work', async () => {
  for (const w of workers) expect(await w.healthcheck()).toBe(0);
  await waitForPollers(
    client,
    taskQueue,
    workers.map((w) => w.identity),
  );
  // The server gives each new drill's first workflow task to a waiting poller; the drill's later
  // workflow tasks follow on that worker's sticky queue, and so did all its activities in every
  // history looked at (the dev server and the PostgreSQL-backed one). One round of three drills can
  // then land wholly on one of two workers (seen once in CI), so the fleet drills in rounds until
  // both workers have taken work, and every round must pass.
  const seen = new Set<string>();
  let rounds = 0;
  while (seen.size < workers.length && rounds < MAX_DRILL_ROUNDS) {
    rounds++;
    const before = drillTargets.map(stops);
    const handles = await Promise.all(drillTargets.map((s) => startDrill(s)));
    const results: WeeklyDrillResult[] = await Promise.all(handles.map((h) => h.result()));
    expect(results.map((r) => [r.result, r.failures])).toEqual(drillTargets.map(() => ['pass', []]));
    expect(drillTargets.map(stops)).toEqual(before.map((n) => n + 1));
    for (const [i, h] of handles.entries()) {
      const report = drillReportSchema.parse(JSON.parse(fs.readFileSync(results[i]!.reportPath!, 'utf8')));
      expect(report.target).toBe(drillTargets[i]!.targetName);
      expect(path.dirname(results[i]!.reportPath!).startsWith(path.join(resultsDir(), 'drills'))).toBe(true);
      const w = workersInHistory(await h.fetchHistory());
      for (const id of [...w.workflowTasks, ...w.activities]) seen.add(id);
    }
  }
  expect([...seen].sort()).toEqual(workers.map((w) => w.identity).sort());
}, 180_000);

test('kill -9 a worker with a drill, an incident in recovery and ack timers in flight: the other finishes all, once', async () => {
  const drillSbx = drillTargets[0]!;
  const stopsBefore = stops(drillSbx);
  receiver.requests.length = 0;

  // 1. A drill with generous bounds: an activity lost with the killed worker is retried only after
  //    its timeout (a minute), and that wait must not fail the drill.
  const drill = await startDrill(drillSbx, {
    scenarios: ['stale_data', 'order_drift'],
    detectionSeconds: 120,
    recoverySeconds: 120,
    restartSeconds: 120,
    verifySeconds: 120,
    unhealthySeconds: 180,
    maxDrillSeconds: 600,
  });

  // 2. An incident in recovery: order drift on its target, two clean cycles needed after the clear.
  await incidentTarget.inject('order_drift');
  await waitFor(
    'a mismatch in the artifacts',
    () => fs.readFileSync(path.join(incidentTarget.runDir, 'order_reconciliation_events.jsonl'), 'utf8').includes('"mismatch"'),
    { timeoutMs: 20000 },
  );
  const incidentId = uniqueId('inc');
  const runId = incidentTarget.config.runId;
  const incident = await client.workflow.start('incidentWorkflow', {
    taskQueue,
    workflowId: workflowIds.incident(runId, incidentId),
    args: [
      {
        runId,
        incidentId,
        target: incidentTarget.targetName,
        severity: 'critical',
        cycleSeconds: 1,
        maxWaitSeconds: 900,
        ackTimer: false,
      } satisfies IncidentInput,
    ],
  });

  // In flight: the drill past preflight, the recovery cycling.
  await waitFor('the drill past preflight', async () => ['chaos', 'stop', 'restart'].includes((await drill.query(weeklyDrillStatusQuery)).step), {
    timeoutMs: 30000,
  });
  const recoveryOf = client.workflow.getHandle(workflowIds.recovery(runId, incidentId, 1));
  await waitFor('the recovery cycling', async () => (await recoveryOf.query(recoveryStatusQuery)).phase === 'reconciliation-cycles', { timeoutMs: 30000 });

  // 3. Three ack timers whose SLA passes after the kill (started last, so no page is in flight when
  //    it happens): each must page exactly once.
  const ackIds = [1, 2, 3].map((i) => uniqueId(`ack${i}`));
  const timers = await Promise.all(
    ackIds.map((id) =>
      client.workflow.start('incidentAckWorkflow', {
        taskQueue,
        workflowId: workflowIds.incidentAck(ACK_RUN, id),
        args: [
          {
            runId: ACK_RUN,
            incidentId: id,
            severity: 'critical',
            ackSlaSeconds: 20,
            keepOpenAfterAckSeconds: 0,
          } satisfies IncidentAckInput,
        ],
      }),
    ),
  );

  for (const t of timers) expect((await t.query(incidentAckStatusQuery)).state).toBe('open');
  expect(receiver.requests).toHaveLength(0);

  // Kill the worker that ran the drill's latest workflow task (it holds the drill in its cache).
  const ran = workersInHistory(await drill.fetchHistory()).workflowTasks;
  const victim = workers.find((w) => w.identity === ran.at(-1))!;
  const survivor = workers.find((w) => w !== victim)!;
  expect(victim).toBeDefined();
  expect((await drill.query(weeklyDrillStatusQuery)).step).not.toBe('done');
  const killedAt = Date.now();
  victim.kill9();
  expect(await victim.exited).toBeNull();
  const survivorHealth = await survivor.health();
  expect(survivorHealth).toMatchObject({ status: 200, body: { ok: true, state: 'RUNNING', taskQueue } });

  // The incident can recover now; the timers escalate on their own.
  await incidentTarget.clear('order_drift');
  const pages = await receiver.waitForDelivered(3, 120_000);
  const acks = await Promise.all(timers.map((t, i) => t.executeUpdate(acknowledgeUpdate, { args: [{ ackBy: `oncall-${i}`, notes: 'fleet test' }] })));
  expect(acks.every((a) => a.ackBy.startsWith('oncall-'))).toBe(true);
  // A paged incident's timer stays open for its resolution (the receivers get acknowledge, then
  // resolve, under the trigger's dedup key): resolve each, as its incident workflow would.
  await Promise.all(timers.map((t) => t.signal(resolveIncidentSignal, { resolution: 'recovered', by: 'fleet test' })));

  const [drillResult, incidentResult, ...ackResults] = await Promise.all([
    drill.result() as Promise<WeeklyDrillResult>,
    incident.result() as Promise<IncidentResult>,
    ...timers.map((t) => t.result() as Promise<IncidentAckResult>),
  ]);

  // The drill: passed, one graceful stop at the target, evidence written once.
  expect([drillResult.result, drillResult.failures]).toEqual(['pass', []]);
  expect(stops(drillSbx)).toBe(stopsBefore + 1);
  expect(drillReportSchema.parse(JSON.parse(fs.readFileSync(drillResult.reportPath!, 'utf8'))).result).toBe('pass');

  // The incident: recovered, entries resumed at the gateway, one incident_resolved line.
  expect(incidentResult.resolution).toBe('recovered');
  const stats = (await (await fetch(`${incidentTarget.info.gateway_url}/stats`)).json()) as { entries_halted: boolean };
  expect(stats.entries_halted).toBe(false);
  const resolved = incidentTarget
    .artifact('incident_events.jsonl', incidentEventSchema)
    .filter((e) => e.event_type === 'incident_resolved' && e.incident_id === incidentId);
  expect(resolved).toHaveLength(1);

  // The timers: one page per escalation at the receiver (by idempotency key, every request counted),
  // one incident_ack line each in the run's file.
  expect(ackResults.map((r) => r.pages.map((p) => p.outcome))).toEqual([['delivered'], ['delivered'], ['delivered']]);
  const triggers = receiver.requests.filter((r) => r.body.event_action === 'trigger');
  // Every request counted: one trigger per incident, each under its own idempotency key.
  expect(triggers.map((r) => r.body.dedup_key).sort()).toEqual(ackResults.map((r) => r.pages[0]!.dedupKey).sort());
  expect(new Set(triggers.map((r) => String(r.headers['idempotency-key']))).size).toBe(3);
  expect(pages).toHaveLength(3);
  // Then one acknowledge and one resolve per incident, each under its trigger's dedup key.
  for (const action of ['acknowledge', 'resolve']) {
    const sent = receiver.delivered().filter((r) => r.body.event_action === action);
    expect(sent.map((r) => r.body.dedup_key).sort()).toEqual(triggers.map((r) => r.body.dedup_key).sort());
  }
  expect(ackResults.map((r) => r.resolved?.source)).toEqual(['signal', 'signal', 'signal']);
  const ackFile = path.join(resultsDir(), 'runs', ACK_RUN, 'incident_events.jsonl');
  const ackLines = parseJsonl(fs.readFileSync(ackFile, 'utf8'), incidentEventSchema).records.filter((e) => e.event_type === 'incident_ack');
  expect(ackLines.map((e) => e.incident_id).sort()).toEqual([...ackIds].sort());

  // After the kill only the survivor worked on them; the victim had worked on the drill before.
  for (const h of [drill, incident, recoveryOf, ...timers]) {
    const history = await h.fetchHistory();
    const after = (history.events ?? []).filter((e) => Number(e.eventTime?.seconds ?? 0) * 1000 > killedAt + 1000);
    const ids = workersInHistory({ events: after }).workflowTasks;
    expect({ id: h.workflowId, ids: [...new Set(ids)] }).toEqual({ id: h.workflowId, ids: [survivor.identity] });
  }
  expect(ran).toContain(victim.identity);
}, 300_000);
