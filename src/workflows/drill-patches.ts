/** The weekly drill's patch ids: each names the change it guards; histories recorded before it replay without it. */

/** Patch id: the market-calendar check at the start of the preflight (issue 15). */
export const MARKET_CALENDAR_PATCH = 'market-calendar-preflight';
/**
 * Patch id (issue 9, "drill truth"): the per-target drill lock at the start of the preflight, a
 * restart that counts only with a new boot (a target without boot evidence fails the check at once),
 * and a rollback that starts the target again when a drained stop exits after the drill gave up on it.
 */
export const DRILL_TRUTH_PATCH = 'drill-truth-core';
/** Patch id: chaos through the target contract (declared faults, keyed inject/clear, skipped when none) (issue 9). */
export const CHAOS_CONTRACT_PATCH = 'chaos-through-contract';
/** Patch id: the drill is a maintenance window; its own incidents are attributed and closed by the rollback (issue 9). */
export const DRILL_WINDOW_PATCH = 'drill-maintenance-window';
/**
 * Patch id (issues 11 and 12): the drill's waits are long polls — one heartbeating activity per slice
 * of up to 30 minutes instead of one activity and one timer per poll — so a drill's history stays
 * bounded whatever its waits last, and the runner sees the target's evidence within ~0.25 s.
 */
export const BOUNDED_WAITS_PATCH = 'drill-bounded-waits';
/** Patch id (issue 13): `DrillState` ends at `done` (it stayed at `evidence` after a drill). */
export const DRILL_STATE_DONE_PATCH = 'drill-state-done';
/**
 * Patch id (issue 13): the report carries the test record (scope, objectives, preconditions, findings,
 * procedure version) and the drill starts its sign-off workflow (an abandoned child: never waited for).
 */
export const SIGN_OFF_PATCH = 'drill-signoff';
/**
 * Patch id (landing check): the rollback's restarts of a still-draining target back off to 30 min, not
 * 1 min, so a drain of days is a few hundred starts in history, not one a minute (~10,000 a week).
 */
export const ROLLBACK_BACKOFF_PATCH = 'rollback-backoff-cap';
/**
 * Patch id (issue 12, item 2): the drill's short reads (preflight, calendar, capabilities, artifact
 * marks, outage check, last save, restore check, rollback reads) and its keyed or overwriting writes
 * (maintenance window, chaos report, incident resolutions, report, audit event) run as local
 * activities, inside the workflow task that needs them: ~12 fewer server round trips per drill.
 * Target actions (inject, clear, halt, stop, start, resume), the waits and the page stay activities.
 */
export const FAST_ORCHESTRATION_PATCH = 'drill-fast-orchestration';
/**
 * Patch id (issue 12, item 2): a chaos scenario's inject, the wait for its detection and its clear are
 * one activity (`drillInjectDetectClear`), so no workflow task stands between the target's fault and
 * the runner's wait (a detection faster than a task was seen late), or between the detection and the
 * clear; ~60 ms less orchestration per scenario. A detection past the first slice is waited for, and
 * the fault cleared, as before.
 */
export const CHAOS_ONE_CALL_PATCH = 'drill-chaos-one-call';
/** The patches a drill decides after its first await; a fast drill decides them all at its start (see `runSteps`). */
export const LATER_PATCHES = [
  MARKET_CALENDAR_PATCH,
  DRILL_TRUTH_PATCH,
  BOUNDED_WAITS_PATCH,
  DRILL_WINDOW_PATCH,
  CHAOS_CONTRACT_PATCH,
  ROLLBACK_BACKOFF_PATCH,
  SIGN_OFF_PATCH,
  DRILL_STATE_DONE_PATCH,
  CHAOS_ONE_CALL_PATCH,
] as const;
