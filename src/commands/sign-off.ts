/**
 * `drill sign-off --target T --drill-id D`: sign a drill's test record off (the `signOff` update on
 * its sign-off workflow), or with `--status` only show where the sign-off stands. The update answers
 * once `signoff.json` is written, so a zero exit means the sign-off is durable evidence.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Config } from '../config';
import { connectClient, withTimeout } from '../client/connection';
import { signOffRequestSchema, type DrillSignOffStatus, type SignOffRecord } from '../domain/drill-signoff';
import { drillIdSchema, targetNameSchema } from '../domain/ids';
import { workflowIds } from '../shared';
import { drillSignOffStatusQuery, signOffUpdate } from '../workflows/definitions';
import { CommandError } from './output';

type Deps = { config: Pick<Config, 'temporal'>; timeoutMs?: number };

export interface SignOffOptions {
  target: string;
  drillId: string;
  by?: string;
  role?: string;
  decision?: string;
  notes?: string;
}

function id(schema: typeof targetNameSchema, value: string, flag: string): string {
  const r = schema.safeParse(value);
  if (!r.success) throw new CommandError(`${flag}: ${r.error.issues[0]?.message ?? 'invalid'}`);
  return r.data;
}

async function onSignOff<T>(
  o: SignOffOptions,
  deps: Deps,
  what: string,
  run: (h: ReturnType<Awaited<ReturnType<typeof connectClient>>['client']['workflow']['getHandle']>) => Promise<T>,
): Promise<T> {
  const workflowId = workflowIds.drillSignOff(id(targetNameSchema, o.target, '--target'), id(drillIdSchema, o.drillId, '--drill-id'));
  const conn = await connectClient(deps.config).catch((err: Error) => {
    throw new CommandError(err.message);
  });
  const handle = conn.client.workflow.getHandle(workflowId);
  try {
    return await withTimeout(conn.connection, deps.timeoutMs ?? 30000, `${what} at ${workflowId}`, () => run(handle));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      // An update to a closed workflow is "not found" too: say it has ended when it has.
      const closed = await handle.describe().then(
        (d) => (d.status.name === 'RUNNING' ? undefined : d.status.name),
        () => undefined,
      );
      if (closed)
        throw new CommandError(
          `sign-off refused: the sign-off of ${o.drillId} has ended (${closed}: signed or expired); the record is drills/${o.drillId}/signoff.json`,
          1,
        );
      throw new CommandError(
        `no sign-off workflow ${workflowId}: is the drill id right, and did the drill finish (it starts the sign-off at its evidence step)?`,
        1,
      );
    }
    if (err instanceof WorkflowUpdateFailedError) throw new CommandError(`sign-off refused: ${(err.cause as Error | undefined)?.message ?? err.message}`, 1);
    if (err instanceof CommandError) throw err;
    // A rejected update (validator) arrives as an update failure; a closed workflow as "not found" or "completed".
    const message = (err as Error).message ?? String(err);
    throw new CommandError(
      /completed|already/i.test(message) ? `sign-off refused: the sign-off of ${o.drillId} has ended (signed or expired): ${message}` : message,
      1,
    );
  } finally {
    await conn.close();
  }
}

export async function signOffCommand(o: SignOffOptions, deps: Deps): Promise<SignOffRecord> {
  const req = signOffRequestSchema.safeParse({ by: o.by, role: o.role, decision: o.decision, ...(o.notes !== undefined ? { notes: o.notes } : {}) });
  if (!req.success) throw new CommandError(`invalid sign-off: ${req.error.issues.map((i) => `--${String(i.path[0] ?? 'input')}: ${i.message}`).join('; ')}`);
  return onSignOff(o, deps, 'sign-off', (h) => h.executeUpdate(signOffUpdate, { args: [req.data] }));
}

export async function signOffStatusCommand(o: SignOffOptions, deps: Deps): Promise<DrillSignOffStatus> {
  return onSignOff(o, deps, 'sign-off status', (h) => h.query(drillSignOffStatusQuery));
}

export function describeSignOff(r: SignOffRecord, file?: string): string {
  const s = r.signOff;
  return [
    s
      ? `drill ${r.drillId} on ${r.target} (${r.drillResult.toUpperCase()}): ${s.decision} by ${s.by} (${s.role}) at ${s.signedAt}${r.late ? ' — after the due time' : ''}`
      : `drill ${r.drillId} on ${r.target}: sign-off expired unsigned`,
    `report sha256 signed: ${r.reportSha256 ?? 'none (report missing)'}`,
    ...(file ? [`record: ${file}`] : []),
  ].join('\n');
}

export function describeSignOffStatus(s: DrillSignOffStatus): string {
  return [
    `drill ${s.drillId} on ${s.target} (${s.drillResult.toUpperCase()}): sign-off ${s.state}`,
    `approver ${s.approver}, due ${s.dueAt}; backup ${s.backupApprover}; expires ${s.expiresAt}`,
    ...(s.backupPage ? [`backup paged at ${s.backupPage.at}: ${s.backupPage.outcome}`] : []),
    ...(s.signOff ? [`signed: ${s.signOff.decision} by ${s.signOff.by} (${s.signOff.role}) at ${s.signOff.signedAt}`] : []),
    ...(s.recordPath ? [`record: ${s.recordPath}`] : []),
  ].join('\n');
}
