/**
 * Daily bars and the runbook's check "validate latest 30 daily bars for all active symbols": gaps
 * (missing trading days; weekends are not gaps), staleness, non-positive or missing prices, OHLC
 * consistency, too few bars. Pure: the caller fetches the bars (`GET /bars/:symbol?limit=N`) and
 * passes `asOf` (workflow or activity time).
 *
 * Trading days are Monday–Friday minus `holidays` (exchange calendars are not built in: pass them).
 * Issue kinds are those of `dataQualityIssueSchema` (`domain/artifacts.ts`), so results drop straight
 * into a `data_quality_events.jsonl` line ({@link toDataQualityEvent}).
 *
 * Severities: everything that makes a bar unusable (missing, corrupt, non-positive price, OHLC
 * inconsistent, a gap, too few bars) is `critical` and counts as a data quality error; staleness is a
 * `warning` and counts as a stale warning (the runbook's two per-cycle SLOs).
 */
import { z } from 'zod';
import { type DataQualityEvent } from './artifacts';
import { type Severity } from './severity';

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'date must be YYYY-MM-DD' })
  .refine((d) => isRealDate(d), { error: 'date is not a calendar date' });

/** One daily bar as the gateway serves it. Extra fields are tolerated. */
export const dailyBarSchema = z.looseObject({
  date: isoDate,
  open: z.number().finite(),
  high: z.number().finite(),
  low: z.number().finite(),
  close: z.number().finite(),
  volume: z.number().finite().nonnegative(),
});
export type DailyBar = z.infer<typeof dailyBarSchema>;

/** `GET /bars/:symbol` reply body: `{ symbol, bars }`. */
export const dailyBarsResponseSchema = z.looseObject({
  symbol: z.string().min(1),
  bars: z.array(z.unknown()),
});

export type BarIssueKind = 'stale' | 'missing' | 'corrupt' | 'gap' | 'non_positive_price' | 'ohlc_inconsistent';

export interface BarIssue {
  symbol: string;
  kind: BarIssueKind;
  severity: Severity;
  detail: string;
  /** The bar's date when the issue is about one bar. */
  date?: string;
}

export interface ValidateBarsOptions {
  /** Date (`YYYY-MM-DD`) or ISO date-time (its UTC date is used) the data should be current at. */
  asOf: string;
  /** How many latest bars to validate and to require. Default 30 (runbook). */
  count?: number;
  /**
   * Trading days the last bar may lag `asOf` before it is stale. Default 1: on a trading day the
   * previous session's bar is current (today's bar arrives after the close).
   */
  maxStalenessDays?: number;
  /** Exchange holidays (`YYYY-MM-DD`): neither gaps nor staleness. */
  holidays?: readonly string[];
}

export interface BarValidation {
  symbol: string;
  ok: boolean;
  /** Bars looked at (the latest `count`). */
  barsChecked: number;
  lastDate: string | null;
  /** Trading days between the last bar and `asOf` (null without a usable bar). */
  lagTradingDays: number | null;
  issues: BarIssue[];
  /** Critical issues. */
  errors: number;
  /** Staleness issues. */
  staleWarnings: number;
}

const PRICE_FIELDS = ['open', 'high', 'low', 'close'] as const;
const DAY_MS = 86_400_000;

function isRealDate(d: string): boolean {
  const t = Date.parse(`${d}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === d;
}

function dayNumber(d: string): number {
  return Math.floor(Date.parse(`${d}T00:00:00Z`) / DAY_MS);
}

function dateOf(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function isWeekday(day: number): boolean {
  const dow = new Date(day * DAY_MS).getUTCDay();
  return dow !== 0 && dow !== 6;
}

/** Trading days strictly after `fromDay` and up to and including `toDay`. */
function tradingDaysBetween(fromDay: number, toDay: number, holidays: ReadonlySet<string>): number {
  let n = 0;
  for (let d = fromDay + 1; d <= toDay; d++) if (isWeekday(d) && !holidays.has(dateOf(d))) n++;
  return n;
}

function asOfDay(asOf: string): number {
  const d = /^\d{4}-\d{2}-\d{2}$/.test(asOf) ? asOf : new Date(Date.parse(asOf)).toISOString().slice(0, 10);
  return dayNumber(d);
}

/**
 * Validates a symbol's daily bars. `bars` may be raw (unknown) values: anything that is not a bar
 * becomes an issue, never an exception. Order does not matter; the latest `count` by date are checked.
 */
export function validateDailyBars(symbol: string, bars: readonly unknown[], opts: ValidateBarsOptions): BarValidation {
  const count = opts.count ?? 30;
  const maxLag = opts.maxStalenessDays ?? 1;
  const holidays = new Set(opts.holidays ?? []);
  if (!Number.isFinite(Date.parse(opts.asOf))) throw new RangeError(`asOf must be a date or date-time (got ${JSON.stringify(opts.asOf)})`);
  const today = asOfDay(opts.asOf);
  const issues: BarIssue[] = [];
  const add = (kind: BarIssueKind, severity: Severity, detail: string, date?: string) =>
    issues.push({ symbol, kind, severity, detail, ...(date ? { date } : {}) });

  // Keep bars whose date is readable (others are corrupt and cannot be placed in time).
  const dated: Array<{ day: number; date: string; bar: Record<string, unknown> }> = [];
  bars.forEach((raw, i) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      add('corrupt', 'critical', `bar #${i} is not an object`);
      return;
    }
    const bar = raw as Record<string, unknown>;
    const date = bar.date;
    if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date) || !isRealDate(date)) {
      add('corrupt', 'critical', `bar #${i} has no valid date (YYYY-MM-DD)`);
      return;
    }
    dated.push({ day: dayNumber(date), date, bar });
  });
  dated.sort((a, b) => a.day - b.day);

  // Future bars are corrupt; duplicates keep the first.
  const unique: typeof dated = [];
  for (const b of dated) {
    if (b.day > today) {
      add('corrupt', 'critical', `bar dated ${b.date} is after as-of ${dateOf(today)}`, b.date);
      continue;
    }
    const prev = unique[unique.length - 1];
    if (prev && prev.day === b.day) {
      add('corrupt', 'critical', `duplicate bar for ${b.date}`, b.date);
      continue;
    }
    unique.push(b);
  }
  const latest = unique.slice(-count);

  if (latest.length < count) add('missing', 'critical', `only ${latest.length} of ${count} daily bars`);

  for (const { date, bar } of latest) {
    const missing = PRICE_FIELDS.filter((f) => typeof bar[f] !== 'number' || !Number.isFinite(bar[f]));
    if (missing.length) {
      add('missing', 'critical', `missing or non-numeric ${missing.join(', ')}`, date);
      continue;
    }
    const [open, high, low, close] = PRICE_FIELDS.map((f) => bar[f] as number) as [number, number, number, number];
    const nonPositive = PRICE_FIELDS.filter((f) => (bar[f] as number) <= 0);
    if (nonPositive.length) {
      add('non_positive_price', 'critical', `non-positive ${nonPositive.join(', ')}`, date);
      continue;
    }
    if (!(low <= open && low <= close && open <= high && close <= high && low <= high)) {
      add('ohlc_inconsistent', 'critical', `expected low <= open, close <= high (o=${open} h=${high} l=${low} c=${close})`, date);
    }
    const volume = bar.volume;
    if (volume !== undefined && (typeof volume !== 'number' || !Number.isFinite(volume) || volume < 0)) {
      add('corrupt', 'critical', `volume must be a non-negative number`, date);
    }
  }

  for (let k = 1; k < latest.length; k++) {
    const a = latest[k - 1]!;
    const b = latest[k]!;
    const skipped = tradingDaysBetween(a.day, b.day - 1, holidays);
    if (skipped > 0) add('gap', 'critical', `${skipped} trading day(s) missing between ${a.date} and ${b.date}`, b.date);
  }

  const last = latest[latest.length - 1];
  let lag: number | null = null;
  if (last) {
    lag = tradingDaysBetween(last.day, today, holidays);
    if (lag > maxLag) add('stale', 'warning', `last bar ${last.date} is ${lag} trading day(s) behind ${dateOf(today)} (max ${maxLag})`, last.date);
  } else add('stale', 'warning', `no usable bar as of ${dateOf(today)}`);

  const errors = issues.filter((i) => i.severity === 'critical').length;
  const staleWarnings = issues.filter((i) => i.kind === 'stale').length;
  return { symbol, ok: issues.length === 0, barsChecked: latest.length, lastDate: last?.date ?? null, lagTradingDays: lag, issues, errors, staleWarnings };
}

/** One quality cycle's line (`data_quality_events.jsonl` / `data_quality_latest.json`) from results. */
export function toDataQualityEvent(results: readonly BarValidation[], { ts, cycle }: { ts: string; cycle: number }): DataQualityEvent {
  return {
    ts,
    cycle,
    symbols_checked: results.length,
    errors: results.reduce((n, r) => n + r.errors, 0),
    stale_warnings: results.reduce((n, r) => n + r.staleWarnings, 0),
    issues: results.flatMap((r) =>
      r.issues.map((i) => ({ symbol: i.symbol, kind: i.kind, severity: i.severity, detail: i.date ? `${i.date}: ${i.detail}` : i.detail })),
    ),
  };
}
