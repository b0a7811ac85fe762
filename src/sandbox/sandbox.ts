/**
 * The paper-trading sandbox: a real target process that honours the target contract
 * (docs/target-contract.md). One HTTP server on 127.0.0.1 carries the gateway, the broker API and
 * the broker websocket feed; timers drive the reconciliation loop, the SLO monitor, data quality
 * cycles and periodic state saves. Faults are injected over HTTP and act deterministically from the
 * seed. It writes the ground-truth log the runner's measurements are checked against.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import pino, { type Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import {
  ARTIFACT_FILES,
  type DataQualityEvent,
  type OrderReconciliationEvent,
  type PositionReconciliationEvent,
  type SloBreachEvent,
  type SloSnapshotEvent,
} from '../domain/artifacts';
import { INCIDENT_EVENTS_FILE } from '../domain/incident-events';
import {
  entriesHalted,
  faultRequestSchema,
  faultsFileSchema,
  killSwitchRequestSchema,
  PERSISTENT_FAULTS,
  symbolSchema,
  type ActiveFault,
  type FaultName,
  type GatewayStats,
  type RuntimeStateReport,
} from '../domain/target';
import { resolveInside, writeFileAtomic } from '../io/files';
import { checkBars, generateBars } from './bars';
import { sandboxPaths, type SandboxConfig } from './config';
import { GroundTruth } from './ground-truth';
import { rngFor } from '../domain/rng';
import { readStateFile, stateDigest, writeStateFile } from '../io/runtime-state-file';
import { issueLines } from '../domain/validation-kit';

/** The runtime state the sandbox persists. Plain JSON so the digest is over exactly what is saved. */
export const stateBodySchema = z.object({
  version: z.literal(1),
  run_id: z.string(),
  reconciliation_cycle: z.number().int().nonnegative(),
  slo_cycle: z.number().int().nonnegative(),
  dq_cycle: z.number().int().nonnegative(),
  next_order_seq: z.number().int().nonnegative(),
  orders: z.record(
    z.string(),
    z.object({
      id: z.string(),
      symbol: z.string(),
      side: z.enum(['buy', 'sell']),
      qty: z.number(),
      status: z.enum(['new', 'filled']),
      created_cycle: z.number(),
    }),
  ),
  positions: z.record(z.string(), z.number()),
  kill_switch: z.object({ halt_reason: z.string().nullable(), trading_halted_until: z.string().nullable(), last_key: z.string().nullable() }),
  slo: z.object({
    operations: z.number().int().nonnegative(),
    operational_errors: z.number().int().nonnegative(),
    reconciliation_cycles: z.number().int().nonnegative(),
    reconciliation_passes: z.number().int().nonnegative(),
    consecutive_mismatch_runs: z.number().int().nonnegative(),
  }),
  /** Recent reconciliation cycles: 1 pass, 0 mismatch, -1 could not reconcile (broker down). */
  window: z.array(z.number().int()),
  open_breaches: z.record(z.string(), z.string()),
  incident_seq: z.number().int().nonnegative(),
});
export type StateBody = z.infer<typeof stateBodySchema>;

function freshBody(runId: string): StateBody {
  return {
    version: 1,
    run_id: runId,
    reconciliation_cycle: 0,
    slo_cycle: 0,
    dq_cycle: 0,
    next_order_seq: 1,
    orders: {},
    positions: {},
    kill_switch: { halt_reason: null, trading_halted_until: null, last_key: null },
    slo: { operations: 0, operational_errors: 0, reconciliation_cycles: 0, reconciliation_passes: 0, consecutive_mismatch_runs: 0 },
    window: [],
    open_breaches: {},
    incident_seq: 0,
  };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues?: string[],
  ) {
    super(message);
  }
}

const MAX_ORDERS_KEPT = 50;
const MAX_BODY_BYTES = 64 * 1024;

export interface SandboxInfo {
  pid: number;
  boot_id: string;
  host: string;
  port: number;
  gateway_url: string;
  control_url: string;
  broker_api_url: string;
  broker_ws_url: string;
  state_file: string;
  ground_truth_file: string;
  run_dir: string;
  run_id: string;
  started_at: string;
  serving_at: string;
}

export class Sandbox {
  readonly paths: ReturnType<typeof sandboxPaths>;
  readonly runDir: string;
  readonly bootId = `${Date.now().toString(36)}-${process.pid}`;
  readonly truth: GroundTruth;
  readonly log: Logger;
  private body: StateBody;
  private seq = 0;
  private restore: Pick<RuntimeStateReport, 'restored' | 'restored_seq' | 'restored_digest' | 'restore_error'> = {
    restored: false,
    restored_seq: null,
    restored_digest: null,
    restore_error: null,
  };
  private lastSave: { at: string; seq: number; digest: string } | null = null;
  private faults = new Map<FaultName, ActiveFault>();
  private server?: http.Server;
  private wss?: WebSocketServer;
  private timers = new Map<string, NodeJS.Timeout>();
  private chain: Promise<unknown> = Promise.resolve();
  private startedAt = new Date();
  private servingAt: Date | null = null;
  private stopping: Promise<void> | null = null;
  private firstCleanSeen = false;
  private lastFeedAt: string | null = null;
  private dqLatest: DataQualityEvent | null = null;
  info: SandboxInfo | null = null;

  constructor(
    readonly config: SandboxConfig,
    logger?: Logger,
  ) {
    this.paths = sandboxPaths(config.stateDir);
    this.runDir = resolveInside(config.artifactsRoot, config.runId);
    this.truth = new GroundTruth(this.paths.groundTruth, this.bootId);
    this.log = logger ?? pino({ base: { service: 'drill-sandbox', run_id: config.runId }, timestamp: pino.stdTimeFunctions.isoTime });
    this.body = freshBody(config.runId);
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle

  /** Restores state, honours start-time faults, then serves. Resolves once serving. */
  async start(): Promise<SandboxInfo> {
    fs.mkdirSync(this.config.stateDir, { recursive: true });
    fs.mkdirSync(this.runDir, { recursive: true });
    fs.mkdirSync(this.config.auditLogsDir, { recursive: true });
    fs.writeFileSync(this.paths.pidFile, `${process.pid}\n`);
    this.truth.record('process_start', {}, this.startedAt);
    this.loadFaults();
    await this.restoreState();

    const slow = this.faults.get('slow_restart');
    if (slow) {
      const ms = (slow.seconds ?? 5) * 1000;
      this.log.warn({ fault: 'slow_restart', seconds: ms / 1000 }, 'slow restart: delaying before serving');
      // Measured from process start on the wall clock (a timer alone may fire a little early).
      const until = this.startedAt.getTime() + ms;
      while (Date.now() < until && !this.stopping) await new Promise((r) => setTimeout(r, Math.min(250, until - Date.now() + 1)));
      if (this.stopping) throw new Error('stopped during slow restart');
    }

    await this.listen();
    // Serving = listening, info file written, loops started. The truth line goes before the loops
    // so the first reconciliation (which runs right away) is never recorded before it.
    this.servingAt = new Date();
    const port = (this.server!.address() as { port: number }).port;
    const base = `http://${this.config.host}:${port}`;
    this.info = {
      pid: process.pid,
      boot_id: this.bootId,
      host: this.config.host,
      port,
      gateway_url: base,
      control_url: base,
      broker_api_url: `${base}/broker`,
      broker_ws_url: `ws://${this.config.host}:${port}/broker/ws`,
      state_file: this.paths.stateFile,
      ground_truth_file: this.paths.groundTruth,
      run_dir: this.runDir,
      run_id: this.config.runId,
      started_at: this.startedAt.toISOString(),
      serving_at: this.servingAt.toISOString(),
    };
    await writeFileAtomic(this.paths.infoFile, `${JSON.stringify(this.info, null, 2)}\n`);
    this.truth.record('serving', {}, this.servingAt);
    if (!this.stopping) this.startLoops();
    this.log.info({ ready: true, ...this.info }, 'sandbox serving');
    return this.info;
  }

  /** Graceful stop: stop the loops, flush state (unless state_saves_stop), close, record. Idempotent. */
  stop(via: string): Promise<void> {
    this.stopping ??= (async () => {
      const requestedAt = this.truth.record('stop_requested', { via }).ts;
      this.log.info({ via }, 'stop requested');
      for (const t of this.timers.values()) clearInterval(t);
      this.timers.clear();
      await this.chain.catch(() => undefined);
      // Faults of the stop itself: a long graceful drain, or a stop that never completes. The server
      // keeps answering meanwhile (health 503 "stopping"), as a draining process does.
      const drain = this.faults.get('slow_drain');
      if (drain) {
        const until = Date.parse(requestedAt) + (drain.seconds ?? 5) * 1000;
        this.log.warn({ fault: 'slow_drain', seconds: drain.seconds }, 'slow drain: delaying the stop');
        while (Date.now() < until) await new Promise((r) => setTimeout(r, Math.min(250, until - Date.now() + 1)));
      }
      if (this.faults.has('stop_hangs')) {
        this.log.warn('fault stop_hangs: the stop never completes');
        await new Promise(() => undefined);
      }
      for (const c of this.wss?.clients ?? []) c.terminate();
      this.wss?.close();
      if (this.server) {
        this.server.closeAllConnections();
        await new Promise<void>((r) => this.server!.close(() => r()));
      }
      if (!this.faults.has('state_saves_stop')) await this.saveState();
      this.truth.record('stopped', { via, ...(this.lastSave ? { seq: this.lastSave.seq, digest: this.lastSave.digest } : {}) });
      await fsp.rm(this.paths.pidFile, { force: true });
    })();
    return this.stopping;
  }

  isStopping(): boolean {
    return this.stopping !== null;
  }

  /** Serialises cycle work: state changes and file appends never interleave. */
  private enqueue<T>(name: string, fn: () => Promise<T> | T): Promise<T | undefined> {
    const p = this.chain.then(async () => {
      if (this.stopping) return undefined;
      return fn();
    });
    this.chain = p.catch((err) => this.log.error({ err, cycle: name }, 'cycle failed'));
    return p;
  }

  private every(name: string, ms: number, fn: () => Promise<void> | void, immediate = true): void {
    if (this.timers.has(name)) return;
    const run = () => void this.enqueue(name, fn).catch(() => undefined);
    if (immediate) run();
    this.timers.set(name, setInterval(run, ms));
  }

  private startLoops(): void {
    const i = this.config.intervals;
    if (!this.faults.has('reconciliation_not_restarting')) this.every('reconciliation', i.reconciliationMs, () => this.reconciliationCycle());
    else this.log.warn('fault reconciliation_not_restarting: reconciliation loop not started');
    if (!this.faults.has('slo_monitor_silent_after_restart')) this.every('slo', i.sloMonitorMs, () => this.sloCycle());
    else this.log.warn('fault slo_monitor_silent_after_restart: SLO monitor not started');
    this.every('data_quality', i.dataQualityMs, () => this.dataQualityCycle());
    this.every('state_save', i.stateSaveMs, () => (this.faults.has('state_saves_stop') ? undefined : this.saveState()), false);
    this.every('feed', i.feedMs, () => this.feedTick(), false);
  }

  // -------------------------------------------------------------------------------------------
  // State

  private async restoreState(): Promise<void> {
    const r = await readStateFile(this.paths.stateFile);
    if (r.status === 'missing') {
      this.restore = { restored: false, restored_seq: null, restored_digest: null, restore_error: 'no_state_file' };
    } else if (r.status === 'unreadable') {
      this.restore = { restored: false, restored_seq: null, restored_digest: null, restore_error: `unreadable: ${r.error}` };
    } else if (!r.digestValid) {
      // The file's digest does not match its body: refuse it rather than trade on a corrupt state.
      this.restore = { restored: false, restored_seq: null, restored_digest: null, restore_error: 'digest_mismatch' };
      this.seq = r.file.seq;
    } else {
      const body = stateBodySchema.safeParse(r.file.body);
      if (!body.success) {
        this.restore = {
          restored: false,
          restored_seq: null,
          restored_digest: null,
          restore_error: `unreadable: body.${body.error.issues[0]?.path.join('.')}`,
        };
        this.seq = r.file.seq;
      } else {
        this.body = body.data;
        this.seq = r.file.seq;
        if (this.faults.has('wrong_digest_on_restore')) {
          // Simulates a restore that silently loses or alters state: the body now differs from the saved one.
          const sym = this.config.symbols[0]!;
          this.body.positions[sym] = (this.body.positions[sym] ?? 0) + 1;
          this.body.next_order_seq += 1;
        }
        this.restore = { restored: true, restored_seq: r.file.seq, restored_digest: stateDigest(this.body), restore_error: null };
      }
    }
    const savedDigest = r.status === 'ok' ? r.file.digest : undefined;
    const ok = this.restore.restored && this.restore.restored_digest === savedDigest;
    this.truth.record('state_restored', {
      ok,
      ...(this.restore.restored_seq !== null ? { seq: this.restore.restored_seq } : {}),
      ...(this.restore.restored_digest ? { digest: this.restore.restored_digest } : {}),
      ...(savedDigest ? { saved_digest: savedDigest } : {}),
      ...(this.restore.restore_error
        ? { reason: this.restore.restore_error }
        : this.faults.has('wrong_digest_on_restore')
          ? { reason: 'wrong_digest_on_restore' }
          : {}),
    });
  }

  private async saveState(): Promise<void> {
    this.seq += 1;
    const rec = await writeStateFile(this.paths.stateFile, this.seq, this.body as unknown as Record<string, unknown>);
    this.lastSave = { at: rec.saved_at, seq: rec.seq, digest: rec.digest };
    this.truth.record('state_saved', { seq: rec.seq, digest: rec.digest }, new Date(rec.saved_at));
  }

  runtimeStateReport(): RuntimeStateReport {
    return {
      ...this.restore,
      last_save_at: this.lastSave?.at ?? null,
      last_save_seq: this.lastSave?.seq ?? null,
      last_save_digest: this.lastSave?.digest ?? null,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Faults

  private loadFaults(): void {
    try {
      const parsed = faultsFileSchema.safeParse(JSON.parse(fs.readFileSync(this.paths.faultsFile, 'utf8')));
      if (parsed.success) for (const f of parsed.data.faults) this.faults.set(f.fault, f);
      else this.log.warn({ problems: parsed.error.issues.map((i) => i.message) }, 'faults file ignored');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ err }, 'faults file unreadable; ignored');
    }
  }

  private async saveFaults(): Promise<void> {
    const faults = [...this.faults.values()].filter((f) => PERSISTENT_FAULTS.includes(f.fault));
    await writeFileAtomic(this.paths.faultsFile, `${JSON.stringify({ faults }, null, 2)}\n`);
  }

  activeFaults(): ActiveFault[] {
    return [...this.faults.values()];
  }

  async applyFault(raw: unknown): Promise<{ faults: ActiveFault[]; changed: boolean }> {
    const req = faultRequestSchema.safeParse(raw);
    if (!req.success) throw new HttpError(400, 'invalid fault request', issueLines(req.error, { root: '(body)', rootWhenBlank: true }));
    const r = req.data;
    if (r.action === 'inject') {
      const existing = this.faults.get(r.fault);
      const f: ActiveFault = {
        fault: r.fault,
        injected_at: new Date().toISOString(),
        ...(r.fault === 'slow_restart' || r.fault === 'slow_drain' ? { seconds: r.seconds ?? 5 } : r.seconds !== undefined ? { seconds: r.seconds } : {}),
      };
      const changed = !existing || existing.seconds !== f.seconds;
      if (changed) {
        this.faults.set(r.fault, f);
        if (PERSISTENT_FAULTS.includes(r.fault)) await this.saveFaults();
        this.truth.record('fault_injected', { fault: r.fault, ...(f.seconds !== undefined ? { seconds: f.seconds } : {}) });
        this.log.warn({ fault: r.fault, seconds: f.seconds }, 'fault injected');
        this.onFaultInjected(r.fault);
      }
      return { faults: this.activeFaults(), changed };
    }
    const names = r.fault === 'all' ? [...this.faults.keys()] : this.faults.has(r.fault) ? [r.fault] : [];
    for (const name of names) {
      this.faults.delete(name);
      this.truth.record('fault_cleared', { fault: name });
      this.log.info({ fault: name }, 'fault cleared');
    }
    if (names.some((n) => PERSISTENT_FAULTS.includes(n))) await this.saveFaults();
    if (names.length && !this.stopping && this.servingAt) {
      // Clearing a start-time fault lets the loop it held back run now.
      const i = this.config.intervals;
      if (names.includes('reconciliation_not_restarting')) this.every('reconciliation', i.reconciliationMs, () => this.reconciliationCycle());
      if (names.includes('slo_monitor_silent_after_restart')) this.every('slo', i.sloMonitorMs, () => this.sloCycle());
    }
    return { faults: this.activeFaults(), changed: names.length > 0 };
  }

  private onFaultInjected(fault: FaultName): void {
    if (fault === 'broker_disconnect') for (const c of this.wss?.clients ?? []) c.terminate();
    if (fault === 'crash_without_flush') {
      // Let the HTTP answer leave first; then die the hard way: no state flush, no stopped line.
      setTimeout(() => {
        this.truth.record('crashed', { fault });
        process.kill(process.pid, 'SIGKILL');
      }, 50);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Cycles

  private halted(): boolean {
    const k = this.body.kill_switch;
    return entriesHalted(k.halt_reason, k.trading_halted_until, Date.now());
  }

  private async append(file: string, record: object): Promise<void> {
    await fsp.appendFile(file, `${JSON.stringify(record)}\n`);
  }

  private async reconciliationCycle(): Promise<void> {
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

  private async sloCycle(): Promise<void> {
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

  private async dataQualityCycle(): Promise<void> {
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

  private feedTick(): void {
    if (this.faults.has('websocket_silence') || this.faults.has('broker_disconnect')) return;
    const clients = this.wss?.clients;
    if (!clients?.size) return;
    const ts = new Date().toISOString();
    const symbol = this.config.symbols[this.body.reconciliation_cycle % this.config.symbols.length]!;
    const msg = JSON.stringify({ type: 'tick', ts, symbol, price: this.bars(symbol, 1)[0]?.close ?? null });
    for (const c of clients) if (c.readyState === c.OPEN) c.send(msg);
    this.lastFeedAt = ts;
  }

  // -------------------------------------------------------------------------------------------
  // HTTP

  stats(): GatewayStats & Record<string, unknown> {
    const k = this.body.kill_switch;
    return {
      halt_reason: k.halt_reason,
      trading_halted_until: k.trading_halted_until,
      entries_halted: this.halted(),
      mode: this.config.mode,
      run_id: this.config.runId,
      pid: process.pid,
      boot_id: this.bootId,
      started_at: this.startedAt.toISOString(),
      serving_at: this.servingAt?.toISOString() ?? null,
      cycles: { reconciliation: this.body.reconciliation_cycle, slo_monitor: this.body.slo_cycle, data_quality: this.body.dq_cycle },
      loops: { reconciliation: this.timers.has('reconciliation'), slo_monitor: this.timers.has('slo'), data_quality: this.timers.has('data_quality') },
      positions: this.body.positions,
      open_breaches: this.body.open_breaches,
      runtime_state: this.runtimeStateReport(),
      faults: this.activeFaults(),
    };
  }

  private async killSwitch(raw: unknown): Promise<{ changed: boolean }> {
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

  private async listen(): Promise<void> {
    let port = this.config.port;
    if (port === 0) {
      const remembered = Number(fs.existsSync(this.paths.portFile) ? fs.readFileSync(this.paths.portFile, 'utf8').trim() : NaN);
      if (Number.isInteger(remembered) && remembered > 0) port = remembered;
    }
    const server = http.createServer((req, res) => void this.handle(req, res));
    this.wss = new WebSocketServer({ noServer: true, autoPong: false });
    this.wss.on('connection', (ws) => this.onSocket(ws));
    server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`cannot listen on ${this.config.host}:${port}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
      server.listen(port, this.config.host, () => resolve());
    });
    this.server = server;
    const actual = (server.address() as { port: number }).port;
    if (this.config.port === 0) fs.writeFileSync(this.paths.portFile, `${actual}\n`);
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    if (url.pathname !== '/broker/ws' || this.faults.has('broker_disconnect') || this.stopping) {
      socket.end(`HTTP/1.1 ${url.pathname !== '/broker/ws' ? '404 Not Found' : '503 Service Unavailable'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.wss!.handleUpgrade(req, socket, head, (ws) => this.wss!.emit('connection', ws, req));
  }

  private onSocket(ws: WebSocket): void {
    ws.on('ping', (data) => {
      // Pongs are ours to send (autoPong off), so a silent feed can ignore pings.
      if (!this.faults.has('websocket_silence') && !this.faults.has('broker_disconnect')) ws.pong(data);
    });
    ws.on('error', () => undefined);
    ws.send(JSON.stringify({ type: 'hello', ts: new Date().toISOString(), run_id: this.config.runId }));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
      res.end(text);
    };
    try {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      const route = `${req.method} ${url.pathname}`;
      if (this.stopping && route !== 'GET /health') throw new HttpError(503, 'stopping');
      switch (route) {
        case 'GET /health':
          return send(this.stopping ? 503 : 200, {
            status: this.stopping ? 'stopping' : 'ok',
            pid: process.pid,
            boot_id: this.bootId,
            run_id: this.config.runId,
            started_at: this.startedAt.toISOString(),
            serving_at: this.servingAt?.toISOString() ?? null,
          });
        case 'GET /stats':
          return send(200, this.stats());
        case 'GET /runtime-state':
          return send(200, this.runtimeStateReport());
        case 'POST /kill-switch': {
          const body = await readJson(req);
          const r = await this.enqueue('kill-switch', () => this.killSwitch(body));
          if (!r) throw new HttpError(503, 'stopping');
          return send(200, { ...this.stats(), changed: r.changed });
        }
        case 'GET /faults':
          return send(200, { faults: this.activeFaults() });
        case 'POST /faults':
          return send(200, await this.applyFault(await readJson(req)));
        case 'GET /broker/health': {
          const down = this.faults.has('broker_disconnect');
          return send(down ? 503 : 200, {
            status: down ? 'down' : 'ok',
            api_connected: !down,
            ws_clients: this.wss?.clients.size ?? 0,
            last_message_at: this.lastFeedAt,
          });
        }
        case 'POST /control/stop':
          send(202, { status: 'stopping', pid: process.pid, boot_id: this.bootId });
          // main.ts exits once the stop has flushed.
          setImmediate(() => this.emitStop('control'));
          return;
        default:
          if (req.method === 'GET' && url.pathname.startsWith('/bars/')) {
            const sym = symbolSchema.safeParse(decodeURIComponent(url.pathname.slice('/bars/'.length)));
            if (!sym.success) throw new HttpError(400, sym.error.issues[0]?.message ?? 'bad symbol');
            if (!this.config.symbols.includes(sym.data)) throw new HttpError(404, `unknown symbol ${sym.data}`);
            const limitRaw = url.searchParams.get('limit');
            const limit = limitRaw === null ? 30 : Number(limitRaw);
            if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'limit: expected an integer 1-1000');
            if (this.faults.has('broker_disconnect')) throw new HttpError(503, 'market data source unreachable');
            return send(200, { symbol: sym.data, bars: this.bars(sym.data, limit) });
          }
          throw new HttpError(404, `no route ${route}`);
      }
    } catch (err) {
      if (err instanceof HttpError) return send(err.status, { error: err.message, ...(err.issues ? { issues: err.issues } : {}) });
      this.log.error({ err }, 'request failed');
      return send(500, { error: 'internal error' });
    }
  }

  /** Set by main.ts: how a control-endpoint stop reaches the process. */
  onStopRequest: (via: string) => void = (via) => void this.stop(via);

  private emitStop(via: string): void {
    this.onStopRequest(via);
  }
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
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
