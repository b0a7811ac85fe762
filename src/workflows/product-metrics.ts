/**
 * Product metrics (issue 13): what the runbook's users watch — drills by result, RTO/RPO per target,
 * incidents opened and resolved, acks and their latency, escalations and pages by outcome — emitted
 * from workflow code through the SDK's workflow meter, so they reach the worker's Prometheus endpoint
 * (`DRILL_METRICS_ADDRESS`) beside the SDK's own. The SDK drops them while a history is replayed, so
 * each is counted once per event, whatever the worker restarts. One home for every name and label.
 */
import { metricMeter } from '@temporalio/workflow';

const meter = () => metricMeter;

export function drillFinished(o: { target: string; result: string; rtoSeconds: number | null; rpoSeconds: number | null }): void {
  const m = meter();
  m.createCounter('drill_runs', 'drills', 'Weekly DR drills finished, by target and result').add(1, { target: o.target, result: o.result });
  if (o.rtoSeconds !== null) {
    m.createGauge('drill_last_rto_seconds', 'float', 's', "RTO of the latest drill per target (from the target's evidence)").set(o.rtoSeconds, {
      target: o.target,
    });
    m.createHistogram('drill_rto_seconds', 'float', 's', 'RTO of each drill').record(o.rtoSeconds, { target: o.target });
  }
  if (o.rpoSeconds !== null) {
    m.createGauge('drill_last_rpo_seconds', 'float', 's', 'RPO of the latest drill per target').set(o.rpoSeconds, { target: o.target });
  }
}

export function incidentOpened(o: { severity: string; source: string }): void {
  meter()
    .createCounter('drill_incidents_opened', 'incidents', 'Incidents opened (open = opened − resolved)')
    .add(1, { severity: o.severity, source: o.source });
}

export function incidentResolved(o: { resolution: string; incidentClass: string }): void {
  meter()
    .createCounter('drill_incidents_resolved', 'incidents', 'Incidents resolved, by resolution and class')
    .add(1, { resolution: o.resolution, incident_class: o.incidentClass });
}

export function incidentAcked(o: { severity: string; source: string; latencySeconds: number; slaMet: boolean }): void {
  const m = meter();
  m.createCounter('drill_incident_acks', 'acks', 'Incident acknowledgments, by source and whether the ack SLA was met').add(1, {
    severity: o.severity,
    source: o.source,
    sla_met: String(o.slaMet),
  });
  m.createHistogram('drill_ack_latency_seconds', 'float', 's', 'Incident open → acknowledgment').record(Math.max(0, o.latencySeconds), {
    severity: o.severity,
  });
}

export function escalationFired(o: { kind: string; level: number }): void {
  meter()
    .createCounter('drill_escalations', 'escalations', 'Escalation steps fired (ack SLA or resolve SLA passed)')
    .add(1, { kind: o.kind, level: String(o.level) });
}

export function pageSettled(o: { kind: string; level: number; outcome: string }): void {
  meter()
    .createCounter('drill_pages', 'pages', 'Pages by outcome (delivered, suppressed, cancelled, failed, disabled)')
    .add(1, { kind: o.kind, level: String(o.level), outcome: o.outcome });
}
