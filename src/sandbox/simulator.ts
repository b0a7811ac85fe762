/**
 * The paper-trading simulator inside the sandbox: orders and fills, order and position
 * reconciliation against a broker the faults can drift or cut off, the SLO monitor with its breaches
 * and incidents, data quality cycles over the market data bars, the broker feed's ticks and the kill
 * switch. Each cycle appends the run's artifact lines; randomness comes from the seed.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { type Logger } from 'pino';
import { type WebSocket } from 'ws';
import {
  ARTIFACT_FILES,
  type DataQualityEvent,
  type OrderReconciliationEvent,
  type PositionReconciliationEvent,
  type SloBreachEvent,
  type SloSnapshotEvent,
} from '../domain/artifacts';
import { INCIDENT_EVENTS_FILE } from '../domain/incident-events';
import { rngFor } from '../domain/rng';
import { entriesHalted, killSwitchRequestSchema } from '../domain/target';
import { issueLines } from '../domain/validation-kit';
import { writeFileAtomic } from '../io/files';
import { checkBars, generateBars } from './bars';
import { type SandboxConfig } from './config';
import { type SandboxFaults } from './faults';
import { type GroundTruth } from './ground-truth';
import { HttpError } from './http';
import { freshBody, type StateBody } from './state';

const MAX_ORDERS_KEPT = 50;

export class Simulator {
  /** The state the sandbox persists; replaced by a restored one before the first cycle. */
  body: StateBody;
  private firstCleanSeen = false;
  private lastFeed: string | null = null;
  private dqLatest: DataQualityEvent | null = null;

  constructor(
    private readonly config: SandboxConfig,
    private readonly runDir: string,
    private readonly bootId: string,
    private readonly truth: GroundTruth,
    private readonly log: Logger,
    private readonly faults: SandboxFaults,
    /** The broker feed's connected sockets (none before the server listens). */
    private readonly feedClients: () => Set<WebSocket> | undefined,
  ) {
    this.body = freshBody(config.runId);
  }

  /** When the feed last sent a tick, if ever. */
  lastFeedAt(): string | null {
    return this.lastFeed;
  }

  /** Entries halted by the kill switch right now (a halt with an `until` in the past has lapsed). */
  halted(): boolean {
    const k = this.body.kill_switch;
    return entriesHalted(k.halt_reason, k.trading_halted_until, Date.now());
  }

  private async append(file: string, record: object): Promise<void> {
    await fsp.appendFile(file, `${JSON.stringify(record)}\n`);
  }

  /** One reconciliation cycle: fills, a new order unless halted, order and position reconciliation against the broker. */
  async reconciliationCycle(): Promise<void> {
    const b = this.body;
    const cycle = ++b.reconciliation_cycle;
    const ts = new Date().toISOString();
    b.slo.operations += 1;
    if (this.faults.has('broker_disconnect')) {
      // The broker cannot be reached: nothing to reconcile against; the cycle counts as an error.
      b.slo.operational_errors += 1;
      this.pushWindow(-1);
      return;
    }
    // Orders placed last cycle fill now; then a new order, unless entries are halted.
    for (const o of Object.values(b.orders)) {
      if (o.status === 'new') {
        o.status = 'filled';
        b.positions[o.symbol] = (b.positions[o.symbol] ?? 0) + (o.side === 'buy' ? o.qty : -o.qty);
      }
    }
    if (!this.halted()) {
      const rng = rngFor(this.config.seed, `order:${b.next_order_seq}`);
      const id = `ord-${String(b.next_order_seq).padStart(6, '0')}`;
      b.next_order_seq += 1;
      b.orders[id] = {
        id,
        symbol: this.config.symbols[Math.floor(rng() * this.config.symbols.length)]!,
        side: rng() < 0.5 ? 'buy' : 'sell',
        qty: 1 + Math.floor(rng() * 10),
        status: 'new',
        created_cycle: cycle,
      };
      b.slo.operations += 1;
      const ids = Object.keys(b.orders);
      for (const old of ids.slice(0, Math.max(0, ids.length - MAX_ORDERS_KEPT))) delete b.orders[old];
    }

    const orderEvent = this.reconcileOrders(ts, cycle);
    const positionEvent = this.reconcilePositions(ts, cycle);
    await this.append(path.join(this.runDir, ARTIFACT_FILES.orderReconciliation), orderEvent);
    await this.append(path.join(this.runDir, ARTIFACT_FILES.positionReconciliation), positionEvent);

    const clean = orderEvent.status === 'ok' && positionEvent.status === 'ok';
    b.slo.reconciliation_cycles += 1;
    if (clean) b.slo.reconciliation_passes += 1;
    b.slo.consecutive_mismatch_runs = orderEvent.status === 'mismatch' ? b.slo.consecutive_mismatch_runs + 1 : 0;
    this.pushWindow(clean ? 1 : 0);
    if (clean && !this.firstCleanSeen) {
      this.firstCleanSeen = true;
      this.truth.record('first_clean_reconciliation', { cycle }, new Date(ts));
    }
  }

  private pushWindow(v: number): void {
    this.body.window.push(v);
    const extra = this.body.window.length - this.config.sloWindowCycles;
    if (extra > 0) this.body.window.splice(0, extra);
  }

  private reconcileOrders(ts: string, cycle: number): OrderReconciliationEvent {
    const orders = Object.values(this.body.orders);
    if (!this.faults.has('order_drift')) {
      return { ts, cycle, status: 'ok', orders_checked: orders.length, mismatched_order_ids: [], stuck_transitions: 0 };
    }
    // Drifted at the broker: the newest order always, plus older ones chosen by the seed.
    const drifted = orders.filter((o, i) => i === orders.length - 1 || rngFor(this.config.seed, `order_drift:${o.id}`)() < 0.3);
    const ids = drifted.length ? drifted.map((o) => o.id) : [`brk-phantom-${String(cycle).padStart(6, '0')}`];
    const broker_status = Object.fromEntries(
      ids.map((id) => [id, this.body.orders[id] ? (this.body.orders[id]!.status === 'new' ? 'unknown' : 'rejected') : 'filled']),
    );
    const stuck = drifted.filter((o) => o.status === 'new').length;
    return { ts, cycle, status: 'mismatch', orders_checked: orders.length, mismatched_order_ids: ids, broker_status, stuck_transitions: stuck };
  }

  private reconcilePositions(ts: string, cycle: number): PositionReconciliationEvent {
    const symbols = this.config.symbols;
    if (!this.faults.has('position_drift')) return { ts, cycle, status: 'ok', positions_checked: symbols.length, mismatched_symbols: [] };
    const rng = rngFor(this.config.seed, 'position_drift');
    const sym = symbols[Math.floor(rng() * symbols.length)]!;
    const ours = this.body.positions[sym] ?? 0;
    const broker = ours + (1 + Math.floor(rng() * 10)) * (rng() < 0.5 ? -1 : 1);
    return {
      ts,
      cycle,
      status: 'mismatch',
      positions_checked: symbols.length,
      mismatched_symbols: [sym],
      our_qty: { [sym]: ours },
      broker_qty: { [sym]: broker },
    };
  }

  private windowRates(): { samples: number; passRate: number; errorRate: number } {
    const w = this.body.window;
    if (!w.length) return { samples: 0, passRate: 100, errorRate: 0 };
    const passes = w.filter((v) => v === 1).length;
    const errors = w.filter((v) => v === -1).length;
    return { samples: w.length, passRate: round3((passes / w.length) * 100), errorRate: round3((errors / w.length) * 100) };
  }

  /** One SLO monitor cycle: the snapshot, then a breach (with its incident and audit line) per newly breaching SLO. */
  async sloCycle(): Promise<void> {
    const b = this.body;
    const cycle = ++b.slo_cycle;
    const ts = new Date().toISOString();
    const rates = this.windowRates();
    const snapshot: SloSnapshotEvent = {
      ts,
      event_type: 'slo_snapshot',
      cycle,
      ...b.slo,
      reconciliation_pass_rate: rates.passRate,
      operational_error_rate: rates.errorRate,
      window_cycles: rates.samples,
      data_quality_errors: this.dqLatest?.errors ?? 0,
      data_stale_warnings: this.dqLatest?.stale_warnings ?? 0,
      entries_halted: this.halted(),
    };
    const sloFile = path.join(this.runDir, ARTIFACT_FILES.opsSlo);
    await this.append(sloFile, snapshot);

    const minSamples = Math.min(20, this.config.sloWindowCycles);
    const checks: Array<{ slo: string; value: number; threshold: number; breaching: boolean; severity: 'critical' | 'warning'; incident_class: string }> = [
      {
        slo: 'order_reconciliation_consecutive_mismatch_runs',
        value: b.slo.consecutive_mismatch_runs,
        threshold: 3,
        breaching: b.slo.consecutive_mismatch_runs >= 3,
        severity: 'critical',
        incident_class: 'reconciliation',
      },
      {
        slo: 'reconciliation_pass_rate',
        value: rates.passRate,
        threshold: 99.5,
        breaching: rates.samples >= minSamples && rates.passRate < 99.5,
        severity: 'warning',
        incident_class: 'reconciliation',
      },
      {
        slo: 'operational_error_rate',
        value: rates.errorRate,
        threshold: 2.0,
        breaching: rates.samples >= minSamples && rates.errorRate > 2.0,
        severity: 'warning',
        incident_class: 'broker/connectivity',
      },
      {
        slo: 'data_quality_errors',
        value: this.dqLatest?.errors ?? 0,
        threshold: 0,
        breaching: (this.dqLatest?.errors ?? 0) > 0,
        severity: 'critical',
        incident_class: 'data_quality',
      },
      {
        slo: 'data_stale_warnings',
        value: this.dqLatest?.stale_warnings ?? 0,
        threshold: 0,
        breaching: (this.dqLatest?.stale_warnings ?? 0) > 0,
        severity: 'warning',
        incident_class: 'data_quality',
      },
      {
        slo: 'broker_api_connected',
        value: this.faults.has('broker_disconnect') ? 1 : 0,
        threshold: 0,
        breaching: this.faults.has('broker_disconnect'),
        severity: 'critical',
        incident_class: 'broker/connectivity',
      },
      {
        slo: 'broker_websocket_silent',
        value: this.faults.has('websocket_silence') ? 1 : 0,
        threshold: 0,
        breaching: this.faults.has('websocket_silence'),
        severity: 'critical',
        incident_class: 'broker/connectivity',
      },
    ];
    for (const c of checks) {
      const open = b.open_breaches[c.slo];
      if (!c.breaching) {
        if (open) delete b.open_breaches[c.slo];
        continue;
      }
      if (open) continue;
      b.incident_seq += 1;
      const incidentId = `inc-${this.bootId}-${String(b.incident_seq).padStart(4, '0')}`;
      b.open_breaches[c.slo] = incidentId;
      const breach: SloBreachEvent = {
        ts,
        event_type: 'slo_breach',
        slo: c.slo,
        value: c.value,
        threshold: c.threshold,
        severity: c.severity,
        incident_id: incidentId,
        incident_class: c.incident_class,
      };
      await this.append(sloFile, breach);
      await this.append(path.join(this.runDir, INCIDENT_EVENTS_FILE), {
        ts,
        event_type: 'incident_open',
        incident_id: incidentId,
        severity: c.severity,
        incident_class: c.incident_class,
        summary: `${c.slo} breached: ${c.value} (threshold ${c.threshold})`,
        run_id: this.config.runId,
        slo: c.slo,
      });
      await this.audit({
        ts,
        event_type: c.severity === 'critical' ? 'risk_limit_breach' : 'risk_warning',
        severity: c.severity,
        detail: `${c.slo}=${c.value} threshold ${c.threshold}`,
        incident_id: incidentId,
      });
    }
  }

  private async audit(record: { ts: string; event_type: string } & Record<string, unknown>): Promise<void> {
    const file = path.join(this.config.auditLogsDir, `${record.ts.slice(0, 10)}.jsonl`);
    await this.append(file, { run_id: this.config.runId, source: 'drill-sandbox', ...record });
  }

  /** Bars as served right now (faults applied). */
  bars(symbol: string, limit: number): ReturnType<typeof generateBars> {
    const all = generateBars(symbol, {
      seed: this.config.seed,
      history: this.config.barsHistory,
      nowMs: Date.now(),
      stale: this.faults.has('stale_data'),
      corrupt: this.faults.has('corrupt_bars'),
    });
    return all.slice(Math.max(0, all.length - limit));
  }

  /** One data quality cycle over every symbol's bars. */
  async dataQualityCycle(): Promise<void> {
    const cycle = ++this.body.dq_cycle;
    const now = Date.now();
    const issues = this.config.symbols.flatMap((s) => checkBars(s, this.bars(s, 30), now));
    const event: DataQualityEvent = {
      ts: new Date(now).toISOString(),
      cycle,
      symbols_checked: this.config.symbols.length,
      errors: issues.filter((i) => i.severity === 'critical').length,
      stale_warnings: issues.filter((i) => i.kind === 'stale').length,
      issues,
    };
    this.dqLatest = event;
    await this.append(path.join(this.runDir, ARTIFACT_FILES.dataQuality), event);
    await writeFileAtomic(path.join(this.runDir, ARTIFACT_FILES.dataQualityLatest), `${JSON.stringify(event)}\n`);
  }

  /** One tick to every feed socket, unless the feed is silent or the broker down. */
  feedTick(): void {
    if (this.faults.has('websocket_silence') || this.faults.has('broker_disconnect')) return;
    const clients = this.feedClients();
    if (!clients?.size) return;
    const ts = new Date().toISOString();
    const symbol = this.config.symbols[this.body.reconciliation_cycle % this.config.symbols.length]!;
    const msg = JSON.stringify({ type: 'tick', ts, symbol, price: this.bars(symbol, 1)[0]?.close ?? null });
    for (const c of clients) if (c.readyState === c.OPEN) c.send(msg);
    this.lastFeed = ts;
  }

  /** Applies a `POST /kill-switch` body; an invalid one is an HTTP 400. Idempotent per key. */
  async killSwitch(raw: unknown): Promise<{ changed: boolean }> {
    const r = killSwitchRequestSchema.safeParse(raw);
    if (!r.success) throw new HttpError(400, 'invalid kill-switch request', issueLines(r.error, { root: '(body)', rootWhenBlank: true }));
    const req = r.data;
    const k = this.body.kill_switch;
    const ts = new Date().toISOString();
    // A retried call with the same key changes nothing, even if someone else acted in between.
    if (req.idempotency_key && req.idempotency_key === k.last_key) return { changed: false };
    let changed: boolean;
    if (req.action === 'halt') {
      changed = k.halt_reason !== req.reason || k.trading_halted_until !== (req.until ?? null);
      k.halt_reason = req.reason;
      k.trading_halted_until = req.until ?? null;
    } else {
      changed = k.halt_reason !== null;
      k.halt_reason = null;
      k.trading_halted_until = null;
    }
    if (req.idempotency_key) k.last_key = req.idempotency_key;
    if (changed) {
      this.truth.record(
        req.action === 'halt' ? 'kill_switch_halt' : 'kill_switch_resume',
        req.action === 'halt' ? { reason: req.reason.slice(0, 500) } : {},
        new Date(ts),
      );
      await this.audit({
        ts,
        event_type: req.action === 'halt' ? 'kill_switch_halt' : 'kill_switch_resume',
        ...(req.action === 'halt' ? { detail: req.reason, until: req.until ?? null } : {}),
      });
      this.log.warn({ action: req.action }, 'kill switch');
    }
    return { changed };
  }
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
