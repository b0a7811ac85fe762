import { z } from 'zod';
import { typeError } from './text';

/**
 * Ids that become path segments (`results/runs/<run_id>/`) or workflow ids. One safe alphabet, no
 * dots at the start (so `.` and `..` are impossible), no separators: nothing can escape a root.
 */
export const SAFE_ID = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/;

function safeId(what: string) {
  return z
    .string({ error: typeError(what, 'a string') })
    .min(1, { error: `${what} must not be empty` })
    .max(128, { error: `${what} must be at most 128 characters` })
    .regex(SAFE_ID, { error: `${what} may hold only letters, digits and _ . : - (not starting with . or -), and no path separators` });
}

export const runIdSchema = safeId('run id');
export const incidentIdSchema = safeId('incident id');
export const targetNameSchema = safeId('target name');
export const drillIdSchema = safeId('drill id');
