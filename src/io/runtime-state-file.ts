/**
 * The runtime state file of the target contract: `{ saved_at, seq, digest, body }`, written
 * atomically (temp + fsync + rename). `digest` is `sha256:<hex>` over the RFC 8785 canonical JSON of `body`,
 * so "runtime state restored" can be checked by anyone who can read the file. The format is the
 * target contract's (its schema: `runtimeStateFileSchema` in src/domain/target.ts); the runtime-state
 * adapter and the conformance probe read it here, and the sandbox is one target that writes it.
 */
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import { rfc8785, runtimeStateFileSchema, type RuntimeStateFile } from '../domain/target';
import { writeFileAtomic } from './files';

/** `sha256:` + hex SHA-256 of the RFC 8785 canonical JSON of `body`; throws for a body that is not I-JSON. */
export function stateDigest(body: unknown): string {
  return `sha256:${crypto.createHash('sha256').update(rfc8785(body), 'utf8').digest('hex')}`;
}

export async function writeStateFile(file: string, seq: number, body: Record<string, unknown>, savedAt: Date = new Date()): Promise<RuntimeStateFile> {
  const record: RuntimeStateFile = { saved_at: savedAt.toISOString(), seq, digest: stateDigest(body), body };
  await writeFileAtomic(file, `${JSON.stringify(record)}\n`);
  return record;
}

export type StateFileRead =
  { status: 'missing' } | { status: 'unreadable'; error: string } | { status: 'ok'; file: RuntimeStateFile; computedDigest: string; digestValid: boolean };

/** Reads and checks the state file. Never throws for a bad file: the caller decides what it means. */
export async function readStateFile(file: string): Promise<StateFileRead> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { status: 'missing' };
    return { status: 'unreadable', error: code ?? (err as Error).message };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { status: 'unreadable', error: 'not JSON' };
  }
  const r = runtimeStateFileSchema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    return { status: 'unreadable', error: `${i?.path.join('.') || '(root)'}: ${i?.message ?? 'invalid'}` };
  }
  let computedDigest: string;
  try {
    computedDigest = stateDigest(r.data.body);
  } catch (err) {
    return { status: 'unreadable', error: `body: ${(err as Error).message} (RFC 8785 needs I-JSON)` };
  }
  return { status: 'ok', file: r.data, computedDigest, digestValid: computedDigest === r.data.digest };
}
