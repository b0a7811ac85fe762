/**
 * A target that implements only the target contract's gateway and broker surfaces
 * (`docs/target-contract.md` §4, §6), nothing of the sandbox: `GET /stats`, `POST /kill-switch` (one
 * kill switch, one reason, the last idempotency key remembered), `GET /health`, `GET /broker/health`
 * and a websocket that answers pings. Every kill-switch change is recorded with its time — the count
 * of halts and resumes where they land. Process control is a shell adapter whose commands do nothing.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import type { TargetConfigInput } from '../../src/domain/target';

export interface ContractTarget {
  name: string;
  entry: TargetConfigInput;
  runDir: string;
  auditDir: string;
  /** Kill-switch changes, as the gateway saw them. */
  changes: Array<{ ts: string; action: 'halt' | 'resume'; reason?: string }>;
  state: { haltReason: string | null };
  close(): Promise<void>;
}

export async function startContractTarget(dir: string, name: string, runId: string): Promise<ContractTarget> {
  const root = path.join(dir, name);
  const runDir = path.join(root, 'runs', runId);
  const auditDir = path.join(root, 'audit_logs');
  fs.mkdirSync(runDir, { recursive: true });
  fs.mkdirSync(auditDir, { recursive: true });
  const state = { haltReason: null as string | null, lastKey: null as string | null };
  const changes: ContractTarget['changes'] = [];
  const stats = () => ({ halt_reason: state.haltReason, trading_halted_until: null, entries_halted: state.haltReason !== null, run_id: runId });
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (req.method === 'GET' && req.url === '/stats') return send(200, stats());
      if (req.method === 'GET' && req.url === '/health') return send(200, { status: 'ok', pid: process.pid, boot_id: 'contract', started_at: new Date().toISOString(), serving_at: new Date().toISOString() });
      if (req.method === 'GET' && req.url === '/broker/health') return send(200, { status: 'ok', api_connected: true, ws_connected: true });
      if (req.method === 'POST' && req.url === '/kill-switch') {
        let r: { action?: string; reason?: string; idempotency_key?: string };
        try {
          r = JSON.parse(body) as typeof r;
        } catch {
          return send(400, { error: 'invalid kill-switch request', issues: ['(body): not JSON'] });
        }
        if (r.action !== 'halt' && r.action !== 'resume') return send(400, { error: 'invalid kill-switch request', issues: ['action: expected halt or resume'] });
        if (r.action === 'halt' && !r.reason) return send(400, { error: 'invalid kill-switch request', issues: ['reason: required'] });
        if (r.idempotency_key && r.idempotency_key === state.lastKey) return send(200, { ...stats(), changed: false });
        const before = state.haltReason;
        state.haltReason = r.action === 'halt' ? r.reason! : null;
        if (r.idempotency_key) state.lastKey = r.idempotency_key;
        const changed = before !== state.haltReason;
        if (changed) changes.push({ ts: new Date().toISOString(), action: r.action, ...(r.reason ? { reason: r.reason } : {}) });
        return send(200, { ...stats(), changed });
      }
      return send(404, { error: 'not found' });
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (req.url !== '/broker/ws') return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  const entry: TargetConfigInput = {
    mode: 'paper',
    artifactsRoot: path.join(root, 'runs'),
    runId,
    auditLogsDir: auditDir,
    gatewayUrl: url,
    process: { adapter: 'shell', stop: 'true', start: 'true', health: 'true', timeoutSeconds: 10 },
    stateFile: path.join(root, 'state.json'),
    broker: { apiUrl: `${url}/broker`, wsUrl: `ws://127.0.0.1:${port}/broker/ws` },
    symbols: ['AAPL'],
  };
  return {
    name,
    entry,
    runDir,
    auditDir,
    changes,
    state,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise((r) => server.close(r));
    },
  };
}
