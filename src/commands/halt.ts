/**
 * `drill halt status|hold|release --target T`: who holds a target's entries halted (its halt
 * registry, `haltRegistryWorkflow`), and an operator's own hold. A release resumes entries only when
 * no holder is left; releasing someone else's hold (a stuck incident) needs `--holder` and a reason,
 * and is recorded.
 */
import { WorkflowIdConflictPolicy, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Config } from '../config';
import { connectClient, withTimeout } from '../client/connection';
import { holdRequestSchema, parseHolderKey, releaseRequestSchema, type HaltOpResult, type HaltRegistryStatus, type Holder } from '../domain/halts';
import { targetNameSchema } from '../domain/ids';
import { workflowIds } from '../shared';
import { haltRegistryStatusQuery, holdUpdate, releaseUpdate } from '../workflows/definitions';
import { CommandError } from './output';
import { describeIssues } from '../domain/validation-kit';
import type { haltRegistryWorkflow } from '../workflows';
import { startDetails } from '../client/start-details';

type Deps = { config: Pick<Config, 'temporal' | 'taskQueue'>; timeoutMs?: number };

function target(name: string): string {
  const r = targetNameSchema.safeParse(name);
  if (!r.success) throw new CommandError(`--target: ${r.error.issues[0]?.message ?? 'invalid'}`);
  return r.data;
}

function issues(err: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  return describeIssues(err, { rootWhenBlank: true });
}

function failure(err: unknown): never {
  if (err instanceof WorkflowUpdateFailedError) throw new CommandError((err.cause as Error | undefined)?.message ?? err.message);
  if (err instanceof CommandError) throw err;
  throw new CommandError((err as Error).message ?? String(err));
}

async function update(
  o: { target: string },
  deps: Deps,
  what: string,
  run: (h: ReturnType<Awaited<ReturnType<typeof connectClient>>['client']['workflow']['getHandle']>) => Promise<HaltOpResult>,
): Promise<HaltOpResult> {
  const t = target(o.target);
  const conn = await connectClient(deps.config).catch((err: Error) => failure(err));
  try {
    const workflowId = workflowIds.haltRegistry(t);
    // The registry may not exist yet (no incident or drill touched this target): start it.
    await conn.client.workflow.start<typeof haltRegistryWorkflow>('haltRegistryWorkflow', {
      taskQueue: deps.config.taskQueue,
      workflowId,
      args: [{ target: t }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      staticSummary: `Halt registry of ${t}: who holds its entries halted`,
      staticDetails: startDetails(`drill halt ${what}`, [['target', t]]),
    });
    return await withTimeout(conn.connection, deps.timeoutMs ?? 30000, `${what} at ${workflowId}`, () => run(conn.client.workflow.getHandle(workflowId)));
  } catch (err) {
    failure(err);
  } finally {
    await conn.close();
  }
}

/** Holds the target's entries halted as an operator (holder `operator:<id>`, default id = `--by`). */
export async function haltHold(o: { target: string; by: string; reason: string; id?: string }, deps: Deps): Promise<HaltOpResult> {
  const req = holdRequestSchema.safeParse({ holder: { kind: 'operator', id: o.id ?? o.by }, reason: o.reason, by: o.by });
  if (!req.success) throw new CommandError(`invalid hold: ${issues(req.error)}`);
  return update(o, deps, 'hold', (h) => h.executeUpdate(holdUpdate, { args: [req.data] }));
}

/** Releases a hold (default: `operator:<by>`); entries resume only when no holder is left. */
export async function haltRelease(o: { target: string; by: string; reason: string; holder?: string }, deps: Deps): Promise<HaltOpResult> {
  let holder: Holder | undefined = { kind: 'operator', id: o.by };
  if (o.holder !== undefined) {
    holder = parseHolderKey(o.holder);
    if (!holder)
      throw new CommandError(`--holder: expected <incident|drill|operator>:<id> (as \`drill halt status\` lists them), got ${JSON.stringify(o.holder)}`);
  }
  const req = releaseRequestSchema.safeParse({ holder, by: o.by, reason: o.reason });
  if (!req.success) throw new CommandError(`invalid release: ${issues(req.error)}`);
  return update(o, deps, 'release', (h) => h.executeUpdate(releaseUpdate, { args: [req.data] }));
}

/** The registry's status; exit 1 (CommandError) when the target has no registry yet. */
export async function haltStatus(o: { target: string }, deps: Deps): Promise<HaltRegistryStatus> {
  const t = target(o.target);
  const conn = await connectClient(deps.config).catch((err: Error) => failure(err));
  try {
    const workflowId = workflowIds.haltRegistry(t);
    return await withTimeout(conn.connection, deps.timeoutMs ?? 15000, `the halt registry ${workflowId}`, () =>
      conn.client.workflow.getHandle(workflowId).query(haltRegistryStatusQuery),
    );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new CommandError(`no halt registry for ${t}: nothing has held its entries through drill-runner yet`, 1);
    failure(err);
  } finally {
    await conn.close();
  }
}

export function describeHaltStatus(s: HaltRegistryStatus): string {
  const k = s.entriesHalted === null ? 'unknown' : s.entriesHalted ? `HALTED (${s.haltReason})` : 'entries running';
  return [
    `target ${s.target}: kill switch ${k}${s.lastCheckedAt ? ` (seen ${s.lastCheckedAt})` : ''}${s.foreignHalt ? ' — halted outside drill-runner' : ''}`,
    `holders (${s.holders.length}):${s.holders.length ? '' : ' none'}`,
    ...s.holders.map((h) => `  ${h.kind}:${h.id} since ${h.since}${h.reason ? ` — ${h.reason}` : ''}`),
    `re-halts after manual releases: ${s.rehalts}`,
  ].join('\n');
}

export function describeHaltResult(r: HaltOpResult): string {
  return `${r.op} ${r.holder.kind}:${r.holder.id}: ${r.detail}${r.holders.length ? `\nholders: ${r.holders.map((h) => `${h.kind}:${h.id}`).join(', ')}` : ''}`;
}
