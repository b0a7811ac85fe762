/**
 * The runner's own audit log (`<resultsDir>/audit/drill-runner.jsonl`): append-only and hash-chained.
 * Each line carries `prev_hash` and `hash` = sha256(prev_hash + canonical JSON of the line without
 * `hash`), so an edited, removed or reordered line breaks the chain, and `drill audit verify` says where.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { canonicalJson } from '../domain/target';
import { withFileLock } from './files';

export const AUDIT_FILE = path.join('audit', 'drill-runner.jsonl');
export const GENESIS_HASH = 'sha256:0';

export function auditLineHash(prevHash: string, body: Record<string, unknown>): string {
  return `sha256:${createHash('sha256').update(prevHash).update(canonicalJson(body)).digest('hex')}`;
}

export interface AuditAppendResult {
  appended: boolean;
  hash: string;
}

/** Appends one event per key; a retry with the same key finds its line and appends nothing. */
export async function appendAuditEvent(resultsDir: string, key: string, event: Record<string, unknown>): Promise<AuditAppendResult> {
  const file = path.join(resultsDir, AUDIT_FILE);
  return withFileLock(file, async () => {
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    let prev = GENESIS_HASH;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const l = JSON.parse(line) as { key?: string; hash?: string };
        if (l.key === key) return { appended: false, hash: l.hash ?? '' };
        if (l.hash) prev = l.hash;
      } catch {
        // a corrupt line is evidence too (verify reports it): keep chaining from the last good hash
      }
    }
    const body = { ts: new Date().toISOString(), source: 'drill-runner', key, ...event, prev_hash: prev };
    const hash = auditLineHash(prev, body);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const h = await fs.open(file, 'a', 0o644);
    try {
      await h.write(`${JSON.stringify({ ...body, hash })}\n`);
      await h.sync();
    } finally {
      await h.close();
    }
    return { appended: true, hash };
  });
}

export interface AuditVerifyResult {
  ok: boolean;
  lines: number;
  lastHash: string;
  /** 1-based line numbers with what is wrong there. */
  problems: string[];
}

/** Re-walks the chain; the first break and every later one are reported by line. */
export function verifyAuditText(text: string): AuditVerifyResult {
  const problems: string[] = [];
  let prev = GENESIS_HASH;
  let lines = 0;
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    lines++;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      problems.push(`line ${i + 1}: not JSON`);
      return;
    }
    const { hash, ...body } = parsed;
    if (body.prev_hash !== prev) problems.push(`line ${i + 1}: prev_hash does not match the line before (a line was removed, reordered or inserted)`);
    if (hash !== auditLineHash(String(body.prev_hash), body)) problems.push(`line ${i + 1}: hash does not match its content (the line was edited)`);
    if (typeof hash === 'string') prev = hash;
  });
  return { ok: problems.length === 0, lines, lastHash: prev, problems };
}

export async function verifyAuditLog(file: string): Promise<AuditVerifyResult> {
  return verifyAuditText(await fs.readFile(file, 'utf8'));
}
