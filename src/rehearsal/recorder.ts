/**
 * The rehearsal's paging receiver: an HTTP server on 127.0.0.1 that records every request (route,
 * headers, JSON body, the rehearsal clock at arrival) and answers 202. Nothing it receives goes on.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RecordedRequest } from '../domain/rehearsal';

export interface Recorder {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Headers worth keeping (no authorization or other secrets a real receiver would see). */
const KEEP = new Set(['content-type', 'idempotency-key', 'user-agent']);
const MAX_BODY = 1024 * 1024;

/** `clock()` gives seconds since the incident opened on the rehearsal's clock (read at arrival). */
export async function startRecorder(clock: () => Promise<number>): Promise<Recorder> {
  const requests: RecordedRequest[] = [];
  let seq = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stamp = clock().catch(() => NaN);
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      void stamp.then((atSeconds) => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // keep the text
        }
        const headers = Object.fromEntries(
          Object.entries(req.headers)
            .filter(([k]) => KEEP.has(k))
            .map(([k, v]) => [k, String(v)]),
        );
        requests.push({
          seq: ++seq,
          atSeconds,
          method: req.method ?? '?',
          path: req.url ?? '/',
          headers,
          body,
          status: 202,
        });
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"recorded"}');
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
