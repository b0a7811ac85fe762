/** The paging adapter against a real HTTP receiver on loopback (one activity: MockActivityEnvironment). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createPagingActivities } from '../../src/activities/paging';
import type { PagingConfig } from '../../src/config';
import type { PageOutcome, PageRequest } from '../../src/domain/paging';
import { createLogger } from '../../src/logger';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
afterAll(() => receiver.close());
beforeEach(() => {
  receiver.requests.length = 0;
});

const request: PageRequest = {
  runId: 'paper-1',
  incidentId: 'inc-7',
  severity: 'critical',
  level: 2,
  round: 0,
  levelName: 'secondary',
  openedAt: '2026-11-25T03:00:00.000Z',
  dedupKey: 'drill-runner/paper-1/inc-7/L2/R0',
};

function config(o: Partial<PagingConfig> = {}): PagingConfig {
  return { enabled: true, webhookUrl: receiver.url, minSeverity: 'critical', format: 'json', timeoutMs: 2000, ...o };
}

async function page(cfg: PagingConfig, req: PageRequest = request): Promise<PageOutcome> {
  return (await new MockActivityEnvironment().run(createPagingActivities(cfg).pageEscalation, req)) as PageOutcome;
}

test('plain JSON page with the dedup key in body and header', async () => {
  const r = await page(config());
  expect(r).toEqual({ outcome: 'delivered', dedupKey: request.dedupKey, status: 202 });
  expect(receiver.requests).toHaveLength(1);
  const got = receiver.requests[0]!;
  expect(got.headers['idempotency-key']).toBe(request.dedupKey);
  expect(got.body).toMatchObject({
    source: 'drill-runner',
    dedup_key: request.dedupKey,
    run_id: 'paper-1',
    incident_id: 'inc-7',
    level: 2,
    level_name: 'secondary',
  });
});

test('PagerDuty Events API v2 format', async () => {
  await page(config({ format: 'pagerduty', routingKey: 'R0UTING-KEY' }));
  expect(receiver.requests[0]!.body).toMatchObject({
    routing_key: 'R0UTING-KEY',
    event_action: 'trigger',
    dedup_key: request.dedupKey,
    payload: { severity: 'critical', source: 'drill-runner/paper-1' },
  });
});

test('disabled or below the minimum severity: no request at all', async () => {
  expect((await page(config({ enabled: false }))).outcome).toBe('disabled');
  expect((await page(config(), { ...request, severity: 'warning' })).outcome).toBe('below-min-severity');
  expect(receiver.requests).toHaveLength(0);
});

test('5xx and 429 are retryable; other 4xx are rejected for good', async () => {
  receiver.failNext(1, 503);
  const e503 = await page(config()).catch((e: unknown) => e);
  expect(e503).toBeInstanceOf(ApplicationFailure);
  expect((e503 as ApplicationFailure).nonRetryable).toBe(false);
  receiver.failNext(1, 429);
  expect(((await page(config()).catch((e: unknown) => e)) as ApplicationFailure).nonRetryable).toBe(false);
  receiver.failNext(1, 400);
  const e400 = (await page(config()).catch((e: unknown) => e)) as ApplicationFailure;
  expect(e400.nonRetryable).toBe(true);
  expect(e400.type).toBe('PageRejected');
});

test('an unreachable webhook fails retryably without the URL in the message', async () => {
  const secretUrl = 'http://127.0.0.1:9/hooks/very-secret-token';
  const err = (await page(config({ webhookUrl: secretUrl })).catch((e: unknown) => e)) as ApplicationFailure;
  expect(err.type).toBe('PageUndelivered');
  expect(err.message).not.toMatch(/very-secret-token|127\.0\.0\.1:9/);
});

test('invalid page request is non-retryable', async () => {
  const err = (await page(config(), { ...request, level: 0 }).catch((e: unknown) => e)) as ApplicationFailure;
  expect(err.nonRetryable).toBe(true);
  expect(err.message).toMatch(/level/);
});

test('the logger redacts webhook URLs, routing keys and API keys', () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ destination, level: 'info' });
  logger.info(
    { paging: { webhookUrl: 'https://hooks/secret-1', routingKey: 'secret-2' }, apiKey: 'secret-3', SLO_PAGING_WEBHOOK_URL: 'secret-4', runId: 'r1' },
    'config loaded',
  );
  const parsed = JSON.parse(lines[0]!) as Record<string, unknown>;
  expect(parsed.runId).toBe('r1');
  expect(lines.join('')).not.toMatch(/secret-[1-4]/);
  expect((parsed.paging as Record<string, unknown>).webhookUrl).toBe('[redacted]');
});

test('cancelled while the receiver answers an error: the page ends cancelled, not failed', async () => {
  // The receiver sends a 503's head at once and its body half a second later; the ack cancels the
  // activity in between. The error must not be reported as the page's failure.
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.write('{"status":');
      setTimeout(() => res.end('"error"}'), 500);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const env = new MockActivityEnvironment();
    const running = env
      .run(createPagingActivities(config({ webhookUrl: `http://127.0.0.1:${port}/hooks/x` })).pageEscalation, request)
      .catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 200));
    env.cancel();
    expect(await running).toBeInstanceOf(CancelledFailure);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
