/** The runbook's severities, without zod (workflow code imports them; the schema is in `severity.ts`). */

/** Lowest first. */
export const SEVERITIES = ['warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** True when `severity` is at least `minimum` (`SLO_PAGING_MIN_SEVERITY`). */
export function severityReaches(severity: Severity, minimum: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(minimum);
}
