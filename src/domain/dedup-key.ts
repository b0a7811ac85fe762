/** Paging dedup keys, without zod (workflow code imports them; the page formats are in `paging.ts`). */
import { sha256Hex } from './sha256';

/** PagerDuty's limit for `dedup_key`; we hold every key to it. */
export const MAX_DEDUP_KEY = 255;

/**
 * One dedup key per incident (per run and incident id), at most 255 characters, the same in every
 * run of the timer: `drill-runner/<run>/<incident>` (ids cannot hold `/`), or, when that would be
 * too long, shortened ids plus the SHA-256 of the full pair. `variant` keys a second lifecycle of
 * the same incident (the resolve-SLA escalation, which must page again after an ack).
 */
export function incidentDedupKey(runId: string, incidentId: string, variant?: 'resolve-sla'): string {
  const suffix = variant ? `/${variant}` : '';
  const plain = `drill-runner/${runId}/${incidentId}${suffix}`;
  if (plain.length <= MAX_DEDUP_KEY) return plain;
  const digest = sha256Hex(`${runId}\n${incidentId}`);
  return `drill-runner/${runId.slice(0, 72)}/${incidentId.slice(0, 72)}/${digest}${suffix}`;
}

/** Any key held to {@link MAX_DEDUP_KEY}: kept when short enough, else a prefix plus its SHA-256. */
export function boundDedupKey(key: string): string {
  if (key.length <= MAX_DEDUP_KEY) return key;
  return `${key.slice(0, MAX_DEDUP_KEY - 72)}~sha256:${sha256Hex(key)}`;
}
