/**
 * File primitives with the guarantees the evidence needs: atomic whole-file writes (temp + fsync +
 * rename), idempotent line appends under a lock, and path resolution that cannot leave its root.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { type z } from 'zod';

/** Resolves `segment` under `root`, refusing anything that would land outside it. */
export function resolveInside(root: string, ...segments: string[]): string {
  const absRoot = path.resolve(root);
  const target = path.resolve(absRoot, ...segments);
  if (target !== absRoot && !target.startsWith(absRoot.endsWith(path.sep) ? absRoot : absRoot + path.sep)) {
    throw new PathEscapeError(`${segments.join('/')} escapes ${absRoot}`);
  }
  return target;
}

export class PathEscapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathEscapeError';
  }
}

/** Writes the whole file or nothing: a reader never sees half a report. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const handle = await fsp.open(tmp, 'w', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Runs `fn` holding an exclusive lock file beside `file`. Locks older than `staleMs` are taken over
 * (a crashed writer must not block appends forever).
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, { timeoutMs = 10000, staleMs = 30000 } = {}): Promise<T> {
  const lock = `${file}.lock`;
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const h = await fsp.open(lock, 'wx');
      await h.writeFile(String(process.pid));
      await h.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const st = await fsp.stat(lock).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > staleMs) {
        await fsp.rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lock}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  try {
    return await fn();
  } finally {
    await fsp.rm(lock, { force: true });
  }
}

export interface JsonlRead<T> {
  records: T[];
  /** Lines that were not JSON or did not match the schema: counted, never fatal. */
  corrupt: number;
  /** First few problems, with 1-based line numbers and the failing field's path. */
  problems: string[];
}

/** Reads a whole JSONL file (small files: incident events). Missing file → no records. */
export async function readJsonl<S extends z.ZodType>(file: string, schema: S): Promise<JsonlRead<z.output<S>>> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], corrupt: 0, problems: [] };
    throw err;
  }
  return parseJsonl(text, schema);
}

export function parseJsonl<S extends z.ZodType>(text: string, schema: S): JsonlRead<z.output<S>> {
  const out: JsonlRead<z.output<S>> = { records: [], corrupt: 0, problems: [] };
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      out.corrupt++;
      if (out.problems.length < 5) out.problems.push(`line ${i + 1}: not JSON`);
      return;
    }
    const r = schema.safeParse(value);
    if (r.success) out.records.push(r.data);
    else {
      out.corrupt++;
      if (out.problems.length < 5) {
        const issue = r.error.issues[0];
        out.problems.push(`line ${i + 1}: ${issue ? `${issue.path.join('.') || '(line)'}: ${issue.message}` : 'invalid'}`);
      }
    }
  });
  return out;
}

/**
 * Appends one JSON line unless `isDuplicate` finds its twin already in the file. One `write` on an
 * O_APPEND descriptor: lines written concurrently by the target process are never overwritten (a
 * temp-file rename would lose them), and a whole line lands or nothing does.
 */
export async function appendJsonlOnce<S extends z.ZodType>(
  file: string,
  schema: S,
  record: object,
  isDuplicate: (existing: z.output<S>) => boolean,
): Promise<{ appended: boolean; existing?: z.output<S> }> {
  return withFileLock(file, async () => {
    const current = await readJsonl(file, schema);
    const twin = current.records.find(isDuplicate);
    if (twin !== undefined) return { appended: false, existing: twin };
    const needsNewline = await endsWithoutNewline(file);
    const line = `${needsNewline ? '\n' : ''}${JSON.stringify(record)}\n`;
    const h = await fsp.open(file, 'a', 0o644);
    try {
      await h.write(line);
      await h.sync();
    } finally {
      await h.close();
    }
    return { appended: true };
  });
}

async function endsWithoutNewline(file: string): Promise<boolean> {
  let h: fsp.FileHandle | undefined;
  try {
    h = await fsp.open(file, 'r');
    const { size } = await h.stat();
    if (size === 0) return false;
    const buf = Buffer.alloc(1);
    await h.read(buf, 0, 1, size - 1);
    return buf[0] !== 0x0a;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  } finally {
    await h?.close();
  }
}

/**
 * The text of `file` from byte `from` on, at most its last `maxBytes`; `cut` when it starts later
 * than `from` (possibly mid-line). Null when there is no such file.
 */
export async function readFileTail(file: string, { from = 0, maxBytes = 64 * 1024 } = {}): Promise<{ text: string; cut: boolean } | null> {
  let h: fsp.FileHandle;
  try {
    h = await fsp.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const { size } = await h.stat();
    const start = Math.max(from, size - maxBytes);
    const buf = Buffer.alloc(Math.max(0, size - start));
    await h.read(buf, 0, buf.length, start);
    return { text: buf.toString('utf8'), cut: start > from };
  } finally {
    await h.close();
  }
}

export function fileExists(p: string): boolean {
  return fs.existsSync(p);
}
