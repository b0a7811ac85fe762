/**
 * The weekly drill's waits as long polls (issues 11 and 12): each wait — the target serving again,
 * the restarted target's reconciliation and SLO evidence, a chaos scenario's detection and its
 * recovery — runs as one heartbeating activity that polls the target every `pollMs` (at most every
 * 250 ms) for up to one slice and returns as soon as the condition holds. The workflow sees one
 * activity per slice, not one activity and one timer per poll, so its history stays bounded
 * whatever the wait's length, and the runner learns of the target's evidence within one inner poll.
 * This file holds the inputs (validated at the activity boundary) and the pure decisions.
 */
import { z } from 'zod';
import { chaosScenarioSchema, restartEvidence } from './drill';
import { targetNameSchema } from './target';

/** Longest slice: one activity covers at most this much of a wait (a 7-day bound is 336 slices). */
export const MAX_WAIT_SLICE_MS = 30 * 60_000;
/** The long poll's inner interval never exceeds this: the runner learns of evidence within ~0.25 s. */
export const MAX_INNER_POLL_MS = 250;

const tailCursor = z.looseObject({ offset: z.number().int().min(0) });
const cursors = z.object({
  slo: tailCursor.optional(),
  incidents: tailCursor.optional(),
  dataQuality: tailCursor.optional(),
  order: tailCursor.optional(),
  position: tailCursor.optional(),
});

const slice = {
  target: targetNameSchema,
  /** How long this activity may wait before handing back to the workflow. */
  sliceMs: z.number().int().min(1).max(MAX_WAIT_SLICE_MS),
  /** The drill's poll interval (the inner poll uses the smaller of it and 250 ms). */
  pollMs: z.number().int().min(20).max(60_000),
};

/**
 * What counts as "serving again": `new-boot` (drill truth: healthy with a boot id or start time that
 * differs from the preflight's, or no boot evidence at all, which the drill then fails on),
 * `legacy` (healthy and no boot id, or a different one), `healthy` (any healthy answer: the rollback).
 */
export const servingUntilSchema = z.enum(['new-boot', 'legacy', 'healthy']);
export type ServingUntil = z.infer<typeof servingUntilSchema>;

export const waitServingInputSchema = z.object({
  ...slice,
  until: servingUntilSchema,
  preflight: z.object({ bootId: z.string().optional(), startedAt: z.string().optional() }).default({}),
});
export type WaitServingInput = z.input<typeof waitServingInputSchema>;

export const waitRecoveryEvidenceInputSchema = z.object({
  ...slice,
  /** Cursors marked before the stop: every slice reads from here, so slices fold the same events. */
  cursors,
  /** Evidence counts from this instant on (the new boot's start time). */
  sinceMs: z.number().finite(),
});
export type WaitRecoveryEvidenceInput = z.input<typeof waitRecoveryEvidenceInputSchema>;

export const waitDetectionInputSchema = z.object({
  ...slice,
  scenario: chaosScenarioSchema,
  /** Cursors marked before the inject. */
  cursors,
  /** The inject's own time (ms). */
  sinceMs: z.number().finite(),
});
export type WaitDetectionInput = z.input<typeof waitDetectionInputSchema>;

export const waitChaosRecoveryInputSchema = z.object({
  ...slice,
  scenario: chaosScenarioSchema,
  cursors,
  /** The clear's own time (ms). */
  clearedMs: z.number().finite(),
  /** Stop condition: unhealthy this long (ms) in a row ends the wait with `unhealthy`. */
  unhealthyMs: z.number().int().min(0),
  /** Unhealthy streak carried from the previous slice (ms). */
  unhealthyStreakMs: z.number().int().min(0).default(0),
});
export type WaitChaosRecoveryInput = z.input<typeof waitChaosRecoveryInputSchema>;

/**
 * A chaos scenario's first half in one activity (since `drill-chaos-one-call`): inject (keyed), wait
 * for the target's detection for one slice, and clear (keyed) the moment it is seen. The keys are
 * checked in full by the inject and the clear themselves.
 */
export const injectDetectClearInputSchema = z.object({
  ...slice,
  scenario: chaosScenarioSchema,
  /** Cursors marked before the inject: every attempt reads from here, so a retry sees the same detection. */
  cursors,
  injectKey: z.string().min(1).max(128),
  clearKey: z.string().min(1).max(128),
});
export type InjectDetectClearInput = z.input<typeof injectDetectClearInputSchema>;

/** The inner poll interval of a long poll. */
export function innerPollMs(pollMs: number): number {
  return Math.max(20, Math.min(pollMs, MAX_INNER_POLL_MS));
}

/** The first polls of a wait come this fast: a target that answers soon is seen within ~20 ms. */
export const MIN_INNER_POLL_MS = 20;

/**
 * The pause before the next poll of a wait that has run `elapsedMs`: an eighth of the time waited so
 * far, from {@link MIN_INNER_POLL_MS} up to {@link innerPollMs}. A wait that ends soon (a restart of a
 * few hundred ms) is seen within a few tens of ms; a long one costs ~25 more polls than at the full
 * interval, then polls every `innerPollMs` as before.
 */
export function pollDelayMs(pollMs: number, elapsedMs: number): number {
  return Math.min(innerPollMs(pollMs), Math.max(MIN_INNER_POLL_MS, Math.round(elapsedMs / 8)));
}

/** The next slice of a wait that has `remainingMs` left (at least 1 ms, at most {@link MAX_WAIT_SLICE_MS}). */
export function nextSliceMs(remainingMs: number): number {
  return Math.max(1, Math.min(Math.round(remainingMs), MAX_WAIT_SLICE_MS));
}

/** Whether one health answer ends a serving wait. */
export function servingReached(
  until: ServingUntil,
  preflight: { bootId?: string; startedAt?: string },
  h: { healthy: boolean; bootId?: string; startedAt?: string },
): boolean {
  if (!h.healthy) return false;
  if (until === 'healthy') return true;
  if (until === 'legacy') return !h.bootId || h.bootId !== preflight.bootId;
  return restartEvidence(preflight, h) !== 'same';
}

/**
 * The rollback's wait before it starts a still-draining target again, after `starts` starts: 5 s,
 * then doubling. Capped at one minute for drills recorded before `rollback-backoff-cap`; after it,
 * at one slice (30 min), so a target that drains for days costs a few hundred starts and history
 * events, not one per minute.
 */
export function rollbackRestartDelayMs(starts: number, capped: boolean): number {
  const cap = capped ? MAX_WAIT_SLICE_MS : 60_000;
  return Math.min(cap, 5000 * 2 ** Math.max(0, starts - 1));
}
