/**
 * The incident acknowledgment SLA (runbook: "Critical incident acknowledgment SLA: <= 15 minutes"),
 * its escalation policy, the optional resolve SLA, and the ack timer's next move, as pure data and
 * functions shared by the workflow and its tests.
 */
import { z } from 'zod';
import { incidentIdSchema, runIdSchema } from './ids';
import { type PageKind } from './paging';
import { severitySchema, type Severity } from './severity';
import { DEFAULT_THRESHOLDS } from './slo';
import { freeTextSchema, identitySchema, sanitizeText, typeError } from './text';

/** The runbook's ack SLA, from the one table of thresholds. */
export const DEFAULT_ACK_SLA_SECONDS = DEFAULT_THRESHOLDS.ackSlaSeconds;
const DAY_SECONDS = 24 * 3600;
const WEEK_SECONDS = 7 * DAY_SECONDS;
/** How far in the future an `openedAt` may be (clocks of the incident source and Temporal differ a little). */
export const OPENED_AT_MAX_SKEW_SECONDS = 120;
export const MAX_ACK_BY = 128;
export const MAX_NOTES = 2000;

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

/** State carried over continue-as-new (internal: set by the workflow itself, never by a user). */
export interface AckTimerCarry {
  v: 2;
  /** Workflow runs before this one (continue-as-new count). */
  runs: number;
  ack?: AckRecord;
  ackNoticedAt?: string;
  ackLine?: AckLineState;
  resolved?: ResolvedRecord;
  pages: PageRecord[];
  events: LifecycleRecord[];
  nextAckStep: number;
  nextResolveStep: number;
  /** Escalation levels a trigger may have reached (acknowledge / resolve go to their routes). */
  triggeredLevels: number[];
  resolveTriggeredLevels: number[];
  acknowledgeSent: boolean;
  /** The run file's read position (`io/tail.ts` cursor, opaque here). */
  cursor?: unknown;
}
const carrySchema = z.custom<AckTimerCarry>((v) => typeof v === 'object' && v !== null && (v as { v?: unknown }).v === 2, {
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

/** `openedAt` in the future beyond the skew: the message, else undefined. */
export function openedAtProblem(openedAtMs: number, nowMs: number, skewSeconds = OPENED_AT_MAX_SKEW_SECONDS): string | undefined {
  const ahead = (openedAtMs - nowMs) / 1000;
  if (ahead <= skewSeconds) return undefined;
  return `openedAt: must not be in the future (it is ${Math.round(ahead)} s ahead of the server's clock; at most ${skewSeconds} s of clock skew is allowed)`;
}

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

export interface ResolvedRecord {
  resolvedAt: string;
  source: 'signal' | 'run-file';
  resolution?: string;
  by?: string;
}

export interface EscalationStep {
  /** 1-based level within the policy. */
  level: number;
  /** 0 for the first pass through the levels, 1.. for repeats. */
  round: number;
  name?: string;
  /** Seconds after the incident opened (ack steps) or after the resolve deadline (resolve steps). */
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

/** The resolve-SLA escalation: level 1 at the deadline, each further level its `afterSeconds` later; no repeats. */
export function resolveSchedule(policy: EscalationPolicy): EscalationStep[] {
  let at = 0;
  return policy.levels.map((l, i) => {
    if (i > 0) at += l.afterSeconds;
    return { level: i + 1, round: 0, name: l.name, atSeconds: at };
  });
}

export interface AckRecord {
  ackBy: string;
  notes?: string;
  ackedAt: string;
  latencySeconds: number;
  slaMet: boolean;
  /** Where the ack came from: the `acknowledge` update, or an `incident_ack` line in the run file. */
  source?: 'update' | 'run-file';
}

export function makeAckRecord(
  req: z.output<typeof acknowledgeSchema>,
  openedAtMs: number,
  ackedAtMs: number,
  ackSlaSeconds: number,
  source?: AckRecord['source'],
): AckRecord {
  const latencySeconds = Math.max(0, (ackedAtMs - openedAtMs) / 1000);
  return {
    ackBy: req.ackBy,
    ...(req.notes !== undefined ? { notes: req.notes } : {}),
    ackedAt: new Date(ackedAtMs).toISOString(),
    latencySeconds,
    slaMet: latencySeconds <= ackSlaSeconds,
    ...(source ? { source } : {}),
  };
}

/** What an `incident_ack` line of the run file told the timer (as the watch activity returns it). */
export interface FileAckLine {
  ts?: unknown;
  ack_by?: unknown;
  notes?: unknown;
}

/**
 * The ack a file line stands for. The line's time is the ack time (clamped to `nowMs`: a clock ahead
 * cannot ack in the future; an unreadable time counts as `nowMs`). Identity and notes are made
 * printable, never rejected: whoever wrote the line did acknowledge.
 */
export function ackFromFileLine(line: FileAckLine, openedAtMs: number, nowMs: number, ackSlaSeconds: number): AckRecord {
  const ts = typeof line.ts === 'string' ? Date.parse(line.ts) : NaN;
  const at = Number.isFinite(ts) ? Math.min(ts, nowMs) : nowMs;
  const notes = typeof line.notes === 'string' ? sanitizeText(line.notes, MAX_NOTES, '') : '';
  return makeAckRecord(
    { ackBy: sanitizeText(line.ack_by, MAX_ACK_BY, 'unknown (run file)'), ...(notes ? { notes } : {}) },
    openedAtMs,
    at,
    ackSlaSeconds,
    'run-file',
  );
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
  /** When the timer escalated (workflow time; later than `dueAt` only if no worker could run it then). */
  at: string;
  /** When this step was due by the policy (v2 timers). */
  dueAt?: string;
  /**
   * `pending` while delivery runs; `cancelled` when an ack or the resolution stopped it (it may or
   * may not have reached the receiver); `suppressed` when the run file already held the ack.
   */
  outcome: 'pending' | 'delivered' | 'disabled' | 'below-min-severity' | 'failed' | 'cancelled' | 'suppressed';
  dedupKey: string;
  /** Why it paged (v2 timers). */
  kind?: PageKind;
  /** Route names the page went to (`default`, `level-2`, ...; never the secret URL). */
  routes?: string[];
  detail?: string;
}

/** An `acknowledge` or `resolve` event sent to the routes that were paged. */
export interface LifecycleRecord {
  action: 'acknowledge' | 'resolve';
  dedupKey: string;
  at: string;
  outcome: 'pending' | 'delivered' | 'disabled' | 'below-min-severity' | 'failed';
  routes?: string[];
  detail?: string;
}

/** Key that makes one page per incident, level and round (timers before the paging lifecycle). */
export function pageDedupKey(runId: string, incidentId: string, level: number, round: number): string {
  return `drill-runner/${runId}/${incidentId}/L${level}/R${round}`;
}

export type AckPhase = 'open' | 'escalated' | 'acknowledged' | 'resolve-overdue' | 'resolved';

/** Where the ack stands in the run file: written by the timer, already there, or not written (why). */
export type AckLineState = 'written' | 'duplicate' | 'from-file' | 'run-directory-missing' | 'failed';

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
  /** v2 timers: the incident's dedup key, lifecycle events sent, the resolution, file and history facts. */
  dedupKey?: string;
  events?: LifecycleRecord[];
  resolved?: ResolvedRecord;
  resolveDeadline?: string;
  ackLine?: AckLineState;
  /** Runs of this timer before the current one (continue-as-new). */
  continuedRuns?: number;
  historyLength?: number;
}

export interface IncidentAckResult {
  runId: string;
  incidentId: string;
  severity: Severity;
  slaMet: boolean;
  /** Absent when the incident was resolved before anyone acknowledged it. */
  ack?: AckRecord;
  pages: PageRecord[];
  events?: LifecycleRecord[];
  resolved?: ResolvedRecord;
}

/** Input of the timer's next-move planner. Times are epoch milliseconds. */
export interface AckTimerPlan {
  nowMs: number;
  openedAtMs: number;
  ackSteps: readonly EscalationStep[];
  nextAckStep: number;
  resolveSteps: readonly EscalationStep[];
  nextResolveStep: number;
  resolveSlaSeconds?: number;
  ack?: { noticedAtMs: number };
  resolved: boolean;
  /** A trigger went out (its receivers must later get `resolve`). */
  paged: boolean;
  keepOpenAfterAckSeconds: number;
  awaitResolveSeconds: number;
}

export type AckTimerMove =
  | { move: 'finish'; reason: 'resolved' | 'kept-open-after-ack' | 'resolve-wait-over' }
  | { move: 'fire'; step: EscalationStep; kind: 'incident_ack_sla' | 'incident_resolve_sla' }
  | { move: 'wait'; untilMs?: number };

/** When the resolve-SLA escalation starts: the deadline, or the ack if it came later. */
export function resolveStartMs(p: Pick<AckTimerPlan, 'openedAtMs' | 'resolveSlaSeconds' | 'ack'>): number | undefined {
  if (p.resolveSlaSeconds === undefined || !p.ack) return undefined;
  return Math.max(p.openedAtMs + p.resolveSlaSeconds * 1000, p.ack.noticedAtMs);
}

/**
 * The ack timer's next move. Unacknowledged: the next escalation step when due, else wait for it.
 * Acknowledged: the resolve-SLA steps when set and due; close after `keepOpenAfterAckSeconds`, or,
 * when something was paged or a resolve SLA is set, once resolved or after `awaitResolveSeconds`.
 */
export function nextMove(p: AckTimerPlan): AckTimerMove {
  if (p.resolved) return { move: 'finish', reason: 'resolved' };
  if (!p.ack) {
    const step = p.ackSteps[p.nextAckStep];
    if (!step) return { move: 'wait' };
    const at = p.openedAtMs + step.atSeconds * 1000;
    return p.nowMs >= at ? { move: 'fire', step, kind: 'incident_ack_sla' } : { move: 'wait', untilMs: at };
  }
  const needsResolve = p.paged || p.resolveSlaSeconds !== undefined;
  const closeAt = p.ack.noticedAtMs + (needsResolve ? p.awaitResolveSeconds : p.keepOpenAfterAckSeconds) * 1000;
  const start = resolveStartMs(p);
  const step = start !== undefined ? p.resolveSteps[p.nextResolveStep] : undefined;
  if (step && start !== undefined) {
    const at = start + step.atSeconds * 1000;
    if (p.nowMs >= at) return { move: 'fire', step, kind: 'incident_resolve_sla' };
    if (at < closeAt) return { move: 'wait', untilMs: at };
  }
  if (p.nowMs >= closeAt) return { move: 'finish', reason: needsResolve ? 'resolve-wait-over' : 'kept-open-after-ack' };
  return { move: 'wait', untilMs: closeAt };
}
