/**
 * Broker adapter: API health (`GET <broker.apiUrl>/health`) and websocket health (a ping answered
 * by a pong within the timeout). Unhealthy is an answer, not an error: only bad input throws.
 */
import WebSocket from 'ws';
import { z } from 'zod';
import { brokerHealthSchema, formatIssues, targetNameSchema, type BrokerHealth } from '../domain/target';
import { errorKind, getJson, parseInput, resolveTarget, type TargetActivityDeps } from './target-input';

export const brokerHealthInputSchema = z.object({
  target: targetNameSchema,
  timeoutMs: z.number().int().min(50).max(60000).default(3000),
});
export type BrokerHealthInput = z.input<typeof brokerHealthInputSchema>;

export interface BrokerHealthResult {
  checkedAt: string;
  /** API and websocket both healthy. */
  healthy: boolean;
  api: { ok: boolean; status?: number; latencyMs?: number; health?: BrokerHealth; error?: string };
  websocket: { ok: boolean; roundTripMs?: number; error?: string };
}

/** Opens the socket, sends one ping, waits for its pong. Always closes the socket. */
export function websocketPing(url: string, timeoutMs: number): Promise<{ ok: boolean; roundTripMs?: number; error?: string }> {
  return new Promise((resolve) => {
    let settled = false;
    const ws = new WebSocket(url, { handshakeTimeout: timeoutMs });
    const finish = (r: { ok: boolean; roundTripMs?: number; error?: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ ok: false, error: ws.readyState === WebSocket.OPEN ? `no pong within ${timeoutMs} ms` : `no connection within ${timeoutMs} ms` }),
      timeoutMs,
    );
    let sentAt = 0;
    ws.on('open', () => {
      sentAt = performance.now();
      ws.ping(Buffer.from('drill-runner'));
    });
    ws.on('pong', () => finish({ ok: true, roundTripMs: Math.round((performance.now() - sentAt) * 10) / 10 }));
    ws.on('unexpected-response', (_req, res) => finish({ ok: false, error: `handshake refused: HTTP ${res.statusCode}` }));
    ws.on('error', (err) => finish({ ok: false, error: `connection failed (${errorKind(err)})` }));
    ws.on('close', (code) => finish({ ok: false, error: `closed before pong (code ${code})` }));
  });
}

export function createBrokerActivities(deps: TargetActivityDeps) {
  return {
    /** Broker API and websocket health, checked side by side. */
    async brokerHealth(input: BrokerHealthInput): Promise<BrokerHealthResult> {
      const i = parseInput(brokerHealthInputSchema, input, 'brokerHealth input');
      const t = await resolveTarget(deps, i.target);
      const checkedAt = new Date().toISOString();
      const apiP = (async (): Promise<BrokerHealthResult['api']> => {
        try {
          const r = await getJson(`${t.broker.apiUrl}/health`, i.timeoutMs);
          const h = brokerHealthSchema.safeParse(r.body);
          if (!h.success)
            return {
              ok: false,
              status: r.status,
              latencyMs: r.latencyMs,
              error: `health reply does not honour the contract: ${formatIssues(h.error).join('; ')}`,
            };
          return { ok: r.status === 200 && h.data.status === 'ok' && h.data.api_connected, status: r.status, latencyMs: r.latencyMs, health: h.data };
        } catch (err) {
          return { ok: false, error: `unreachable (${errorKind(err)})` };
        }
      })();
      const [api, websocket] = await Promise.all([apiP, websocketPing(t.broker.wsUrl, i.timeoutMs)]);
      return { checkedAt, healthy: api.ok && websocket.ok, api, websocket };
    },
  };
}
