/**
 * The ack timer's input and message schemas (zod): the contract clients, the CLI and the docs use.
 * The timer's logic is in `ack-timer.ts` (zod-free, re-exported here); workflow code checks the same
 * shapes with the light parsers of `ack-timer-check.ts`, held to these schemas by a parity test.
 */
import { z } from 'zod';
import { DAY_SECONDS, DEFAULT_ACK_SLA_SECONDS, isAckTimerCarry, MAX_ACK_BY, MAX_NOTES, WEEK_SECONDS, type AckTimerCarry } from './ack-timer';
import { incidentIdSchema, runIdSchema } from './ids';
import { severitySchema } from './severity';
import { freeTextSchema, identitySchema, typeError } from './text';

export * from './ack-timer';

const seconds = (what: string) => z.number({ error: typeError(what, 'a number of seconds') });

export const escalationLevelSchema = z.object({
  /** Who or what this level pages (shown in the page and the UI), e.g. `primary`, `secondary`. */
  name: freeTextSchema('name', 100).optional(),
  /** Seconds after the previous level fired (level 1: after the incident opened). */
  afterSeconds: seconds('afterSeconds')
    .positive({ error: 'afterSeconds must be positive' })
    .max(WEEK_SECONDS, { error: 'afterSeconds must be at most a week' }),
});

/**
 * Like a PagerDuty escalation policy: levels in order, then the whole list again `repeats` times.
 * Level n pages the route configured for level n (`SLO_PAGING_LEVEL_<n>_*`, else the default).
 */
export const escalationPolicySchema = z.object({
  levels: z.array(escalationLevelSchema).min(1, { error: 'an escalation policy needs at least one level' }).max(20, { error: 'at most 20 levels' }),
  repeats: z.number().int().min(0).max(10).default(0),
});
export type EscalationPolicy = z.infer<typeof escalationPolicySchema>;

/** How the timer notices `incident_ack` / `incident_resolved` lines in the run's `incident_events.jsonl`. */
export const fileWatchSchema = z.object({
  /**
   * One watch activity long-polls the file for up to this long (real time, heartbeating) and returns
   * at once when a line for this incident appears; then the next one starts. 0: one look per call.
   */
  holdSeconds: z.number().int().min(0).max(3600).default(1800),
  /** Workflow time between watch calls (0: back to back). Time-skipping tests use hold 0 and a pause. */
  pauseSeconds: z.number().int().min(0).max(DAY_SECONDS).default(0),
});

const carrySchema = z.custom<AckTimerCarry>(isAckTimerCarry, {
  error: 'carried must be the state a previous run of this timer carried over (v: 2)',
});

export const incidentAckInputSchema = z.object({
  runId: runIdSchema,
  incidentId: incidentIdSchema,
  severity: severitySchema,
  /** When the incident opened (ISO 8601). Defaults to the workflow's start; never in the future. */
  openedAt: z.iso.datetime({ offset: true, error: 'openedAt must be an ISO 8601 date-time with a time zone, e.g. 2026-11-25T03:00:00Z' }).optional(),
  ackSlaSeconds: z
    .number({ error: typeError('ackSlaSeconds', 'a number of seconds') })
    .int()
    .positive()
    .max(WEEK_SECONDS)
    .default(DEFAULT_ACK_SLA_SECONDS),
  /** Default: one level that fires when the SLA passes. */
  escalation: escalationPolicySchema.optional(),
  /**
   * Optional resolve SLA, from the opening: an acknowledged incident still unresolved this long
   * after it opened escalates again through the policy's levels (kind `incident_resolve_sla`).
   */
  resolveSlaSeconds: z
    .number({ error: typeError('resolveSlaSeconds', 'a number of seconds') })
    .int()
    .positive()
    .max(30 * DAY_SECONDS)
    .optional(),
  /**
   * After the ack, stay open this long so a repeated ack (a second on-call, a rerun of the CLI) gets
   * the first one back through the update instead of an error from a closed workflow.
   */
  keepOpenAfterAckSeconds: z.number().int().min(0).max(DAY_SECONDS).default(600),
  /**
   * After the ack, when a page went out (its receiver must get `resolve`) or a resolve SLA is set,
   * wait this long for the resolution (the incident workflow's `resolve`, or `incident_resolved` in
   * the run file) before closing.
   */
  awaitResolveSeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * DAY_SECONDS)
    .default(WEEK_SECONDS),
  /** One line for the page and the UI. */
  summary: freeTextSchema('summary', 500).optional(),
  fileWatch: fileWatchSchema.default({ holdSeconds: 1800, pauseSeconds: 0 }),
  /** Continue-as-new once a run's history reaches this many events (or the server suggests it). */
  historyLimit: z.number().int().min(100).max(20000).default(2000),
  /** Internal: state carried over continue-as-new. */
  carried: carrySchema.optional(),
});
export type IncidentAckInput = z.input<typeof incidentAckInputSchema>;
export type IncidentAckParams = z.output<typeof incidentAckInputSchema>;

export const acknowledgeSchema = z.strictObject(
  {
    ackBy: identitySchema('ackBy', MAX_ACK_BY),
    notes: freeTextSchema('notes', MAX_NOTES, { multiline: true }).optional(),
  },
  {
    error: (iss) => (iss.code === 'unrecognized_keys' ? undefined : 'acknowledge expects an object: { "ackBy": "<on-call>", "notes": "<mitigation status>" }'),
  },
);
export type AcknowledgeRequest = z.input<typeof acknowledgeSchema>;

/** The incident workflow (or an operator) tells the timer the incident is resolved. Lenient: a resolve is never lost. */
export const resolveSchema = z.object({
  resolution: freeTextSchema('resolution', 100).optional(),
  by: identitySchema('by', MAX_ACK_BY).optional(),
  /** When it was resolved (ISO); default: when the timer hears of it. */
  resolvedAt: z.iso.datetime({ offset: true }).optional(),
});
export type ResolveRequest = z.input<typeof resolveSchema>;
/** The `resolve` signal's payload: none at all means `{}` (a bare "the incident is resolved"). */
export const resolveMessageSchema = z.preprocess((v) => v ?? {}, resolveSchema);
