/**
 * The ack timer as it ran before the paging lifecycle (`ack-timer-lifecycle` patch): kept unchanged so
 * histories of timers started by older workers replay (and such timers finish) on the path they
 * began on. New timers run `incident-ack.ts`. Do not change the commands this code issues.
 *
 * Waits on a durable timer for an `acknowledge` update. When the SLA passes unacknowledged, it
 * escalates (pages the webhook when paging is on and the severity reaches the minimum) and keeps
 * waiting through the policy's further levels and repeats.
 */
import { allHandlersFinished, condition, log, proxyActivities, setHandler, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  defaultPolicy,
  escalationSchedule,
  makeAckRecord,
  pageDedupKey,
  slaVerdict,
  type AckPhase,
  type AckRecord,
  type AcknowledgeRequest,
  type EscalationStep,
  type IncidentAckInput,
  type IncidentAckParams,
  type IncidentAckResult,
  type IncidentAckStatus,
  type PageRecord,
} from '../domain/ack-timer';
import { acknowledgeCheck, ackTimerInputCheck } from '../domain/ack-timer-check';
import { SA } from '../search-attributes';
import { paging as pagingProfile, shortIo } from './activity-profiles';
import { acknowledgeUpdate, incidentAckStatusQuery } from './definitions';
import { parseOrFail, validatorFor } from './validation';

const { pageEscalation } = proxyActivities<Activities>(pagingProfile);
const { recordIncidentAck } = proxyActivities<Activities>(shortIo);

/** State and handlers of one ack timer; the workflow function only wires them. */
class AckTimer {
  ack?: AckRecord;
  readonly pages: PageRecord[] = [];
  private highest?: EscalationStep;
  private next?: EscalationStep;

  constructor(
    readonly params: IncidentAckParams,
    readonly openedAtMs: number,
    readonly steps: EscalationStep[],
  ) {
    this.next = steps[0];
  }

  get phase(): AckPhase {
    if (this.ack) return 'acknowledged';
    return this.highest ? 'escalated' : 'open';
  }

  status(nowMs: number): IncidentAckStatus {
    const p = this.params;
    return {
      runId: p.runId,
      incidentId: p.incidentId,
      severity: p.severity,
      state: this.phase,
      escalationLevel: this.highest?.level ?? 0,
      escalationRound: this.highest?.round ?? 0,
      openedAt: new Date(this.openedAtMs).toISOString(),
      slaDeadline: new Date(this.openedAtMs + p.ackSlaSeconds * 1000).toISOString(),
      ...(this.next && !this.ack ? { nextEscalationAt: new Date(this.openedAtMs + this.next.atSeconds * 1000).toISOString() } : {}),
      sla: slaVerdict(this.openedAtMs, nowMs, p.ackSlaSeconds, this.ack),
      pages: [...this.pages],
      ...(this.ack ? { ack: this.ack } : {}),
    };
  }

  /** Idempotent: the first ack is recorded; every later one gets the first back. */
  async acknowledge(req: AcknowledgeRequest): Promise<AckRecord> {
    if (this.ack) return this.ack;
    const parsed = parseOrFail(acknowledgeCheck, req, 'acknowledge');
    const ack = makeAckRecord(parsed, this.openedAtMs, Date.now(), this.params.ackSlaSeconds);
    this.ack = ack;
    publishState(this.phase);
    log.info('incident acknowledged', { ackBy: ack.ackBy, latencySeconds: ack.latencySeconds, slaMet: ack.slaMet });
    try {
      const written = await recordIncidentAck({ runId: this.params.runId, incidentId: this.params.incidentId, ack });
      if (!written.written) log.info('incident_ack line not written', { reason: written.reason });
    } catch (err) {
      // The ack stands in workflow history either way; the file line is evidence, not the truth.
      log.warn('could not append incident_ack to the run artifacts', { error: String(err) });
    }
    return ack;
  }

  async escalate(step: EscalationStep): Promise<void> {
    this.highest = step;
    const i = this.steps.indexOf(step);
    this.next = this.steps[i + 1];
    publishState(this.phase);
    const p = this.params;
    const dedupKey = pageDedupKey(p.runId, p.incidentId, step.level, step.round);
    const at = new Date(Date.now()).toISOString();
    const base = { level: step.level, round: step.round, ...(step.name ? { name: step.name } : {}), at, dedupKey };
    try {
      const r = await pageEscalation({
        runId: p.runId,
        incidentId: p.incidentId,
        severity: p.severity,
        level: step.level,
        round: step.round,
        ...(step.name ? { levelName: step.name } : {}),
        openedAt: new Date(this.openedAtMs).toISOString(),
        ...(p.summary ? { summary: p.summary } : {}),
        dedupKey,
      });
      this.pages.push({ ...base, outcome: r.outcome });
    } catch (err) {
      // A receiver that rejects the page for good must not stop the timer: record it and wait on.
      this.pages.push({ ...base, outcome: 'failed', detail: err instanceof Error ? err.message : String(err) });
      log.error('page failed for good', { dedupKey });
    }
  }
}

function publishState(state: AckPhase): void {
  upsertSearchAttributes([{ key: SA.state, value: state }]);
}

export async function incidentAckWorkflowV1(input: IncidentAckInput): Promise<IncidentAckResult> {
  const params = parseOrFail(ackTimerInputCheck, input, 'incidentAckWorkflow input');
  const openedAtMs = params.openedAt ? Date.parse(params.openedAt) : workflowInfo().runStartTime.getTime();
  const steps = escalationSchedule(params.escalation ?? defaultPolicy(params.ackSlaSeconds));
  const timer = new AckTimer(params, openedAtMs, steps);

  setHandler(incidentAckStatusQuery, () => timer.status(Date.now()), {
    description: 'State (open / escalated with level / acknowledged), times, pages sent and the SLA verdict.',
  });
  setHandler(acknowledgeUpdate, (req) => timer.acknowledge(req), {
    description:
      'Acknowledge the incident: { "ackBy": "<on-call>", "notes": "<mitigation status>" }. Returns the recorded ack with its latency and SLA verdict; a second ack returns the first.',
    validator: validatorFor(acknowledgeCheck, 'acknowledge'),
  });
  upsertSearchAttributes([
    { key: SA.runId, value: params.runId },
    { key: SA.incidentId, value: params.incidentId },
    { key: SA.state, value: timer.phase },
  ]);

  for (const step of steps) {
    const waitMs = openedAtMs + step.atSeconds * 1000 - Date.now();
    if (waitMs > 0) await condition(() => timer.ack !== undefined, waitMs);
    if (timer.ack) break;
    log.warn('ack SLA step passed unacknowledged; escalating', { level: step.level, round: step.round });
    await timer.escalate(step);
  }
  // Past the last level the incident still needs an owner: wait for the ack, however long.
  await condition(() => timer.ack !== undefined);
  if (params.keepOpenAfterAckSeconds > 0) await sleep(params.keepOpenAfterAckSeconds * 1000);
  await condition(allHandlersFinished);
  const ack = timer.ack as AckRecord;
  return { runId: params.runId, incidentId: params.incidentId, severity: params.severity, slaMet: ack.slaMet, ack, pages: timer.pages };
}
