/**
 * The market calendar check (issue 15): may a drill begin on this target now? Reads the target's
 * calendar from the targets file and the clock at the moment the drill would begin; the workflow
 * decides from the returned data (`calendarRefusal`).
 */
import { z } from 'zod';
import { drillCalendarReview, type DrillCalendarReview } from '../domain/drill-placement';
import { calendarCheckResult, DEFAULT_DRILL_SECONDS, neededMs, type CalendarCheckResult } from '../domain/market-calendar';
import { targetNameSchema } from '../domain/ids';
import type { TargetResolver } from '../io/targets';
import { parseInput, resolveTarget, type TargetActivityDeps } from './target-input';

export const calendarCheckInputSchema = z.object({
  target: targetNameSchema,
  /** The drill's own bound: the window it needs clear is at least this long. */
  maxDrillSeconds: z.number().positive().optional(),
});
export type CalendarCheckInput = z.input<typeof calendarCheckInputSchema>;

export function createCalendarActivities(deps: Pick<TargetActivityDeps, 'targets'>, now: () => number = Date.now) {
  return {
    async drillCalendarCheck(input: CalendarCheckInput): Promise<CalendarCheckResult> {
      const i = parseInput(calendarCheckInputSchema, input, 'calendar check input');
      const t = await resolveTarget({ ...deps, opsDir: '' }, i.target);
      return calendarCheckResult(t.calendar, now(), i.maxDrillSeconds);
    },
  };
}

/** How far back the overdue check reviews weekly slots. */
const REVIEW_WEEKS = 8;

/**
 * For the promotion gate's overdue check: the target's weekly slots since its last drill (at most
 * {@link REVIEW_WEEKS} weeks), which the calendar blocked and why. Undefined when the target has no
 * calendar or the targets file cannot be read (the gate still decides; it only lacks the reason).
 */
export async function reviewDrillCalendar(
  targets: TargetResolver,
  target: string,
  lastDrillFinishedAt: string | undefined,
  nowMs: number,
): Promise<DrillCalendarReview | undefined> {
  let cal;
  try {
    cal = (await targets(target)).calendar;
  } catch {
    return undefined;
  }
  if (!cal) return undefined;
  const last = lastDrillFinishedAt ? Date.parse(lastDrillFinishedAt) : NaN;
  const since = Math.max(Number.isFinite(last) ? last : 0, nowMs - REVIEW_WEEKS * 7 * 86_400_000);
  return drillCalendarReview(target, cal, neededMs(cal, DEFAULT_DRILL_SECONDS), since, nowMs);
}
