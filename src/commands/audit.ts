/**
 * `drill audit verify`: re-walks the runner's hash-chained audit log and checks it against every
 * anchor of its head kept outside it: the checkpoint beside it, each drill report and each evidence
 * bundle. An edit, a removed, inserted or reordered line, a cut-off tail, a wiped file and a chain
 * rewritten with recomputed hashes are each reported.
 */
import path from 'node:path';
import { collectAuditAnchors } from '../io/audit-anchors';
import { AUDIT_FILE, verifyAuditLog, type AuditVerifyResult } from '../io/audit-log';
import { CommandError } from './output';

export async function auditVerify(opts: { file?: string }, deps: { resultsDir: string }): Promise<AuditVerifyResult & { file: string }> {
  const resultsLog = path.resolve(deps.resultsDir, AUDIT_FILE);
  const file = path.resolve(opts.file ?? resultsLog);
  // Reports and bundles anchor the results folder's log; another file has only its own checkpoint.
  const collected = file === resultsLog ? await collectAuditAnchors(deps.resultsDir) : { anchors: [], problems: [] };
  const r = await verifyAuditLog(file, collected.anchors);
  if (!r.exists && r.problems.length === 0 && collected.problems.length === 0) throw new CommandError(`no audit log at ${file}`);
  const problems = [...r.problems, ...collected.problems];
  return { ...r, ok: problems.length === 0, problems, file };
}
