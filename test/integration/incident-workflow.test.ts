/**
 * incidentWorkflow end to end on the dev server against a real sandbox process with injected faults:
 * each class halt → recovery → resume, a dirty cycle resetting the clean count, entries released
 * behind the workflow's back and halted again by the target's halt registry, the broker restart path,
 * a bounded wait that escalates to a loopback paging receiver, and an override without a reason that
 * never enters history.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { PagingConfig } from '../../src/config';
import type { IncidentInput, IncidentResult } from '../../src/domain/incident';
import { incidentEventSchema } from '../../src/domain/incident-events';
import { orderReconciliationEventSchema } from '../../src/domain/artifacts';

import { workflowIds } from '../../src/shared';
import {
  forceResumeUpdate,
  haltRegistryStatusQuery,
  incidentAckStatusQuery,
  incidentStatusQuery,
  recoveryStatusQuery,
  triageQuery,
} from '../../src/workflows/definitions';
import { startTestSandbox, waitFor, type TestSandbox } from '../helpers/sandbox';
import { devServerEnv, uniqueId } from '../helpers/temporal';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';
import { startProductWorker, type ProductWorker } from '../helpers/product-worker';

let env: TestWorkflowEnvironment;
let receiver: WebhookReceiver;
let sbx: TestSandbox;
let pw: ProductWorker;
let taskQueue: string;
let stateDir: string;

beforeAll(async () => {
  [env, receiver, sbx] = await Promise.all([devServerEnv(), startWebhookReceiver(), startTestSandbox({ config: { runId: 'paper-incidents' } })]);
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'incident-int-'));
  const paging: PagingConfig = { enabled: true, webhookUrl: receiver.url, minSeverity: 'critical', format: 'json', timeoutMs: 2000 };
  pw = await startProductWorker(env, { config: { paging, runsDir: sbx.config.artifactsRoot, stateDir }, targets: sbx.deps.targets });
  taskQueue = pw.taskQueue;
});

afterAll(async () => {
  await pw?.stop();
  await receiver?.close();
  await sbx?.cleanup();
  await env?.teardown();
  if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
});

beforeEach(async () => {
  if (
    !(await fetch(`${gateway()}/health`).then(
      (r) => r.ok,
      () => false,
    ))
  )
    await sbx.start();
  await sbx.clear('all');
  await killSwitch('resume');
});

const gateway = () => sbx.targets.targets[sbx.targetName]!.gatewayUrl;

async function stats(): Promise<{ entries_halted: boolean; halt_reason: string | null }> {
  return (await fetch(`${gateway()}/stats`).then((r) => r.json())) as { entries_halted: boolean; halt_reason: string | null };
}

async function killSwitch(action: 'halt' | 'resume', reason = 'test'): Promise<void> {
  const r = await fetch(`${gateway()}/kill-switch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(action === 'halt' ? { action, reason } : { action }),
  });
  expect(r.status).toBe(200);
}

function start(incidentId: string, input: Partial<IncidentInput> = {}) {
  return env.client.workflow.start('incidentWorkflow', {
    taskQueue,
    workflowId: workflowIds.incident(sbx.config.runId, incidentId),
    args: [
      {
        runId: sbx.config.runId,
        incidentId,
        target: sbx.targetName,
        severity: 'critical',
        cycleSeconds: 1,
        maxWaitSeconds: 60,
        ackSlaSeconds: 900,
        ...input,
      } satisfies IncidentInput,
    ],
  });
}

function recoveryOf(incidentId: string, attempt = 1) {
  return env.client.workflow.getHandle(workflowIds.recovery(sbx.config.runId, incidentId, attempt));
}

async function waitRecovery(
  incidentId: string,
  what: string,
  ok: (s: Awaited<ReturnType<WorkflowHandle['query']>> & Record<string, unknown>) => boolean,
  timeoutMs = 30000,
) {
  return waitFor(
    what,
    async () => {
      const s = (await recoveryOf(incidentId).query(recoveryStatusQuery)) as unknown as Record<string, unknown>;
      return ok(s) ? s : undefined;
    },
    { timeoutMs, intervalMs: 50 },
  );
}

/** Waits until the target's monitor has written `slo` as the run's latest breach (triage reads it). */
async function latestBreach(slo: string): Promise<void> {
  const sloFile = path.join(sbx.runDir, 'ops_slo_events.jsonl');
  await waitFor(`${slo} as the latest breach`, () =>
    fs
      .readFileSync(sloFile, 'utf8')
      .trimEnd()
      .split('\n')
      .filter((l) => l.includes('slo_breach'))
      .at(-1)
      ?.includes(`"${slo}"`),
  );
}

function resolvedLines(incidentId: string) {
  return sbx.artifact('incident_events.jsonl', incidentEventSchema).filter((e) => e.event_type === 'incident_resolved' && e.incident_id === incidentId);
}

async function recordHistory(handle: { fetchHistory(): Promise<Parameters<typeof historyToJSON>[0]> }, name: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  fs.writeFileSync(path.resolve(__dirname, `../replay/histories/${name}.json`), historyToJSON(await handle.fetchHistory()));
}

test('reconciliation: halted, released behind its back → halted again, a dirty cycle resets the count, two clean cycles → resumed', async () => {
  await sbx.inject('order_drift');
  await waitFor('a mismatch in the artifacts', () =>
    fs.readFileSync(path.join(sbx.runDir, 'order_reconciliation_events.jsonl'), 'utf8').includes('"mismatch"'),
  );
  const id = uniqueId('inc-recon');
  const handle = await start(id);

  // Triage: a report file and the query, classified with reasons.
  const triage = await waitFor('the triage report', () => handle.query(triageQuery));
  expect(triage.classification.class).toBe('reconciliation');
  expect(triage.classification.reasons.join(' ')).toMatch(/mismatched/);
  expect(triage.reconciliation.mismatchedOrderIds.length).toBeGreaterThan(0);
  const status = await handle.query(incidentStatusQuery);
  expect(fs.existsSync(status.triageReportPath!)).toBe(true);
  expect(JSON.parse(fs.readFileSync(status.triageReportPath!, 'utf8'))).toMatchObject({ kind: 'triage_report', incidentId: id });

  await waitRecovery(id, 'the recovery cycling', (s) => s.phase === 'reconciliation-cycles' && (s.cycles as number) >= 2);
  expect((await stats()).entries_halted).toBe(true);

  // An operator override without a reason is rejected by the validator.
  const bad = await handle.executeUpdate(forceResumeUpdate, { args: [{ by: 'mallory' } as never] }).catch((e: unknown) => e);
  expect(bad).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(String((bad as Error & { cause?: Error }).cause?.message)).toMatch(/reason/);

  // Released behind the workflow's back: the halt registry halts again within seconds.
  const registry = env.client.workflow.getHandle(workflowIds.haltRegistry(sbx.targetName));
  const rehalts = (await registry.query(haltRegistryStatusQuery)).rehalts;
  await killSwitch('resume');
  await waitFor('a re-halt', async () => (await registry.query(haltRegistryStatusQuery)).rehalts > rehalts, { timeoutMs: 10000 });
  expect((await stats()).entries_halted).toBe(true);

  // One clean cycle, then a dirty one: the count goes back to zero.
  await sbx.clear('order_drift');
  await waitRecovery(id, 'one clean cycle', (s) => s.cleanStreak === 1, 20000);
  await sbx.inject('order_drift');
  await waitRecovery(id, 'the dirty cycle to reset the count', (s) => (s.dirtyResets as number) >= 1 && s.cleanStreak === 0, 20000);
  expect((await stats()).entries_halted).toBe(true);
  await sbx.clear('order_drift');

  const result: IncidentResult = await handle.result();
  expect(result.resolution).toBe('recovered');
  expect(result.incidentClass).toBe('reconciliation');
  expect(result.recoveries[0]!.dirtyResets).toBeGreaterThanOrEqual(1);
  expect(result.recoveries[0]!.evidence.mismatchedOrderIds).toBeDefined();
  expect(result.timeline.map((t) => t.step)).toEqual(expect.arrayContaining(['entries halted', 'entries resumed', 'incident_resolved written']));
  expect((await stats()).entries_halted).toBe(false);
  expect(resolvedLines(id)).toHaveLength(1);

  // The rejected override never reached history.
  const history = await handle.fetchHistory();
  const updates = (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  expect(updates).toHaveLength(0);
  // The ack timer ended with the incident (nothing was paged). It hears of the resolution twice: the
  // `incident_resolved` line the incident writes first (the timer's run-file watch) and the `resolve`
  // signal the incident sends right after; the first to arrive stands, and both carry the resolution.
  const ackTimer = env.client.workflow.getHandle(workflowIds.incidentAck(sbx.config.runId, id));
  await waitFor('the ack timer to complete', async () => (await ackTimer.describe()).status.name === 'COMPLETED');
  const heard = (await ackTimer.query(incidentAckStatusQuery)).resolved;
  expect(heard).toMatchObject({ resolution: 'recovered' });
  expect(['signal', 'run-file']).toContain(heard?.source);
  await recordHistory(handle, 'incident-v2-reconciliation');
  await recordHistory(recoveryOf(id), 'recovery-v2-reconciliation');
});

test('data quality: corrupt bars keep entries halted until validation and a full quality cycle are clean', async () => {
  await sbx.inject('corrupt_bars');
  await waitFor('corrupt bars in data_quality_latest.json', () => {
    const f = path.join(sbx.runDir, 'data_quality_latest.json');
    return fs.existsSync(f) && (JSON.parse(fs.readFileSync(f, 'utf8')) as { errors: number }).errors > 0;
  });
  await latestBreach('data_quality_errors');
  const id = uniqueId('inc-dq');
  const handle = await start(id);
  const s = await waitRecovery(
    id,
    'dirty quality cycles',
    (x) => x.phase === 'quality-cycles' && typeof x.lastReason === 'string' && /critical/.test(x.lastReason as string),
  );
  expect(s.incidentClass).toBe('data_quality');
  expect((await handle.query(triageQuery))!.classification.class).toBe('data_quality');
  expect((await stats()).entries_halted).toBe(true);
  await new Promise((r) => setTimeout(r, 1500));
  expect((await stats()).entries_halted).toBe(true);
  await sbx.clear('corrupt_bars');
  const result: IncidentResult = await handle.result();
  expect(result).toMatchObject({ resolution: 'recovered', incidentClass: 'data_quality' });
  expect(result.timeline.some((t) => t.step === 'entries resumed')).toBe(true);
  expect(result.recoveries[0]!.timeline.map((t) => t.step)).toEqual(expect.arrayContaining(['refreshed data source connectivity', 'recovery criteria passed']));
  expect((await stats()).entries_halted).toBe(false);
  expect(resolvedLines(id)).toHaveLength(1);
  await recordHistory(handle, 'incident-v2-data-quality');
});

test('broker: API down → restart the broker session (process) → healthy → clean reconciliation → resumed', async () => {
  await sbx.inject('broker_disconnect');
  const id = uniqueId('inc-brk');
  const handle = await start(id);
  const result: IncidentResult = await handle.result();
  expect(result).toMatchObject({ resolution: 'recovered', incidentClass: 'broker_connectivity' });
  const rec = result.recoveries[0]!;
  expect(rec.evidence.brokerRestart).toBeDefined();
  expect(rec.evidence.brokerHealthBefore).toMatchObject({ apiOk: false });
  expect(rec.timeline.map((t) => t.step)).toEqual(
    expect.arrayContaining(['restarted broker session', 'broker healthy; rerunning reconciliation', 'recovery criteria passed']),
  );
  // The sandbox's own record: stopped and started again during the recovery.
  const truth = sbx.groundTruth();
  expect(truth.filter((e) => e.event === 'stopped').length).toBeGreaterThanOrEqual(1);
  expect((await stats()).entries_halted).toBe(false);
  expect(resolvedLines(id)).toHaveLength(1);
});

test('bounded wait: the recovery escalates (page at the receiver), stays halted, and a forced resume is audited', async () => {
  await sbx.inject('order_drift');
  await latestBreach('order_reconciliation_consecutive_mismatch_runs');
  const id = uniqueId('inc-esc');
  receiver.requests.length = 0;
  const handle = await start(id, { maxWaitSeconds: 3, hint: 'reconciliation' });
  const [page] = await receiver.waitForDelivered(1, 30000);
  expect(page!.body).toMatchObject({ incident_id: id, run_id: sbx.config.runId });
  expect(page!.headers['idempotency-key']).toBe(workflowIds.recovery(sbx.config.runId, id, 1));
  await waitFor('the incident to show escalated', async () => (await handle.query(incidentStatusQuery)).phase === 'escalated');
  expect((await stats()).entries_halted).toBe(true);
  // Still checked while it waits for an operator.
  await killSwitch('resume');
  await waitFor('the escalated incident to halt again', async () => (await stats()).entries_halted, { timeoutMs: 10000 });

  const action = await handle.executeUpdate(forceResumeUpdate, { args: [{ by: 'alice', reason: 'broker confirmed orders manually' }] });
  expect(action).toMatchObject({ action: 'forceResume', by: 'alice' });
  const result: IncidentResult = await handle.result();
  expect(result).toMatchObject({ resolution: 'forced', escalated: true });
  expect(result.operatorActions).toEqual([expect.objectContaining({ action: 'forceResume', by: 'alice', reason: 'broker confirmed orders manually' })]);
  expect(result.recoveries[0]!.outcome).toBe('escalated');
  const line = resolvedLines(id);
  expect(line).toHaveLength(1);
  expect(line[0]).toMatchObject({ resolution: 'forced' });
  expect((await stats()).entries_halted).toBe(false);
  expect(receiver.delivered()).toHaveLength(1);
  await sbx.clear('order_drift');
  await recordHistory(handle, 'incident-v2-escalated-forced');
  await recordHistory(recoveryOf(id), 'recovery-v2-escalated');
});

test('stale breach: a broker breach that has recovered does not decide; current drift → reconciliation, no restart', async () => {
  await sbx.inject('broker_disconnect');
  await latestBreach('broker_api_connected');
  await sbx.clear('broker_disconnect');
  await sbx.inject('order_drift');
  const since = new Date().toISOString();
  await waitFor('a fresh mismatch', () =>
    sbx.artifact('order_reconciliation_events.jsonl', orderReconciliationEventSchema).some((e) => e.ts >= since && e.status === 'mismatch'),
  );
  // The run's last breach is still the broker's (the old triage picked it): it no longer decides.
  const id = uniqueId('inc-stale');
  const handle = await start(id);
  const triage = await waitFor('the triage report', () => handle.query(triageQuery));
  // The broker's breach is in the evidence window; the disconnect may also have breached the error
  // rate after it, and on a loaded machine the monitor may already have reported the fresh drift as a
  // later breach of its own. Whichever is last, the broker's must not decide.
  expect(['broker_api_connected', 'operational_error_rate', 'order_reconciliation_consecutive_mismatch_runs']).toContain(triage.lastSloBreach?.slo);
  expect(triage.classification.class).toBe('reconciliation');
  expect(triage.breaches.ignored).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ slo: 'broker_api_connected', why: expect.stringMatching(/recovered since: broker API and websocket healthy now/) }),
    ]),
  );
  expect(triage.classification.reasons.join('\n')).toMatch(/not deciding: SLO breach broker_api_connected/);
  await sbx.clear('order_drift');
  const result: IncidentResult = await handle.result();
  expect(result).toMatchObject({ resolution: 'recovered', incidentClass: 'reconciliation' });
  expect(result.recoveries[0]!.evidence.brokerRestart).toBeUndefined();
  expect(sbx.groundTruth().filter((e) => e.ts >= since && e.event === 'stop_requested')).toEqual([]);
});
