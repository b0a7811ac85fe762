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
import type { AckFileOptions } from '../../src/activities/ack-file';
import type { PagingConfig } from '../../src/config';
import type { IncidentAckInput, IncidentAckResult } from '../../src/domain/incident-ack';
import { workflowIds } from '../../src/shared';
import { acknowledgeUpdate, incidentAckStatusQuery, resolveIncidentSignal } from '../../src/workflows/definitions';
import { recordHistory } from '../helpers/process';
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

async function withWorker<T>(fn: (taskQueue: string) => Promise<T>, pagingConfig: PagingConfig = paging(), ackFile?: AckFileOptions): Promise<T> {
  const taskQueue = uniqueId('tq');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ config: { paging: pagingConfig, runsDir }, ...(ackFile ? { ackFile } : {}) }),
  });
  return worker.runUntil(fn(taskQueue));
}

function start(taskQueue: string, input: Partial<IncidentAckInput> = {}) {
  const runId = input.runId ?? uniqueId('run');
  const incidentId = input.incidentId ?? 'inc-1';
  return env.client.workflow.start('incidentAckWorkflow', {
    taskQueue,
    workflowId: workflowIds.incidentAck(runId, incidentId),
    // The run-file watch looks once an hour (a holding watch would stop time skipping: the test server
    // does not skip while an activity runs); before every page the file is checked anyway.
    args: [{ runId, incidentId, severity: 'critical', fileWatch: { holdSeconds: 0, pauseSeconds: 3600 }, ...input } satisfies IncidentAckInput],
  });
}

/** The status once `n` pages are recorded and none is still being delivered. */
async function pagesSettled(handle: Awaited<ReturnType<typeof start>>, n: number, what = `${n} pages settled`) {
  return eventually(async () => {
    const s = await handle.query(incidentAckStatusQuery);
    return s.pages.length === n && s.pages.every((p) => p.outcome !== 'pending') ? s : undefined;
  }, what);
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
    const status = await pagesSettled(handle, 1);
    expect(status.state).toBe('escalated');
    expect(status.escalationLevel).toBe(1);
    expect(status.sla).toBe('breached');
    // The escalation was due at exactly the SLA, 900 s after opening in workflow time, and happened then:
    // not before, and later only by the time the worker took to run it (the test server's clock also
    // moves with real time, so a loaded machine adds a second or two).
    expect(Date.parse(status.pages[0]!.dueAt!) - opened).toBe(900_000);
    expect(Date.parse(status.pages[0]!.at) - opened).toBeGreaterThanOrEqual(900_000);
    expect(Date.parse(status.pages[0]!.at) - opened).toBeLessThan(905_000);
    expect(status.pages[0]!.outcome).toBe('delivered');
    expect(page!.body).toMatchObject({
      type: 'incident_escalation',
      event_action: 'trigger',
      class: 'incident_ack_sla',
      incident_id: 'inc-1',
      level: 1,
      severity: 'critical',
    });
    expect(page!.body.dedup_key).toBe(status.dedupKey);
    expect(status.pages[0]!.dedupKey).toBe(status.dedupKey);
    expect(page!.headers['idempotency-key']).toBe(`${status.dedupKey}#trigger-L1-R0`);
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
    const hostile: Array<[unknown, RegExp]> = [
      [{ ackBy: '' }, /ackBy: ackBy must not be empty/],
      [{ ackBy: '   ' }, /ackBy: ackBy must not be empty/],
      [{}, /ackBy: ackBy is required/],
      [{ ackBy: 5 }, /ackBy: ackBy must be a string/],
      [{ ackBy: '\u0000' }, /ackBy: ackBy must be printable/],
      [{ ackBy: 'eve\u202egnp.exe' }, /ackBy: ackBy must be printable/],
      [{ ackBy: 'x'.repeat(129) }, /ackBy: ackBy must be at most 128 characters/],
      [{ ackBy: 'x', notes: 5 }, /notes: notes must be a string/],
      [{ ackBy: 'x', notes: 'y'.repeat(2001) }, /notes: notes must be at most 2000 characters/],
      [{ ackBy: 'x', notes: 'bell\u0007' }, /notes: notes must be printable/],
      [{ ackBy: 'x', note: 'typo' }, /Unrecognized key: "note"/],
      [null, /acknowledge expects an object/],
      ['alice', /acknowledge expects an object/],
    ];
    for (const [bad, message] of hostile) {
      const err = await handle.executeUpdate(acknowledgeUpdate, { args: [bad as never] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(String((err as WorkflowUpdateFailedError).cause?.message)).toMatch(/^invalid acknowledge: /);
      expect(String((err as WorkflowUpdateFailedError).cause?.message)).toMatch(message);
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
      escalation: {
        levels: [
          { name: 'primary', afterSeconds: 900 },
          { name: 'secondary', afterSeconds: 600 },
        ],
        repeats: 1,
      },
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
      status = await pagesSettled(handle, i + 1, `page ${i + 1} recorded`);
    }
    const delivered = receiver.delivered().filter((d) => d.body.run_id === runId);
    expect(status.pages.map((p) => [p.level, p.round, p.name])).toEqual([
      [1, 0, 'primary'],
      [2, 0, 'secondary'],
      [1, 1, 'primary'],
      [2, 1, 'secondary'],
    ]);
    // Each step is due at its offset and fired then (never early). How late the workflow task ran on a
    // loaded machine is an artifact of time skipping here; the dev-server test bounds real lateness.
    expect(status.pages.map((p) => (Date.parse(p.dueAt!) - opened) / 1000)).toEqual([900, 1500, 2400, 3000]);
    for (const p of status.pages) expect(Date.parse(p.at)).toBeGreaterThanOrEqual(Date.parse(p.dueAt!));
    // One dedup key for the incident; each trigger carries its level and round.
    expect(new Set(delivered.map((d) => d.body.dedup_key))).toEqual(new Set([status.dedupKey]));
    expect(delivered.map((d) => [d.body.event_action, d.body.level, d.body.round])).toEqual([
      ['trigger', 1, 0],
      ['trigger', 2, 0],
      ['trigger', 1, 1],
      ['trigger', 2, 1],
    ]);
    expect(status.nextEscalationAt).toBeUndefined();
    // Past the last level it still waits for an owner.
    const ack = await handle.executeUpdate(acknowledgeUpdate, { args: [{ ackBy: 'dave' }] });
    expect(ack.slaMet).toBe(false);
    // The receivers that were paged hear of the ack, under the same key.
    await receiver.waitForDelivered(5);
    expect(
      receiver
        .delivered()
        .filter((d) => d.body.run_id === runId)
        .at(-1)!.body,
    ).toMatchObject({ event_action: 'acknowledge', type: 'incident_acknowledged', ack_by: 'dave', dedup_key: status.dedupKey });
    await handle.signal(resolveIncidentSignal, { resolution: 'recovered' });
    const result = await handle.result();
    expect(result.resolved).toMatchObject({ source: 'signal', resolution: 'recovered' });
    expect(
      receiver
        .delivered()
        .filter((d) => d.body.run_id === runId)
        .map((d) => d.body.event_action),
    ).toEqual(['trigger', 'trigger', 'trigger', 'trigger', 'acknowledge', 'resolve']);
  });
});

test('a warning below SLO_PAGING_MIN_SEVERITY escalates without paging', async () => {
  await withWorker(async (tq) => {
    const handle = await start(tq, { severity: 'warning' });
    await env.sleep(901_000);
    const status = await pagesSettled(handle, 1, 'the escalation');
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

function runFile(runId: string): string {
  const dir = path.join(runsDir, runId);
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, 'incident_events.jsonl');
}

test("an incident_ack line in the run file acks the timer: no page at 15:00, the line's time is the ack time", async () => {
  await withWorker(async (tq) => {
    const runId = uniqueId('run');
    const file = runFile(runId);
    // The watch looks every minute here: it finds the line long before the SLA.
    const handle = await start(tq, { runId, incidentId: 'inc-file', keepOpenAfterAckSeconds: 0, fileWatch: { holdSeconds: 0, pauseSeconds: 60 } });
    const opened = Date.parse((await handle.query(incidentAckStatusQuery)).openedAt);
    fs.writeFileSync(
      file,
      `${JSON.stringify({ ts: new Date(opened).toISOString(), event_type: 'incident_open', incident_id: 'inc-file', severity: 'critical' })}\n`,
    );
    await env.sleep(300_000);
    // What the runbook's incident_ack.py writes (no latency, no source): acked 5 minutes in.
    const ackTs = new Date(opened + 300_000).toISOString();
    fs.appendFileSync(
      file,
      `${JSON.stringify({ ts: ackTs, event_type: 'incident_ack', incident_id: 'inc-file', run_id: runId, ack_by: 'grace', notes: 'halted' })}\n`,
    );
    const result: IncidentAckResult = await handle.result();
    expect(result.ack).toMatchObject({ ackBy: 'grace', notes: 'halted', ackedAt: ackTs, latencySeconds: 300, slaMet: true, source: 'run-file' });
    expect(result.pages).toEqual([]);
    expect(receiver.requests.filter((r) => r.body.run_id === runId)).toHaveLength(0);
    // The file was not written again.
    expect(fs.readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
  });
});

test('a file ack written just before the SLA is found by the check right before the page: nothing sent', async () => {
  await withWorker(async (tq) => {
    const runId = uniqueId('run');
    const file = runFile(runId);
    // The watch looks only once a day here: the check before the page must catch it.
    const handle = await start(tq, { runId, incidentId: 'inc-late', keepOpenAfterAckSeconds: 0, fileWatch: { holdSeconds: 0, pauseSeconds: 86400 } });
    const opened = Date.parse((await handle.query(incidentAckStatusQuery)).openedAt);
    await env.sleep(60_000);
    const ackTs = new Date(opened + 899_000).toISOString();
    fs.appendFileSync(file, `${JSON.stringify({ ts: ackTs, event_type: 'incident_ack', incident_id: 'inc-late', ack_by: 'heidi\u0007\u202e' })}\n`);
    const result: IncidentAckResult = await handle.result();
    expect(result.pages.map((p) => p.outcome)).toEqual(['suppressed']);
    // Hostile characters from a file line are shown as '?', never rejected: whoever wrote it did ack.
    expect(result.ack).toMatchObject({ ackBy: 'heidi??', ackedAt: ackTs, slaMet: true, source: 'run-file' });
    expect(receiver.requests.filter((r) => r.body.run_id === runId)).toHaveLength(0);
  });
});

test('resolve SLA: acknowledged but unresolved at the deadline → escalates again (class incident_resolve_sla), resolve stops it', async () => {
  await withWorker(async (tq) => {
    const handle = await start(tq, {
      incidentId: 'inc-rs',
      resolveSlaSeconds: 3600,
      escalation: {
        levels: [
          { name: 'primary', afterSeconds: 900 },
          { name: 'manager', afterSeconds: 600 },
        ],
        repeats: 0,
      },
    });
    const { runId, openedAt } = await handle.query(incidentAckStatusQuery);
    const opened = Date.parse(openedAt);
    await env.sleep(120_000);
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ ackBy: 'ivan' }] });
    let status = await handle.query(incidentAckStatusQuery);
    expect(status.state).toBe('acknowledged');
    expect(status.resolveDeadline).toBe(new Date(opened + 3_600_000).toISOString());
    expect(status.nextEscalationAt).toBe(status.resolveDeadline);
    await env.sleep(3_480_000 + 1000);
    status = await pagesSettled(handle, 1, 'the resolve-SLA page');
    expect(status.state).toBe('resolve-overdue');
    expect(status.pages[0]).toMatchObject({ kind: 'incident_resolve_sla', level: 1, name: 'primary', outcome: 'delivered' });
    expect(Date.parse(status.pages[0]!.dueAt!) - opened).toBe(3_600_000);
    expect(Date.parse(status.pages[0]!.at)).toBeGreaterThanOrEqual(opened + 3_600_000);
    await env.sleep(601_000);
    status = await pagesSettled(handle, 2, 'the resolve-SLA level 2 page');
    expect(status.pages[1]).toMatchObject({ kind: 'incident_resolve_sla', level: 2, name: 'manager' });
    await handle.signal(resolveIncidentSignal, { resolution: 'recovered', by: 'incident workflow' });
    const result: IncidentAckResult = await handle.result();
    expect(result.resolved).toMatchObject({ source: 'signal', resolution: 'recovered', by: 'incident workflow' });
    const got = receiver.delivered().filter((d) => d.body.run_id === runId);
    expect(got.map((d) => [d.body.event_action, d.body.class, d.body.level])).toEqual([
      ['trigger', 'incident_resolve_sla', 1],
      ['trigger', 'incident_resolve_sla', 2],
      ['resolve', 'incident_resolve_sla', 1],
    ]);
    // Its own key: the first lifecycle was acknowledged, this one must page again.
    expect(new Set(got.map((d) => d.body.dedup_key))).toEqual(new Set([`drill-runner/${runId}/inc-rs/resolve-sla`]));
  });
});

test('days unacknowledged with repeats: every run stays far below 10,000 events; status and acknowledge work after continue-as-new', async () => {
  await withWorker(async (tq) => {
    const handle = await start(tq, {
      incidentId: 'inc-days',
      // 3 levels every 2 h, 10 repeats: 33 pages over 66 hours; a small history limit forces continue-as-new.
      escalation: { levels: [{ afterSeconds: 7200 }, { afterSeconds: 7200 }, { afterSeconds: 7200 }], repeats: 10 },
      historyLimit: 300,
      keepOpenAfterAckSeconds: 0,
      awaitResolveSeconds: 0,
    });
    const { runId } = await handle.query(incidentAckStatusQuery);
    const firstRun = (await handle.describe()).runId;
    await env.sleep('70 hours');
    const status = await pagesSettled(handle, 33, 'all 33 pages');
    expect(status.continuedRuns).toBeGreaterThanOrEqual(1);
    expect(status.state).toBe('escalated');
    expect(status.pages.every((p) => p.outcome === 'delivered')).toBe(true);
    expect(receiver.delivered().filter((d) => d.body.run_id === runId && d.body.event_action === 'trigger')).toHaveLength(33);
    const ack = await handle.executeUpdate(acknowledgeUpdate, { args: [{ ackBy: 'judy' }] });
    expect(ack).toMatchObject({ ackBy: 'judy', slaMet: false, source: 'update' });
    const result: IncidentAckResult = await handle.result();
    expect(result.pages).toHaveLength(33);
    // Walk the chain of runs: each one's history is small.
    const lengths: number[] = [];
    for (let run: string | undefined = firstRun; run;) {
      const history = await env.client.workflow.getHandle(handle.workflowId, run).fetchHistory();
      const events: Array<{ workflowExecutionContinuedAsNewEventAttributes?: { newExecutionRunId?: string | null } | null }> = history.events ?? [];
      lengths.push(events.length);
      run = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
    expect(lengths.length).toBe(status.continuedRuns! + 1);
    expect(Math.max(...lengths)).toBeLessThan(1000);
    // The last run began from carried state: a history for the replay tests.
    await recordHistory(handle, 'incident-ack-v4-continued-as-new');
  });
});

test('openedAt in the future (beyond the clock skew) fails the timer at once, saying so', async () => {
  await withWorker(async (tq) => {
    const handle = await start(tq, { openedAt: '2099-01-01T00:00:00Z' });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as { type?: string; message: string };
    expect(cause.type).toBe('InvalidInput');
    expect(cause.message).toMatch(/openedAt: must not be in the future \(it is \d+ s ahead of the server's clock; at most 120 s of clock skew is allowed\)/);
  });
});

test('a watch turned away by a full worker looks again when the worker says, not every minute, as retries of one activity', async () => {
  // No watch may hold on this worker, and its turned-away looks have a budget of one per 1,000 s:
  // the one timer is told to come back in 900–1,000 s. Over two hours of workflow time that is at
  // most 8 looks; a timer that ignored the advice would look every minute (120). Each look is an
  // attempt of the same activity (WatchBusy's retry delay): one scheduled watch in the history.
  await withWorker(
    async (tq) => {
      const handle = await start(tq, { fileWatch: { holdSeconds: 30, pauseSeconds: 0 } });
      await env.sleep('2h');
      const history = await handle.fetchHistory();
      const watches = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'watchIncidentFile');
      expect(watches).toHaveLength(1);
      const pending = (await handle.describe()).raw.pendingActivities?.find((a) => a.activityType?.name === 'watchIncidentFile');
      expect(pending?.lastFailure?.applicationFailureInfo?.type).toBe('WatchBusy');
      expect(pending?.attempt).toBeGreaterThanOrEqual(7);
      expect(pending?.attempt).toBeLessThanOrEqual(9);
      await handle.cancel();
    },
    paging({ enabled: false }),
    { maxWatchers: 0, busyLooksPerSecond: 0.001 },
  );
});
