/**
 * Hostile webhook answers, generated (issue 11.4): a raw TCP receiver on loopback answers each page
 * with whatever the case says — any status with any body and headers, a body shorter than its
 * Content-Length, chunked garbage, a connection closed before or after the headers, bytes that are
 * not HTTP at all. The real paging activity (one activity: MockActivityEnvironment) must classify
 * every answer: `delivered` for 2xx only, a retryable `PageUndelivered` for 408/425/429/5xx and for
 * anything that is not a complete HTTP answer, a non-retryable `PageRejected` for the rest; never
 * another exception, and never the webhook URL (a secret: its token is in the path) in a message.
 */
import net from 'node:net';
import fc from 'fast-check';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createPagingActivities } from '../../src/activities/paging';
import type { PageOutcome, PageRequest } from '../../src/domain/paging';
import { checkHostile } from '../helpers/hostile';

type Answer =
  | {
      kind: 'http';
      status: number;
      reason: string;
      headers: Array<[string, string]>;
      body: Buffer;
      declaredLength: 'exact' | 'short' | 'none' | 'chunked-garbage';
    }
  | { kind: 'raw'; bytes: Buffer }
  | { kind: 'close-before-answer' };

let answer: Answer = { kind: 'close-before-answer' };
let server: net.Server;
let url: string;
// Every connection the receiver accepted, so teardown can end the ones a hostile answer left
// half-open (server.close waits for all of them, and a client may keep one for its keep-alive pool).
const sockets = new Set<net.Socket>();
const TOKEN = 'T0K3N-9c1d';

beforeAll(async () => {
  server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let got = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      const head = got.indexOf('\r\n\r\n');
      if (head === -1) return;
      const len = Number(/content-length:\s*(\d+)/i.exec(got.subarray(0, head).toString('latin1'))?.[1] ?? 0);
      if (got.length < head + 4 + len) return;
      socket.removeAllListeners('data');
      respond(socket, answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hooks/${TOKEN}`;
});
afterAll(async () => {
  const closed = new Promise((resolve) => server?.close(resolve));
  for (const socket of sockets) socket.destroy();
  await closed;
});

function respond(socket: net.Socket, a: Answer): void {
  if (a.kind === 'close-before-answer') {
    socket.destroy();
    return;
  }
  if (a.kind === 'raw') {
    socket.end(a.bytes);
    return;
  }
  const lines = [`HTTP/1.1 ${a.status} ${a.reason}`, 'connection: close', ...a.headers.map(([k, v]) => `${k}: ${v}`)];
  if (a.declaredLength === 'exact') lines.push(`content-length: ${a.body.length}`);
  if (a.declaredLength === 'short') lines.push(`content-length: ${a.body.length + 10}`);
  if (a.declaredLength === 'chunked-garbage') lines.push('transfer-encoding: chunked');
  socket.end(
    Buffer.concat([
      Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'),
      a.declaredLength === 'chunked-garbage' ? Buffer.from('zz\r\nnot a chunk\r\n') : a.body,
    ]),
  );
}

const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/).filter((h) => !['content-length', 'transfer-encoding', 'connection'].includes(h));
const answerArb: fc.Arbitrary<Answer> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('http' as const),
      status: fc.oneof(
        fc.constantFrom(200, 201, 202, 204, 301, 302, 304, 400, 401, 403, 404, 408, 409, 410, 413, 422, 425, 429, 500, 502, 503, 504),
        fc.integer({ min: 200, max: 599 }),
      ),
      reason: fc.constantFrom('OK', '', 'Whatever', 'Ünïcode'),
      headers: fc.array(
        fc.tuple(
          headerName,
          fc.string({ unit: 'grapheme-ascii', maxLength: 30 }).map((v) => v.replace(/[\r\n]/g, '')),
        ),
        { maxLength: 3 },
      ),
      body: fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
        fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v))),
        fc.constant(Buffer.alloc(200_000, 0x61)),
      ),
      declaredLength: fc.constantFrom('exact' as const, 'exact' as const, 'short' as const, 'none' as const, 'chunked-garbage' as const),
    }),
  },
  { weight: 2, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => ({ kind: 'raw' as const, bytes: Buffer.from(b) })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'raw' as const, bytes: Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n') }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'close-before-answer' as const }) },
);

const RETRYABLE = (s: number) => s === 408 || s === 425 || s === 429 || s >= 500;

test('every answer a receiver can give is classified: delivered (2xx), PageUndelivered (retry), PageRejected (give up); the URL never leaks', async () => {
  const request: PageRequest = {
    runId: 'paper-1',
    incidentId: 'inc-1',
    severity: 'critical',
    level: 1,
    round: 0,
    openedAt: '2026-11-25T03:00:00.000Z',
    dedupKey: 'drill-runner/paper-1/inc-1/L1/R0',
  };
  await checkHostile({
    boundary: 'webhook-answers/paging',
    through: 'pageEscalation activity (src/activities/paging.ts) against a raw TCP receiver',
    checks: [
      'delivered only for a 2xx answer',
      'retryable PageUndelivered for 408, 425, 429, 5xx and any transport failure or malformed answer',
      'non-retryable PageRejected for any other complete answer',
      'never another exception',
      'no message carries the webhook URL or its token',
    ],
    test: 'test/hostile/webhook.test.ts',
    arbitrary: fc.record({ a: answerArb, format: fc.constantFrom('json' as const, 'pagerduty' as const) }),
    run: async ({ a, format }) => {
      answer = a;
      const activity = createPagingActivities({
        enabled: true,
        webhookUrl: url,
        minSeverity: 'critical',
        format,
        routingKey: 'rk-secret',
        timeoutMs: 3000,
      }).pageEscalation;
      let outcome: PageOutcome | undefined;
      let failure: unknown;
      try {
        outcome = (await new MockActivityEnvironment().run(activity, request)) as PageOutcome;
      } catch (err) {
        failure = err;
      }
      const complete = a.kind === 'http' && (a.declaredLength === 'exact' || a.declaredLength === 'none');
      if (outcome) {
        expect(outcome).toMatchObject({ outcome: 'delivered', dedupKey: request.dedupKey });
        expect(a.kind === 'http' && a.status >= 200 && a.status < 300).toBe(true);
        return 'delivered';
      }
      if (!(failure instanceof ApplicationFailure))
        throw new Error(`not an ApplicationFailure: ${failure instanceof Error ? `${failure.name}: ${failure.message}` : String(failure)}`);
      expect(failure.message).not.toContain(TOKEN);
      expect(failure.message).not.toContain('rk-secret');
      if (failure.type === 'PageRejected') {
        expect(failure.nonRetryable).toBe(true);
        expect(a.kind === 'http' && !RETRYABLE(a.status) && (a.status < 200 || a.status >= 300)).toBe(true);
        return 'rejected';
      }
      expect(failure.type).toBe('PageUndelivered');
      expect(failure.nonRetryable).toBe(false);
      // Retried: a retryable status, or no complete answer at all.
      // A complete answer with a status we do not retry is retried only where fetch itself fails on
      // it: 421 Misdirected Request (it drops the connection; HTTP says such a request may be
      // retried) and 407 Proxy Authentication Required (no proxy configured: fetch throws).
      if (a.kind === 'http' && complete && !RETRYABLE(a.status) && a.status !== 421 && a.status !== 407) {
        // A 2xx/4xx answer whose body broke mid-read is not a confirmed delivery: retrying is right.
        expect(a.declaredLength).not.toBe('exact');
      }
      return 'undelivered (retry)';
    },
  });
});
