/**
 * The weekly drill on a market calendar, on the dev server (the time-skipping server has no
 * Schedules), through the `drill` CLI as a child process: `schedule create` places the run with
 * Temporal calendars + skips across a holiday, a blackout and a daylight-saving change in the
 * target's time zone; `schedule preview` lists the runs and agrees with the Temporal CLI's own
 * `schedule list-matching-times`; a manual drill (`run weekly`, `schedule trigger`) is refused inside
 * a session before any workflow starts.
 *
 * The calendars are built relative to today, so the test means the same whenever it runs.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { SchedulePreview } from '../../src/client/schedule-placement';
import { placeWeeklyDrill } from '../../src/domain/drill-placement';
import { marketCalendarSchema, type MarketCalendarInput } from '../../src/domain/market-calendar';
import { drillScheduleId } from '../../src/domain/schedule';
import type { TargetConfigInput } from '../../src/domain/target';
import { addDays, formatDate, localToInstant, offsetMinutes, weekdayOf, zonedParts, type LocalDate } from '../../src/domain/zoned-time';
import { workflowIds } from '../../src/shared';
import { requireTool } from '../../src/tools/provision';
import { runDrillCli } from '../helpers/process';
import { devServerEnv, uniqueId } from '../helpers/temporal';

const exec = promisify(execFile);
const NY = 'America/New_York';
const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'] as const;
const SESSION = { days: [...WEEKDAYS], open: '09:30', close: '16:00' };

let env: TestWorkflowEnvironment;
let dir: string;
let targetsFile: string;
const taskQueue = uniqueId('tq');
const calendars: Record<string, MarketCalendarInput> = {};

/** The Monday of the week `k` weeks after this one, as a New York date. */
function monday(k: number): LocalDate {
  const today = zonedParts(Date.now(), NY);
  return addDays(today, 7 * k - ((weekdayOf(today) + 6) % 7));
}
const at = (d: LocalDate, hhmm: string) => `${formatDate(d)}T${hhmm}`;

/** The next daylight-saving change in New York (a Sunday), at least two days ahead. */
function nextDstChange(): { date: LocalDate; spring: boolean } {
  const start = addDays(zonedParts(Date.now(), NY), 2);
  for (let i = 0; i < 370; i++) {
    const d = addDays(start, i);
    const before = offsetMinutes(localToInstant({ ...d, hour: 0, minute: 0 }, NY), NY);
    const after = offsetMinutes(localToInstant({ ...d, hour: 12, minute: 0 }, NY), NY);
    if (before !== after) return { date: d, spring: after > before };
  }
  throw new Error('no DST change in New York within a year?');
}
const dst = nextDstChange();
const weeksToDst = Math.ceil((localToInstant({ ...dst.date, hour: 12, minute: 0 }, NY) - Date.now()) / (7 * 86_400_000));

function target(calendar: MarketCalendarInput): TargetConfigInput {
  return {
    mode: 'live',
    artifactsRoot: 'runs',
    runId: 'cal-1',
    auditLogsDir: 'audit',
    gatewayUrl: 'http://127.0.0.1:9',
    process: { adapter: 'shell', stop: 'true', start: 'true', health: 'true' },
    stateFile: 'state.json',
    broker: { apiUrl: 'http://127.0.0.1:9/broker', wsUrl: 'ws://127.0.0.1:9/ws' },
    symbols: ['SPY'],
    calendar,
  };
}

beforeAll(async () => {
  env = await devServerEnv();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sched-cal-'));
  // Monday 10:00 is inside the session: the regular run is Monday 16:00; a Monday holiday frees the slot itself.
  calendars.holiday = {
    name: 'XNYS',
    timezone: NY,
    sessions: [SESSION],
    holidays: [{ date: formatDate(monday(3)), name: 'test holiday' }],
    drillSlot: { day: 'MONDAY', at: '10:00' },
  };
  // Saturday 02:00: week 2's slot moved to the end of a morning blackout; week 4 blocked entirely by a freeze.
  const sat = (k: number) => addDays(monday(k), 5);
  calendars.blackout = {
    name: 'XNYS',
    timezone: NY,
    sessions: [SESSION],
    blackouts: [
      { name: 'saturday maintenance', start: at(sat(2), '00:00'), end: at(sat(2), '12:00') },
      { name: 'change freeze', start: at(addDays(sat(4), -1), '18:00'), end: at(sat(5), '03:00') },
    ],
    drillSlot: { day: 'SATURDAY', at: '02:00' },
  };
  // Sunday at the wall time the next change skips (spring) or repeats (autumn).
  calendars.dst = {
    name: 'XNYS',
    timezone: NY,
    sessions: [SESSION],
    drillSlot: { day: 'SUNDAY', at: dst.spring ? '02:30' : '01:30' },
  };
  calendars.open = {
    name: 'ALWAYS',
    timezone: 'UTC',
    sessions: [{ days: ['SUNDAY', ...WEEKDAYS, 'SATURDAY'], open: '00:00', close: '24:00' }],
    holidays: [{ date: formatDate(zonedParts(Date.now() + 86_400_000, 'UTC')), name: 'tomorrow' }],
  };
  targetsFile = path.join(dir, 'targets.json');
  const names = Object.keys(calendars);
  fs.writeFileSync(targetsFile, JSON.stringify({ targets: Object.fromEntries(names.map((n) => [n, target(calendars[n]!)])) }));
});

afterAll(async () => {
  await env?.teardown();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const drill = (args: string[]) =>
  runDrillCli(
    args,
    {
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      DRILL_TASK_QUEUE: taskQueue,
      DRILL_TARGETS_FILE: targetsFile,
      DRILL_STATE_DIR: dir,
      DRILL_RESULTS_DIR: dir,
    },
    60000,
  );

/** The Temporal CLI's own list: no code of ours between the server and this answer. */
async function temporalCliMatchingTimes(scheduleId: string, start: string, end: string): Promise<string[]> {
  const { stdout } = await exec(
    requireTool('temporal').path,
    [
      'schedule',
      'list-matching-times',
      '--address',
      env.address,
      '--namespace',
      env.namespace ?? 'default',
      '--schedule-id',
      scheduleId,
      '--start-time',
      start,
      '--end-time',
      end,
      '--output',
      'json',
    ],
    { timeout: 30000 },
  );
  return ((JSON.parse(stdout) as { startTime?: string[] }).startTime ?? []).map((t) => new Date(t).toISOString());
}

/** create, then preview; the preview agrees with the server and with the Temporal CLI. */
async function placeAndPreview(name: string, next: number): Promise<SchedulePreview> {
  const created = await drill(['schedule', 'create', '--target', name]);
  expect(created.stderr).toBe('');
  expect(created.code).toBe(0);
  expect(JSON.parse(created.stdout)).toMatchObject({
    created: true,
    timezone: calendars[name]!.timezone,
    marketCalendar: { calendar: calendars[name]!.name },
  });

  const r = await drill(['schedule', 'preview', '--target', name, '--next', String(next), '--json']);
  expect(r.code).toBe(0);
  const p = JSON.parse(r.stdout) as SchedulePreview;
  expect(p).toMatchObject({ onServer: true, agrees: true, differences: [] });
  expect(p.runs).toHaveLength(next);
  expect(p.serverMatchingTimes).toEqual(p.runs.map((x) => x.at));
  expect(p.expected).toEqual(p.runs.map((x) => x.at));
  // The describe's next action times are the first of the same list.
  expect(p.serverNextActionTimes!.length).toBeGreaterThan(0);
  expect(p.runs.slice(0, p.serverNextActionTimes!.length).map((x) => x.at)).toEqual(p.serverNextActionTimes);

  const start = new Date(Date.now() + 5000).toISOString();
  const end = new Date(Date.parse(p.runs[next - 1]!.at) + 1000).toISOString();
  const cli = await temporalCliMatchingTimes(drillScheduleId(name), start, end);
  expect(cli).toEqual(p.runs.map((x) => x.at).filter((t) => t >= start));

  // And the placement computed here from the same calendar (a placement is per week: independent of when).
  const cal = marketCalendarSchema.parse(calendars[name]);
  const mine = placeWeeklyDrill(cal, 75 * 60_000, Date.now(), 400)
    .runs.slice(0, next)
    .map((x) => x.at);
  expect(p.runs.map((x) => x.at)).toEqual(mine);
  return p;
}

test('across a holiday: Monday 16:00 every week, the slot (10:00) on the holiday; the preview agrees with the Temporal CLI', async () => {
  const p = await placeAndPreview('holiday', 6);
  const holiday = p.runs.find((r) => r.local.startsWith(formatDate(monday(3))));
  expect(holiday?.local).toBe(`${formatDate(monday(3))} 10:00 ${NY}`);
  for (const r of p.runs.filter((x) => x !== holiday)) expect(r.local).toMatch(/ 16:00 America\/New_York$/);
  const d = JSON.parse((await drill(['schedule', 'describe', '--target', 'holiday'])).stdout) as {
    calendars: string[];
    skip: string[];
  };
  expect(d.calendars[0]).toMatch(/^MONDAY 16:00/);
  expect(d.skip.some((s) => s.startsWith(`${formatDate(monday(3))} 16:00`))).toBe(true);
});

test("across a blackout: one week moved to the blackout's end, one week blocked (no run, named in the preview)", async () => {
  const p = await placeAndPreview('blackout', 6);
  const sat2 = formatDate(addDays(monday(2), 5));
  expect(p.runs.find((r) => r.local.startsWith(sat2))?.local).toBe(`${sat2} 12:00 ${NY}`);
  expect(p.runs.find((r) => r.local.startsWith(sat2))?.note).toContain('blackout "saturday maintenance"');
  const sat4 = formatDate(addDays(monday(4), 5));
  const sat5 = formatDate(addDays(monday(5), 5));
  expect(p.runs.some((r) => r.local.startsWith(sat4))).toBe(false);
  expect(p.blockedWeeks).toEqual([{ weekOf: `${sat4} 02:00`, blockedBy: [expect.stringContaining('blackout "change freeze"')] }]);
  expect(p.runs.find((r) => r.local.startsWith(sat5))?.local).toBe(`${sat5} 03:00 ${NY}`);
  const text = await drill(['schedule', 'preview', '--target', 'blackout', '--next', '6']);
  expect(text.stdout).toContain(`week of ${sat4} 02:00: NO RUN, blocked by blackout "change freeze"`);
  expect(text.stdout).toContain('server check: ListScheduleMatchingTimes and describe agree with the placement');
});

test(`across the next DST change in ${NY}: same wall time both sides (UTC moves), the changed day's slot placed once`, async () => {
  const next = Math.min(100, weeksToDst + 2);
  const p = await placeAndPreview('dst', next);
  const day = formatDate(dst.date);
  const onDay = p.runs.filter((r) => r.local.startsWith(day));
  expect(onDay.map((r) => r.local)).toEqual([`${day} ${dst.spring ? '03:30' : '02:00'} ${NY}`]);
  const slot = dst.spring ? '02:30' : '01:30';
  const before = p.runs.filter((r) => r.at < onDay[0]!.at).at(-1)!;
  const after = p.runs.find((r) => r.at > onDay[0]!.at)!;
  expect(before.local.endsWith(`${slot} ${NY}`)).toBe(true);
  expect(after.local.endsWith(`${slot} ${NY}`)).toBe(true);
  // The UTC hour moves by one across the change.
  const utcHour = (iso: string) => new Date(iso).getUTCHours();
  expect(utcHour(before.at) - utcHour(after.at)).toBe(dst.spring ? 1 : -1);
});

test('a manual drill inside a session is refused before any workflow starts; so is a trigger; --day is refused on a calendar', async () => {
  const drillId = uniqueId('manual');
  const r = await drill(['run', 'weekly', '--target', 'open', '--drill-id', drillId]);
  expect(r.code).toBe(2);
  const tomorrow = formatDate(zonedParts(Date.now() + 86_400_000, 'UTC'));
  expect(r.stderr).toMatch(/drill refused by the market calendar \(calendar ALWAYS\): .* UTC is inside the trading session [A-Z]+DAY 00:00-24:00/);
  expect(r.stderr).toContain(`next allowed start: ${tomorrow} 00:00 UTC (${tomorrow}T00:00:00.000Z)`);
  expect(r.stderr).toContain('Nothing was started.');
  expect(r.stdout).not.toContain('started');
  const none = await env.client.workflow
    .getHandle(workflowIds.drill('open', drillId))
    .describe()
    .catch((e: unknown) => e);
  expect(none).toBeInstanceOf(WorkflowNotFoundError);

  expect((await drill(['schedule', 'create', '--target', 'open'])).code).toBe(0);
  const t = await drill(['schedule', 'trigger', '--target', 'open']);
  expect(t.code).toBe(2);
  expect(t.stderr).toContain('drill refused by the market calendar');
  const d = await env.client.schedule.getHandle(drillScheduleId('open')).describe();
  expect(d.info.recentActions).toEqual([]);
  expect(d.info.runningActions).toEqual([]);

  const flags = await drill(['schedule', 'create', '--target', 'open', '--day', 'MONDAY']);
  expect(flags.code).toBe(2);
  expect(flags.stderr).toContain('--day, --at and --timezone do not apply: target open has a market calendar');
});
