/**
 * Procedures pinned to the version that ran them (Worker Deployment Versioning), with production
 * worker processes and the rollout commands of docs/deploy.md (the Temporal CLI): a drill and an
 * incident in recovery start on build A; build B comes up and is made current while they run; both
 * finish on A (every workflow task and activity on A's worker, the recovery child pinned with its
 * parent, the drill report saying A) and the next drill runs on B.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { WeeklyDrillInput, WeeklyDrillResult } from '../../src/domain/drill';
import { drillReportSchema, type DrillReport } from '../../src/domain/drill-report';
import { workflowIds } from '../../src/shared';
import { requireTool } from '../../src/tools/provision';
import type { IncidentInput, IncidentResult } from '../../src/domain/incident';
import { recoveryStatusQuery, weeklyDrillStatusQuery } from '../../src/workflows/definitions';
import { composeWorkerEnv, fleetMounts, spawnWorker, startFleetServer, workersInHistory, type FleetServer, type FleetWorker } from '../helpers/fleet';
import { startTestSandbox, waitFor, type TestSandbox } from '../helpers/sandbox';
import { uniqueId } from '../helpers/temporal';

const exec = promisify(execFile);
const PINNED = temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED;

let server: FleetServer;
let connection: Connection;
let client: Client;
let sbx: TestSandbox;
let incidentSbx: TestSandbox;
let dir: string;
let mounts: Record<string, string>;
const workers: FleetWorker[] = [];
const taskQueue = uniqueId('versioned');
const deploymentName = uniqueId('drill-runner');

beforeAll(async () => {
  [server, sbx, incidentSbx] = await Promise.all([
    startFleetServer(),
    startTestSandbox({ targetName: 'versioned-target', config: { runId: 'paper-versioned' } }),
    startTestSandbox({ targetName: 'versioned-incident', config: { runId: 'paper-versioned-incident' } }),
  ]);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'versioning-'));
  mounts = fleetMounts(dir);
  fs.writeFileSync(
    path.join(mounts['/config/targets']!, 'targets.json'),
    JSON.stringify({ targets: { ...sbx.targets.targets, ...incidentSbx.targets.targets } }),
  );
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection, namespace: server.namespace });
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await connection?.close();
  await Promise.all([sbx, incidentSbx].filter(Boolean).map((s) => s.cleanup()));
  await server?.stop();
  if (dir && !process.env.KEEP_SANDBOX_DIRS) fs.rmSync(dir, { recursive: true, force: true });
});

async function versionedWorker(buildId: string): Promise<FleetWorker> {
  const env = await composeWorkerEnv({
    server,
    mounts,
    extra: {
      DRILL_TASK_QUEUE: taskQueue,
      DRILL_WORKER_VERSIONING: 'true',
      DRILL_DEPLOYMENT_NAME: deploymentName,
      DRILL_BUILD_ID: buildId,
      DRILL_LOG_LEVEL: 'warn',
    },
  });
  const w = await spawnWorker(buildId, env);
  workers.push(w);
  return w;
}

/** docs/deploy.md's rollout step, with the Temporal CLI; retried while the server registers the version's pollers. */
async function setCurrentVersion(buildId: string): Promise<void> {
  const cli = requireTool('temporal').path;
  const args = [
    'worker',
    'deployment',
    'set-current-version',
    '--deployment-name',
    deploymentName,
    '--build-id',
    buildId,
    '--yes',
    '--address',
    server.address,
    '--namespace',
    server.namespace,
  ];
  await waitFor(
    `${buildId} to become the current version`,
    async () => {
      await exec(cli, args, { timeout: 20000 });
      return true;
    },
    { timeoutMs: 60000, intervalMs: 500 },
  );
}

function startDrill(): Promise<WorkflowHandle> {
  const drillId = uniqueId('d');
  return client.workflow.start('weeklyDrillWorkflow', {
    taskQueue,
    workflowId: workflowIds.drill(sbx.targetName, drillId),
    args: [
      {
        target: sbx.targetName,
        drillId,
        scenarios: ['stale_data', 'order_drift'],
        detectionSeconds: 10,
        recoverySeconds: 10,
        verifySeconds: 4,
        restartSeconds: 30,
        pollMs: 100,
        maxDrillSeconds: 180,
      } satisfies WeeklyDrillInput,
    ],
  });
}

async function pinnedTo(h: WorkflowHandle): Promise<{ behavior?: unknown; buildId?: string | null; workers: string[] }> {
  const info = (await h.describe()).raw.workflowExecutionInfo?.versioningInfo;
  const w = workersInHistory(await h.fetchHistory());
  return {
    behavior: info?.behavior,
    buildId: info?.deploymentVersion?.buildId,
    workers: [...new Set([...w.workflowTasks, ...w.activities])],
  };
}

async function finished(h: WorkflowHandle): Promise<{
  result: WeeklyDrillResult;
  report: DrillReport;
  versioning: { behavior?: unknown; buildId?: string | null };
  workers: ReturnType<typeof workersInHistory>;
  taskTimes: number[];
}> {
  const result = (await h.result()) as WeeklyDrillResult;
  const report = drillReportSchema.parse(JSON.parse(fs.readFileSync(result.reportPath!, 'utf8')));
  const info = (await h.describe()).raw.workflowExecutionInfo?.versioningInfo;
  const history = await h.fetchHistory();
  const taskTimes = (history.events ?? [])
    .filter((e) => e.workflowTaskCompletedEventAttributes)
    .map((e) => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6));
  return {
    result,
    report,
    versioning: { behavior: info?.behavior, buildId: info?.deploymentVersion?.buildId },
    workers: workersInHistory(history),
    taskTimes,
  };
}

test('a drill and an incident started on build A finish on A after B becomes current; the next drill runs on B', async () => {
  const a = await versionedWorker('build-a');
  expect((await a.health()).body).toMatchObject({ ok: true, versioning: true, version: `${deploymentName}.build-a` });
  await setCurrentVersion('build-a');
  // The rollout: B's workers come up beside A's first; they get no work until B is current.
  const b = await versionedWorker('build-b');

  const first = await startDrill();
  // An incident whose recovery waits for clean cycles (order drift on its target until cleared).
  await incidentSbx.inject('order_drift');
  await waitFor(
    'a mismatch in the artifacts',
    () => fs.readFileSync(path.join(incidentSbx.runDir, 'order_reconciliation_events.jsonl'), 'utf8').includes('"mismatch"'),
    { timeoutMs: 20000 },
  );
  const runId = incidentSbx.config.runId;
  const incidentId = uniqueId('inc');
  const incident = await client.workflow.start('incidentWorkflow', {
    taskQueue,
    workflowId: workflowIds.incident(runId, incidentId),
    args: [
      {
        runId,
        incidentId,
        target: incidentSbx.targetName,
        severity: 'critical',
        cycleSeconds: 1,
        maxWaitSeconds: 900,
        ackTimer: false,
      } satisfies IncidentInput,
    ],
  });
  const recovery = client.workflow.getHandle(workflowIds.recovery(runId, incidentId, 1));
  await waitFor('the first drill in its chaos step', async () => (await first.query(weeklyDrillStatusQuery)).step === 'chaos', { timeoutMs: 30000 });
  await waitFor('the recovery cycling', async () => (await recovery.query(recoveryStatusQuery)).phase === 'reconciliation-cycles', { timeoutMs: 30000 });

  // B becomes current while the first drill is running.
  await setCurrentVersion('build-b');
  const switchedAt = Date.now();
  expect((await first.query(weeklyDrillStatusQuery)).step).not.toBe('done');

  const one = await finished(first);
  expect([one.result.result, one.result.failures]).toEqual(['pass', []]);
  // Pinned: every workflow task and activity on A's worker, also those after B became current.
  expect(one.versioning).toEqual({ behavior: PINNED, buildId: 'build-a' });
  expect([...new Set([...one.workers.workflowTasks, ...one.workers.activities])]).toEqual([a.identity]);
  expect(one.taskTimes.some((t) => t > switchedAt)).toBe(true);
  expect(one.report.deploymentVersion).toEqual({ deploymentName, buildId: 'build-a', versioning: true });
  expect(fs.readFileSync(path.join(path.dirname(one.result.reportPath!), 'report.md'), 'utf8')).toContain(`ran on: \`${deploymentName}.build-a\``);

  // The recovery finishes on A too once its criteria pass; its child inherited the pin.
  await incidentSbx.clear('order_drift');
  expect(((await incident.result()) as IncidentResult).resolution).toBe('recovered');
  for (const h of [incident, recovery])
    expect({ id: h.workflowId, ...(await pinnedTo(h)) }).toEqual({
      id: h.workflowId,
      behavior: PINNED,
      buildId: 'build-a',
      workers: [a.identity],
    });

  // The next drill starts on the current version, B, and stays there.
  const second = await startDrill();
  const two = await finished(second);
  expect([two.result.result, two.result.failures]).toEqual(['pass', []]);
  expect(two.versioning).toEqual({ behavior: PINNED, buildId: 'build-b' });
  expect([...new Set([...two.workers.workflowTasks, ...two.workers.activities])]).toEqual([b.identity]);
  expect(two.report.deploymentVersion).toEqual({ deploymentName, buildId: 'build-b', versioning: true });

  // Both versions stay healthy: A keeps serving its pinned runs until it drains.
  for (const w of [a, b]) expect((await w.health()).status).toBe(200);
}, 240_000);
