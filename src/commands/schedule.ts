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
import { DAYS, type Day } from '../domain/schedule';
import { CommandError } from './output';

export interface ScheduleDeps {
  config: Pick<Config, 'temporal' | 'taskQueue'>;
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
}

function parseAt(at: string | undefined): { hour?: number; minute?: number } {
  if (!at) return {};
  const m = /^(\d{1,2}):(\d{2})$/.exec(at);
  if (!m) throw new CommandError('--at: expected HH:MM, e.g. 03:00');
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

function parseDate(v: string | undefined, flag: string): Date {
  const d = v ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new CommandError(`${flag}: expected an ISO date-time`);
  return d;
}

export async function scheduleCommand(action: ScheduleAction, o: ScheduleCommandOptions, deps: ScheduleDeps): Promise<unknown> {
  const conn = await connectClient(deps.config);
  try {
    const c = conn.client;
    switch (action) {
      case 'create': {
        const day = o.day?.toUpperCase();
        if (day && !DAYS.includes(day as Day)) throw new CommandError(`--day: expected one of ${DAYS.join(', ')}`);
        let drillInput: Record<string, unknown> = {};
        if (o.input) {
          try {
            drillInput = JSON.parse(o.input) as Record<string, unknown>;
          } catch (err) {
            throw new CommandError(`--input: not JSON (${(err as Error).message})`);
          }
        }
        const r = await createDrillSchedule(c, {
          target: o.target,
          ...(day ? { dayOfWeek: day as Day } : {}),
          ...parseAt(o.at),
          ...(o.timezone ? { timezone: o.timezone } : {}),
          ...(o.catchupWindow ? { catchupWindowSeconds: o.catchupWindow } : {}),
          ...(o.note ? { note: o.note } : {}),
          drillInput,
        }, deps.config.taskQueue);
        return { created: r.created, ...summarizeSchedule(r.description) };
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
        await triggerDrillSchedule(c, o.target);
        return { triggered: true };
      case 'backfill':
        await backfillDrillSchedule(c, o.target, parseDate(o.start, '--start'), parseDate(o.end, '--end'));
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
