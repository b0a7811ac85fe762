/**
 * The ack timer's paging activities against real HTTP receivers on loopback (MockActivityEnvironment
 * for one activity): Basic auth from a credentials URL, the run-file check before a trigger, an ack
 * (cancellation) aborting a POST in flight, lifecycle events in every format, routes per level.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createPagingActivities, requestTarget, type IncidentLifecycleInput, type IncidentTriggerInput } from '../../src/activities/paging';
import type { PagingConfig } from '../../src/config';
import { incidentDedupKey } from '../../src/domain/paging';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

let receiver: WebhookReceiver;
let runsDir: string;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paging-lc-'));
});
afterAll(async () => {
  await receiver.close();
  fs.rmSync(runsDir, { recursive: true, force: true });
});
beforeEach(() => {
  receiver.requests.length = 0;
});

function config(o: Partial<PagingConfig> = {}): PagingConfig {
  return { enabled: true, webhookUrl: receiver.url, minSeverity: 'critical', format: 'json', timeoutMs: 2000, ...o };
}

const trigger: IncidentTriggerInput = {
  kind: 'incident_ack_sla',
  runId: 'paper-1',
  incidentId: 'inc-7',
  severity: 'critical',
  level: 1,
  round: 0,
  openedAt: '2026-11-25T03:00:00.000Z',
  dedupKey: incidentDedupKey('paper-1', 'inc-7'),
};

const lifecycle = (action: 'acknowledge' | 'resolve', levels = [1]): IncidentLifecycleInput => ({
  action,
  kind: 'incident_ack_sla',
  runId: 'paper-1',
  incidentId: 'inc-7',
  severity: 'critical',
  levels,
  openedAt: '2026-11-25T03:00:00.000Z',
  dedupKey: incidentDedupKey('paper-1', 'inc-7'),
  at: '2026-11-25T03:20:00.000Z',
  ...(action === 'acknowledge' ? { ackBy: 'alice' } : {}),
});

test('a webhook URL with user:password@ pages with Basic auth; the credentials never travel in the URL', async () => {
  const withCredentials = receiver.url.replace('http://', 'http://pager%40ops:p%3Ass%20word@');
  expect(requestTarget(withCredentials).url).toBe(receiver.url);
  const r = await new MockActivityEnvironment().run(createPagingActivities(config({ webhookUrl: withCredentials })).deliverIncidentPage, trigger);
  expect(r).toMatchObject({ outcome: 'delivered', routes: ['default'] });
  const got = receiver.requests[0]!;
  expect(got.headers.authorization).toBe(`Basic ${Buffer.from('pager@ops:p:ss word').toString('base64')}`);
  expect(got.body).toMatchObject({ event_action: 'trigger', class: 'incident_ack_sla', dedup_key: 'drill-runner/paper-1/inc-7' });
});

test('an incident already acknowledged in the run file (after the cursor) is not paged', async () => {
  const dir = path.join(runsDir, 'paper-1');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'incident_events.jsonl');
  const open = `${JSON.stringify({ ts: '2026-11-25T03:00:00Z', event_type: 'incident_open', incident_id: 'inc-7' })}\n`;
  fs.writeFileSync(file, open);
  const cursor = { offset: Buffer.byteLength(open) };
  fs.appendFileSync(file, `${JSON.stringify({ ts: '2026-11-25T03:10:00Z', event_type: 'incident_ack', incident_id: 'inc-other', ack_by: 'x' })}\n`);
  const acts = createPagingActivities(config(), runsDir);
  expect(await new MockActivityEnvironment().run(acts.deliverIncidentPage, { ...trigger, fileCursor: cursor })).toMatchObject({ outcome: 'delivered' });
  fs.appendFileSync(file, `${JSON.stringify({ ts: '2026-11-25T03:12:00Z', event_type: 'incident_ack', incident_id: 'inc-7', ack_by: 'bob' })}\n`);
  const r = await new MockActivityEnvironment().run(acts.deliverIncidentPage, { ...trigger, fileCursor: cursor });
  expect(r).toMatchObject({ outcome: 'suppressed', hit: { kind: 'ack', line: { ack_by: 'bob' } } });
  // After the ack, only a resolution suppresses (the resolve-SLA escalation).
  const rs = await new MockActivityEnvironment().run(acts.deliverIncidentPage, {
    ...trigger,
    kind: 'incident_resolve_sla' as const,
    fileCursor: cursor,
    suppressOn: ['resolved' as const],
  });
  expect(rs).toMatchObject({ outcome: 'delivered' });
  expect(receiver.requests).toHaveLength(2);
});

test('a page delivered by an attempt whose worker died is reported delivered on the retry, even after an ack in the run file, and not sent again', async () => {
  const runId = 'paper-retry';
  const dir = path.join(runsDir, runId);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'incident_events.jsonl');
  const open = `${JSON.stringify({ ts: '2026-11-25T03:00:00Z', event_type: 'incident_open', incident_id: 'inc-9' })}\n`;
  fs.writeFileSync(file, open);
  const input = { ...trigger, runId, incidentId: 'inc-9', dedupKey: incidentDedupKey(runId, 'inc-9'), fileCursor: { offset: Buffer.byteLength(open) } };
  const opsDir = path.join(runsDir, 'ops-retry');
  // The first attempt delivers (its answer never reaches the server: the worker dies).
  expect(await new MockActivityEnvironment().run(createPagingActivities(config(), runsDir, opsDir).deliverIncidentPage, input)).toMatchObject({
    outcome: 'delivered',
    routes: ['default'],
    status: 202,
  });
  // The operator acks meanwhile; the retry runs on another worker sharing the state folder.
  fs.appendFileSync(file, `${JSON.stringify({ ts: '2026-11-25T03:12:00Z', event_type: 'incident_ack', incident_id: 'inc-9', ack_by: 'bob' })}\n`);
  const retry = await new MockActivityEnvironment().run(createPagingActivities(config(), runsDir, opsDir).deliverIncidentPage, input);
  expect(retry).toMatchObject({ outcome: 'delivered', routes: ['default'], status: 202 });
  expect(receiver.requests.filter((r) => r.body.incident_id === 'inc-9')).toHaveLength(1);
  // Without that record (a page never delivered), the same ack suppresses it.
  const fresh = await new MockActivityEnvironment().run(createPagingActivities(config(), runsDir, path.join(runsDir, 'ops-fresh')).deliverIncidentPage, input);
  expect(fresh).toMatchObject({ outcome: 'suppressed' });
  expect(receiver.requests.filter((r) => r.body.incident_id === 'inc-9')).toHaveLength(1);
});

test('an ack (the activity cancelled) aborts a POST in flight: it ends cancelled, not delivered', async () => {
  let answered = false;
  const slow = http.createServer((req, res) => {
    req.resume();
    const t = setTimeout(() => {
      answered = true;
      res.writeHead(202).end();
    }, 5000);
    res.on('close', () => clearTimeout(t));
  });
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
  try {
    const env = new MockActivityEnvironment();
    const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/hook`;
    const started = Date.now();
    const run = env.run(createPagingActivities(config({ webhookUrl: url, timeoutMs: 10000 })).deliverIncidentPage, trigger).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 300));
    env.cancel();
    const err = await run;
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(answered).toBe(false);
  } finally {
    slow.closeAllConnections();
    await new Promise<void>((r) => slow.close(() => r()));
  }
});

test.each([
  [
    'json',
    (b: Record<string, unknown>) =>
      expect(b).toMatchObject({ type: 'incident_acknowledged', event_action: 'acknowledge', ack_by: 'alice', dedup_key: 'drill-runner/paper-1/inc-7' }),
  ],
  ['pagerduty', (b: Record<string, unknown>) => expect(b).toEqual({ routing_key: 'RK', event_action: 'acknowledge', dedup_key: 'drill-runner/paper-1/inc-7' })],
  ['slack', (b: Record<string, unknown>) => expect(b.text).toBe(':eyes: Incident inc-7 (run paper-1) acknowledged by alice')],
] as const)('acknowledge in the %s format', async (format, check) => {
  const r = await new MockActivityEnvironment().run(
    createPagingActivities(config({ format, routingKey: 'RK' })).sendIncidentPageEvent,
    lifecycle('acknowledge'),
  );
  expect(r).toEqual({ outcome: 'delivered', routes: ['default'] });
  check(receiver.requests[0]!.body);
  expect(receiver.requests[0]!.headers['idempotency-key']).toBe('drill-runner/paper-1/inc-7#acknowledge');
});

test('slack trigger: a readable text with the level and class, mrkdwn escaped', async () => {
  await new MockActivityEnvironment().run(createPagingActivities(config({ format: 'slack' })).deliverIncidentPage, {
    ...trigger,
    summary: 'fills <stale> & drifting',
  });
  const body = receiver.requests[0]!.body as { text: string; blocks: Array<{ type: string; elements?: Array<{ text: string }> }> };
  expect(body.text).toBe(':rotating_light: fills &lt;stale&gt; &amp; drifting');
  expect(body.blocks[1]!.elements![0]!.text).toMatch(/\*level\* 1 .*\*class\* incident_ack_sla/);
});

test('lifecycle events go once to each distinct route; a failing route does not hold back the others, and a retry resends only what failed', async () => {
  const other = await startWebhookReceiver();
  try {
    other.failNext(1, 503);
    const cfg = config({ levels: { 2: { webhookUrl: other.url }, 3: { webhookUrl: other.url } } });
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const err = await env.run(createPagingActivities(cfg).sendIncidentPageEvent, lifecycle('resolve', [1, 2, 3])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(false);
    expect(receiver.requests.map((r) => r.body.event_action)).toEqual(['resolve']);
    expect(beats.at(-1)).toEqual({ done: ['default'] });
    // The retry (heartbeat details carried over) sends to level-2's route only.
    const retry = new MockActivityEnvironment({ heartbeatDetails: beats.at(-1), attempt: 2 });
    const r = await retry.run(createPagingActivities(cfg).sendIncidentPageEvent, lifecycle('resolve', [1, 2, 3]));
    expect(r).toEqual({ outcome: 'delivered', routes: ['default', 'level-2'] });
    expect(receiver.requests).toHaveLength(1);
    expect(other.delivered()).toHaveLength(1);
  } finally {
    await other.close();
  }
});

test('legacy single pages: class follows the kind (failed drills are not incident_ack_sla); keys longer than 255 are bounded', async () => {
  const acts = createPagingActivities(config({ format: 'pagerduty', routingKey: 'RK' }));
  const long = `recovery-${'r'.repeat(128)}-${'i'.repeat(128)}-1`;
  await new MockActivityEnvironment().run(acts.pageEscalation, {
    runId: 'paper-1',
    incidentId: 'drill-d1',
    severity: 'critical' as const,
    level: 1,
    round: 0,
    levelName: 'dr-drill',
    openedAt: '2026-11-25T03:00:00Z',
    dedupKey: 'drill:d1',
  });
  await new MockActivityEnvironment().run(acts.pageEscalation, {
    runId: 'paper-1',
    incidentId: 'inc-7',
    severity: 'critical' as const,
    level: 1,
    round: 0,
    levelName: 'recovery-max-wait',
    openedAt: '2026-11-25T03:00:00Z',
    dedupKey: long,
  });
  const [drill, recovery] = receiver.requests.map((r) => r.body as { dedup_key: string; payload: { class: string } });
  expect(drill!.payload.class).toBe('dr_drill_failed');
  expect(recovery!.payload.class).toBe('recovery_max_wait');
  expect(recovery!.dedup_key.length).toBeLessThanOrEqual(255);
  expect(recovery!.dedup_key.startsWith('recovery-rrrr')).toBe(true);
});
