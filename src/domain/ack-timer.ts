/**
 * The ack timer's pure logic, without zod (the workflow imports this; the input and message
 * schemas, the documented contract, are in `incident-ack.ts`, which re-exports all of this).
 * Runbook "Critical incident acknowledgment SLA: <= 15 minutes": the escalation policy, the optional
 * resolve SLA, the records the timer keeps and its next move.
 */
import type { EscalationPolicy } from './incident-ack';
import type { PageKind } from './paging';
import { sanitizeText } from './printable';
import { RUNBOOK_THRESHOLDS } from './runbook-thresholds';
import type { Severity } from './severity-levels';

/** The input and message types, inferred from the schemas (types only: nothing of zod is loaded). */
export type { AcknowledgeRequest, EscalationPolicy, IncidentAckInput, IncidentAckParams, ResolveRequest } from './incident-ack';

/** The runbook's ack SLA, from the one table of thresholds. */
export const DEFAULT_ACK_SLA_SECONDS = RUNBOOK_THRESHOLDS.ackSlaSeconds;
export const DAY_SECONDS = 24 * 3600;
export const WEEK_SECONDS = 7 * DAY_SECONDS;
/** How far in the future an `openedAt` may be (clocks of the incident source and Temporal differ a little). */
export const OPENED_AT_MAX_SKEW_SECONDS = 120;
export const MAX_ACK_BY = 128;
export const MAX_NOTES = 2000;

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
/** What a carried-over state must look like (it is set by the timer itself, never by a user). */
export function isAckTimerCarry(v: unknown): v is AckTimerCarry {
  return typeof v === 'object' && v !== null && (v as { v?: unknown }).v === 2;
}

/** `openedAt` in the future beyond the skew: the message, else undefined. */
export function openedAtProblem(openedAtMs: number, nowMs: number, skewSeconds = OPENED_AT_MAX_SKEW_SECONDS): string | undefined {
  const ahead = (openedAtMs - nowMs) / 1000;
  if (ahead <= skewSeconds) return undefined;
  return `openedAt: must not be in the future (it is ${Math.round(ahead)} s ahead of the server's clock; at most ${skewSeconds} s of clock skew is allowed)`;
}

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
  req: { ackBy: string; notes?: string },
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
