/**
 * Where the weekly drill runs on a market calendar, and how that becomes a Temporal Schedule spec.
 *
 * The rule, week by week: the calendar's `drillSlot` (e.g. Sunday 03:00 in the calendar's time zone)
 * starts a week; the drill runs at the first time at or after it from which its whole window is clear
 * of sessions and blackouts. No such time before the next week's slot: that week has no drill (a
 * blocked week, which the promotion gate names when the drill is overdue).
 *
 * As a Temporal spec (calendars + skips, evaluated by the server in the calendar's time zone): the
 * most common placement is one weekly calendar entry; each week placed elsewhere gets a skip for the
 * regular time that week and a dated calendar entry for its own time. Dated entries cover a horizon
 * (default a year), so `drill schedule create` is re-run when the calendar changes, and yearly.
 *
 * Daylight saving: the server never fires a wall time the change skips, and fires a repeated one
 * twice. {@link specMatchingTimes} reproduces that; placed runs are always a wall time that exists
 * exactly once, so every week has at most one run.
 */
import { blockedWindows, describeWindow, firstClear, WEEKDAYS, type BlockedWindow, type MarketCalendar, type Weekday } from './market-calendar';
import {
  addDays,
  atMinutes,
  formatLocal,
  formatZoned,
  localToInstant,
  localToInstants,
  parseClock,
  weekdayOf,
  zonedParts,
  type LocalDate,
  type LocalDateTime,
} from './zoned-time';

const DAY_MS = 86_400_000;
const DST_NOTE = 'the slot time does not exist once on this day (daylight saving)';
const WEEK_MS = 7 * DAY_MS;
export const DEFAULT_HORIZON_DAYS = 370;

/** One calendar (or skip) entry of a Temporal Schedule spec, in wall-clock fields of the spec's time zone. */
export interface SpecEntry {
  year?: number;
  /** 1-12. */
  month?: number;
  dayOfMonth?: number;
  dayOfWeek?: Weekday;
  hour: number;
  minute: number;
  comment?: string;
}

export interface PlacementSpec {
  timezone: string;
  calendars: SpecEntry[];
  skip: SpecEntry[];
}

export interface PlannedWeek {
  /** The week's `drillSlot` (its start). */
  slotMs: number;
  /** The next week's slot (this week's end). */
  endMs: number;
  /** When the drill runs this week; absent when the week is blocked. */
  runMs?: number;
  /** Windows that moved the run past the slot (or blocked the week), in order. */
  pushedBy: BlockedWindow[];
}

export interface PlannedRun {
  atMs: number;
  at: string;
  /** Wall clock in the calendar's time zone, `2026-03-14 03:00`. */
  local: string;
  weekday: Weekday;
  /** At the regular weekly time. */
  regular: boolean;
  /** Why it is not at the slot (the windows that pushed it), when it is not. */
  note?: string;
}

export interface BlockedWeek {
  /** The week's slot, wall clock. */
  weekOf: string;
  slotMs: number;
  blockedBy: string[];
}

export interface Placement {
  timezone: string;
  slot: { day: Weekday; at: string };
  needMs: number;
  /** The most common placement: the weekly calendar entry. */
  regular: { day: Weekday; hour: number; minute: number; local: string };
  /** Runs after `fromMs` up to the horizon. */
  runs: PlannedRun[];
  blockedWeeks: BlockedWeek[];
  /** Dated exceptions are encoded up to here; past it the regular weekly time applies unchanged. */
  horizonEndMs: number;
  spec: PlacementSpec;
}

function slotDateOnOrBefore(cal: MarketCalendar, ms: number): LocalDate {
  const p = zonedParts(ms, cal.timezone);
  const want = WEEKDAYS.indexOf(cal.drillSlot.day);
  return addDays(p, -((weekdayOf(p) - want + 7) % 7));
}

function slotInstant(cal: MarketCalendar, d: LocalDate): number {
  return localToInstant(atMinutes(d, parseClock(cal.drillSlot.at)!), cal.timezone, 'earliest');
}

/** Up to the next whole minute. */
const ceilMinute = (ms: number) => Math.ceil(ms / 60000) * 60000;

/** True when the wall time of `ms` (a whole minute) exists exactly once in `tz`. */
function unambiguous(ms: number, tz: string): boolean {
  return localToInstants(zonedParts(ms, tz), tz).length === 1;
}

/**
 * The weeks whose slot lies in `[fromMs - 7 d, toMs]`, each with its run (or none). Windows are
 * computed once for the whole span.
 */
export function planWeeks(cal: MarketCalendar, needMs: number, fromMs: number, toMs: number): PlannedWeek[] {
  const tz = cal.timezone;
  let d = slotDateOnOrBefore(cal, fromMs - WEEK_MS);
  const windows = blockedWindows(cal, slotInstant(cal, d) - DAY_MS, toMs + 2 * WEEK_MS + needMs);
  const weeks: PlannedWeek[] = [];
  for (;;) {
    const slotMs = slotInstant(cal, d);
    if (slotMs > toMs) break;
    const next = addDays(d, 7);
    const endMs = slotInstant(cal, next);
    let r = firstClear(windows, slotMs, needMs, endMs);
    const pushedBy = [...r.pushedBy];
    // A run must be a whole minute that exists once (a repeated wall time would fire twice).
    for (let guard = 0; r.atMs !== undefined && guard < 240; guard++) {
      const at = ceilMinute(r.atMs);
      if (at === r.atMs && unambiguous(at, tz)) break;
      r = firstClear(windows, unambiguous(at, tz) ? at : at + 60000, needMs, endMs);
      pushedBy.push(...r.pushedBy);
    }
    weeks.push({ slotMs, endMs, ...(r.atMs !== undefined ? { runMs: r.atMs } : {}), pushedBy: dedupe(pushedBy) });
    d = next;
  }
  return weeks;
}

function dedupe(ws: BlockedWindow[]): BlockedWindow[] {
  const seen = new Set<string>();
  return ws.filter((w) => {
    const k = `${w.name}@${w.startMs}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function localKey(ms: number, tz: string): { day: Weekday; hour: number; minute: number } {
  const p = zonedParts(ms, tz);
  return { day: WEEKDAYS[p.weekday]!, hour: p.hour, minute: p.minute };
}

/** Instants in `[fromMs, toMs)` whose wall time is the weekly `(day, hour, minute)`. */
function weeklyOccurrences(r: { day: Weekday; hour: number; minute: number }, tz: string, fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  const want = WEEKDAYS.indexOf(r.day);
  for (let d: LocalDate = addDays(zonedParts(fromMs, tz), -1); ; d = addDays(d, 1)) {
    const startOfDay = localToInstant(atMinutes(d, 0), tz);
    if (startOfDay > toMs + DAY_MS) break;
    if (weekdayOf(d) !== want) continue;
    for (const t of localToInstants({ ...d, hour: r.hour, minute: r.minute }, tz)) if (t >= fromMs && t < toMs) out.push(t);
  }
  return out;
}

/** The server refuses a calendar comment over about 200 bytes: ASCII, cut short. */
function clip(comment: string): string {
  const ascii = comment.replace(/→/g, '->').replace(/[^\x20-\x7e]/g, '?');
  return ascii.length > 180 ? `${ascii.slice(0, 177)}...` : ascii;
}

function dated(ms: number, tz: string, comment: string): SpecEntry {
  const p = zonedParts(ms, tz);
  return { year: p.year, month: p.month, dayOfMonth: p.day, hour: p.hour, minute: p.minute, comment: clip(comment) };
}

function why(w: PlannedWeek, tz: string): string[] {
  return w.pushedBy.map((x) => describeWindow(x, tz));
}

/** The weekly drill's placement from `fromMs` over `horizonDays`, and the Temporal spec that runs it. */
export function placeWeeklyDrill(cal: MarketCalendar, needMs: number, fromMs: number, horizonDays = DEFAULT_HORIZON_DAYS): Placement {
  const tz = cal.timezone;
  const horizonEndMs = fromMs + horizonDays * DAY_MS;
  const weeks = planWeeks(cal, needMs, fromMs, horizonEndMs).filter((w) => w.endMs > fromMs);

  // The regular time: the most common placement (ties: the earliest such week).
  const counts = new Map<string, { n: number; key: ReturnType<typeof localKey> }>();
  for (const w of weeks) {
    if (w.runMs === undefined) continue;
    const key = localKey(w.runMs, tz);
    const id = `${key.day} ${key.hour}:${key.minute}`;
    const c = counts.get(id) ?? { n: 0, key };
    c.n++;
    counts.set(id, c);
  }
  let regular = {
    day: cal.drillSlot.day,
    hour: Math.floor(parseClock(cal.drillSlot.at)! / 60),
    minute: parseClock(cal.drillSlot.at)! % 60,
  };
  let best = 0;
  for (const c of counts.values()) {
    if (c.n <= best) continue;
    best = c.n;
    regular = c.key;
  }
  const pad2 = (n: number) => String(n).padStart(2, '0');
  const regularLocal = `${regular.day} ${pad2(regular.hour)}:${pad2(regular.minute)}`;

  const calendars: SpecEntry[] = [
    {
      dayOfWeek: regular.day,
      hour: regular.hour,
      minute: regular.minute,
      comment: `weekly DR drill: first allowed time after ${cal.drillSlot.day} ${cal.drillSlot.at}`,
    },
  ];
  const skip: SpecEntry[] = [];
  const runs: PlannedRun[] = [];
  const blockedWeeks: BlockedWeek[] = [];
  for (const w of weeks) {
    const occurrences = weeklyOccurrences(regular, tz, w.slotMs, w.endMs);
    const isRegular = w.runMs !== undefined && occurrences.length === 1 && occurrences[0] === w.runMs;
    const reasons = why(w, tz);
    if (!isRegular) {
      const because = w.runMs === undefined ? `week blocked: ${reasons.join('; ')}` : `moved to ${formatZoned(w.runMs, tz)}`;
      for (const o of occurrences) {
        const e = dated(o, tz, because);
        // Both copies of a repeated wall time are one skip entry.
        if (!skip.some((x) => x.year === e.year && x.month === e.month && x.dayOfMonth === e.dayOfMonth && x.hour === e.hour && x.minute === e.minute))
          skip.push(e);
      }
      if (w.runMs !== undefined)
        calendars.push(dated(w.runMs, tz, `moved from ${formatLocal(zonedParts(w.slotMs, tz))}${reasons.length ? `: ${reasons.join('; ')}` : ''}`));
    }
    if (w.runMs === undefined) {
      if (w.slotMs <= horizonEndMs) blockedWeeks.push({ weekOf: formatLocal(zonedParts(w.slotMs, tz)), slotMs: w.slotMs, blockedBy: reasons });
      continue;
    }
    if (w.runMs <= fromMs || w.runMs > horizonEndMs) continue;
    const key = localKey(w.runMs, tz);
    runs.push({
      atMs: w.runMs,
      at: new Date(w.runMs).toISOString(),
      local: formatLocal(zonedParts(w.runMs, tz)),
      weekday: key.day,
      regular: isRegular,
      ...(w.runMs !== w.slotMs
        ? {
            note: `after ${formatLocal(zonedParts(w.slotMs, tz))}: ${reasons.join('; ') || DST_NOTE}`,
          }
        : {}),
    });
  }
  return {
    timezone: tz,
    slot: { ...cal.drillSlot },
    needMs,
    regular: { ...regular, local: regularLocal },
    runs,
    blockedWeeks,
    horizonEndMs,
    spec: { timezone: tz, calendars, skip },
  };
}

// ---------------------------------------------------------------------------------------------
// The server's matching, for the entries this module writes (checked against the server in tests)

function entryMatches(e: SpecEntry, l: LocalDateTime & { weekday: number }): boolean {
  return (
    (e.year === undefined || e.year === l.year) &&
    (e.month === undefined || e.month === l.month) &&
    (e.dayOfMonth === undefined || e.dayOfMonth === l.day) &&
    (e.dayOfWeek === undefined || WEEKDAYS.indexOf(e.dayOfWeek) === l.weekday) &&
    e.hour === l.hour &&
    e.minute === l.minute
  );
}

/**
 * The times a spec of {@link SpecEntry} calendars and skips matches in `(fromMs, toMs]`, as the
 * Temporal server computes them: a calendar matches an instant when the instant's wall-clock fields
 * in the spec's time zone match (so a skipped wall time never matches and a repeated one matches
 * twice); a skip entry removes what it matches.
 */
export function specMatchingTimes(spec: PlacementSpec, fromMs: number, toMs: number): number[] {
  const tz = spec.timezone;
  const out = new Set<number>();
  for (let d: LocalDate = addDays(zonedParts(fromMs, tz), -1); localToInstant(atMinutes(d, 0), tz) <= toMs + DAY_MS; d = addDays(d, 1)) {
    const wd = weekdayOf(d);
    for (const c of spec.calendars) {
      const l = { ...d, hour: c.hour, minute: c.minute, weekday: wd };
      if (!entryMatches(c, l)) continue;
      for (const t of localToInstants(l, tz)) {
        if (t <= fromMs || t > toMs) continue;
        const tl = { ...zonedParts(t, tz) };
        if (!spec.skip.some((s) => entryMatches(s, tl))) out.add(t);
      }
    }
  }
  return [...out].sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------
// Why a drill is overdue

export interface SlotReview {
  /** Weeks whose every start was blocked. */
  blocked: BlockedWeek[];
  /** Allowed runs in the period (the drill could have run there). */
  allowed: PlannedRun[];
  text: string;
}

/**
 * The weekly slots between `sinceMs` and `nowMs`: which were blocked by the calendar (and by what),
 * which were allowed. The promotion gate's overdue check prints `text`.
 */
export function reviewSlots(cal: MarketCalendar, needMs: number, sinceMs: number, nowMs: number): SlotReview {
  const tz = cal.timezone;
  const weeks = planWeeks(cal, needMs, sinceMs, nowMs).filter((w) => w.endMs > sinceMs && w.slotMs <= nowMs);
  const blocked: BlockedWeek[] = [];
  const allowed: PlannedRun[] = [];
  for (const w of weeks) {
    if (w.runMs === undefined) {
      // No allowed start anywhere in the week (also in one still under way).
      blocked.push({ weekOf: formatLocal(zonedParts(w.slotMs, tz)), slotMs: w.slotMs, blockedBy: why(w, tz) });
    } else if (w.runMs > sinceMs && w.runMs <= nowMs) {
      const k = localKey(w.runMs, tz);
      allowed.push({
        atMs: w.runMs,
        at: new Date(w.runMs).toISOString(),
        local: formatLocal(zonedParts(w.runMs, tz)),
        weekday: k.day,
        regular: w.runMs === w.slotMs,
      });
    }
  }
  const since = formatZoned(sinceMs, tz);
  const blockedText = blocked.map((b) => `week of ${b.weekOf}: ${b.blockedBy.join('; ') || 'no clear window'}`).join(' | ');
  let text: string;
  if (blocked.length && !allowed.length) text = `every weekly drill slot since ${since} was blocked by the market calendar — ${blockedText}`;
  else if (blocked.length)
    text =
      `${blocked.length} weekly slot(s) since ${since} blocked by the market calendar (${blockedText}); ` +
      `allowed slots at ${allowed.map((a) => a.local).join(', ')} had no passing drill`;
  else if (allowed.length)
    text =
      `the market calendar allowed ${allowed.length} slot(s) since ${since} ` +
      `(${allowed.map((a) => a.local).join(', ')} ${tz}): the drill did not run or did not pass there`;
  else text = `no weekly slot has come up since ${since}`;
  return { blocked, allowed, text };
}

/** What the promotion gate's overdue check is told about a target's calendar (gathered by an activity). */
export interface DrillCalendarReview {
  target: string;
  calendar: string;
  since: string;
  until: string;
  blockedWeeks: Array<{ weekOf: string; blockedBy: string[] }>;
  allowedSlots: string[];
  text: string;
}

export function drillCalendarReview(target: string, cal: MarketCalendar, needMs: number, sinceMs: number, nowMs: number): DrillCalendarReview {
  const r = reviewSlots(cal, needMs, sinceMs, nowMs);
  return {
    target,
    calendar: cal.name ?? cal.timezone,
    since: new Date(sinceMs).toISOString(),
    until: new Date(nowMs).toISOString(),
    blockedWeeks: r.blocked.map((b) => ({ weekOf: b.weekOf, blockedBy: b.blockedBy })),
    allowedSlots: r.allowed.map((a) => a.at),
    text: r.text,
  };
}
