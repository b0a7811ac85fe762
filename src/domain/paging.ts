/** The page a webhook receives, in the two formats drill-runner speaks. Pure: no I/O, no secrets. */
import { z } from 'zod';
import { incidentIdSchema, runIdSchema } from './ids';
import { severitySchema, type Severity } from './severity';

export const pageRequestSchema = z.object({
  runId: runIdSchema,
  incidentId: incidentIdSchema,
  severity: severitySchema,
  level: z.number().int().min(1),
  round: z.number().int().min(0),
  levelName: z.string().optional(),
  openedAt: z.string(),
  summary: z.string().optional(),
  dedupKey: z.string().min(1),
});
export type PageRequest = z.infer<typeof pageRequestSchema>;

export type PageOutcome =
  | { outcome: 'delivered'; dedupKey: string; status: number }
  | { outcome: 'disabled' | 'below-min-severity'; dedupKey: string };

export interface PlainPage {
  source: 'drill-runner';
  type: 'incident_escalation';
  dedup_key: string;
  run_id: string;
  incident_id: string;
  severity: Severity;
  level: number;
  round: number;
  level_name?: string;
  opened_at: string;
  summary: string;
}

export function pageSummary(p: PageRequest): string {
  return p.summary ?? `Incident ${p.incidentId} (run ${p.runId}, ${p.severity}) not acknowledged: escalation level ${p.level}${p.round ? `, repeat ${p.round}` : ''}`;
}

export function plainPayload(p: PageRequest): PlainPage {
  return {
    source: 'drill-runner',
    type: 'incident_escalation',
    dedup_key: p.dedupKey,
    run_id: p.runId,
    incident_id: p.incidentId,
    severity: p.severity,
    level: p.level,
    round: p.round,
    ...(p.levelName ? { level_name: p.levelName } : {}),
    opened_at: p.openedAt,
    summary: pageSummary(p),
  };
}

/** PagerDuty Events API v2 `trigger` event. */
export function pagerDutyPayload(p: PageRequest, routingKey: string) {
  return {
    routing_key: routingKey,
    event_action: 'trigger' as const,
    dedup_key: p.dedupKey,
    payload: {
      summary: pageSummary(p),
      source: `drill-runner/${p.runId}`,
      severity: p.severity,
      timestamp: p.openedAt,
      component: 'trading',
      group: p.runId,
      class: 'incident_ack_sla',
      custom_details: { run_id: p.runId, incident_id: p.incidentId, level: p.level, round: p.round, level_name: p.levelName },
    },
  };
}

/** HTTP statuses worth retrying; any other non-2xx means the receiver rejects this page for good. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}
