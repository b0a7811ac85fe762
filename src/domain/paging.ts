/**
 * What a paging receiver gets, in the formats drill-runner speaks (`json`, `pagerduty` Events API v2,
 * `slack` incoming webhook). Pure: no I/O, no secrets (routing keys are passed in by the adapter).
 *
 * An incident has one lifecycle under one dedup key: `trigger` (first escalation; later levels are
 * further triggers under the same key, carrying their level), `acknowledge`, `resolve`.
 */
import { z } from 'zod';
import { incidentIdSchema, runIdSchema } from './ids';
import { severitySchema, type Severity } from './severity';

export { boundDedupKey, incidentDedupKey, MAX_DEDUP_KEY } from './dedup-key';

/** Why a page goes out: PagerDuty's `class`, the JSON webhook's `class`. */
export const PAGE_KINDS = ['incident_ack_sla', 'incident_resolve_sla', 'dr_drill_failed', 'recovery_max_wait', 'dr_drill_signoff_overdue'] as const;
export const pageKindSchema = z.enum(PAGE_KINDS, { error: `expected one of ${PAGE_KINDS.join(', ')}` });
export type PageKind = z.infer<typeof pageKindSchema>;

export const PAGE_ACTIONS = ['trigger', 'acknowledge', 'resolve'] as const;
export type PageAction = (typeof PAGE_ACTIONS)[number];

export const PAGE_FORMATS = ['json', 'pagerduty', 'slack'] as const;
export type PageFormat = (typeof PAGE_FORMATS)[number];

/** A single escalation page (drill failures, recovery max wait, and the ack timer before its lifecycle). */
export const pageRequestSchema = z.object({
  runId: runIdSchema,
  incidentId: incidentIdSchema,
  severity: severitySchema,
  level: z.number().int().min(1),
  round: z.number().int().min(0),
  levelName: z.string().max(100).optional(),
  openedAt: z.string(),
  summary: z.string().optional(),
  dedupKey: z.string().min(1),
  /** Why it pages; inferred from `levelName` when absent ({@link inferPageKind}). */
  kind: pageKindSchema.optional(),
});
export type PageRequest = z.infer<typeof pageRequestSchema>;

export type PageOutcome = { outcome: 'delivered'; dedupKey: string; status: number } | { outcome: 'disabled' | 'below-min-severity'; dedupKey: string };

/** One lifecycle event of one incident, for every route it goes to. */
export interface PageEvent {
  action: PageAction;
  kind: PageKind;
  runId: string;
  incidentId: string;
  severity: Severity;
  level: number;
  round: number;
  levelName?: string;
  openedAt: string;
  summary?: string;
  dedupKey: string;
  /** Who acknowledged (acknowledge events). */
  ackBy?: string;
  /** When the event happened (the ack's or the resolution's time; the escalation's for triggers). */
  at: string;
}

/** The kind of a legacy single page, from the level name its callers give. */
export function inferPageKind(p: Pick<PageRequest, 'kind' | 'levelName'>): PageKind {
  if (p.kind) return p.kind;
  if (p.levelName === 'dr-drill') return 'dr_drill_failed';
  if (p.levelName === 'recovery-max-wait') return 'recovery_max_wait';
  return 'incident_ack_sla';
}

/** Key for a receiver's `Idempotency-Key` header: one per event, the same for every retry of it. */
export function eventIdempotencyKey(e: Pick<PageEvent, 'action' | 'dedupKey' | 'level' | 'round'>): string {
  return e.action === 'trigger' ? `${e.dedupKey}#trigger-L${e.level}-R${e.round}` : `${e.dedupKey}#${e.action}`;
}

const KIND_TEXT: Record<PageKind, string> = {
  incident_ack_sla: 'not acknowledged',
  incident_resolve_sla: 'acknowledged but not resolved in time',
  dr_drill_failed: 'DR drill did not pass',
  recovery_max_wait: 'recovery did not meet its criteria in time',
  dr_drill_signoff_overdue: 'DR drill not signed off in time: backup approver paged',
};

export function pageSummary(e: PageEvent): string {
  if (e.action === 'acknowledge') return `Incident ${e.incidentId} (run ${e.runId}) acknowledged${e.ackBy ? ` by ${e.ackBy}` : ''}`;
  if (e.action === 'resolve') return `Incident ${e.incidentId} (run ${e.runId}) resolved`;
  if (e.summary) return e.summary;
  const round = e.round ? `, repeat ${e.round}` : '';
  return `Incident ${e.incidentId} (run ${e.runId}, ${e.severity}) ${KIND_TEXT[e.kind]}: escalation level ${e.level}${round}`;
}

export interface PlainPage {
  source: 'drill-runner';
  type: 'incident_escalation' | 'incident_acknowledged' | 'incident_resolved';
  event_action: PageAction;
  class: PageKind;
  dedup_key: string;
  run_id: string;
  incident_id: string;
  severity: Severity;
  level: number;
  round: number;
  level_name?: string;
  opened_at: string;
  at: string;
  ack_by?: string;
  summary: string;
}

const PLAIN_TYPE: Record<PageAction, PlainPage['type']> = {
  trigger: 'incident_escalation',
  acknowledge: 'incident_acknowledged',
  resolve: 'incident_resolved',
};

/** The generic JSON webhook body: every lifecycle event, same dedup key. */
export function plainPayload(e: PageEvent): PlainPage {
  return {
    source: 'drill-runner',
    type: PLAIN_TYPE[e.action],
    event_action: e.action,
    class: e.kind,
    dedup_key: e.dedupKey,
    run_id: e.runId,
    incident_id: e.incidentId,
    severity: e.severity,
    level: e.level,
    round: e.round,
    ...(e.levelName ? { level_name: e.levelName } : {}),
    opened_at: e.openedAt,
    at: e.at,
    ...(e.ackBy ? { ack_by: e.ackBy } : {}),
    summary: pageSummary(e),
  };
}

/** PagerDuty Events API v2: a full `trigger`, or a bare `acknowledge` / `resolve` for the same key. */
export function pagerDutyPayload(e: PageEvent, routingKey: string) {
  if (e.action !== 'trigger') return { routing_key: routingKey, event_action: e.action, dedup_key: e.dedupKey };
  return {
    routing_key: routingKey,
    event_action: 'trigger' as const,
    dedup_key: e.dedupKey,
    payload: {
      summary: pageSummary(e).slice(0, 1024),
      source: `drill-runner/${e.runId}`,
      severity: e.severity,
      timestamp: e.openedAt,
      component: 'trading',
      group: e.runId,
      class: e.kind,
      custom_details: {
        run_id: e.runId,
        incident_id: e.incidentId,
        level: e.level,
        round: e.round,
        ...(e.levelName ? { level_name: e.levelName } : {}),
        escalated_at: e.at,
      },
    },
  };
}

/** Slack mrkdwn needs `&`, `<`, `>` escaped (ids and names are shown verbatim). */
function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const SLACK_MARK: Record<PageAction, string> = { trigger: ':rotating_light:', acknowledge: ':eyes:', resolve: ':white_check_mark:' };

/** A Slack-compatible incoming-webhook body (`text` for notifications, one mrkdwn section). */
export function slackPayload(e: PageEvent) {
  const text = `${SLACK_MARK[e.action]} ${slackEscape(pageSummary(e))}`;
  const fields = [
    `*run* ${slackEscape(e.runId)}`,
    `*incident* ${slackEscape(e.incidentId)}`,
    `*severity* ${e.severity}`,
    ...(e.action === 'trigger' ? [`*level* ${e.level}${e.levelName ? ` (${slackEscape(e.levelName)})` : ''}`, `*class* ${e.kind}`] : []),
    `*key* \`${slackEscape(e.dedupKey)}\``,
  ];
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: fields.join('  ·  ') }] },
    ],
  };
}

/** The body for `format`; `routingKey` is used by `pagerduty` only. */
export function payloadFor(format: PageFormat, e: PageEvent, routingKey?: string): object {
  if (format === 'pagerduty') return pagerDutyPayload(e, routingKey ?? '');
  if (format === 'slack') return slackPayload(e);
  return plainPayload(e);
}

/** HTTP statuses worth retrying; any other non-2xx means the receiver rejects this page for good. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}
