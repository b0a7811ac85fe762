/**
 * The weekly drill's Schedule on a market calendar (issue 15): the placement as a Temporal spec
 * (calendars + skips in the calendar's time zone), its record on the schedule (the action's memo:
 * calendar fingerprint, regular time, horizon), and the preview that asks the server for the times
 * it will really run (`ListScheduleMatchingTimes` and the describe's next action times) and checks
 * them against the placement.
 */
import { createHash } from 'node:crypto';
import {
  ScheduleNotFoundError,
  type CalendarSpec,
  type CalendarSpecDescription,
  type Client,
  type ScheduleDescription,
  type ScheduleSpec,
} from '@temporalio/client';
import { msToTs, tsToMs } from '@temporalio/common/lib/time';
import { z } from 'zod';
import { placeWeeklyDrill, type Placement, type PlannedRun, type SpecEntry } from '../domain/drill-placement';
import { calendarFingerprint, type MarketCalendar } from '../domain/market-calendar';
import { drillScheduleId } from '../domain/schedule';
import { formatZoned } from '../domain/zoned-time';

/** A schedule placed on a market calendar. */
export interface PlacedSchedule {
  placement: Placement;
  calendar: MarketCalendar;
  placedAtMs: number;
}

const MONTHS = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'] as const;

function toSdk(e: SpecEntry): CalendarSpec {
  return {
    ...(e.year !== undefined ? { year: e.year } : {}),
    ...(e.month !== undefined ? { month: MONTHS[e.month - 1]! } : {}),
    ...(e.dayOfMonth !== undefined ? { dayOfMonth: e.dayOfMonth } : {}),
    ...(e.dayOfWeek !== undefined ? { dayOfWeek: e.dayOfWeek } : {}),
    hour: e.hour,
    minute: e.minute,
    ...(e.comment ? { comment: e.comment } : {}),
  };
}

/** One line per calendar entry: `SATURDAY 02:00`, `2027-01-04 20:00`, with its comment. */
export function describeCalendarSpec(c: CalendarSpecDescription): string {
  const one = <T>(r: Array<{ start: T; end: T }>, all: [T, T]): string | undefined => {
    if (!r.length || (r.length === 1 && r[0]!.start === all[0] && r[0]!.end === all[1])) return undefined;
    return r.map((x) => (x.start === x.end ? String(x.start) : `${String(x.start)}-${String(x.end)}`)).join(',');
  };
  const p2 = (v: string | undefined) => (v !== undefined && /^\d$/.test(v) ? `0${v}` : v);
  const month = one(c.month, ['JANUARY', 'DECEMBER']);
  const monthNo = month && MONTHS.includes(month as (typeof MONTHS)[number]) ? String(MONTHS.indexOf(month as (typeof MONTHS)[number]) + 1) : month;
  const date = [one(c.year, [0, 0]) ?? '*', p2(monthNo) ?? '*', p2(one(c.dayOfMonth, [1, 31])) ?? '*'].join('-');
  const dow = one(c.dayOfWeek, ['SUNDAY', 'SATURDAY']);
  const time = `${p2(one(c.hour, [-1, -1])) ?? '*'}:${p2(one(c.minute, [-1, -1])) ?? '*'}`;
  const when = date === '*-*-*' ? `${dow ?? 'every day'} ${time}` : `${date}${dow ? ` ${dow}` : ''} ${time}`;
  return c.comment ? `${when}  # ${c.comment}` : when;
}

export function placementSpec(p: Placement): ScheduleSpec {
  return { calendars: p.spec.calendars.map(toSdk), skip: p.spec.skip.map(toSdk), timezone: p.timezone };
}

/** Short digest of the parsed calendar: a schedule placed from another calendar is stale. */
export function calendarDigest(cal: MarketCalendar): string {
  return createHash('sha256').update(calendarFingerprint(cal)).digest('hex').slice(0, 16);
}

export const placementRecordSchema = z.object({
  calendar: z.string(),
  digest: z.string(),
  timezone: z.string(),
  slot: z.object({ day: z.string(), at: z.string() }),
  regular: z.string(),
  needSeconds: z.number(),
  placedAt: z.string(),
  horizonEnd: z.string(),
  exceptions: z.number().int(),
  blockedWeeks: z.array(z.string()),
});
export type PlacementRecord = z.infer<typeof placementRecordSchema>;

/** Placement facts on the schedule's action memo (a schedule's own memo cannot be updated). */
export function placementMemo(p: Placement, cal: MarketCalendar, placedAtMs: number): { marketCalendar: PlacementRecord } {
  return {
    marketCalendar: {
      calendar: cal.name ?? cal.timezone,
      digest: calendarDigest(cal),
      timezone: p.timezone,
      slot: { ...p.slot },
      regular: p.regular.local,
      needSeconds: p.needMs / 1000,
      placedAt: new Date(placedAtMs).toISOString(),
      horizonEnd: new Date(p.horizonEndMs).toISOString(),
      exceptions: p.spec.calendars.length - 1 + p.spec.skip.length,
      blockedWeeks: p.blockedWeeks.map((w) => w.weekOf),
    },
  };
}

/** The placement record of a described schedule, if it was placed on a calendar. */
export function placementRecordOf(d: ScheduleDescription): PlacementRecord | undefined {
  const action = d.action as { memo?: Record<string, unknown> };
  const r = placementRecordSchema.safeParse(action.memo?.marketCalendar);
  return r.success ? r.data : undefined;
}

export function placementSummary(d: ScheduleDescription): { marketCalendar?: PlacementRecord } {
  const r = placementRecordOf(d);
  return r ? { marketCalendar: r } : {};
}

/** The server's own list of the times the schedule's spec matches in `[start, end]`. */
export async function serverMatchingTimes(client: Client, scheduleId: string, start: Date, end: Date): Promise<Date[]> {
  const r = await client.workflowService.listScheduleMatchingTimes({
    namespace: client.options.namespace,
    scheduleId,
    startTime: msToTs(start.getTime()),
    endTime: msToTs(end.getTime()),
  });
  return (r.startTime ?? []).map((t) => new Date(tsToMs(t)));
}

export interface PreviewRun {
  at: string;
  /** Wall clock in the schedule's time zone. */
  local: string;
  /** From the placement: regular time, or why it moved. */
  note?: string;
}

export interface SchedulePreview {
  target: string;
  scheduleId: string;
  onServer: boolean;
  paused?: boolean;
  timezone: string;
  calendar?: { name: string; digest: string; regular: string; slot: string; needMinutes: number };
  /** The coming runs: the server's when the schedule exists, else the placement `create` would make. */
  runs: PreviewRun[];
  /** Weeks without a run in the period shown, and what blocked them. */
  blockedWeeks: Array<{ weekOf: string; blockedBy: string[] }>;
  /** `ListScheduleMatchingTimes` for the period (the server's computation). */
  serverMatchingTimes?: string[];
  /** The describe's next action times (empty while paused). */
  serverNextActionTimes?: string[];
  /** The placement's runs for the same period. */
  expected?: string[];
  agrees?: boolean;
  differences: string[];
  warnings: string[];
}

const WEEK_MS = 7 * 86_400_000;

/**
 * The next `n` runs of a target's drill schedule: the server's list, checked against the placement
 * (with a calendar) and against the server's describe. Without a schedule, the placement only.
 */
export async function previewDrillSchedule(
  client: Client,
  o: { target: string; n: number; calendar?: MarketCalendar; needMs?: number; now?: number },
): Promise<SchedulePreview> {
  const now = o.now ?? Date.now();
  const scheduleId = drillScheduleId(o.target);
  let d: ScheduleDescription | undefined;
  try {
    d = await client.schedule.getHandle(scheduleId).describe();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  const record = d ? placementRecordOf(d) : undefined;
  const warnings: string[] = [];
  const differences: string[] = [];
  const cal = o.calendar;
  const tz = cal?.timezone ?? d?.spec.timezone ?? 'UTC';
  const needMs = record ? record.needSeconds * 1000 : (o.needMs ?? 0);
  // The placement from now: per-week runs do not depend on when it was computed.
  const placement = cal
    ? placeWeeklyDrill(cal, needMs || cal.drillWindowMinutes * 60_000, now, Math.max(30, Math.ceil(((o.n + 2) * WEEK_MS) / 86_400_000)))
    : undefined;
  if (cal && record && record.digest !== calendarDigest(cal)) {
    warnings.push(
      `the market calendar changed since the schedule was placed (${record.placedAt}): ` + `run \`drill schedule create --target ${o.target}\` again`,
    );
  }
  if (cal && d && !record) warnings.push('the schedule was not placed on the market calendar: run `drill schedule create` again to place it');
  if (!cal && record) warnings.push(`the schedule was placed on calendar ${record.calendar}, which the targets file here does not have`);
  if (record && Date.parse(record.horizonEnd) - now < 30 * 86_400_000) {
    warnings.push(`the schedule's dated exceptions end ${record.horizonEnd}: run \`drill schedule create\` again to extend them`);
  }
  const noteOf = (ms: number): string | undefined => {
    const r = placement?.runs.find((x: PlannedRun) => x.atMs === ms);
    return r ? (r.regular ? undefined : (r.note ?? 'moved')) : undefined;
  };
  const toRun = (ms: number): PreviewRun => {
    const note = noteOf(ms);
    return { at: new Date(ms).toISOString(), local: formatZoned(ms, tz), ...(note ? { note } : {}) };
  };

  if (!d) {
    const runs = (placement?.runs ?? []).slice(0, o.n).map((r) => toRun(r.atMs));
    return {
      target: o.target,
      scheduleId,
      onServer: false,
      timezone: tz,
      ...(cal && placement ? { calendar: calendarInfo(cal, placement) } : {}),
      runs,
      blockedWeeks: blockedUpTo(placement, runs),
      differences,
      warnings: [...warnings, `no schedule on the server: \`drill schedule create --target ${o.target}\` places it`],
    };
  }

  // Enough of a window for n runs; the server's list is the truth.
  const lastPlanned = placement?.runs[o.n - 1]?.atMs;
  const end = new Date(Math.max(lastPlanned ?? 0, now + (o.n + 1) * WEEK_MS) + 1000);
  const server = (await serverMatchingTimes(client, scheduleId, new Date(now), end)).filter((t) => t.getTime() > now).slice(0, o.n);
  const next = d.info.nextActionTimes.slice(0, o.n);
  const serverIso = server.map((t) => t.toISOString());
  const nextIso = next.map((t) => t.toISOString());
  // The describe's list (computed by the schedule itself) must be a prefix of the matching times.
  nextIso.forEach((t, i) => {
    if (serverIso[i] !== undefined && serverIso[i] !== t)
      differences.push(`describe says run ${i + 1} at ${t}; ListScheduleMatchingTimes says ${serverIso[i]}`);
  });
  let expected: string[] | undefined;
  if (placement && record) {
    // Past the encoded horizon, the server runs at the regular weekly time.
    expected = placement.runs
      .filter((r) => r.atMs <= Date.parse(record.horizonEnd))
      .map((r) => r.at)
      .slice(0, server.length);
    serverIso.forEach((t, i) => {
      if (expected![i] !== t)
        differences.push(`run ${i + 1}: the server runs at ${t}` + (expected![i] ? `, the market calendar places it at ${expected![i]}` : ''));
    });
  }
  const runs = server.map((t) => toRun(t.getTime()));
  return {
    target: o.target,
    scheduleId,
    onServer: true,
    paused: d.state.paused,
    timezone: tz,
    ...(cal && placement ? { calendar: calendarInfo(cal, placement) } : {}),
    runs,
    blockedWeeks: blockedUpTo(placement, runs),
    serverMatchingTimes: serverIso,
    serverNextActionTimes: nextIso,
    ...(expected ? { expected } : {}),
    agrees: differences.length === 0,
    differences,
    warnings: d.state.paused ? [...warnings, 'the schedule is paused: no run will start until it is unpaused'] : warnings,
  };
}

function calendarInfo(cal: MarketCalendar, p: Placement): NonNullable<SchedulePreview['calendar']> {
  return {
    name: cal.name ?? cal.timezone,
    digest: calendarDigest(cal),
    regular: p.regular.local,
    slot: `${p.slot.day} ${p.slot.at}`,
    needMinutes: p.needMs / 60_000,
  };
}

function blockedUpTo(p: Placement | undefined, runs: PreviewRun[]): SchedulePreview['blockedWeeks'] {
  if (!p) return [];
  const last = runs.length ? Date.parse(runs[runs.length - 1]!.at) : p.horizonEndMs;
  return p.blockedWeeks.filter((w) => w.slotMs <= last).map((w) => ({ weekOf: w.weekOf, blockedBy: w.blockedBy }));
}

/** Text for people: one line per run, blocked weeks, the server check. */
export function describePreview(p: SchedulePreview): string[] {
  const where = p.onServer ? (p.paused ? 'on the server, PAUSED' : 'on the server') : 'not created';
  const lines: string[] = [];
  lines.push(`${p.scheduleId} (${where}), times in ${p.timezone}`);
  if (p.calendar)
    lines.push(
      `market calendar ${p.calendar.name} (${p.calendar.digest}): slot ${p.calendar.slot}, ` +
        `regular run ${p.calendar.regular}, ${p.calendar.needMinutes} min clear needed`,
    );
  p.runs.forEach((r, i) => lines.push(`${String(i + 1).padStart(3)}. ${r.local}  (${r.at})${r.note ? `  ${r.note}` : ''}`));
  for (const w of p.blockedWeeks) lines.push(`     week of ${w.weekOf}: NO RUN, blocked by ${w.blockedBy.join('; ')}`);
  if (p.onServer) {
    lines.push(
      p.agrees
        ? `server check: ListScheduleMatchingTimes and describe agree${p.expected ? ' with the placement' : ''}`
        : `server check: DISAGREES\n${p.differences.map((x) => `  - ${x}`).join('\n')}`,
    );
  }
  for (const w of p.warnings) lines.push(`warning: ${w}`);
  return lines;
}
