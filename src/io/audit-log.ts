/**
 * The runner's own audit log (`<resultsDir>/audit/drill-runner.jsonl`): append-only and hash-chained.
 * Each line carries `prev_hash` and `hash` = sha256(prev_hash + canonical JSON of the line without
 * `hash`), so an edited, removed or reordered line breaks the chain, and `drill audit verify` says where.
 *
 * The chain's head is anchored outside the log (see `domain/audit.ts`): after every append the
 * checkpoint beside the log (`drill-runner.checkpoint.json`) is rewritten atomically with the new
 * length and hash, so a log cut short, wiped, or rewritten with recomputed hashes no longer matches
 * it. Lines written since the checkpoint exists say so (`checkpoint: true`): a checkpoint that
 * disappears afterwards is noticed too. An append refuses to extend a log that contradicts its
 * checkpoint (`AuditChainBrokenError`): appending would overwrite the evidence of the damage.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  auditCheckpointSchema,
  checkAnchors,
  GENESIS_HASH,
  type AuditAnchor,
  type AuditCheckpoint,
  type AuditHead,
  type RecordedAuditHead,
} from '../domain/audit';
import { canonicalJson } from '../domain/target';
import { withFileLock, writeFileAtomic } from './files';
import { describeIssues } from '../domain/validation-kit';

export { GENESIS_HASH };
export const AUDIT_FILE = path.join('audit', 'drill-runner.jsonl');

/** The checkpoint beside a log: `drill-runner.jsonl` → `drill-runner.checkpoint.json`. */
export function auditCheckpointFile(logFile: string): string {
  return path.join(path.dirname(logFile), `${path.basename(logFile).replace(/\.jsonl$/, '')}.checkpoint.json`);
}

export function auditLineHash(prevHash: string, body: Record<string, unknown>): string {
  return `sha256:${createHash('sha256').update(prevHash).update(canonicalJson(body)).digest('hex')}`;
}

/** The log cannot be extended: it contradicts its checkpoint (or the checkpoint is gone or unreadable). */
export class AuditChainBrokenError extends Error {
  constructor(readonly problems: string[]) {
    super(`the audit log does not match its checkpoint, so nothing was appended (run \`drill audit verify\`): ${problems.join('; ')}`);
    this.name = 'AuditChainBrokenError';
  }
}

interface ChainScan {
  /** The `hash` written on each non-empty line, in order (undefined: not JSON or no hash). */
  hashes: Array<string | undefined>;
  /** Key → hash of the line that holds it. */
  keys: Map<string, string>;
  /** The hash the next line chains from: the last line's, or the last good one's. */
  prev: string;
  /** Some line was written while checkpoints exist. */
  checkpointed: boolean;
}

function scanChain(text: string): ChainScan {
  const s: ChainScan = { hashes: [], keys: new Map(), prev: GENESIS_HASH, checkpointed: false };
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let l: { key?: unknown; hash?: unknown; checkpoint?: unknown } | undefined;
    try {
      const v: unknown = JSON.parse(line);
      l = typeof v === 'object' && v !== null ? (v as typeof l) : undefined;
    } catch {
      // a corrupt line is evidence too (verify reports it): keep chaining from the last good hash
    }
    const hash = typeof l?.hash === 'string' ? l.hash : undefined;
    s.hashes.push(hash);
    if (hash) s.prev = hash;
    if (typeof l?.key === 'string' && hash && !s.keys.has(l.key)) s.keys.set(l.key, hash);
    if (l?.checkpoint === true) s.checkpointed = true;
  }
  return s;
}

/** The head as the chain shows it: up to the last line that has a hash. */
function headOf(s: ChainScan): AuditHead {
  for (let i = s.hashes.length - 1; i >= 0; i--) {
    const h = s.hashes[i];
    if (h) return { length: i + 1, hash: h };
  }
  return { length: 0, hash: GENESIS_HASH };
}

type CheckpointRead = { status: 'ok'; value: AuditCheckpoint } | { status: 'missing' } | { status: 'invalid'; problem: string };

async function readCheckpoint(file: string): Promise<CheckpointRead> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    return { status: 'invalid', problem: `checkpoint ${file} unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { status: 'invalid', problem: `checkpoint ${file} is not JSON` };
  }
  const r = auditCheckpointSchema.safeParse(value);
  if (!r.success)
    return { status: 'invalid', problem: `checkpoint ${file} is not a checkpoint: ${describeIssues(r.error, { root: '(file)', rootWhenBlank: true })}` };
  return { status: 'ok', value: r.data };
}

/** What the checkpoint says about the chain: problems, and the anchor it gives (if readable). */
function checkpointProblems(cp: CheckpointRead, file: string, s: ChainScan): { problems: string[]; anchor?: AuditAnchor } {
  if (cp.status === 'invalid') return { problems: [cp.problem] };
  if (cp.status === 'missing') {
    return { problems: s.checkpointed ? [`checkpoint ${file} is missing, but the log was written with one: it was removed`] : [] };
  }
  const anchor: AuditAnchor = { source: `checkpoint ${path.basename(file)}`, length: cp.value.length, hash: cp.value.hash };
  return { problems: checkAnchors(s.hashes, [anchor]), anchor };
}

export interface AuditAppendResult {
  appended: boolean;
  /** The hash of this key's line. */
  hash: string;
  /** The chain's head after the call (what the checkpoint now says). */
  head: AuditHead;
}

/** Appends one event per key; a retry with the same key finds its line and appends nothing. */
export async function appendAuditEvent(resultsDir: string, key: string, event: Record<string, unknown>): Promise<AuditAppendResult> {
  const file = path.join(resultsDir, AUDIT_FILE);
  const checkpointFile = auditCheckpointFile(file);
  return withFileLock(file, async () => {
    const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    const s = scanChain(text);
    const cp = checkpointProblems(await readCheckpoint(checkpointFile), checkpointFile, s);
    if (cp.problems.length) throw new AuditChainBrokenError(cp.problems);
    const existing = s.keys.get(key);
    if (existing) return { appended: false, hash: existing, head: headOf(s) };

    const body = { ts: new Date().toISOString(), source: 'drill-runner', key, ...event, checkpoint: true, prev_hash: s.prev };
    const hash = auditLineHash(s.prev, body);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const h = await fs.open(file, 'a', 0o644);
    try {
      await h.write(`${JSON.stringify({ ...body, hash })}\n`);
      await h.sync();
    } finally {
      await h.close();
    }
    // The line is durable before the checkpoint names it: a crash in between leaves the checkpoint
    // one line behind, which still matches (an anchor only claims a prefix).
    const head: AuditHead = { length: s.hashes.length + 1, hash };
    const checkpoint: AuditCheckpoint = { schemaVersion: 1, log: path.basename(file), ...head, updatedAt: new Date().toISOString() };
    await writeFileAtomic(checkpointFile, `${JSON.stringify(checkpoint, null, 2)}\n`);
    return { appended: true, hash, head };
  });
}

/** The head of the results folder's log right now, to record in a report or bundle. */
export async function readAuditHead(resultsDir: string): Promise<RecordedAuditHead> {
  const file = path.join(resultsDir, AUDIT_FILE);
  const readText = () =>
    fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
  // No log yet: nothing to lock (the lock would create the audit folder as a side effect).
  const exists = await fs.stat(file).then(
    () => true,
    () => false,
  );
  const text = exists ? await withFileLock(file, readText) : '';
  return { log: AUDIT_FILE.split(path.sep).join('/'), ...headOf(scanChain(text)), recordedAt: new Date().toISOString() };
}

export interface AuditVerifyResult {
  ok: boolean;
  /** False when there is no log file at all. */
  exists: boolean;
  lines: number;
  lastHash: string;
  /** Anchors the chain was checked against (the checkpoint first, then the given ones). */
  anchors: number;
  /** 1-based line numbers with what is wrong there, then what the anchors say. */
  problems: string[];
}

/** Re-walks the chain; the first break and every later one are reported by line, then the anchors. */
export function verifyAuditText(text: string, anchors: readonly AuditAnchor[] = []): AuditVerifyResult {
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
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      problems.push(`line ${i + 1}: not a JSON object`);
      return;
    }
    const { hash, ...body } = parsed;
    if (body.prev_hash !== prev) problems.push(`line ${i + 1}: prev_hash does not match the line before (a line was removed, reordered or inserted)`);
    if (hash !== auditLineHash(String(body.prev_hash), body)) problems.push(`line ${i + 1}: hash does not match its content (the line was edited)`);
    if (typeof hash === 'string') prev = hash;
  });
  problems.push(...checkAnchors(scanChain(text).hashes, anchors));
  return { ok: problems.length === 0, exists: true, lines, lastHash: prev, anchors: anchors.length, problems };
}

/**
 * Verifies a log against its chain, its checkpoint and `anchors` (from reports and bundles). A
 * missing file is reported as `exists: false`; it is a problem (wiped) when anything anchors it.
 */
export async function verifyAuditLog(file: string, anchors: readonly AuditAnchor[] = []): Promise<AuditVerifyResult> {
  let text: string | undefined;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const checkpointFile = auditCheckpointFile(file);
  const cp = checkpointProblems(await readCheckpoint(checkpointFile), checkpointFile, scanChain(text ?? ''));
  // A readable checkpoint is one more anchor (its mismatches come out of verifyAuditText); an
  // unreadable or removed one is a problem of its own.
  const r = verifyAuditText(text ?? '', [...(cp.anchor ? [cp.anchor] : []), ...anchors]);
  const problems = [...(cp.anchor ? [] : cp.problems), ...r.problems];
  return { ...r, exists: text !== undefined, ok: problems.length === 0, problems };
}
