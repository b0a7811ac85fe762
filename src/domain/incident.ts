/**
 * The incident workflow's contract: input, operator updates (`forceResume`, `reclassify`) and the
 * status it reports. Pure zod schemas and types.
 */
import { z } from 'zod';
import { ackSlaSecondsSchema, cycleSecondsSchema, evidenceWindowSecondsSchema, maxWaitSecondsSchema } from './incident-tuning';
import { incidentClassSchema, type Classification, type IncidentClass } from './classification';
import { incidentIdSchema, runIdSchema, targetNameSchema } from './ids';
import { type RecoveryResult, type TimelineEntry } from './recovery';
import { severitySchema } from './severity';
import { type TriageReport } from './triage';

export const incidentInputSchema = z.object({
  runId: runIdSchema,
  incidentId: incidentIdSchema,
  target: targetNameSchema,
  severity: severitySchema.default('critical'),
  openedAt: z.iso.datetime({ offset: true }).optional(),
  summary: z.string().max(500).optional(),
  /** `incident_class` the target wrote (any runbook spelling); used when no evidence decides. */
  hint: z.string().max(100).optional(),
  /** Who opened it: the target's incident log, the watcher's own evaluation, or an operator. */
  source: z.enum(['target', 'watcher', 'audit', 'operator']).default('operator'),
  cycleSeconds: cycleSecondsSchema.default(30),
  maxWaitSeconds: maxWaitSecondsSchema.default(1800),
  ackSlaSeconds: ackSlaSecondsSchema.optional(),
  /** Start the ack timer (`incidentAckWorkflow`) as a child. */
  ackTimer: z.boolean().default(true),
  /** v2: breaches older than this before the incident opened do not decide its class (triage). */
  evidenceWindowSeconds: evidenceWindowSecondsSchema.optional(),
});
export type IncidentInput = z.input<typeof incidentInputSchema>;
export type IncidentParams = z.output<typeof incidentInputSchema>;

const identity = z.string({ error: 'by is required' }).trim().min(1, { error: 'by must not be empty' }).max(200);
const reason = z.string({ error: 'reason is required' }).trim().min(3, { error: 'reason must say why (at least 3 characters)' }).max(1000);

/** Operator override: resume entries without the recovery criteria. Audited in the timeline, the result and incident_resolved. */
export const forceResumeSchema = z.object({ reason, by: identity });
export type ForceResumeRequest = z.input<typeof forceResumeSchema>;

export const reclassifySchema = z.object({ incidentClass: incidentClassSchema, reason, by: identity });
export type ReclassifyRequest = z.input<typeof reclassifySchema>;

/** An `incident_resolved` line for this incident that drill-runner did not write (sent by the watcher). */
export const externalResolutionSchema = z.object({
  ts: z.string().max(64),
  resolution: z.string().max(200).optional(),
  by: z.string().max(300).optional(),
});
export type ExternalResolution = z.infer<typeof externalResolutionSchema>;

export interface OperatorAction {
  action: 'forceResume' | 'reclassify';
  at: string;
  by: string;
  reason: string;
  incidentClass?: IncidentClass;
}

/** v1: triage → halting → …; v2: halting → triage → … (halt first). */
export type IncidentPhase = 'triage' | 'halting' | 'recovering' | 'escalated' | 'resuming' | 'resolved';

/** What the halt registry answered for this incident's hold and release (v2). */
export interface IncidentHoldStatus {
  holder: string;
  /** hold requested → held (or not reachable) → released. */
  state: 'requested' | 'held' | 'released';
  entriesHalted: boolean | null;
  detail: string;
  /** Other holders at the last answer. */
  otherHolders: string[];
}

export interface IncidentStatus {
  runId: string;
  /** v2: this incident's hold at the target's halt registry. */
  hold?: IncidentHoldStatus | null;
  /** v2: an `incident_resolved` line someone else wrote ended it. */
  resolvedExternally?: ExternalResolution | null;
  incidentId: string;
  target: string;
  severity: 'critical' | 'warning';
  phase: IncidentPhase;
  incidentClass: IncidentClass | null;
  classification: Classification | null;
  recoveryAttempt: number;
  /** Query it for the live recovery status (`status`). */
  recoveryWorkflowId: string | null;
  recoveries: Array<Pick<RecoveryResult, 'outcome' | 'incidentClass' | 'attempt' | 'cycles' | 'dirtyResets' | 'rehalts'>>;
  rehalts: number;
  escalated: boolean;
  operatorActions: OperatorAction[];
  triageReportPath: string | null;
  timeline: TimelineEntry[];
}

export interface IncidentResult {
  runId: string;
  incidentId: string;
  incidentClass: IncidentClass;
  /** `external`: an `incident_resolved` line written elsewhere ended it (v2). */
  resolution: 'recovered' | 'forced' | 'external';
  rehalts: number;
  escalated: boolean;
  operatorActions: OperatorAction[];
  recoveries: RecoveryResult[];
  triageReportPath: string | null;
  triage: TriageReport | null;
  timeline: TimelineEntry[];
}
