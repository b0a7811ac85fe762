/**
 * The sandbox's own config file (JSON, zod-validated). Relative paths are resolved against the
 * file's directory, so a config folder can be moved as a whole. Intervals default to realistic
 * values; tests set them to a few hundred milliseconds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { runIdSchema } from '../domain/ids';
import { formatIssues, symbolSchema } from '../domain/target';

const ms = (dflt: number) => z.number().int().min(20, { error: 'at least 20 ms' }).max(86_400_000).default(dflt);

export const sandboxConfigSchema = z.object({
  mode: z.enum(['paper', 'live']).default('paper'),
  runId: runIdSchema.default('sandbox-paper'),
  /** Parent of `<run_id>/` (the runbook's `results/runs`). */
  artifactsRoot: z.string().min(1).default('results/runs'),
  auditLogsDir: z.string().min(1).default('audit_logs'),
  /** State file, faults file, ground truth, pid and info files. */
  stateDir: z.string().min(1).default('.drill-runner/sandbox'),
  host: z.string().min(1).default('127.0.0.1'),
  /** 0: pick a free port below the ephemeral range on first start and keep it (stored in `<stateDir>/port`) across restarts. */
  port: z.number().int().min(0).max(65535).default(0),
  symbols: z.array(symbolSchema).min(1).default(['AAPL', 'MSFT', 'SPY']),
  /** Seeds every pseudo-random choice: same seed, same orders, same drifted ids, same corrupt bars. */
  seed: z.number().int().default(42),
  /** Daily bars kept per symbol. */
  barsHistory: z.number().int().min(30).max(2000).default(60),
  intervals: z
    .object({
      reconciliationMs: ms(5_000),
      sloMonitorMs: ms(10_000),
      dataQualityMs: ms(60_000),
      /** RPO bound: the runbook tolerates 1 minute of lost runtime state. */
      stateSaveMs: ms(15_000),
      /** Broker feed tick on the websocket. */
      feedMs: ms(1_000),
    })
    .prefault({}),
  /** SLO monitor window for pass rate and error rate, in reconciliation cycles. */
  sloWindowCycles: z.number().int().min(1).max(100_000).default(200),
});
export type SandboxConfigInput = z.input<typeof sandboxConfigSchema>;
export type SandboxConfig = z.infer<typeof sandboxConfigSchema> & { configFile?: string };

export class SandboxConfigError extends Error {
  constructor(
    readonly problems: string[],
    where: string,
  ) {
    super(`invalid sandbox config ${where}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SandboxConfigError';
  }
}

/** Parses a config value; paths resolve against `baseDir`. */
export function parseSandboxConfig(value: unknown, baseDir: string, where = '(inline)'): SandboxConfig {
  const r = sandboxConfigSchema.safeParse(value);
  if (!r.success) throw new SandboxConfigError(formatIssues(r.error), where);
  const c = r.data;
  return {
    ...c,
    artifactsRoot: path.resolve(baseDir, c.artifactsRoot),
    auditLogsDir: path.resolve(baseDir, c.auditLogsDir),
    stateDir: path.resolve(baseDir, c.stateDir),
  };
}

export function loadSandboxConfig(file: string): SandboxConfig {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    throw new SandboxConfigError([`cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`], abs);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SandboxConfigError([`not JSON: ${(err as Error).message}`], abs);
  }
  return { ...parseSandboxConfig(value, path.dirname(abs), abs), configFile: abs };
}

/** Files the sandbox keeps in its state dir. */
export function sandboxPaths(stateDir: string) {
  return {
    stateFile: path.join(stateDir, 'runtime_state.json'),
    faultsFile: path.join(stateDir, 'faults.json'),
    groundTruth: path.join(stateDir, 'ground_truth.jsonl'),
    pidFile: path.join(stateDir, 'sandbox.pid'),
    infoFile: path.join(stateDir, 'sandbox.json'),
    portFile: path.join(stateDir, 'port'),
    logFile: path.join(stateDir, 'sandbox.log'),
  };
}
