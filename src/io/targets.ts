/**
 * Loads the targets file (`DRILL_TARGETS_FILE`, default `targets.json`): named targets, zod-validated,
 * relative paths resolved against the file's directory. Errors name the path
 * (`targets.paper-1.gatewayUrl: expected an http(s) URL`).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseTargetsFile, targetNameSchema, type TargetConfig, type TargetsFile } from '../domain/target';

export const DEFAULT_TARGETS_FILE = 'targets.json';

export class TargetConfigError extends Error {
  constructor(readonly problems: string[], readonly file: string) {
    super(`invalid targets file ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'TargetConfigError';
  }
}

export class UnknownTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownTargetError';
  }
}

/** Where the targets file is: `DRILL_TARGETS_FILE` (read here, not in config.ts), else `targets.json`. */
export function targetsFilePath(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return path.resolve(cwd, env.DRILL_TARGETS_FILE?.trim() || DEFAULT_TARGETS_FILE);
}

function resolvePaths(file: TargetsFile, baseDir: string): TargetsFile {
  const targets: Record<string, TargetConfig> = {};
  for (const [name, t] of Object.entries(file.targets)) {
    targets[name] = {
      ...t,
      artifactsRoot: path.resolve(baseDir, t.artifactsRoot),
      auditLogsDir: path.resolve(baseDir, t.auditLogsDir),
      stateFile: path.resolve(baseDir, t.stateFile),
      process:
        t.process.adapter === 'sandbox'
          ? { ...t.process, ...(t.process.configFile ? { configFile: path.resolve(baseDir, t.process.configFile) } : {}) }
          : { ...t.process, ...(t.process.cwd ? { cwd: path.resolve(baseDir, t.process.cwd) } : {}) },
    };
  }
  return { targets };
}

/** Parses a targets value; relative paths resolve against `baseDir`. */
export function parseTargets(value: unknown, baseDir: string, where = '(inline)'): TargetsFile {
  const r = parseTargetsFile(value);
  if (!r.ok) throw new TargetConfigError(r.errors, where);
  return resolvePaths(r.value, baseDir);
}

export async function loadTargetsFile(file: string): Promise<TargetsFile> {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = await fs.readFile(abs, 'utf8');
  } catch (err) {
    throw new TargetConfigError([`cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`], abs);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TargetConfigError([`not JSON: ${(err as Error).message}`], abs);
  }
  return parseTargets(value, path.dirname(abs), abs);
}

/** Looks a target up by name; the name is validated first (no traversal, no odd characters). */
export function pickTarget(file: TargetsFile, name: string): TargetConfig {
  const n = targetNameSchema.safeParse(name);
  if (!n.success) throw new UnknownTargetError(`invalid target name ${JSON.stringify(name)}: ${n.error.issues[0]?.message}`);
  const t = Object.hasOwn(file.targets, n.data) ? file.targets[n.data] : undefined;
  if (!t) throw new UnknownTargetError(`unknown target ${JSON.stringify(name)} (known: ${Object.keys(file.targets).join(', ') || 'none'})`);
  return t;
}

/** Resolves target names for the activities. */
export type TargetResolver = (name: string) => Promise<TargetConfig>;

/** A resolver over a targets file that re-reads the file when it changes (mtime), so edits apply without a restart. */
export function fileTargetResolver(file: string = targetsFilePath()): TargetResolver {
  let cache: { mtimeMs: number; value: TargetsFile } | undefined;
  return async (name) => {
    const st = await fs.stat(file).catch(() => undefined);
    if (!cache || !st || st.mtimeMs !== cache.mtimeMs) {
      cache = { mtimeMs: st?.mtimeMs ?? 0, value: await loadTargetsFile(file) };
    }
    return pickTarget(cache.value, name);
  };
}

/** A resolver over targets already in memory (tests, embedding). */
export function staticTargetResolver(file: TargetsFile): TargetResolver {
  return async (name) => pickTarget(file, name);
}
