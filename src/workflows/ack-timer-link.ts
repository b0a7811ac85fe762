/**
 * How incidentWorkflow hands its ack timer the incident's end. Kept apart from `incident.ts` (another
 * area's file) so that file needs two one-line call sites.
 *
 * Under the `ack-timer-resolve` patch the timer is started with `ParentClosePolicy.ABANDON` and told
 * `resolve` when the incident resolves: it then stops escalating and sends `resolve` to whatever it
 * paged (PagerDuty closes the incident) before it completes — a timer terminated with its parent
 * could not. If the incident workflow itself ends without resolving (terminated, failed), the timer
 * keeps escalating until someone acknowledges: an incident nobody owns must keep paging.
 * Histories recorded before the patch replay with `TERMINATE` and no signal.
 */
import { getExternalWorkflowHandle, log, ParentClosePolicy, patched } from '@temporalio/workflow';
import type { ResolveRequest } from '../domain/incident-ack';
import { resolveIncidentSignal } from './definitions';

export const ACK_TIMER_RESOLVE_PATCH = 'ack-timer-resolve';

/** The parent close policy for the incident's ack timer child. */
export function ackTimerParentClosePolicy(): ParentClosePolicy {
  return patched(ACK_TIMER_RESOLVE_PATCH) ? ParentClosePolicy.ABANDON : ParentClosePolicy.TERMINATE;
}

/** Tells the ack timer the incident is resolved. A timer already closed (acked and done) is fine. */
export async function tellAckTimerResolved(ackTimerWorkflowId: string, req: ResolveRequest): Promise<void> {
  if (!patched(ACK_TIMER_RESOLVE_PATCH)) return;
  try {
    await getExternalWorkflowHandle(ackTimerWorkflowId).signal(resolveIncidentSignal, req);
  } catch (err) {
    log.info('ack timer not told of the resolution (already closed?)', { workflowId: ackTimerWorkflowId, error: (err as Error).message });
  }
}
