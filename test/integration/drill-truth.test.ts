/**
 * Drill truth (issue 9): RTO and RPO from the target's and the process adapter's own evidence, stops
 * and restarts that cannot lie, one drill per target. A dev server on a SQLite file (so it can be
 * killed and started again), a worker that is a real process (so it can be killed with SIGKILL), and
 * real sandbox processes with faults of the stop itself (`slow_drain`, `stop_hangs`), plus shell
 * targets around a sandbox. Every figure is compared with the sandbox's ground truth (within 1 s).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { DevServer } from '../../src/client/dev-server';
import { describeDrillResult } from '../../src/commands/run';
import type { WeeklyDrillInput, WeeklyDrillResult } from '../../src/domain/drill';
import { drillReportSchema, type DrillReport } from '../../src/domain/drill-report';
import type { GroundTruthEvent, TargetConfig } from '../../src/domain/target';
import { writeFileAtomic } from '../../src/io/files';
import { SA } from '../../src/search-attributes';
import { workflowIds } from '../../src/shared';
import { weeklyDrillStatusQuery } from '../../src/workflows/definitions';
import { sandboxMainPath } from '../../src/sandbox/control';
import { recordHistory } from '../helpers/process';
import { startTestSandbox, waitFor, type TestSandbox, type TestSandboxOptions } from '../helpers/sandbox';
import { installTestRuntime, startRestartableDevServer, startRestartableDevServerOnFreePort, uniqueId } from '../helpers/temporal';
import { startWorkerProcess, writeWorkflowBundle, type WorkerProcess, type WorkerProcessOptions } from '../helpers/worker-process';

let dir: string;
let port: number;
let server: DevServer;
let connection: Connection;
let client: Client;
let workerOpts: WorkerProcessOptions;
let worker: WorkerProcess | undefined;
let targetsFile: string;
const taskQueue = uniqueId('truth');
const targets: Record<string, TargetConfig> = {};
const sandboxes: TestSandbox[] = [];

beforeAll(async () => {
  installTestRuntime();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-truth-'));
  const bundle = path.join(dir, 'workflows.js');
  const [started] = await Promise.all([startRestartableDevServerOnFreePort(dir), writeWorkflowBundle(bundle)]);
  ({ server, port } = started);
  targetsFile = path.join(dir, 'targets.json');
  await writeFileAtomic(targetsFile, JSON.stringify({ targets }));
  workerOpts = {
    address: server.address,
    taskQueue,
    targetsFile,
    stateDir: path.join(dir, 'state'),
    runsDir: path.join(dir, 'results', 'runs'),
    bundle,
    logFile: path.join(dir, 'worker.log'),
  };
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection });
  worker = await startWorkerProcess(workerOpts);
});

afterAll(async () => {
  await worker?.kill();
  await connection?.close();
  await server?.stop();
  await Promise.all(sandboxes.map((s) => s.cleanup()));
  if (dir && !process.env.KEEP_SANDBOX_DIRS) fs.rmSync(dir, { recursive: true, force: true });
});

/** A dev server whose state is a SQLite file, so it can be killed and started again. */
function startServer(): Promise<DevServer> {
  return startRestartableDevServer(dir, port);
}

async function sandbox(o: TestSandboxOptions = {}): Promise<TestSandbox> {
  const sbx = await startTestSandbox({ targetName: uniqueId('sbx'), ...o });
  sandboxes.push(sbx);
  Object.assign(targets, sbx.targets.targets);
  // The worker re-reads the targets file when it changes (atomic: never half a file).
  await writeFileAtomic(targetsFile, JSON.stringify({ targets }));
  return sbx;
}

/** Fast bounds for the fast sandbox; no chaos (the chaos step is not what these tests measure). */
const FAST: Partial<WeeklyDrillInput> = {
  scenarios: [],
  detectionSeconds: 5,
  recoverySeconds: 5,
  verifySeconds: 4,
  restartSeconds: 20,
  pollMs: 100,
  maxDrillSeconds: 150,
};

function start(sbx: TestSandbox, input: Partial<WeeklyDrillInput> = {}, drillId = uniqueId('d')) {
  return client.workflow.start('weeklyDrillWorkflow', {
    taskQueue,
    workflowId: workflowIds.drill(sbx.targetName, drillId),
    args: [{ target: sbx.targetName, drillId, ...FAST, ...input } satisfies WeeklyDrillInput],
  });
}

function readReport(r: WeeklyDrillResult): DrillReport {
  expect(r.reportPath).toBeDefined();
  return drillReportSchema.parse(JSON.parse(fs.readFileSync(r.reportPath!, 'utf8')));
}

const secs = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

/**
 * The ground truth of the drill's one stop and restart: RTO = stop_requested → first clean
 * reconciliation of the next boot; restart complete = its `serving`; RPO = the save the next boot
 * restored (by seq) → stop_requested.
 */
function truth(events: GroundTruthEvent[]) {
  const stopReq = events.filter((e) => e.event === 'stop_requested').at(-1)!;
  const stopped = events.find((e) => e.event === 'stopped' && e.boot_id === stopReq.boot_id);
  const serving = events.find((e) => e.event === 'serving' && e.ts > stopReq.ts)!;
  const clean = events.find((e) => e.event === 'first_clean_reconciliation' && e.boot_id === serving.boot_id)!;
  const restored = events.find((e) => e.event === 'state_restored' && e.boot_id === serving.boot_id)!;
  const save = events.find((e) => e.event === 'state_saved' && e.seq === restored.seq)!;
  return {
    stopRequestedAt: stopReq.ts,
    stoppedAt: stopped?.ts,
    stoppedSeq: stopped?.seq,
    servingAt: serving.ts,
    restoredSeq: restored.seq,
    restoredSavedAt: save.ts,
    rto: secs(stopReq.ts, clean.ts),
    restartComplete: secs(stopReq.ts, serving.ts),
    rpo: Math.max(0, secs(save.ts, stopReq.ts)),
  };
}

async function expectTargetUp(sbx: TestSandbox): Promise<void> {
  const stats = await waitFor(
    'target up and healthy',
    async () => {
      const r = await fetch(`${sbx.info.gateway_url}/stats`).catch(() => undefined);
      return r?.ok ? ((await r.json()) as { faults: unknown[]; entries_halted: boolean }) : undefined;
    },
    { timeoutMs: 20000 },
  );
  expect(stats.entries_halted).toBe(false);
}

const stopRequests = (sbx: TestSandbox) => sbx.groundTruth().filter((e) => e.event === 'stop_requested').length;

test('slow graceful drain (3 s): RTO counts from the stop request; time to detect, restart complete and RPO from the target, within 1 s of the ground truth', async () => {
  const sbx = await sandbox();
  await sbx.inject('slow_drain', 3);
  const handle = await start(sbx);
  const r: WeeklyDrillResult = await handle.result();
  await recordHistory(handle, 'weekly-drill-truth-drain-pass');
  expect(r.failures).toEqual([]);
  expect(r.result).toBe('pass');
  const report = readReport(r);
  const t = truth(sbx.groundTruth());
  // The drain is part of the outage: RTO ≥ 3 s, and equal to the truth within 1 s.
  expect(r.rto.seconds!).toBeGreaterThanOrEqual(3);
  expect(Math.abs(r.rto.seconds! - t.rto)).toBeLessThan(1);
  expect(Math.abs(r.rpo.seconds! - t.rpo)).toBeLessThan(1);
  expect(Math.abs(secs(report.timeline.stopRequestedAt!, t.stopRequestedAt))).toBeLessThan(1);
  // Restart complete is the target's own ready time (its `serving`), not when a probe looked.
  expect(report.timeline.restartCompleteAt).toBe(t.servingAt);
  expect(Math.abs(report.recovery!.restartCompleteSeconds! - t.restartComplete)).toBeLessThan(1);
  // The draining process answers 503 at once: detection is well before the process is gone.
  expect(report.recovery!.timeToDetectSeconds!).toBeLessThan(1);
  expect(report.recovery!.firstCleanReconciliationSeconds).toBe(r.rto.seconds);
  // The result carries the same parts, and the CLI prints them beside RTO and RPO.
  expect(r.recovery).toEqual({
    outageStartAt: report.timeline.stopRequestedAt,
    timeToDetectSeconds: report.recovery!.timeToDetectSeconds,
    restartCompleteSeconds: report.recovery!.restartCompleteSeconds,
    firstCleanReconciliationSeconds: r.rto.seconds,
  });
  expect(describeDrillResult(r).join('\n')).toMatch(
    /from the stop request \(.*\): detected \d+\.\d{3} s, restart complete \d+\.\d{3} s, first clean reconciliation \d+\.\d{3} s/,
  );
  // Ordered as it happened: restart complete before the first clean reconciliation.
  expect(Date.parse(report.timeline.restartCompleteAt!)).toBeLessThanOrEqual(Date.parse(report.timeline.firstCleanReconciliationAt!));
  expect(report.recovery!.definitions.rto).toMatch(/outage start .* first clean reconciliation/);
  // The restored state is the one the stop flushed (after the drain), digest-verified: the RPO ends there.
  expect(t.restoredSeq).toBe(t.stoppedSeq);
  expect(report.timeline.restoredStateSavedAt).toBe(t.restoredSavedAt);
  expect(stopRequests(sbx)).toBe(1);
  await expectTargetUp(sbx);
});

test('production-length stop and restart on the sandbox: a 20 s graceful drain and a 40 s slow restart; RTO, restart complete and RPO within 1 s of the ground truth', async () => {
  const sbx = await sandbox();
  await sbx.inject('slow_drain', 20);
  await sbx.inject('slow_restart', 40);
  // The faults are cleared whatever happens; when the drill or a check fails, that failure is what
  // the test reports (a target left down by it cannot take the clear, and that error would hide it).
  let failed: unknown;
  try {
    const handle = await start(sbx, { stopSeconds: 60, restartSeconds: 90, maxDrillSeconds: 240, rtoSeconds: 120 });
    const r: WeeklyDrillResult = await handle.result();
    expect(r.failures).toEqual([]);
    expect(r.result).toBe('pass');
    const t = truth(sbx.groundTruth());
    expect(secs(t.stopRequestedAt, t.stoppedAt!)).toBeGreaterThanOrEqual(20);
    expect(t.restartComplete).toBeGreaterThanOrEqual(60);
    expect(r.rto.seconds!).toBeGreaterThanOrEqual(60);
    expect(Math.abs(r.rto.seconds! - t.rto)).toBeLessThan(1);
    expect(Math.abs(r.rpo.seconds! - t.rpo)).toBeLessThan(1);
    const report = readReport(r);
    expect(report.timeline.restartCompleteAt).toBe(t.servingAt);
    expect(Math.abs(report.recovery!.restartCompleteSeconds! - t.restartComplete)).toBeLessThan(1);
    // The drained stop flushed a final save; the new boot restored it.
    expect(t.restoredSeq).toBe(t.stoppedSeq);
    expect(stopRequests(sbx)).toBe(1);
  } catch (err) {
    failed = err;
  }
  for (const fault of ['slow_restart', 'slow_drain'] as const) {
    await sbx.clear(fault).catch((err: unknown) => {
      if (!failed) throw err;
    });
  }
  if (failed) throw failed;
  await expectTargetUp(sbx);
}, 300_000);

test("bounded waits: a 6 s slow restart polled every 20 ms is one long-poll activity in the history, not one activity and one timer per poll; RTO/RPO still the target's", async () => {
  const sbx = await sandbox();
  await sbx.inject('slow_restart', 6);
  const handle = await start(sbx, { pollMs: 20 });
  const r: WeeklyDrillResult = await handle.result();
  await recordHistory(handle, 'weekly-drill-bounded-waits');
  expect(r.failures).toEqual([]);
  expect(r.result).toBe('pass');
  const t = truth(sbx.groundTruth());
  expect(t.restartComplete).toBeGreaterThanOrEqual(6);
  expect(Math.abs(r.rto.seconds! - t.rto)).toBeLessThan(1);
  expect(Math.abs(r.rpo.seconds! - t.rpo)).toBeLessThan(1);
  const events = (await handle.fetchHistory()).events!;
  const waits = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'drillWaitServing');
  expect(waits).toHaveLength(1);
  // The wait's own poll count, from its result in the history.
  const done = events.find((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === waits[0]!.eventId!.toString());
  const result = defaultPayloadConverter.fromPayload<{ done: boolean; polls: number }>(done!.activityTaskCompletedEventAttributes!.result!.payloads![0]!);
  expect(result.done).toBe(true);
  expect(result.polls).toBeGreaterThan(20);
  // Polling every 20 ms through workflow timers would have added ≥ 5 events per poll (> 1,000 here);
  // the whole drill, lock child and window included, is ~170 events however long the restart takes.
  expect(events.length).toBeLessThan(300);
  expect(events.length).toBeLessThan(result.polls * 5);
  // The Web UI (issue 13): DrillState ends at done, and the current details say the verdict and the steps.
  const described = await handle.describe();
  expect(described.typedSearchAttributes.get(SA.state)).toBe('done');
  const meta = (await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
  expect(meta.currentDetails).toMatch(/^\*\*Done: PASS\*\* · target `/);
  expect(meta.currentDetails).toMatch(/\| 3 \| restart \| ok \|/);
  expect(meta.currentDetails).toMatch(/RTO [\d.]+ s \(target \d+ s, ok\)/);
  expect(stopRequests(sbx)).toBe(1);
  await expectTargetUp(sbx);
});

test('a stop that outlives the adapter timeout: the retry waits until the process is gone; outage start and RPO from the first request and the flushed save', async () => {
  const sbx = await sandbox({ target: (e) => ({ ...e, process: { ...e.process, timeoutSeconds: 1 } as typeof e.process }) });
  await sbx.inject('slow_drain', 4);
  const r: WeeklyDrillResult = await (await start(sbx)).result();
  expect(r.failures).toEqual([]);
  expect(r.result).toBe('pass');
  const report = readReport(r);
  const t = truth(sbx.groundTruth());
  expect(Math.abs(secs(report.timeline.stopRequestedAt!, t.stopRequestedAt))).toBeLessThan(1);
  // Not taken for stopped while draining: seen gone only after the truth's `stopped`.
  expect(Date.parse(report.timeline.stoppedAt!)).toBeGreaterThanOrEqual(Date.parse(t.stoppedAt!));
  expect(t.restoredSeq).toBe(t.stoppedSeq);
  expect(report.timeline.restoredStateSavedAt).toBe(t.restoredSavedAt);
  expect(report.timeline.lastStateSaveAt).toBe(t.restoredSavedAt);
  expect(Math.abs(r.rto.seconds! - t.rto)).toBeLessThan(1);
  expect(Math.abs(r.rpo.seconds! - t.rpo)).toBeLessThan(1);
  expect(stopRequests(sbx)).toBe(1);
  await expectTargetUp(sbx);
});

test('a stop that hangs fails the drill with that cause, within stopSeconds; the rollback still runs', async () => {
  const sbx = await sandbox();
  await sbx.inject('stop_hangs');
  const handle = await start(sbx, { stopSeconds: 2, restartSeconds: 2 });
  const r: WeeklyDrillResult = await handle.result();
  await recordHistory(handle, 'weekly-drill-truth-stop-incomplete');
  expect(r.result).toBe('fail');
  expect(r.failures.join('\n')).toMatch(/stop did not complete: .*still running/);
  const report = readReport(r);
  const stop = report.steps.find((s) => s.name === 'stop')!;
  expect(stop.status).toBe('failed');
  expect(secs(stop.startedAt, stop.finishedAt!)).toBeLessThan(10);
  expect(report.steps.find((s) => s.name === 'restart')).toBeUndefined();
  // The rollback ran: it tried to bring the target back (the hung process still holds it).
  expect(report.rollback.join('\n')).toMatch(/start target: already running/);
  expect(report.rollback.join('\n')).toMatch(/NOT serving/);
  expect(stopRequests(sbx)).toBe(1);
});

test('worker kill -9 mid-stop: the retried stop keeps the outage start; RTO is the true outage (over target: FAIL)', async () => {
  const sbx = await sandbox();
  await sbx.inject('slow_drain', 2);
  const handle = await start(sbx, { rtoSeconds: 20 });
  await waitFor('the drill to request the stop', () => stopRequests(sbx) === 1, { timeoutMs: 30000, intervalMs: 20 });
  await worker!.kill();
  const killedAt = Date.now();
  worker = await startWorkerProcess(workerOpts);
  const r: WeeklyDrillResult = await handle.result();
  const report = readReport(r);
  const t = truth(sbx.groundTruth());
  // The retry (after the heartbeat timeout) found the process gone: no second stop, same outage start.
  expect(stopRequests(sbx)).toBe(1);
  expect(Math.abs(secs(report.timeline.stopRequestedAt!, t.stopRequestedAt))).toBeLessThan(1);
  expect(Date.parse(report.timeline.stopRequestedAt!)).toBeLessThan(killedAt);
  expect(Math.abs(r.rto.seconds! - t.rto)).toBeLessThan(1);
  expect(r.rto.seconds!).toBeGreaterThan(20);
  expect(r.result).toBe('fail');
  expect(r.failures.join('\n')).toMatch(/RTO .* exceeds the target 20 s/);
  expect(Math.abs(r.rpo.seconds! - t.rpo)).toBeLessThan(1);
  expect(t.restoredSeq).toBe(t.stoppedSeq);
  expect(report.timeline.restoredStateSavedAt).toBe(t.restoredSavedAt);
  await expectTargetUp(sbx);
});

test("Temporal server killed mid-stop: the figures stay the target's and the adapter's (within 1 s of the ground truth), one stop", async () => {
  const sbx = await sandbox();
  await sbx.inject('slow_drain', 3);
  const handle = await start(sbx);
  await waitFor('the drill to request the stop', () => stopRequests(sbx) === 1, { timeoutMs: 30000, intervalMs: 20 });
  server.process!.kill('SIGKILL');
  await new Promise((r) => server.process!.once('exit', r));
  await new Promise((r) => setTimeout(r, 2000));
  server = await startServer();
  if (worker!.child.exitCode !== null || worker!.child.signalCode !== null) worker = await startWorkerProcess(workerOpts);
  const r: WeeklyDrillResult = await handle.result();
  const report = readReport(r);
  const t = truth(sbx.groundTruth());
  expect(stopRequests(sbx)).toBe(1);
  expect(Math.abs(secs(report.timeline.stopRequestedAt!, t.stopRequestedAt))).toBeLessThan(1);
  expect(Math.abs(r.rto.seconds! - t.rto)).toBeLessThan(1);
  expect(Math.abs(r.rpo.seconds! - t.rpo)).toBeLessThan(1);
  expect(report.timeline.restartCompleteAt).toBe(t.servingAt);
  expect(r.result).toBe('pass');
  await expectTargetUp(sbx);
});

test('two drills on one target: the second is refused before it touches the target, naming the first; the lock is released when the first ends, and when a holder is terminated', async () => {
  const sbx = await sandbox();
  await sbx.inject('slow_drain', 2);
  const firstId = uniqueId('first');
  const first = await start(sbx, {}, firstId);
  await waitFor('the first drill past its preflight', async () => ['chaos', 'stop', 'restart'].includes((await first.query(weeklyDrillStatusQuery)).step), {
    timeoutMs: 30000,
  });
  const secondHandle = await start(sbx);
  const second: WeeklyDrillResult = await secondHandle.result();
  await recordHistory(secondHandle, 'weekly-drill-truth-busy-refused');
  expect(second.result).toBe('error');
  expect(second.failures.join('\n')).toContain(`another drill is running on target ${sbx.targetName}: drill ${firstId}`);
  expect(second.failures.join('\n')).toContain(first.workflowId);
  const r: WeeklyDrillResult = await first.result();
  expect(r.result).toBe('pass');
  // One stop and one restart: the second drill never touched the target (no halt, no fault, no stop).
  expect(stopRequests(sbx)).toBe(1);
  expect(sbx.groundTruth().filter((e) => e.event === 'kill_switch_halt')).toHaveLength(1);
  const lock = client.workflow.getHandle(workflowIds.drillLock(sbx.targetName));
  expect((await lock.describe()).status.name).toBe('COMPLETED');
  await recordHistory(lock, 'drill-lock-released');

  // Released whatever ends the holder: a terminated drill's lock is terminated with it (parent close policy).
  const third = await start(sbx, { scenarios: ['stale_data'], detectionSeconds: 20 });
  await waitFor('the third drill in its chaos step', async () => (await third.query(weeklyDrillStatusQuery)).step === 'chaos', { timeoutMs: 30000 });
  await third.terminate('test: a holder that never releases');
  await waitFor(
    'the lock closed with its holder',
    async () => (await client.workflow.getHandle(workflowIds.drillLock(sbx.targetName)).describe()).status.name === 'TERMINATED',
    { timeoutMs: 10000 },
  );
  await sbx.clear('all');
  const fourth: WeeklyDrillResult = await (await start(sbx)).result();
  expect(fourth.result).toBe('pass');
});

/** A shell-adapter target around a sandbox: stop (SIGTERM and wait), start (detached), health (prints the body, or not). */
function shellTarget(printsHealthJson: boolean): TestSandboxOptions['target'] {
  return (entry, { configFile, config }) => {
    const pidFile = path.join(config.stateDir, 'sandbox.pid');
    const port = new URL(entry.gatewayUrl).port;
    const print = printsHealthJson ? 'process.stdout.write(await r.text());' : '';
    return {
      ...entry,
      process: {
        adapter: 'shell',
        start: `nohup "${process.execPath}" "${sandboxMainPath()}" --config "${configFile}" >> "${config.stateDir}/shell-start.log" 2>&1 &`,
        stop: `if [ -f "${pidFile}" ]; then pid=$(cat "${pidFile}"); kill -TERM "$pid" 2>/dev/null; while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done; fi`,
        health: `"${process.execPath}" -e "fetch('http://127.0.0.1:${port}/health').then(async r => { ${print} process.exit(r.ok ? 0 : 1) }, () => process.exit(1))"`,
        timeoutSeconds: 15,
      },
    };
  };
}

test('shell target whose health command prints the health JSON: the restart counts by its new boot, RTO/RPO within 1 s of the ground truth', async () => {
  const sbx = await sandbox({ target: shellTarget(true) });
  const r: WeeklyDrillResult = await (await start(sbx)).result();
  expect(r.failures).toEqual([]);
  expect(r.result).toBe('pass');
  const report = readReport(r);
  const t = truth(sbx.groundTruth());
  expect(report.timeline.restartCompleteAt).toBe(t.servingAt);
  expect(report.timeline.restartBootId).toBe(
    sbx
      .groundTruth()
      .filter((e) => e.event === 'serving')
      .at(-1)!.boot_id,
  );
  expect(Math.abs(r.rto.seconds! - t.rto)).toBeLessThan(1);
  expect(Math.abs(r.rpo.seconds! - t.rpo)).toBeLessThan(1);
  await expectTargetUp(sbx);
});

test('shell target whose health gives no boot id or start time: the restart is not counted (any healthy answer is not a restart)', async () => {
  const sbx = await sandbox({ target: shellTarget(false) });
  const r: WeeklyDrillResult = await (await start(sbx)).result();
  expect(r.result).toBe('fail');
  expect(r.failures.join('\n')).toMatch(/target restarted \(new boot\): the health answer carries no boot_id or started_at/);
  const report = readReport(r);
  expect(report.steps.find((s) => s.name === 'restart')).toMatchObject({ status: 'failed', detail: expect.stringMatching(/restart not verified/) });
  expect(report.timeline.restartCompleteAt).toBeUndefined();
  await expectTargetUp(sbx);
});
