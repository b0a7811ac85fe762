/** `drill watch start|stop --run-id R`: the run's alert watcher (one per run, idempotent start). */
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import { connectClient } from '../client/connection';
import { ConfigError, sloOverridesFromEnv, type Config } from '../config';
import { DEFAULT_THRESHOLDS, type SloThresholds } from '../domain/slo';
import { runIdSchema } from '../domain/ids';
import { alertWatchInputSchema, stopWatchSchema, type AlertWatchInput } from '../domain/watch';
import { targetsFilePath } from '../io/targets';
import { workflowIds } from '../shared';
import { stopWatchSignal } from '../workflows/definitions';
import { checkFlag } from './flags';
import { CommandError } from './output';
import { targetForRun } from './triage';
import type { alertWatchWorkflow } from '../workflows';
import { startDetails } from '../client/start-details';

type Deps = { config: Pick<Config, 'temporal' | 'taskQueue'>; targetsFile?: string };

/** The runbook thresholds with any `SLO_*` overrides from the environment, or nothing when none is set. */
function thresholdOverrides(env: NodeJS.ProcessEnv): SloThresholds | undefined {
  try {
    const overrides = sloOverridesFromEnv(env);
    return Object.keys(overrides).length ? { ...DEFAULT_THRESHOLDS, ...overrides } : undefined;
  } catch (err) {
    if (err instanceof ConfigError) throw new CommandError(err.message);
    throw err;
  }
}

/** The flag each input field comes from, for error messages. */
const FLAGS: Record<string, string> = {
  intervalSeconds: '--interval',
  'incident.cycleSeconds': '--incident-cycle',
  'incident.maxWaitSeconds': '--max-wait',
  'incident.ackSlaSeconds': '--ack-sla',
  'incident.evidenceWindowSeconds': '--evidence-window',
};

/** Sane lower bounds for the cycles (the workflows clamp too). */
const MIN_SECONDS: Record<string, number> = { '--interval': 1, '--incident-cycle': 1, '--max-wait': 10, '--ack-sla': 10, '--evidence-window': 10 };

export interface WatchStartOptions {
  runId: string;
  target?: string;
  intervalSeconds?: number;
  /** Handed to every incident the watcher opens. */
  incident?: { cycleSeconds?: number; maxWaitSeconds?: number; ackSlaSeconds?: number; evidenceWindowSeconds?: number };
}

export async function watchStart(
  o: WatchStartOptions,
  deps: Deps & { env?: NodeJS.ProcessEnv },
): Promise<{ workflowId: string; runId: string; target: string }> {
  const given: Record<string, number | undefined> = {
    '--interval': o.intervalSeconds,
    '--incident-cycle': o.incident?.cycleSeconds,
    '--max-wait': o.incident?.maxWaitSeconds,
    '--ack-sla': o.incident?.ackSlaSeconds,
    '--evidence-window': o.incident?.evidenceWindowSeconds,
  };
  for (const [flag, v] of Object.entries(given)) {
    if (v !== undefined && (!Number.isFinite(v) || v < MIN_SECONDS[flag]!))
      throw new CommandError(`${flag}: expected a number of seconds ≥ ${MIN_SECONDS[flag]} (got ${String(v)})`);
  }
  const t = await targetForRun(o.runId, o.target, deps.targetsFile ?? targetsFilePath());
  const thresholds = thresholdOverrides(deps.env ?? process.env);
  const incident = Object.fromEntries(Object.entries(o.incident ?? {}).filter(([, v]) => v !== undefined));
  const input: AlertWatchInput = {
    runId: o.runId,
    target: t.name,
    ...(o.intervalSeconds !== undefined ? { intervalSeconds: o.intervalSeconds } : {}),
    ...(thresholds ? { thresholds } : {}),
    ...(Object.keys(incident).length ? { incident } : {}),
  };
  const parsed = alertWatchInputSchema.safeParse(input);
  if (!parsed.success)
    throw new CommandError(`invalid watch: ${parsed.error.issues.map((i) => `${FLAGS[i.path.join('.')] ?? i.path.join('.')}: ${i.message}`).join('; ')}`);
  const conn = await connectClient(deps.config);
  try {
    const workflowId = workflowIds.alertWatch(o.runId);
    const handle = await conn.client.workflow.start<typeof alertWatchWorkflow>('alertWatchWorkflow', {
      taskQueue: deps.config.taskQueue,
      workflowId,
      args: [input],
      // One watcher per run: starting it again returns the running one.
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      staticSummary: `Alert watcher: run ${o.runId} (target ${t.name})`,
      staticDetails: startDetails('drill watch start', [
        ['run id', o.runId],
        ['target', t.name],
      ]),
    });
    return { workflowId, runId: handle.firstExecutionRunId, target: t.name };
  } finally {
    await conn.close();
  }
}

export async function watchStop(o: { runId: string; reason?: string; by?: string }, deps: Pick<Deps, 'config'>): Promise<{ workflowId: string }> {
  checkFlag('--run-id', runIdSchema, o.runId);
  checkFlag('--reason', stopWatchSchema.shape.reason, o.reason);
  checkFlag('--by', stopWatchSchema.shape.by, o.by);
  const conn = await connectClient(deps.config);
  const workflowId = workflowIds.alertWatch(o.runId);
  try {
    await conn.client.workflow.getHandle(workflowId).signal(stopWatchSignal, { ...(o.reason ? { reason: o.reason } : {}), ...(o.by ? { by: o.by } : {}) });
    return { workflowId };
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') throw new CommandError(`no running watcher ${workflowId}`, 1);
    throw err;
  } finally {
    await conn.close();
  }
}
