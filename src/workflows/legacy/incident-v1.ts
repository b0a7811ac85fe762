/**
 * LEGACY (v1), kept as it was so histories recorded before the v2 patch (see `../incident.ts`) replay
 * unchanged and runs started by the old code finish on it. New runs take v2. Do not change.
 *
 * One incident, from the runbook's "First 5 Minutes" to resumed entries.
 *
 * triage (report file + `triage` query) → classify → halt entries → ack timer child
 * (`incidentAckWorkflow`, terminated with the incident) → `recoveryWorkflow` child for the class →
 * resume entries → `incident_resolved` → result with the timeline.
 *
 * Entries stay halted until the recovery criteria pass: the recovery child checks the kill switch
 * at every probe and halts again when it finds entries released; after an escalation this workflow
 * keeps checking at every cycle while it waits for an operator. Operators act through updates:
 * `forceResume` (reason and identity required, validated before it reaches history, audited in the
 * timeline, the result and `incident_resolved`) and `reclassify` (cancels the running recovery and
 * starts the next attempt for the new class).
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  executeChild,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../../activities';
import { type Classification, type IncidentClass } from '../../domain/classification';
import {
  forceResumeSchema,
  incidentInputSchema,
  reclassifySchema,
  type IncidentInput,
  type IncidentParams,
  type IncidentPhase,
  type IncidentResult,
  type IncidentStatus,
  type OperatorAction,
} from '../../domain/incident';
import { type RecoveryResult, type TimelineEntry } from '../../domain/recovery';
import { type TriageReport } from '../../domain/triage';
import { SA } from '../../search-attributes';
import { COLLISION_FREE_IDS_PATCH, legacyWorkflowIds, workflowIds } from '../../shared';
import { probe, shortIo } from '../activity-profiles';
import { forceResumeUpdate, incidentStatusQuery, reclassifyUpdate, triageQuery } from '../definitions';
import { incidentAckWorkflow } from '../incident-ack';
import { recoveryWorkflow } from '../recovery';
import { describeIssues, parseOrFail } from '../validation';
import { FAILURE } from '../../domain/failure-types';

const { triageIncident, recoveryProbe, gatewayHalt } = proxyActivities<Activities>(probe);
const { gatewayResume, appendIncidentResolved } = proxyActivities<Activities>(shortIo);

/** Child workflow ids: collision-free for new incidents, the old `-` joins when replaying older histories. */
function childIds(): Pick<typeof workflowIds, 'incidentAck' | 'recovery'> {
  return patched(COLLISION_FREE_IDS_PATCH) ? workflowIds : legacyWorkflowIds;
}

class Incident {
  phase: IncidentPhase = 'triage';
  cls: IncidentClass | null = null;
  classification: Classification | null = null;
  triage: TriageReport | null = null;
  triagePath: string | null = null;
  attempt = 0;
  /** The workflow id of the current recovery attempt (as started: histories before the id patch used `-` joins). */
  recoveryId: string | null = null;
  rehalts = 0;
  escalated = false;
  forced?: OperatorAction;
  reclassifyTo?: OperatorAction;
  readonly operatorActions: OperatorAction[] = [];
  readonly recoveries: RecoveryResult[] = [];
  readonly timeline: TimelineEntry[] = [];

  constructor(readonly p: IncidentParams) {}

  get haltReason(): string {
    return `incident ${this.p.incidentId}${this.cls ? ` (${this.cls})` : ''}: entries halted by drill-runner until recovery`;
  }

  note(step: string, detail?: string): void {
    this.timeline.push({ at: new Date(Date.now()).toISOString(), step, ...(detail ? { detail } : {}) });
  }

  setPhase(phase: IncidentPhase): void {
    this.phase = phase;
    upsertSearchAttributes([{ key: SA.state, value: phase }]);
  }

  status(): IncidentStatus {
    return {
      runId: this.p.runId,
      incidentId: this.p.incidentId,
      target: this.p.target,
      severity: this.p.severity,
      phase: this.phase,
      incidentClass: this.cls,
      classification: this.classification,
      recoveryAttempt: this.attempt,
      recoveryWorkflowId: this.recoveryId,
      recoveries: this.recoveries.map((r) => ({
        outcome: r.outcome,
        incidentClass: r.incidentClass,
        attempt: r.attempt,
        cycles: r.cycles,
        dirtyResets: r.dirtyResets,
        rehalts: r.rehalts,
      })),
      rehalts: this.rehalts + this.recoveries.reduce((n, r) => n + r.rehalts, 0),
      escalated: this.escalated,
      operatorActions: [...this.operatorActions],
      triageReportPath: this.triagePath,
      timeline: [...this.timeline],
    };
  }

  forceResume(req: unknown): OperatorAction {
    const r = forceResumeSchema.parse(req);
    const action: OperatorAction = { action: 'forceResume', at: new Date(Date.now()).toISOString(), by: r.by, reason: r.reason };
    this.forced ??= action;
    this.operatorActions.push(action);
    this.note(`operator ${r.by}: force resume`, r.reason);
    log.warn('force resume by operator', { by: r.by, reason: r.reason });
    return action;
  }

  reclassify(req: unknown): OperatorAction {
    const r = reclassifySchema.parse(req);
    const action: OperatorAction = { action: 'reclassify', at: new Date(Date.now()).toISOString(), by: r.by, reason: r.reason, incidentClass: r.incidentClass };
    this.reclassifyTo = action;
    this.operatorActions.push(action);
    this.note(`operator ${r.by}: reclassify as ${r.incidentClass}`, r.reason);
    return action;
  }

  /** Halted at this step? If not, halt again and record it. */
  async keepHalted(step: string): Promise<void> {
    const r = await recoveryProbe({ runId: this.p.runId, target: this.p.target });
    if (!r.gateway.ok || r.gateway.entriesHalted) return;
    this.rehalts++;
    await gatewayHalt({ target: this.p.target, reason: this.haltReason, idempotencyKey: `rehalt-${this.p.incidentId}-w${this.rehalts}` });
    this.note(`entries found released early (${step}): halted again`, `halt_reason was ${JSON.stringify(r.gateway.haltReason)}`);
  }

  /** Runs one recovery attempt; returns early (cancelling it) on a force resume or a reclassification. */
  async recover(cls: IncidentClass): Promise<RecoveryResult | 'interrupted'> {
    this.attempt++;
    this.setPhase('recovering');
    const workflowId = childIds().recovery(this.p.runId, this.p.incidentId, this.attempt);
    this.recoveryId = workflowId;
    this.note(`recovery attempt ${this.attempt}: ${cls}`, workflowId);
    let result: RecoveryResult | undefined;
    let failure: unknown;
    const scope = new CancellationScope();
    const done = scope
      .run(() =>
        executeChild(recoveryWorkflow, {
          workflowId,
          parentClosePolicy: ParentClosePolicy.TERMINATE,
          args: [
            {
              runId: this.p.runId,
              incidentId: this.p.incidentId,
              target: this.p.target,
              incidentClass: cls,
              severity: this.p.severity,
              openedAt: new Date(this.openedAtMs).toISOString(),
              attempt: this.attempt,
              cycleSeconds: this.p.cycleSeconds,
              maxWaitSeconds: this.p.maxWaitSeconds,
              haltReason: this.haltReason,
            },
          ],
        }),
      )
      .then(
        (r) => void (result = r),
        (err: unknown) => void (failure = err),
      );
    await condition(() => result !== undefined || failure !== undefined || this.forced !== undefined || this.reclassifyTo !== undefined);
    if (result === undefined && failure === undefined) {
      scope.cancel();
      await done;
      this.note(`recovery attempt ${this.attempt} cancelled`, this.forced ? 'force resume' : 'reclassification');
      return 'interrupted';
    }
    if (result) {
      this.recoveries.push(result);
      return result;
    }
    // A recovery that failed (not cancelled) leaves entries halted: treat it like an escalation.
    const message = failure instanceof Error ? failure.message : String(failure);
    if (!isCancellation(failure)) log.error('recovery workflow failed', { error: message });
    this.note(`recovery attempt ${this.attempt} failed`, message);
    const failed: RecoveryResult = {
      outcome: 'escalated',
      incidentClass: cls,
      attempt: this.attempt,
      cycles: 0,
      dirtyResets: 0,
      rehalts: 0,
      timeline: [],
      evidence: { failure: message },
    };
    this.recoveries.push(failed);
    return failed;
  }

  openedAtMs = 0;
}

export async function incidentWorkflowV1(input: IncidentInput): Promise<IncidentResult> {
  const p = parseOrFail(incidentInputSchema, input, 'incidentWorkflow input');
  const inc = new Incident(p);
  inc.openedAtMs = p.openedAt ? Date.parse(p.openedAt) : workflowInfo().runStartTime.getTime();

  setHandler(incidentStatusQuery, () => inc.status(), {
    description:
      'Phase (triage / halting / recovering / escalated / resuming / resolved), class with reasons, recovery attempt and its workflow id, re-halts, operator actions, timeline.',
  });
  setHandler(triageQuery, () => inc.triage, {
    description: 'The triage report (runbook "First 5 Minutes"): kill switch, last SLO breach, ack status, reconciliation, data quality, broker, class.',
  });
  setHandler(forceResumeUpdate, (req) => inc.forceResume(req), {
    description:
      'Resume entries without the recovery criteria: { "reason": "<why>", "by": "<identity>" }. Audited in the timeline, the result and incident_resolved.',
    validator: (req) => {
      const r = forceResumeSchema.safeParse(req);
      if (!r.success) throw ApplicationFailure.nonRetryable(`invalid forceResume: ${describeIssues(r.error)}`, FAILURE.invalidInput);
      if (inc.phase === 'resuming' || inc.phase === 'resolved')
        throw ApplicationFailure.nonRetryable(`incident is already ${inc.phase}`, FAILURE.incidentClosed);
    },
  });
  setHandler(reclassifyUpdate, (req) => inc.reclassify(req), {
    description:
      'Change the incident class and restart recovery for it: { "incidentClass": "data_quality|reconciliation|broker_connectivity", "reason": "<why>", "by": "<identity>" }.',
    validator: (req) => {
      const r = reclassifySchema.safeParse(req);
      if (!r.success) throw ApplicationFailure.nonRetryable(`invalid reclassify: ${describeIssues(r.error)}`, FAILURE.invalidInput);
      if (inc.phase === 'resuming' || inc.phase === 'resolved' || inc.forced)
        throw ApplicationFailure.nonRetryable(`incident is already ${inc.forced ? 'being force-resumed' : inc.phase}`, FAILURE.incidentClosed);
    },
  });
  upsertSearchAttributes([
    { key: SA.runId, value: p.runId },
    { key: SA.incidentId, value: p.incidentId },
    { key: SA.target, value: p.target },
    { key: SA.state, value: 'triage' },
  ]);
  inc.note('incident opened', `${p.severity} from ${p.source}${p.summary ? `: ${p.summary}` : ''}`);

  // First 5 minutes: evidence before anything changes it.
  const triage = await triageIncident({ runId: p.runId, target: p.target, incidentId: p.incidentId, ...(p.hint ? { hint: p.hint } : {}), write: true });
  inc.triage = triage.report;
  inc.triagePath = triage.path;
  inc.classification = triage.report.classification;
  inc.cls = triage.report.classification.class;
  upsertSearchAttributes([{ key: SA.incidentClass, value: inc.cls }]);
  inc.note(`triaged: ${inc.cls} (${inc.classification.basis})`, inc.classification.reasons.slice(0, 3).join('; '));

  inc.setPhase('halting');
  const halt = await gatewayHalt({ target: p.target, reason: inc.haltReason, idempotencyKey: `incident-${p.incidentId}-halt` });
  inc.note(halt.changed ? 'entries halted' : 'entries already halted', `halt_reason ${JSON.stringify(halt.haltReason)}`);

  if (p.ackTimer) {
    const ackId = childIds().incidentAck(p.runId, p.incidentId);
    try {
      await startChild(incidentAckWorkflow, {
        workflowId: ackId,
        // The timer ends with the incident.
        parentClosePolicy: ParentClosePolicy.TERMINATE,
        args: [
          {
            runId: p.runId,
            incidentId: p.incidentId,
            severity: p.severity,
            openedAt: new Date(inc.openedAtMs).toISOString(),
            ...(p.ackSlaSeconds ? { ackSlaSeconds: p.ackSlaSeconds } : {}),
            ...(p.summary ? { summary: p.summary } : {}),
          },
        ],
      });
      inc.note('ack timer started', ackId);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      inc.note('ack timer already running', ackId);
    }
  }

  let cls: IncidentClass = inc.cls;
  const applyReclassify = (to: OperatorAction) => {
    cls = to.incidentClass ?? cls;
    inc.cls = cls;
    inc.reclassifyTo = undefined;
    upsertSearchAttributes([{ key: SA.incidentClass, value: cls }]);
  };
  for (;;) {
    // A reclassification that arrived while escalated (or before the first recovery) starts the new
    // class at once; before this patch it first started and cancelled a recovery for the old class.
    if (inc.reclassifyTo && patched('reclassify-before-recovery')) applyReclassify(inc.reclassifyTo);
    await inc.keepHalted('before recovery');
    const r = await inc.recover(cls);
    if (inc.forced) break;
    if (inc.reclassifyTo) {
      applyReclassify(inc.reclassifyTo);
      continue;
    }
    if (r !== 'interrupted' && r.outcome === 'recovered') break;
    // Escalated: stay halted, check at every cycle, wait for an operator.
    inc.escalated = true;
    inc.setPhase('escalated');
    inc.note('escalated; entries stay halted until an operator reclassifies or forces a resume');
    while (!inc.forced && !inc.reclassifyTo) {
      await inc.keepHalted('escalated');
      await condition(() => inc.forced !== undefined || inc.reclassifyTo !== undefined, p.cycleSeconds * 1000);
    }
    if (inc.forced) break;
  }

  inc.setPhase('resuming');
  const resolution = inc.forced ? 'forced' : 'recovered';
  const resumed = await gatewayResume({ target: p.target, idempotencyKey: `incident-${p.incidentId}-resume` });
  inc.note('entries resumed', resumed.changed ? undefined : 'gateway was not halted');
  const line = await appendIncidentResolved({
    runId: p.runId,
    target: p.target,
    incidentId: p.incidentId,
    resolution,
    incidentClass: cls,
    at: new Date(Date.now()).toISOString(),
    ...(inc.forced ? { detail: `force resume by ${inc.forced.by}: ${inc.forced.reason}` } : {}),
  });
  inc.note(line.appended ? 'incident_resolved written' : 'incident_resolved already present');
  inc.setPhase('resolved');
  await condition(allHandlersFinished);
  return {
    runId: p.runId,
    incidentId: p.incidentId,
    incidentClass: cls,
    resolution,
    rehalts: inc.status().rehalts,
    escalated: inc.escalated,
    operatorActions: inc.operatorActions,
    recoveries: inc.recoveries,
    triageReportPath: inc.triagePath,
    triage: inc.triage,
    timeline: inc.timeline,
  };
}
