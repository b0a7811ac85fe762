/**
 * Daily bars per symbol, generated from the seed: a random walk over business days ending on the
 * last business day before today (UTC). Faults change what is served: `stale_data` ends the series
 * ten business days early; `corrupt_bars` spoils a few bars (non-positive price, missing close,
 * high below low). The data quality cycle here is the sandbox's own simple check; the runner's
 * validation of the latest 30 bars lives in the market-data module.
 */
import { rngFor } from '../domain/rng';

const DAY_MS = 86_400_000;

/**
 * A bar as served. Prices may be null or non-positive when `corrupt_bars` is on: that is what the
 * runner's validation (`domain/market-data.ts`) must catch.
 */
export interface DailyBar {
  date: string;
  open: number | null;
  high: number | null;
  low: number | null;
  close: number | null;
  volume: number;
}

function isWeekday(ms: number): boolean {
  const d = new Date(ms).getUTCDay();
  return d !== 0 && d !== 6;
}

function utcMidnight(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** The last business day strictly before `nowMs`'s day (today's bar is not closed yet). */
export function lastClosedBusinessDay(nowMs: number): number {
  let d = utcMidnight(nowMs) - DAY_MS;
  while (!isWeekday(d)) d -= DAY_MS;
  return d;
}

export function businessDaysBack(fromMs: number, n: number): number {
  let d = fromMs;
  let left = n;
  while (left > 0) {
    d -= DAY_MS;
    if (isWeekday(d)) left--;
  }
  return d;
}

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface BarOptions {
  seed: number;
  history: number;
  nowMs: number;
  stale: boolean;
  corrupt: boolean;
}

/** Oldest first. */
export function generateBars(symbol: string, o: BarOptions): DailyBar[] {
  const last = o.stale ? businessDaysBack(lastClosedBusinessDay(o.nowMs), 10) : lastClosedBusinessDay(o.nowMs);
  const days: number[] = [];
  for (let d = last; days.length < o.history; d -= DAY_MS) if (isWeekday(d)) days.push(d);
  days.reverse();
  // The walk is anchored to the calendar day so a bar's values do not change from one call to the next.
  const bars: DailyBar[] = [];
  for (const day of days) {
    const rng = rngFor(o.seed, `bar:${symbol}:${isoDate(day)}`);
    const base = 50 + rngFor(o.seed, `base:${symbol}`)() * 400;
    const drift = Math.sin(day / DAY_MS / 17) * base * 0.1;
    const open = round2(base + drift + (rng() - 0.5) * 4);
    const close = round2(open + (rng() - 0.5) * 6);
    const high = round2(Math.max(open, close) + rng() * 3);
    const low = round2(Math.max(0.01, Math.min(open, close) - rng() * 3));
    bars.push({ date: isoDate(day), open, high, low, close, volume: Math.floor(1e5 + rng() * 5e6) });
  }
  if (o.corrupt && bars.length > 0) {
    const rng = rngFor(o.seed, `corrupt:${symbol}`);
    // Always spoil the latest bar (so the latest 30 always show it), plus two more in the window.
    const n = bars.length;
    const idx = [n - 1, n - 2 - Math.floor(rng() * 8), n - 12 - Math.floor(rng() * 10)].filter((i) => i >= 0);
    const spoil = [
      (b: DailyBar) => ({ ...b, close: -Math.abs(b.close ?? 1) }),
      (b: DailyBar) => ({ ...b, close: null }),
      (b: DailyBar) => ({ ...b, high: (b.low ?? 1) - 1 }),
    ];
    idx.forEach((i, k) => {
      bars[i] = spoil[k % spoil.length]!(bars[i]!);
    });
  }
  return bars;
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

export type BarFinding = {
  symbol: string;
  kind: 'stale' | 'missing' | 'corrupt' | 'non_positive_price' | 'ohlc_inconsistent';
  severity: 'critical' | 'warning';
  detail: string;
} & Record<string, unknown>;

/** The sandbox's own data quality check over the latest bars of one symbol. */
export function checkBars(symbol: string, bars: readonly DailyBar[], nowMs: number): BarFinding[] {
  const out: BarFinding[] = [];
  const latest = bars.at(-1);
  if (!latest) return [{ symbol, kind: 'missing', severity: 'critical', detail: 'no bars' }];
  const expected = isoDate(lastClosedBusinessDay(nowMs));
  if (latest.date < expected) out.push({ symbol, kind: 'stale', severity: 'warning', detail: `latest bar ${latest.date}, expected ${expected}` });
  for (const b of bars) {
    const prices = [b.open, b.high, b.low, b.close];
    if (prices.some((p) => p === null || p === undefined)) out.push({ symbol, kind: 'missing', severity: 'critical', detail: `${b.date}: missing price` });
    else if (prices.some((p) => (p as number) <= 0))
      out.push({ symbol, kind: 'non_positive_price', severity: 'critical', detail: `${b.date}: non-positive price` });
    else if (
      (b.high as number) < Math.max(b.open as number, b.close as number, b.low as number) ||
      (b.low as number) > Math.min(b.open as number, b.close as number)
    ) {
      out.push({ symbol, kind: 'ohlc_inconsistent', severity: 'critical', detail: `${b.date}: high/low inconsistent with open/close` });
    }
  }
  return out;
}
