/**
 * The Python target (`test/targets/python-target/target.py`) as a test fixture: its own directory,
 * a free port, fast loops, and a target entry that drives it through the **shell** process adapter
 * only (`target.py start|stop|health --dir D`). It knows nothing of drill-runner's code: it was
 * written from docs/target-contract.md. With `faults`, the entry also declares the target's shell
 * fault commands (`target.py fault inject|clear <scenario> --dir D`, `clearAll`: `clear all`).
 * Always `cleanup()` in afterAll: it kills the process hard (a `stop_hangs` target never exits on
 * its own).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TargetConfigInput } from '../../src/domain/target';
import { freePort } from './process';

export const PY_TARGET = path.resolve(__dirname, '..', 'targets', 'python-target', 'target.py');

export type PythonScenario =
  | 'normal'
  | 'stale_state'
  | 'corrupt_state'
  | 'lost_state'
  | 'recon_never_resumes'
  | 'recon_dirty'
  | 'slo_silent'
  | 'never_healthy'
  | 'slow_restart'
  | 'slow_drain'
  | 'stop_hangs';

/** The chaos faults the target's `fault` command knows. */
export const PY_FAULTS = ['stale_data', 'order_drift'] as const;
export type PythonFault = (typeof PY_FAULTS)[number];

export interface PythonTruthEvent {
  ts: string;
  event: string;
  pid: number;
  boot_id: string;
  seq?: number;
  digest?: string;
  cycle?: number;
}

/** One run of the target's `fault` command, as the command itself logged it (`D/fault_log.jsonl`). */
export interface PythonFaultLogEntry {
  ts: string;
  action: 'inject' | 'clear';
  fault: string;
  key: string | null;
  injected_at?: string;
  repeat?: boolean;
}

export interface PythonTarget {
  name: string;
  dir: string;
  port: number;
  url: string;
  runDir: string;
  stateFile: string;
  entry: TargetConfigInput;
  /**
   * Takes effect live (stale_state), at the next stop (slow_drain, stop_hangs) or at the
   * next boot (the others). `seconds`: slow_drain's drain, slow_restart's wait before serving.
   */
  setScenario(s: PythonScenario, seconds?: number): void;
  groundTruth(): PythonTruthEvent[];
  faultLog(): PythonFaultLogEntry[];
  /** Runs one of the target's own commands (start, stop, health); returns its exit code. */
  command(cmd: 'start' | 'stop' | 'health'): number;
  waitHealthy(timeoutMs?: number): Promise<void>;
  cleanup(): Promise<void>;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface PythonTargetOptions {
  reconMs?: number;
  sloMs?: number;
  saveMs?: number;
  dqMs?: number;
  start?: boolean;
  /** Declare these shell faults in the target entry (`faults`), with `clearAll`. */
  faults?: readonly PythonFault[];
  /** The shell process adapter's `timeoutSeconds` (per command attempt); default 20. */
  processTimeoutSeconds?: number;
}

const readJsonl = <T>(f: string): T[] =>
  fs.existsSync(f)
    ? fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as T)
    : [];

export async function startPythonTarget(name: string, opts: PythonTargetOptions = {}): Promise<PythonTarget> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-pytarget-'));
  const port = await freePort();
  const runId = 'py-paper';
  const artifactsRoot = path.join(dir, 'runs');
  const stateFile = path.join(dir, 'runtime_state.json');
  fs.mkdirSync(path.join(dir, 'audit_logs'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({
      port,
      run_id: runId,
      artifacts_root: artifactsRoot,
      state_file: stateFile,
      recon_ms: opts.reconMs ?? 100,
      slo_ms: opts.sloMs ?? 150,
      save_ms: opts.saveMs ?? 200,
      dq_ms: opts.dqMs ?? 200,
    }),
  );
  const cmd = (c: string) => `python3 ${q(PY_TARGET)} ${c} --dir ${q(dir)}`;
  const url = `http://127.0.0.1:${port}`;
  const entry: TargetConfigInput = {
    mode: 'paper',
    artifactsRoot,
    runId,
    auditLogsDir: path.join(dir, 'audit_logs'),
    gatewayUrl: url,
    process: { adapter: 'shell', start: cmd('start'), stop: cmd('stop'), health: cmd('health'), timeoutSeconds: opts.processTimeoutSeconds ?? 20 },
    stateFile,
    broker: { apiUrl: `${url}/broker`, wsUrl: `ws://127.0.0.1:${port}/broker/ws` },
    symbols: ['AAPL', 'MSFT'],
  };
  if (opts.faults?.length) {
    const faultCmd = (action: 'inject' | 'clear', fault: string) => `python3 ${q(PY_TARGET)} fault ${action} ${fault} --dir ${q(dir)}`;
    entry.faults = {
      adapter: 'shell',
      inject: Object.fromEntries(opts.faults.map((f) => [f, faultCmd('inject', f)])),
      clear: Object.fromEntries(opts.faults.map((f) => [f, faultCmd('clear', f)])),
      clearAll: faultCmd('clear', 'all'),
      timeoutSeconds: 10,
    };
  }
  const command = (c: 'start' | 'stop' | 'health'): number => {
    try {
      execFileSync('python3', [PY_TARGET, c, '--dir', dir], { stdio: 'ignore', timeout: 20000 });
      return 0;
    } catch (err) {
      return (err as { status?: number }).status ?? 1;
    }
  };
  const t: PythonTarget = {
    name,
    dir,
    port,
    url,
    runDir: path.join(artifactsRoot, runId),
    stateFile,
    entry,
    setScenario: (s, seconds) => fs.writeFileSync(path.join(dir, 'scenario'), `${s}${seconds === undefined ? '' : ` ${seconds}`}\n`),
    groundTruth: () => readJsonl<PythonTruthEvent>(path.join(dir, 'ground_truth.jsonl')),
    faultLog: () => readJsonl<PythonFaultLogEntry>(path.join(dir, 'fault_log.jsonl')),
    command,
    async waitHealthy(timeoutMs = 10000) {
      const until = Date.now() + timeoutMs;
      while (command('health') !== 0) {
        if (Date.now() > until)
          throw new Error(
            `python target ${name} not healthy within ${timeoutMs} ms (log: ${fs.readFileSync(path.join(dir, 'target.log'), 'utf8').slice(-1000)})`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async cleanup() {
      // Hard: SIGKILL whatever serve process is up (a graceful stop may drain or hang by scenario).
      let pid = NaN;
      try {
        pid = Number(fs.readFileSync(path.join(dir, 'target.pid'), 'utf8'));
      } catch {
        // no pid file: the process is gone (a graceful stop removes it)
      }
      // Only this target's own serve process (never a pid reused since by something else).
      const ours = (): boolean => {
        try {
          return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(dir);
        } catch {
          return false;
        }
      };
      if (Number.isInteger(pid) && pid > 0 && ours()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (!process.env.KEEP_SANDBOX_DIRS) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  if (opts.start !== false) {
    command('start');
    await t.waitHealthy();
    // A first save, and a few clean cycles, before anyone drills it.
    const until = Date.now() + 5000;
    while (!t.groundTruth().some((e) => e.event === 'state_saved') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  }
  return t;
}
