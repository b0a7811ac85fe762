/**
 * incidentAckWorkflow end to end on the Temporal CLI dev server: real paging receivers on loopback
 * (pages counted where they land), the real `drill incident-ack` / `drill ack-timer` as child
 * processes, timers found through visibility (search attributes), ids that used to collide.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import type { AckFileOptions } from '../../src/activities/ack-file';
import type { PagingConfig } from '../../src/config';
import type { IncidentAckInput, IncidentAckResult } from '../../src/domain/incident-ack';
import { workflowIds } from '../../src/shared';
import { acknowledgeUpdate, incidentAckStatusQuery, resolveIncidentSignal } from '../../src/workflows/definitions';
import { devServerEnv, uniqueId, workflowBundle } from '../helpers/temporal';
import { eventually, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';
import { recordHistory, runDrillCli } from '../helpers/process';

let env: TestWorkflowEnvironment;
let receiver: WebhookReceiver;
let resultsDir: string;
let runsDir: string;
let worker: Worker;
let workerDone: Promise<void>;
let taskQueue: string;
let pagingConfig: PagingConfig;

beforeAll(async () => {
  [env, receiver] = await Promise.all([devServerEnv(), startWebhookReceiver()]);
  resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ack-int-'));
  runsDir = path.join(resultsDir, 'runs');
  taskQueue = uniqueId('tq');
  pagingConfig = { enabled: true, webhookUrl: receiver.url, minSeverity: 'critical', format: 'json', timeoutMs: 2000 };
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ config: { paging: pagingConfig, runsDir } }),
  });
  workerDone = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await workerDone;
  await receiver?.close();
  await env?.teardown();
  fs.rmSync(resultsDir, { recursive: true, force: true });
});

function start(input: Partial<IncidentAckInput> & { runId: string; incidentId: string }, opts: { taskQueue?: string; workflowId?: string } = {}) {
  return env.client.workflow.start('incidentAckWorkflow', {
    taskQueue: opts.taskQueue ?? taskQueue,
    workflowId: opts.workflowId ?? workflowIds.incidentAck(input.runId, input.incidentId),
    args: [{ severity: 'critical', keepOpenAfterAckSeconds: 60, ...input } satisfies IncidentAckInput],
  });
}

type Handle = Awaited<ReturnType<typeof start>>;

/** The status once `n` pages are recorded and none is still being delivered. */
function pagesSettled(handle: Handle, n: number, timeoutMs = 20000) {
  return eventually(
    async () => {
      const s = await handle.query(incidentAckStatusQuery);
      return s.pages.length === n && s.pages.every((p) => p.outcome !== 'pending') ? s : undefined;
    },
    `${n} pages settled`,
    timeoutMs,
  );
}

/** Triggers (pages) a receiver got for one incident, delivered or not. */
function triggers(r: WebhookReceiver, runId: string, incidentId: string) {
  return r.requests.filter((q) => q.body.run_id === runId && q.body.incident_id === incidentId && q.body.event_action === 'trigger');
}

/** A worker on its own task queue with its own paging config (routes, formats) and run-file watch options. */
async function extraWorker(paging: PagingConfig, ackFile?: AckFileOptions): Promise<{ taskQueue: string; stop: () => Promise<void> }> {
  const tq = uniqueId('tq-extra');
  const w = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: tq,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ config: { paging, runsDir }, ...(ackFile ? { ackFile } : {}) }),
  });
  const done = w.run();
  return {
    taskQueue: tq,
    stop: async () => {
      w.shutdown();
      await done;
    },
  };
}

function openIncident(runId: string, incidentId: string, openedAt = new Date().toISOString()): string {
  const dir = path.join(runsDir, runId);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'incident_events.jsonl');
  fs.appendFileSync(file, `${JSON.stringify({ ts: openedAt, event_type: 'incident_open', incident_id: incidentId, severity: 'critical' })}\n`);
  return file;
}

function drill(args: string[]) {
  return runDrillCli(
    args,
    {
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      DRILL_TASK_QUEUE: taskQueue,
      DRILL_RESULTS_DIR: resultsDir,
    },
    30000,
  );
}

function lines(file: string): Array<Record<string, unknown>> {
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('short SLA: receiver down for a while → the page arrives once it recovers, exactly once', async () => {
  const runId = uniqueId('run');
  receiver.requests.length = 0;
  receiver.failNext(2, 503);
  const handle = await start({ runId, incidentId: 'inc-500', ackSlaSeconds: 1 });
  const [page] = await receiver.waitForDelivered(1, 30000);
  expect(receiver.requests.map((r) => r.status)).toEqual([503, 503, 202]);
  // Every attempt carried the same dedup key: the receiver can drop repeats.
  expect(new Set(receiver.requests.map((r) => r.headers['idempotency-key'])).size).toBe(1);
  expect(page!.body).toMatchObject({ incident_id: 'inc-500', run_id: runId, level: 1, round: 0, event_action: 'trigger', class: 'incident_ack_sla' });
  const status = await pagesSettled(handle, 1);
  expect(status.pages[0]!.outcome).toBe('delivered');
  // Nothing more arrives for that level.
  await new Promise((r) => setTimeout(r, 1500));
  expect(receiver.delivered()).toHaveLength(1);
  // The incident resolves: the receiver gets resolve under the same key, and the timer completes.
  await handle.signal(resolveIncidentSignal, { resolution: 'recovered', by: 'incidentWorkflow' });
  const result: IncidentAckResult = await handle.result();
  expect(result.resolved).toMatchObject({ source: 'signal', resolution: 'recovered' });
  expect(receiver.delivered().map((r) => [r.body.event_action, r.body.dedup_key])).toEqual([
    ['trigger', status.dedupKey],
    ['resolve', status.dedupKey],
  ]);
  await recordHistory(handle, 'incident-ack-v4-escalated-resolved');
});

test('`drill incident-ack` as a child process acks the timer and writes one incident_ack line; a rerun adds nothing', async () => {
  const runId = uniqueId('run');
  const file = openIncident(runId, 'inc-cli');
  const handle = await start({ runId, incidentId: 'inc-cli', ackSlaSeconds: 900 });
  await eventually(() => handle.query(incidentAckStatusQuery), 'the timer to answer');

  const first = await drill(['incident-ack', '--run-id', runId, '--incident-id', 'inc-cli', '--ack-by', 'alice', '--notes', 'entries halted; reconciling']);
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  expect(first.stdout).toMatch(/incident inc-cli acknowledged by alice/);
  expect(first.stdout).toMatch(/SLA met/);

  const status = await handle.query(incidentAckStatusQuery);
  expect(status.state).toBe('acknowledged');
  expect(status.ack?.ackBy).toBe('alice');
  const afterFirst = lines(file);
  expect(afterFirst.map((l) => l.event_type)).toEqual(['incident_open', 'incident_ack']);
  expect(afterFirst[1]).toMatchObject({ incident_id: 'inc-cli', ack_by: 'alice', notes: 'entries halted; reconciling', sla_met: true });
  // Written by the timer's local activity, tagged with the timer, so its own watch skips it.
  expect(afterFirst[1]).toMatchObject({ source: 'drill-runner', timer_run_id: handle.firstExecutionRunId });

  const rerun = await drill(['incident-ack', '--run-id', runId, '--incident-id', 'inc-cli', '--ack-by', 'bob']);
  expect(rerun.code).toBe(0);
  expect(rerun.stdout).toMatch(/already acknowledged by alice/);
  expect(lines(file)).toEqual(afterFirst);

  // The UI finds it by its search attributes.
  await eventually(async () => {
    const found: string[] = [];
    for await (const wf of env.client.workflow.list({ query: `DrillRunId = '${runId}' AND DrillIncidentId = 'inc-cli' AND DrillState = 'acknowledged'` }))
      found.push(wf.workflowId);
    return found.length === 1 ? found : undefined;
  }, 'visibility to show the acknowledged incident');

  expect((await handle.query(incidentAckStatusQuery)).ackLine).toBe('written');
  // `ack-compact-start`: the start records one patch marker and tags the timer in one upsert of its
  // own (run, incident, state); the ack's upsert changes the state alone.
  const events = (await handle.fetchHistory()).events ?? [];
  expect(events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')).toHaveLength(1);
  const ours = events
    .map((e) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}).sort())
    .filter((keys) => keys.length > 0 && !keys.includes('TemporalChangeVersion'));
  expect(ours).toEqual([['DrillIncidentId', 'DrillRunId', 'DrillState'], ['DrillState']]);
  await handle.terminate('test done');
  await recordHistory(handle, 'incident-ack-v4-acknowledged');
});

test('a watch turned away by a full worker looks again as retries of one activity: no workflow task per look; a file ack is still found', async () => {
  const w = await extraWorker(pagingConfig, { maxWatchers: 0, busyRetryMinSeconds: 1, busyLooksPerSecond: 1000 });
  try {
    const runId = uniqueId('run');
    const file = openIncident(runId, 'inc-busy');
    const handle = await start({ runId, incidentId: 'inc-busy', ackSlaSeconds: 900 }, { taskQueue: w.taskQueue });
    // Looks once a second, each a retry of the same activity that fails with WatchBusy.
    const pending = await eventually(
      async () => {
        const d = await handle.describe();
        const a = d.raw.pendingActivities?.find((p) => p.activityType?.name === 'watchIncidentFile');
        return a && (a.attempt ?? 0) >= 4 ? a : undefined;
      },
      'four looks of the turned-away watch',
      30000,
    );
    expect(pending.lastFailure?.applicationFailureInfo?.type).toBe('WatchBusy');
    const before = (await handle.fetchHistory()).events ?? [];
    const count = (evs: typeof before, key: string) =>
      evs.filter((e) => (e as Record<string, unknown>)[key] !== undefined && (e as Record<string, unknown>)[key] !== null).length;
    expect(count(before, 'workflowTaskCompletedEventAttributes')).toBe(1);
    expect(count(before, 'activityTaskScheduledEventAttributes')).toBe(1);
    // A person acks in the file: the next look finds the line, and the timer is acknowledged from it.
    fs.appendFileSync(file, `${JSON.stringify({ ts: new Date().toISOString(), event_type: 'incident_ack', incident_id: 'inc-busy', ack_by: 'carol' })}\n`);
    const st = await eventually(
      async () => {
        const s = await handle.query(incidentAckStatusQuery);
        return s.state === 'acknowledged' ? s : undefined;
      },
      'the file ack to be found',
      30000,
    );
    expect(st.ack?.ackBy).toBe('carol');
    expect(st.ackLine).toBe('from-file');
    await handle.terminate('test done');
  } finally {
    await w.stop();
  }
});

test('bad input from the CLI: nothing written, clear message, non-zero exit', async () => {
  const runId = uniqueId('run');
  const file = openIncident(runId, 'inc-known');
  const before = fs.readFileSync(file, 'utf8');

  const unknown = await drill(['incident-ack', '--run-id', runId, '--incident-id', 'inc-nope', '--ack-by', 'alice']);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(/unknown incident inc-nope/);

  const missing = await drill(['incident-ack', '--run-id', runId, '--ack-by', 'alice']);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/required option '--incident-id <id>' not specified/);

  for (const bad of ['../escape', '', 'a/b', 'x'.repeat(200), '..']) {
    const r = await drill(['incident-ack', '--run-id', bad, '--incident-id', 'inc-known', '--ack-by', 'alice']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--run-id: run id (must not be empty|must be at most 128|may hold only)/);
  }
  const hostile: Array<[string[], RegExp]> = [
    [['--ack-by', '  '], /ackBy: ackBy must not be empty/],
    [['--ack-by', 'bell\u0007'], /ackBy: ackBy must be printable/],
    [['--ack-by', 'eve\u202egnp.exe'], /ackBy: ackBy must be printable/],
    [['--ack-by', 'x'.repeat(129)], /ackBy: ackBy must be at most 128 characters/],
    [['--ack-by', 'ok', '--notes', 'n'.repeat(2001)], /notes: notes must be at most 2000 characters/],
    [['--ack-by', 'ok', '--notes', 'esc\u001b[31m'], /notes: notes must be printable/],
  ];
  for (const [args, message] of hostile) {
    const r = await drill(['incident-ack', '--run-id', runId, '--incident-id', 'inc-known', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  }

  expect(fs.readFileSync(file, 'utf8')).toBe(before);
  expect(fs.readdirSync(resultsDir).sort()).toEqual(['runs']);
});

test('a timer with no worker to answer: recorded in the run file after --timeout, exit 3, saying so', async () => {
  const runId = uniqueId('run');
  const file = openIncident(runId, 'inc-noworker');
  const handle = await env.client.workflow.start('incidentAckWorkflow', {
    taskQueue: uniqueId('no-worker-tq'),
    workflowId: workflowIds.incidentAck(runId, 'inc-noworker'),
    args: [{ runId, incidentId: 'inc-noworker', severity: 'critical' } satisfies IncidentAckInput],
  });
  const r = await drill(['incident-ack', '--run-id', runId, '--incident-id', 'inc-noworker', '--ack-by', 'alice', '--timeout', '2']);
  expect(r.code).toBe(3);
  expect(r.stdout).toMatch(/incident inc-noworker acknowledged by alice/);
  expect(r.stdout).toMatch(/NOT confirmed by an ack timer: ack timer incident-ack~.*~inc-noworker did not answer within 2 s \(is a worker running/);
  expect(r.stdout).toMatch(/takes the ack from that file \(with this time\) before its next page/);
  const acks = lines(file).filter((l) => l.event_type === 'incident_ack');
  expect(acks).toEqual([expect.objectContaining({ ack_by: 'alice', source: 'drill incident-ack' })]);
  // The latency is a fact; the SLA verdict is the timer's (its SLA is not known here).
  expect(typeof acks[0]!.ack_latency_seconds).toBe('number');
  expect(acks[0]!.sla_met).toBeUndefined();
  expect(r.stdout).toMatch(/the SLA verdict is the timer's/);
  await handle.terminate('test done');
});

test('no timer running: the ack is recorded in the run file alone, once; exit 3 both times', async () => {
  const runId = uniqueId('run');
  const file = openIncident(runId, 'inc-file', new Date(Date.now() - 60_000).toISOString());
  const r = await drill(['incident-ack', '--run-id', runId, '--incident-id', 'inc-file', '--ack-by', 'erin', '--json']);
  expect(r.code).toBe(3);
  expect(JSON.parse(r.stdout)).toMatchObject({
    via: 'file',
    fileReason: 'no-timer',
    line: 'written',
    alreadyAcknowledged: false,
    ack: { ackBy: 'erin', source: 'run-file' },
  });
  const again = await drill(['incident-ack', '--run-id', runId, '--incident-id', 'inc-file', '--ack-by', 'erin']);
  expect(again.code).toBe(3);
  expect(again.stdout).toMatch(/was already acknowledged by erin.*no ack timer is running for it/);
  const acks = lines(file).filter((l) => l.event_type === 'incident_ack');
  expect(acks).toHaveLength(1);
  expect(acks[0]!.ack_latency_seconds as number).toBeGreaterThanOrEqual(60);
});

test('acknowledged through the update: the result records the SLA verdict', async () => {
  const runId = uniqueId('run');
  openIncident(runId, 'inc-upd');
  const handle = await start({ runId, incidentId: 'inc-upd', ackSlaSeconds: 600, keepOpenAfterAckSeconds: 0 });
  const r = await drill(['incident-ack', '--run-id', runId, '--incident-id', 'inc-upd', '--ack-by', 'frank']);
  expect(r.code).toBe(0);
  const result: IncidentAckResult = await handle.result();
  expect(result).toMatchObject({ runId, incidentId: 'inc-upd', slaMet: true, pages: [] });
  expect(result.ack?.ackBy).toBe('frank');
});

test('the pair that used to collide: acking (coll-x, y) leaves (coll, x-y) escalating and paging', async () => {
  const p = uniqueId('coll');
  const a = { runId: `${p}-x`, incidentId: 'y' };
  const b = { runId: p, incidentId: 'x-y' };
  openIncident(a.runId, a.incidentId);
  openIncident(b.runId, b.incidentId);
  const ha = await start({ ...a, ackSlaSeconds: 4 });
  const hb = await start({ ...b, ackSlaSeconds: 4 });
  expect(ha.workflowId).not.toBe(hb.workflowId);
  const r = await drill(['incident-ack', '--run-id', a.runId, '--incident-id', a.incidentId, '--ack-by', 'alice']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`Ack timer ${ha.workflowId}: acknowledged`);
  const sb = await pagesSettled(hb, 1);
  expect(sb.state).toBe('escalated');
  expect(sb.pages[0]!.outcome).toBe('delivered');
  expect(triggers(receiver, b.runId, b.incidentId).filter((q) => q.status < 300)).toHaveLength(1);
  expect(triggers(receiver, a.runId, a.incidentId)).toHaveLength(0);
  expect((await ha.query(incidentAckStatusQuery)).state).toBe('acknowledged');
  // Each run file got its own line only.
  expect(lines(path.join(runsDir, a.runId, 'incident_events.jsonl')).map((l) => l.event_type)).toEqual(['incident_open', 'incident_ack']);
  expect(lines(path.join(runsDir, b.runId, 'incident_events.jsonl')).map((l) => l.event_type)).toEqual(['incident_open']);
  await Promise.all([ha.terminate('test done'), hb.terminate('test done')]);
});

test('a timer started like the Web UI form (any workflow id) is found and acked by the CLI; two matches are reported, not guessed', async () => {
  const runId = uniqueId('run');
  const file = openIncident(runId, 'inc-ui');
  const ui = await start({ runId, incidentId: 'inc-ui' }, { workflowId: uniqueId('my ui timer') });
  // The workflow tags itself with its search attributes on its first task.
  const found = await eventually(async () => {
    const r = await drill(['ack-timer', 'status', '--run-id', runId, '--incident-id', 'inc-ui']);
    return r.code === 0 ? r : undefined;
  }, 'the CLI to find the UI-started timer');
  expect(JSON.parse(found.stdout)).toMatchObject({ workflowId: ui.workflowId, runId, incidentId: 'inc-ui', state: 'open' });

  // A second timer for the same incident (another UI start): the CLI refuses to guess.
  const twin = await start({ runId, incidentId: 'inc-ui' }, { workflowId: uniqueId('another ui timer') });
  const ambiguous = await eventually(async () => {
    const r = await drill(['incident-ack', '--run-id', runId, '--incident-id', 'inc-ui', '--ack-by', 'alice']);
    return r.code === 2 ? r : undefined;
  }, 'the second timer to be visible');
  expect(ambiguous.stderr).toMatch(/2 ack timers for incident inc-ui of run .* match: /);
  expect(ambiguous.stderr).toContain(ui.workflowId);
  expect(ambiguous.stderr).toContain(twin.workflowId);
  expect(ambiguous.stderr).toMatch(/Pass --workflow-id/);
  expect(lines(file).map((l) => l.event_type)).toEqual(['incident_open']);
  const status2 = await drill(['ack-timer', 'status', '--run-id', runId, '--incident-id', 'inc-ui']);
  expect(status2.code).toBe(2);

  await twin.terminate('operator: duplicate timer');
  const acked = await eventually(async () => {
    const r = await drill(['incident-ack', '--run-id', runId, '--incident-id', 'inc-ui', '--ack-by', 'alice', '--json']);
    return r.code === 0 ? r : undefined;
  }, 'the CLI to ack the one running timer');
  expect(JSON.parse(acked.stdout)).toMatchObject({ via: 'timer', workflowId: ui.workflowId, ack: { ackBy: 'alice', source: 'update' }, line: 'present' });
  expect((await ui.query(incidentAckStatusQuery)).state).toBe('acknowledged');
  expect(lines(file).map((l) => l.event_type)).toEqual(['incident_open', 'incident_ack']);
  // Resolved by an operator through the CLI (found the same way): the timer completes.
  const resolved = await drill(['ack-timer', 'resolve', '--run-id', runId, '--incident-id', 'inc-ui', '--resolution', 'recovered', '--by', 'alice']);
  expect(resolved.code).toBe(0);
  expect(resolved.stdout).toContain(`resolve sent to ack timer ${ui.workflowId}`);
  const result: IncidentAckResult = await ui.result();
  expect(result).toMatchObject({ ack: { ackBy: 'alice' }, resolved: { source: 'signal', resolution: 'recovered', by: 'alice' } });
});

test('receiver failing while the ack lands: zero pages after the ack', async () => {
  const runId = uniqueId('run');
  openIncident(runId, 'inc-flaky');
  receiver.failNext(1000, 503);
  try {
    const handle = await start({ runId, incidentId: 'inc-flaky', ackSlaSeconds: 1 });
    // Deliveries are failing and being retried.
    await eventually(() => (triggers(receiver, runId, 'inc-flaky').length >= 2 ? true : undefined), 'two failed attempts', 30000);
    const r = await drill(['incident-ack', '--run-id', runId, '--incident-id', 'inc-flaky', '--ack-by', 'alice']);
    const ackReturnedAt = Date.now();
    expect(r.code).toBe(0);
    // The receiver comes back: nothing of the retried page may reach it now.
    receiver.failNext(0);
    await new Promise((res) => setTimeout(res, 6000));
    const t = triggers(receiver, runId, 'inc-flaky');
    expect(t.filter((q) => q.at > ackReturnedAt)).toEqual([]);
    expect(t.filter((q) => q.status < 300)).toEqual([]);
    const status = await handle.query(incidentAckStatusQuery);
    expect(status.pages.map((p) => p.outcome)).toEqual(['cancelled']);
    // The attempt may have reached the receiver before the ack: it is told of the ack.
    expect(receiver.requests.filter((q) => q.body.run_id === runId && q.body.event_action === 'acknowledge' && q.status < 300)).toHaveLength(1);
    await handle.terminate('test done');
  } finally {
    receiver.failNext(0);
  }
});

test("level 2 pages on its own schedule while level 1's receiver is down (a route per level)", async () => {
  const [r1, r2] = await Promise.all([startWebhookReceiver(), startWebhookReceiver()]);
  const w = await extraWorker({
    enabled: true,
    webhookUrl: r1.url,
    minSeverity: 'critical',
    format: 'json',
    timeoutMs: 2000,
    levels: { 2: { webhookUrl: r2.url } },
  });
  try {
    r1.failNext(1000, 503);
    const runId = uniqueId('run');
    const handle = await start(
      {
        runId,
        incidentId: 'inc-l2',
        escalation: {
          levels: [
            { name: 'primary', afterSeconds: 2 },
            { name: 'secondary', afterSeconds: 3 },
          ],
        },
      },
      { taskQueue: w.taskQueue },
    );
    const opened = Date.parse((await handle.query(incidentAckStatusQuery)).openedAt);
    const [l2] = await r2.waitForDelivered(1, 20000);
    expect(l2!.body).toMatchObject({ event_action: 'trigger', level: 2, level_name: 'secondary', run_id: runId });
    // On time: 5 s after opening, not behind level 1's failing retries.
    expect(l2!.at - opened).toBeGreaterThanOrEqual(5000);
    expect(l2!.at - opened).toBeLessThan(7500);
    expect(r1.delivered()).toHaveLength(0);
    expect(r1.requests.length).toBeGreaterThanOrEqual(2);
    // The receiver answers before the worker reports the page activity's result and the timer records
    // it: wait for level 2's page to leave `pending`, then check what it became.
    const status = await eventually(async () => {
      const s = await handle.query(incidentAckStatusQuery);
      return s.pages[1] && s.pages[1].outcome !== 'pending' ? s : undefined;
    }, "level 2's page to be recorded");
    expect(status.pages.map((p) => [p.level, p.outcome])).toEqual([
      [1, 'pending'],
      [2, 'delivered'],
    ]);
    expect(status.pages[1]!.routes).toEqual(['level-2']);
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ ackBy: 'bob' }] });
    expect((await handle.query(incidentAckStatusQuery)).pages.map((p) => p.outcome)).toEqual(['cancelled', 'delivered']);
    const acked = await r2.waitForDelivered(2, 20000);
    expect(acked[1]!.body).toMatchObject({ event_action: 'acknowledge', ack_by: 'bob' });
    r1.failNext(0);
    await new Promise((res) => setTimeout(res, 3000));
    expect(r1.delivered().filter((q) => q.body.event_action === 'trigger')).toEqual([]);
    await handle.terminate('test done');
  } finally {
    await w.stop();
    await Promise.all([r1.close(), r2.close()]);
  }
});

test('PagerDuty format: trigger → acknowledge → resolve under one dedup key of at most 255 characters for 128-character ids', async () => {
  const pd = await startWebhookReceiver();
  const w = await extraWorker({
    enabled: true,
    webhookUrl: pd.url,
    minSeverity: 'critical',
    format: 'pagerduty',
    routingKey: 'R0UTING-KEY-1',
    timeoutMs: 2000,
  });
  try {
    const runId = `r${uniqueId('').replace(/[^A-Za-z0-9_.:-]/g, '')}`.padEnd(128, 'r');
    const incidentId = 'i'.repeat(128);
    expect([runId.length, incidentId.length]).toEqual([128, 128]);
    const handle = await start({ runId, incidentId, ackSlaSeconds: 1 }, { taskQueue: w.taskQueue });
    const [trigger] = await pd.waitForDelivered(1);
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ ackBy: 'carol', notes: 'looking' }] });
    await pd.waitForDelivered(2);
    await handle.signal(resolveIncidentSignal, { resolution: 'recovered' });
    await handle.result();
    const events = pd.delivered();
    expect(events.map((e) => e.body.event_action)).toEqual(['trigger', 'acknowledge', 'resolve']);
    const keys = new Set(events.map((e) => e.body.dedup_key as string));
    expect(keys.size).toBe(1);
    const key = [...keys][0]!;
    expect(key.length).toBeLessThanOrEqual(255);
    expect(key).toBe((await handle.query(incidentAckStatusQuery)).dedupKey);
    expect(events.every((e) => e.body.routing_key === 'R0UTING-KEY-1')).toBe(true);
    expect(trigger!.body).toMatchObject({
      payload: { class: 'incident_ack_sla', severity: 'critical', custom_details: { level: 1, incident_id: incidentId } },
    });
    expect(pd.requests).toHaveLength(3);
  } finally {
    await w.stop();
    await pd.close();
  }
});
