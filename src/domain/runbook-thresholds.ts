/**
 * The runbook's numbers, without zod (workflow code reads them). `slo.ts` gives them its schema's
 * type as `DEFAULT_THRESHOLDS`; everything else reads them from there.
 */
export const RUNBOOK_THRESHOLDS = Object.freeze({
  maxConsecutiveMismatchRuns: 3,
  maxDataQualityErrorsPerCycle: 0,
  maxStaleWarningsPerCycle: 0,
  ackSlaSeconds: 900,
  minReconciliationPassRate: 0.995,
  maxOperationalErrorRate: 0.02,
  rtoSeconds: 900,
  rpoSeconds: 60,
});
