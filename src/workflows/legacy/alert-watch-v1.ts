/**
 * LEGACY (v1), kept as it was so histories recorded before the v2 patch (see `../alert-watch.ts`) replay
 * unchanged and runs started by the old code finish on it. New runs take v2. Do not change (the one
 * exception: the stop signal drops a bad payload instead of throwing, which changes no command).
 *
 * Runbook "Alert Sources": one watcher per run. Each cycle one activity reads only what the run's
 * artifacts and `audit_logs/` gained since the cursors kept here, folds the SLO state and evaluates
 * the runbook's SLOs; this workflow records breaches and opens incidents.
 *
 * Incidents are child workflows (`incident-<runId>-<incidentId>`) with `ParentClosePolicy.ABANDON`:
 * an incident outlives the watcher's continue-as-new and its stop. Children rather than
 * signal-with-start from an activity: the start is a workflow command, recorded once in history
 * (never repeated by an activity retry), it needs no Temporal client inside activities, and a
 * duplicate id is answered by the server (`WorkflowExecutionAlreadyStartedError`, reuse policy
 * ALLOW_DUPLICATE_FAILED_ONLY: a resolved incident is never run again) on top of the watcher's own
 * set of known incident ids, which it carries across continue-as-new.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Activities } from '../../activities';
import {
  addCounts,
  alertWatchInputSchema,
  decideCycle,
  initialCarried,
  stopWatchSchema,
  type AlertWatchInput,
  type AlertWatchResult,
  type AlertWatchStatus,
  type BreachRecord,
  type IncidentToOpen,
  type WatchCarried,
} from '../../domain/watch';
import { SA } from '../../search-attributes';
import { COLLISION_FREE_IDS_PATCH, legacyWorkflowIds, workflowIds } from '../../shared';
import { probe } from '../activity-profiles';
import { alertWatchStatusQuery, stopWatchSignal, stopWatchUpdate } from '../definitions';
import { incidentWorkflow } from '../incident';
import { describeIssues, parseOrFail } from '../validation';
import { FAILURE } from '../../domain/failure-types';

const { watchCycle } = proxyActivities<Activities>(probe);

const MAX_RECENT_BREACHES = 50;
const MAX_KNOWN_INCIDENTS = 2000;

export async function alertWatchWorkflowV1(input: AlertWatchInput): Promise<AlertWatchResult> {
  const p = parseOrFail(alertWatchInputSchema, input, 'alertWatchWorkflow input');
  const c: WatchCarried = p.carried ?? initialCarried();
  let stop: { by: string | null; reason: string | null } | undefined;
  let state: AlertWatchStatus['state'] = 'watching';
  let lastCycleAt: string | null = null;
  let lastEvaluation: AlertWatchStatus['lastEvaluation'] = [];

  const status = (): AlertWatchStatus => ({
    runId: p.runId,
    target: p.target,
    state,
    cycle: c.counters.cycles,
    counters: c.counters,
    incidents: c.incidents,
    recentBreaches: c.recentBreaches,
    continuedAsNew: c.continuedAsNew,
    lastCycleAt,
    lastEvaluation,
    ...(stop?.reason ? { stopReason: stop.reason } : {}),
  });
  const requestStop = (req: unknown) => {
    const r = stopWatchSchema.parse(req ?? {});
    stop ??= { by: r.by ?? null, reason: r.reason ?? null };
    state = 'stopping';
  };

  setHandler(alertWatchStatusQuery, status, {
    description: 'Cycle count, lines read per file, data quality errors (corrupt lines), recorded breaches, incidents opened, continue-as-new count.',
  });
  // The one change to v1: a bad payload is dropped (it used to throw and wedge the watcher; no command changes).
  setHandler(
    stopWatchSignal,
    (req) => {
      if (!stopWatchSchema.safeParse(req ?? {}).success) {
        log.warn('stop signal dropped: invalid payload');
        return;
      }
      requestStop(req);
    },
    { description: 'Stop watching after the current cycle: { "reason": "...", "by": "..." } (both optional).' },
  );
  setHandler(
    stopWatchUpdate,
    (req) => {
      requestStop(req);
      return status();
    },
    {
      description: 'Stop watching after the current cycle and answer with the status: { "reason": "...", "by": "..." }.',
      validator: (req) => {
        const r = stopWatchSchema.safeParse(req ?? {});
        if (!r.success) throw ApplicationFailure.nonRetryable(`invalid stop: ${describeIssues(r.error)}`, FAILURE.invalidInput);
      },
    },
  );
  upsertSearchAttributes([
    { key: SA.runId, value: p.runId },
    { key: SA.target, value: p.target },
    { key: SA.state, value: 'watching' },
  ]);

  const record = (b: BreachRecord) => {
    c.recentBreaches.push(b);
    if (c.recentBreaches.length > MAX_RECENT_BREACHES) c.recentBreaches.splice(0, c.recentBreaches.length - MAX_RECENT_BREACHES);
    c.counters = { ...c.counters, breachesRecorded: c.counters.breachesRecorded + 1 };
  };

  const open = async (o: IncidentToOpen) => {
    if (c.incidents[o.incidentId]) return;
    const workflowId = (patched(COLLISION_FREE_IDS_PATCH) ? workflowIds : legacyWorkflowIds).incident(p.runId, o.incidentId);
    let outcome: 'started' | 'already-exists' = 'started';
    try {
      await startChild(incidentWorkflow, {
        workflowId,
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        args: [
          {
            runId: p.runId,
            incidentId: o.incidentId,
            target: p.target,
            severity: o.severity,
            openedAt: o.openedAt,
            source: o.source,
            ...(o.hint ? { hint: o.hint } : {}),
            ...(o.summary ? { summary: o.summary.slice(0, 500) } : {}),
            ...(p.incident ?? {}),
          },
        ],
      });
      log.info('incident opened', { incidentId: o.incidentId, source: o.source });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      outcome = 'already-exists';
    }
    c.incidents[o.incidentId] = { source: o.source, openedAt: o.openedAt, workflowId, outcome };
    const ids = Object.keys(c.incidents);
    if (ids.length > MAX_KNOWN_INCIDENTS) for (const id of ids.slice(0, ids.length - MAX_KNOWN_INCIDENTS)) delete c.incidents[id];
  };

  let cyclesThisRun = 0;
  while (!stop) {
    const now = new Date(Date.now()).toISOString();
    const r = await watchCycle({
      runId: p.runId,
      target: p.target,
      cursors: c.cursors,
      state: c.state,
      now,
      ...(p.thresholds ? { thresholds: p.thresholds } : {}),
    });
    cyclesThisRun++;
    lastCycleAt = now;
    c.cursors = r.cursors as Record<string, unknown>;
    c.state = r.state;
    c.counters = addCounts(
      { ...c.counters, cycles: c.counters.cycles + 1 },
      { files: r.files, incidentEvents: r.incidentEvents.length, sloBreaches: r.sloBreaches.length, auditEvents: r.auditEvents },
    );
    lastEvaluation = r.criteria.map((x) => ({ id: x.id, value: x.value, ok: x.ok, severity: x.severity }));

    for (const b of r.sloBreaches)
      record({
        at: b.ts,
        source: 'target',
        slo: b.slo,
        value: b.value,
        threshold: b.threshold,
        severity: b.severity,
        ...(b.incident_id ? { incidentId: b.incident_id } : {}),
      });
    if (r.corrupt > 0) record({ at: now, source: 'artifacts', slo: 'corrupt_artifact_lines', value: r.corrupt, threshold: 0, severity: 'warning' });
    const d = decideCycle(c, {
      now,
      incidentEvents: r.incidentEvents,
      evaluation: { breaches: r.breaches },
      openTargetIncidents: Object.keys(r.state.incidents.open).filter((id) => c.incidents[id]?.source !== 'watcher'),
      selfOpenAfterCycles: p.selfOpenAfterCycles,
      cycle: c.counters.cycles,
    });
    c.breachStreaks = d.breachStreaks;
    c.selfOpened = d.selfOpened;
    c.breaching = d.breaching;
    for (const b of d.breaches) record(b);
    if (p.openIncidents) for (const o of d.open) await open(o);

    if (stop) break;
    if (cyclesThisRun >= p.cyclesPerRun || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (stop) break;
      const { carried: _ignored, ...rest } = input;
      await continueAsNew<typeof alertWatchWorkflowV1>({ ...rest, carried: { ...c, continuedAsNew: c.continuedAsNew + 1 } });
    }
    // A capped read has more waiting: read again at once.
    if (!r.more) await condition(() => stop !== undefined, p.intervalSeconds * 1000);
  }

  state = 'stopped';
  upsertSearchAttributes([{ key: SA.state, value: 'stopped' }]);
  await condition(allHandlersFinished);
  return { runId: p.runId, stoppedBy: stop?.by ?? null, reason: stop?.reason ?? null, counters: c.counters, incidents: c.incidents };
}
