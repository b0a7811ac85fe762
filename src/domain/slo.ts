/**
 * The runbook's operational SLO thresholds in one place: their schema, the runbook's numbers
 * ({@link DEFAULT_THRESHOLDS}), overrides (config file, workflow input) and the `SLO_*` environment
 * variables. No I/O, no clock: workflows and activities both import this.
 *
 * The rest of the SLO maths is beside it: the event shapes the folds read and their light line
 * validators (`slo-events.ts`), the folded state (`slo-fold.ts`) and the criteria with their
 * verdicts (`slo-evaluation.ts`).
 */
import { z } from 'zod';
import { RUNBOOK_THRESHOLDS } from './runbook-thresholds';

export const sloThresholdsSchema = z.object({
  /** Breach when the consecutive order mismatch run reaches this (runbook: `< 3`). */
  maxConsecutiveMismatchRuns: z.number().int().positive(),
  maxDataQualityErrorsPerCycle: z.number().int().nonnegative(),
  maxStaleWarningsPerCycle: z.number().int().nonnegative(),
  /** Critical incident acknowledgment SLA (runbook: `<= 15 minutes`). */
  ackSlaSeconds: z.number().positive(),
  /** Fraction, 0..1 (runbook: `>= 99.5%`). */
  minReconciliationPassRate: z.number().min(0).max(1),
  /** Fraction, 0..1 (runbook: `<= 2.0%`). */
  maxOperationalErrorRate: z.number().min(0).max(1),
  rtoSeconds: z.number().positive(),
  rpoSeconds: z.number().positive(),
});
export type SloThresholds = z.infer<typeof sloThresholdsSchema>;

/** The runbook's numbers. */
export const DEFAULT_THRESHOLDS: Readonly<SloThresholds> = RUNBOOK_THRESHOLDS;

/** Overrides (config file, workflow input): any subset, unknown keys rejected. */
export const sloThresholdOverridesSchema = sloThresholdsSchema.partial().strict();
export type SloThresholdOverrides = z.infer<typeof sloThresholdOverridesSchema>;

/** Defaults with `overrides` applied; throws a zod error naming the bad key. */
export function resolveThresholds(overrides: unknown = {}, base: SloThresholds = DEFAULT_THRESHOLDS): SloThresholds {
  return { ...base, ...sloThresholdOverridesSchema.parse(overrides ?? {}) };
}

/**
 * Environment variable for each threshold. Rates accept a fraction (`0.995`) or a percentage
 * (`99.5%`); the others are plain numbers.
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `SLO_MAX_CONSECUTIVE_MISMATCH_RUNS` | 3 | breach when the order mismatch streak reaches it |
 * | `SLO_MAX_DATA_QUALITY_ERRORS` | 0 | data quality errors allowed per cycle |
 * | `SLO_MAX_STALE_WARNINGS` | 0 | stale warnings allowed per cycle |
 * | `SLO_ACK_SLA_SECONDS` | 900 | critical incident ack SLA |
 * | `SLO_MIN_RECONCILIATION_PASS_RATE` | 0.995 | minimum reconciliation pass rate |
 * | `SLO_MAX_OPERATIONAL_ERROR_RATE` | 0.02 | maximum operational error rate |
 * | `SLO_RTO_SECONDS` | 900 | recovery time objective |
 * | `SLO_RPO_SECONDS` | 60 | recovery point objective (runtime state age) |
 */
export const SLO_ENV_VARIABLES = {
  SLO_MAX_CONSECUTIVE_MISMATCH_RUNS: 'maxConsecutiveMismatchRuns',
  SLO_MAX_DATA_QUALITY_ERRORS: 'maxDataQualityErrorsPerCycle',
  SLO_MAX_STALE_WARNINGS: 'maxStaleWarningsPerCycle',
  SLO_ACK_SLA_SECONDS: 'ackSlaSeconds',
  SLO_MIN_RECONCILIATION_PASS_RATE: 'minReconciliationPassRate',
  SLO_MAX_OPERATIONAL_ERROR_RATE: 'maxOperationalErrorRate',
  SLO_RTO_SECONDS: 'rtoSeconds',
  SLO_RPO_SECONDS: 'rpoSeconds',
} as const satisfies Record<string, keyof SloThresholds>;

const RATE_KEYS = new Set<keyof SloThresholds>(['minReconciliationPassRate', 'maxOperationalErrorRate']);

export class SloConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid SLO thresholds:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SloConfigError';
  }
}

/**
 * Thresholds from `SLO_*` variables (see {@link SLO_ENV_VARIABLES}); unset or empty → default.
 * Throws {@link SloConfigError} naming every bad variable. `env` is passed in (domain code reads no
 * globals).
 */
export function thresholdsFromEnv(env: Readonly<Record<string, string | undefined>>, base: SloThresholds = DEFAULT_THRESHOLDS): SloThresholds {
  const overrides: Record<string, number> = {};
  const problems: string[] = [];
  for (const [name, key] of Object.entries(SLO_ENV_VARIABLES)) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    const pct = RATE_KEYS.has(key) && raw.endsWith('%');
    const n = Number(pct ? raw.slice(0, -1) : raw);
    if (!Number.isFinite(n)) {
      problems.push(`${name}: expected a number${RATE_KEYS.has(key) ? ' (0.995 or 99.5%)' : ''} (got "${raw}")`);
      continue;
    }
    overrides[key] = pct ? n / 100 : n;
  }
  const r = sloThresholdOverridesSchema.safeParse(overrides);
  if (!r.success) {
    for (const issue of r.error.issues) {
      const key = String(issue.path[0]);
      const name = Object.entries(SLO_ENV_VARIABLES).find(([, k]) => k === key)?.[0] ?? key;
      problems.push(`${name}: ${issue.message} (got "${env[name]}")`);
    }
  }
  if (problems.length) throw new SloConfigError(problems);
  return { ...base, ...(r.data ?? {}) };
}
