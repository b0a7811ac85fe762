/**
 * Issue 9 (chaos through the contract; a drill is a maintenance window), end to end on the dev server
 * with real targets: a contract-only target without faults (chaos skipped, never passed), the same
 * target with shell-declared faults (injected, detected from its artifacts, its incidents attributed
 * to the drill and closed by the rollback), and five sandbox drills in a row under a running alert
 * watcher: nothing paged, no incident workflow, the run's promotion gate as it was; and a worker
 * killed (SIGKILL) with an inject's reply in flight: the retry returns the first injection time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { createPromotionActivities } from '../../src/activities/promotion';
import type { PagingConfig } from '../../src/config';
import type { WeeklyDrillInput, WeeklyDrillResult } from '../../src/domain/drill';
import { drillReportSchema, type DrillReport } from '../../src/domain/drill-report';
import { evaluatePromotion, resolvePromotionThresholds, type PromotionCriterion } from '../../src/domain/promotion';
import type { AlertWatchInput } from '../../src/domain/watch';
import type { TargetConfig } from '../../src/domain/target';
import { parseTargets } from '../../src/io/targets';
import { pickTarget } from '../../src/io/targets';
import { workflowIds } from '../../src/shared';
import { alertWatchStatusQuery, stopWatchSignal } from '../../src/workflows/definitions';
import { startContractTarget, type ContractTarget } from '../helpers/contract-target';
import { recordHistory } from '../helpers/process';
import { startTestSandbox, waitFor, type TestSandbox } from '../helpers/sandbox';
import { devServerEnv, uniqueId, workflowBundle } from '../helpers/temporal';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';
import { startWorkerProcess, writeWorkflowBundle, type WorkerProcess } from '../helpers/worker-process';

let env: TestWorkflowEnvironment;
let receiver: WebhookReceiver;
let worker: Worker;
let workerDone: Promise<void>;
let taskQueue: string;
let dir: string;
let resultsDir: string;
const targets: Record<string, TargetConfig> = {};
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  [env, receiver] = await Promise.all([devServerEnv(), startWebhookReceiver()]);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-chaos-int-'));
  resultsDir = path.join(dir, 'results');
  taskQueue = uniqueId('tq');
  const paging: PagingConfig = { enabled: true, webhookUrl: receiver.url, minSeverity: 'warning', format: 'json', timeoutMs: 2000 };
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({
      config: { paging, runsDir: path.join(resultsDir, 'runs'), resultsDir, stateDir: path.join(dir, 'state') },
      targets: async (name) => pickTarget({ targets }, name),
    }),
  });
  workerDone = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await workerDone;
  for (const c of closers) await c();
  await receiver?.close();
  await env?.teardown();
  if (dir && !process.env.KEEP_SANDBOX_DIRS) fs.rmSync(dir, { recursive: true, force: true });
});

async function contractTarget(opts: Parameters<typeof startContractTarget>[3] = {}): Promise<ContractTarget> {
  const t = await startContractTarget(dir, uniqueId('ct'), 'run-1', opts);
  closers.push(() => t.close());
  Object.assign(targets, parseTargets({ targets: { [t.name]: t.entry } }, dir).targets);
  return t;
}

const FAST: Partial<WeeklyDrillInput> = { detectionSeconds: 5, recoverySeconds: 5, verifySeconds: 3, restartSeconds: 10, pollMs: 100, maxDrillSeconds: 120 };

async function drill(target: string, input: Partial<WeeklyDrillInput> = {}, history?: string): Promise<{ result: WeeklyDrillResult; report: DrillReport }> {
  const drillId = uniqueId('d');
  const handle = await env.client.workflow.start('weeklyDrillWorkflow', {
    taskQueue,
    workflowId: workflowIds.drill(target, drillId),
    args: [{ target, drillId, ...FAST, ...input } satisfies WeeklyDrillInput],
  });
  const result: WeeklyDrillResult = await handle.result();
  expect(result.reportPath).toBeDefined();
  if (history) await recordHistory(handle, history);
  return { result, report: drillReportSchema.parse(JSON.parse(fs.readFileSync(result.reportPath!, 'utf8'))) };
}

const jsonl = <T>(file: string): T[] =>
  fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as T)
    : [];
const chaosLatest = () =>
  JSON.parse(fs.readFileSync(path.join(resultsDir, 'chaos_drill_latest.json'), 'utf8')) as {
    status: string;
    passed: boolean;
    scenarios: unknown[];
    drillId: string;
    skipped: Array<{ scenario: string }>;
  };

function startWatcher(target: string, runId: string) {
  return env.client.workflow.start('alertWatchWorkflow', {
    taskQueue,
    workflowId: workflowIds.alertWatch(runId),
    args: [{ runId, target, intervalSeconds: 1, incident: { cycleSeconds: 1, maxWaitSeconds: 600, ackSlaSeconds: 900 } } satisfies AlertWatchInput],
  });
}

async function incidentWorkflows(runId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of env.client.workflow.list({ query: `DrillRunId = '${runId}' AND WorkflowType = 'incidentWorkflow'` })) ids.push(wf.workflowId);
  return ids;
}

test('a target without faults: the chaos step is skipped (report and chaos_drill_latest.json), not an error and never passed', async () => {
  const t = await contractTarget();
  const { result, report } = await drill(t.name, { scenarios: ['stale_data', 'order_drift'] }, 'weekly-drill-chaos-skipped');
  expect(result.result).not.toBe('error');
  expect(result.failures.filter((f) => /chaos|fault/i.test(f))).toEqual([]);
  expect(report.steps.find((s) => s.name === 'chaos')).toMatchObject({
    status: 'skipped',
    detail: expect.stringMatching(/skipped .*declares no fault injection/),
  });
  expect(report.chaosStatus).toBe('skipped');
  expect(report.chaosSkipped.map((x) => x.scenario).sort()).toEqual(['order_drift', 'stale_data']);
  expect(report.chaos).toEqual([]);
  expect(chaosLatest()).toMatchObject({ drillId: result.drillId, status: 'skipped', passed: false, scenarios: [] });
  expect(report.rollback.join('; ')).not.toMatch(/clear faults/);
  // The drill went on to the stop: the chaos step did not end it. (This target's process commands do
  // nothing, so its stop never sees the process gone and fails with that cause — never with chaos.)
  expect(report.steps.map((s) => s.name)).toEqual(expect.arrayContaining(['chaos', 'stop', 'rollback', 'evidence']));
  expect(report.steps.find((s) => s.name === 'chaos')!.status).toBe('skipped');
});

test("shell-declared faults: injected by the commands, detected from the target's artifacts, its incidents attributed to the drill and closed by the rollback", async () => {
  const t = await contractTarget({ shellFaults: ['stale_data', 'order_drift'] });
  const { result, report } = await drill(t.name, { scenarios: ['stale_data', 'order_drift', 'broker_disconnect'] }, 'weekly-drill-chaos-contract');
  const chaos = report.steps.find((s) => s.name === 'chaos')!;
  expect(chaos.status).toBe('ok');
  expect(chaos.detail).toMatch(/skipped broker_disconnect/);
  const faultLog = jsonl<{ action: string; fault: string; key: string; injected_at?: string }>(path.join(t.root, 'fault-log.jsonl'));
  const injects = faultLog.filter((e) => e.action === 'inject');
  expect(injects.map((e) => e.fault).sort()).toEqual(['order_drift', 'stale_data']);
  for (const c of report.chaos) {
    const inj = injects.find((e) => e.fault === c.scenario)!;
    expect(inj.key).toBe(`chaos.${result.drillId}.inject.${c.scenario}`);
    expect(c).toMatchObject({ detected: true, injectedAt: inj.injected_at, recovered: true });
  }
  expect(chaosLatest()).toMatchObject({ drillId: result.drillId, status: 'passed', passed: true });
  expect(faultLog.at(-1)).toMatchObject({ action: 'clear', fault: 'all' });

  // The maintenance window, the drill's incidents, and their incident_resolved lines.
  const maint = jsonl<{ event_type: string; window_id: string; attributed_incidents?: string[] }>(path.join(t.runDir, 'maintenance_events.jsonl'));
  expect(maint.map((m) => [m.event_type, m.window_id])).toEqual([
    ['maintenance_window_open', result.drillId],
    ['maintenance_window_close', result.drillId],
  ]);
  const events = jsonl<{ event_type: string; incident_id: string; drill_id?: string; ts: string }>(path.join(t.runDir, 'incident_events.jsonl'));
  const opened = events
    .filter((e) => e.event_type === 'incident_open')
    .map((e) => e.incident_id)
    .sort();
  expect(opened).toHaveLength(2);
  expect(report.incidents?.attributed.map((a) => a.incidentId).sort()).toEqual(opened);
  expect(report.incidents?.attributed.map((a) => a.cause).sort()).toEqual(['chaos:order_drift', 'chaos:stale_data']);
  expect(report.incidents?.outlived).toEqual([]);
  expect(maint[1]!.attributed_incidents!.sort()).toEqual(opened);
  const resolved = events.filter((e) => e.event_type === 'incident_resolved');
  expect(resolved.map((e) => e.incident_id).sort()).toEqual(opened);
  expect(resolved.every((e) => e.drill_id === result.drillId)).toBe(true);
  const md = fs.readFileSync(path.join(path.dirname(result.reportPath!), 'report.md'), 'utf8');
  expect(md).toMatch(/## Incidents caused by the drill/);
  for (const id of opened) expect(md).toContain(`| ${id} | chaos:`);
  expect(md).toMatch(/broker_disconnect: the target's shell fault declaration has no inject\/clear for it/);
});

test("five sandbox drills in a row under a running watcher: their incidents are the drills' (none paged, no incident workflow), the promotion gate as it was", async () => {
  const sbx: TestSandbox = await startTestSandbox({ targetName: uniqueId('sbx'), config: { runId: uniqueId('paper') } });
  closers.push(() => sbx.cleanup());
  Object.assign(targets, sbx.targets.targets);
  const runId = sbx.config.runId;
  const runsDir = sbx.config.artifactsRoot;
  const promotion = createPromotionActivities({ runsDir, resultsDir: path.join(dir, 'no-drills') });
  let lastNotes: string[] = [];
  // The run's criteria (SLOs and incidents); the drill criteria are about drills, not the run.
  const gate = async (): Promise<Array<Pick<PromotionCriterion, 'id' | 'value' | 'verdict'>>> => {
    const e = await promotion.gatherPromotionEvidence({ runId });
    const v = evaluatePromotion(e, { experimentId: 'x', runId, strict: false, thresholds: resolvePromotionThresholds(), now: new Date().toISOString() });
    lastNotes = v.notes;
    return v.criteria.filter((c) => !c.id.startsWith('drill_')).map((c) => ({ id: c.id, value: c.value, verdict: c.verdict }));
  };
  await waitFor('the sandbox reconciling', () => jsonl(path.join(sbx.runDir, 'order_reconciliation_events.jsonl')).length > 3);
  const before = await gate();
  expect(before.map((c) => c.id)).toEqual([
    'reconciliation_pass_rate',
    'operational_error_rate',
    'consecutive_mismatch_runs',
    'data_quality_errors',
    'stale_warnings',
    'ack_sla',
    'open_incidents',
  ]);
  expect(before.every((c) => c.verdict === 'pass')).toBe(true);

  const watcher = await startWatcher(sbx.targetName, runId);
  await waitFor('the watcher cycling', async () => (await watcher.query(alertWatchStatusQuery)).cycle >= 1);
  const pagesBefore = receiver.requests.length;
  const attributed: string[] = [];
  for (let n = 0; n < 5; n++) {
    const { result, report } = await drill(sbx.targetName, { scenarios: ['stale_data'], seed: n });
    expect(result.failures).toEqual([]);
    expect(result.result).toBe('pass');
    expect(report.incidents?.outlived).toEqual([]);
    expect(report.incidents!.attributed.length).toBeGreaterThanOrEqual(1);
    attributed.push(...report.incidents!.attributed.map((a) => a.incidentId));
  }
  // Every incident the target opened during the drills is one of theirs, and resolved by them.
  const events = jsonl<{ event_type: string; incident_id: string; drill_id?: string }>(path.join(sbx.runDir, 'incident_events.jsonl'));
  const opened = events.filter((e) => e.event_type === 'incident_open').map((e) => e.incident_id);
  expect(opened.sort()).toEqual([...attributed].sort());
  expect(
    events
      .filter((e) => e.event_type === 'incident_resolved')
      .map((e) => e.incident_id)
      .sort(),
  ).toEqual([...attributed].sort());

  expect(await gate()).toEqual(before);
  expect(lastNotes.join('\n')).toMatch(/cycle line\(s\) inside 5 DR drill maintenance window\(s\) not counted/);
  // The watcher saw them in the windows and started nothing; nothing was paged. An incident the
  // watcher first read already resolved (open and resolved lines in one of its cycles: the drills'
  // rollbacks close them fast) is skipped as resolved and never attributed; any other ends attributed
  // and resolved. Settled: every window closed a few cycles ago, and none of them open.
  const after = (await watcher.query(alertWatchStatusQuery)).cycle;
  const st = await waitFor(
    'the watcher settled every window',
    async () => {
      const s = await watcher.query(alertWatchStatusQuery);
      if (s.cycle < after + 3) return undefined;
      return attributed.every((id) => s.attributed?.[id] === undefined || s.attributed[id]!.state === 'resolved') ? s : undefined;
    },
    { timeoutMs: 60000 },
  );
  for (const id of attributed) expect(st.incidents[id]).toBeUndefined();
  expect(st.incidents).toEqual({});
  expect(await incidentWorkflows(runId)).toEqual([]);
  expect(receiver.requests.length).toBe(pagesBefore);
  await watcher.signal(stopWatchSignal, { by: 'jest' });
  await watcher.result();
});

test('worker kill -9 the moment the target records the inject (mid-call, before its detection and clear): the retried call injects nothing new, detection is measured from the first inject, one clear', async () => {
  const sbx: TestSandbox = await startTestSandbox({ targetName: uniqueId('sbx'), config: { runId: uniqueId('paper') } });
  closers.push(() => sbx.cleanup());
  const wdir = path.join(dir, uniqueId('crash'));
  fs.mkdirSync(wdir, { recursive: true });
  const targetsFile = path.join(wdir, 'targets.json');
  fs.writeFileSync(targetsFile, JSON.stringify(sbx.targets));
  const queue = uniqueId('tq-crash');
  const opts = {
    address: env.address,
    taskQueue: queue,
    targetsFile,
    stateDir: path.join(wdir, 'state'),
    runsDir: sbx.config.artifactsRoot,
    bundle: await writeWorkflowBundle(path.join(wdir, 'workflows.js')),
    logFile: path.join(wdir, 'worker.log'),
  };
  let w: WorkerProcess = await startWorkerProcess(opts);
  closers.push(() => w.kill());
  const drillId = uniqueId('d');
  const handle = await env.client.workflow.start('weeklyDrillWorkflow', {
    taskQueue: queue,
    workflowId: workflowIds.drill(sbx.targetName, drillId),
    args: [{ target: sbx.targetName, drillId, ...FAST, scenarios: ['stale_data'], detectionSeconds: 10 } satisfies WeeklyDrillInput],
  });
  // Since drill-chaos-one-call the inject, the detection wait and the clear are one activity: the
  // worker dies inside it, as soon as the target's ground truth shows the fault in.
  await waitFor('the target to record the inject', () => sbx.groundTruth().some((e) => e.event === 'fault_injected' && e.fault === 'stale_data'), {
    timeoutMs: 30000,
    intervalMs: 5,
  });
  await w.kill();
  const crashedAt = Date.now();
  expect(sbx.groundTruth().filter((e) => e.event === 'fault_cleared' && e.fault === 'stale_data')).toHaveLength(0);
  w = await startWorkerProcess(opts);
  const result: WeeklyDrillResult = await handle.result();
  const report = drillReportSchema.parse(JSON.parse(fs.readFileSync(result.reportPath!, 'utf8')));
  const truth = sbx.groundTruth().filter((e) => e.fault === 'stale_data');
  const injected = truth.filter((e) => e.event === 'fault_injected');
  // One injection, before the crash; the retry changed nothing at the target.
  expect(injected).toHaveLength(1);
  expect(Date.parse(injected[0]!.ts)).toBeLessThanOrEqual(crashedAt);
  const c = report.chaos[0]!;
  expect(Math.abs(Date.parse(c.injectedAt) - Date.parse(injected[0]!.ts))).toBeLessThan(1000);
  expect(c.detected).toBe(true);
  // Detection from the target's own breach line, measured from the real injection (not the retry).
  const breach = jsonl<{ ts: string; event_type: string; slo?: string }>(path.join(sbx.runDir, 'ops_slo_events.jsonl')).find(
    (e) => e.event_type === 'slo_breach' && e.slo === 'data_stale_warnings' && e.ts >= injected[0]!.ts,
  )!;
  expect(Math.abs(c.detectionSeconds! - (Date.parse(breach.ts) - Date.parse(injected[0]!.ts)) / 1000)).toBeLessThan(1);
  expect(c.detectionSeconds!).toBeLessThan(10);
  expect(result.failures).toEqual([]);
  expect(result.result).toBe('pass');
  const cleared = truth.filter((e) => e.event === 'fault_cleared');
  expect(cleared).toHaveLength(1);
  // The call heartbeats: the dead worker's call was retried within seconds (heartbeat timeout 10 s),
  // so the fault was not left active for long (ground truth: crash → clear).
  expect(Date.parse(cleared[0]!.ts) - crashedAt).toBeLessThan(45_000);
  // The retried call is one activity with two attempts, not a second inject.
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'drillInjectDetectClear');
  expect(scheduled).toHaveLength(1);
  const started = events.find(
    (e) => e.activityTaskStartedEventAttributes && Number(e.activityTaskStartedEventAttributes.scheduledEventId) === Number(scheduled[0]!.eventId),
  );
  expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(2);
});
