/**
 * Runtime state adapter: when the target last saved its state (RPO is measured from it), the
 * digest of what it saved, and whether what it restored after a restart is what it saved (the
 * runbook's "runtime state restored", checked, not assumed).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { formatIssues, gatewayStatsSchema, targetNameSchema, type RuntimeStateReport } from '../domain/target';
import { readStateFile } from '../io/runtime-state-file';
import { errorKind, getJson, parseInput, resolveTarget, type TargetActivityDeps } from './target-input';
import { FAILURE } from '../domain/failure-types';

const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, { error: 'expected sha256:<64 hex digits>' });

export const runtimeStateInputSchema = z.object({ target: targetNameSchema });
export const verifyRestoreInputSchema = z.object({
  target: targetNameSchema,
  /** The digest of the last save before the stop (from runtimeStateLastSave). */
  expectedDigest: digest,
  expectedSeq: z.number().int().nonnegative().optional(),
  timeoutMs: z.number().int().min(100).max(60000).default(5000),
});
export type RuntimeStateInput = z.input<typeof runtimeStateInputSchema>;
export type VerifyRestoreInput = z.input<typeof verifyRestoreInputSchema>;

export type RuntimeStateLastSave =
  | { exists: false; checkedAt: string; error?: string }
  | {
      exists: true;
      checkedAt: string;
      /** `saved_at` of the file: the time of the last save. */
      savedAt: string;
      /** Seconds between the last save and this check (RPO if the process died now). */
      ageSeconds: number;
      seq: number;
      digest: string;
      /** sha256 over the canonical body, recomputed here. */
      computedDigest: string;
      /** The file's digest matches its body. */
      digestValid: boolean;
    };

export interface VerifyRestoreResult {
  checkedAt: string;
  /** The process says it restored a state at start. */
  restored: boolean;
  restoredDigest: string | null;
  restoredSeq: number | null;
  restoreError: string | null;
  /** Restored digest (and seq, if given) equal what was expected. */
  matches: boolean;
  reason: string;
}

export function createRuntimeStateActivities(deps: TargetActivityDeps) {
  return {
    /** Reads the state file: time of last save, seq, digest, and whether the digest matches the body. */
    async runtimeStateLastSave(input: RuntimeStateInput): Promise<RuntimeStateLastSave> {
      const i = parseInput(runtimeStateInputSchema, input, 'runtimeStateLastSave input');
      const t = await resolveTarget(deps, i.target);
      const now = Date.now();
      const checkedAt = new Date(now).toISOString();
      const r = await readStateFile(t.stateFile);
      if (r.status === 'missing') return { exists: false, checkedAt };
      if (r.status === 'unreadable') return { exists: false, checkedAt, error: r.error };
      return {
        exists: true,
        checkedAt,
        savedAt: r.file.saved_at,
        ageSeconds: Math.max(0, (now - Date.parse(r.file.saved_at)) / 1000),
        seq: r.file.seq,
        digest: r.file.digest,
        computedDigest: r.computedDigest,
        digestValid: r.digestValid,
      };
    },

    /** Asks the restarted process what it restored (`/stats` → `runtime_state`) and compares digests. */
    async runtimeStateVerifyRestore(input: VerifyRestoreInput): Promise<VerifyRestoreResult> {
      const i = parseInput(verifyRestoreInputSchema, input, 'runtimeStateVerifyRestore input');
      const t = await resolveTarget(deps, i.target);
      let res;
      try {
        res = await getJson(`${t.gatewayUrl}/stats`, i.timeoutMs);
      } catch (err) {
        throw ApplicationFailure.retryable(`${i.target} stats: gateway unreachable (${errorKind(err)})`, FAILURE.gatewayUnreachable);
      }
      if (res.status !== 200) throw ApplicationFailure.retryable(`${i.target} stats: gateway answered ${res.status}`, FAILURE.gatewayUnavailable);
      const parsed = gatewayStatsSchema.safeParse(res.body);
      if (!parsed.success)
        throw ApplicationFailure.nonRetryable(
          `${i.target} /stats does not honour the target contract: ${formatIssues(parsed.error).join('; ')}`,
          FAILURE.contractViolation,
        );
      const rs: RuntimeStateReport | undefined = parsed.data.runtime_state;
      if (!rs)
        throw ApplicationFailure.nonRetryable(
          `${i.target} /stats has no runtime_state: the target does not report what it restored`,
          FAILURE.contractViolation,
        );
      const checkedAt = new Date().toISOString();
      const base = {
        checkedAt,
        restored: rs.restored,
        restoredDigest: rs.restored_digest,
        restoredSeq: rs.restored_seq,
        restoreError: rs.restore_error ?? null,
      };
      if (!rs.restored) return { ...base, matches: false, reason: `nothing restored (${rs.restore_error ?? 'no reason given'})` };
      if (rs.restored_digest !== i.expectedDigest)
        return { ...base, matches: false, reason: `restored digest ${rs.restored_digest} differs from the saved ${i.expectedDigest}` };
      if (i.expectedSeq !== undefined && rs.restored_seq !== i.expectedSeq)
        return { ...base, matches: false, reason: `restored seq ${rs.restored_seq} differs from the saved ${i.expectedSeq}` };
      return { ...base, matches: true, reason: 'restored state matches the last save' };
    },
  };
}
