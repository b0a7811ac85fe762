/**
 * The runbook's "First 5 Minutes": the triage report built from the evidence an activity gathers
 * (kill switch from gateway stats, the run's latest artifacts, the incident log, broker health),
 * classified by `classification.ts`. Pure: the same evidence always gives the same report.
 */
import {
  type DataQualityEvent,
  type OrderReconciliationEvent,
  type PositionReconciliationEvent,
  type SloBreachEvent,
  type SloSnapshotEvent,
} from './artifacts';
import { classifyIncident, classOfSlo, type Classification } from './classification';
import { type IncidentSummary } from './incident-events';

export interface TriageEvidence {
  runId: string;
  target: string;
  incidentId?: string;
  /** When the evidence was gathered (activity clock). */
  gatheredAt: string;
  killSwitch: { ok: true; haltReason: string | null; tradingHaltedUntil: string | null; entriesHalted: boolean } | { ok: false; error: string };
  lastSloBreach: SloBreachEvent | null;
  /** The run's latest breaches (oldest first) and this incident's own: weighed by age and recovery. */
  recentBreaches?: SloBreachEvent[];
  ownBreach?: SloBreachEvent | null;
  /** The latest `slo_snapshot`: says whether a breach has recovered since. */
  latestSnapshot?: SloSnapshotEvent | null;
  /** When the incident opened (default: gatheredAt); the evidence window ends there. */
  openedAt?: string;
  /** Breaches older than this before the incident opened do not decide the class. */
  evidenceWindowSeconds?: number;
  incidents: IncidentSummary[];
  orderReconciliation: OrderReconciliationEvent[];
  positionReconciliation: PositionReconciliationEvent[];
  dataQualityLatest: { ok: true; value: DataQualityEvent } | { ok: false; reason: string };
  broker: { ok: true; apiOk: boolean; websocketOk: boolean; detail?: string } | { ok: false; error: string };
  auditEvents: Array<{ event_type: string; ts?: string; detail?: string }>;
  missingFiles: string[];
  corruptLines: number;
  /** `incident_class` the target wrote on `incident_open`. */
  hint?: string;
}

export interface TriageReport {
  kind: 'triage_report';
  version: 1;
  runId: string;
  target: string;
  incidentId: string | null;
  gatheredAt: string;
  killSwitch: TriageEvidence['killSwitch'];
  lastSloBreach: SloBreachEvent | null;
  /** Breaches weighed for the class: the current ones decide, the ignored ones say why not. */
  breaches: { windowSeconds: number; since: string; current: SloBreachEvent[]; ignored: Array<{ slo: string; ts: string; why: string }> };
  incident: (IncidentSummary & { acknowledged: boolean }) | null;
  openIncidents: string[];
  reconciliation: {
    latestOrder: OrderReconciliationEvent | null;
    latestPosition: PositionReconciliationEvent | null;
    mismatchedOrderIds: string[];
    brokerStatus: Record<string, string>;
  };
  dataQualityLatest: TriageEvidence['dataQualityLatest'];
  broker: TriageEvidence['broker'];
  classification: Classification;
  missingFiles: string[];
  corruptLines: number;
  /** Runbook step 4 and what the incident workflow does next. */
  nextSteps: string[];
}

/** Default evidence window: breaches up to 15 minutes before the incident opened can decide. */
export const DEFAULT_EVIDENCE_WINDOW_SECONDS = 900;

export interface WeighedBreaches {
  current: SloBreachEvent[];
  ignored: Array<{ slo: string; ts: string; why: string }>;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Why `b` is over (a later snapshot or the live probe shows the SLO passing), or null when it may still hold. */
export function recoveredSince(
  b: SloBreachEvent,
  now: {
    snapshot?: SloSnapshotEvent | null;
    dataQualityLatest?: DataQualityEvent | null;
    brokerHealthy?: boolean | null;
    latestOrder?: Pick<OrderReconciliationEvent, 'ts' | 'cycle' | 'status'> | null;
    latestPosition?: Pick<PositionReconciliationEvent, 'ts' | 'cycle' | 'status'> | null;
  },
): string | null {
  const after = (ts: string | undefined) => ts !== undefined && Date.parse(ts) > Date.parse(b.ts);
  const snap = now.snapshot && after(now.snapshot.ts) ? now.snapshot : null;
  const dq = now.dataQualityLatest && after(now.dataQualityLatest.ts) ? now.dataQualityLatest : null;
  const cls = classOfSlo(b.slo, typeof b.incident_class === 'string' ? b.incident_class : undefined);
  if (/mismatch/i.test(b.slo) && snap && snap.consecutive_mismatch_runs < b.threshold)
    return `consecutive mismatch runs back to ${snap.consecutive_mismatch_runs} at ${snap.ts}`;
  if (/pass_rate/i.test(b.slo) && snap && (num(snap.reconciliation_pass_rate) ?? -1) >= b.threshold)
    return `reconciliation pass rate back to ${String(snap.reconciliation_pass_rate)} % at ${snap.ts}`;
  if (/operational_error_rate/i.test(b.slo) && snap && (num(snap.operational_error_rate) ?? Infinity) <= b.threshold)
    return `operational error rate back to ${String(snap.operational_error_rate)} % at ${snap.ts}`;
  // Reconciliation measures lag (a pass rate over a window): the latest cycles themselves say whether the drift is over.
  if (cls === 'reconciliation') {
    const o = now.latestOrder && after(now.latestOrder.ts) ? now.latestOrder : null;
    const p = now.latestPosition && after(now.latestPosition.ts) ? now.latestPosition : null;
    if (o?.status === 'ok' && (!now.latestPosition || p?.status === 'ok')) return `latest reconciliation cycle ${o.cycle} at ${o.ts} is clean`;
    return null;
  }
  if (/stale/i.test(b.slo)) {
    if (dq && dq.stale_warnings === 0) return `quality cycle ${dq.cycle} at ${dq.ts} has no stale warning`;
    if (snap && num(snap.data_stale_warnings) === 0) return `no stale warning at ${snap.ts}`;
    return null;
  }
  if (cls === 'data_quality') {
    if (dq && dq.errors === 0 && dq.stale_warnings === 0) return `quality cycle ${dq.cycle} at ${dq.ts} is clean`;
    if (snap && num(snap.data_quality_errors) === 0) return `no data quality error at ${snap.ts}`;
    return null;
  }
  if (cls === 'broker_connectivity' && !/operational_error_rate/i.test(b.slo) && now.brokerHealthy === true) return 'broker API and websocket healthy now';
  return null;
}

/**
 * Which breaches may decide the class: inside the evidence window (up to `windowSeconds` before the
 * incident opened, not after the evidence was gathered) and not recovered since. The rest are kept
 * with the reason, for the report.
 */
export function weighBreaches(
  breaches: readonly SloBreachEvent[],
  o: { reference: string; gatheredAt: string; windowSeconds: number } & Parameters<typeof recoveredSince>[1],
): WeighedBreaches {
  const ref = Date.parse(o.reference);
  const since = ref - o.windowSeconds * 1000;
  const seen = new Set<string>();
  const out: WeighedBreaches = { current: [], ignored: [] };
  for (const b of breaches) {
    const key = `${b.ts}|${b.slo}|${b.incident_id ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const t = Date.parse(b.ts);
    if (t < since) {
      out.ignored.push({
        slo: b.slo,
        ts: b.ts,
        why: `older than the evidence window (${Math.round((ref - t) / 1000)} s before the incident; window ${o.windowSeconds} s)`,
      });
      continue;
    }
    const over = recoveredSince(b, o);
    if (over) {
      out.ignored.push({ slo: b.slo, ts: b.ts, why: `recovered since: ${over}` });
      continue;
    }
    out.current.push(b);
  }
  return out;
}

export function buildTriageReport(e: TriageEvidence): TriageReport {
  const lastOrder = e.orderReconciliation.at(-1) ?? null;
  const lastPos = e.positionReconciliation.at(-1) ?? null;
  const windowSeconds = e.evidenceWindowSeconds ?? DEFAULT_EVIDENCE_WINDOW_SECONDS;
  const reference = e.openedAt && Date.parse(e.openedAt) <= Date.parse(e.gatheredAt) ? e.openedAt : e.gatheredAt;
  const dqLatest = e.dataQualityLatest.ok ? e.dataQualityLatest.value : null;
  const brokerHealthy = e.broker.ok ? e.broker.apiOk && e.broker.websocketOk : null;
  const pool = [...(e.recentBreaches ?? (e.lastSloBreach ? [e.lastSloBreach] : [])), ...(e.ownBreach ? [e.ownBreach] : [])];
  const weighed = weighBreaches(pool, {
    reference,
    gatheredAt: e.gatheredAt,
    windowSeconds,
    snapshot: e.latestSnapshot ?? null,
    dataQualityLatest: dqLatest,
    brokerHealthy,
    latestOrder: lastOrder,
    latestPosition: lastPos,
  });
  const own = e.incidentId ? weighed.current.find((b) => b.incident_id === e.incidentId) : undefined;
  const since = Date.parse(reference) - windowSeconds * 1000;
  const audit = e.auditEvents.filter((a) => !a.ts || Date.parse(a.ts) >= since);
  const oldAudit = e.auditEvents.length - audit.length;
  const classification = classifyIncident({
    dataQualityLatest: dqLatest,
    orderReconciliation: e.orderReconciliation,
    positionReconciliation: e.positionReconciliation,
    broker: e.broker.ok
      ? { apiOk: e.broker.apiOk, websocketOk: e.broker.websocketOk, ...(e.broker.detail ? { detail: e.broker.detail } : {}) }
      : { apiOk: false, detail: e.broker.error },
    sloBreaches: weighed.current.map((b) => b.slo),
    auditEvents: audit,
    ...(e.hint ? { hint: e.hint } : {}),
    ...(own ? { ownBreach: { slo: own.slo, ...(typeof own.incident_class === 'string' ? { incidentClass: own.incident_class } : {}) } } : {}),
    ignoredEvidence: [
      ...weighed.ignored.map((x) => `SLO breach ${x.slo} at ${x.ts}: ${x.why}`),
      ...(oldAudit ? [`${oldAudit} audit event(s) older than the evidence window`] : []),
    ],
  });
  const summary = e.incidentId ? e.incidents.find((i) => i.incidentId === e.incidentId) : undefined;
  const halted = e.killSwitch.ok && e.killSwitch.entriesHalted;
  return {
    kind: 'triage_report',
    version: 1,
    runId: e.runId,
    target: e.target,
    incidentId: e.incidentId ?? null,
    gatheredAt: e.gatheredAt,
    killSwitch: e.killSwitch,
    lastSloBreach: e.lastSloBreach,
    breaches: { windowSeconds, since: new Date(since).toISOString(), current: weighed.current, ignored: weighed.ignored },
    incident: summary ? { ...summary, acknowledged: summary.ackedAt !== undefined } : null,
    openIncidents: e.incidents.filter((i) => i.openedAt && !i.resolvedAt).map((i) => i.incidentId),
    reconciliation: {
      latestOrder: lastOrder,
      latestPosition: lastPos,
      mismatchedOrderIds: lastOrder?.mismatched_order_ids ?? [],
      brokerStatus: lastOrder?.broker_status ?? {},
    },
    dataQualityLatest: e.dataQualityLatest,
    broker: e.broker,
    classification,
    missingFiles: e.missingFiles,
    corruptLines: e.corruptLines,
    nextSteps: [
      halted
        ? 'entries are halted: keep them halted until the recovery criteria pass'
        : 'halt entries (kill switch) and keep them halted until the recovery criteria pass',
      `recover as ${classification.class}`,
    ],
  };
}

/** A few lines for a terminal. */
export function describeTriage(r: TriageReport): string {
  const k = r.killSwitch.ok
    ? `kill switch: ${r.killSwitch.entriesHalted ? `HALTED (${r.killSwitch.haltReason}${r.killSwitch.tradingHaltedUntil ? ` until ${r.killSwitch.tradingHaltedUntil}` : ''})` : 'entries running'}`
    : `kill switch: unknown (${r.killSwitch.error})`;
  const dq = r.dataQualityLatest.ok
    ? `cycle ${r.dataQualityLatest.value.cycle}: ${r.dataQualityLatest.value.errors} error(s), ${r.dataQualityLatest.value.stale_warnings} stale warning(s)`
    : r.dataQualityLatest.reason;
  return [
    `triage of run ${r.runId} (target ${r.target})${r.incidentId ? `, incident ${r.incidentId}` : ''} at ${r.gatheredAt}`,
    k,
    `last SLO breach: ${r.lastSloBreach ? `${r.lastSloBreach.slo}=${r.lastSloBreach.value} (threshold ${r.lastSloBreach.threshold}, ${r.lastSloBreach.severity}) at ${r.lastSloBreach.ts}` : 'none'}`,
    `incident: ${r.incident ? `${r.incident.incidentId} ${r.incident.acknowledged ? `acknowledged by ${r.incident.ackBy}` : 'NOT acknowledged'}` : 'none'}; open: ${r.openIncidents.join(', ') || 'none'}`,
    `reconciliation: order ${r.reconciliation.latestOrder?.status ?? 'n/a'}, position ${r.reconciliation.latestPosition?.status ?? 'n/a'}${r.reconciliation.mismatchedOrderIds.length ? `; mismatched ${r.reconciliation.mismatchedOrderIds.slice(0, 5).join(', ')}` : ''}`,
    `data quality: ${dq}`,
    `broker: ${r.broker.ok ? `api ${r.broker.apiOk ? 'ok' : 'DOWN'}, websocket ${r.broker.websocketOk ? 'ok' : 'DOWN'}` : r.broker.error}`,
    `breaches weighed (window ${r.breaches?.windowSeconds ?? '?'} s): ${r.breaches?.current.length ?? 0} current, ${r.breaches?.ignored.length ?? 0} not deciding`,
    `class: ${r.classification.class} (${r.classification.basis})`,
    ...r.classification.reasons.map((x) => `  - ${x}`),
    ...r.nextSteps.map((x) => `next: ${x}`),
  ].join('\n');
}
