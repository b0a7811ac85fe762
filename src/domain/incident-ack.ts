/**
 * The incident acknowledgment SLA (runbook: "Critical incident acknowledgment SLA: <= 15 minutes")
 * and its escalation policy, as pure data and functions shared by the workflow and its tests.
 */
import { z } from 'zod';
import { incidentIdSchema, runIdSchema } from './ids';
import { severitySchema, type Severity } from './severity';
import { DEFAULT_THRESHOLDS } from './slo';

/** The runbook's ack SLA, from the one table of thresholds. */
export const DEFAULT_ACK_SLA_SECONDS = DEFAULT_THRESHOLDS.ackSlaSeconds;
const WEEK_SECONDS = 7 * 24 * 3600;

export const escalationLevelSchema = z.object({
  /** Who or what this level pages (shown in the page and the UI), e.g. `primary`, `secondary`. */
  name: z.string().min(1).max(100).optional(),
  /** Seconds after the previous level fired (level 1: after the incident opened). */
  afterSeconds: z.number({ error: 'afterSeconds must be a number of seconds' }).positive().max(WEEK_SECONDS),
});

/** Like a PagerDuty escalation policy: levels in order, then the whole list again `repeats` times. */
export const escalationPolicySchema = z.object({
  levels: z.array(escalationLevelSchema).min(1, { error: 'an escalation policy needs at least one level' }).max(20),
  repeats: z.number().int().min(0).max(10).default(0),
});
export type EscalationPolicy = z.infer<typeof escalationPolicySchema>;

export const incidentAckInputSchema = z.object({
  runId: runIdSchema,
  incidentId: incidentIdSchema,
  severity: severitySchema,
  /** When the incident opened (ISO 8601). Defaults to the workflow's start. */
  openedAt: z.iso.datetime({ offset: true, error: 'openedAt must be an ISO 8601 date-time' }).optional(),
  ackSlaSeconds: z.number().int().positive().max(WEEK_SECONDS).default(DEFAULT_ACK_SLA_SECONDS),
  /** Default: one level that fires when the SLA passes. */
  escalation: escalationPolicySchema.optional(),
  /**
   * After the ack, stay open this long so a repeated ack (a second on-call, a rerun of the CLI) gets
   * the first one back through the update instead of an error from a closed workflow.
   */
  keepOpenAfterAckSeconds: z.number().int().min(0).max(86400).default(600),
  /** One line for the page and the UI. */
  summary: z.string().max(500).optional(),
});
export type IncidentAckInput = z.input<typeof incidentAckInputSchema>;
export type IncidentAckParams = z.output<typeof incidentAckInputSchema>;

export const acknowledgeSchema = z.object({
  ackBy: z.string({ error: 'ackBy is required' }).trim().min(1, { error: 'ackBy must not be empty' }).max(200),
  notes: z.string().max(2000).optional(),
});
export type AcknowledgeRequest = z.input<typeof acknowledgeSchema>;

export interface EscalationStep {
  /** 1-based level within the policy. */
  level: number;
  /** 0 for the first pass through the levels, 1.. for repeats. */
  round: number;
  name?: string;
  /** Seconds after the incident opened at which this step fires. */
  atSeconds: number;
}

export function defaultPolicy(ackSlaSeconds: number): EscalationPolicy {
  return { levels: [{ name: 'on-call', afterSeconds: ackSlaSeconds }], repeats: 0 };
}

/** Every escalation step in order, with its offset from the incident's opening. */
export function escalationSchedule(policy: EscalationPolicy): EscalationStep[] {
  const steps: EscalationStep[] = [];
  let at = 0;
  for (let round = 0; round <= policy.repeats; round++) {
    policy.levels.forEach((l, i) => {
      at += l.afterSeconds;
      steps.push({ level: i + 1, round, name: l.name, atSeconds: at });
    });
  }
  return steps;
}

export interface AckRecord {
  ackBy: string;
  notes?: string;
  ackedAt: string;
  latencySeconds: number;
  slaMet: boolean;
}

export function makeAckRecord(req: z.output<typeof acknowledgeSchema>, openedAtMs: number, ackedAtMs: number, ackSlaSeconds: number): AckRecord {
  const latencySeconds = Math.max(0, (ackedAtMs - openedAtMs) / 1000);
  return {
    ackBy: req.ackBy,
    ...(req.notes !== undefined ? { notes: req.notes } : {}),
    ackedAt: new Date(ackedAtMs).toISOString(),
    latencySeconds,
    slaMet: latencySeconds <= ackSlaSeconds,
  };
}

export type SlaVerdict = 'pending' | 'met' | 'breached';

/** The SLA as of `nowMs`: met once acked in time; breached once the deadline passed unacked. */
export function slaVerdict(openedAtMs: number, nowMs: number, ackSlaSeconds: number, ack?: AckRecord): SlaVerdict {
  if (ack) return ack.slaMet ? 'met' : 'breached';
  return nowMs - openedAtMs > ackSlaSeconds * 1000 ? 'breached' : 'pending';
}

export interface PageRecord {
  level: number;
  round: number;
  name?: string;
  at: string;
  outcome: 'delivered' | 'disabled' | 'below-min-severity' | 'failed';
  dedupKey: string;
  detail?: string;
}

/** Key that makes one page per incident, level and round, whatever the retries. */
export function pageDedupKey(runId: string, incidentId: string, level: number, round: number): string {
  return `drill-runner/${runId}/${incidentId}/L${level}/R${round}`;
}

export type AckPhase = 'open' | 'escalated' | 'acknowledged';

export interface IncidentAckStatus {
  runId: string;
  incidentId: string;
  severity: Severity;
  state: AckPhase;
  /** Highest level paged so far (0 when none). */
  escalationLevel: number;
  escalationRound: number;
  openedAt: string;
  slaDeadline: string;
  nextEscalationAt?: string;
  sla: SlaVerdict;
  pages: PageRecord[];
  ack?: AckRecord;
}

export interface IncidentAckResult {
  runId: string;
  incidentId: string;
  severity: Severity;
  slaMet: boolean;
  ack: AckRecord;
  pages: PageRecord[];
}
