/**
 * Market data adapter: the target's daily bars (`GET <gatewayUrl>/bars/:symbol?limit=N`), validated
 * with `domain/market-data.ts` (runbook: "validate latest 30 daily bars for all active symbols").
 * An unreachable source is an answer (`reachable: false`), not an error.
 */
import { dailyBarsResponseSchema, validateDailyBars, type BarValidation } from '../domain/market-data';
import { type TargetConfig } from '../domain/target';
import { errorKind, getJson } from './target-input';

export interface SymbolBars {
  symbol: string;
  reachable: boolean;
  status?: number;
  error?: string;
  validation?: BarValidation;
}

export interface MarketDataCheck {
  checkedAt: string;
  /** Every symbol's bars could be fetched. */
  reachable: boolean;
  symbols: SymbolBars[];
  errors: number;
  staleWarnings: number;
  issues: string[];
}

/** Fetches and validates the latest `count` bars of every active symbol of `t`. */
export async function checkMarketData(t: TargetConfig, { count = 30, timeoutMs = 5000, now = new Date() } = {}): Promise<MarketDataCheck> {
  const checkedAt = now.toISOString();
  const symbols = await Promise.all(
    t.symbols.map(async (symbol): Promise<SymbolBars> => {
      try {
        const r = await getJson(`${t.gatewayUrl}/bars/${encodeURIComponent(symbol)}?limit=${count}`, timeoutMs);
        if (r.status !== 200) return { symbol, reachable: false, status: r.status, error: `bars answered ${r.status}` };
        const body = dailyBarsResponseSchema.safeParse(r.body);
        if (!body.success) return { symbol, reachable: true, status: r.status, validation: validateDailyBars(symbol, [], { asOf: checkedAt, count }) };
        return { symbol, reachable: true, status: r.status, validation: validateDailyBars(symbol, body.data.bars, { asOf: checkedAt, count }) };
      } catch (err) {
        return { symbol, reachable: false, error: `unreachable (${errorKind(err)})` };
      }
    }),
  );
  const issues = symbols.flatMap((s) =>
    (s.validation?.issues ?? []).map((i) => `${s.symbol} ${i.kind}: ${i.detail}`).concat(s.reachable ? [] : [`${s.symbol}: ${s.error}`]),
  );
  return {
    checkedAt,
    reachable: symbols.every((s) => s.reachable),
    symbols,
    errors: symbols.reduce((n, s) => n + (s.validation?.errors ?? 0), 0),
    staleWarnings: symbols.reduce((n, s) => n + (s.validation?.staleWarnings ?? 0), 0),
    issues: issues.slice(0, 20),
  };
}
