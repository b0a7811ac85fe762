import { z } from 'zod';

/** The runbook's severities, lowest first. */
export const SEVERITIES = ['warning', 'critical'] as const;
export const severitySchema = z.enum(SEVERITIES, { error: 'expected critical or warning' });
export type Severity = z.infer<typeof severitySchema>;

/** True when `severity` is at least `minimum` (`SLO_PAGING_MIN_SEVERITY`). */
export function severityReaches(severity: Severity, minimum: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(minimum);
}
