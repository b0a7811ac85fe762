/**
 * Anchors of the runner's hash-chained audit log: its head (how many lines, the hash of the last)
 * recorded outside the log, so `drill audit verify` can tell a log that was cut short, wiped or
 * rewritten with recomputed hashes from an intact one. The chain alone cannot: every prefix of a
 * valid chain is valid, and a chain recomputed after an edit is valid too. Pure schemas.
 *
 * Anchors live in three places: the checkpoint beside the log (rewritten atomically after every
 * append, so truncating the log cannot also remove it), each drill report (`auditHead`), and each
 * promotion evidence bundle (`audit-head.json`, covered by the bundle's manifest).
 */
import { z } from 'zod';

/** The hash a chain starts from (the `prev_hash` of line 1). */
export const GENESIS_HASH = 'sha256:0';

const chainHash = z.string().regex(/^sha256:([0-9a-f]{64}|0)$/, { error: 'expected sha256:<64 hex digits>' });

/** The chain's head: `length` lines, the last of which has `hash` (`GENESIS_HASH` for an empty log). */
export const auditHeadSchema = z.object({
  length: z.number().int().nonnegative(),
  hash: chainHash,
});
export type AuditHead = z.infer<typeof auditHeadSchema>;

/** `audit/drill-runner.checkpoint.json`: the head after the latest append. */
export const auditCheckpointSchema = auditHeadSchema.extend({
  schemaVersion: z.literal(1),
  /** File name of the log it anchors (beside it). */
  log: z.string().min(1),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type AuditCheckpoint = z.infer<typeof auditCheckpointSchema>;

/** `audit-head.json` in an evidence bundle, and `auditHead` in a drill report. */
export const recordedAuditHeadSchema = auditHeadSchema.extend({
  /** The log, relative to the results folder (`audit/drill-runner.jsonl`). */
  log: z.string().min(1),
  recordedAt: z.iso.datetime({ offset: true }),
});
export type RecordedAuditHead = z.infer<typeof recordedAuditHeadSchema>;

/** One place that says how long the chain was and how it ended. */
export interface AuditAnchor extends AuditHead {
  /** Where the anchor was found, for the message (`checkpoint`, `drills/d1/report.json`). */
  source: string;
}

/**
 * Problems with the chain as anchored: `hashes[i]` is the `hash` written on line i+1 (undefined
 * for a line that is not JSON). A log shorter than an anchor lost lines at its end (or was wiped);
 * a different hash at the anchored line means the lines up to it were rewritten (or reordered, or
 * some removed and the rest re-chained).
 */
export function checkAnchors(hashes: ReadonlyArray<string | undefined>, anchors: readonly AuditAnchor[]): string[] {
  const problems: string[] = [];
  for (const a of anchors) {
    if (a.length === 0) continue;
    if (hashes.length < a.length) {
      problems.push(
        hashes.length === 0
          ? `${a.source}: anchors line ${a.length} (${a.hash}), but the log is empty or missing: it was wiped`
          : `${a.source}: anchors line ${a.length} (${a.hash}), but the log has only ${hashes.length} lines: lines were removed from its end`,
      );
    } else if (hashes[a.length - 1] !== a.hash) {
      problems.push(
        `${a.source}: line ${a.length} has hash ${hashes[a.length - 1] ?? '(none)'}, anchored ${a.hash}: the chain up to it was rewritten (hashes recomputed, lines removed or reordered)`,
      );
    }
  }
  return problems;
}
