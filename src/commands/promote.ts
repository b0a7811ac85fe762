/**
 * `drill promote`: runs `promotionGateWorkflow` and returns its verdict (the CLI prints the criteria
 * table and maps pass / fail / error to 0 / 1 / 2); `drill verify-bundle`: checks an evidence
 * bundle against its manifest.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import { TemporalFailure } from '@temporalio/common';
import { ConfigError, SLO_THRESHOLD_VARIABLES, sloOverridesFromEnv, type Config } from '../config';
import { connectClient, withTimeout, type ConnectedClient } from '../client/connection';
import { causeChain } from '../domain/failure-chain';
import {
  promotionGateInputSchema,
  type PromotionGateInput,
  type PromotionGateResult,
  type PromotionGateStatus,
  type PromotionThresholdOverrides,
} from '../domain/promotion';
import { DEFAULT_THRESHOLDS, type SloThresholds } from '../domain/slo';
import { verifyBundle, type BundleVerification } from '../io/evidence-bundle';
import { writeFileAtomic } from '../io/files';
import { workflowIds } from '../shared';
import { checkNumberFlag } from './flags';
import { promotionGateStatusQuery } from '../workflows/definitions';
import { CommandError, type Output } from './output';
import type { promotionGateWorkflow } from '../workflows';
import { startDetails } from '../client/start-details';

export interface PromoteOptions {
  experiment: string;
  runId: string;
  /** Default true. */
  strict?: boolean;
  target?: string;
  /** Maximum age of the latest drill, days (default 7). */
  drillMaxAgeDays?: number;
  /** `drill_rto_regression` factor and window (issue 13). */
  rtoRegressionFactor?: number;
  rtoRegressionWindow?: number;
  /** How long to wait for the verdict, seconds (default 600). */
  timeoutSeconds?: number;
  /** Also write `{ verdict, bundle }` as JSON to this local file (CI artifact: the bundle itself lives where the worker writes). */
  out?: string;
  /** How often to say it is still waiting (ms; default 10 s). */
  progressEveryMs?: number;
}

export interface PromoteDeps {
  config: Pick<Config, 'temporal' | 'taskQueue'>;
  output: Output;
  /** `SLO_*` threshold overrides and `GITHUB_STEP_SUMMARY` are read from here (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  connect?: typeof connectClient;
}

export interface PromoteOutcome {
  workflowId: string;
  workflowRunId: string;
  result: PromotionGateResult;
  /** 0 pass, 1 fail. */
  exitCode: 0 | 1;
  /** The `$GITHUB_STEP_SUMMARY` file appended to, if any. */
  stepSummary?: string;
}

const FLAG: Record<string, string> = { experimentId: '--experiment', runId: '--run-id', target: '--target', strict: '--strict' };
const THRESHOLD_FLAG: Record<string, string> = {
  maxDrillAgeSeconds: '--drill-max-age',
  rtoRegressionFactor: '--rto-regression-factor',
  rtoRegressionWindow: '--rto-regression-window',
};
const ENV_OF = Object.fromEntries(Object.entries(SLO_THRESHOLD_VARIABLES).map(([name, key]) => [key, name])) as Record<string, string>;

/** `SLO_*` overrides that differ from the runbook's numbers. */
function thresholdOverrides(
  env: Readonly<Record<string, string | undefined>>,
  drillMaxAgeDays?: number,
  regression: Pick<PromoteOptions, 'rtoRegressionFactor' | 'rtoRegressionWindow'> = {},
): PromotionThresholdOverrides {
  let set: Partial<SloThresholds>;
  try {
    set = sloOverridesFromEnv(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new CommandError(err.message);
    throw err;
  }
  const out: Record<string, number> = {};
  for (const k of Object.keys(DEFAULT_THRESHOLDS) as Array<keyof SloThresholds>) {
    const v = set[k];
    if (v !== undefined && v !== DEFAULT_THRESHOLDS[k]) out[k] = v;
  }
  if (drillMaxAgeDays !== undefined) {
    checkNumberFlag('--drill-max-age', drillMaxAgeDays, { min: 0, exclusiveMin: true, max: 3650, unit: 'days' });
    out.maxDrillAgeSeconds = drillMaxAgeDays * 86400;
  }
  if (regression.rtoRegressionFactor !== undefined) {
    checkNumberFlag('--rto-regression-factor', regression.rtoRegressionFactor, { min: 0, exclusiveMin: true, max: 1000, unit: '× the median' });
    out.rtoRegressionFactor = regression.rtoRegressionFactor;
  }
  if (regression.rtoRegressionWindow !== undefined) {
    checkNumberFlag('--rto-regression-window', regression.rtoRegressionWindow, { min: 1, max: 100, int: true, unit: 'drills' });
    out.rtoRegressionWindow = regression.rtoRegressionWindow;
  }
  return out;
}

function validate(o: PromoteOptions, env: Readonly<Record<string, string | undefined>>): PromotionGateInput {
  const thresholds = thresholdOverrides(env, o.drillMaxAgeDays, o);
  const input = {
    experimentId: o.experiment,
    runId: o.runId,
    strict: o.strict ?? true,
    ...(o.target !== undefined ? { target: o.target } : {}),
    ...(Object.keys(thresholds).length ? { thresholds } : {}),
  };
  const r = promotionGateInputSchema.safeParse(input);
  if (!r.success) {
    throw new CommandError(
      r.error.issues
        .map((i) => {
          const [head, key] = i.path.map(String);
          const name = head === 'thresholds' && key ? (ENV_OF[key] ?? THRESHOLD_FLAG[key] ?? key) : (FLAG[head ?? ''] ?? head ?? '(input)');
          return `${name}: ${i.message}`;
        })
        .join('; '),
    );
  }
  return input;
}

async function appendStepSummary(file: string, text: string, output: Output): Promise<boolean> {
  try {
    await fsp.appendFile(file, text.endsWith('\n') ? `${text}\n` : `${text}\n\n`);
    return true;
  } catch (err) {
    output.err(`warning: could not write GITHUB_STEP_SUMMARY (${file}): ${(err as Error).message}`);
    return false;
  }
}

/** The deepest failure message (an activity's `RunNotFound` under the workflow's failure). */
function failureMessage(err: unknown): string {
  let message = (err as Error)?.message ?? String(err);
  for (const e of causeChain(err)) {
    if (!(e instanceof Error)) break;
    if (e instanceof TemporalFailure || e instanceof WorkflowFailedError) message = e.message || message;
  }
  return message;
}

export async function promoteCommand(o: PromoteOptions, deps: PromoteDeps): Promise<PromoteOutcome> {
  const env = deps.env ?? process.env;
  const summaryFile = env.GITHUB_STEP_SUMMARY?.trim() || undefined;
  try {
    return await promote(o, deps, env, summaryFile);
  } catch (err) {
    // CI readers look at the step summary first: say why there is no verdict.
    if (summaryFile)
      await appendStepSummary(
        summaryFile,
        `## Promotion gate: ⛔ ERROR: experiment \`${o.experiment}\`, run \`${o.runId}\`\n\n${(err as Error).message ?? String(err)}\n`,
        deps.output,
      );
    throw err;
  }
}

async function promote(
  o: PromoteOptions,
  deps: PromoteDeps,
  env: Readonly<Record<string, string | undefined>>,
  summaryFile: string | undefined,
): Promise<PromoteOutcome> {
  const input = validate(o, env);
  const timeoutMs = (checkNumberFlag('--timeout', o.timeoutSeconds, { min: 0, exclusiveMin: true, max: 86400, unit: 'seconds' }) ?? 600) * 1000;
  let conn: ConnectedClient;
  try {
    conn = await (deps.connect ?? connectClient)(deps.config, { connectTimeoutMs: 5000 });
  } catch (err) {
    throw new CommandError((err as Error).message);
  }
  try {
    const workflowId = workflowIds.promotion(input.experimentId, input.runId);
    let handle;
    try {
      handle = await conn.client.workflow.start<typeof promotionGateWorkflow>('promotionGateWorkflow', {
        taskQueue: deps.config.taskQueue,
        workflowId,
        args: [input],
        // A rerun of the same gate after the last one closed starts a fresh run; two at once is an error.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        staticSummary: `Promotion gate: experiment ${input.experimentId}, run ${input.runId} (${input.strict === false ? 'lenient' : 'strict'})`,
        staticDetails: startDetails('drill promote', [
          ['experiment', input.experimentId],
          ['run id', input.runId],
          ['target', input.target],
          ['gate', input.strict === false ? 'lenient' : 'strict'],
          ['CI run', env.GITHUB_RUN_ID ? `${env.GITHUB_REPOSITORY ?? ''} #${env.GITHUB_RUN_ID}` : undefined],
        ]),
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError)
        throw new CommandError(`a promotion gate ${workflowId} is already running; wait for it to finish, then rerun`);
      throw new CommandError(`could not start ${workflowId}: ${(err as Error).message}`);
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    let result: PromotionGateResult | 'timeout';
    const progress = showProgress(conn, handle.workflowId, deps.config.taskQueue, timeoutMs, deps.output, o.progressEveryMs ?? 10_000);
    try {
      result = await Promise.race([handle.result() as Promise<PromotionGateResult>, timedOut]);
    } catch (err) {
      if (err instanceof WorkflowFailedError) throw new CommandError(`promotion gate ${workflowId} failed: ${failureMessage(err)}`);
      throw err;
    } finally {
      clearTimeout(timer);
      await progress.stop();
    }
    if (result === 'timeout') {
      // Leave nothing running that would block the next attempt.
      await handle.terminate(`drill promote: no verdict within ${timeoutMs / 1000} s`).catch(() => undefined);
      throw new CommandError(`no verdict from ${workflowId} within ${timeoutMs / 1000} s: is a worker polling task queue ${deps.config.taskQueue}?`);
    }
    const pin = pinnedHashMarkdown(result);
    const written = summaryFile ? await appendStepSummary(summaryFile, `${result.markdown.trimEnd()}\n\n${pin}\n`, deps.output) : false;
    if (o.out) await writeFileAtomic(path.resolve(o.out), `${JSON.stringify({ workflowId, verdict: result.verdict, bundle: result.bundle }, null, 2)}\n`);
    return {
      workflowId,
      workflowRunId: handle.firstExecutionRunId,
      result,
      exitCode: result.verdict.result === 'pass' ? 0 : 1,
      ...(written && summaryFile ? { stepSummary: summaryFile } : {}),
    };
  } finally {
    await conn.close();
  }
}

/** The step summary's last lines: the hash that pins the bundle, and how to check it. */
export function pinnedHashMarkdown(r: Pick<PromotionGateResult, 'bundle'>): string {
  return `Evidence bundle manifest sha256: \`${r.bundle.manifestSha256}\`. Verify: \`drill verify-bundle ${r.bundle.dir} --expect-hash ${r.bundle.manifestSha256}\``;
}

/**
 * Says what the gate is doing while `drill promote` waits (stderr, so `--json` stays clean): the
 * phase as it changes and, every `everyMs`, that it is still waiting — or that no worker answers.
 */
function showProgress(
  conn: ConnectedClient,
  workflowId: string,
  taskQueue: string,
  timeoutMs: number,
  output: Output,
  everyMs: number,
): { stop(): Promise<void> } {
  const t0 = Date.now();
  let phase: PromotionGateStatus['phase'] | undefined;
  let lastSaid = t0;
  let stopped = false;
  const secs = () => `${Math.round((Date.now() - t0) / 1000)} s`;
  output.err(`promotion gate ${workflowId}: waiting for the verdict (up to ${Math.round(timeoutMs / 1000)} s)`);
  const loop = (async () => {
    while (!stopped) {
      await new Promise((r) => setTimeout(r, Math.min(1000, everyMs)));
      if (stopped) break;
      let now: PromotionGateStatus['phase'] | 'no-worker';
      try {
        now = (await withTimeout(conn.connection, 1500, 'status', () => conn.client.workflow.getHandle(workflowId).query(promotionGateStatusQuery))).phase;
      } catch {
        now = 'no-worker';
      }
      if (stopped) break;
      // No worker at all is worth saying early (5 s), then at the usual pace.
      const due = now === 'no-worker' && phase === undefined && lastSaid === t0 ? Math.min(5000, everyMs) : everyMs;
      if (now !== phase && now !== 'no-worker') {
        phase = now;
        lastSaid = Date.now();
        output.err(`  ${phase} (${secs()})`);
      } else if (Date.now() - lastSaid >= due) {
        lastSaid = Date.now();
        output.err(now === 'no-worker' ? `  still waiting: no worker has answered on task queue ${taskQueue} (${secs()})` : `  still ${now} (${secs()})`);
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** `drill verify-bundle <dir> [--expect-hash H]`: 0 verified, 1 changed / missing / extra / re-labelled / not the pinned bundle, 2 not a bundle or a bad hash. */
export async function verifyBundleCommand(dir: string, o: { expectHash?: string } = {}): Promise<{ verification: BundleVerification; exitCode: 0 | 1 }> {
  let expectHash: string | undefined;
  if (o.expectHash !== undefined) {
    expectHash = o.expectHash
      .trim()
      .toLowerCase()
      .replace(/^sha256:/, '');
    if (!/^[0-9a-f]{64}$/.test(expectHash))
      throw new CommandError(`--expect-hash: expected the 64 hex digits of a SHA-256 (as drill promote prints it), got ${JSON.stringify(o.expectHash)}`);
  }
  const abs = path.resolve(dir);
  const v = await verifyBundle(abs, expectHash ? { expectHash } : {});
  if ('error' in v) throw new CommandError(v.error);
  return { verification: v, exitCode: v.ok ? 0 : 1 };
}

export function describeVerification(v: BundleVerification): string {
  if ('error' in v) return `error: ${v.error}`;
  const lines = [`${v.ok ? 'OK' : 'MISMATCH'}: ${v.dir}: ${v.verified} file(s) verified (manifest sha256 ${v.manifestSha256})`];
  for (const p of v.changed) lines.push(`  changed: ${p}`);
  for (const p of v.missing) lines.push(`  missing: ${p}`);
  for (const p of v.extra) lines.push(`  extra:   ${p}`);
  if (v.subjectMismatch) lines.push("  subject: the manifest's subject differs from subject.json");
  if (!v.subjectCovered && Object.keys(v.subject).length) lines.push('  subject: not covered by a hash (a bundle written before subject.json)');
  if (v.pinned)
    lines.push(
      v.pinned.ok
        ? `  pinned: manifest sha256 matches ${v.pinned.expected}`
        : `  pinned: MISMATCH: manifest sha256 is ${v.manifestSha256}, expected ${v.pinned.expected} (not the bundle the gate wrote)`,
    );
  else lines.push("  pinned: no --expect-hash given: the files match this manifest, but only the hash drill promote printed proves it is the gate's own");
  return lines.join('\n');
}
