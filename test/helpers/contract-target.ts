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
  /** The target's own folder (`faults/`, `fault-log.jsonl` when it declares shell faults). */
  root: string;
  entry: TargetConfigInput;
  runDir: string;
  auditDir: string;
  /** Kill-switch changes, as the gateway saw them. */
  changes: Array<{ ts: string; action: 'halt' | 'resume'; reason?: string }>;
  state: { haltReason: string | null };
  close(): Promise<void>;
}

/**
 * Shell-declared faults for a contract target (docs/target-contract.md, Fault injection): one POSIX
 * sh script, `faults.sh inject|clear <root> <runDir>`, reading `DRILL_FAULT` / `DRILL_FAULT_KEY`. An
 * inject is idempotent per key (a repeat prints the first `injected_at`); it writes what a real
 * target's monitor would: an `slo_breach` and an `incident_open` with the scenario's SLO and class.
 * A clear writes clean cycles (data quality, order and position reconciliation, an SLO snapshot).
 * Every invocation is logged to `<root>/fault-log.jsonl` (the ground truth of what was run).
 */
export const FAULT_SCRIPT = `#!/bin/sh
set -eu
action="$1"; root="$2"; run="$3"
now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
mkdir -p "$root/faults"
case "$DRILL_FAULT" in
  stale_data) slo=data_stale_warnings; cls=data_quality ;;
  corrupt_bars) slo=data_quality_errors; cls=data_quality ;;
  order_drift) slo=order_reconciliation_consecutive_mismatch_runs; cls=reconciliation ;;
  broker_disconnect) slo=broker_api_connected; cls=broker/connectivity ;;
  *) slo=""; cls="" ;;
esac
key="\${DRILL_FAULT_KEY:-}"
if [ "$action" = inject ]; then
  rec="$root/faults/$DRILL_FAULT"
  if [ -n "$key" ] && [ -f "$rec" ] && [ "$(sed -n 1p "$rec")" = "$key" ]; then
    at="$(sed -n 2p "$rec")"
    printf '{"ts":"%s","action":"inject","fault":"%s","key":"%s","repeat":true}\n' "$(now)" "$DRILL_FAULT" "$key" >> "$root/fault-log.jsonl"
    printf '{"injected_at":"%s"}\n' "$at"
    exit 0
  fi
  at="$(now)"
  printf '%s\n%s\n' "$key" "$at" > "$rec.tmp" && mv "$rec.tmp" "$rec"
  printf '{"ts":"%s","action":"inject","fault":"%s","key":"%s","injected_at":"%s"}\n' "$at" "$DRILL_FAULT" "$key" "$at" >> "$root/fault-log.jsonl"
  sleep 0.2
  t="$(now)"; id="inc-$DRILL_FAULT-$(date +%s%N)"
  printf '{"ts":"%s","event_type":"slo_breach","slo":"%s","value":1,"threshold":0,"severity":"critical","incident_id":"%s"}\n' "$t" "$slo" "$id" >> "$run/ops_slo_events.jsonl"
  printf '{"ts":"%s","event_type":"incident_open","incident_id":"%s","severity":"critical","incident_class":"%s","slo":"%s"}\n' "$t" "$id" "$cls" "$slo" >> "$run/incident_events.jsonl"
  printf '{"injected_at":"%s"}\n' "$at"
else
  at="$(now)"
  if [ "$DRILL_FAULT" = all ]; then rm -f "$root/faults/"*; else rm -f "$root/faults/$DRILL_FAULT"; fi
  printf '{"ts":"%s","action":"clear","fault":"%s","key":"%s"}\n' "$at" "$DRILL_FAULT" "$key" >> "$root/fault-log.jsonl"
  sleep 0.2
  t="$(now)"
  printf '{"ts":"%s","cycle":1,"symbols_checked":1,"errors":0,"stale_warnings":0,"issues":[]}\n' "$t" >> "$run/data_quality_events.jsonl"
  printf '{"ts":"%s","cycle":1,"status":"ok","orders_checked":1,"mismatched_order_ids":[]}\n' "$t" >> "$run/order_reconciliation_events.jsonl"
  printf '{"ts":"%s","cycle":1,"status":"ok","positions_checked":1,"mismatched_symbols":[]}\n' "$t" >> "$run/position_reconciliation_events.jsonl"
  printf '{"ts":"%s","event_type":"slo_snapshot","cycle":1,"operations":1,"operational_errors":0,"reconciliation_cycles":1,"reconciliation_passes":1,"consecutive_mismatch_runs":0}\n' "$t" >> "$run/ops_slo_events.jsonl"
fi
`;

export interface ContractTargetOptions {
  /** Declare shell faults (`FAULT_SCRIPT`) for these scenarios. */
  shellFaults?: readonly string[];
}

export async function startContractTarget(dir: string, name: string, runId: string, opts: ContractTargetOptions = {}): Promise<ContractTarget> {
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
      if (req.method === 'GET' && req.url === '/health')
        return send(200, { status: 'ok', pid: process.pid, boot_id: 'contract', started_at: new Date().toISOString(), serving_at: new Date().toISOString() });
      if (req.method === 'GET' && req.url === '/broker/health') return send(200, { status: 'ok', api_connected: true, ws_connected: true });
      if (req.method === 'POST' && req.url === '/kill-switch') {
        let r: { action?: string; reason?: string; idempotency_key?: string };
        try {
          r = JSON.parse(body) as typeof r;
        } catch {
          return send(400, { error: 'invalid kill-switch request', issues: ['(body): not JSON'] });
        }
        if (r.action !== 'halt' && r.action !== 'resume')
          return send(400, { error: 'invalid kill-switch request', issues: ['action: expected halt or resume'] });
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
  if (opts.shellFaults) {
    const script = path.join(root, 'faults.sh');
    fs.writeFileSync(script, FAULT_SCRIPT, { mode: 0o755 });
    const q = (x: string) => `'${x.replace(/'/g, `'\\''`)}'`;
    const cmd = (action: string) => `${q(script)} ${action} ${q(root)} ${q(runDir)}`;
    entry.faults = {
      adapter: 'shell',
      inject: Object.fromEntries(opts.shellFaults.map((f) => [f, cmd('inject')])),
      clear: Object.fromEntries(opts.shellFaults.map((f) => [f, cmd('clear')])),
      clearAll: cmd('clear'),
      timeoutSeconds: 10,
    };
  }
  return {
    name,
    root,
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
