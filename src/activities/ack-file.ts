/**
 * The run file as an ack source: one heartbeating activity long-polls `incident_events.jsonl` for one
 * incident's `incident_ack` / `incident_resolved` line and returns as soon as one appears (or when its
 * hold time is up), with the cursor to start from next time. Reads start at the cursor; waiting is a
 * shared `stat` poller per file (`io/incident-file-watch.ts`).
 *
 * Each watch holds an activity slot while it waits. So that watches can never starve paging of slots,
 * at most `maxWatchers` hold per worker process; beyond that a watch looks once and fails with
 * `WatchBusy`, a retryable failure that says when to look again (`nextRetryDelay`): the server retries
 * the same activity then, from the cursor it heartbeated. A retry is one activity task — no workflow
 * task, no event, no replay of the timer's history on a worker that no longer caches it — so 10,000
 * open timers looking in turn cost the worker activity tasks only (and the timer reads the file before
 * every page anyway). How much later scales with how many timers are turned away
 * ({@link busyRetrySeconds}): 10,000 open timers on one worker must not become 10,000 looks a minute.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { z } from 'zod';
import { incidentIdSchema, runIdSchema } from '../domain/ids';
import { PathEscapeError } from '../io/files';
import { incidentLogPath } from '../io/incident-log';
import { scanForIncident, waitForFileChange, type IncidentLineHit } from '../io/incident-file-watch';
import { InvalidRunIdError, runDir } from '../io/run-artifacts';
import { tailCursorSchema, type TailCursor } from '../io/tail';
import { FAILURE } from '../domain/failure-types';
import { describeIssues } from '../domain/validation-kit';
import { SAFE_ID } from '../domain/safe-id';

export const watchIncidentFileSchema = z.object({
  runId: runIdSchema,
  incidentId: incidentIdSchema,
  cursor: tailCursorSchema.optional(),
  /** Real seconds to wait for a line before returning empty-handed (0: look once). */
  holdSeconds: z.number().int().min(0).max(3600),
  /** Which lines end the watch. */
  want: z
    .array(z.enum(['ack', 'resolved']))
    .min(1)
    .default(['ack', 'resolved']),
  /**
   * The watching timer's first run id: an `incident_ack` line it wrote itself (`timer_run_id`) is no
   * news to it and does not end the watch. Without this, the watch would return on the timer's own
   * ack line while the ack's workflow task is still being completed.
   */
  skipAckOfTimer: z.string().max(100).regex(SAFE_ID).optional(),
});
export type WatchIncidentFileInput = z.input<typeof watchIncidentFileSchema>;

export interface WatchIncidentFileResult {
  cursor?: TailCursor;
  hit?: IncidentLineHit;
  /**
   * Too many watches hold slots on this worker: looked once, returned at once. Workers before the
   * `WatchBusy` retry returned this; the timer still reads it from their results in its history.
   */
  busy?: boolean;
  /** With `busy`: when to look again, so the worker's busy looks stay within its budget. */
  retryAfterSeconds?: number;
  /** The file does not exist (yet) where this worker looks. */
  missing?: boolean;
  /** Bytes read by this call (stays small: reads start at the cursor). */
  bytesRead: number;
}

export interface AckFileOptions {
  /** Watches allowed to hold a slot at once in this process. Keep well below the worker's activity slots. */
  maxWatchers?: number;
  /** How often the shared poller stats a watched file. */
  pollMs?: number;
  /** Looks per second the turned-away watches of this process may cost together (default 5). */
  busyLooksPerSecond?: number;
  /** The shortest pause of a turned-away watch (default {@link BUSY_RETRY_MIN_SECONDS}; tests shorten it). */
  busyRetryMinSeconds?: number;
}

/** The shortest and longest pause a turned-away watch is told to take. */
export const BUSY_RETRY_MIN_SECONDS = 60;
export const BUSY_RETRY_MAX_SECONDS = 1800;

/**
 * The pause for a turned-away watch: `timersTurnedAway` of them, each looking once per pause, cost
 * `timersTurnedAway / pause` looks a second; held to `looksPerSecond`, between 1 and 30 minutes,
 * spread by up to a tenth (`jitter` in 0..1) so they do not come back together.
 */
export function busyRetrySeconds(timersTurnedAway: number, looksPerSecond: number, jitter: number, minSeconds = BUSY_RETRY_MIN_SECONDS): number {
  const base = Math.min(BUSY_RETRY_MAX_SECONDS, Math.max(minSeconds, timersTurnedAway / looksPerSecond));
  return Math.round(base * (1 - 0.1 * Math.min(1, Math.max(0, jitter))));
}

/** Default cap: a worker with the SDK's default 100 activity slots keeps half for everything else. */
export const DEFAULT_MAX_FILE_WATCHERS = 50;

export function createAckFileActivities(runsDir: string, opts: AckFileOptions = {}) {
  const maxWatchers = opts.maxWatchers ?? DEFAULT_MAX_FILE_WATCHERS;
  const pollMs = opts.pollMs ?? 250;
  const busyLooksPerSecond = opts.busyLooksPerSecond ?? 5;
  let holding = 0;
  /** Timers turned away lately (incident key → when), to size their pause; pruned past the longest pause. */
  const turnedAway = new Map<string, number>();
  const noteTurnedAway = (key: string): number => {
    const now = Date.now();
    turnedAway.delete(key);
    turnedAway.set(key, now);
    for (const [k, at] of turnedAway) {
      if (now - at <= BUSY_RETRY_MAX_SECONDS * 1000) break;
      turnedAway.delete(k);
    }
    return busyRetrySeconds(turnedAway.size, busyLooksPerSecond, Math.random(), opts.busyRetryMinSeconds);
  };

  return {
    /** Long-polls the run file for this incident's ack or resolution (see the module comment). */
    async watchIncidentFile(input: WatchIncidentFileInput): Promise<WatchIncidentFileResult> {
      const parsed = watchIncidentFileSchema.safeParse(input);
      if (!parsed.success) {
        throw ApplicationFailure.nonRetryable(`invalid watchIncidentFile input: ${describeIssues(parsed.error, { root: '' })}`, FAILURE.invalidInput);
      }
      const i = parsed.data;
      let file: string;
      try {
        file = incidentLogPath(runDir(runsDir, i.runId));
      } catch (err) {
        if (err instanceof InvalidRunIdError || err instanceof PathEscapeError) throw ApplicationFailure.nonRetryable(err.message, FAILURE.invalidInput);
        throw err;
      }
      const ctx = Context.current();
      // A retried attempt resumes where the last one got to.
      const resumed = tailCursorSchema.safeParse((ctx.info.heartbeatDetails as { cursor?: unknown } | undefined)?.cursor);
      let cursor: TailCursor | undefined = resumed.success ? resumed.data : i.cursor;
      let bytesRead = 0;
      const deadline = Date.now() + i.holdSeconds * 1000;
      const hold = i.holdSeconds > 0 && holding < maxWatchers;
      if (hold) holding++;
      try {
        for (;;) {
          const scan = await scanForIncident(file, cursor, i.incidentId, i.want, i.skipAckOfTimer);
          cursor = scan.cursor;
          bytesRead += scan.bytesRead;
          const base = { ...(cursor ? { cursor } : {}), ...(scan.missing ? { missing: true } : {}), bytesRead };
          if (scan.hit) return { ...base, hit: scan.hit };
          if (i.holdSeconds > 0 && !hold) {
            const retryAfterSeconds = noteTurnedAway(`${i.runId}/${i.incidentId}`);
            // The next attempt resumes from here (heartbeat details travel with the failure).
            if (cursor) ctx.heartbeat({ cursor });
            throw ApplicationFailure.create({
              type: FAILURE.watchBusy,
              message: `run-file watch turned away: ${holding} of ${maxWatchers} watches hold on this worker; looking again in ${retryAfterSeconds} s`,
              nextRetryDelay: retryAfterSeconds * 1000,
              // Expected, not an error: the worker logs it at debug (not a warning with a stack per
              // look: 10,000 turned-away timers made thousands) and counts no activity failure.
              category: ApplicationFailureCategory.BENIGN,
            });
          }
          const left = deadline - Date.now();
          if (left <= 0) return base;
          ctx.heartbeat({ cursor });
          await waitForFileChange(file, cursor, Math.min(left, 10_000), ctx.cancellationSignal, pollMs);
          if (ctx.cancellationSignal.aborted) await ctx.cancelled;
        }
      } finally {
        if (hold) holding--;
      }
    },
  };
}
