/** A real HTTP paging receiver on loopback that records what it gets and can fail on purpose. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPage {
  at: number;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
  status: number;
}

export interface WebhookReceiver {
  url: string;
  /** Every request, answered or failed. */
  requests: ReceivedPage[];
  /** Only the ones answered 2xx. */
  delivered(): ReceivedPage[];
  /** Answer this status to the next `count` requests (e.g. 500 while "down"). */
  failNext(count: number, status?: number): void;
  /** Wait (real time) until `n` pages were delivered. */
  waitForDelivered(n: number, timeoutMs?: number): Promise<ReceivedPage[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedPage[] = [];
  let failures = 0;
  let failStatus = 500;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        body = { unparsable: true };
      }
      const status = failures > 0 ? failStatus : 202;
      if (failures > 0) failures -= 1;
      requests.push({ at: Date.now(), headers: req.headers, body, status });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: status < 300 ? 'success' : 'error' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const delivered = () => requests.filter((r) => r.status < 300);
  return {
    url: `http://127.0.0.1:${port}/hooks/secret-token-abc123`,
    requests,
    delivered,
    failNext(count, status = 500) {
      failures = count;
      failStatus = status;
    },
    async waitForDelivered(n, timeoutMs = 20000) {
      const deadline = Date.now() + timeoutMs;
      while (delivered().length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} delivered pages, got ${delivered().length} (requests: ${requests.length})`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return delivered();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Polls `fn` in real time until it returns a truthy value. */
export async function eventually<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 20000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
