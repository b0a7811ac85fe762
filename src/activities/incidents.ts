/**
 * Incident adapters: the watcher's per-cycle read, the triage evidence and report, the recovery
 * probe (one call per recovery cycle), and `incident_resolved`. Run folders come from the target's
 * `artifactsRoot` (the place the target writes), audit events from its `auditLogsDir`.
 */
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { evidenceWindowSecondsSchema } from '../domain/incident-tuning';
import { ARTIFACT_FILES, auditEventSchema, opsSloEventSchema } from '../domain/artifacts';
import { incidentIdSchema, runIdSchema, targetNameSchema } from '../domain/ids';
import { INCIDENT_EVENTS_FILE, incidentEventSchema, summarizeIncidents, type IncidentEvent } from '../domain/incident-events';
import { resolveThresholds, sloThresholdOverridesSchema } from '../domain/slo';
import { initialSloState, type SloState } from '../domain/slo-fold';
import { evaluateSlos, type SloCriterion } from '../domain/slo-evaluation';
import { type TargetConfig } from '../domain/target';
import { buildTriageReport, type TriageEvidence, type TriageReport } from '../domain/triage';
import { createHash } from 'node:crypto';
import { maintenanceEventSchema, MAINTENANCE_EVENTS_FILE, type MaintenanceEvent } from '../domain/maintenance-windows';
import { type ResolvedLine, type RiskAuditEvent } from '../domain/watch';
import { appendJsonlOnce, PathEscapeError, readJsonl, resolveInside, writeFileAtomic } from '../io/files';
import { InvalidRunIdError, runDir } from '../io/run-artifacts';
import { listAuditFiles, readLastRecords, readNew, tailCursorSchema, type TailCursor } from '../io/tail';
import { foldRunArtifacts, runArtifactCursorsSchema, snapshotRunArtifacts, type FileReadStats, type RunArtifactCursors } from '../io/run-artifact-fold';
import { createBrokerActivities } from './broker';
import { createGatewayActivities } from './gateway';
import { withHeartbeat } from './heartbeat';
import { checkMarketData, type MarketDataCheck } from './market-data';
import {
  brokerHealthReading,
  readDataQuality,
  readReconciliation,
  type BrokerHealthReading,
  type DataQualityReading,
  type ReconciliationReading,
} from './recovery-readings';
import { parseInput, resolveTarget, type TargetActivityDeps } from './target-input';
import { FAILURE } from '../domain/failure-types';

const sloStateSchema = z.custom<SloState>((v) => typeof v === 'object' && v !== null && (v as { v?: unknown }).v === 1, {
  error: 'state must be an SloState (v: 1)',
});

export const watchCycleInputSchema = z.object({
  runId: runIdSchema,
  target: targetNameSchema,
  cursors: runArtifactCursorsSchema.optional(),
  state: sloStateSchema.nullable().optional(),
  thresholds: sloThresholdOverridesSchema.optional(),
  /** Workflow time, ISO: ages unacknowledged incidents. */
  now: z.string(),
  maxEvents: z.number().int().positive().max(5000).default(500),
  /** v2: cursor of the run's `maintenance_events.jsonl`. */
  maintenanceCursor: tailCursorSchema.optional(),
  /** v2: incident ids to look up in the whole incident file (`incident_resolved`). */
  checkResolved: z.array(incidentIdSchema).max(1000).optional(),
});
export type WatchCycleInput = z.input<typeof watchCycleInputSchema>;

export interface WatchCycleResult {
  state: SloState;
  cursors: RunArtifactCursors;
  incidentEvents: IncidentEvent[];
  sloBreaches: Array<{ ts: string; slo: string; value: number; threshold: number; severity: 'critical' | 'warning'; incident_id?: string }>;
  auditEvents: number;
  riskAuditEvents: Array<{ ts: string; event_type: string; detail?: string }>;
  files: Partial<Record<string, FileReadStats>>;
  corrupt: number;
  more: boolean;
  breaches: SloCriterion[];
  criteria: Array<Pick<SloCriterion, 'id' | 'value' | 'ok' | 'severity'>>;
  /** v2: every risk audit event of this read, with the incident id it opens. */
  riskEvents?: RiskAuditEvent[];
  /** v2: new maintenance lines and the cursor after them. */
  maintenance?: MaintenanceEvent[];
  maintenanceCursor?: TailCursor;
  /** v2: `incident_resolved` lines anywhere in the run file for this read's candidates and `checkResolved`. */
  resolvedFound?: ResolvedLine[];
}

export const triageInputSchema = z.object({
  runId: runIdSchema,
  target: targetNameSchema,
  incidentId: incidentIdSchema.optional(),
  hint: z.string().max(100).optional(),
  /** Write the report atomically to `<run folder>/triage/<incidentId|adhoc>.json`. */
  write: z.boolean().default(true),
  /** When the incident opened: the evidence window ends there (default: now). */
  openedAt: z.iso.datetime({ offset: true }).optional(),
  /** Breaches older than this before the incident opened do not decide the class. */
  evidenceWindowSeconds: evidenceWindowSecondsSchema.optional(),
  lines: z.number().int().min(1).max(100).default(5),
});
export type TriageInput = z.input<typeof triageInputSchema>;

export const recoveryProbeInputSchema = z.object({
  runId: runIdSchema,
  target: targetNameSchema,
  reconciliation: z.object({ cursors: runArtifactCursorsSchema.optional(), state: sloStateSchema.nullable().optional() }).optional(),
  dataQuality: z.boolean().default(false),
  broker: z.boolean().default(false),
});
export type RecoveryProbeInput = z.input<typeof recoveryProbeInputSchema>;

export interface RecoveryProbeResult {
  checkedAt: string;
  gateway: { ok: true; entriesHalted: boolean; haltReason: string | null; tradingHaltedUntil: string | null } | { ok: false; error: string };
  reconciliation?: ReconciliationReading;
  dataQuality?: DataQualityReading;
  broker?: BrokerHealthReading;
}

export const resolvedInputSchema = z.object({
  runId: runIdSchema,
  target: targetNameSchema,
  incidentId: incidentIdSchema,
  resolution: z.enum(['recovered', 'forced']),
  incidentClass: z.string(),
  /** When the workflow decided (workflow time); the line's `ts`. */
  at: z.string(),
  detail: z.string().max(2000).optional(),
});
export type ResolvedInput = z.input<typeof resolvedInputSchema>;

/**
 * The incident id of a risk audit event that links none: stable (the same line always gives the same
 * id, so a resolved one stays resolved for a fresh watcher), from its file name, time, type and detail.
 */
export function auditIncidentId(file: string, e: { ts: string; event_type: string; detail?: string }): string {
  return `audit-${e.event_type}-${createHash('sha256')
    .update(JSON.stringify([file, e.ts, e.event_type, e.detail ?? '']))
    .digest('hex')
    .slice(0, 16)}`;
}

export function targetRunDir(t: TargetConfig, runId: string): string {
  try {
    return runDir(t.artifactsRoot, runId);
  } catch (err) {
    if (err instanceof InvalidRunIdError || err instanceof PathEscapeError) throw ApplicationFailure.nonRetryable(err.message, FAILURE.invalidInput);
    throw err;
  }
}

/** Gathers the "First 5 Minutes" evidence of a run and builds the report. Used by the activity and `drill triage`. */
export async function gatherTriage(deps: TargetActivityDeps, raw: TriageInput): Promise<{ report: TriageReport; path: string | null }> {
  const i = parseInput(triageInputSchema, raw, 'triage input');
  const t = await resolveTarget(deps, i.target);
  const dir = targetRunDir(t, i.runId);
  const gw = createGatewayActivities(deps);
  const br = createBrokerActivities(deps);
  const [stats, broker, snap, incidents, audit] = await Promise.all([
    gw.gatewayStats({ target: i.target }).then(
      (s) => ({ ok: true as const, haltReason: s.haltReason, tradingHaltedUntil: s.tradingHaltedUntil, entriesHalted: s.entriesHalted }),
      (err: unknown) => ({ ok: false as const, error: err instanceof Error ? err.message : String(err) }),
    ),
    br.brokerHealth({ target: i.target }).then(
      (b) => ({
        ok: true as const,
        apiOk: b.api.ok,
        websocketOk: b.websocket.ok,
        ...(b.api.error || b.websocket.error ? { detail: [b.api.error, b.websocket.error].filter(Boolean).join('; ') } : {}),
      }),
      (err: unknown) => ({ ok: false as const, error: err instanceof Error ? err.message : String(err) }),
    ),
    snapshotRunArtifacts(dir, { lines: i.lines }),
    readJsonl(path.join(dir, INCIDENT_EVENTS_FILE), incidentEventSchema).catch(() => ({ records: [] as IncidentEvent[], errors: [] })),
    recentAudit(t.auditLogsDir, 10),
  ]);
  // The breach that opened this incident (when the target linked them), the run's latest breaches
  // and latest snapshot: triage weighs them by age and by whether they recovered since.
  const sloFile = path.join(dir, ARTIFACT_FILES.opsSlo);
  const window = { maxBytes: 4 * 1024 * 1024 };
  const [own, recent, latestSnap] = await Promise.all([
    i.incidentId
      ? readLastRecords(sloFile, opsSloEventSchema, { ...window, count: 1, filter: (e) => e.event_type === 'slo_breach' && e.incident_id === i.incidentId })
      : undefined,
    readLastRecords(sloFile, opsSloEventSchema, { ...window, count: 20, filter: (e) => e.event_type === 'slo_breach' }),
    readLastRecords(sloFile, opsSloEventSchema, { ...window, count: 1, filter: (e) => e.event_type === 'slo_snapshot' }),
  ]);
  const ownBreach = own?.records[0]?.event_type === 'slo_breach' ? own.records[0] : null;
  const opened = i.incidentId ? incidents.records.find((e) => e.event_type === 'incident_open' && e.incident_id === i.incidentId) : undefined;
  const hint = i.hint ?? (opened?.event_type === 'incident_open' ? opened.incident_class : undefined);
  const snapshot = latestSnap.records[0]?.event_type === 'slo_snapshot' ? latestSnap.records[0] : null;
  const evidence: TriageEvidence = {
    runId: i.runId,
    target: i.target,
    ...(i.incidentId ? { incidentId: i.incidentId } : {}),
    gatheredAt: new Date().toISOString(),
    killSwitch: stats,
    lastSloBreach: snap.lastSloBreach,
    recentBreaches: recent.records.filter((e) => e.event_type === 'slo_breach'),
    ownBreach,
    latestSnapshot: snapshot,
    ...((i.openedAt ?? opened?.ts) ? { openedAt: i.openedAt ?? opened!.ts } : {}),
    ...(i.evidenceWindowSeconds ? { evidenceWindowSeconds: i.evidenceWindowSeconds } : {}),
    incidents: summarizeIncidents(incidents.records),
    orderReconciliation: snap.orderReconciliation,
    positionReconciliation: snap.positionReconciliation,
    dataQualityLatest: snap.dataQualityLatest.ok ? { ok: true, value: snap.dataQualityLatest.value } : { ok: false, reason: snap.dataQualityLatest.reason },
    broker,
    auditEvents: audit,
    missingFiles: snap.missing,
    corruptLines: snap.corrupt,
    ...(hint ? { hint } : {}),
  };
  const report = buildTriageReport(evidence);
  if (!i.write) return { report, path: null };
  const file = resolveInside(dir, 'triage', `${i.incidentId ?? 'adhoc'}.json`);
  await writeFileAtomic(file, `${JSON.stringify(report, null, 2)}\n`);
  return { report, path: file };
}

async function recentAudit(dir: string, count: number): Promise<Array<{ event_type: string; ts?: string; detail?: string }>> {
  const names = await listAuditFiles(dir);
  const last = names.at(-1);
  if (!last) return [];
  const r = await readLastRecords(path.join(dir, last), auditEventSchema, { count });
  return r.records.map((e) => ({ event_type: e.event_type, ts: e.ts, ...(e.detail ? { detail: e.detail } : {}) }));
}

export function createIncidentActivities(deps: TargetActivityDeps) {
  const gw = createGatewayActivities(deps);
  const br = createBrokerActivities(deps);

  return {
    /**
     * The watcher's cycle: reads what the run's artifacts and audit logs gained since `cursors`, folds
     * the SLO state forward and evaluates the runbook's SLOs over the current window. Corrupt lines are
     * counted per file (the watcher records them as data quality errors). Retry-safe: same input, same
     * output.
     */
    async watchCycle(input: WatchCycleInput): Promise<WatchCycleResult> {
      const i = parseInput(watchCycleInputSchema, input, 'watchCycle input');
      const t = await resolveTarget(deps, i.target);
      const dir = targetRunDir(t, i.runId);
      const r = await withHeartbeat(() =>
        foldRunArtifacts(dir, i.cursors ?? {}, i.state ?? initialSloState(), { auditLogsDir: t.auditLogsDir, maxEvents: i.maxEvents }),
      );
      const evaluation = evaluateSlos(r.state, resolveThresholds(i.thresholds ?? {}), { window: 'latest', now: i.now });
      // Maintenance windows are read after the incident file: a drill writes its window's open line
      // before it causes anything, so every incident line read here already has its window visible.
      const m = await readNew(path.join(dir, MAINTENANCE_EVENTS_FILE), i.maintenanceCursor, maintenanceEventSchema, { maxRecords: i.maxEvents });
      const riskEvents: RiskAuditEvent[] = r.auditEvents
        .filter((a) => a.event_type === 'risk_warning' || a.event_type === 'risk_limit_breach')
        .map((a) => {
          const linked = incidentIdSchema.safeParse(a.incident_id);
          const id = linked.success ? linked.data : auditIncidentId(a.file, a);
          return {
            incidentId: id,
            linked: linked.success,
            ts: a.ts,
            eventType: a.event_type,
            ...(a.run_id ? { runId: a.run_id } : {}),
            ...(a.detail ? { detail: a.detail.slice(0, 300) } : {}),
          };
        });
      // What the run file says is resolved decides before anything opens (whatever Temporal remembers).
      const candidates = new Set([
        ...(i.checkResolved ?? []),
        ...riskEvents.map((e) => e.incidentId),
        ...r.incidentEvents.filter((e) => e.event_type === 'incident_open').map((e) => e.incident_id),
      ]);
      const resolvedFound: ResolvedLine[] = [];
      if (candidates.size) {
        const all = await readJsonl(path.join(dir, INCIDENT_EVENTS_FILE), incidentEventSchema).catch(() => ({ records: [] as IncidentEvent[] }));
        for (const e of all.records) {
          if (e.event_type !== 'incident_resolved' || !candidates.has(e.incident_id)) continue;
          candidates.delete(e.incident_id);
          resolvedFound.push({
            incidentId: e.incident_id,
            ts: e.ts,
            ...(e.resolution ? { resolution: e.resolution } : {}),
            ...(typeof e.source === 'string' ? { source: e.source } : {}),
          });
        }
      }
      return {
        riskEvents,
        maintenance: m.records,
        maintenanceCursor: m.cursor,
        resolvedFound,
        state: r.state,
        cursors: r.cursors,
        incidentEvents: r.incidentEvents,
        sloBreaches: r.sloBreaches.map((b) => ({
          ts: b.ts,
          slo: b.slo,
          value: b.value,
          threshold: b.threshold,
          severity: b.severity,
          ...(b.incident_id ? { incident_id: b.incident_id } : {}),
        })),
        auditEvents: r.auditEvents.length,
        riskAuditEvents: r.auditEvents
          .filter((a) => a.event_type === 'risk_warning' || a.event_type === 'risk_limit_breach')
          .slice(-20)
          .map((a) => ({ ts: a.ts, event_type: a.event_type, ...(a.detail ? { detail: a.detail } : {}) })),
        files: r.files,
        corrupt: r.corrupt,
        more: r.more,
        breaches: evaluation.breaches,
        criteria: evaluation.criteria.map((c) => ({ id: c.id, value: c.value, ok: c.ok, severity: c.severity })),
      };
    },

    /** "First 5 Minutes": kill switch, latest artifacts, ack status, broker health → classified report, written atomically. Heartbeats. */
    async triageIncident(input: TriageInput): Promise<{ report: TriageReport; path: string | null }> {
      return withHeartbeat(() => gatherTriage(deps, input));
    },

    /**
     * One recovery cycle's look at the outside world: the kill switch always, plus what the branch
     * needs (new reconciliation events since its cursors, bar validation and the latest quality cycle,
     * broker health). Never throws for an unhealthy answer.
     */
    async recoveryProbe(input: RecoveryProbeInput): Promise<RecoveryProbeResult> {
      const i = parseInput(recoveryProbeInputSchema, input, 'recoveryProbe input');
      const t = await resolveTarget(deps, i.target);
      const dir = targetRunDir(t, i.runId);
      const out: RecoveryProbeResult = {
        checkedAt: new Date().toISOString(),
        gateway: await gw.gatewayStats({ target: i.target }).then(
          (s) => ({ ok: true as const, entriesHalted: s.entriesHalted, haltReason: s.haltReason, tradingHaltedUntil: s.tradingHaltedUntil }),
          (err: unknown) => ({ ok: false as const, error: err instanceof Error ? err.message : String(err) }),
        ),
      };
      if (i.reconciliation) out.reconciliation = await readReconciliation(dir, i.reconciliation.cursors ?? {}, i.reconciliation.state ?? initialSloState());
      if (i.dataQuality) out.dataQuality = await readDataQuality(t, dir);
      if (i.broker) out.broker = brokerHealthReading(await br.brokerHealth({ target: i.target }));
      return out;
    },

    /** "Refresh data source connectivity": every active symbol's bars fetched (and validated) once. */
    async refreshDataSource(input: { target: string }): Promise<MarketDataCheck> {
      const i = parseInput(z.object({ target: targetNameSchema }), input, 'refreshDataSource input');
      return checkMarketData(await resolveTarget(deps, i.target));
    },

    /** Appends `incident_resolved` once per incident (a retry or a rerun finds the first line). */
    async appendIncidentResolved(input: ResolvedInput): Promise<{ appended: boolean; file: string }> {
      const i = parseInput(resolvedInputSchema, input, 'appendIncidentResolved input');
      const t = await resolveTarget(deps, i.target);
      const file = resolveInside(targetRunDir(t, i.runId), INCIDENT_EVENTS_FILE);
      const record = {
        ts: i.at,
        event_type: 'incident_resolved',
        incident_id: i.incidentId,
        run_id: i.runId,
        resolution: i.resolution,
        incident_class: i.incidentClass,
        ...(i.detail ? { detail: i.detail } : {}),
        source: 'drill-runner',
      };
      const r = await appendJsonlOnce(file, incidentEventSchema, record, (e) => e.event_type === 'incident_resolved' && e.incident_id === i.incidentId);
      return { appended: r.appended, file };
    },
  };
}
