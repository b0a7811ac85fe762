/**
 * drillSignOffWorkflow on the time-skipping server (issue 13, item 2): the non-response SLA pages the
 * backup approver once (counted at a real webhook receiver), a sign-off is a durable update that
 * answers with the written record (signoff.json with the report's SHA-256, an audit event), a second
 * or malformed sign-off is refused before it enters history, and nobody signing ends as `expired`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createPagingActivities } from '../../src/activities/paging';
import { createReportActivities } from '../../src/activities/reports';
import type { PagingConfig } from '../../src/config';
import type { DrillSignOffInput, SignOffRecord } from '../../src/domain/drill-signoff';
import { workflowIds } from '../../src/shared';
import { drillSignOffStatusQuery, signOffUpdate } from '../../src/workflows/definitions';
import { recordHistory } from '../helpers/process';
import { timeSkippingEnv, uniqueId, workflowBundle } from '../helpers/temporal';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

let env: TestWorkflowEnvironment;
let receiver: WebhookReceiver;
let resultsDir: string;

beforeAll(async () => {
  [env, receiver] = await Promise.all([timeSkippingEnv(), startWebhookReceiver()]);
  resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-signoff-'));
});

afterAll(async () => {
  await receiver?.close();
  await env?.teardown();
  fs.rmSync(resultsDir, { recursive: true, force: true });
});

const DAY = 86_400_000;

async function withWorker<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const paging: PagingConfig = { enabled: true, webhookUrl: receiver.url, minSeverity: 'critical', format: 'json', timeoutMs: 2000 };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: uniqueId('tq'),
    workflowBundle: await workflowBundle(),
    activities: { ...createPagingActivities(paging), ...createReportActivities(resultsDir) },
  });
  return worker.runUntil(() => fn(worker.options.taskQueue));
}

/** A drill's report on disk, as the drill leaves it before it starts its sign-off. */
function drillOnDisk(target: string): { drillId: string; reportSha256: string } {
  const drillId = uniqueId('d');
  const dir = path.join(resultsDir, 'drills', drillId);
  fs.mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify({ drillId, target, result: 'fail' })}\n`;
  fs.writeFileSync(path.join(dir, 'report.json'), text);
  return { drillId, reportSha256: crypto.createHash('sha256').update(text).digest('hex') };
}

async function start(taskQueue: string, over: Partial<DrillSignOffInput> = {}) {
  const target = uniqueId('t');
  const { drillId, reportSha256 } = drillOnDisk(target);
  const now = await env.currentTimeMs();
  const input: DrillSignOffInput = {
    drillId,
    target,
    drillResult: 'fail',
    approver: 'alice',
    backupApprover: 'bob',
    dueAt: new Date(now + 2 * DAY).toISOString(),
    expiresAt: new Date(now + 30 * DAY).toISOString(),
    ...over,
  };
  const handle = await env.client.workflow.start('drillSignOffWorkflow', { taskQueue, workflowId: workflowIds.drillSignOff(target, drillId), args: [input] });
  return { handle, drillId, target, reportSha256 };
}

const pagesFor = (drillId: string) => receiver.delivered().filter((r) => JSON.stringify(r.body).includes(drillId));
const auditLines = () =>
  fs
    .readFileSync(path.join(resultsDir, 'audit', 'drill-runner.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test('nobody signs in 2 days: the backup approver is paged once; a late sign-off is recorded with the report hash; a second one is refused', async () => {
  await withWorker(async (taskQueue) => {
    const { handle, drillId, target, reportSha256 } = await start(taskQueue);
    await env.sleep('2 days');
    await env.sleep('1 hour');
    const st = await handle.query(drillSignOffStatusQuery);
    expect(st.state).toBe('backup-paged');
    expect(st.backupPage).toMatchObject({ to: 'bob', outcome: 'delivered' });
    const pages = pagesFor(drillId);
    expect(pages).toHaveLength(1);
    expect(pages[0]!.body).toMatchObject({ class: 'dr_drill_signoff_overdue', level: 2 });
    expect(JSON.stringify(pages[0]!.body)).toMatch(/bob, please review and sign/);

    const record: SignOffRecord = await handle.executeUpdate(signOffUpdate, {
      args: [{ by: 'carol', role: 'DR test owner', decision: 'accepted-with-findings', notes: 'RPO finding owned by storage team' }],
    });
    expect(record).toMatchObject({
      state: 'signed',
      drillId,
      target,
      late: true,
      reportSha256,
      signOff: { by: 'carol', decision: 'accepted-with-findings' },
      backupPage: { to: 'bob', outcome: 'delivered' },
    });
    const onDisk = JSON.parse(fs.readFileSync(path.join(resultsDir, 'drills', drillId, 'signoff.json'), 'utf8')) as SignOffRecord;
    expect(onDisk).toEqual(record);
    expect(auditLines().filter((l) => l.drill_id === drillId)).toEqual([
      expect.objectContaining({ event_type: 'dr_drill_signed_off', by: 'carol', report_sha256: reportSha256, late: true }),
    ]);

    // The workflow has ended with the sign-off: a second one cannot be accepted.
    await expect(handle.executeUpdate(signOffUpdate, { args: [{ by: 'dave', role: 'auditor', decision: 'rejected' }] })).rejects.toThrow();
    await handle.result();
    expect(pagesFor(drillId)).toHaveLength(1);
    await recordHistory(handle, 'drill-signoff-late');
  });
});

test('signed within the SLA: nobody is paged, the record is on time; malformed and second sign-offs never enter history', async () => {
  await withWorker(async (taskQueue) => {
    const { handle, drillId } = await start(taskQueue);
    await env.sleep('3 hours');
    const bad = await handle
      .executeUpdate(signOffUpdate, { args: [{ by: 'alice', role: 'DR test owner', decision: 'maybe' } as never] })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((bad as WorkflowUpdateFailedError).cause?.message)).toMatch(/decision: expected one of accepted, accepted-with-findings, rejected/);
    const record = await handle.executeUpdate(signOffUpdate, { args: [{ by: 'alice', role: 'DR test owner', decision: 'accepted' }] });
    expect(record).toMatchObject({ state: 'signed', late: false, backupPage: null, signOff: { by: 'alice', notes: '' } });
    await handle.result();
    await env.sleep('3 days');
    expect(pagesFor(drillId)).toHaveLength(0);
    const events = (await handle.fetchHistory()).events!;
    // Only the accepted update is in history (validators reject before it is written).
    expect(events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(1);
    await recordHistory(handle, 'drill-signoff-on-time');
  });
});

test('nobody signs at all: one backup page, then the sign-off expires and the record says unsigned', async () => {
  await withWorker(async (taskQueue) => {
    const { handle, drillId } = await start(taskQueue);
    const record = await handle.result();
    expect(record).toMatchObject({ state: 'expired', signOff: null, late: true, backupPage: { outcome: 'delivered' } });
    expect(pagesFor(drillId)).toHaveLength(1);
    expect(auditLines().filter((l) => l.drill_id === drillId)).toEqual([expect.objectContaining({ event_type: 'dr_drill_signoff_expired' })]);
    expect((await handle.fetchHistory()).events!.length).toBeLessThan(60);
  });
});

test('invalid input fails the run without retry, naming the field', async () => {
  await withWorker(async (taskQueue) => {
    const { handle } = await start(taskQueue, { expiresAt: '2000-01-01T00:00:00Z' });
    await expect(handle.result()).rejects.toMatchObject({ cause: { message: expect.stringMatching(/expiresAt: expiresAt must be after dueAt/) } });
  });
});
