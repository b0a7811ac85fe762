/**
 * Incidents that keep the runbook's promises under faults — on a dev server (SQLite file, so it can be
 * killed and restarted), two real sandbox targets, and a worker that is a real process killed with
 * SIGKILL. Side effects are counted where they land: kill-switch halts and resumes, stops and starts
 * in each sandbox's ground-truth log, `incident_resolved` lines in the run file.
 *
 * - two concurrent incidents of different classes: entries stay halted until both recovered, with a
 *   worker kill between the two recoveries;
 * - an operator's hold from the CLI; a manual release at the gateway is halted again within 5 s;
 * - a worker killed during triage (entries already halted) or between the broker branch's stop and
 *   start costs at most 10 s;
 * - holds survive a server kill.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { DevServer } from '../../src/client/dev-server';
import type { GroundTruthEvent } from '../../src/domain/target';
import type { IncidentInput, IncidentResult } from '../../src/domain/incident';
import { incidentEventSchema } from '../../src/domain/incident-events';
import { opsSloEventSchema } from '../../src/domain/artifacts';
import { workflowIds } from '../../src/shared';
import { haltRegistryStatusQuery, triageQuery } from '../../src/workflows/definitions';
import { recordHistory, runDrillCli } from '../helpers/process';
import { startTestSandbox, waitFor, type TestSandbox } from '../helpers/sandbox';
import { installTestRuntime, startRestartableDevServer, startRestartableDevServerOnFreePort, uniqueId } from '../helpers/temporal';
import { startWorkerProcess, writeWorkflowBundle, type WorkerProcess, type WorkerProcessOptions } from '../helpers/worker-process';

let dir: string;
let server: DevServer;
let port: number;
let connection: Connection;
let client: Client;
let a: TestSandbox;
let b: TestSandbox;
let workerOpts: WorkerProcessOptions;
let worker: WorkerProcess | undefined;
const taskQueue = uniqueId('safety');

function startServer(): Promise<DevServer> {
  return startRestartableDevServer(dir, port);
}

let crashMarker = '';
async function restartWorker(crash?: { at: string }): Promise<WorkerProcess> {
  await worker?.kill();
  crashMarker = path.join(dir, `crash-${crash?.at ?? 'none'}-${Date.now()}`);
  worker = await startWorkerProcess(workerOpts, crash ? { at: crash.at, marker: crashMarker } : undefined);
  return worker;
}

/** When the crash worker killed itself (it writes the time into its marker first). */
const crashedAt = () => Date.parse(fs.readFileSync(crashMarker, 'utf8').split(' ')[0]!);

beforeAll(async () => {
  installTestRuntime();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'incident-safety-'));
  const bundle = path.join(dir, 'workflows.js');
  let started: { server: DevServer; port: number };
  [started, a, b] = await Promise.all([
    startRestartableDevServerOnFreePort(dir),
    startTestSandbox({ targetName: 'paper-a', config: { runId: 'paper-safety-a' } }),
    startTestSandbox({ targetName: 'paper-b', config: { runId: 'paper-safety-b' } }),
    writeWorkflowBundle(bundle),
  ]);
  ({ server, port } = started);
  const targetsFile = path.join(dir, 'targets.json');
  fs.writeFileSync(targetsFile, JSON.stringify({ targets: { ...a.targets.targets, ...b.targets.targets } }));
  workerOpts = {
    address: server.address,
    taskQueue,
    targetsFile,
    stateDir: dir,
    runsDir: a.config.artifactsRoot,
    bundle,
    logFile: path.join(dir, 'worker.log'),
  };
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection });
  await restartWorker();
});

afterAll(async () => {
  await worker?.kill();
  await connection?.close();
  await server?.stop();
  await Promise.all([a?.cleanup(), b?.cleanup()]);
  if (dir && !process.env.KEEP_SANDBOX_DIRS) fs.rmSync(dir, { recursive: true, force: true });
});

const gateway = (s: TestSandbox) => s.targets.targets[s.targetName]!.gatewayUrl;

async function stats(s: TestSandbox): Promise<{ entries_halted: boolean; halt_reason: string | null }> {
  return (await fetch(`${gateway(s)}/stats`).then((r) => r.json())) as { entries_halted: boolean; halt_reason: string | null };
}

async function manualResume(s: TestSandbox): Promise<void> {
  const r = await fetch(`${gateway(s)}/kill-switch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'resume', idempotency_key: uniqueId('manual') }),
  });
  expect(r.status).toBe(200);
}

const truthSince = (s: TestSandbox, since: string, ...events: Array<GroundTruthEvent['event']>) =>
  s.groundTruth().filter((e) => e.ts >= since && events.includes(e.event));

function startIncident(s: TestSandbox, incidentId: string, over: Partial<IncidentInput> = {}) {
  return client.workflow.start('incidentWorkflow', {
    taskQueue,
    workflowId: workflowIds.incident(s.config.runId, incidentId),
    args: [
      {
        runId: s.config.runId,
        incidentId,
        target: s.targetName,
        severity: 'critical',
        source: 'target',
        cycleSeconds: 1,
        maxWaitSeconds: 300,
        ackTimer: false,
        ...over,
      } satisfies IncidentInput,
    ],
  });
}

const registry = (s: TestSandbox) => client.workflow.getHandle(workflowIds.haltRegistry(s.targetName));

function resolvedLines(s: TestSandbox, incidentId: string) {
  return s.artifact('incident_events.jsonl', incidentEventSchema).filter((e) => e.event_type === 'incident_resolved' && e.incident_id === incidentId);
}

/** The sandbox's incident id for the first `slo` breach after `since` (its monitor links breach and incident). */
async function breachIncident(s: TestSandbox, slo: string, since: string): Promise<string> {
  return waitFor(
    `a ${slo} breach`,
    () => {
      const e = s.artifact('ops_slo_events.jsonl', opsSloEventSchema).find((x) => x.event_type === 'slo_breach' && x.slo === slo && x.ts >= since);
      return e?.event_type === 'slo_breach' ? e.incident_id : undefined;
    },
    { timeoutMs: 20000 },
  );
}

test('two concurrent incidents of different classes: entries stay halted until both recover, through a worker kill', async () => {
  const since = new Date().toISOString();
  await a.inject('order_drift');
  await a.inject('corrupt_bars');
  const [reconId, dqId] = await Promise.all([
    breachIncident(a, 'order_reconciliation_consecutive_mismatch_runs', since),
    breachIncident(a, 'data_quality_errors', since),
  ]);
  const recon = await startIncident(a, reconId);
  const dq = await startIncident(a, dqId);
  await waitFor('both incidents holding', async () => (await registry(a).query(haltRegistryStatusQuery)).holders.length === 2, { timeoutMs: 20000 });
  expect((await stats(a)).entries_halted).toBe(true);
  expect((await waitFor('recon triage', () => recon.query(triageQuery)))!.classification.class).toBe('reconciliation');
  expect((await waitFor('dq triage', () => dq.query(triageQuery)))!.classification.class).toBe('data_quality');

  await a.clear('corrupt_bars');
  const dqResult: IncidentResult = await dq.result();
  expect(dqResult).toMatchObject({ resolution: 'recovered', incidentClass: 'data_quality' });
  const released = dqResult.timeline.find((t) => t.step === 'hold released; entries stay halted');
  expect(released?.detail).toMatch(new RegExp(`still held by incident:${a.config.runId}/${reconId}`));
  expect((await stats(a)).entries_halted).toBe(true);

  // The worker dies between the two recoveries; a new one takes over.
  await worker!.kill();
  await restartWorker();
  for (let i = 0; i < 6; i++) {
    expect((await stats(a)).entries_halted).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
  }
  expect(truthSince(a, since, 'kill_switch_resume')).toHaveLength(0);

  await a.clear('order_drift');
  const reconResult: IncidentResult = await recon.result();
  expect(reconResult).toMatchObject({ resolution: 'recovered', incidentClass: 'reconciliation' });
  expect(reconResult.timeline.some((t) => t.step === 'entries resumed')).toBe(true);
  expect((await stats(a)).entries_halted).toBe(false);
  // Counted where they land: one resume, after both; one resolved line each.
  const resumes = truthSince(a, since, 'kill_switch_resume');
  expect(resumes).toHaveLength(1);
  const lastResolved = [...resolvedLines(a, dqId), ...resolvedLines(a, reconId)];
  expect(lastResolved).toHaveLength(2);
  expect(resumes[0]!.ts >= resolvedLines(a, dqId)[0]!.ts).toBe(true);
  await recordHistory(recon, 'incident-v2-two-holders');
  await recordHistory(client.workflow.getHandle(workflowIds.recovery(a.config.runId, dqId, 1)), 'recovery-v2-data-quality');
}, 180000);

test("an operator's hold from the CLI; a manual release at the gateway is halted again within 5 s; release resumes", async () => {
  const env = { TEMPORAL_ADDRESS: server.address, DRILL_TASK_QUEUE: taskQueue };
  const since = new Date().toISOString();
  const hold = await runDrillCli(['halt', 'hold', '--target', b.targetName, '--by', 'alice', '--reason', 'venue maintenance', '--json'], env);
  expect(hold.code).toBe(0);
  expect(JSON.parse(hold.stdout)).toMatchObject({ ok: true, entriesHalted: true, holders: [expect.objectContaining({ kind: 'operator', id: 'alice' })] });
  expect((await stats(b)).halt_reason).toMatch(/^drill-runner holds entries \(1 holder\): operator alice — venue maintenance/);

  const gaps: number[] = [];
  for (let i = 0; i < 3; i++) {
    const before = new Date().toISOString();
    await manualResume(b);
    const resume = await waitFor('the manual resume in the ground truth', () => truthSince(b, before, 'kill_switch_resume')[0]);
    const halt = await waitFor('the re-halt', () => truthSince(b, resume.ts, 'kill_switch_halt')[0], { timeoutMs: 10000 });
    gaps.push(Date.parse(halt.ts) - Date.parse(resume.ts));
  }
  expect(Math.max(...gaps)).toBeLessThanOrEqual(5000);

  const status = await runDrillCli(['halt', 'status', '--target', b.targetName, '--json'], env);
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ holders: [expect.objectContaining({ id: 'alice' })], rehalts: 3, entriesHalted: true });
  const bad = await runDrillCli(['halt', 'release', '--target', b.targetName, '--by', 'alice', '--reason', 'x', '--holder', 'nobody'], env);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--holder: expected <incident\|drill\|operator>:<id>/);
  const release = await runDrillCli(['halt', 'release', '--target', b.targetName, '--by', 'alice', '--reason', 'maintenance done', '--json'], env);
  expect(release.code).toBe(0);
  expect(JSON.parse(release.stdout)).toMatchObject({ resumed: true, holders: [] });
  expect((await stats(b)).entries_halted).toBe(false);
  expect(truthSince(b, since, 'kill_switch_resume')).toHaveLength(4);
  console.log(`manual release → halted again after ${gaps.join(', ')} ms`);
}, 120000);

test('worker killed during triage: entries were already halted; triage done within 10 s of the kill', async () => {
  await restartWorker({ at: 'triageIncident' });
  const since = new Date().toISOString();
  const id = uniqueId('inc-triage');
  const t0 = Date.now();
  const handle = await startIncident(a, id, { hint: 'reconciliation' });
  await worker!.exited;
  const killedAt = crashedAt();
  const halt = await waitFor('the halt', () => truthSince(a, since, 'kill_switch_halt')[0]);
  // Halt first: entries were halted before triage began (the worker died as it began).
  expect(Date.parse(halt.ts)).toBeLessThanOrEqual(crashedAt());
  await restartWorker();
  await waitFor('the triage report', () => handle.query(triageQuery), { timeoutMs: 20000 });
  const cost = Date.now() - killedAt;
  expect(cost).toBeLessThanOrEqual(10000);
  const result: IncidentResult = await handle.result();
  expect(result.resolution).toBe('recovered');
  expect(truthSince(a, since, 'kill_switch_resume')).toHaveLength(1);
  expect(resolvedLines(a, id)).toHaveLength(1);
  console.log(`kill during triage: halted ${Date.parse(halt.ts) - t0} ms after the start; triage ${cost} ms after the kill`);
}, 120000);

test("worker killed between the broker branch's stop and start: the target is down at most 10 s, restarted once", async () => {
  await restartWorker({ at: 'recoveryProcessStart' });
  const since = new Date().toISOString();
  await a.inject('broker_disconnect');
  const id = uniqueId('inc-broker');
  const handle = await startIncident(a, id, { hint: 'broker/connectivity' });
  await worker!.exited;
  const stopped = await waitFor('the stop', () => truthSince(a, since, 'stopped')[0]);
  await restartWorker();
  const result: IncidentResult = await handle.result();
  expect(result).toMatchObject({ resolution: 'recovered', incidentClass: 'broker_connectivity' });
  const starts = truthSince(a, since, 'process_start');
  expect(truthSince(a, since, 'stopped')).toHaveLength(1);
  expect(starts).toHaveLength(1);
  const down = Date.parse(starts[0]!.ts) - Date.parse(stopped.ts);
  expect(down).toBeLessThanOrEqual(10000);
  expect(truthSince(a, since, 'kill_switch_resume')).toHaveLength(1);
  await waitFor('the sandbox serving again', () =>
    fetch(`${gateway(a)}/health`).then(
      (r) => r.ok,
      () => false,
    ),
  );
  await recordHistory(handle, 'incident-v2-broker');
  await recordHistory(client.workflow.getHandle(workflowIds.recovery(a.config.runId, id, 1)), 'recovery-v2-broker');
  console.log(`kill between stop and start: target down ${down} ms`);
}, 120000);

test('holds survive a server kill: the registry keeps its holder, re-halts after a manual release, then resumes on release', async () => {
  const env = { TEMPORAL_ADDRESS: server.address, DRILL_TASK_QUEUE: taskQueue };
  expect((await runDrillCli(['halt', 'hold', '--target', b.targetName, '--by', 'bob', '--reason', 'server kill test'], env)).code).toBe(0);
  const since = new Date().toISOString();
  server.process!.kill('SIGKILL');
  await new Promise((r) => server.process!.once('exit', r));
  server = await startServer();
  if (worker!.child.exitCode !== null || worker!.child.signalCode !== null) await restartWorker();
  const s = await waitFor(
    'the registry answering again',
    () =>
      registry(b)
        .query(haltRegistryStatusQuery)
        .catch(() => undefined),
    { timeoutMs: 30000 },
  );
  expect(s.holders.map((h) => `${h.kind}:${h.id}`)).toEqual(['operator:bob']);
  expect((await stats(b)).entries_halted).toBe(true);
  await manualResume(b);
  const resume = await waitFor('the manual resume', () => truthSince(b, since, 'kill_switch_resume')[0]);
  const halt = await waitFor('the re-halt', () => truthSince(b, resume.ts, 'kill_switch_halt')[0], { timeoutMs: 20000 });
  expect(Date.parse(halt.ts) - Date.parse(resume.ts)).toBeLessThanOrEqual(5000);
  const release = await runDrillCli(['halt', 'release', '--target', b.targetName, '--by', 'bob', '--reason', 'done', '--json'], env);
  expect(release.code).toBe(0);
  expect(JSON.parse(release.stdout)).toMatchObject({ resumed: true });
  expect((await stats(b)).entries_halted).toBe(false);
  const st = await registry(b).query(haltRegistryStatusQuery);
  expect(st.holders).toEqual([]);
  await recordHistory(registry(b), 'halt-registry');
  // An incident on the other target never touched this one's kill switch.
  expect(truthSince(b, since, 'kill_switch_halt').every((e) => /operator bob/.test(String(e.reason)))).toBe(true);
}, 120000);
