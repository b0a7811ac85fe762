/**
 * The CLI's market-calendar check (issue 15): a drill started from the CLI is refused inside a
 * trading session or blackout before any workflow starts. The workflow's own preflight checks again
 * with the worker's targets file, so drills from the Web UI or a schedule are refused too.
 */
import { calendarCheckResult, calendarRefusal, type CalendarCheckResult, type MarketCalendar } from '../domain/market-calendar';
import { loadTargetsFile } from '../io/targets';
import { CommandError } from './output';
import { findTargetsFile, type TargetsFileDeps } from './targets-file';

/** The target's calendar from the CLI's targets file; undefined when there is no file, target or calendar. */
export async function cliTargetCalendar(target: string, deps: TargetsFileDeps): Promise<MarketCalendar | undefined> {
  const file = findTargetsFile(deps);
  if (!file) return undefined;
  const targets = (await loadTargetsFile(file)).targets;
  return Object.hasOwn(targets, target) ? targets[target]?.calendar : undefined;
}

/** Throws a {@link CommandError} (exit 2) naming the window and the next allowed start when refused. */
export async function refuseOutsideCalendar(
  target: string,
  maxDrillSeconds: number | undefined,
  deps: TargetsFileDeps,
  now: number = Date.now(),
): Promise<CalendarCheckResult> {
  const r = calendarCheckResult(await cliTargetCalendar(target, deps), now, maxDrillSeconds);
  const refusal = calendarRefusal(r);
  if (refusal) throw new CommandError(`${refusal}. Nothing was started.`, 2);
  return r;
}
