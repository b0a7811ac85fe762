/**
 * `drill run weekly [--target T] [--watch]`: starts weeklyDrillWorkflow, shows the steps as they
 * happen (polling the `status` query), prints the verdict and report path. The entry maps the
 * result to the exit code: pass 0, fail 1, error/aborted 2.
 */
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import type { Config } from '../config';
import { connectClient } from '../client/connection';
import { weeklyDrillInputSchema, type DrillStepRecord, type WeeklyDrillInput, type WeeklyDrillResult, type WeeklyDrillStatus } from '../domain/drill';
import { configuredTargetsFile, loadTargetsFile, targetsFilePath } from '../io/targets';
import { workflowIds } from '../shared';
import { weeklyDrillStatusQuery } from '../workflows/definitions';
import { refuseOutsideCalendar } from './calendar-check';
import { CommandError, type Output } from './output';
import { findTargetsFile } from './targets-file';
import type { weeklyDrillWorkflow } from '../workflows';
import { startDetails } from '../client/start-details';

export interface RunWeeklyOptions {
  target?: string;
  watch?: boolean;
  drillId?: string;
  /** Extra drill input as JSON (scenarios, bounds, rtoSeconds, ...). */
  input?: string;
  allowLive?: boolean;
}

export interface RunWeeklyDeps {
  config: Pick<Config, 'temporal' | 'taskQueue' | 'stateDir' | 'uiPort'>;
  output: Output;
  env?: NodeJS.ProcessEnv;
  pollMs?: number;
}

export interface RunWeeklyOutcome {
  workflowId: string;
  result: WeeklyDrillResult;
  exitCode: 0 | 1 | 2;
}

/** The target: the flag, else the only target in the targets file (DRILL_TARGETS_FILE, targets.json, <state>/targets.json). */
export async function defaultTarget(flag: string | undefined, deps: Pick<RunWeeklyDeps, 'config' | 'env'>): Promise<string> {
  if (flag !== undefined) return flag;
  const env = deps.env ?? process.env;
  const candidates = [
    configuredTargetsFile(env) ? targetsFilePath(env) : undefined,
    targetsFilePath({}),
    path.join(deps.config.stateDir, 'targets.json'),
  ].filter((f): f is string => !!f);
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) throw new CommandError('--target is required (no targets file found)');
  const names = Object.keys((await loadTargetsFile(file)).targets);
  if (names.length !== 1) throw new CommandError(`--target is required: ${file} has ${names.length} targets (${names.join(', ')})`);
  return names[0]!;
}

/** A drill id from the start time: sortable, one per second per target. */
export function newDrillId(now = new Date()): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export const exitCodeFor = (r: WeeklyDrillResult['result']): 0 | 1 | 2 => (r === 'pass' ? 0 : r === 'fail' ? 1 : 2);

function describeStep(s: DrillStepRecord): string {
  return `  [${s.index}] ${s.name.padEnd(9)} ${s.status}${s.detail ? `: ${s.detail}` : ''}`;
}

/**
 * Refuses a target the targets file does not name (exit 2, nothing started): a typo must not start a
 * workflow, write evidence or page. Without any targets file the name cannot be checked here, so it is
 * refused too: the worker would resolve it from a file the CLI cannot see, and that is not a drill to
 * start blind.
 */
export async function refuseUnknownTarget(target: string, deps: Pick<RunWeeklyDeps, 'config' | 'env'>): Promise<void> {
  const file = findTargetsFile(deps);
  if (!file)
    throw new CommandError(
      `--target: unknown target ${JSON.stringify(target)}: no targets file found (DRILL_TARGETS_FILE, targets.json, ${path.join(deps.config.stateDir, 'targets.json')}). Nothing was started.`,
      2,
    );
  let names: string[];
  try {
    names = Object.keys((await loadTargetsFile(file)).targets);
  } catch (err) {
    throw new CommandError(`--target: cannot check target ${JSON.stringify(target)}: ${(err as Error).message}. Nothing was started.`, 2);
  }
  if (!names.includes(target))
    throw new CommandError(
      `--target: unknown target ${JSON.stringify(target)}: ${file} names ${names.length ? names.join(', ') : 'no targets'}. Nothing was started.`,
      2,
    );
}

/** `--input`: a JSON object or nothing (an array, null, a number or a string is refused, exit 2). */
export function parseDrillInputFlag(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new CommandError(`--input: not JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new CommandError(`--input: expected a JSON object, got ${kind}, e.g. {"scenarios":["stale_data"]}. Nothing was started.`);
  }
  return value as Record<string, unknown>;
}

export async function runWeeklyCommand(o: RunWeeklyOptions, deps: RunWeeklyDeps): Promise<RunWeeklyOutcome> {
  const extra = parseDrillInputFlag(o.input);
  const target = await defaultTarget(o.target, deps);
  const drillId = o.drillId ?? newDrillId();
  const input: WeeklyDrillInput = { ...extra, target, drillId, ...(o.allowLive ? { allowLive: true } : {}) } as WeeklyDrillInput;
  const parsed = weeklyDrillInputSchema.safeParse(input);
  if (!parsed.success) {
    const flag: Record<string, string> = { target: '--target', drillId: '--drill-id', allowLive: '--allow-live' };
    throw new CommandError(
      parsed.error.issues.map((i) => `${flag[String(i.path[0])] ?? `--input: ${i.path.join('.') || '(input)'}`}: ${i.message}`).join('; '),
    );
  }
  await refuseUnknownTarget(target, deps);
  // Market calendar (issue 15): refuse before any workflow starts (the workflow's preflight checks again).
  await refuseOutsideCalendar(target, parsed.data.maxDrillSeconds, deps);
  const conn = await connectClient(deps.config);
  try {
    const workflowId = workflowIds.drill(target, drillId);
    const handle = await conn.client.workflow.start<typeof weeklyDrillWorkflow>('weeklyDrillWorkflow', {
      taskQueue: deps.config.taskQueue,
      workflowId,
      args: [input],
      staticSummary: `DR drill ${drillId} of ${target}`,
      staticDetails: startDetails('drill run weekly', [
        ['target', target],
        ['drill id', drillId],
        ['RTO / RPO targets', `${parsed.data.rtoSeconds} s / ${parsed.data.rpoSeconds} s`],
        ['chaos scenarios', parsed.data.scenarios.join(', ') || 'none'],
        ['seed', parsed.data.seed],
        ['live target allowed', parsed.data.allowLive],
        ['maximum duration', `${parsed.data.maxDrillSeconds} s`],
        ['sign-off', parsed.data.audit.signOff ? `${parsed.data.audit.approver}, within ${parsed.data.audit.signOffSeconds} s` : 'off'],
      ]),
    });
    deps.output.out(`drill ${drillId} started on ${target}: workflow ${workflowId}`);
    let done = false;
    const resultP = handle.result().finally(() => (done = true));
    if (o.watch) {
      const printed = new Map<string, string>();
      const show = (s: WeeklyDrillStatus) => {
        for (const st of s.steps) {
          const key = `${st.name}@${st.startedAt}`;
          const line = describeStep(st);
          if (printed.get(key) !== line) {
            printed.set(key, line);
            deps.output.out(line);
          }
        }
      };
      while (!done) {
        await new Promise((r) => setTimeout(r, deps.pollMs ?? 500));
        try {
          show(await handle.query(weeklyDrillStatusQuery));
        } catch {
          // not answering yet (no worker, or the first task not done): keep polling
        }
      }
      await resultP.catch(() => undefined);
      show(await handle.query(weeklyDrillStatusQuery).catch(() => ({ steps: [] }) as unknown as WeeklyDrillStatus));
    }
    let result: WeeklyDrillResult;
    try {
      result = await resultP;
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        const s = await handle.query(weeklyDrillStatusQuery).catch(() => undefined);
        result = {
          drillId,
          target,
          result: s?.result ?? 'error',
          rto: s?.rto ?? { seconds: null, targetSeconds: parsed.data.rtoSeconds, ok: false },
          rpo: s?.rpo ?? { seconds: null, targetSeconds: parsed.data.rpoSeconds, ok: false },
          failures: s?.failures ?? [String((err.cause as Error)?.message ?? err.message)],
          ...(s?.reportPath ? { reportPath: s.reportPath } : {}),
        };
      } else throw err;
    }
    const summaryFile = (deps.env ?? process.env).GITHUB_STEP_SUMMARY?.trim();
    if (summaryFile) writeStepSummary(summaryFile, result, deps.output);
    return { workflowId, result, exitCode: exitCodeFor(result.result) };
  } finally {
    await conn.close();
  }
}

/**
 * `$GITHUB_STEP_SUMMARY` (as `drill promote` does): the drill's report.md when it was written (it
 * sits beside report.json), else the verdict lines. A summary that cannot be written is a warning.
 */
export function writeStepSummary(file: string, r: WeeklyDrillResult, output: Output): void {
  let text: string | undefined;
  if (r.reportPath) {
    try {
      text = fs.readFileSync(path.join(path.dirname(r.reportPath), 'report.md'), 'utf8');
    } catch {
      // no report.md: fall back to the verdict
    }
  }
  text ??= [
    `## DR drill ${r.drillId} on ${r.target}: ${r.result.toUpperCase()}`,
    '',
    ...describeDrillResult(r)
      .slice(1)
      .map((l) => (l.startsWith('  - ') ? l.trim() : l)),
  ].join('\n');
  try {
    fs.appendFileSync(file, `${text.trimEnd()}\n\n`);
  } catch (err) {
    output.err(`warning: could not write GITHUB_STEP_SUMMARY (${file}): ${(err as Error).message}`);
  }
}

export function describeDrillResult(r: WeeklyDrillResult): string[] {
  const sec = (x: number | null) => (x === null ? 'not observed' : `${x.toFixed(3)} s`);
  const m = (x: WeeklyDrillResult['rto']) =>
    `${x.seconds === null ? 'not measured' : `${x.seconds.toFixed(3)} s`} (target ≤ ${x.targetSeconds} s, ${x.ok ? 'ok' : 'FAILED'})`;
  return [
    `verdict: ${r.result.toUpperCase()}`,
    `RTO ${m(r.rto)}; RPO ${m(r.rpo)}`,
    ...(r.recovery?.outageStartAt
      ? [
          `  from the stop request (${r.recovery.outageStartAt}): detected ${sec(r.recovery.timeToDetectSeconds)}, restart complete ${sec(r.recovery.restartCompleteSeconds)}, first clean reconciliation ${sec(r.recovery.firstCleanReconciliationSeconds)}`,
        ]
      : []),
    ...r.failures.map((f) => `  - ${f}`),
    ...(r.abortReason ? [`aborted: ${r.abortReason}`] : []),
    `report: ${r.reportPath ?? '(not written)'}`,
  ];
}
