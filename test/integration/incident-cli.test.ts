/**
 * The incident and watcher CLI on the dev server against a real sandbox: `drill watch start|stop`,
 * `drill incident list|status` as child processes (exit codes and output), the watcher's `stopWatch`
 * update, and the incident's `reclassify` update (a bad class rejected before history; a valid one
 * cancels the running recovery and starts the next attempt for the new class).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { IncidentInput, IncidentResult, IncidentStatus } from '../../src/domain/incident';
import { type RecoveryStatus } from '../../src/domain/recovery';
import type { AlertWatchResult } from '../../src/domain/watch';
import { workflowIds } from '../../src/shared';
import { alertWatchStatusQuery, forceResumeUpdate, reclassifyUpdate, recoveryStatusQuery, stopWatchUpdate } from '../../src/workflows/definitions';
import { runDrillCli } from '../helpers/process';
import { startTestSandbox, waitFor, type TestSandbox } from '../helpers/sandbox';
import { devServerEnv, uniqueId } from '../helpers/temporal';
import { PAGING_OFF, startProductWorker, type ProductWorker } from '../helpers/product-worker';

let env: TestWorkflowEnvironment;
let sbx: TestSandbox;
let pw: ProductWorker;
let taskQueue: string;
let dir: string;
let targetsFile: string;

beforeAll(async () => {
  [env, sbx] = await Promise.all([devServerEnv(), startTestSandbox({ config: { runId: 'paper-cli' } })]);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'incident-cli-'));
  targetsFile = path.join(dir, 'targets.json');
  fs.writeFileSync(targetsFile, JSON.stringify(sbx.targets));
  pw = await startProductWorker(env, {
    config: { paging: PAGING_OFF, runsDir: sbx.config.artifactsRoot, stateDir: dir },
    targets: sbx.deps.targets,
  });
  taskQueue = pw.taskQueue;
});

afterAll(async () => {
  await pw?.stop();
  await sbx?.cleanup();
  await env?.teardown();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function drill(args: string[], extraEnv: Record<string, string> = {}) {
  return runDrillCli(
    args,
    {
      ...extraEnv,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      DRILL_TASK_QUEUE: taskQueue,
      DRILL_RESULTS_DIR: path.dirname(sbx.config.artifactsRoot),
      DRILL_TARGETS_FILE: targetsFile,
      DRILL_STATE_DIR: dir,
    },
    30000,
  );
}

const gateway = () => sbx.targets.targets[sbx.targetName]!.gatewayUrl;
async function entriesHalted(): Promise<boolean> {
  return ((await fetch(`${gateway()}/stats`).then((r) => r.json())) as { entries_halted: boolean }).entries_halted;
}

test('drill watch start (idempotent) → cycles; stopWatch update validated, answers with the status; drill watch stop on a stopped watcher → exit 1', async () => {
  const runId = sbx.config.runId;
  const workflowId = workflowIds.alertWatch(runId);
  const first = await drill(['watch', 'start', '--run-id', runId, '--interval', '1']);
  expect(first).toMatchObject({ code: 0 });
  expect(first.stdout).toContain(`watching run ${runId} (target ${sbx.targetName}): workflow ${workflowId}`);
  const again = await drill(['watch', 'start', '--run-id', runId, '--interval', '1']);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain(workflowId);

  const handle = env.client.workflow.getHandle(workflowId);
  await waitFor('two watcher cycles', async () => (await handle.query(alertWatchStatusQuery)).cycle >= 2, { timeoutMs: 15000 });

  // Invalid stop request: rejected by the validator, never in history.
  const bad = await handle.executeUpdate(stopWatchUpdate, { args: [{ reason: 42 } as never] }).catch((e: unknown) => e);
  expect(bad).toBeInstanceOf(WorkflowUpdateFailedError);
  expect((await handle.query(alertWatchStatusQuery)).state).toBe('watching');

  const stopped = await handle.executeUpdate(stopWatchUpdate, { args: [{ reason: 'test over', by: 'tester' }] });
  expect(stopped.state).toBe('stopping');
  expect(stopped.stopReason).toBe('test over');
  const result: AlertWatchResult = await handle.result();
  expect(result).toMatchObject({ runId, stoppedBy: 'tester', reason: 'test over' });
  expect(result.counters.cycles).toBeGreaterThanOrEqual(2);

  const history = await handle.fetchHistory();
  const accepted = (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  expect(accepted).toHaveLength(1);

  const late = await drill(['watch', 'stop', '--run-id', runId]);
  expect(late.code).toBe(1);
  expect(late.stderr).toContain(`no running watcher ${workflowId}`);
});

test('drill watch start → drill watch stop (signal) ends the watcher with who and why', async () => {
  const runId = uniqueId('paper-stop');
  const workflowId = workflowIds.alertWatch(runId);
  const started = await drill(['watch', 'start', '--run-id', runId, '--target', sbx.targetName, '--interval', '1']);
  expect(started.code).toBe(0);
  const handle = env.client.workflow.getHandle(workflowId);
  await waitFor('one watcher cycle', async () => (await handle.query(alertWatchStatusQuery)).cycle >= 1, { timeoutMs: 15000 });
  const stop = await drill(['watch', 'stop', '--run-id', runId, '--reason', 'run ended', '--by', 'alice']);
  expect(stop).toMatchObject({ code: 0 });
  expect(stop.stdout).toContain(`stop sent to ${workflowId}`);
  const result: AlertWatchResult = await handle.result();
  expect(result).toMatchObject({ runId, stoppedBy: 'alice', reason: 'run ended' });

  const unknown = await drill(['watch', 'start', '--run-id', 'paper-nope', '--target', 'no-such-target']);
  expect(unknown.code).not.toBe(0);
});

test('drill watch start carries SLO_* threshold overrides into the watcher; a bad one is refused before anything starts', async () => {
  const runId = uniqueId('paper-slo');
  const bad = await drill(['watch', 'start', '--run-id', runId, '--target', sbx.targetName], { SLO_MAX_CONSECUTIVE_MISMATCH_RUNS: 'many' });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('SLO_MAX_CONSECUTIVE_MISMATCH_RUNS: expected a number');
  const started = await drill(['watch', 'start', '--run-id', runId, '--target', sbx.targetName, '--interval', '1'], {
    SLO_MAX_CONSECUTIVE_MISMATCH_RUNS: '5',
    SLO_MIN_RECONCILIATION_PASS_RATE: '99%',
  });
  expect(started.code).toBe(0);
  const handle = env.client.workflow.getHandle(workflowIds.alertWatch(runId));
  const history = await handle.fetchHistory();
  const payload = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  const input = JSON.parse(Buffer.from(payload.data!).toString('utf8')) as { thresholds?: Record<string, number> };
  expect(input.thresholds).toMatchObject({ maxConsecutiveMismatchRuns: 5, minReconciliationPassRate: 0.99, ackSlaSeconds: 900 });
  await handle.terminate('test done');
});

test('drill watch start exposes the cycle and SLA settings of the incidents it opens; bad values refused before anything starts', async () => {
  const runId = uniqueId('paper-tune');
  const tooFast = await drill(['watch', 'start', '--run-id', runId, '--target', sbx.targetName, '--interval', '0.2']);
  expect(tooFast.code).toBe(2);
  expect(tooFast.stderr).toContain('--interval: expected a number of seconds ≥ 1 (got 0.2)');
  const badSla = await drill(['watch', 'start', '--run-id', runId, '--target', sbx.targetName, '--ack-sla', 'soon']);
  expect(badSla.code).toBe(2);
  expect(badSla.stderr).toContain("option '--ack-sla <seconds>' argument 'soon' is invalid. expected a number.");
  const started = await drill([
    'watch',
    'start',
    '--run-id',
    runId,
    '--target',
    sbx.targetName,
    '--interval',
    '2',
    '--incident-cycle',
    '5',
    '--max-wait',
    '900',
    '--ack-sla',
    '600',
    '--evidence-window',
    '300',
  ]);
  expect(started.code).toBe(0);
  const handle = env.client.workflow.getHandle(workflowIds.alertWatch(runId));
  const history = await handle.fetchHistory();
  const payload = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  expect(JSON.parse(Buffer.from(payload.data!).toString('utf8'))).toMatchObject({
    intervalSeconds: 2,
    incident: { cycleSeconds: 5, maxWaitSeconds: 900, ackSlaSeconds: 600, evidenceWindowSeconds: 300 },
  });
  await handle.terminate('test done');
});

test('drill incident status|list on a running incident; reclassify: bad class rejected, never in history; a valid one restarts recovery for the new class', async () => {
  const runId = sbx.config.runId;
  // Unknown incident: exit 1; a malformed run id: exit 2.
  const missing = await drill(['incident', 'status', '--run-id', runId, '--incident-id', 'inc-none']);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain(`no incident workflow ${workflowIds.incident(runId, 'inc-none')}`);
  const malformed = await drill(['incident', 'status', '--run-id', 'bad run id!', '--incident-id', 'inc-none']);
  expect(malformed.code).toBe(2);

  await sbx.inject('order_drift');
  await waitFor('a mismatch in the artifacts', () =>
    fs.readFileSync(path.join(sbx.runDir, 'order_reconciliation_events.jsonl'), 'utf8').includes('"mismatch"'),
  );
  const id = uniqueId('inc-cli');
  const workflowId = workflowIds.incident(runId, id);
  const handle = await env.client.workflow.start('incidentWorkflow', {
    taskQueue,
    workflowId,
    args: [
      { runId, incidentId: id, target: sbx.targetName, severity: 'critical', cycleSeconds: 1, maxWaitSeconds: 120, ackTimer: false } satisfies IncidentInput,
    ],
  });
  const rec1 = env.client.workflow.getHandle(workflowIds.recovery(runId, id, 1));
  await waitFor(
    'recovery attempt 1 cycling',
    async () => {
      const s = await rec1.query(recoveryStatusQuery).catch(() => undefined);
      return s && s.cycles >= 1 ? s : undefined;
    },
    { timeoutMs: 20000 },
  );

  const st = await drill(['incident', 'status', '--run-id', runId, '--incident-id', id]);
  expect(st.code).toBe(0);
  const status = JSON.parse(st.stdout) as IncidentStatus;
  expect(status).toMatchObject({
    runId,
    incidentId: id,
    phase: 'recovering',
    incidentClass: 'reconciliation',
    recoveryAttempt: 1,
    recoveryWorkflowId: rec1.workflowId,
  });
  expect(await entriesHalted()).toBe(true);

  const listed = await waitFor(
    'the incident in visibility',
    async () => {
      const r = await drill(['incident', 'list', '--run-id', runId, '--open']);
      expect(r.code).toBe(0);
      const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
      return rows.find((x) => x.workflowId === workflowId && x.state === 'recovering');
    },
    { timeoutMs: 20000, intervalMs: 500 },
  );
  expect(listed).toMatchObject({ status: 'RUNNING', runId, incidentId: id, incidentClass: 'reconciliation' });
  const badList = await drill(['incident', 'list', '--run-id', 'bad run id!']);
  expect(badList.code).toBe(2);

  // A class that does not exist: rejected by the validator, never in history.
  const bad = await handle
    .executeUpdate(reclassifyUpdate, { args: [{ incidentClass: 'cosmic_rays', reason: 'solar flare', by: 'mallory' } as never] })
    .catch((e: unknown) => e);
  expect(bad).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(String((bad as Error & { cause?: Error }).cause?.message)).toMatch(/invalid reclassify/);
  const missingReason = await handle
    .executeUpdate(reclassifyUpdate, { args: [{ incidentClass: 'data_quality', by: 'mallory' } as never] })
    .catch((e: unknown) => e);
  expect(missingReason).toBeInstanceOf(WorkflowUpdateFailedError);
  const before = await handle.fetchHistory();
  expect((before.events ?? []).some((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);
  expect(JSON.stringify(before.events)).not.toContain('cosmic_rays');

  // A valid class: recovery attempt 1 cancelled, attempt 2 for data quality (kept dirty: bars corrupt).
  await sbx.inject('corrupt_bars');
  const action = await handle.executeUpdate(reclassifyUpdate, {
    args: [{ incidentClass: 'data_quality', reason: 'bars are stale, not a recon issue', by: 'alice' }],
  });
  expect(action).toMatchObject({ action: 'reclassify', by: 'alice', incidentClass: 'data_quality' });
  const rec2 = env.client.workflow.getHandle(workflowIds.recovery(runId, id, 2));
  const s2: RecoveryStatus = await waitFor('recovery attempt 2', () => rec2.query(recoveryStatusQuery).catch(() => undefined), { timeoutMs: 20000 });
  expect(s2).toMatchObject({ incidentClass: 'data_quality', attempt: 2 });
  expect((await rec1.describe()).status.name).toBe('CANCELLED');
  const after = await drill(['incident', 'status', '--run-id', runId, '--incident-id', id]);
  expect(after.code).toBe(0);
  expect(JSON.parse(after.stdout)).toMatchObject({ incidentClass: 'data_quality', recoveryAttempt: 2, recoveryWorkflowId: rec2.workflowId });
  expect(await entriesHalted()).toBe(true);

  // Close it quickly: an audited force resume.
  await sbx.clear('all');
  await handle.executeUpdate(forceResumeUpdate, { args: [{ reason: 'test over', by: 'alice' }] });
  const result: IncidentResult = await handle.result();
  expect(result).toMatchObject({ incidentClass: 'data_quality', resolution: 'forced' });
  expect(result.operatorActions.map((a) => a.action)).toEqual(['reclassify', 'forceResume']);
  expect(result.timeline.map((t) => t.step)).toEqual(
    expect.arrayContaining(['operator alice: reclassify as data_quality', 'recovery attempt 1 cancelled', 'recovery attempt 2: data_quality']),
  );
  expect(await entriesHalted()).toBe(false);

  // Closed: listed as completed and resolved.
  const done = await waitFor(
    'the incident completed in visibility',
    async () => {
      const r = await drill(['incident', 'list', '--run-id', runId]);
      return (JSON.parse(r.stdout) as Array<Record<string, unknown>>).find((x) => x.workflowId === workflowId && x.status === 'COMPLETED');
    },
    { timeoutMs: 20000, intervalMs: 500 },
  );
  expect(done).toMatchObject({ state: 'resolved', incidentClass: 'data_quality' });
});
