/**
 * The one safe-id alphabet, without zod (workflow code imports it). Ids that become path segments
 * (`results/runs/<run_id>/`) or workflow ids: no dots at the start (so `.` and `..` are impossible),
 * no separators: nothing can escape a root.
 */
export const SAFE_ID = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/;

/** Why `what` is not a safe id (the message every schema of an id gives). */
export const safeIdMessage = (what: string) => `${what} may hold only letters, digits and _ . : - (not starting with . or -), and no path separators`;
