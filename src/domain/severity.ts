import { z } from 'zod';
import { SEVERITIES } from './severity-levels';

export { SEVERITIES, severityReaches, type Severity } from './severity-levels';

/** The runbook's severities as a schema (the levels themselves: `severity-levels.ts`). */
export const severitySchema = z.enum(SEVERITIES, { error: 'expected critical or warning' });
