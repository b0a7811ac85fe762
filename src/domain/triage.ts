/**
 * The runbook's "First 5 Minutes": the triage report built from the evidence an activity gathers
 * (kill switch from gateway stats, the run's latest artifacts, the incident log, broker health),
 * classified by `classification.ts`. Pure: the same evidence always gives the same report.
 */
import { type DataQualityEvent, type OrderReconciliationEvent, type PositionReconciliationEvent, type SloBreachEvent } from './artifacts';
import { classifyIncident, type Classification } from './classification';
import { type IncidentSummary } from './incident-events';

export interface TriageEvidence {
  runId: string;
  target: string;
  incidentId?: string;
  /** When the evidence was gathered (activity clock). */
  gatheredAt: string;
  killSwitch: { ok: true; haltReason: string | null; tradingHaltedUntil: string | null; entriesHalted: boolean } | { ok: false; error: string };
  lastSloBreach: SloBreachEvent | null;
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

export function buildTriageReport(e: TriageEvidence): TriageReport {
  const lastOrder = e.orderReconciliation.at(-1) ?? null;
  const lastPos = e.positionReconciliation.at(-1) ?? null;
  const breaches = e.lastSloBreach ? [e.lastSloBreach.slo] : [];
  const classification = classifyIncident({
    dataQualityLatest: e.dataQualityLatest.ok ? e.dataQualityLatest.value : null,
    orderReconciliation: e.orderReconciliation,
    positionReconciliation: e.positionReconciliation,
    broker: e.broker.ok ? { apiOk: e.broker.apiOk, websocketOk: e.broker.websocketOk, ...(e.broker.detail ? { detail: e.broker.detail } : {}) } : { apiOk: false, detail: e.broker.error },
    sloBreaches: breaches,
    auditEvents: e.auditEvents,
    ...(e.hint ? { hint: e.hint } : {}),
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
      halted ? 'entries are halted: keep them halted until the recovery criteria pass' : 'halt entries (kill switch) and keep them halted until the recovery criteria pass',
      `recover as ${classification.class}`,
    ],
  };
}

/** A few lines for a terminal. */
export function describeTriage(r: TriageReport): string {
  const k = r.killSwitch.ok
    ? `kill switch: ${r.killSwitch.entriesHalted ? `HALTED (${r.killSwitch.haltReason}${r.killSwitch.tradingHaltedUntil ? ` until ${r.killSwitch.tradingHaltedUntil}` : ''})` : 'entries running'}`
    : `kill switch: unknown (${r.killSwitch.error})`;
  const dq = r.dataQualityLatest.ok ? `cycle ${r.dataQualityLatest.value.cycle}: ${r.dataQualityLatest.value.errors} error(s), ${r.dataQualityLatest.value.stale_warnings} stale warning(s)` : r.dataQualityLatest.reason;
  return [
    `triage of run ${r.runId} (target ${r.target})${r.incidentId ? `, incident ${r.incidentId}` : ''} at ${r.gatheredAt}`,
    k,
    `last SLO breach: ${r.lastSloBreach ? `${r.lastSloBreach.slo}=${r.lastSloBreach.value} (threshold ${r.lastSloBreach.threshold}, ${r.lastSloBreach.severity}) at ${r.lastSloBreach.ts}` : 'none'}`,
    `incident: ${r.incident ? `${r.incident.incidentId} ${r.incident.acknowledged ? `acknowledged by ${r.incident.ackBy}` : 'NOT acknowledged'}` : 'none'}; open: ${r.openIncidents.join(', ') || 'none'}`,
    `reconciliation: order ${r.reconciliation.latestOrder?.status ?? 'n/a'}, position ${r.reconciliation.latestPosition?.status ?? 'n/a'}${r.reconciliation.mismatchedOrderIds.length ? `; mismatched ${r.reconciliation.mismatchedOrderIds.slice(0, 5).join(', ')}` : ''}`,
    `data quality: ${dq}`,
    `broker: ${r.broker.ok ? `api ${r.broker.apiOk ? 'ok' : 'DOWN'}, websocket ${r.broker.websocketOk ? 'ok' : 'DOWN'}` : r.broker.error}`,
    `class: ${r.classification.class} (${r.classification.basis})`,
    ...r.classification.reasons.map((x) => `  - ${x}`),
    ...r.nextSteps.map((x) => `next: ${x}`),
  ].join('\n');
}
