/**
 * incidentAckWorkflow on the time-skipping test server: the runbook's 15-minute SLA at its real
 * duration, skipped in seconds. Pages go to a real HTTP receiver on loopback.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import type { PagingConfig } from '../../src/config';
import type { IncidentAckInput, IncidentAckResult } from '../../src/domain/incident-ack';
import { workflowIds } from '../../src/shared';
import { acknowledgeUpdate, incidentAckStatusQuery } from '../../src/workflows/definitions';
import { timeSkippingEnv, uniqueId, workflowBundle } from '../helpers/temporal';
import { eventually, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

let env: TestWorkflowEnvironment;
let receiver: WebhookReceiver;
let runsDir: string;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  await workflowBundle();
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ack-wf-'));
});

afterAll(async () => {
  await receiver?.close();
  fs.rmSync(runsDir, { recursive: true, force: true });
});

// A fresh test server per test (~1 s): the server drops connections that send keepalive pings more
// often than every 5 minutes, which the worker's native connection does every 30 s; on a loaded
// machine a file-long server outlived that and calls hung (docs/decisions.md).
beforeEach(async () => {
  env = await timeSkippingEnv();
});

beforeEach(() => {
  receiver.requests.length = 0;
});

afterEach(async () => {
  await env?.teardown();
});

function paging(overrides: Partial<PagingConfig> = {}): PagingConfig {
  return { enabled: true, webhookUrl: receiver.url, minSeverity: 'critical', format: 'json', timeoutMs: 2000, ...overrides };
}

async function withWorker<T>(fn: (taskQueue: string) => Promise<T>, pagingConfig: PagingConfig = paging()): Promise<T> {
  const taskQueue = uniqueId('tq');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ config: { paging: pagingConfig, runsDir } }),
  });
  return worker.runUntil(fn(taskQueue));
}

function start(taskQueue: string, input: Partial<IncidentAckInput> = {}) {
  const runId = input.runId ?? uniqueId('run');
  const incidentId = input.incidentId ?? 'inc-1';
  return env.client.workflow.start('incidentAckWorkflow', {
    taskQueue,
    workflowId: workflowIds.incidentAck(runId, incidentId),
    args: [{ runId, incidentId, severity: 'critical', ...input } satisfies IncidentAckInput],
  });
}

test('unacknowledged: pages at 15:00 of workflow time, not before', async () => {
  await withWorker(async (tq) => {
    const handle = await start(tq);
    const opened = Date.parse((await handle.query(incidentAckStatusQuery)).openedAt);
    await env.sleep(899_000);
    const before = await handle.query(incidentAckStatusQuery);
    expect(before.state).toBe('open');
    expect(before.sla).toBe('pending');
    expect(before.pages).toEqual([]);
    expect(receiver.requests).toHaveLength(0);

    await env.sleep(2_000);
    const [page] = await receiver.waitForDelivered(1);
    const status = await eventually(async () => {
      const s = await handle.query(incidentAckStatusQuery);
      return s.pages.length === 1 ? s : undefined;
    }, 'the page to be recorded');
    expect(status.state).toBe('escalated');
    expect(status.escalationLevel).toBe(1);
    expect(status.sla).toBe('breached');
    // The escalation happened at exactly the SLA: 900 s after opening, in workflow time.
    expect(Date.parse(status.pages[0]!.at) - opened).toBeGreaterThanOrEqual(900_000);
    expect(Date.parse(status.pages[0]!.at) - opened).toBeLessThan(901_000);
    expect(status.pages[0]!.outcome).toBe('delivered');
    expect(page!.body).toMatchObject({ type: 'incident_escalation', incident_id: 'inc-1', level: 1, severity: 'critical' });
    expect(page!.headers['idempotency-key']).toBe(status.pages[0]!.dedupKey);
    await handle.cancel();
  });
});

test('acknowledged at 14:59: never paged, SLA met', async () => {
  await withWorker(async (tq) => {
    const handle = await start(tq);
    await env.sleep(899_000);
    const ack = await handle.executeUpdate(acknowledgeUpdate, { args: [{ ackBy: 'alice', notes: 'entries halted' }] });
    expect(ack).toMatchObject({ ackBy: 'alice', notes: 'entries halted', slaMet: true });
    expect(ack.latencySeconds).toBeGreaterThanOrEqual(899);
    expect(ack.latencySeconds).toBeLessThanOrEqual(900);
    const result: IncidentAckResult = await handle.result();
    await env.sleep('1h');
    expect(result.slaMet).toBe(true);
    expect(result.pages).toEqual([]);
    expect(receiver.requests).toHaveLength(0);
  });
});

test('acknowledged after escalation: breach recorded; a second ack returns the first', async () => {
  await withWorker(async (tq) => {
    const handle = await start(tq);
    await env.sleep('16m');
    await receiver.waitForDelivered(1);
    const first = await handle.executeUpdate(acknowledgeUpdate, { args: [{ ackBy: 'bob' }] });
    expect(first.slaMet).toBe(false);
    expect(first.latencySeconds).toBeGreaterThan(900);
    const second = await handle.executeUpdate(acknowledgeUpdate, { args: [{ ackBy: 'carol', notes: 'late' }] });
    expect(second).toEqual(first);
    const result: IncidentAckResult = await handle.result();
    expect(result.slaMet).toBe(false);
    expect(result.ack?.ackBy).toBe('bob');
    expect(result.pages).toHaveLength(1);
    const status = await handle.query(incidentAckStatusQuery);
    expect(status.state).toBe('acknowledged');
    expect(status.sla).toBe('breached');
  });
});

test('an invalid acknowledge is rejected by the validator and never reaches history', async () => {
  await withWorker(async (tq) => {
    const handle = await start(tq);
    for (const bad of [{ ackBy: '' }, { ackBy: '   ' }, {}, { ackBy: 'x', notes: 5 }]) {
      const err = await handle.executeUpdate(acknowledgeUpdate, { args: [bad as never] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(String((err as WorkflowUpdateFailedError).cause?.message)).toMatch(/invalid acknowledge: (ackBy|notes)/);
    }
    const status = await handle.query(incidentAckStatusQuery);
    expect(status.state).toBe('open');
    expect(status.ack).toBeUndefined();
    const history = await handle.fetchHistory();
    expect(history.events?.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);
    await handle.cancel();
  });
});

test('multi-level policy with repeats: each level at its offset, one page per level and round', async () => {
  await withWorker(async (tq) => {
    const handle = await start(tq, {
      escalation: { levels: [{ name: 'primary', afterSeconds: 900 }, { name: 'secondary', afterSeconds: 600 }], repeats: 1 },
      keepOpenAfterAckSeconds: 0,
    });
    const runId = (await handle.query(incidentAckStatusQuery)).runId;
    const opened = Date.parse((await handle.query(incidentAckStatusQuery)).openedAt);
    // Step through each level: server time jumps while pages go out in real time, so advance only
    // once the previous page is recorded (the next timer exists only after it).
    let status = await handle.query(incidentAckStatusQuery);
    // Gaps between the levels (cumulative 901, 1501, 2401, 3001 s: each just past its level).
    for (const [i, gapSeconds] of [901, 600, 900, 600].entries()) {
      await env.sleep(gapSeconds * 1000);
      status = await eventually(async () => {
        const s = await handle.query(incidentAckStatusQuery);
        return s.pages.length === i + 1 ? s : undefined;
      }, `page ${i + 1} recorded`);
    }
    const delivered = receiver.delivered().filter((d) => d.body.run_id === runId);
    expect(status.pages.map((p) => [p.level, p.round, p.name])).toEqual([
      [1, 0, 'primary'],
      [2, 0, 'secondary'],
      [1, 1, 'primary'],
      [2, 1, 'secondary'],
    ]);
    const offsets = status.pages.map((p) => Math.floor((Date.parse(p.at) - opened) / 1000));
    expect(offsets).toEqual([900, 1500, 2400, 3000]);
    expect(new Set(delivered.map((d) => d.body.dedup_key)).size).toBe(4);
    expect(status.nextEscalationAt).toBeUndefined();
    // Past the last level it still waits for an owner.
    const ack = await handle.executeUpdate(acknowledgeUpdate, { args: [{ ackBy: 'dave' }] });
    expect(ack.slaMet).toBe(false);
    await handle.result();
  });
});

test('a warning below SLO_PAGING_MIN_SEVERITY escalates without paging', async () => {
  await withWorker(async (tq) => {
    const handle = await start(tq, { severity: 'warning' });
    await env.sleep(901_000);
    const status = await eventually(async () => {
      const s = await handle.query(incidentAckStatusQuery);
      return s.pages.length === 1 ? s : undefined;
    }, 'the escalation');
    expect(status.pages[0]!.outcome).toBe('below-min-severity');
    expect(receiver.requests.filter((r) => r.body.run_id === status.runId)).toHaveLength(0);
    await handle.cancel();
  });
});

test('invalid input fails the workflow at once, naming the field', async () => {
  await withWorker(async (tq) => {
    const handle = await env.client.workflow.start('incidentAckWorkflow', {
      taskQueue: tq,
      workflowId: uniqueId('bad-input'),
      args: [{ runId: '../etc', incidentId: 'inc-1', severity: 'fatal', ackSlaSeconds: -1 }],
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as { type?: string; message: string; nonRetryable?: boolean };
    expect(cause.type).toBe('InvalidInput');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toMatch(/runId: run id may hold only/);
    expect(cause.message).toMatch(/severity: expected critical or warning/);
    expect(cause.message).toMatch(/ackSlaSeconds/);
  });
});
