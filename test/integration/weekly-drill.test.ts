/**
 * weeklyDrillWorkflow end to end on the Temporal CLI dev server against real sandbox processes
 * (fast intervals): a passing drill measured against the sandbox's ground truth, each failure the
 * drill must catch, a live target refused, and a cancel that still rolls the target back up.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { PagingConfig } from '../../src/config';
import type { WeeklyDrillInput, WeeklyDrillResult } from '../../src/domain/drill';
import { drillReportSchema, type DrillReport } from '../../src/domain/drill-report';
import type { GroundTruthEvent, TargetConfig } from '../../src/domain/target';
import { pickTarget } from '../../src/io/targets';
import { workflowIds } from '../../src/shared';
import { drillSignOffStatusQuery, weeklyDrillStatusQuery } from '../../src/workflows/definitions';
import { signOffRecordSchema } from '../../src/domain/drill-signoff';
import { runDrillCli } from '../helpers/process';
import { startTestSandbox, waitFor, type TestSandbox } from '../helpers/sandbox';
import { devServerEnv, uniqueId } from '../helpers/temporal';
import { eventually, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';
import { startProductWorker, type ProductWorker } from '../helpers/product-worker';

let env: TestWorkflowEnvironment;
let receiver: WebhookReceiver;
let pw: ProductWorker;
let taskQueue: string;
let resultsDir: string;
const targets: Record<string, TargetConfig> = {};
const sandboxes: TestSandbox[] = [];

beforeAll(async () => {
  [env, receiver] = await Promise.all([devServerEnv(), startWebhookReceiver()]);
  resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-int-'));
  const paging: PagingConfig = { enabled: true, webhookUrl: receiver.url, minSeverity: 'critical', format: 'json', timeoutMs: 2000 };
  pw = await startProductWorker(env, {
    config: { paging, runsDir: path.join(resultsDir, 'runs'), resultsDir, stateDir: path.join(resultsDir, 'state') },
    targets: async (name) => pickTarget({ targets }, name),
  });
  taskQueue = pw.taskQueue;
});

afterAll(async () => {
  await pw?.stop();
  await Promise.all(sandboxes.map((s) => s.cleanup()));
  await receiver?.close();
  await env?.teardown();
  if (!process.env.KEEP_SANDBOX_DIRS) fs.rmSync(resultsDir, { recursive: true, force: true });
});

async function sandbox(config: Parameters<typeof startTestSandbox>[0] = {}): Promise<TestSandbox> {
  const sbx = await startTestSandbox({ targetName: uniqueId('sbx'), ...config });
  sandboxes.push(sbx);
  Object.assign(targets, sbx.targets.targets);
  return sbx;
}

/** Fast bounds for the fast sandbox: the whole drill takes a few seconds. */
const FAST: Partial<WeeklyDrillInput> = {
  scenarios: ['stale_data'],
  detectionSeconds: 5,
  recoverySeconds: 5,
  verifySeconds: 4,
  restartSeconds: 20,
  pollMs: 100,
  maxDrillSeconds: 120,
};

function start(sbx: TestSandbox, input: Partial<WeeklyDrillInput> = {}) {
  const drillId = uniqueId('d');
  return env.client.workflow.start('weeklyDrillWorkflow', {
    taskQueue,
    workflowId: workflowIds.drill(sbx.targetName, drillId),
    args: [{ target: sbx.targetName, drillId, ...FAST, ...input } satisfies WeeklyDrillInput],
  });
}

function readReport(r: WeeklyDrillResult): DrillReport {
  expect(r.reportPath).toBeDefined();
  const report = drillReportSchema.parse(JSON.parse(fs.readFileSync(r.reportPath!, 'utf8')));
  expect(fs.existsSync(path.join(path.dirname(r.reportPath!), 'report.md'))).toBe(true);
  expect(fs.readFileSync(path.join(path.dirname(r.reportPath!), 'report.html'), 'utf8')).toMatch(/<svg[\s\S]*RTO[\s\S]*RPO/);
  return report;
}

/**
 * RTO and RPO as the sandbox's ground truth has them, for the drill's one stop and restart (the
 * definitions of docs/target-contract.md §7.1): RTO = stop_requested → first clean reconciliation of
 * the next boot; RPO = the save that boot restored → stop_requested.
 */
function truth(events: GroundTruthEvent[]): { rto: number; rpo: number } {
  const stopReq = events.filter((e) => e.event === 'stop_requested').at(-1)!;
  const serving = events.filter((e) => e.event === 'serving').at(-1)!;
  const clean = events.find((e) => e.event === 'first_clean_reconciliation' && e.boot_id === serving.boot_id)!;
  const restored = events.find((e) => e.event === 'state_restored' && e.boot_id === serving.boot_id)!;
  const save = events.find((e) => e.event === 'state_saved' && e.seq === restored.seq)!;
  return {
    rto: (Date.parse(clean.ts) - Date.parse(stopReq.ts)) / 1000,
    rpo: Math.max(0, (Date.parse(stopReq.ts) - Date.parse(save.ts)) / 1000),
  };
}

async function recordHistory(handle: { fetchHistory(): Promise<Parameters<typeof historyToJSON>[0]> }, name: string): Promise<void> {
  const only = process.env.RECORD_HISTORIES;
  if (!only) return;
  // RECORD_HISTORIES=1 writes them all; a name prefix writes only those (older ones keep their command sequence).
  if (only !== '1' && !name.startsWith(only)) return;
  fs.writeFileSync(path.resolve(__dirname, `../replay/histories/${name}.json`), historyToJSON(await handle.fetchHistory()));
}

async function expectTargetUp(sbx: TestSandbox): Promise<void> {
  const stats = await waitFor('target up and healthy', async () => {
    const r = await fetch(`${sbx.info.gateway_url}/stats`).catch(() => undefined);
    return r?.ok ? ((await r.json()) as { faults: unknown[]; entries_halted: boolean }) : undefined;
  });
  expect(stats.faults).toEqual([]);
  expect(stats.entries_halted).toBe(false);
}

test('passing drill: chaos detected, stop/restart verified, RTO and RPO within 1 s of the ground truth, evidence written', async () => {
  const sbx = await sandbox();
  const handle = await start(sbx, { scenarios: ['stale_data', 'order_drift'] });
  const result: WeeklyDrillResult = await handle.result();
  expect(result.failures).toEqual([]);
  expect(result.result).toBe('pass');
  const report = readReport(result);
  expect(fs.readFileSync(path.join(path.dirname(result.reportPath!), 'report.html'), 'utf8')).toMatch(/outage detected[\s\S]*first clean reconciliation/);
  expect(report).toMatchObject({
    schemaVersion: 1,
    target: sbx.targetName,
    mode: 'paper',
    result: 'pass',
    rto: { ok: true, targetSeconds: 900 },
    rpo: { ok: true, targetSeconds: 60 },
  });
  expect(report.chaos.map((c) => [c.scenario, c.detected, c.recovered])).toEqual(
    expect.arrayContaining([
      ['stale_data', true, true],
      ['order_drift', true, true],
    ]),
  );
  expect(report.checks.every((c) => c.ok)).toBe(true);
  for (const k of ['detectedAt', 'stopRequestedAt', 'stoppedAt', 'restartCompleteAt', 'firstCleanReconciliationAt', 'lastStateSaveAt'] as const)
    expect(report.timeline[k]).toBeDefined();

  const t = truth(sbx.groundTruth());
  expect(Math.abs(report.rto.seconds! - t.rto)).toBeLessThan(1);
  expect(Math.abs(report.rpo.seconds! - t.rpo)).toBeLessThan(1);
  // The stop happened exactly once for this drill, and the chaos report is where the runbook says.
  expect(sbx.groundTruth().filter((e) => e.event === 'stop_requested')).toHaveLength(1);
  const chaos = JSON.parse(fs.readFileSync(path.join(resultsDir, 'chaos_drill_latest.json'), 'utf8')) as { passed: boolean; scenarios: unknown[] };
  expect(chaos.passed).toBe(true);
  expect(fs.readFileSync(path.join(resultsDir, 'audit', 'drill-runner.jsonl'), 'utf8')).toContain(`"drill_id":"${report.drillId}"`);

  const status = await handle.query(weeklyDrillStatusQuery);
  expect(status.step).toBe('done');
  expect(status.steps.map((s) => s.name)).toEqual(['preflight', 'chaos', 'stop', 'restart', 'record', 'rollback', 'evidence']);
  await expectTargetUp(sbx);
  await eventually(async () => {
    const found: string[] = [];
    for await (const wf of env.client.workflow.list({ query: `DrillTarget = '${sbx.targetName}' AND DrillResult = 'pass'` })) found.push(wf.workflowId);
    return found.length === 1 ? found : undefined;
  }, 'visibility to show the passing drill');
  await recordHistory(handle, 'weekly-drill-pass');
  // The same drill since patched('drill-fast-orchestration') (local activities); weekly-drill-pass.json stays the older command sequence.
  await recordHistory(handle, 'weekly-drill-fast-pass');
  // Since patched('drill-chaos-one-call'): each scenario's inject, detection wait and clear are one activity.
  await recordHistory(handle, 'weekly-drill-one-call-pass');
});

test('the test record an auditor reads: scope, objectives, preconditions, findings and procedure version in the report; sign-off through the CLI; evidence export verified', async () => {
  const sbx = await sandbox();
  await waitFor('a first state save', () => sbx.groundTruth().some((e) => e.event === 'state_saved'));
  await sbx.inject('state_saves_stop');
  await new Promise((r) => setTimeout(r, 2500));
  const handle = await start(sbx, { rpoSeconds: 1, audit: { owner: 'storage-team', approver: 'alice', backupApprover: 'bob' } });
  const r: WeeklyDrillResult = await handle.result();
  expect(r.result).toBe('fail');
  const report = readReport(r);
  const rec = report.record!;
  expect(rec.scope).toMatchObject({ target: sbx.targetName, mode: 'paper', scenarios: ['stale_data'] });
  expect(rec.objectives.find((o) => o.id === 'rpo')).toMatchObject({ target: '≤ 1 s', met: false });
  expect(rec.objectives.find((o) => o.id === 'rto')).toMatchObject({ met: true });
  expect(rec.preconditions.find((p) => p.name === 'target healthy')).toMatchObject({ ok: true });
  expect(rec.deficiencies.length).toBe(r.failures.length);
  expect(rec.deficiencies[0]).toMatchObject({ id: `${report.drillId}#1`, owner: 'storage-team', retest: `the next drill of ${sbx.targetName}` });
  // The worker names the procedure that ran: this package, and the checkout's commit when it has one.
  expect(rec.procedure).toMatchObject({ runbook: 'RUNBOOK.md: Disaster Recovery Drill (Weekly)', packageVersion: '0.1.0', workflowBundleSha256: null });
  expect(rec.signOff).toMatchObject({ approver: 'alice', backupApprover: 'bob', workflowId: workflowIds.drillSignOff(sbx.targetName, report.drillId) });
  expect(fs.readFileSync(path.join(path.dirname(r.reportPath!), 'report.md'), 'utf8')).toMatch(/## Findings[\s\S]*storage-team/);

  // The drill ended without waiting for anyone: its sign-off runs on its own.
  const signOff = env.client.workflow.getHandle(rec.signOff!.workflowId);
  expect(await signOff.query(drillSignOffStatusQuery)).toMatchObject({ state: 'awaiting', approver: 'alice', drillResult: 'fail' });
  const cliEnv = { TEMPORAL_ADDRESS: env.address, DRILL_RESULTS_DIR: resultsDir };
  const refused = await runDrillCli(
    ['sign-off', '--target', sbx.targetName, '--drill-id', report.drillId, '--by', 'alice', '--role', 'DR test owner', '--decision', 'perhaps'],
    cliEnv,
  );
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/--decision: expected one of accepted, accepted-with-findings, rejected/);
  const signed = await runDrillCli(
    [
      'sign-off',
      '--target',
      sbx.targetName,
      '--drill-id',
      report.drillId,
      '--by',
      'alice',
      '--role',
      'DR test owner',
      '--decision',
      'accepted-with-findings',
      '--notes',
      'RPO finding to storage',
      '--json',
    ],
    cliEnv,
  );
  expect(signed).toMatchObject({ code: 0 });
  const record = signOffRecordSchema.parse(JSON.parse(signed.stdout));
  expect(record).toMatchObject({ state: 'signed', late: false, signOff: { by: 'alice', decision: 'accepted-with-findings' } });
  expect(record.reportSha256).toBe(crypto.createHash('sha256').update(fs.readFileSync(r.reportPath!)).digest('hex'));
  const again = await runDrillCli(
    ['sign-off', '--target', sbx.targetName, '--drill-id', report.drillId, '--by', 'eve', '--role', 'x', '--decision', 'rejected'],
    cliEnv,
  );
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/sign-off refused/);

  const exported = await runDrillCli(['evidence', 'export', '--target', sbx.targetName, '--since', report.startedAt.slice(0, 10), '--json'], cliEnv);
  expect(exported).toMatchObject({ code: 0 });
  const bundle = JSON.parse(exported.stdout) as {
    dir: string;
    manifestSha256: string;
    drills: Array<{ drillId: string; signOff: string }>;
    audit: { ok: boolean };
  };
  expect(bundle.drills).toEqual([expect.objectContaining({ drillId: report.drillId, signOff: 'accepted-with-findings by alice (DR test owner)' })]);
  expect(bundle.audit.ok).toBe(true);
  for (const f of ['report.json', 'report.md', 'report.html', 'signoff.json'])
    expect(fs.existsSync(path.join(bundle.dir, 'drills', report.drillId, f))).toBe(true);
  const findings = JSON.parse(fs.readFileSync(path.join(bundle.dir, 'findings.json'), 'utf8')) as Array<{ state: string; owner: string }>;
  expect(findings.length).toBe(rec.deficiencies.length);
  expect(findings.every((f) => f.state === 'open' && f.owner === 'storage-team')).toBe(true);
  const verified = await runDrillCli(['verify-bundle', bundle.dir, '--expect-hash', bundle.manifestSha256], cliEnv);
  expect(verified.code).toBe(0);
  await recordHistory(handle, 'weekly-drill-signoff');
  await expectTargetUp(sbx);
});

test('RTO breach: a slow restart against a small RTO target fails the drill and pages', async () => {
  const sbx = await sandbox();
  await sbx.inject('slow_restart', 2);
  receiver.requests.length = 0;
  const r: WeeklyDrillResult = await (await start(sbx, { rtoSeconds: 1.5 })).result();
  expect(r.result).toBe('fail');
  expect(r.rto.ok).toBe(false);
  expect(r.rto.seconds!).toBeGreaterThan(2);
  expect(r.failures.join('\n')).toMatch(/RTO .* exceeds the target 1.5 s/);
  expect(Math.abs(r.rto.seconds! - truth(sbx.groundTruth()).rto)).toBeLessThan(1);
  const [page] = await receiver.waitForDelivered(1, 20000);
  expect(JSON.stringify(page!.body)).toMatch(/DR drill .* FAIL/);
  await expectTargetUp(sbx);
});

test('RPO breach: state saves stopped before the drill', async () => {
  const sbx = await sandbox();
  await waitFor('a first state save', () => sbx.groundTruth().some((e) => e.event === 'state_saved'));
  await sbx.inject('state_saves_stop');
  // The last save must be older than the RPO target when the stop comes, however fast the drill
  // reaches it (its waits are long polls: the chaos step no longer takes seconds of poll sleeps).
  await new Promise((r) => setTimeout(r, 2500));
  const handle = await start(sbx, { rpoSeconds: 1 });
  const r: WeeklyDrillResult = await handle.result();
  expect(r.result).toBe('fail');
  expect(r.rpo.ok).toBe(false);
  expect(r.rpo.seconds!).toBeGreaterThan(1);
  expect(Math.abs(r.rpo.seconds! - truth(sbx.groundTruth()).rpo)).toBeLessThan(1);
  await expectTargetUp(sbx);
  await recordHistory(handle, 'weekly-drill-rpo-breach');
});

test.each([
  ['wrong_digest_on_restore', /runtime state restored: restored digest .* differs/],
  ['reconciliation_not_restarting', /reconciliation loop restarted: no reconciliation events/],
  ['slo_monitor_silent_after_restart', /SLO monitor emitting: no SLO snapshot/],
] as const)('restart check fails: %s', async (fault, message) => {
  const sbx = await sandbox();
  await sbx.inject(fault);
  const r: WeeklyDrillResult = await (await start(sbx, { scenarios: [], verifySeconds: 2 })).result();
  expect(r.result).toBe('fail');
  expect(r.failures.join('\n')).toMatch(message);
  await expectTargetUp(sbx);
});

test('a chaos fault the target does not detect fails the chaos step, naming the scenario; the target is never stopped', async () => {
  const sbx = await sandbox();
  const handle = await start(sbx, { scenarios: ['state_saves_stop'], detectionSeconds: 1.5 });
  const r: WeeklyDrillResult = await handle.result();
  expect(r.result).toBe('fail');
  expect(r.failures).toContain('chaos scenario state_saves_stop not detected within 1.5 s');
  const report = readReport(r);
  expect(report.steps.find((s) => s.name === 'chaos')).toMatchObject({ status: 'failed', detail: expect.stringMatching(/state_saves_stop/) });
  expect(sbx.groundTruth().filter((e) => e.event === 'stop_requested')).toHaveLength(0);
  await expectTargetUp(sbx);
  await recordHistory(handle, 'weekly-drill-undetected');
});

test('a live target is refused (nothing stopped) unless allowLive', async () => {
  const sbx = await sandbox({ config: { mode: 'live' } });
  const r: WeeklyDrillResult = await (await start(sbx)).result();
  expect(r.result).toBe('error');
  expect(r.failures.join('\n')).toMatch(/live mode: refused/);
  expect(sbx.groundTruth().filter((e) => e.event === 'stop_requested')).toHaveLength(0);
  expect(sbx.groundTruth().filter((e) => e.event === 'fault_injected')).toHaveLength(0);
});

test('cancel mid-drill: the rollback runs and the target is up, faults cleared, entries resumed', async () => {
  const sbx = await sandbox();
  await sbx.inject('slow_restart', 3);
  const handle = await start(sbx);
  await waitFor('the drill to reach the restart step', async () => (await handle.query(weeklyDrillStatusQuery)).step === 'restart', { timeoutMs: 20000 });
  await handle.cancel();
  await expect(handle.result()).rejects.toThrow();
  const report = drillReportSchema.parse(
    JSON.parse(fs.readFileSync(path.join(resultsDir, 'drills', (await handle.query(weeklyDrillStatusQuery)).drillId, 'report.json'), 'utf8')),
  );
  expect(report.result).toBe('aborted');
  expect(report.abortReason).toMatch(/cancelled during step restart/);
  expect(report.rollback.join('\n')).toMatch(/resume entries: resumed/);
  await expectTargetUp(sbx);
  await recordHistory(handle, 'weekly-drill-fast-cancelled');
  await recordHistory(handle, 'weekly-drill-one-call-cancelled');
});
