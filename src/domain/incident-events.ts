/**
 * Lines of a run's `incident_events.jsonl` (runbook: "Identify active incident ID from
 * incident_events.jsonl (event_type=incident_open)"). Extra fields are tolerated.
 */
import { z } from 'zod';
import { incidentIdSchema } from './ids';
import { severitySchema } from './severity';

export const INCIDENT_EVENTS_FILE = 'incident_events.jsonl';

const base = {
  ts: z.iso.datetime({ offset: true }),
  incident_id: incidentIdSchema,
};

export const incidentOpenEventSchema = z.looseObject({
  ...base,
  event_type: z.literal('incident_open'),
  severity: severitySchema.default('critical'),
  incident_class: z.string().optional(),
  summary: z.string().optional(),
});

export const incidentAckEventSchema = z.looseObject({
  ...base,
  event_type: z.literal('incident_ack'),
  ack_by: z.string().min(1),
  notes: z.string().optional(),
  ack_latency_seconds: z.number().nonnegative().optional(),
  sla_met: z.boolean().optional(),
  source: z.string().optional(),
  /** Written by an ack timer's `acknowledge`: the timer's first run id (its own file watch skips the line). */
  timer_run_id: z.string().optional(),
});

export const incidentResolvedEventSchema = z.looseObject({
  ...base,
  event_type: z.literal('incident_resolved'),
  resolution: z.string().optional(),
});

export const incidentEventSchema = z.discriminatedUnion('event_type', [incidentOpenEventSchema, incidentAckEventSchema, incidentResolvedEventSchema]);
export type IncidentEvent = z.infer<typeof incidentEventSchema>;
export type IncidentAckEvent = z.infer<typeof incidentAckEventSchema>;

export interface IncidentSummary {
  incidentId: string;
  severity?: 'critical' | 'warning';
  openedAt?: string;
  ackedAt?: string;
  ackBy?: string;
  resolvedAt?: string;
  /** Closed by a DR drill's rollback as the drill's own incident (`drill_id` on its first `incident_resolved`). */
  resolvedByDrill?: string;
}

/** Folds events into one summary per incident id, in first-seen order. */
export function summarizeIncidents(events: readonly IncidentEvent[]): IncidentSummary[] {
  const byId = new Map<string, IncidentSummary>();
  for (const e of events) {
    const s = byId.get(e.incident_id) ?? { incidentId: e.incident_id };
    if (e.event_type === 'incident_open') {
      s.openedAt ??= e.ts;
      s.severity ??= e.severity;
    } else if (e.event_type === 'incident_ack') {
      s.ackedAt ??= e.ts;
      s.ackBy ??= e.ack_by;
    } else if (s.resolvedAt === undefined) {
      s.resolvedAt = e.ts;
      if (typeof e.drill_id === 'string' && e.drill_id) s.resolvedByDrill = e.drill_id;
    }
    byId.set(e.incident_id, s);
  }
  return [...byId.values()];
}
