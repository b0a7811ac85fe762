/**
 * `drill rehearse recovery`: the real `recoveryWorkflow` for one incident class on the private
 * time-skipping server, against a simulated target that does not recover (or recovers at a given
 * minute), paging into the loopback recorder. Shows when the branch's maximum wait runs out, what is
 * paged then (as the recorder received it), or when the criteria pass.
 */
import type { IncidentClass } from '../domain/classification';
import { pageFacts, type RecoveryRehearsal } from '../domain/rehearsal';
import type { RecoveryInput, RecoveryResult } from '../domain/recovery';
import { workflowIds } from '../shared';
import { recoveryStatusQuery } from '../workflows/definitions';
import { settle, startRehearsalEnv, type RehearsalEnvOptions } from './environment';
import { SIMULATED_TARGET_NOTE, simulatedTarget } from './simulated-target';
import type { recoveryWorkflow } from '../workflows';

export interface RecoveryRehearsalOptions extends RehearsalEnvOptions {
  incidentClass: IncidentClass;
  /** Unset: the workflow's own default, as an incident starts it. */
  maxWaitSeconds?: number;
  cycleSeconds?: number;
  /** The simulated target is clean from this many seconds after the start; unset: never. */
  recoverAtSeconds?: number;
}

const RUN_ID = 'rehearsal';

export async function rehearseRecovery(o: RecoveryRehearsalOptions): Promise<RecoveryRehearsal> {
  const incidentId = `rehearsal-${Date.now().toString(36)}`;
  const r = await startRehearsalEnv(o);
  try {
    const t0 = await r.nowMs();
    r.setOrigin(t0);
    const sim = simulatedTarget(o.recoverAtSeconds !== undefined ? t0 + o.recoverAtSeconds * 1000 : undefined);
    return await r.withWorker(async () => {
      const input: RecoveryInput = {
        runId: RUN_ID,
        incidentId,
        target: 'rehearsal-target',
        incidentClass: o.incidentClass,
        severity: 'critical',
        openedAt: new Date(t0).toISOString(),
        haltReason: 'rehearsal: entries halted',
        ...(o.maxWaitSeconds !== undefined ? { maxWaitSeconds: o.maxWaitSeconds } : {}),
        ...(o.cycleSeconds !== undefined ? { cycleSeconds: o.cycleSeconds } : {}),
      };
      const handle = await r.env.client.workflow.start<typeof recoveryWorkflow>('recoveryWorkflow', {
        taskQueue: r.taskQueue,
        workflowId: workflowIds.recovery(RUN_ID, incidentId, 1),
        args: [input],
      });
      // Awaiting the result through the test environment's client lets time skip to each timer.
      const result = (await handle.result()) as RecoveryResult;
      await settle(async () => r.recorder.requests.length);
      // Minute 0: the branch's own first record (when it started counting), else the start event.
      const first = Date.parse(result.timeline[0]?.at ?? '');
      const start = Number.isFinite(first) ? first : (await handle.describe()).startTime.getTime();
      const rel = (iso: string) => (Date.parse(iso) - start) / 1000;
      // The branch's own deadline (its public status), the end of its maximum wait.
      const deadline = rel((await handle.query(recoveryStatusQuery)).deadline);
      return {
        kind: 'recovery' as const,
        isolation: r.isolation,
        incidentClass: o.incidentClass,
        input: {
          ...(o.maxWaitSeconds !== undefined ? { maxWaitSeconds: o.maxWaitSeconds } : {}),
          ...(o.cycleSeconds !== undefined ? { cycleSeconds: o.cycleSeconds } : {}),
          ...(o.recoverAtSeconds !== undefined ? { recoverAtSeconds: o.recoverAtSeconds } : {}),
        },
        outcome: result.outcome,
        deadlineSeconds: deadline,
        timeline: result.timeline.map((t) => ({
          atSeconds: rel(t.at),
          step: t.step,
          ...(t.detail ? { detail: t.detail } : {}),
        })),
        // When the workflow paged (its own record, matched by the dedup key the recorder received).
        pages: r.recorder.requests.map((q) => {
          const facts = pageFacts(q);
          const own = result.escalation && facts.dedupKey === result.escalation.dedupKey ? rel(result.escalation.at) : undefined;
          return { ...q, atSeconds: own ?? q.atSeconds, receivedAtSeconds: q.atSeconds, facts };
        }),
        ...(result.escalation
          ? {
              escalation: {
                atSeconds: rel(result.escalation.at),
                dedupKey: result.escalation.dedupKey,
                pageOutcome: result.escalation.pageOutcome,
              },
            }
          : {}),
        cycles: result.cycles,
        simulated: SIMULATED_TARGET_NOTE,
      };
    }, sim);
  } finally {
    await r.close();
  }
}
