/** `drill schedule create|describe|pause|unpause|trigger|backfill|delete`: the weekly drill's Temporal Schedule per target. */
import type { Config } from '../config';
import { connectClient } from '../client/connection';
import {
  backfillDrillSchedule,
  createDrillSchedule,
  deleteDrillSchedule,
  describeDrillSchedule,
  pauseDrillSchedule,
  ScheduleInputError,
  ScheduleMissingError,
  summarizeSchedule,
  triggerDrillSchedule,
  unpauseDrillSchedule,
} from '../client/schedules';
import { previewDrillSchedule, type SchedulePreview } from '../client/schedule-placement';
import { weeklyDrillInputSchema } from '../domain/drill';
import { DEFAULT_HORIZON_DAYS, placeWeeklyDrill } from '../domain/drill-placement';
import { targetNameSchema } from '../domain/ids';
import { neededMs } from '../domain/market-calendar';
import { DAYS, drillScheduleOptionsSchema, type Day, type DrillScheduleOptions } from '../domain/schedule';
import { cliTargetCalendar, refuseOutsideCalendar } from './calendar-check';
import { checkFlag } from './flags';
import { CommandError } from './output';
import { describeIssues } from '../domain/validation-kit';

export interface ScheduleDeps {
  config: Pick<Config, 'temporal' | 'taskQueue' | 'stateDir'>;
  env?: NodeJS.ProcessEnv;
  /** The clock (tests). */
  now?: () => number;
}

export type ScheduleAction = 'create' | 'describe' | 'pause' | 'unpause' | 'trigger' | 'backfill' | 'delete';

export interface ScheduleCommandOptions {
  target: string;
  day?: string;
  at?: string;
  timezone?: string;
  catchupWindow?: number;
  input?: string;
  note?: string;
  start?: string;
  end?: string;
  /** create: days of dated exceptions encoded for a market calendar (default a year). */
  horizonDays?: number;
}

function parseAt(at: string | undefined): { hour?: number; minute?: number } {
  if (at === undefined) return {};
  const m = /^(\d{1,2}):(\d{2})$/.exec(at);
  if (!m) throw new CommandError('--at: expected HH:MM, e.g. 03:00');
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

function parseDate(v: string | undefined, flag: string): Date {
  const d = v ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new CommandError(`${flag}: expected an ISO date-time`);
  return d;
}

/** The schedule's options from the flags, checked in full before any connection (errors name the flag). */
function createOptions(o: ScheduleCommandOptions): DrillScheduleOptions {
  const day = o.day?.toUpperCase();
  if (day !== undefined && !DAYS.includes(day as Day)) throw new CommandError(`--day: expected one of ${DAYS.join(', ')}`);
  let drillInput: Record<string, unknown> = {};
  if (o.input !== undefined) {
    try {
      drillInput = JSON.parse(o.input) as Record<string, unknown>;
    } catch (err) {
      throw new CommandError(`--input: not JSON (${(err as Error).message})`);
    }
    if (typeof drillInput !== 'object' || drillInput === null || Array.isArray(drillInput)) throw new CommandError('--input: expected a JSON object');
  }
  if (o.timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: o.timezone });
    } catch {
      throw new CommandError(`--timezone: unknown time zone ${JSON.stringify(o.timezone)} (expected an IANA name, e.g. Europe/London or UTC)`);
    }
  }
  const raw: DrillScheduleOptions = {
    target: o.target,
    ...(day ? { dayOfWeek: day as Day } : {}),
    ...parseAt(o.at),
    ...(o.timezone !== undefined ? { timezone: o.timezone } : {}),
    ...(o.catchupWindow !== undefined ? { catchupWindowSeconds: o.catchupWindow } : {}),
    ...(o.note !== undefined ? { note: o.note } : {}),
    drillInput,
  };
  const flags: Record<string, string> = {
    target: '--target',
    dayOfWeek: '--day',
    hour: '--at',
    minute: '--at',
    timezone: '--timezone',
    catchupWindowSeconds: '--catchup-window',
    note: '--note',
    drillInput: '--input',
  };
  const r = drillScheduleOptionsSchema.safeParse(raw);
  if (!r.success) throw new CommandError(r.error.issues.map((i) => `${flags[String(i.path[0])] ?? String(i.path[0])}: ${i.message}`).join('; '));
  const input = weeklyDrillInputSchema.safeParse({ ...drillInput, target: o.target });
  if (!input.success) throw new CommandError(`--input: ${describeIssues(input.error, { rootWhenBlank: true })}`);
  return raw;
}

export async function scheduleCommand(action: ScheduleAction, o: ScheduleCommandOptions, deps: ScheduleDeps): Promise<unknown> {
  // Everything the flags can get wrong is refused before connecting.
  checkFlag('--target', targetNameSchema, o.target);
  if (o.horizonDays !== undefined && !(Number.isInteger(o.horizonDays) && o.horizonDays >= 7 && o.horizonDays <= 1100)) {
    throw new CommandError('--horizon-days: expected a whole number of days from 7 to 1100');
  }
  const created = action === 'create' ? createOptions(o) : undefined;
  const window = action === 'backfill' ? { start: parseDate(o.start, '--start'), end: parseDate(o.end, '--end') } : undefined;
  if (o.note !== undefined) checkFlag('--note', drillScheduleOptionsSchema.shape.note, o.note);
  let placed: Parameters<typeof createDrillSchedule>[3];
  if (created) {
    // A target with a market calendar places its own runs (issue 15): day/at/timezone do not apply.
    const calendar = await cliTargetCalendar(o.target, deps);
    if (calendar && (o.day || o.at || o.timezone)) {
      throw new CommandError(
        `--day, --at and --timezone do not apply: target ${o.target} has a market calendar; set its drillSlot (${calendar.drillSlot.day} ${calendar.drillSlot.at} ${calendar.timezone} now) in the targets file`,
      );
    }
    if (calendar) {
      const drill = weeklyDrillInputSchema.parse({ ...created.drillInput, target: o.target });
      const now = (deps.now ?? Date.now)();
      const placement = placeWeeklyDrill(calendar, neededMs(calendar, drill.maxDrillSeconds), now, o.horizonDays ?? DEFAULT_HORIZON_DAYS);
      placed = { placement, calendar, placedAtMs: now };
    }
  }
  const conn = await connectClient(deps.config);
  try {
    const c = conn.client;
    switch (action) {
      case 'create': {
        const r = await createDrillSchedule(c, created!, deps.config.taskQueue, placed);
        return {
          created: r.created,
          ...summarizeSchedule(r.description),
          ...(placed
            ? {
                placement: {
                  regular: placed.placement.regular.local,
                  timezone: placed.placement.timezone,
                  runs: placed.placement.runs.slice(0, 5).map((x) => ({ at: x.at, local: x.local, ...(x.note ? { note: x.note } : {}) })),
                  blockedWeeks: placed.placement.blockedWeeks,
                },
              }
            : {}),
        };
      }
      case 'describe':
        return summarizeSchedule(await describeDrillSchedule(c, o.target));
      case 'pause':
        await pauseDrillSchedule(c, o.target, o.note);
        return summarizeSchedule(await describeDrillSchedule(c, o.target));
      case 'unpause':
        await unpauseDrillSchedule(c, o.target, o.note);
        return summarizeSchedule(await describeDrillSchedule(c, o.target));
      case 'trigger':
        // A trigger runs a drill now: refused inside a session or blackout (issue 15).
        await refuseOutsideCalendar(o.target, await scheduledMaxDrillSeconds(c, o.target), deps);
        await triggerDrillSchedule(c, o.target);
        return { triggered: true };
      case 'backfill':
        // Backfilled runs start now, whatever past times they stand for.
        await refuseOutsideCalendar(o.target, await scheduledMaxDrillSeconds(c, o.target), deps);
        await backfillDrillSchedule(c, o.target, window!.start, window!.end);
        return { backfilled: true, start: o.start, end: o.end };
      case 'delete':
        return deleteDrillSchedule(c, o.target);
    }
  } catch (err) {
    if (err instanceof ScheduleInputError) throw new CommandError(err.message);
    if (err instanceof ScheduleMissingError) throw new CommandError(err.message, 1);
    throw err;
  } finally {
    await conn.close();
  }
}

/** The drill bound of the schedule's runs (its action input), for the calendar check. */
async function scheduledMaxDrillSeconds(c: Parameters<typeof describeDrillSchedule>[0], target: string): Promise<number | undefined> {
  const d = await describeDrillSchedule(c, target);
  const args = (d.action as { args?: unknown[] }).args;
  const r = weeklyDrillInputSchema.safeParse(args?.[0]);
  return r.success ? r.data.maxDrillSeconds : undefined;
}

/** `drill schedule preview`: the next runs as the server computes them, checked against the market calendar. */
export async function schedulePreviewCommand(o: { target: string; next: number }, deps: ScheduleDeps): Promise<SchedulePreview> {
  if (!Number.isInteger(o.next) || o.next < 1 || o.next > 100) throw new CommandError('--next: expected a whole number from 1 to 100');
  const calendar = await cliTargetCalendar(o.target, deps);
  const conn = await connectClient(deps.config);
  try {
    return await previewDrillSchedule(conn.client, { target: o.target, n: o.next, ...(calendar ? { calendar } : {}), now: (deps.now ?? Date.now)() });
  } finally {
    await conn.close();
  }
}
