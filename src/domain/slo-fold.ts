/**
 * The SLO state fold: a small JSON-serializable accumulator {@link SloState} (counters, current
 * mismatch run, last cycle seen) folded event by event (`foldOrderRecon`, `foldPositionRecon`,
 * `foldDataQuality`, `foldOpsSlo`, `foldIncidents`), in any batch sizes: folding a file in two reads
 * gives the same state as folding it in one. `evaluateSlos` (`slo-evaluation.ts`) turns it into
 * criteria. No I/O, no clock: workflows and activities both import this.
 *
 * Duplicate cycles: an event whose `cycle` equals the last one seen for that stream is ignored
 * (re-emitted). A lower cycle number is taken as a counter reset (restart) and counted, not dropped.
 * A snapshot whose counters go backwards (the target restarted) keeps the previous counters as a base.
 */
import { secondsBetween } from './durations';
import { type Severity } from './severity';
import { type DataQualityFoldEvent, type IncidentFoldEvent, type OpsSloFoldEvent, type ReconFoldEvent } from './slo-events';

export interface ReconCounters {
  cycles: number;
  passes: number;
  lastCycle: number | null;
  lastStatus: 'ok' | 'mismatch' | null;
  lastTs: string | null;
  currentMismatchRun: number;
  maxMismatchRun: number;
  /** Clean cycles in a row at the end (recovery: "two consecutive clean cycles"). */
  currentCleanRun: number;
  duplicates: number;
  restarts: number;
}

export interface SloBreachSeen {
  slo: string;
  value: number;
  threshold: number;
  severity: Severity;
  ts: string | null;
}

export interface SloState {
  v: 1;
  order: ReconCounters;
  position: ReconCounters;
  dataQuality: {
    cycles: number;
    lastCycle: number | null;
    lastTs: string | null;
    lastErrors: number | null;
    lastStaleWarnings: number | null;
    maxErrors: number;
    maxStaleWarnings: number;
    cyclesWithErrors: number;
    cyclesWithStaleWarnings: number;
    duplicates: number;
    restarts: number;
  };
  ops: {
    snapshots: number;
    lastCycle: number | null;
    lastTs: string | null;
    /** Counters of snapshots before the last counter reset. */
    base: { operations: number; operationalErrors: number; reconciliationCycles: number; reconciliationPasses: number };
    latest: {
      operations: number;
      operationalErrors: number;
      reconciliationCycles: number;
      reconciliationPasses: number;
      consecutiveMismatchRuns: number | null;
    } | null;
    resets: number;
    breaches: number;
    lastBreach: SloBreachSeen | null;
  };
  incidents: {
    opened: number;
    critical: number;
    criticalAcked: number;
    resolved: number;
    /** Longest open → ack among critical incidents, seconds. */
    maxCriticalAckSeconds: number | null;
    /** Critical incidents not yet acknowledged: id → opened at. Shrinks as acks arrive. */
    unackedCritical: Record<string, string>;
    /** Incidents opened and not resolved: id → opened at. */
    open: Record<string, string>;
  };
  /** Lines skipped as corrupt per artifact file, as counted by the reader (optional, set by it). */
  corruptLines?: Record<string, number>;
}

function emptyRecon(): ReconCounters {
  return {
    cycles: 0,
    passes: 0,
    lastCycle: null,
    lastStatus: null,
    lastTs: null,
    currentMismatchRun: 0,
    maxMismatchRun: 0,
    currentCleanRun: 0,
    duplicates: 0,
    restarts: 0,
  };
}

export function initialSloState(): SloState {
  return {
    v: 1,
    order: emptyRecon(),
    position: emptyRecon(),
    dataQuality: {
      cycles: 0,
      lastCycle: null,
      lastTs: null,
      lastErrors: null,
      lastStaleWarnings: null,
      maxErrors: 0,
      maxStaleWarnings: 0,
      cyclesWithErrors: 0,
      cyclesWithStaleWarnings: 0,
      duplicates: 0,
      restarts: 0,
    },
    ops: {
      snapshots: 0,
      lastCycle: null,
      lastTs: null,
      base: { operations: 0, operationalErrors: 0, reconciliationCycles: 0, reconciliationPasses: 0 },
      latest: null,
      resets: 0,
      breaches: 0,
      lastBreach: null,
    },
    incidents: { opened: 0, critical: 0, criticalAcked: 0, resolved: 0, maxCriticalAckSeconds: null, unackedCritical: {}, open: {} },
  };
}

/** Structural copy (state is plain JSON); folds never mutate their input. */
function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** 'dup' for a re-emitted cycle, 'reset' for a counter that went back, 'new' otherwise. */
function cycleKind(last: number | null, cycle: number): 'new' | 'dup' | 'reset' {
  if (last === null || cycle > last) return 'new';
  return cycle === last ? 'dup' : 'reset';
}

function foldRecon(prev: ReconCounters, events: Iterable<ReconFoldEvent>): ReconCounters {
  const c = { ...prev };
  for (const e of events) {
    const kind = cycleKind(c.lastCycle, e.cycle);
    if (kind === 'dup') {
      c.duplicates++;
      continue;
    }
    if (kind === 'reset') c.restarts++;
    c.cycles++;
    c.lastCycle = e.cycle;
    c.lastStatus = e.status;
    c.lastTs = e.ts ?? c.lastTs;
    if (e.status === 'ok') {
      c.passes++;
      c.currentMismatchRun = 0;
      c.currentCleanRun++;
    } else {
      c.currentCleanRun = 0;
      c.currentMismatchRun++;
      if (c.currentMismatchRun > c.maxMismatchRun) c.maxMismatchRun = c.currentMismatchRun;
    }
  }
  return c;
}

/** Folds `order_reconciliation_events.jsonl` records. */
export function foldOrderRecon(state: SloState, events: Iterable<ReconFoldEvent>): SloState {
  return { ...state, order: foldRecon(state.order, events) };
}

/** Folds `position_reconciliation_events.jsonl` records. */
export function foldPositionRecon(state: SloState, events: Iterable<ReconFoldEvent>): SloState {
  return { ...state, position: foldRecon(state.position, events) };
}

/** Folds `data_quality_events.jsonl` records (one per quality cycle). */
export function foldDataQuality(state: SloState, events: Iterable<DataQualityFoldEvent>): SloState {
  const d = { ...state.dataQuality };
  for (const e of events) {
    const kind = cycleKind(d.lastCycle, e.cycle);
    if (kind === 'dup') {
      d.duplicates++;
      continue;
    }
    if (kind === 'reset') d.restarts++;
    d.cycles++;
    d.lastCycle = e.cycle;
    d.lastTs = e.ts ?? d.lastTs;
    d.lastErrors = e.errors;
    d.lastStaleWarnings = e.stale_warnings;
    if (e.errors > d.maxErrors) d.maxErrors = e.errors;
    if (e.stale_warnings > d.maxStaleWarnings) d.maxStaleWarnings = e.stale_warnings;
    if (e.errors > 0) d.cyclesWithErrors++;
    if (e.stale_warnings > 0) d.cyclesWithStaleWarnings++;
  }
  return { ...state, dataQuality: d };
}

/** Folds `ops_slo_events.jsonl` records: `slo_snapshot` counters and `slo_breach` events. */
export function foldOpsSlo(state: SloState, events: Iterable<OpsSloFoldEvent>): SloState {
  const o = clone(state.ops);
  for (const e of events) {
    if (e.event_type === 'slo_breach') {
      o.breaches++;
      o.lastBreach = { slo: e.slo, value: e.value, threshold: e.threshold, severity: e.severity, ts: e.ts ?? null };
      continue;
    }
    const kind = cycleKind(o.lastCycle, e.cycle);
    if (kind === 'dup') continue;
    const next = {
      operations: e.operations,
      operationalErrors: e.operational_errors,
      reconciliationCycles: e.reconciliation_cycles,
      reconciliationPasses: e.reconciliation_passes,
      consecutiveMismatchRuns: e.consecutive_mismatch_runs ?? null,
    };
    // Counters that went backwards: the monitor restarted from zero; keep what it had counted.
    if (o.latest && (next.operations < o.latest.operations || next.reconciliationCycles < o.latest.reconciliationCycles)) {
      o.resets++;
      o.base.operations += o.latest.operations;
      o.base.operationalErrors += o.latest.operationalErrors;
      o.base.reconciliationCycles += o.latest.reconciliationCycles;
      o.base.reconciliationPasses += o.latest.reconciliationPasses;
    }
    o.snapshots++;
    o.lastCycle = e.cycle;
    o.lastTs = e.ts ?? o.lastTs;
    o.latest = next;
  }
  return { ...state, ops: o };
}

/** Folds `incident_events.jsonl` records (ack SLA evidence, open incidents). */
export function foldIncidents(state: SloState, events: Iterable<IncidentFoldEvent>): SloState {
  const s = clone(state.incidents);
  for (const e of events) {
    if (e.event_type === 'incident_open') {
      if (e.incident_id in s.open) continue; // duplicate open
      s.opened++;
      s.open[e.incident_id] = e.ts;
      if ((e.severity ?? 'critical') === 'critical') {
        s.critical++;
        s.unackedCritical[e.incident_id] = e.ts;
      }
    } else if (e.event_type === 'incident_ack') {
      const openedAt = s.unackedCritical[e.incident_id];
      // Ack of a warning incident, a duplicate ack, or one whose open we never saw.
      if (openedAt === undefined) continue;
      s.criticalAcked++;
      delete s.unackedCritical[e.incident_id];
      const latency = e.ack_latency_seconds ?? secondsBetween(openedAt, e.ts);
      if (latency !== null && (s.maxCriticalAckSeconds === null || latency > s.maxCriticalAckSeconds)) s.maxCriticalAckSeconds = latency;
    } else {
      if (!(e.incident_id in s.open)) continue;
      s.resolved++;
      delete s.open[e.incident_id];
    }
  }
  return { ...state, incidents: s };
}
