/**
 * Loads the targets file (`DRILL_TARGETS_FILE`, default `targets.json`): named targets, zod-validated,
 * relative paths resolved against the file's directory. Errors name the path
 * (`targets.paper-1.gatewayUrl: expected an http(s) URL`).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseMarketCalendar, type MarketCalendar } from '../domain/market-calendar';
import { parseTargetsFile, targetNameSchema, type TargetConfig, type TargetsFile } from '../domain/target';
import { DEFAULT_TARGETS_FILE, readVariable } from '../config';

export { DEFAULT_TARGETS_FILE };

export class TargetConfigError extends Error {
  constructor(
    readonly problems: string[],
    readonly file: string,
  ) {
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

/** Where the targets file is: `DRILL_TARGETS_FILE` (declared in config.ts), else `targets.json`. */
export function targetsFilePath(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return path.resolve(cwd, configuredTargetsFile(env) ?? DEFAULT_TARGETS_FILE);
}

/** `DRILL_TARGETS_FILE` when it is set (not blank), else undefined. */
export function configuredTargetsFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return readVariable('DRILL_TARGETS_FILE', env) || undefined;
}

function resolvePaths(file: TargetsFile, baseDir: string): TargetsFile {
  const targets: Record<string, TargetConfig> = {};
  for (const [name, t] of Object.entries(file.targets)) {
    targets[name] = {
      ...t,
      artifactsRoot: path.resolve(baseDir, t.artifactsRoot),
      auditLogsDir: path.resolve(baseDir, t.auditLogsDir),
      stateFile: path.resolve(baseDir, t.stateFile),
      ...(t.calendarFile ? { calendarFile: path.resolve(baseDir, t.calendarFile) } : {}),
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
  return (await loadTargetsWithSources(file)).value;
}

/** Reads every target's `calendarFile` into its `calendar` (one read per file); returns the files read. */
async function loadCalendarFiles(value: TargetsFile, where: string): Promise<string[]> {
  const read = new Map<string, Promise<MarketCalendar | string[]>>();
  const problems: string[] = [];
  for (const [name, t] of Object.entries(value.targets)) {
    if (!t.calendarFile) continue;
    if (t.calendar) {
      problems.push(`targets.${name}: give calendar or calendarFile, not both`);
      continue;
    }
    const f = t.calendarFile;
    if (!read.has(f)) read.set(f, readCalendarFile(f));
    const r = await read.get(f)!;
    if (Array.isArray(r)) problems.push(...r.map((p) => `targets.${name}.calendarFile (${f}): ${p}`));
    else t.calendar = r;
  }
  if (problems.length) throw new TargetConfigError(problems, where);
  return [...read.keys()];
}

async function readCalendarFile(file: string): Promise<MarketCalendar | string[]> {
  let value: unknown;
  try {
    value = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return [e.code ? `cannot read: ${e.code}` : `not JSON: ${e.message}`];
  }
  const r = parseMarketCalendar(value);
  return r.ok ? r.value : r.errors;
}

/** The targets file with its calendar files read, and every file it came from (for change detection). */
export async function loadTargetsWithSources(file: string): Promise<{ value: TargetsFile; sources: string[] }> {
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
  const parsed = parseTargets(value, path.dirname(abs), abs);
  const calendars = await loadCalendarFiles(parsed, abs);
  return { value: parsed, sources: [abs, ...calendars] };
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

/**
 * A resolver over a targets file that re-reads it when it or a calendar file it names changes
 * (mtime), so edits apply without a restart.
 */
export function fileTargetResolver(file: string = targetsFilePath()): TargetResolver {
  let cache: { stamp: string; sources: string[]; value: TargetsFile } | undefined;
  const stampOf = async (files: string[]) =>
    (
      await Promise.all(
        files.map((f) =>
          fs.stat(f).then(
            (s) => `${f}@${s.mtimeMs}`,
            () => `${f}@missing`,
          ),
        ),
      )
    ).join('|');
  return async (name) => {
    if (!cache || (await stampOf(cache.sources)) !== cache.stamp) {
      const loaded = await loadTargetsWithSources(file);
      cache = { stamp: await stampOf(loaded.sources), sources: loaded.sources, value: loaded.value };
    }
    return pickTarget(cache.value, name);
  };
}

/** A resolver over targets already in memory (tests, embedding). */
export function staticTargetResolver(file: TargetsFile): TargetResolver {
  return async (name) => pickTarget(file, name);
}
