/**
 * The drill lock of one target (`drill-lock~<target>`): one drill per target at a time, whoever
 * starts it (CLI, schedule, Web UI, backfill). The drill starts this workflow as its child before it
 * touches the target; while it runs, a second drill's start of the same id fails, and that drill is
 * refused. The lock ends when its drill does: the drill signals `release` at its end, and if the drill
 * closes any other way (failed, cancelled, terminated, timed out) the server terminates the child
 * (parent close policy TERMINATE). Its history stays a handful of events: start, `who` questions
 * (each answered with one signal), release.
 */
import { allHandlersFinished, condition, getExternalWorkflowHandle, log, setHandler } from '@temporalio/workflow';
import { drillLockInputSchema, drillLockReleaseSchema, drillLockWhoSchema, type DrillLockInput } from '../domain/drill-lock';
import { drillLockHolderSignal, drillLockReleaseSignal, drillLockStatusQuery, drillLockWhoSignal } from './definitions';
import { parseMessage, parseOrFail } from './validation';

export async function drillTargetLockWorkflow(input: DrillLockInput): Promise<{ target: string; drillId: string; released: boolean }> {
  const i = parseOrFail(drillLockInputSchema, input, 'drillTargetLockWorkflow input');
  let released = false;
  setHandler(drillLockStatusQuery, () => ({ target: i.target, holder: i.holder, released }), {
    description: 'The drill holding this target, and whether it has released the lock.',
  });
  setHandler(
    drillLockReleaseSignal,
    (raw) => {
      const r = parseMessage(drillLockReleaseSchema, raw);
      if (!r.ok) return log.warn('invalid release signal dropped', { error: r.error });
      if (r.data.drillId !== i.holder.drillId)
        return log.warn('release from a drill that does not hold the lock: ignored', { from: r.data.drillId, holder: i.holder.drillId });
      released = true;
    },
    { description: 'The holding drill ended: the lock closes.' },
  );
  setHandler(
    drillLockWhoSignal,
    async (raw) => {
      const r = parseMessage(drillLockWhoSchema, raw);
      if (!r.ok) return log.warn('invalid who signal dropped', { error: r.error });
      try {
        await getExternalWorkflowHandle(r.data.replyTo).signal(drillLockHolderSignal, i.holder);
      } catch (err) {
        log.info('who: the asking drill is gone', { replyTo: r.data.replyTo, error: String(err) });
      }
    },
    { description: 'A refused drill asks who holds the target; the answer goes back as a drillLockHolder signal.' },
  );
  await condition(() => released);
  await condition(allHandlersFinished);
  return { target: i.target, drillId: i.holder.drillId, released };
}
