/**
 * Wall-clock time in an IANA time zone, with the platform's `Intl` (no date library). Pure: the
 * same instant and zone always give the same answer on one machine's time zone data.
 *
 * Local times that do not exist (the hour skipped when daylight saving starts) or exist twice (the
 * hour repeated when it ends) are explicit: {@link localToInstants} returns 0, 1 or 2 instants, the
 * way a Temporal Schedule's calendar matches them (a skipped time never fires, a repeated one fires
 * twice).
 */

/** A wall-clock date and time; month 1-12, weekday 0 = Sunday. */
export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

export interface ZonedParts extends LocalDateTime {
  second: number;
  weekday: number;
}

/** A wall-clock date. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
      era: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** True when the platform knows `tz` as a time zone (`UTC`, `Europe/London`, ...). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock fields of an instant in `tz`. */
export function zonedParts(ms: number, tz: string): ZonedParts {
  const out: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(ms)) out[p.type] = p.value;
  const year = out.era === 'BC' ? 1 - Number(out.year) : Number(out.year);
  return {
    year,
    month: Number(out.month),
    day: Number(out.day),
    hour: Number(out.hour) % 24,
    minute: Number(out.minute),
    second: Number(out.second),
    weekday: WEEKDAYS[out.weekday ?? ''] ?? 0,
  };
}

/** The wall-clock fields as if they were UTC, in ms (a plain number to do arithmetic on). */
function naiveMs(l: LocalDateTime): number {
  return Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, 0, 0);
}

/** Minutes `tz` is ahead of UTC at the instant `ms`. */
export function offsetMinutes(ms: number, tz: string): number {
  const p = zonedParts(ms, tz);
  const wholeSecond = Math.floor(ms / 1000) * 1000;
  return Math.round((naiveMs(p) + p.second * 1000 - wholeSecond) / 60000);
}

function sameLocal(a: LocalDateTime, b: LocalDateTime): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day && a.hour === b.hour && a.minute === b.minute;
}

/**
 * Every instant whose wall-clock time in `tz` is `l` (seconds 0): none in a daylight-saving gap, two
 * in a repeated hour, else one. Sorted.
 */
export function localToInstants(l: LocalDateTime, tz: string): number[] {
  const naive = naiveMs(l);
  const offsets = new Set([-1, 0, 1].map((d) => offsetMinutes(naive + d * 86_400_000, tz)));
  const found = new Set<number>();
  for (const o of offsets) {
    const t = naive - o * 60000;
    if (sameLocal(zonedParts(t, tz), l)) found.add(t);
  }
  return [...found].sort((a, b) => a - b);
}

/**
 * One instant for `l`: in a repeated hour the earlier (`'earliest'`) or the later (`'latest'`); in a
 * gap, the wall time moved forward by the gap (02:30 in a 02:00→03:00 gap is 03:30), as Go's
 * `time.Date` (and so the Temporal server) reads it.
 */
export function localToInstant(l: LocalDateTime, tz: string, pick: 'earliest' | 'latest' = 'earliest'): number {
  const all = localToInstants(l, tz);
  if (all.length) return pick === 'earliest' ? all[0]! : all[all.length - 1]!;
  const naive = naiveMs(l);
  return naive - offsetMinutes(naive - 86_400_000, tz) * 60000;
}

/** `date` plus `n` days (calendar arithmetic, no time zone involved). */
export function addDays(date: LocalDate, n: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + n));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** 0 = Sunday. */
export function weekdayOf(date: LocalDate): number {
  return new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Whole days from `a` to `b`. */
export function daysBetween(a: LocalDate, b: LocalDate): number {
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86_400_000);
}

export function compareDates(a: LocalDate, b: LocalDate): number {
  return daysBetween(b, a);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `2026-03-08`. */
export function formatDate(d: LocalDate): string {
  return `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}`;
}

/** `2026-03-08 03:00`. */
export function formatLocal(l: LocalDateTime): string {
  return `${formatDate(l)} ${pad(l.hour)}:${pad(l.minute)}`;
}

/** `2026-03-08 03:00 America/New_York`: an instant as the zone's wall clock shows it. */
export function formatZoned(ms: number, tz: string): string {
  return `${formatLocal(zonedParts(ms, tz))} ${tz}`;
}

/** Parses `YYYY-MM-DD`; undefined when malformed or not a real date. */
export function parseDate(s: string): LocalDate | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return undefined;
  const d = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  return d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= daysInMonth(d.year, d.month) ? d : undefined;
}

/** Parses `HH:MM` (00:00-23:59, and `24:00` when `allow24`) into minutes of the day. */
export function parseClock(s: string, allow24 = false): number | undefined {
  const m = /^(\d{2}):(\d{2})$/.exec(s);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59) return undefined;
  if (h < 24) return h * 60 + min;
  return allow24 && h === 24 && min === 0 ? 1440 : undefined;
}

/** Parses `YYYY-MM-DDTHH:MM`. */
export function parseLocalDateTime(s: string): LocalDateTime | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})$/.exec(s);
  if (!m) return undefined;
  const d = parseDate(m[1]!);
  const c = parseClock(m[2]!);
  return d && c !== undefined ? { ...d, hour: Math.floor(c / 60), minute: c % 60 } : undefined;
}

/** A date at minutes-of-day (1440 = the next day's midnight). */
export function atMinutes(d: LocalDate, minutes: number): LocalDateTime {
  const day = addDays(d, Math.floor(minutes / 1440));
  const m = ((minutes % 1440) + 1440) % 1440;
  return { ...day, hour: Math.floor(m / 60), minute: m % 60 };
}
