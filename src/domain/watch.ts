/**
 * The alert watcher's decisions (runbook "Alert Sources"), pure: which incidents to open from what a
 * cycle read. The watcher opens an incident for every `incident_open` the target writes, and for a
 * critical SLO breach it detects itself when the target has not opened one within a grace of a few
 * cycles (the target's own monitor usually writes the `incident_open` a moment after the breach is
 * visible in the event files; opening at once would double every incident).
 */
import { z } from 'zod';
import { incidentIdSchema, runIdSchema, targetNameSchema } from './ids';
import { type IncidentEvent } from './incident-events';
import { severitySchema, type Severity } from './severity';
import { sloThresholdOverridesSchema, type SloEvaluation, type SloState } from './slo';

/** Per-incident tuning handed to each incident workflow the watcher starts. */
export const incidentTuningSchema = z.object({
  cycleSeconds: z.number().positive().max(3600).optional(),
  maxWaitSeconds: z.number().positive().max(7 * 86400).optional(),
  ackSlaSeconds: z.number().int().positive().max(7 * 86400).optional(),
});
export type IncidentTuning = z.infer<typeof incidentTuningSchema>;

/** Small JSON state carried over continue-as-new. */
export interface WatchCarried {
  cursors: Record<string, unknown>;
  state: SloState | null;
  counters: WatchCounters;
  /** Incident id → how it was opened; a second sighting of the id starts nothing. */
  incidents: Record<string, { source: 'target' | 'watcher'; openedAt: string; workflowId: string; outcome: 'started' | 'already-exists' }>;
  /** Critical SLO id → consecutive cycles it has been breaching with no target incident open. */
  breachStreaks: Record<string, number>;
  /** SLO id → the incident the watcher opened for the current breach (cleared when it passes). */
  selfOpened: Record<string, string>;
  recentBreaches: BreachRecord[];
  /** SLO ids breaching at the last cycle: a breach is recorded when it starts, not every cycle. */
  breaching: string[];
  continuedAsNew: number;
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
export const watchCarriedSchema = z.looseObject({
  cursors: z.record(z.string(), z.unknown()),
  state: z.custom<SloState>((v) => typeof v === 'object' && v !== null && (v as { v?: unknown }).v === 1, { error: 'expected an SLO state (v: 1)' }).nullable(),
  counters: z.object({
    cycles: count,
    linesRead: z.record(z.string(), count),
    dataQualityErrors: count,
    incidentEvents: count,
    sloBreachEvents: count,
    auditEvents: count,
    breachesRecorded: count,
  }),
  incidents: z.record(z.string(), z.object({
    source: z.enum(['target', 'watcher']),
    openedAt: z.string(),
    workflowId: z.string(),
    outcome: z.enum(['started', 'already-exists']),
  })),
  breachStreaks: z.record(z.string(), count),
  selfOpened: z.record(z.string(), z.string()),
  recentBreaches: z.array(z.object({
    at: z.string(),
    source: z.enum(['target', 'watcher', 'artifacts']),
    slo: z.string(),
    value: z.number().nullable(),
    threshold: z.number().nullable(),
    severity: severitySchema,
    incidentId: z.string().optional(),
  })),
  breaching: z.array(z.string()),
  continuedAsNew: count,
}, { error: 'carried must be the watcher state from continue-as-new' }) satisfies z.ZodType<WatchCarried, unknown>;

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
  source: 'target' | 'watcher';
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
      const id = watcherIncidentId(b.id, c.cycle);
      selfOpened[b.id] = id;
      open.push({ incidentId: id, source: 'watcher', severity: 'critical', openedAt: c.now, summary: `${b.label}: ${b.value} (threshold ${b.comparator} ${b.threshold})` });
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
