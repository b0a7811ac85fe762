/**
 * The sandbox's HTTP surface: one server on 127.0.0.1 that carries the gateway (health, stats,
 * runtime state, kill switch), fault injection, the control stop, market data bars and the broker
 * websocket feed. Routes only: what they answer comes from the {@link SandboxHttpHost}.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { type Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { symbolSchema, type ActiveFault, type FaultName, type RuntimeStateReport } from '../domain/target';
import { pickPortBelowEphemeralRange } from '../io/local-ports';

/** An answer other than 200: its status, message and (invalid input) issue lines. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues?: string[],
  ) {
    super(message);
  }
}

const MAX_BODY_BYTES = 64 * 1024;

/** What the routes read and call: the sandbox (sandbox.ts) implements it. */
export interface SandboxHttpHost {
  readonly bootId: string;
  readonly runId: string;
  readonly symbols: readonly string[];
  readonly startedAt: Date;
  readonly log: Logger;
  servingAt(): Date | null;
  isStopping(): boolean;
  hasFault(fault: FaultName): boolean;
  stats(): Record<string, unknown>;
  runtimeStateReport(): RuntimeStateReport;
  /** Applies a kill-switch request in turn with the cycles; undefined once stopping. */
  killSwitch(raw: unknown): Promise<{ changed: boolean } | undefined>;
  activeFaults(): ActiveFault[];
  applyFault(raw: unknown): Promise<unknown>;
  bars(symbol: string, limit: number): unknown;
  lastFeedAt(): string | null;
  /** `POST /control/stop`, after the answer has left. */
  requestStop(via: string): void;
}

export class SandboxHttp {
  private server?: http.Server;
  private wss?: WebSocketServer;

  constructor(private readonly host: SandboxHttpHost) {}

  /**
   * Listens on `host:port` (from {@link portToListenOn}). A port we `picked` that another process
   * binds first is picked again (5 tries). Nothing is awaited after the bind: the caller marks the
   * sandbox serving in the same turn, before /health can answer without `serving_at`.
   */
  async listen(host: string, port: number, picked = false): Promise<void> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    this.wss = new WebSocketServer({ noServer: true, autoPong: false });
    this.wss.on('connection', (ws) => this.onSocket(ws));
    server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    for (let attempt = 1; ; attempt++) {
      const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
        server.once('error', resolve);
        server.listen(port, host, () => {
          server.off('error', resolve);
          resolve(undefined);
        });
      });
      if (!error) break;
      if (picked && error.code === 'EADDRINUSE' && attempt < 5) {
        port = await pickPortBelowEphemeralRange(host);
        continue;
      }
      throw new Error(`cannot listen on ${host}:${port}: ${error.code ?? error.message}`);
    }
    this.server = server;
  }

  /** The port listened on (after {@link listen}). */
  port(): number {
    return (this.server!.address() as { port: number }).port;
  }

  /** The broker feed's connected sockets (none before {@link listen}). */
  clients(): Set<WebSocket> | undefined {
    return this.wss?.clients;
  }

  /** Drops the feed's sockets and every connection, then closes the server. */
  async close(): Promise<void> {
    for (const c of this.wss?.clients ?? []) c.terminate();
    this.wss?.close();
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise<void>((r) => this.server!.close(() => r()));
    }
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node hands an upgraded socket over without its error listener: a client that dies mid-refusal
    // (a worker killed while probing the feed) resets it, and an unheard ECONNRESET would end the process.
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://sandbox');
    if (url.pathname !== '/broker/ws' || this.host.hasFault('broker_disconnect') || this.host.isStopping()) {
      socket.end(`HTTP/1.1 ${url.pathname !== '/broker/ws' ? '404 Not Found' : '503 Service Unavailable'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.wss!.handleUpgrade(req, socket, head, (ws) => this.wss!.emit('connection', ws, req));
  }

  private onSocket(ws: WebSocket): void {
    ws.on('ping', (data) => {
      // Pongs are ours to send (autoPong off), so a silent feed can ignore pings.
      if (!this.host.hasFault('websocket_silence') && !this.host.hasFault('broker_disconnect')) ws.pong(data);
    });
    ws.on('error', () => undefined);
    ws.send(JSON.stringify({ type: 'hello', ts: new Date().toISOString(), run_id: this.host.runId }));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const host = this.host;
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
      res.end(text);
    };
    try {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      const route = `${req.method} ${url.pathname}`;
      if (host.isStopping() && route !== 'GET /health') throw new HttpError(503, 'stopping');
      switch (route) {
        case 'GET /health':
          return send(host.isStopping() ? 503 : 200, {
            status: host.isStopping() ? 'stopping' : 'ok',
            pid: process.pid,
            boot_id: host.bootId,
            run_id: host.runId,
            started_at: host.startedAt.toISOString(),
            serving_at: host.servingAt()?.toISOString() ?? null,
          });
        case 'GET /stats':
          return send(200, host.stats());
        case 'GET /runtime-state':
          return send(200, host.runtimeStateReport());
        case 'POST /kill-switch': {
          const body = await readJson(req);
          const r = await host.killSwitch(body);
          if (!r) throw new HttpError(503, 'stopping');
          return send(200, { ...host.stats(), changed: r.changed });
        }
        case 'GET /faults':
          return send(200, { faults: host.activeFaults() });
        case 'POST /faults':
          return send(200, await host.applyFault(await readJson(req)));
        case 'GET /broker/health': {
          const down = host.hasFault('broker_disconnect');
          return send(down ? 503 : 200, {
            status: down ? 'down' : 'ok',
            api_connected: !down,
            ws_clients: this.wss?.clients.size ?? 0,
            last_message_at: host.lastFeedAt(),
          });
        }
        case 'POST /control/stop':
          send(202, { status: 'stopping', pid: process.pid, boot_id: host.bootId });
          // main.ts exits once the stop has flushed.
          setImmediate(() => host.requestStop('control'));
          return;
        default:
          if (req.method === 'GET' && url.pathname.startsWith('/bars/')) {
            const sym = symbolSchema.safeParse(decodeURIComponent(url.pathname.slice('/bars/'.length)));
            if (!sym.success) throw new HttpError(400, sym.error.issues[0]?.message ?? 'bad symbol');
            if (!host.symbols.includes(sym.data)) throw new HttpError(404, `unknown symbol ${sym.data}`);
            const limitRaw = url.searchParams.get('limit');
            const limit = limitRaw === null ? 30 : Number(limitRaw);
            if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'limit: expected an integer 1-1000');
            if (host.hasFault('broker_disconnect')) throw new HttpError(503, 'market data source unreachable');
            return send(200, { symbol: sym.data, bars: host.bars(sym.data, limit) });
          }
          throw new HttpError(404, `no route ${route}`);
      }
    } catch (err) {
      if (err instanceof HttpError) return send(err.status, { error: err.message, ...(err.issues ? { issues: err.issues } : {}) });
      host.log.error({ err }, 'request failed');
      return send(500, { error: 'internal error' });
    }
  }
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
}

/**
 * The port to listen on: the configured one; with 0, the one remembered in `portFile` from an
 * earlier start, else one picked below the ephemeral range (src/io/local-ports.ts: a kernel-picked
 * port can be taken by an outgoing connection while the sandbox is down between a drill's stop and
 * start), or 0 (the kernel picks) when there is no such band. The caller remembers it once serving.
 */
export async function portToListenOn(host: string, configuredPort: number, portFile: string): Promise<{ port: number; picked: boolean }> {
  if (configuredPort !== 0) return { port: configuredPort, picked: false };
  const remembered = Number(fs.existsSync(portFile) ? fs.readFileSync(portFile, 'utf8').trim() : NaN);
  if (Number.isInteger(remembered) && remembered > 0) return { port: remembered, picked: false };
  const port = await pickPortBelowEphemeralRange(host);
  return { port, picked: port !== 0 };
}
