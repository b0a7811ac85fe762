import { dataQualityEventSchema, dataQualityIssueSchema } from '../../src/domain/artifacts';
import { dailyBarSchema, toDataQualityEvent, validateDailyBars, type DailyBar } from '../../src/domain/market-data';

/** `n` clean bars on consecutive weekdays ending at `last` (inclusive). */
function weekdayBars(last: string, n: number): DailyBar[] {
  const out: DailyBar[] = [];
  let t = Date.parse(`${last}T00:00:00Z`);
  while (out.length < n) {
    const d = new Date(t);
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) {
      const p = 100 + out.length;
      out.push({ date: d.toISOString().slice(0, 10), open: p, high: p + 2, low: p - 2, close: p + 1, volume: 1000 });
    }
    t -= 86_400_000;
  }
  return out.reverse();
}

// Friday 2025-03-14; asOf Monday 2025-03-17 morning: Friday's bar is current (lag 1 trading day).
const FRI = '2025-03-14';
const MON = '2025-03-17T08:00:00Z';

describe('validateDailyBars', () => {
  it('30 clean weekday bars are ok; weekends are not gaps', () => {
    const r = validateDailyBars('AAPL', weekdayBars(FRI, 30), { asOf: MON });
    expect(r.issues).toEqual([]);
    expect(r).toMatchObject({ ok: true, barsChecked: 30, lastDate: FRI, lagTradingDays: 1, errors: 0, staleWarnings: 0 });
  });

  it('bars in any order; only the latest 30 are checked', () => {
    const bars = weekdayBars(FRI, 40).reverse();
    bars[39] = { ...bars[39]!, close: -1 }; // the oldest bar, outside the window
    const r = validateDailyBars('AAPL', bars, { asOf: MON });
    expect(r.ok).toBe(true);
    expect(r.barsChecked).toBe(30);
  });

  it('fewer than 30 bars is a critical missing issue', () => {
    const r = validateDailyBars('AAPL', weekdayBars(FRI, 29), { asOf: MON });
    expect(r.issues).toEqual([expect.objectContaining({ kind: 'missing', severity: 'critical', detail: 'only 29 of 30 daily bars' })]);
    expect(r.errors).toBe(1);
  });

  it('a missing weekday is a gap; a listed holiday is not', () => {
    const bars = weekdayBars(FRI, 31).filter((b) => b.date !== '2025-03-12');
    const r = validateDailyBars('AAPL', bars, { asOf: MON });
    expect(r.issues).toEqual([expect.objectContaining({ kind: 'gap', severity: 'critical', date: '2025-03-13' })]);
    expect(validateDailyBars('AAPL', bars, { asOf: MON, holidays: ['2025-03-12'] }).ok).toBe(true);
  });

  it('staleness in trading days: Friday bar on Tuesday is stale, on Monday is not', () => {
    const bars = weekdayBars(FRI, 30);
    expect(validateDailyBars('AAPL', bars, { asOf: '2025-03-17' }).ok).toBe(true);
    const r = validateDailyBars('AAPL', bars, { asOf: '2025-03-18T10:00:00Z' });
    expect(r.issues).toEqual([expect.objectContaining({ kind: 'stale', severity: 'warning' })]);
    expect(r).toMatchObject({ lagTradingDays: 2, staleWarnings: 1, errors: 0 });
    expect(validateDailyBars('AAPL', bars, { asOf: '2025-03-18', maxStalenessDays: 2 }).ok).toBe(true);
  });

  it('non-positive and missing prices', () => {
    const bars: unknown[] = weekdayBars(FRI, 30);
    bars[10] = { ...(bars[10] as DailyBar), low: 0 };
    bars[11] = { ...(bars[11] as DailyBar), close: null };
    const { open: _drop, ...noOpen } = bars[12] as DailyBar;
    bars[12] = noOpen;
    const r = validateDailyBars('AAPL', bars, { asOf: MON });
    expect(r.issues.map((i) => i.kind).sort()).toEqual(['missing', 'missing', 'non_positive_price']);
    expect(r.issues.find((i) => i.kind === 'non_positive_price')?.detail).toMatch(/low/);
    expect(r.errors).toBe(3);
  });

  it('OHLC consistency: low <= open, close <= high', () => {
    const bars = weekdayBars(FRI, 30);
    bars[5] = { ...bars[5]!, high: bars[5]!.close - 0.5 };
    bars[6] = { ...bars[6]!, low: bars[6]!.open + 0.1 };
    bars[7] = { ...bars[7]!, open: bars[7]!.high, close: bars[7]!.low }; // edges are fine
    const r = validateDailyBars('AAPL', bars, { asOf: MON });
    expect(r.issues.map((i) => [i.kind, i.date])).toEqual([
      ['ohlc_inconsistent', bars[5]!.date],
      ['ohlc_inconsistent', bars[6]!.date],
    ]);
  });

  it('garbage, duplicates and future bars are corrupt, never thrown', () => {
    const bars: unknown[] = [
      ...weekdayBars(FRI, 30),
      null,
      'x',
      { date: '2025-02-30', open: 1 },
      { ...weekdayBars(FRI, 1)[0]! },
      { ...weekdayBars('2025-03-18', 1)[0]! },
    ];
    const r = validateDailyBars('AAPL', bars, { asOf: MON });
    expect(r.issues.map((i) => i.kind)).toEqual(['corrupt', 'corrupt', 'corrupt', 'corrupt', 'corrupt']);
    expect(r.barsChecked).toBe(30);
  });

  it('no bars at all: missing and stale', () => {
    const r = validateDailyBars('AAPL', [], { asOf: MON });
    expect(r.issues.map((i) => i.kind)).toEqual(['missing', 'stale']);
    expect(r.lastDate).toBeNull();
  });

  it('issue kinds and the cycle line match the artifact schemas', () => {
    const bad = weekdayBars(FRI, 30);
    bad[3] = { ...bad[3]!, high: 1 };
    const results = [validateDailyBars('AAPL', bad, { asOf: MON }), validateDailyBars('MSFT', weekdayBars('2025-03-10', 30), { asOf: MON })];
    for (const r of results) for (const i of r.issues) expect(dataQualityIssueSchema.safeParse(i).success).toBe(true);
    const line = toDataQualityEvent(results, { ts: '2025-03-17T08:00:00Z', cycle: 7 });
    expect(dataQualityEventSchema.parse(line)).toMatchObject({ cycle: 7, symbols_checked: 2, errors: 1, stale_warnings: 1 });
  });

  it('dailyBarSchema parses a served bar and names a bad field', () => {
    expect(dailyBarSchema.safeParse(weekdayBars(FRI, 1)[0]).success).toBe(true);
    const r = dailyBarSchema.safeParse({ date: '2025/03/14', open: 1, high: 1, low: 1, close: 1, volume: 0 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['date']);
  });
});
