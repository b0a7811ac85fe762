/**
 * The alert watcher's decisions (runbook "Alert Sources"), pure: which incidents to open from what a
 * cycle read. The watcher opens an incident for every `incident_open` the target writes, and for a
 * critical SLO breach it detects itself when the target has not opened one within a grace of a few
 * cycles (the target's own monitor usually writes the `incident_open` a moment after the breach is
 * visible in the event files; opening at once would double every incident).
 */
import { z } from 'zod';
import { ackSlaSecondsSchema, cycleSecondsSchema, evidenceWindowSecondsSchema, maxWaitSecondsSchema } from './incident-tuning';
import { incidentIdSchema, runIdSchema, targetNameSchema } from './ids';
import { anyWindowOpen, expireWindows, foldMaintenance, windowCovering, type MaintenanceEvent, type MaintenanceWindow } from './maintenance-windows';
import { type IncidentEvent } from './incident-events';
import { severitySchema, type Severity } from './severity';
import { sloThresholdOverridesSchema } from './slo';
import { type SloState } from './slo-fold';
import { type SloEvaluation } from './slo-evaluation';

/** Per-incident tuning handed to each incident workflow the watcher starts. */
export const incidentTuningSchema = z.object({
  cycleSeconds: cycleSecondsSchema.optional(),
  maxWaitSeconds: maxWaitSecondsSchema.optional(),
  ackSlaSeconds: ackSlaSecondsSchema.optional(),
  evidenceWindowSeconds: evidenceWindowSecondsSchema.optional(),
});
export type IncidentTuning = z.infer<typeof incidentTuningSchema>;

/** Small JSON state carried over continue-as-new. */
export interface WatchCarried {
  cursors: Record<string, unknown>;
  state: SloState | null;
  counters: WatchCounters;
  /** Incident id → how it was opened; a second sighting of the id starts nothing. */
  incidents: Record<string, { source: 'target' | 'watcher' | 'audit'; openedAt: string; workflowId: string; outcome: 'started' | 'already-exists' }>;
  /** Critical SLO id → consecutive cycles it has been breaching with no target incident open. */
  breachStreaks: Record<string, number>;
  /** SLO id → the incident the watcher opened for the current breach (cleared when it passes). */
  selfOpened: Record<string, string>;
  recentBreaches: BreachRecord[];
  /** SLO ids breaching at the last cycle: a breach is recorded when it starts, not every cycle. */
  breaching: string[];
  continuedAsNew: number;
  // v2 (absent in state carried from v1):
  /** Incident ids with an `incident_resolved` line in the run file: never opened again. */
  resolved?: string[];
  /** Maintenance windows of this target (drills). */
  windows?: Record<string, MaintenanceWindow>;
  /** Incidents attributed to a maintenance window: not started, opened after it if still unresolved. */
  attributed?: Record<string, AttributedIncident>;
  /** Cursor of `maintenance_events.jsonl`. */
  maintenanceCursor?: Record<string, unknown>;
  /** When this watcher first started (audit events without a run id count from a little before). */
  startedAt?: string;
  /** Candidates skipped because the run file says they are resolved. */
  resolvedSkipped?: number;
}

export interface AttributedIncident {
  windowId: string;
  openedAt: string;
  severity: Severity;
  source: 'target' | 'audit';
  hint?: string;
  summary?: string;
  /** in the window → window closed, checking for `incident_resolved` → resolved (by the drill) or opened (real). */
  state: 'in-window' | 'awaiting-resolution' | 'resolved' | 'opened';
  dueCycle?: number;
}

export interface WatchCounters {
  cycles: number;
  /** Valid lines read per artifact key (`orderReconciliation`, `incidents`, `audit`, ...). */
  linesRead: Record<string, number>;
  /** Corrupt artifact lines: counted as data quality errors of the run, never a crash. */
  dataQualityErrors: number;
  incidentEvents: number;
  sloBreachEvents: number;
  auditEvents: number;
  breachesRecorded: number;
}

export interface BreachRecord {
  at: string;
  source: 'target' | 'watcher' | 'artifacts';
  slo: string;
  value: number | null;
  threshold: number | null;
  severity: Severity;
  incidentId?: string;
}

const count = z.number().int().nonnegative();
/**
 * The state carried over continue-as-new, checked field by field: it is part of the workflow's input,
 * so a hand-written `carried` (Web UI, CLI) must fail as `InvalidInput` instead of crashing the
 * workflow code that reads it. Cursors and the SLO state are checked by the activity that reads them.
 * Loose at the top: a field added to {@link WatchCarried} later is carried, not stripped.
 */
export const watchCarriedSchema = z.looseObject(
  {
    cursors: z.record(z.string(), z.unknown()),
    state: z
      .custom<SloState>((v) => typeof v === 'object' && v !== null && (v as { v?: unknown }).v === 1, { error: 'expected an SLO state (v: 1)' })
      .nullable(),
    counters: z.object({
      cycles: count,
      linesRead: z.record(z.string(), count),
      dataQualityErrors: count,
      incidentEvents: count,
      sloBreachEvents: count,
      auditEvents: count,
      breachesRecorded: count,
    }),
    incidents: z.record(
      z.string(),
      z.object({
        source: z.enum(['target', 'watcher', 'audit']),
        openedAt: z.string(),
        workflowId: z.string(),
        outcome: z.enum(['started', 'already-exists']),
      }),
    ),
    breachStreaks: z.record(z.string(), count),
    selfOpened: z.record(z.string(), z.string()),
    recentBreaches: z.array(
      z.object({
        at: z.string(),
        source: z.enum(['target', 'watcher', 'artifacts']),
        slo: z.string(),
        value: z.number().nullable(),
        threshold: z.number().nullable(),
        severity: severitySchema,
        incidentId: z.string().optional(),
      }),
    ),
    breaching: z.array(z.string()),
    continuedAsNew: count,
  },
  { error: 'carried must be the watcher state from continue-as-new' },
) satisfies z.ZodType<WatchCarried, unknown>;

export const alertWatchInputSchema = z.object({
  runId: runIdSchema,
  /** Target name in the targets file: where the run's artifacts and audit logs are. */
  target: targetNameSchema,
  intervalSeconds: z.number().positive().max(3600).default(30),
  /** Continue-as-new after this many cycles (or earlier when the server suggests it). */
  cyclesPerRun: z.number().int().min(1).max(100_000).default(500),
  /** Cycles a critical breach may last with no target incident before the watcher opens one. */
  selfOpenAfterCycles: z.number().int().min(1).max(1000).default(2),
  /** Open incident workflows (false: watch and record only). */
  openIncidents: z.boolean().default(true),
  thresholds: sloThresholdOverridesSchema.optional(),
  incident: incidentTuningSchema.optional(),
  carried: watchCarriedSchema.optional(),
  /** v2: a maintenance window open longer than this is treated as closed (its drill never wrote the close). */
  maintenanceMaxSeconds: z
    .number()
    .int()
    .min(60)
    .max(7 * 86400)
    .default(7200),
  /** v2: audit events without a run id count from this long before the watcher first started. */
  auditLookbackSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86400)
    .default(900),
});
export type AlertWatchInput = z.input<typeof alertWatchInputSchema>;
export type AlertWatchParams = z.output<typeof alertWatchInputSchema>;

export const stopWatchSchema = z.object({ reason: z.string().trim().min(1).max(500).optional(), by: z.string().trim().min(1).max(200).optional() });
export type StopWatchRequest = z.input<typeof stopWatchSchema>;
/** The stop signal / stopWatch update payload: absent or null means `{}` (both fields are optional). */
export const stopWatchMessageSchema = z.preprocess((v) => v ?? {}, stopWatchSchema);
export type StopWatchParams = z.output<typeof stopWatchSchema>;

export interface AlertWatchStatus {
  runId: string;
  target: string;
  state: 'watching' | 'stopping' | 'stopped';
  cycle: number;
  counters: WatchCounters;
  incidents: WatchCarried['incidents'];
  recentBreaches: BreachRecord[];
  continuedAsNew: number;
  lastCycleAt: string | null;
  lastEvaluation: Array<{ id: string; value: number | null; ok: boolean | undefined; severity: Severity }>;
  stopReason?: string;
  /** v2: maintenance windows of the target, incidents attributed to them, incidents skipped as resolved. */
  windows?: Record<string, MaintenanceWindow>;
  attributed?: Record<string, AttributedIncident>;
  resolvedSkipped?: number;
}

export interface AlertWatchResult {
  runId: string;
  stoppedBy: string | null;
  reason: string | null;
  counters: WatchCounters;
  incidents: WatchCarried['incidents'];
}

export function initialCarried(): WatchCarried {
  return {
    cursors: {},
    state: null,
    counters: { cycles: 0, linesRead: {}, dataQualityErrors: 0, incidentEvents: 0, sloBreachEvents: 0, auditEvents: 0, breachesRecorded: 0 },
    incidents: {},
    breachStreaks: {},
    selfOpened: {},
    recentBreaches: [],
    breaching: [],
    continuedAsNew: 0,
  };
}

/**
 * Critical SLOs the watcher opens an incident for on its own. The rate SLOs are measured over the
 * whole run, so they stay breached long after a recovery (they are recorded, not opened); the ack SLA
 * belongs to the ack timer, which escalates it.
 */
export const SELF_OPEN_SLOS: readonly string[] = ['consecutive_mismatch_runs', 'data_quality_errors'];

export interface IncidentToOpen {
  incidentId: string;
  source: 'target' | 'watcher' | 'audit';
  severity: Severity;
  openedAt: string;
  hint?: string;
  summary?: string;
}

export interface CycleInput {
  now: string;
  incidentEvents: readonly IncidentEvent[];
  evaluation: Pick<SloEvaluation, 'breaches'>;
  /** Incidents open according to the target's incident log (after this cycle's fold). */
  openTargetIncidents: readonly string[];
  selfOpenAfterCycles: number;
  cycle: number;
  /** v2: the id of an incident the watcher opens itself (default `watcherIncidentId`). */
  selfOpenId?: (sloId: string) => string;
}

export interface CycleDecision {
  open: IncidentToOpen[];
  breachStreaks: Record<string, number>;
  selfOpened: Record<string, string>;
  breaches: BreachRecord[];
  breaching: string[];
}

/** A watcher-made incident id: stable for one breach episode, safe as a workflow id. */
export function watcherIncidentId(sloId: string, cycle: number): string {
  return incidentIdSchema.parse(`watch-${sloId}-c${cycle}`);
}

/**
 * One cycle's decisions. Target `incident_open` events open an incident each (duplicates are removed
 * by the caller's known-id set and, as a last guard, by the workflow id). Critical breaches found by
 * the watcher's own evaluation open one incident per breach episode once they outlast the grace.
 */
export function decideCycle(prev: Pick<WatchCarried, 'breachStreaks' | 'selfOpened' | 'breaching'>, c: CycleInput): CycleDecision {
  const open: IncidentToOpen[] = [];
  const breaches: BreachRecord[] = [];
  for (const e of c.incidentEvents) {
    if (e.event_type !== 'incident_open') continue;
    open.push({
      incidentId: e.incident_id,
      source: 'target',
      severity: e.severity,
      openedAt: e.ts,
      ...(e.incident_class ? { hint: e.incident_class } : {}),
      ...(e.summary ? { summary: e.summary } : {}),
    });
  }
  const streaks: Record<string, number> = {};
  const selfOpened: Record<string, string> = {};
  const wasBreaching = new Set(prev.breaching);
  for (const b of c.evaluation.breaches) {
    if (!wasBreaching.has(b.id)) breaches.push({ at: c.now, source: 'watcher', slo: b.id, value: b.value, threshold: b.threshold, severity: b.severity });
    if (b.severity !== 'critical' || !SELF_OPEN_SLOS.includes(b.id)) continue;
    const already = prev.selfOpened[b.id];
    if (already) {
      selfOpened[b.id] = already;
      continue;
    }
    const n = (prev.breachStreaks[b.id] ?? 0) + 1;
    // The target owns the incident while one of its own is open.
    if (c.openTargetIncidents.length > 0 || open.some((o) => o.source === 'target')) {
      streaks[b.id] = 0;
      continue;
    }
    if (n >= c.selfOpenAfterCycles) {
      const id = c.selfOpenId ? c.selfOpenId(b.id) : watcherIncidentId(b.id, c.cycle);
      selfOpened[b.id] = id;
      open.push({
        incidentId: id,
        source: 'watcher',
        severity: 'critical',
        openedAt: c.now,
        summary: `${b.label}: ${b.value} (threshold ${b.comparator} ${b.threshold})`,
      });
    } else streaks[b.id] = n;
  }
  return { open, breachStreaks: streaks, selfOpened, breaches, breaching: c.evaluation.breaches.map((b) => b.id) };
}

/** Adds one cycle's read counts into the counters (pure). */
export function addCounts(
  counters: WatchCounters,
  r: { files: Partial<Record<string, { read: number; corrupt: number }>>; incidentEvents: number; sloBreaches: number; auditEvents: number },
): WatchCounters {
  const linesRead = { ...counters.linesRead };
  let corrupt = 0;
  for (const [k, f] of Object.entries(r.files)) {
    if (!f) continue;
    linesRead[k] = (linesRead[k] ?? 0) + f.read;
    corrupt += f.corrupt;
  }
  return {
    ...counters,
    linesRead,
    dataQualityErrors: counters.dataQualityErrors + corrupt,
    incidentEvents: counters.incidentEvents + r.incidentEvents,
    sloBreachEvents: counters.sloBreachEvents + r.sloBreaches,
    auditEvents: counters.auditEvents + r.auditEvents,
  };
}

// ---------------------------------------------------------------------------------------------------
// v2: what the run file says is resolved stays resolved; audit logs open incidents; drills are
// maintenance windows.

export const RISK_EVENT_SEVERITY: Record<string, Severity> = { risk_limit_breach: 'critical', risk_warning: 'warning' };

/** A `risk_warning` / `risk_limit_breach` audit line, as the activity passes it (id computed there). */
export interface RiskAuditEvent {
  /** The line's `incident_id` when it links one (the same incident as the target's `incident_open`), else a stable hash id. */
  incidentId: string;
  linked: boolean;
  ts: string;
  eventType: string;
  runId?: string;
  detail?: string;
}

export interface ResolvedLine {
  incidentId: string;
  ts: string;
  resolution?: string;
  /** `drill-runner` when an incident workflow wrote it. */
  source?: string;
  resolvedBy?: string;
}

export interface CycleInputV2 extends CycleInput {
  runId: string;
  target: string;
  riskEvents: readonly RiskAuditEvent[];
  maintenance: readonly MaintenanceEvent[];
  /** `incident_resolved` lines anywhere in the run file for the ids the activity checked. */
  resolvedFound: readonly ResolvedLine[];
  /** Ids the activity was asked to check (windows closed a cycle ago). */
  checked: readonly string[];
  maintenanceMaxSeconds: number;
  /** Audit events without a run id older than this are history, not alerts. */
  auditSince: string;
}

export interface CycleDecisionV2 extends CycleDecision {
  resolved: string[];
  windows: Record<string, MaintenanceWindow>;
  attributed: Record<string, AttributedIncident>;
  /** Candidates not opened, and why (resolved, known, attributed). */
  skipped: Array<{ incidentId: string; why: 'resolved' | 'known' | 'attributed' }>;
  /** Resolutions written elsewhere for incidents this watcher knows: tell their workflows. */
  externalResolutions: ResolvedLine[];
  /** Ids to check for `incident_resolved` at the next cycle (their window closed). */
  checkNext: string[];
}

const MAX_RESOLVED = 5000;
const MAX_ATTRIBUTED = 500;

/** The id of an incident the watcher opens itself: one per breach episode, unique across watcher restarts. */
export function watcherIncidentIdAt(sloId: string, nowIso: string): string {
  const stamp = nowIso.replace(/[-:]/g, '').replace(/\.\d+/, '');
  return incidentIdSchema.parse(`watch-${sloId}-${stamp}`.slice(0, 128));
}

/**
 * One cycle of the v2 watcher. Every candidate — a target `incident_open`, a risk audit event, a
 * breach the watcher opens itself, an attributed incident whose window closed unresolved — passes the
 * same gates: resolved in the run file → never; already known → never twice; inside an open
 * maintenance window of this target → attributed to the drill (no workflow, no page).
 */
export function decideCycleV2(prev: WatchCarried, x: CycleInputV2): CycleDecisionV2 {
  const resolvedSet = new Set(prev.resolved ?? []);
  for (const r of x.resolvedFound) resolvedSet.add(r.incidentId);
  const externalResolutions: ResolvedLine[] = [];
  for (const e of x.incidentEvents) {
    if (e.event_type !== 'incident_resolved') continue;
    resolvedSet.add(e.incident_id);
    const source = typeof e.source === 'string' ? e.source : undefined;
    if (prev.incidents[e.incident_id] && source !== 'drill-runner') {
      const by = typeof e.resolved_by === 'string' ? e.resolved_by : source;
      externalResolutions.push({
        incidentId: e.incident_id,
        ts: e.ts,
        ...(e.resolution ? { resolution: e.resolution } : {}),
        ...(source ? { source } : {}),
        ...(by ? { resolvedBy: by } : {}),
      });
    }
  }

  const folded = foldMaintenance(prev.windows ?? {}, x.maintenance, x.target);
  const exp = expireWindows(folded.windows, x.now, x.maintenanceMaxSeconds);
  const windows = exp.windows;
  const closedNow = new Set([...folded.closed, ...exp.expired]);
  const attributed: Record<string, AttributedIncident> = { ...(prev.attributed ?? {}) };

  const open: IncidentToOpen[] = [];
  const skipped: CycleDecisionV2['skipped'] = [];
  const taken = new Set<string>();
  const consider = (o: IncidentToOpen) => {
    if (taken.has(o.incidentId)) return;
    taken.add(o.incidentId);
    if (resolvedSet.has(o.incidentId)) return void skipped.push({ incidentId: o.incidentId, why: 'resolved' });
    if (prev.incidents[o.incidentId]) return void skipped.push({ incidentId: o.incidentId, why: 'known' });
    if (attributed[o.incidentId] && attributed[o.incidentId]!.state !== 'opened') return void skipped.push({ incidentId: o.incidentId, why: 'attributed' });
    const w = o.source === 'watcher' ? undefined : windowCovering(windows, o.openedAt);
    if (w && o.source !== 'watcher') {
      attributed[o.incidentId] = {
        windowId: w.windowId,
        openedAt: o.openedAt,
        severity: o.severity,
        source: o.source,
        ...(o.hint ? { hint: o.hint } : {}),
        ...(o.summary ? { summary: o.summary } : {}),
        state: w.closedAt && !closedNow.has(w.windowId) ? 'awaiting-resolution' : 'in-window',
        ...(w.closedAt && !closedNow.has(w.windowId) ? { dueCycle: x.cycle + 1 } : {}),
      };
      return void skipped.push({ incidentId: o.incidentId, why: 'attributed' });
    }
    open.push(o);
  };

  // Attributed incidents whose window closed a cycle ago: resolved by the drill, or real.
  const checked = new Set(x.checked);
  for (const [id, a] of Object.entries(attributed)) {
    if (a.state !== 'awaiting-resolution' || !checked.has(id)) continue;
    if (resolvedSet.has(id)) attributed[id] = { ...a, state: 'resolved' };
    else {
      attributed[id] = { ...a, state: 'opened' };
      taken.add(id);
      if (!prev.incidents[id])
        open.push({
          incidentId: id,
          source: a.source === 'audit' ? 'audit' : 'target',
          severity: a.severity,
          openedAt: a.openedAt,
          ...(a.hint ? { hint: a.hint } : {}),
          summary: `${a.summary ?? 'incident'} (inside maintenance window ${a.windowId}; unresolved after it closed)`,
        });
    }
  }

  // The v1 decisions (target incidents and the watcher's own breaches); no self-open during a window.
  const base = decideCycle(prev, {
    ...x,
    openTargetIncidents: anyWindowOpen(windows) ? [...x.openTargetIncidents, '(maintenance window)'] : x.openTargetIncidents,
    selfOpenId: (slo) => watcherIncidentIdAt(slo, x.now),
  });
  for (const o of base.open) if (o.source === 'target') consider(o);
  for (const a of x.riskEvents) {
    if (a.runId !== undefined && a.runId !== x.runId) continue;
    if (a.runId === undefined && Date.parse(a.ts) < Date.parse(x.auditSince)) continue;
    const severity = RISK_EVENT_SEVERITY[a.eventType];
    if (!severity) continue;
    consider({ incidentId: a.incidentId, source: 'audit', severity, openedAt: a.ts, summary: `audit ${a.eventType}${a.detail ? `: ${a.detail}` : ''}` });
  }
  for (const o of base.open) if (o.source === 'watcher') consider(o);

  // Windows that closed now: their incidents are checked for `incident_resolved` at the next cycle.
  const checkNext: string[] = [];
  for (const [id, a] of Object.entries(attributed)) {
    if (a.state === 'in-window' && closedNow.has(a.windowId)) attributed[id] = { ...a, state: 'awaiting-resolution', dueCycle: x.cycle + 1 };
    const b = attributed[id]!;
    if (b.state === 'awaiting-resolution' && (b.dueCycle ?? 0) <= x.cycle + 1 && !checked.has(id)) checkNext.push(id);
  }

  // Bounded state.
  const ids = Object.keys(attributed);
  for (const id of ids.slice(0, Math.max(0, ids.length - MAX_ATTRIBUTED))) delete attributed[id];
  const keptWindows: Record<string, MaintenanceWindow> = {};
  const ws = Object.values(windows).sort((a, b) => Date.parse(a.openedAt) - Date.parse(b.openedAt));
  for (const w of ws.slice(-50)) if (!w.closedAt || Date.parse(x.now) - Date.parse(w.closedAt) < 86400_000) keptWindows[w.windowId] = w;
  const resolved = [...resolvedSet].slice(-MAX_RESOLVED);
  return { ...base, open, resolved, windows: keptWindows, attributed, skipped, externalResolutions, checkNext };
}
