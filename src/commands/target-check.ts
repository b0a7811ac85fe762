/**
 * `drill target check --target T [--json]` and `drill run weekly --dry-run`: read-only conformance
 * of a target against the contract surfaces the weekly drill uses (`io/conformance-probe.ts`,
 * verdicts in `domain/conformance.ts`). One pass/fail line per check; exit 0 when none failed, 1
 * otherwise; 2 for bad input (unknown target, broken targets file, bad --input). No workflow is
 * started and the target is not changed.
 */
import fs from 'node:fs';
import type { Config } from '../config';
import { conformanceReport, type ConformanceCheck, type ConformanceReport } from '../domain/conformance';
import { weeklyDrillInputSchema } from '../domain/drill';
import { probeTarget } from '../io/conformance-probe';
import { calendarCheckResult, calendarRefusal } from '../domain/market-calendar';
import type { TargetConfig } from '../domain/target';
import { loadTargetsFile, pickTarget, TargetConfigError, targetsFilePath, UnknownTargetError } from '../io/targets';
import { drillIdSchema, targetNameSchema } from '../domain/ids';
import { checkFlag } from './flags';
import { CommandError } from './output';
import { findTargetsFile } from './targets-file';
import { defaultTarget } from './run';

export interface TargetCheckOptions {
  target?: string;
  allowLive?: boolean;
}

export interface TargetCheckDeps {
  config: Pick<Config, 'stateDir' | 'temporal' | 'taskQueue' | 'uiPort'> & Partial<Pick<Config, 'targetEnvAllow'>>;
  env?: NodeJS.ProcessEnv;
}

export interface TargetCheckOutcome {
  report: ConformanceReport;
  exitCode: 0 | 1;
}

async function check(
  o: TargetCheckOptions & { dryRun: boolean; chaosScenarios?: readonly string[] },
  deps: TargetCheckDeps,
  extra: (t: TargetConfig) => ConformanceCheck[] = () => [],
): Promise<TargetCheckOutcome> {
  checkFlag('--target', targetNameSchema, o.target);
  const name = await defaultTarget(o.target, deps);
  const file = findTargetsFile(deps) ?? targetsFilePath({});
  let target;
  try {
    target = pickTarget(await loadTargetsFile(file), name);
  } catch (err) {
    if (err instanceof UnknownTargetError || err instanceof TargetConfigError) throw new CommandError(err.message, 2);
    throw err;
  }
  let rawEntry: unknown;
  try {
    rawEntry = (JSON.parse(fs.readFileSync(file, 'utf8')) as { targets?: Record<string, unknown> }).targets?.[name];
  } catch {
    rawEntry = undefined; // already parsed once above; a race with an edit only loses the raw view
  }
  const r = await probeTarget(name, target, {
    rawEntry,
    envAllow: deps.config.targetEnvAllow ?? [],
    ...(o.dryRun ? { allowLive: !!o.allowLive, chaosScenarios: o.chaosScenarios ?? [] } : {}),
  });
  const first = extra(target);
  const report = first.length ? conformanceReport(r.target, r.checkedAt, [...first, ...r.checks]) : r;
  return { report, exitCode: report.ok ? 0 : 1 };
}

export function targetCheckCommand(o: TargetCheckOptions, deps: TargetCheckDeps): Promise<TargetCheckOutcome> {
  return check({ ...o, dryRun: false }, deps);
}

/**
 * `drill run weekly --dry-run`: the drill's input validated as the run would validate it, then every
 * surface the drill would touch checked read-only. Nothing starts.
 */
export async function weeklyDryRunCommand(o: TargetCheckOptions & { input?: string; drillId?: string }, deps: TargetCheckDeps): Promise<TargetCheckOutcome> {
  checkFlag('--target', targetNameSchema, o.target);
  checkFlag('--drill-id', drillIdSchema, o.drillId);
  let extra: unknown = {};
  if (o.input !== undefined) {
    try {
      extra = JSON.parse(o.input);
    } catch (err) {
      throw new CommandError(`--input: not JSON (${(err as Error).message})`);
    }
    if (typeof extra !== 'object' || extra === null || Array.isArray(extra))
      throw new CommandError('--input: expected a JSON object, e.g. {"scenarios":["stale_data"]}');
  }
  const target = await defaultTarget(o.target, deps);
  const parsed = weeklyDrillInputSchema.safeParse({
    ...(extra as object),
    target,
    drillId: o.drillId ?? 'dry-run',
    ...(o.allowLive ? { allowLive: true } : {}),
  });
  if (!parsed.success) throw new CommandError(parsed.error.issues.map((i) => `--input: ${i.path.join('.') || '(input)'}: ${i.message}`).join('; '));
  const d = parsed.data;
  const inputCheck: ConformanceCheck = {
    surface: 'config',
    name: 'drill input',
    status: 'pass',
    detail: `scenarios [${d.scenarios.join(', ')}], RTO target ${d.rtoSeconds} s, RPO target ${d.rpoSeconds} s, restart bound ${d.restartSeconds} s`,
  };
  // The market calendar, as the run would check it now (issue 15).
  const calendar = (t: TargetConfig): ConformanceCheck => {
    const c = calendarCheckResult(t.calendar, Date.now(), d.maxDrillSeconds);
    const refusal = calendarRefusal(c);
    if (!c.hasCalendar) return { surface: 'config', name: 'market calendar', status: 'skip', detail: 'none: the target may be drilled at any time' };
    return refusal
      ? { surface: 'config', name: 'market calendar', status: 'fail', detail: refusal }
      : { surface: 'config', name: 'market calendar', status: 'pass', detail: `a drill starting now is allowed (${c.calendar ?? 'calendar'})` };
  };
  return check({ ...o, target, dryRun: true, chaosScenarios: d.scenarios }, deps, (t) => [inputCheck, calendar(t)]);
}
