/**
 * The market calendar check (issue 15): may a drill begin on this target now? Reads the target's
 * calendar from the targets file and the clock at the moment the drill would begin; the workflow
 * decides from the returned data (`calendarRefusal`).
 */
import { z } from 'zod';
import { calendarCheckResult, type CalendarCheckResult } from '../domain/market-calendar';
import { targetNameSchema } from '../domain/ids';
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
