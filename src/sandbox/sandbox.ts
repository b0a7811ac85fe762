/**
 * The paper-trading sandbox: a real target process that honours the target contract
 * (docs/target-contract.md). This file is its composition and lifecycle: start (restore state, honour
 * start-time faults, serve), the timers that drive the simulator's cycles and the periodic state
 * saves, and the graceful stop. The HTTP server is in http.ts, the trading simulator in simulator.ts,
 * fault injection in faults.ts and the persisted state's shape in state.ts. Faults act
 * deterministically from the seed. It writes the ground-truth log the runner's measurements are
 * checked against.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import pino, { type Logger } from 'pino';
import { type ActiveFault, type FaultName, type GatewayStats, type RuntimeStateReport } from '../domain/target';
import { resolveInside, writeFileAtomic } from '../io/files';
import { readStateFile, stateDigest, writeStateFile } from '../io/runtime-state-file';
import { sandboxPaths, type SandboxConfig } from './config';
import { SandboxFaults } from './faults';
import { GroundTruth } from './ground-truth';
import { portToListenOn, SandboxHttp, type SandboxHttpHost } from './http';
import { Simulator } from './simulator';
import { stateBodySchema } from './state';

export { stateBodySchema, type StateBody } from './state';

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
  readonly faults: SandboxFaults;
  readonly sim: Simulator;
  readonly http: SandboxHttp;
  private seq = 0;
  private restore: Pick<RuntimeStateReport, 'restored' | 'restored_seq' | 'restored_digest' | 'restore_error'> = {
    restored: false,
    restored_seq: null,
    restored_digest: null,
    restore_error: null,
  };
  private lastSave: { at: string; seq: number; digest: string } | null = null;
  private timers = new Map<string, NodeJS.Timeout>();
  private chain: Promise<unknown> = Promise.resolve();
  private startedAt = new Date();
  private servingAt: Date | null = null;
  private stopping: Promise<void> | null = null;
  info: SandboxInfo | null = null;

  constructor(
    readonly config: SandboxConfig,
    logger?: Logger,
  ) {
    this.paths = sandboxPaths(config.stateDir);
    this.runDir = resolveInside(config.artifactsRoot, config.runId);
    this.truth = new GroundTruth(this.paths.groundTruth, this.bootId);
    this.log = logger ?? pino({ base: { service: 'drill-sandbox', run_id: config.runId }, timestamp: pino.stdTimeFunctions.isoTime });
    this.faults = new SandboxFaults(this.paths.faultsFile, this.truth, this.log);
    this.sim = new Simulator(config, this.runDir, this.bootId, this.truth, this.log, this.faults, () => this.http.clients());
    this.http = new SandboxHttp(this.httpHost());
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
    this.faults.load();
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

    const { port: listenOn, picked } = await portToListenOn(this.config.host, this.config.port, this.paths.portFile);
    await this.http.listen(this.config.host, listenOn, picked);
    // Serving = listening, info file written, loops started. The truth line goes before the loops
    // so the first reconciliation (which runs right away) is never recorded before it. Set in the
    // turn the bind completed: /health must not answer before `serving_at` is known.
    this.servingAt = new Date();
    const port = this.http.port();
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
    // The truth line before the info file: whoever sees the file (a test, the adapter) finds the line too.
    this.truth.record('serving', {}, this.servingAt);
    await writeFileAtomic(this.paths.infoFile, `${JSON.stringify(this.info, null, 2)}\n`);
    // Port 0: the port picked on the first start is kept for the restarts.
    if (this.config.port === 0) await writeFileAtomic(this.paths.portFile, `${port}\n`);
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
      await this.http.close();
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
    if (!this.faults.has('reconciliation_not_restarting')) this.every('reconciliation', i.reconciliationMs, () => this.sim.reconciliationCycle());
    else this.log.warn('fault reconciliation_not_restarting: reconciliation loop not started');
    if (!this.faults.has('slo_monitor_silent_after_restart')) this.every('slo', i.sloMonitorMs, () => this.sim.sloCycle());
    else this.log.warn('fault slo_monitor_silent_after_restart: SLO monitor not started');
    this.every('data_quality', i.dataQualityMs, () => this.sim.dataQualityCycle());
    this.every('state_save', i.stateSaveMs, () => (this.faults.has('state_saves_stop') ? undefined : this.saveState()), false);
    this.every('feed', i.feedMs, () => this.sim.feedTick(), false);
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
        this.sim.body = body.data;
        this.seq = r.file.seq;
        if (this.faults.has('wrong_digest_on_restore')) {
          // Simulates a restore that silently loses or alters state: the body now differs from the saved one.
          const sym = this.config.symbols[0]!;
          this.sim.body.positions[sym] = (this.sim.body.positions[sym] ?? 0) + 1;
          this.sim.body.next_order_seq += 1;
        }
        this.restore = { restored: true, restored_seq: r.file.seq, restored_digest: stateDigest(this.sim.body), restore_error: null };
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
    const rec = await writeStateFile(this.paths.stateFile, this.seq, this.sim.body as unknown as Record<string, unknown>);
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

  activeFaults(): ActiveFault[] {
    return this.faults.list();
  }

  async applyFault(raw: unknown): Promise<{ faults: ActiveFault[]; changed: boolean }> {
    const r = await this.faults.apply(raw);
    if (r.injected) this.onFaultInjected(r.injected);
    if (r.cleared.length && !this.stopping && this.servingAt) {
      // Clearing a start-time fault lets the loop it held back run now.
      const i = this.config.intervals;
      if (r.cleared.includes('reconciliation_not_restarting')) this.every('reconciliation', i.reconciliationMs, () => this.sim.reconciliationCycle());
      if (r.cleared.includes('slo_monitor_silent_after_restart')) this.every('slo', i.sloMonitorMs, () => this.sim.sloCycle());
    }
    return { faults: this.faults.list(), changed: r.changed };
  }

  private onFaultInjected(fault: FaultName): void {
    if (fault === 'broker_disconnect') for (const c of this.http.clients() ?? []) c.terminate();
    if (fault === 'crash_without_flush') {
      // Let the HTTP answer leave first; then die the hard way: no state flush, no stopped line.
      setTimeout(() => {
        this.truth.record('crashed', { fault });
        process.kill(process.pid, 'SIGKILL');
      }, 50);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Gateway stats and the HTTP routes' view of the sandbox

  stats(): GatewayStats & Record<string, unknown> {
    const k = this.sim.body.kill_switch;
    return {
      halt_reason: k.halt_reason,
      trading_halted_until: k.trading_halted_until,
      entries_halted: this.sim.halted(),
      mode: this.config.mode,
      run_id: this.config.runId,
      pid: process.pid,
      boot_id: this.bootId,
      started_at: this.startedAt.toISOString(),
      serving_at: this.servingAt?.toISOString() ?? null,
      cycles: { reconciliation: this.sim.body.reconciliation_cycle, slo_monitor: this.sim.body.slo_cycle, data_quality: this.sim.body.dq_cycle },
      loops: { reconciliation: this.timers.has('reconciliation'), slo_monitor: this.timers.has('slo'), data_quality: this.timers.has('data_quality') },
      positions: this.sim.body.positions,
      open_breaches: this.sim.body.open_breaches,
      runtime_state: this.runtimeStateReport(),
      faults: this.faults.list(),
    };
  }

  /** What the HTTP routes read and call. */
  private httpHost(): SandboxHttpHost {
    return {
      bootId: this.bootId,
      runId: this.config.runId,
      symbols: this.config.symbols,
      startedAt: this.startedAt,
      log: this.log,
      servingAt: () => this.servingAt,
      isStopping: () => this.isStopping(),
      hasFault: (fault) => this.faults.has(fault),
      stats: () => this.stats(),
      runtimeStateReport: () => this.runtimeStateReport(),
      killSwitch: (raw) => this.enqueue('kill-switch', () => this.sim.killSwitch(raw)),
      activeFaults: () => this.activeFaults(),
      applyFault: (raw) => this.applyFault(raw),
      bars: (symbol, limit) => this.sim.bars(symbol, limit),
      lastFeedAt: () => this.sim.lastFeedAt(),
      requestStop: (via) => this.emitStop(via),
    };
  }

  /** Set by main.ts: how a control-endpoint stop reaches the process. */
  onStopRequest: (via: string) => void = (via) => void this.stop(via);

  private emitStop(via: string): void {
    this.onStopRequest(via);
  }
}
