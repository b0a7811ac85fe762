/** `drill audit verify`: re-walks the runner's hash-chained audit log. */
import fs from 'node:fs';
import path from 'node:path';
import { AUDIT_FILE, verifyAuditLog, type AuditVerifyResult } from '../io/audit-log';
import { CommandError } from './output';

export async function auditVerify(opts: { file?: string }, deps: { resultsDir: string }): Promise<AuditVerifyResult & { file: string }> {
  const file = path.resolve(opts.file ?? path.join(deps.resultsDir, AUDIT_FILE));
  if (!fs.existsSync(file)) throw new CommandError(`no audit log at ${file}`);
  return { file, ...(await verifyAuditLog(file)) };
}
