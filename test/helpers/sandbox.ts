/**
 * A real sandbox process per test file: temp dirs, a free port (bound as 0 on first start, then
 * remembered across restarts), fast cycles. Always kill it in afterAll (`sbx.cleanup()`).
 * Needs the build (`npx tsc -p tsconfig.build.json`; `npm test` runs it first).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type TargetActivityDeps } from '../../src/activities/target-input';
import { type FaultName, type GroundTruthEvent, type TargetConfigInput, type TargetsFile } from '../../src/domain/target';
import { parseJsonl } from '../../src/io/files';
import { parseTargets, staticTargetResolver } from '../../src/io/targets';
import { loadSandboxConfig, sandboxPaths, type SandboxConfig, type SandboxConfigInput } from '../../src/sandbox/config';
import {
  killSandbox,
  readSandboxInfo,
  sandboxFault,
  sandboxTargetEntry,
  startSandbox,
  stopSandbox,
  writeSandboxConfig,
  type StartResult,
  type StopResult,
} from '../../src/sandbox/control';
import { readGroundTruth } from '../../src/sandbox/ground-truth';
import type { SandboxInfo } from '../../src/sandbox/sandbox';
import { type z } from 'zod';

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'sandbox', 'main.js');

/** Fails with a clear message when the sandbox is not built, or built from older sources. */
export function assertSandboxBuilt(): void {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npx tsc -p tsconfig.build.json\` (npm test does it in pretest)`);
  const built = fs.statSync(MAIN).mtimeMs;
  const sources = [
    ...fs.readdirSync(path.join(ROOT, 'src', 'sandbox')).map((f) => path.join(ROOT, 'src', 'sandbox', f)),
    path.join(ROOT, 'src', 'domain', 'target.ts'),
  ];
  const newer = sources.filter((f) => f.endsWith('.ts') && fs.statSync(f).mtimeMs > built);
  if (newer.length)
    throw new Error(`dist/sandbox is older than ${newer.map((f) => path.relative(ROOT, f)).join(', ')}: run \`npx tsc -p tsconfig.build.json\``);
}

export const FAST_INTERVALS = { reconciliationMs: 100, sloMonitorMs: 150, dataQualityMs: 200, stateSaveMs: 200, feedMs: 100 };

export interface TestSandbox {
  dir: string;
  configFile: string;
  config: SandboxConfig;
  paths: ReturnType<typeof sandboxPaths>;
  runDir: string;
  /** The latest info (updated by start/restart). */
  info: SandboxInfo;
  targetName: string;
  targets: TargetsFile;
  /** Deps for the target adapters, resolving `targetName` to this sandbox. */
  deps: TargetActivityDeps;
  start(): Promise<StartResult>;
  stop(via?: 'control' | 'signal'): Promise<StopResult>;
  restart(): Promise<StartResult>;
  kill(): void;
  inject(fault: FaultName, seconds?: number): Promise<void>;
  clear(fault: FaultName | 'all'): Promise<void>;
  groundTruth(): GroundTruthEvent[];
  /** Records of one run artifact file, parsed with `schema`. */
  artifact<S extends z.ZodType>(file: string, schema: S): Array<z.output<S>>;
  cleanup(): Promise<void>;
}

export interface TestSandboxOptions {
  config?: Partial<SandboxConfigInput>;
  targetName?: string;
  /** Override parts of the target entry (e.g. a shell process adapter). */
  target?: (entry: TargetConfigInput, sbx: { dir: string; configFile: string; config: SandboxConfig }) => TargetConfigInput;
}

export async function startTestSandbox(opts: TestSandboxOptions = {}): Promise<TestSandbox> {
  assertSandboxBuilt();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-sbx-'));
  const configFile = await writeSandboxConfig(path.join(dir, 'sandbox-config.json'), {
    runId: 'paper-test',
    stateDir: 'state',
    artifactsRoot: 'results/runs',
    auditLogsDir: 'audit_logs',
    seed: 7,
    ...opts.config,
    intervals: { ...FAST_INTERVALS, ...(opts.config?.intervals ?? {}) },
  });
  const config = loadSandboxConfig(configFile);
  const paths = sandboxPaths(config.stateDir);
  const targetName = opts.targetName ?? 'sandbox-1';
  let first: StartResult;
  try {
    first = await startSandbox({ configFile, timeoutMs: 15000 });
  } catch (err) {
    const log = fs.existsSync(paths.logFile) ? fs.readFileSync(paths.logFile, 'utf8').slice(-2000) : '';
    throw new Error(`sandbox did not start: ${(err as Error).message}\n${log}`);
  }
  let entry = sandboxTargetEntry(config, first.info!.port);
  if (opts.target) entry = opts.target(entry, { dir, configFile, config });
  const targets = parseTargets({ targets: { [targetName]: entry } }, dir);

  const sbx: TestSandbox = {
    dir,
    configFile,
    config,
    paths,
    runDir: path.join(config.artifactsRoot, config.runId),
    info: first.info!,
    targetName,
    targets,
    deps: { targets: staticTargetResolver(targets), opsDir: path.join(dir, 'ops') },
    async start() {
      const r = await startSandbox({ configFile, timeoutMs: 15000 });
      if (r.info) sbx.info = r.info;
      return r;
    },
    async stop(via = 'control') {
      const r = await stopSandbox({ configFile, via, timeoutMs: 10000 });
      if (!r.stopped) throw new Error(`sandbox pid ${r.pid} did not stop within 10 s`);
      return r;
    },
    async restart() {
      await sbx.stop();
      return sbx.start();
    },
    kill() {
      killSandbox({ configFile });
    },
    async inject(fault, seconds) {
      await sandboxFault({ configFile }, { action: 'inject', fault, ...(seconds !== undefined ? { seconds } : {}) });
    },
    async clear(fault) {
      await sandboxFault({ configFile }, { action: 'clear', fault });
    },
    groundTruth: () => readGroundTruth(paths.groundTruth),
    artifact(file, schema) {
      const p = path.join(sbx.runDir, file);
      return fs.existsSync(p) ? parseJsonl(fs.readFileSync(p, 'utf8'), schema).records : [];
    },
    async cleanup() {
      try {
        killSandbox({ configFile });
      } finally {
        if (!process.env.KEEP_SANDBOX_DIRS) fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  return sbx;
}

/** Polls `probe` until it returns a truthy value; fails naming `what` and the last value seen. */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, { timeoutMs = 10000, intervalMs = 50 } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await probe();
      if (last) return last as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const shown = last instanceof Error ? last.message : JSON.stringify(last)?.slice(0, 500);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${shown})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export { readSandboxInfo };
