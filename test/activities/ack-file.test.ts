/**
 * The run file as an ack source, against real files: the watch activity long-polls and returns when
 * this incident's ack appears (reads start at its cursor), the per-process cap, and the keyed
 * incident log whose appends read only what was written since the last one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { busyRetrySeconds, createAckFileActivities, type WatchIncidentFileResult } from '../../src/activities/ack-file';
import { makeAckRecord } from '../../src/domain/incident-ack';
import { activeFilePollers } from '../../src/io/incident-file-watch';
import { appendIncidentEventOnce, forgetIncidentIndexes, incidentFromLog } from '../../src/io/incident-log';
import { appendIncidentAck } from '../../src/io/run-artifacts';
import * as tail from '../../src/io/tail';

let runsDir: string;
beforeEach(() => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ack-file-'));
  forgetIncidentIndexes();
});
afterEach(() => {
  fs.rmSync(runsDir, { recursive: true, force: true });
  jest.restoreAllMocks();
});

function runFile(runId = 'run-1'): string {
  fs.mkdirSync(path.join(runsDir, runId), { recursive: true });
  return path.join(runsDir, runId, 'incident_events.jsonl');
}
const line = (o: object) => `${JSON.stringify(o)}\n`;

test("the watch holds until this incident's ack is appended, returns it with the cursor after it; the next watch reads only new bytes", async () => {
  const file = runFile();
  fs.writeFileSync(file, line({ ts: '2026-11-25T03:00:00Z', event_type: 'incident_open', incident_id: 'inc-1' }));
  const acts = createAckFileActivities(runsDir, { pollMs: 50 });
  const started = Date.now();
  const watching = new MockActivityEnvironment().run(acts.watchIncidentFile, {
    runId: 'run-1',
    incidentId: 'inc-1',
    holdSeconds: 30,
  }) as Promise<WatchIncidentFileResult>;
  await new Promise((r) => setTimeout(r, 300));
  fs.appendFileSync(file, line({ ts: '2026-11-25T03:05:00Z', event_type: 'incident_ack', incident_id: 'other', ack_by: 'x' }));
  await new Promise((r) => setTimeout(r, 200));
  fs.appendFileSync(file, line({ ts: '2026-11-25T03:06:00Z', event_type: 'incident_ack', incident_id: 'inc-1', ack_by: 'alice' }));
  const r = await watching;
  expect(Date.now() - started).toBeLessThan(5000);
  expect(r.hit).toEqual({ kind: 'ack', line: { ts: '2026-11-25T03:06:00Z', event_type: 'incident_ack', incident_id: 'inc-1', ack_by: 'alice' } });
  expect(r.cursor!.offset).toBe(fs.statSync(file).size);
  expect(activeFilePollers()).toBe(0);

  // Later: a big file written by others; the next watch starts at the cursor and looks once.
  const filler = Array.from({ length: 2000 }, (_, i) => line({ ts: '2026-11-25T04:00:00Z', event_type: 'incident_open', incident_id: `n-${i}` })).join('');
  fs.appendFileSync(file, filler);
  const again = (await new MockActivityEnvironment().run(acts.watchIncidentFile, {
    runId: 'run-1',
    incidentId: 'inc-1',
    cursor: r.cursor,
    holdSeconds: 0,
    want: ['resolved' as const],
  })) as WatchIncidentFileResult;
  expect(again.hit).toBeUndefined();
  expect(again.bytesRead).toBe(Buffer.byteLength(filler));
});

test("a timer's own ack line (timer_run_id) does not end its watch; another timer's or a person's does", async () => {
  const file = runFile();
  fs.writeFileSync(file, line({ ts: '2026-11-25T03:00:00Z', event_type: 'incident_open', incident_id: 'inc-1' }));
  const acts = createAckFileActivities(runsDir, { pollMs: 50 });
  const watching = new MockActivityEnvironment().run(acts.watchIncidentFile, {
    runId: 'run-1',
    incidentId: 'inc-1',
    holdSeconds: 30,
    skipAckOfTimer: 'run-a',
  }) as Promise<WatchIncidentFileResult>;
  let settled = false;
  void watching.then(() => (settled = true));
  await new Promise((r) => setTimeout(r, 200));
  const own = { ts: '2026-11-25T03:05:00Z', event_type: 'incident_ack', incident_id: 'inc-1', ack_by: 'alice', source: 'drill-runner', timer_run_id: 'run-a' };
  fs.appendFileSync(file, line(own));
  await new Promise((r) => setTimeout(r, 400));
  expect(settled).toBe(false);
  const other = { ts: '2026-11-25T03:06:00Z', event_type: 'incident_ack', incident_id: 'inc-1', ack_by: 'bob', source: 'drill-runner', timer_run_id: 'run-b' };
  fs.appendFileSync(file, line(other));
  const r = await watching;
  expect(r.hit).toEqual({ kind: 'ack', line: other });
  // Without the tag to skip (an older timer's watch, the check before a page) the own line counts.
  const plain = (await new MockActivityEnvironment().run(acts.watchIncidentFile, {
    runId: 'run-1',
    incidentId: 'inc-1',
    holdSeconds: 0,
  })) as WatchIncidentFileResult;
  expect(plain.hit).toEqual({ kind: 'ack', line: own });
  expect(activeFilePollers()).toBe(0);
});

test('a missing run file is waited for; a cancelled watch stops at once and leaves no poller behind', async () => {
  const acts = createAckFileActivities(runsDir, { pollMs: 50 });
  const env = new MockActivityEnvironment();
  const watching = env.run(acts.watchIncidentFile, { runId: 'run-2', incidentId: 'inc-1', holdSeconds: 30 }).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 200));
  env.cancel();
  expect(await watching).toBeInstanceOf(CancelledFailure);
  expect(activeFilePollers()).toBe(0);
});

/** A turned-away watch: its `WatchBusy` failure, the delay it asks for, and the cursor it heartbeated. */
async function turnedAway(acts: ReturnType<typeof createAckFileActivities>, incidentId: string) {
  const env = new MockActivityEnvironment();
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  const err = await env.run(acts.watchIncidentFile, { runId: 'run-1', incidentId, holdSeconds: 30 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  const f = err as ApplicationFailure;
  expect(f.type).toBe('WatchBusy');
  expect(f.nonRetryable).toBe(false);
  expect(f.category).toBe('BENIGN');
  return { seconds: Number(f.nextRetryDelay) / 1000, message: f.message, beats };
}

test('beyond the per-process cap a watch looks once and fails retryably with when to look again (slots stay free for pages)', async () => {
  const file = runFile();
  fs.writeFileSync(file, line({ ts: '2026-11-25T03:00:00Z', event_type: 'incident_open', incident_id: 'b' }));
  const acts = createAckFileActivities(runsDir, { maxWatchers: 1, pollMs: 50 });
  const env = new MockActivityEnvironment();
  const holding = env.run(acts.watchIncidentFile, { runId: 'run-1', incidentId: 'a', holdSeconds: 30 }).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 100));
  const busy = await turnedAway(acts, 'b');
  // The server retries the same activity after this delay: no workflow task per look.
  expect(busy.seconds).toBeGreaterThanOrEqual(54);
  expect(busy.seconds).toBeLessThanOrEqual(60);
  expect(busy.message).toMatch(/turned away: 1 of 1 watches hold/);
  // The retry resumes after what this look read.
  expect(busy.beats).toEqual([{ cursor: expect.objectContaining({ offset: fs.statSync(file).size }) }]);
  env.cancel();
  await holding;
});

test('the more timers are turned away, the longer they pause: their looks stay within the budget', async () => {
  runFile();
  const acts = createAckFileActivities(runsDir, { maxWatchers: 0, busyLooksPerSecond: 5 });
  let last: { seconds: number } | undefined;
  for (let n = 0; n < 2000; n++) last = await turnedAway(acts, `i-${n}`);
  // 2,000 timers at 5 looks a second: 400 s each (less up to a tenth of jitter).
  expect(last!.seconds).toBeGreaterThanOrEqual(360);
  expect(last!.seconds).toBeLessThanOrEqual(400);
  // The same timer again is not counted twice.
  const again = await turnedAway(acts, 'i-0');
  expect(again.seconds).toBeLessThanOrEqual(400);
});

test('busyRetrySeconds: one to thirty minutes, by timers over the budget', () => {
  expect(busyRetrySeconds(1, 5, 0)).toBe(60);
  expect(busyRetrySeconds(1000, 5, 0)).toBe(200);
  expect(busyRetrySeconds(1000, 5, 1)).toBe(180);
  expect(busyRetrySeconds(10_000, 5, 0)).toBe(1800);
  expect(busyRetrySeconds(1_000_000, 5, 0.5)).toBe(1710);
});

test('a retried watch resumes from its last heartbeat, not from the top of the file', async () => {
  const file = runFile();
  fs.writeFileSync(file, line({ ts: '2026-11-25T03:06:00Z', event_type: 'incident_ack', incident_id: 'inc-1', ack_by: 'old' }));
  const size = fs.statSync(file).size;
  const acts = createAckFileActivities(runsDir);
  const env = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { cursor: { offset: size, size } } });
  const r = (await env.run(acts.watchIncidentFile, { runId: 'run-1', incidentId: 'inc-1', holdSeconds: 0 })) as WatchIncidentFileResult;
  expect(r.hit).toBeUndefined();
  expect(r.bytesRead).toBe(0);
});

describe('incident log: one incident_ack per incident, appends that read only what is new', () => {
  const ack = makeAckRecord({ ackBy: 'alice' }, Date.parse('2026-11-25T03:00:00Z'), Date.parse('2026-11-25T03:05:00Z'), 900);

  test('the second append of an ack finds the first; lines written by others in between are read, once', async () => {
    const file = runFile();
    fs.writeFileSync(file, line({ ts: '2026-11-25T03:00:00Z', event_type: 'incident_open', incident_id: 'inc-1' }));
    const readNew = jest.spyOn(tail, 'readNew');
    expect((await appendIncidentAck(runsDir, { runId: 'run-1', incidentId: 'inc-1', ack, source: 't' })).appended).toBe(true);
    // Someone else (the runbook's script) acks another incident.
    fs.appendFileSync(file, line({ ts: '2026-11-25T03:07:00Z', event_type: 'incident_ack', incident_id: 'inc-2', ack_by: 'bob' }));
    const again = await appendIncidentAck(runsDir, { runId: 'run-1', incidentId: 'inc-1', ack: { ...ack, ackBy: 'carol' }, source: 't' });
    expect(again).toMatchObject({ appended: false, existing: { ack_by: 'alice' } });
    const other = await appendIncidentAck(runsDir, { runId: 'run-1', incidentId: 'inc-2', ack, source: 't' });
    expect(other).toMatchObject({ appended: false, existing: { ack_by: 'bob' } });
    const acks = fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event_type: string })
      .filter((l) => l.event_type === 'incident_ack');
    expect(acks).toHaveLength(2);
    // Each refresh started where the previous one ended.
    const starts = readNew.mock.calls.map((c) => c[1]?.offset ?? 0);
    expect(starts[0]).toBe(0);
    expect(starts.slice(1).every((o) => o > 0)).toBe(true);
  });

  test('a file replaced (rotated) or truncated is read again from the top', async () => {
    const file = runFile();
    await appendIncidentEventOnce(file, { ts: '2026-11-25T03:00:00Z', event_type: 'incident_ack', incident_id: 'inc-1', ack_by: 'alice' });
    fs.rmSync(file);
    fs.writeFileSync(file, line({ ts: '2026-11-25T03:00:00Z', event_type: 'incident_open', incident_id: 'inc-1' }));
    expect(await incidentFromLog(file, 'inc-1')).toEqual({ incidentId: 'inc-1', openedAt: '2026-11-25T03:00:00Z', severity: 'critical' });
    expect(
      (await appendIncidentEventOnce(file, { ts: '2026-11-25T03:09:00Z', event_type: 'incident_ack', incident_id: 'inc-1', ack_by: 'bob' })).appended,
    ).toBe(true);
    fs.truncateSync(file, 0);
    expect(await incidentFromLog(file, 'inc-1')).toBeUndefined();
  });

  test('a last line without its newline (a writer that died mid-line) is not glued to ours', async () => {
    const file = runFile();
    fs.writeFileSync(file, `${line({ ts: '2026-11-25T03:00:00Z', event_type: 'incident_open', incident_id: 'inc-1' })}{"ts":"2026-11-25T03:0`);
    expect(
      (await appendIncidentEventOnce(file, { ts: '2026-11-25T03:09:00Z', event_type: 'incident_ack', incident_id: 'inc-1', ack_by: 'bob' })).appended,
    ).toBe(true);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(JSON.parse(lines[2]!)).toMatchObject({ event_type: 'incident_ack', ack_by: 'bob' });
  });
});
