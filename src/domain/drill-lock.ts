/**
 * One drill per target at a time (issue 9): the lock's messages. The lock is a small child workflow
 * with one id per target (`drill-lock~<target>`), started by the drill before it touches the target
 * and closed with it (released at the end; terminated by the server if the drill closes any other
 * way: parent close policy TERMINATE). A second drill's start of that id fails while the first runs,
 * so it is refused, and it asks the lock who holds it to name the running drill.
 */
import { z } from 'zod';
import { drillIdSchema, targetNameSchema } from './ids';

const workflowIdSchema = z.string().min(1).max(1000);

export const drillLockHolderSchema = z.object({
  drillId: drillIdSchema,
  workflowId: workflowIdSchema,
  runId: z.string().min(1).max(200),
  startedAt: z
    .string()
    .max(64)
    .refine((x) => !Number.isNaN(Date.parse(x)), { error: 'expected an ISO 8601 date-time' }),
});
export type DrillLockHolder = z.infer<typeof drillLockHolderSchema>;

export const drillLockInputSchema = z.object({ target: targetNameSchema, holder: drillLockHolderSchema });
export type DrillLockInput = z.input<typeof drillLockInputSchema>;

/** `who`: the asking workflow wants the holder, as a `holder` signal to `replyTo`. */
export const drillLockWhoSchema = z.object({ replyTo: workflowIdSchema });
export type DrillLockWho = z.infer<typeof drillLockWhoSchema>;

export const drillLockReleaseSchema = z.object({ drillId: drillIdSchema });
export type DrillLockRelease = z.infer<typeof drillLockReleaseSchema>;

export interface DrillLockStatus {
  target: string;
  holder: DrillLockHolder;
  released: boolean;
}

/** The refusal a second drill reports, naming the one that runs. */
export function drillBusyMessage(target: string, holder: DrillLockHolder | undefined): string {
  return holder
    ? `another drill is running on target ${target}: drill ${holder.drillId} (workflow ${holder.workflowId}, started ${holder.startedAt}); one drill per target at a time`
    : `another drill is running on target ${target} (it holds the drill lock); one drill per target at a time`;
}
