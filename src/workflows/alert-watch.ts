/**
 * Runbook "Alert Sources": one watcher per run. Each cycle one activity reads only what the run's
 * artifacts, its `maintenance_events.jsonl` and the target's `audit_logs/` gained since the cursors
 * kept here, folds the SLO state and evaluates the runbook's SLOs; this workflow records breaches and
 * opens incidents.
 *
 * What opens an incident: an `incident_open` the target writes, a `risk_limit_breach` (critical) or
 * `risk_warning` (warning) audit event, or a critical breach the watcher sees itself when the target
 * opens nothing. Every candidate passes the same gates (`decideCycleV2`):
 * - **resolved stays resolved**: an id with an `incident_resolved` line anywhere in the run file is
 *   never opened, halted or paged again — whatever Temporal's history still holds (a fresh watcher,
 *   a new cluster, a run first handled by the old script);
 * - **once**: the watcher's set of known ids (carried over continue-as-new) and the workflow id
 *   (reuse policy ALLOW_DUPLICATE_FAILED_ONLY) keep one workflow per incident;
 * - **maintenance windows**: inside an open window of a drill on this target, incidents are
 *   attributed to the drill (listed in the status; no workflow, no page); those still unresolved a
 *   cycle after the window closes are real and are opened then.
 * An `incident_resolved` written elsewhere for an incident this watcher started is passed on to its
 * workflow (`incidentResolved`).
 *
 * Incidents are child workflows with `ParentClosePolicy.ABANDON`: an incident outlives the watcher's
 * continue-as-new and its stop. Histories recorded before the `alert-watch-v2` patch replay on
 * `legacy/alert-watch-v1.ts`.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
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
import type { Activities } from '../activities';
import {
  addCounts,
  alertWatchInputSchema,
  decideCycleV2,
  initialCarried,
  stopWatchMessageSchema,
  type AlertWatchInput,
  type AlertWatchResult,
  type AlertWatchStatus,
  type BreachRecord,
  type IncidentToOpen,
  type StopWatchParams,
  type WatchCarried,
} from '../domain/watch';
import { SA } from '../search-attributes';
import { workflowIds } from '../shared';
import { crashFastRead } from './activity-profiles';
import { alertWatchStatusQuery, incidentResolvedSignal, stopWatchSignal, stopWatchUpdate } from './definitions';
import { incidentWorkflow } from './incident';
import { alertWatchWorkflowV1 } from './legacy/alert-watch-v1';
import { parseOrFail, signalHandlerFor, validatorFor } from './validation';

export const ALERT_WATCH_V2_PATCH = 'alert-watch-v2';

const { watchCycle } = proxyActivities<Activities>(crashFastRead);

const MAX_RECENT_BREACHES = 50;
const MAX_KNOWN_INCIDENTS = 2000;
/** Sane lower bound on the cycle (workflow timers under 1 s fire at ~1 s anyway). */
const MIN_INTERVAL_SECONDS = 1;

async function alertWatchV2(input: AlertWatchInput): Promise<AlertWatchResult> {
  const p = parseOrFail(alertWatchInputSchema, input, 'alertWatchWorkflow input');
  const c: WatchCarried = { ...initialCarried(), ...(p.carried ?? {}) };
  c.startedAt ??= new Date(Date.now()).toISOString();
  const intervalMs = Math.max(MIN_INTERVAL_SECONDS, p.intervalSeconds) * 1000;
  let stop: { by: string | null; reason: string | null } | undefined;
  let state: AlertWatchStatus['state'] = 'watching';
  let lastCycleAt: string | null = null;
  let lastEvaluation: AlertWatchStatus['lastEvaluation'] = [];
  let checkNext: string[] = [];

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
    windows: c.windows ?? {},
    attributed: c.attributed ?? {},
    resolvedSkipped: c.resolvedSkipped ?? 0,
  });
  const requestStop = (r: StopWatchParams) => {
    stop ??= { by: r.by ?? null, reason: r.reason ?? null };
    state = 'stopping';
  };

  setHandler(alertWatchStatusQuery, status, {
    description:
      'Cycle count, lines read per file, data quality errors (corrupt lines), recorded breaches, incidents opened, maintenance windows and the incidents attributed to them, continue-as-new count.',
  });
  // A bad stop signal is logged and dropped (it used to throw here and wedge the watcher); a bad
  // stopWatch update is rejected by its validator before history.
  setHandler(stopWatchSignal, signalHandlerFor(stopWatchMessageSchema, 'stop', requestStop), {
    description: 'Stop watching after the current cycle: { "reason": "...", "by": "..." } (both optional).',
  });
  setHandler(
    stopWatchUpdate,
    (req) => {
      requestStop(parseOrFail(stopWatchMessageSchema, req, 'stop'));
      return status();
    },
    {
      description: 'Stop watching after the current cycle and answer with the status: { "reason": "...", "by": "..." }.',
      validator: validatorFor(stopWatchMessageSchema, 'stop'),
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
    const workflowId = workflowIds.incident(p.runId, o.incidentId);
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
        staticSummary: `Incident ${o.incidentId} (${o.severity}, from ${o.source}) on ${p.target}`,
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
    const checked = checkNext;
    const r = await watchCycle({
      runId: p.runId,
      target: p.target,
      cursors: c.cursors,
      state: c.state,
      now,
      ...(p.thresholds ? { thresholds: p.thresholds } : {}),
      ...(c.maintenanceCursor ? { maintenanceCursor: c.maintenanceCursor as never } : {}),
      ...(checked.length ? { checkResolved: checked } : {}),
    });
    cyclesThisRun++;
    lastCycleAt = now;
    c.cursors = r.cursors as Record<string, unknown>;
    c.state = r.state;
    if (r.maintenanceCursor) c.maintenanceCursor = r.maintenanceCursor as unknown as Record<string, unknown>;
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
    const d = decideCycleV2(c, {
      now,
      runId: p.runId,
      target: p.target,
      incidentEvents: r.incidentEvents,
      evaluation: { breaches: r.breaches },
      openTargetIncidents: Object.keys(r.state.incidents.open).filter((id) => c.incidents[id]?.source !== 'watcher'),
      selfOpenAfterCycles: p.selfOpenAfterCycles,
      cycle: c.counters.cycles,
      riskEvents: r.riskEvents ?? [],
      maintenance: r.maintenance ?? [],
      resolvedFound: r.resolvedFound ?? [],
      checked,
      maintenanceMaxSeconds: p.maintenanceMaxSeconds,
      auditSince: new Date(Date.parse(c.startedAt) - p.auditLookbackSeconds * 1000).toISOString(),
    });
    Object.assign(c, {
      breachStreaks: d.breachStreaks,
      selfOpened: d.selfOpened,
      breaching: d.breaching,
      resolved: d.resolved,
      windows: d.windows,
      attributed: d.attributed,
    });
    checkNext = d.checkNext;
    c.resolvedSkipped = (c.resolvedSkipped ?? 0) + d.skipped.filter((x) => x.why === 'resolved').length;
    for (const b of d.breaches) record(b);
    if (p.openIncidents) for (const o of d.open) await open(o);
    for (const x of d.externalResolutions) {
      const wf = c.incidents[x.incidentId]?.workflowId;
      if (!wf) continue;
      try {
        await getExternalWorkflowHandle(wf).signal(incidentResolvedSignal, {
          ts: x.ts,
          ...(x.resolution ? { resolution: x.resolution } : {}),
          ...(x.resolvedBy ? { by: x.resolvedBy.slice(0, 300) } : {}),
        });
      } catch (err) {
        // Already closed: nothing to tell.
        log.info('incident_resolved not passed on (incident workflow closed?)', { incidentId: x.incidentId, error: String(err) });
      }
    }

    if (stop) break;
    // Continue as new between cycles; windows waiting for their resolution check carry it over.
    if ((cyclesThisRun >= p.cyclesPerRun || workflowInfo().continueAsNewSuggested) && checkNext.length === 0) {
      await condition(allHandlersFinished);
      if (stop) break;
      const { carried: _ignored, ...rest } = input;
      await continueAsNew<typeof alertWatchWorkflow>({ ...rest, carried: { ...c, continuedAsNew: c.continuedAsNew + 1 } });
    }
    // A capped read has more waiting: read again at once.
    if (!r.more) await condition(() => stop !== undefined, intervalMs);
  }

  state = 'stopped';
  upsertSearchAttributes([{ key: SA.state, value: 'stopped' }]);
  await condition(allHandlersFinished);
  return { runId: p.runId, stoppedBy: stop?.by ?? null, reason: stop?.reason ?? null, counters: c.counters, incidents: c.incidents };
}

export async function alertWatchWorkflow(input: AlertWatchInput): Promise<AlertWatchResult> {
  // Runs recorded before v2 replay on v1; a v1 watcher's continue-as-new starts v2 with its carried state.
  if (!patched(ALERT_WATCH_V2_PATCH)) return alertWatchWorkflowV1(input);
  return alertWatchV2(input);
}
