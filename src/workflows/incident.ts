/**
 * One incident, from the runbook's "First 5 Minutes" to resumed entries.
 *
 * hold entries (the target's halt registry: halted at once, this incident recorded as a holder) →
 * triage (report file + `triage` query; classified from current evidence) → ack timer child
 * (`incidentAckWorkflow`, told `resolve` when the incident resolves) → `recoveryWorkflow` child for the class →
 * release the hold (entries resume only when no other incident, drill or operator still holds) →
 * `incident_resolved` → result with the timeline.
 *
 * "Keep entries halted until root cause is identified": the registry keeps them halted while this
 * incident holds and halts them again within seconds when someone releases them by hand; this
 * workflow never polls the kill switch, so its history grows with operator actions only, never with
 * wall time (an escalated incident can wait for days). Operators act through updates: `forceResume`
 * (reason and identity required, validated before it reaches history, audited in the timeline, the
 * result and `incident_resolved`) and `reclassify` (cancels the running recovery and starts the next
 * attempt for the new class). An `incident_resolved` line written by someone else (the run file is a
 * source of truth; the watcher passes it on as `incidentResolved`) ends the incident without a second
 * line.
 *
 * Histories recorded before the `incident-v2-owned-halts` patch replay on `legacy/incident-v1.ts`.
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
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import { normalizeIncidentClass, type Classification, type IncidentClass } from '../domain/classification';
import { holderKey, incidentHolder, type HaltOpResult } from '../domain/halts';
import {
  externalResolutionSchema,
  forceResumeSchema,
  incidentInputSchema,
  reclassifySchema,
  type ExternalResolution,
  type IncidentHoldStatus,
  type IncidentInput,
  type IncidentParams,
  type IncidentPhase,
  type IncidentResult,
  type IncidentStatus,
  type OperatorAction,
} from '../domain/incident';
import { type RecoveryResult, type TimelineEntry } from '../domain/recovery';
import { type TriageReport } from '../domain/triage';
import { SA } from '../search-attributes';
import { workflowIds } from '../shared';
import { crashFastRead, shortIo } from './activity-profiles';
import { ackTimerParentClosePolicy, tellAckTimerResolved } from './ack-timer-link';
import { forceResumeUpdate, incidentResolvedSignal, incidentStatusQuery, reclassifyUpdate, triageQuery } from './definitions';
import { holdEntries, releaseEntries } from './entry-halts';
import { incidentAckWorkflow } from './incident-ack';
import { incidentWorkflowV1 } from './legacy/incident-v1';
import { recoveryWorkflow } from './recovery';
import * as metrics from './product-metrics';
import { parseMessage, parseOrFail, validatorFor } from './validation';
import { FAILURE } from '../domain/failure-types';

export const INCIDENT_V2_PATCH = 'incident-v2-owned-halts';

const { triageIncident } = proxyActivities<Activities>(crashFastRead);
const { appendIncidentResolved } = proxyActivities<Activities>(shortIo);

/** How long the first hold may take before triage starts anyway (the hold keeps going). */
const HOLD_FIRST_MS = 10_000;
/** Recovery attempts per incident (each reclassification is one): bounds the history. */
const MAX_ATTEMPTS = 50;
/** Sane lower bound on the recovery cycle. */
const MIN_CYCLE_SECONDS = 1;

class Incident {
  phase: IncidentPhase = 'halting';
  cls: IncidentClass | null = null;
  classification: Classification | null = null;
  triage: TriageReport | null = null;
  triagePath: string | null = null;
  attempt = 0;
  recoveryId: string | null = null;
  escalated = false;
  forced?: OperatorAction;
  reclassifyTo?: OperatorAction;
  external?: ExternalResolution;
  hold: IncidentHoldStatus | null = null;
  readonly operatorActions: OperatorAction[] = [];
  readonly recoveries: RecoveryResult[] = [];
  readonly timeline: TimelineEntry[] = [];
  readonly holder;
  readonly openedAtMs: number;

  constructor(readonly p: IncidentParams) {
    this.holder = incidentHolder(p.runId, p.incidentId);
    this.openedAtMs = p.openedAt ? Date.parse(p.openedAt) : workflowInfo().runStartTime.getTime();
  }

  get haltReason(): string {
    return `incident ${this.p.incidentId}${this.cls ? ` (${this.cls})` : ''}${this.p.summary ? `: ${this.p.summary.slice(0, 120)}` : ''}`;
  }

  note(step: string, detail?: string): void {
    this.timeline.push({ at: new Date(Date.now()).toISOString(), step, ...(detail ? { detail } : {}) });
  }

  setPhase(phase: IncidentPhase): void {
    this.phase = phase;
    upsertSearchAttributes([{ key: SA.state, value: phase }]);
    // The Web UI's current details (no history event): the phase and the latest notes.
    const notes = this.timeline.slice(-6).map((t) => `- ${t.at.slice(11, 19)} ${t.step}${t.detail ? `: ${t.detail.replace(/\n/g, ' ').slice(0, 160)}` : ''}`);
    setCurrentDetails([`**${phase}**${this.cls ? ` · class \`${this.cls}\`` : ''}`, '', ...notes].join('\n'));
  }

  /** True once something ends the current wait: an operator, or a resolution written elsewhere. */
  interrupted(): boolean {
    return this.forced !== undefined || this.reclassifyTo !== undefined || this.external !== undefined;
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
      rehalts: 0,
      escalated: this.escalated,
      operatorActions: [...this.operatorActions],
      triageReportPath: this.triagePath,
      timeline: [...this.timeline],
      hold: this.hold,
      resolvedExternally: this.external ?? null,
    };
  }

  heard(r: HaltOpResult, state: IncidentHoldStatus['state']): void {
    const me = holderKey(this.holder);
    this.hold = { holder: me, state, entriesHalted: r.entriesHalted, detail: r.detail, otherHolders: r.holders.map(holderKey).filter((k) => k !== me) };
  }

  forceResume(req: unknown): OperatorAction {
    const r = parseOrFail(forceResumeSchema, req, 'forceResume');
    const action: OperatorAction = { action: 'forceResume', at: new Date(Date.now()).toISOString(), by: r.by, reason: r.reason };
    this.forced ??= action;
    this.operatorActions.push(action);
    this.note(`operator ${r.by}: force resume`, r.reason);
    log.warn('force resume by operator', { by: r.by, reason: r.reason });
    return action;
  }

  reclassify(req: unknown): OperatorAction {
    const r = parseOrFail(reclassifySchema, req, 'reclassify');
    const action: OperatorAction = { action: 'reclassify', at: new Date(Date.now()).toISOString(), by: r.by, reason: r.reason, incidentClass: r.incidentClass };
    this.reclassifyTo = action;
    this.operatorActions.push(action);
    this.note(`operator ${r.by}: reclassify as ${r.incidentClass}`, r.reason);
    return action;
  }

  /** Runs one recovery attempt; returns early (cancelling it) on an operator action or an external resolution. */
  async recover(cls: IncidentClass): Promise<RecoveryResult | 'interrupted'> {
    this.attempt++;
    this.setPhase('recovering');
    const workflowId = workflowIds.recovery(this.p.runId, this.p.incidentId, this.attempt);
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
              cycleSeconds: Math.max(MIN_CYCLE_SECONDS, this.p.cycleSeconds),
              maxWaitSeconds: this.p.maxWaitSeconds,
            },
          ],
        }),
      )
      .then(
        (r) => void (result = r),
        (err: unknown) => void (failure = err),
      );
    await condition(() => result !== undefined || failure !== undefined || this.interrupted());
    if (result === undefined && failure === undefined) {
      scope.cancel();
      await done;
      this.note(`recovery attempt ${this.attempt} cancelled`, this.forced ? 'force resume' : this.external ? 'resolved elsewhere' : 'reclassification');
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

  /** First 5 minutes: the evidence, classified; a triage that cannot run falls back to the target's hint. */
  async triageNow(): Promise<void> {
    const p = this.p;
    this.setPhase('triage');
    try {
      const t = await triageIncident({
        runId: p.runId,
        target: p.target,
        incidentId: p.incidentId,
        ...(p.hint ? { hint: p.hint } : {}),
        openedAt: new Date(this.openedAtMs).toISOString(),
        ...(p.evidenceWindowSeconds ? { evidenceWindowSeconds: p.evidenceWindowSeconds } : {}),
        write: true,
      });
      this.triage = t.report;
      this.triagePath = t.path;
      this.classification = t.report.classification;
    } catch (err) {
      const message = String((err as { cause?: unknown }).cause ?? err);
      const hinted = normalizeIncidentClass(p.hint);
      this.classification = {
        class: hinted ?? 'reconciliation',
        basis: hinted ? 'hint' : 'default',
        reasons: [`triage failed (${message}); ${hinted ? `the target opened it as ${p.hint}` : 'treated as reconciliation (strictest recovery)'}`],
        alsoSeen: [],
      };
      this.note('triage failed', message);
    }
    this.cls = this.classification.class;
    upsertSearchAttributes([{ key: SA.incidentClass, value: this.cls }]);
    this.note(`triaged: ${this.cls} (${this.classification.basis})`, this.classification.reasons.slice(0, 3).join('; '));
  }
}

async function incidentV2(input: IncidentInput): Promise<IncidentResult> {
  const p = parseOrFail(incidentInputSchema, input, 'incidentWorkflow input');
  const inc = new Incident(p);

  setHandler(incidentStatusQuery, () => inc.status(), {
    description:
      "Phase (halting / triage / recovering / escalated / resuming / resolved), this incident's hold on entries and who else holds, class with reasons, recovery attempt and its workflow id, operator actions, timeline.",
  });
  setHandler(triageQuery, () => inc.triage, {
    description:
      'The triage report (runbook "First 5 Minutes"): kill switch, breaches weighed by age and recovery, ack status, reconciliation, data quality, broker, class.',
  });
  setHandler(forceResumeUpdate, (req) => inc.forceResume(req), {
    description:
      'Resume without the recovery criteria: { "reason": "<why>", "by": "<identity>" }. Releases this incident\'s hold (entries resume only if no other holder is left). Audited in the timeline, the result and incident_resolved.',
    validator: (req) => {
      validatorFor(forceResumeSchema, 'forceResume')(req);
      if (inc.phase === 'resuming' || inc.phase === 'resolved' || inc.external)
        throw ApplicationFailure.nonRetryable(`incident is already ${inc.external ? 'resolved elsewhere' : inc.phase}`, FAILURE.incidentClosed);
    },
  });
  setHandler(reclassifyUpdate, (req) => inc.reclassify(req), {
    description:
      'Change the incident class and restart recovery for it: { "incidentClass": "data_quality|reconciliation|broker_connectivity", "reason": "<why>", "by": "<identity>" }.',
    validator: (req) => {
      validatorFor(reclassifySchema, 'reclassify')(req);
      if (inc.phase === 'resuming' || inc.phase === 'resolved' || inc.forced || inc.external) {
        throw ApplicationFailure.nonRetryable(
          `incident is already ${inc.forced ? 'being force-resumed' : inc.external ? 'resolved elsewhere' : inc.phase}`,
          FAILURE.incidentClosed,
        );
      }
      if (inc.attempt >= MAX_ATTEMPTS)
        throw ApplicationFailure.nonRetryable(
          `incident has had ${inc.attempt} recovery attempts: force a resume or open a new incident`,
          FAILURE.tooManyAttempts,
        );
    },
  });
  setHandler(
    incidentResolvedSignal,
    (raw) => {
      const r = parseMessage(externalResolutionSchema, raw);
      if (!r.ok) {
        log.warn('incidentResolved dropped: invalid payload', { issues: r.error });
        return;
      }
      if (inc.external || inc.phase === 'resuming' || inc.phase === 'resolved') return;
      inc.external = r.data;
      inc.note(
        'incident_resolved found in the run file (written elsewhere)',
        `${r.data.ts}${r.data.resolution ? ` ${r.data.resolution}` : ''}${r.data.by ? ` by ${r.data.by}` : ''}`,
      );
    },
    { description: 'An incident_resolved line for this incident written elsewhere (sent by the alert watcher): ends the incident, releases its hold.' },
  );
  upsertSearchAttributes([
    { key: SA.runId, value: p.runId },
    { key: SA.incidentId, value: p.incidentId },
    { key: SA.target, value: p.target },
    { key: SA.state, value: 'halting' },
  ]);
  inc.note('incident opened', `${p.severity} from ${p.source}${p.summary ? `: ${p.summary}` : ''}`);
  metrics.incidentOpened({ severity: p.severity, source: p.source });

  // Halt first: nothing slow runs before entries are held. Triage starts once the registry has
  // answered (or after HOLD_FIRST_MS, while the hold keeps trying).
  let holdAnswer: HaltOpResult | undefined;
  let holdFailure: unknown;
  inc.hold = { holder: holderKey(inc.holder), state: 'requested', entriesHalted: null, detail: 'hold requested', otherHolders: [] };
  const holding = holdEntries({ target: p.target, holder: inc.holder, reason: inc.haltReason, by: workflowInfo().workflowId }).then(
    (r) => {
      holdAnswer = r;
      inc.heard(r, 'held');
      inc.note(
        r.entriesHalted === true
          ? r.changed
            ? 'entries halted'
            : 'entries already halted'
          : r.entriesHalted === null
            ? 'hold recorded; gateway not reachable'
            : 'hold recorded',
        r.detail,
      );
    },
    (err: unknown) => void (holdFailure = err),
  );
  await condition(() => holdAnswer !== undefined || holdFailure !== undefined, HOLD_FIRST_MS);
  if (holdFailure !== undefined) throw holdFailure;

  await inc.triageNow();

  if (p.ackTimer) {
    const ackId = workflowIds.incidentAck(p.runId, p.incidentId);
    try {
      await startChild(incidentAckWorkflow, {
        workflowId: ackId,
        // Patched: the timer outlives the incident long enough to send `resolve` (ack-timer-link.ts).
        parentClosePolicy: ackTimerParentClosePolicy(),
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

  let cls: IncidentClass = inc.cls!;
  const applyReclassify = (to: OperatorAction) => {
    cls = to.incidentClass ?? cls;
    inc.cls = cls;
    inc.reclassifyTo = undefined;
    upsertSearchAttributes([{ key: SA.incidentClass, value: cls }]);
  };
  while (!inc.external) {
    if (inc.reclassifyTo) applyReclassify(inc.reclassifyTo);
    if (inc.forced) break;
    const r = await inc.recover(cls);
    if (inc.forced || inc.external) break;
    if (inc.reclassifyTo) continue;
    if (r !== 'interrupted' && r.outcome === 'recovered') break;
    // Escalated: entries stay held; the registry keeps them halted. Wait for an operator (no polling
    // here: this wait adds nothing to the history however long it lasts).
    inc.escalated = true;
    inc.setPhase('escalated');
    inc.note('escalated; entries stay halted until an operator reclassifies or forces a resume');
    await condition(() => inc.interrupted());
  }

  inc.setPhase('resuming');
  const resolution: IncidentResult['resolution'] = inc.external ? 'external' : inc.forced ? 'forced' : 'recovered';
  await holding;
  const released = await releaseEntries({ target: p.target, holder: inc.holder, by: workflowInfo().workflowId, reason: `incident ${resolution}` });
  inc.heard(released, 'released');
  inc.note(released.resumed ? 'entries resumed' : 'hold released; entries stay halted', released.detail);
  if (!inc.external) {
    const line = await appendIncidentResolved({
      runId: p.runId,
      target: p.target,
      incidentId: p.incidentId,
      resolution: inc.forced ? 'forced' : 'recovered',
      incidentClass: cls,
      at: new Date(Date.now()).toISOString(),
      ...(inc.forced ? { detail: `force resume by ${inc.forced.by}: ${inc.forced.reason}` } : {}),
    });
    inc.note(line.appended ? 'incident_resolved written' : 'incident_resolved already present');
  }
  // The ack timer hears that the incident resolved (it stops escalating and sends `resolve` to what it paged).
  if (p.ackTimer) {
    await tellAckTimerResolved(workflowIds.incidentAck(p.runId, p.incidentId), {
      resolution,
      resolvedAt: new Date(Date.now()).toISOString(),
    });
  }
  inc.setPhase('resolved');
  metrics.incidentResolved({ resolution, incidentClass: cls });
  await condition(allHandlersFinished);
  return {
    runId: p.runId,
    incidentId: p.incidentId,
    incidentClass: cls,
    resolution,
    rehalts: 0,
    escalated: inc.escalated,
    operatorActions: inc.operatorActions,
    recoveries: inc.recoveries,
    triageReportPath: inc.triagePath,
    triage: inc.triage,
    timeline: inc.timeline,
  };
}

export async function incidentWorkflow(input: IncidentInput): Promise<IncidentResult> {
  // Runs recorded before v2 (triage before the halt, one halt per incident, polling while escalated) replay on v1.
  if (!patched(INCIDENT_V2_PATCH)) return incidentWorkflowV1(input);
  return incidentV2(input);
}
