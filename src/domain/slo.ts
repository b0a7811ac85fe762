/**
 * The runbook's operational SLO thresholds in one place: their schema, the runbook's numbers
 * ({@link DEFAULT_THRESHOLDS}) and overrides (config file, workflow input). No I/O, no clock:
 * workflows and activities both import this. The `SLO_*` environment variables that override them
 * are declared, checked and documented with the rest of the configuration (`src/config.ts`).
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
