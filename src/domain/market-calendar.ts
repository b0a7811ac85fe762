/**
 * A target's market calendar: when a drill may touch it. Trading sessions (open/close per weekday in
 * the calendar's time zone), exchange holidays (no session, or an early close) and blackout windows
 * (change freezes, month-end) are blocked; a drill may start when the whole time it may take is clear
 * of them. Pure: no I/O; documented in `docs/target-contract.md` ("Market calendar").
 *
 * Every time in the file is the calendar's own wall clock (`timezone`), so a 09:30 open stays 09:30
 * across daylight-saving changes. A wall time the change skips moves forward by the gap (02:30 in a
 * 02:00→03:00 gap is 03:30); a repeated one counts at its widest (a window opens at the first, closes
 * at the second).
 */
import { z } from 'zod';
import {
  addDays,
  atMinutes,
  daysInMonth,
  formatDate,
  formatZoned,
  isTimeZone,
  localToInstant,
  parseClock,
  parseDate,
  parseLocalDateTime,
  zonedParts,
  type LocalDate,
} from './zoned-time';
import { issueLines } from './validation-kit';

export const WEEKDAYS = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
const weekdaySchema = z.enum(WEEKDAYS, { error: `expected one of ${WEEKDAYS.join(', ')}` });

const clock = z.string().refine((s) => parseClock(s) !== undefined, { error: 'expected HH:MM (00:00-23:59)' });
const closeClock = z.string().refine((s) => parseClock(s, true) !== undefined, { error: 'expected HH:MM (00:00-24:00)' });
const localDate = z.string().refine((s) => parseDate(s) !== undefined, { error: 'expected a date YYYY-MM-DD' });
const localDateTime = z.string().refine((s) => parseLocalDateTime(s) !== undefined, {
  error: 'expected a wall-clock date-time YYYY-MM-DDTHH:MM in the calendar time zone',
});
const name = z.string({ error: 'name is required' }).trim().min(1, { error: 'name must not be empty' }).max(100);

/** A weekly trading session. `close` at or before `open` ends on the next day (overnight sessions). */
export const sessionSchema = z
  .strictObject({
    days: z.array(weekdaySchema).min(1, { error: 'at least one day' }),
    open: clock,
    close: closeClock,
    name: name.optional(),
  })
  .refine((s) => s.close === '24:00' || parseClock(s.open) !== parseClock(s.close, true), {
    error: 'open and close are the same time: write 00:00-24:00 for a whole day',
    path: ['close'],
  });

/** An exchange holiday: no session opens that day, or with `close`, the day's sessions close early. */
export const holidaySchema = z.strictObject({
  date: localDate,
  name,
  /** Early close (half day): the sessions opening that day end at this wall time. */
  close: clock.optional(),
});

/** A change freeze or any one-off window, wall-clock start and end in the calendar time zone. */
export const fixedBlackoutSchema = z
  .strictObject({
    name,
    start: localDateTime,
    end: localDateTime,
  })
  .refine((b) => b.end > b.start, {
    error: 'end must be after start',
    path: ['end'],
  });

/** Every month's end: from 00:00 of the last `lastDays` days to the end of the next month's first `firstDays` days. */
export const monthEndBlackoutSchema = z.strictObject({
  name,
  monthEnd: z
    .strictObject({
      lastDays: z.number().int().min(0).max(15).default(1),
      firstDays: z.number().int().min(0).max(15).default(0),
    })
    .refine((m) => m.lastDays + m.firstDays > 0, { error: 'lastDays + firstDays must be at least 1' }),
});

export const blackoutSchema = z.union([fixedBlackoutSchema, monthEndBlackoutSchema], {
  error: 'expected { name, start, end } or { name, monthEnd: { lastDays, firstDays } }',
});

export const marketCalendarSchema = z.strictObject({
  /** Shown in messages, e.g. `XNYS`. */
  name: name.optional(),
  /** IANA time zone of every wall time in this calendar. */
  timezone: z.string({ error: 'timezone is required' }).refine(isTimeZone, { error: 'expected an IANA time zone, e.g. America/New_York' }),
  sessions: z.array(sessionSchema).default([]),
  holidays: z.array(holidaySchema).default([]),
  blackouts: z.array(blackoutSchema).default([]),
  /** Where the weekly drill should run: the first allowed time at or after this slot each week. */
  drillSlot: z.strictObject({ day: weekdaySchema, at: clock }).default({ day: 'SUNDAY', at: '03:00' }),
  /**
   * Minutes a drill needs clear of sessions and blackouts from its start (its bound plus rollback).
   * A drill whose `maxDrillSeconds` is longer needs that instead.
   */
  drillWindowMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(75),
});
export type MarketCalendar = z.output<typeof marketCalendarSchema>;
export type MarketCalendarInput = z.input<typeof marketCalendarSchema>;

// ---------------------------------------------------------------------------------------------

/** A concrete blocked interval `[startMs, endMs)`. */
export interface BlockedWindow {
  kind: 'session' | 'blackout';
  /** `trading session MONDAY 09:30-16:00`, `holiday early close ...`, `blackout "year-end freeze"`. */
  name: string;
  startMs: number;
  endMs: number;
}

export function describeWindow(w: BlockedWindow, tz: string): string {
  return `${w.name} (${formatZoned(w.startMs, tz).replace(` ${tz}`, '')} → ${formatZoned(w.endMs, tz)})`;
}

function sessionName(s: z.output<typeof sessionSchema>, day: number, early?: { name: string; close: string }): string {
  const label = s.name ? `trading session "${s.name}"` : 'trading session';
  const hours = `${s.open}-${early ? early.close : s.close}`;
  return `${label} ${WEEKDAYS[day]} ${hours}${early ? ` (early close: ${early.name})` : ''}`;
}

/** Every blocked window that overlaps `[fromMs, toMs)`, sorted by start. */
export function blockedWindows(cal: MarketCalendar, fromMs: number, toMs: number): BlockedWindow[] {
  const tz = cal.timezone;
  const out: BlockedWindow[] = [];
  const first = addDays(zonedParts(fromMs, tz), -2);
  const last = addDays(zonedParts(toMs, tz), 1);
  const holidays = new Map(cal.holidays.map((h) => [h.date, h]));
  for (let d: LocalDate = first; formatDate(d) <= formatDate(last); d = addDays(d, 1)) {
    const dow = new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay();
    const holiday = holidays.get(formatDate(d));
    for (const s of cal.sessions) {
      if (!s.days.includes(WEEKDAYS[dow]!)) continue;
      if (holiday && !holiday.close) continue;
      const open = parseClock(s.open)!;
      let close = parseClock(s.close, true)!;
      if (close <= open) close += 1440;
      if (holiday?.close) {
        let early = parseClock(holiday.close)!;
        // The early close is on the session's closing day.
        if (close > 1440) early += 1440;
        if (early <= open) continue;
        close = Math.min(close, early);
      }
      out.push({
        kind: 'session',
        name: sessionName(s, dow, holiday?.close ? { name: holiday.name, close: holiday.close } : undefined),
        startMs: localToInstant(atMinutes(d, open), tz, 'earliest'),
        endMs: localToInstant(atMinutes(d, close), tz, 'latest'),
      });
    }
  }
  for (const b of cal.blackouts) {
    if ('monthEnd' in b) {
      for (let y = first.year, m = first.month; y < last.year || (y === last.year && m <= last.month); m === 12 ? (y++, (m = 1)) : m++) {
        const startDay: LocalDate = addDays({ year: y, month: m, day: daysInMonth(y, m) }, 1 - b.monthEnd.lastDays);
        const endDay: LocalDate = addDays({ year: y, month: m, day: daysInMonth(y, m) }, 1 + b.monthEnd.firstDays);
        out.push({
          kind: 'blackout',
          name: `blackout "${b.name}" (month end ${y}-${String(m).padStart(2, '0')})`,
          startMs: localToInstant(atMinutes(startDay, 0), tz, 'earliest'),
          endMs: localToInstant(atMinutes(endDay, 0), tz, 'latest'),
        });
      }
    } else {
      out.push({
        kind: 'blackout',
        name: `blackout "${b.name}"`,
        startMs: localToInstant(parseLocalDateTime(b.start)!, tz, 'earliest'),
        endMs: localToInstant(parseLocalDateTime(b.end)!, tz, 'latest'),
      });
    }
  }
  return out.filter((w) => w.endMs > fromMs && w.startMs < toMs && w.endMs > w.startMs).sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
}

/** The weekly drill's default `maxDrillSeconds` (`domain/drill.ts`), for checks that have no drill input. */
export const DEFAULT_DRILL_SECONDS = 3600;

/** How long a drill needs clear: the calendar's window, or the drill's own bound when longer. */
export function neededMs(cal: MarketCalendar, maxDrillSeconds?: number): number {
  return Math.max(cal.drillWindowMinutes * 60_000, (maxDrillSeconds ?? 0) * 1000);
}

export interface NextAllowed {
  /** The first allowed start at or after the asked time; undefined when none within the horizon. */
  atMs?: number;
  /** The windows that pushed the start later, in order (empty when the asked time is allowed). */
  pushedBy: BlockedWindow[];
}

/** The max horizon searched for an allowed start. */
export const SEARCH_HORIZON_MS = 400 * 86_400_000;
const QUICK_HORIZON_MS = 16 * 86_400_000;

/**
 * The first time at or after `fromMs` from which `needMs` are clear of every window in `windows`
 * (sorted by start, as {@link blockedWindows} gives them), before `untilMs`.
 */
export function firstClear(windows: readonly BlockedWindow[], fromMs: number, needMs: number, untilMs: number): NextAllowed {
  let t = fromMs;
  const pushedBy: BlockedWindow[] = [];
  for (const w of windows) {
    if (w.endMs <= t) continue;
    if (w.startMs >= t + needMs) break;
    t = w.endMs;
    pushedBy.push(w);
    if (t >= untilMs) return { pushedBy };
  }
  return t < untilMs ? { atMs: t, pushedBy } : { pushedBy };
}

/** The first allowed drill start at or after `fromMs` (searching {@link SEARCH_HORIZON_MS}). */
export function nextAllowedStart(cal: MarketCalendar, fromMs: number, needMs: number, horizonMs = SEARCH_HORIZON_MS): NextAllowed {
  // Almost always within days: search two weeks first, the whole horizon only when that finds nothing.
  for (const h of [Math.min(QUICK_HORIZON_MS, horizonMs), horizonMs]) {
    const r = firstClear(blockedWindows(cal, fromMs, fromMs + h + needMs), fromMs, needMs, fromMs + h);
    if (r.atMs !== undefined || h === horizonMs) return r;
  }
  return { pushedBy: [] };
}

export type StartCheck =
  | { allowed: true; atMs: number; needMs: number }
  | {
      allowed: false;
      atMs: number;
      needMs: number;
      /** The window the start is inside, else the first one the drill would run into. */
      window: BlockedWindow;
      inside: boolean;
      nextAllowedMs?: number;
      message: string;
    };

/** May a drill that needs `needMs` start at `atMs`? If not: which window blocks it, and when may it. */
export function checkDrillStart(cal: MarketCalendar, atMs: number, needMs: number): StartCheck {
  const tz = cal.timezone;
  const hit = blockedWindows(cal, atMs, atMs + needMs).find((w) => w.startMs < atMs + needMs && w.endMs > atMs);
  if (!hit) return { allowed: true, atMs, needMs };
  const inside = hit.startMs <= atMs;
  const next = nextAllowedStart(cal, atMs, needMs);
  const where = cal.name ? ` (calendar ${cal.name})` : '';
  const at = formatZoned(atMs, tz);
  const why = inside
    ? `${at} is inside the ${describeWindow(hit, tz)}`
    : `a drill started at ${at} needs ${Math.round(needMs / 60000)} min clear ` + `and would run into the ${describeWindow(hit, tz)}`;
  const nextText =
    next.atMs !== undefined
      ? `next allowed start: ${formatZoned(next.atMs, tz)} (${new Date(next.atMs).toISOString()})`
      : `no allowed start within ${Math.round(SEARCH_HORIZON_MS / 86_400_000)} days`;
  return {
    allowed: false,
    atMs,
    needMs,
    window: hit,
    inside,
    ...(next.atMs !== undefined ? { nextAllowedMs: next.atMs } : {}),
    message: `drill refused by the market calendar${where}: ${why}; ${nextText}`,
  };
}

/** Parses a calendar value; errors name the path (`holidays.0.date: expected a date YYYY-MM-DD`). */
export function parseMarketCalendar(value: unknown): { ok: true; value: MarketCalendar } | { ok: false; errors: string[] } {
  const r = marketCalendarSchema.safeParse(value);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    errors: issueLines(r.error, { root: '(calendar)', rootWhenBlank: true }),
  };
}

/** Canonical JSON of the parsed calendar: equal calendars give equal text (for change detection). */
export function calendarFingerprint(cal: MarketCalendar): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, x]) => [k, sort(x)]),
          )
        : v;
  return JSON.stringify(sort(cal));
}

// ---------------------------------------------------------------------------------------------
// The drill's calendar preflight (plain data: an activity's result, read by the workflow)

export interface CalendarCheckResult {
  /** False when the target has no calendar: nothing to refuse. */
  hasCalendar: boolean;
  allowed: boolean;
  /** When the check was made (the activity's clock: when the drill would begin). */
  checkedAt: string;
  calendar?: string;
  needSeconds?: number;
  message?: string;
  window?: { kind: BlockedWindow['kind']; name: string; start: string; end: string };
  nextAllowedAt?: string;
}

/** The check as data. */
export function calendarCheckResult(cal: MarketCalendar | undefined, atMs: number, maxDrillSeconds?: number): CalendarCheckResult {
  const checkedAt = new Date(atMs).toISOString();
  if (!cal) return { hasCalendar: false, allowed: true, checkedAt };
  const need = neededMs(cal, maxDrillSeconds);
  const c = checkDrillStart(cal, atMs, need);
  const base = { hasCalendar: true, checkedAt, calendar: cal.name ?? cal.timezone, needSeconds: need / 1000 };
  if (c.allowed) return { ...base, allowed: true };
  return {
    ...base,
    allowed: false,
    message: c.message,
    window: {
      kind: c.window.kind,
      name: c.window.name,
      start: new Date(c.window.startMs).toISOString(),
      end: new Date(c.window.endMs).toISOString(),
    },
    ...(c.nextAllowedMs !== undefined ? { nextAllowedAt: new Date(c.nextAllowedMs).toISOString() } : {}),
  };
}

/** Why the drill must not start, or undefined when it may. */
export function calendarRefusal(r: CalendarCheckResult): string | undefined {
  return r.hasCalendar && !r.allowed ? (r.message ?? 'drill refused by the market calendar') : undefined;
}
