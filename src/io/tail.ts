/**
 * Incremental JSONL tailing by byte offset, for the alert watcher's per-cycle reads.
 *
 * - The cursor is small plain JSON (`{ offset, inode, size, partial?, discarding? }`): it lives in
 *   workflow state and is carried over continue-as-new, so it never holds line content. An incomplete
 *   last line is left in the file: the offset stops at its first byte and it is read again next time.
 * - Lines are split on the `\n` byte in 64 KiB chunks; a line never needs more memory than
 *   `maxLineBytes` (default 1 MiB). A longer line is counted corrupt and skipped while streaming.
 * - Bad lines (not JSON, schema mismatch) are counted and described, never fatal.
 * - Truncation (size < offset, e.g. copytruncate) restarts at 0; rotation (inode changed, e.g.
 *   rename + new file) reads the new file from 0. Both are flagged. Lines appended to a renamed-away
 *   file after the last read are not followed (the renamed file is not known to the cursor).
 * - A missing file gives an empty result, `missing: true`, and keeps the cursor: if the same file
 *   (same inode) comes back, nothing is read twice; if a new one appears, the inode check sees it.
 *
 * For speed, pass a light schema that checks only the fields the caller uses (a full zod schema per
 * line halves throughput, TEMPORAL-NOTES.md), and `onRecord` to fold records without keeping them.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { issueLines } from '../domain/validation-kit';

/** Where the next read starts. Plain JSON; keep it that way (workflow state). */
export interface TailCursor {
  /** Byte offset of the first unread byte: always the start of a line (or inside a discarded one). */
  offset: number;
  /** Inode of the file the offset belongs to; a different inode means the file was rotated. */
  inode?: number;
  /** File size seen at the last read (size - offset = bytes not yet read). */
  size?: number;
  /** True when the last read ended at an incomplete line that starts at `offset`. */
  partial?: boolean;
  /** True when `offset` is inside an over-long line already counted corrupt: skip to its newline. */
  discarding?: boolean;
}

/** What `readNew` needs from a schema: zod's `safeParse`, or anything shaped like it. */
export interface LineSchema<T> {
  safeParse(
    value: unknown,
  ): { success: true; data: T } | { success: false; error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> } };
}

export interface TailOptions<T> {
  /** Lines longer than this (bytes, without the newline) are counted corrupt and skipped. Default 1 MiB. */
  maxLineBytes?: number;
  /** Stop after this many valid records (the cursor stops right after the last one). */
  maxRecords?: number;
  /** Stop at the first line end after reading this many bytes (bounds one call's work). */
  maxBytes?: number;
  /** Read size. Default 64 KiB. */
  chunkBytes?: number;
  /** How many problem descriptions to keep. Default 5. */
  maxProblems?: number;
  /**
   * Streaming mode: called for each valid record instead of collecting it in `records`. Return
   * `'stop'` to end the read right after this record (the cursor points past it).
   */
  onRecord?: (record: T) => void | 'stop';
}

export interface TailResult<T> {
  /** Valid records in file order (empty in `onRecord` mode). */
  records: T[];
  /** Number of valid records read (also in `onRecord` mode). */
  count: number;
  cursor: TailCursor;
  /** Lines that were not JSON, failed the schema or were too long. */
  corrupt: number;
  /** First few problems: byte offset of the line and the failing field's path. */
  problems: string[];
  /** The file shrank below the offset: read again from 0. */
  truncated: boolean;
  /** The file at this path is a different file (inode changed): read from 0. */
  rotated: boolean;
  missing: boolean;
  /** True when the read stopped early (maxRecords, maxBytes, 'stop') and more complete lines may wait. */
  more: boolean;
  /** Bytes consumed by this read (complete lines, including skipped ones). */
  bytesRead: number;
}

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
export const DEFAULT_CHUNK_BYTES = 64 * 1024;
const NL = 0x0a;

/** Reads the complete lines appended since `cursor` and validates each with `schema`. */
export async function readNew<T>(file: string, cursor: TailCursor | undefined, schema: LineSchema<T>, opts: TailOptions<T> = {}): Promise<TailResult<T>> {
  const start: TailCursor = cursor ?? { offset: 0 };
  const maxLine = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const maxRecords = opts.maxRecords ?? Infinity;
  const maxBytes = opts.maxBytes ?? Infinity;
  const maxProblems = opts.maxProblems ?? 5;
  const onRecord = opts.onRecord;
  const out: TailResult<T> = {
    records: [],
    count: 0,
    cursor: start,
    corrupt: 0,
    problems: [],
    truncated: false,
    rotated: false,
    missing: false,
    more: false,
    bytesRead: 0,
  };

  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...out, missing: true };
    throw err;
  }
  try {
    // fstat on the open descriptor: inode and size belong to the file we actually read.
    const st = await handle.stat();
    const inode = Number(st.ino);
    const size = st.size;
    let offset = start.offset;
    let discarding = start.discarding === true;
    if (start.inode !== undefined && start.inode !== inode) {
      out.rotated = true;
      offset = 0;
      discarding = false;
    } else if (size < offset) {
      out.truncated = true;
      offset = 0;
      discarding = false;
    }

    const problem = (at: number, what: string) => {
      out.corrupt++;
      if (out.problems.length < maxProblems) out.problems.push(`offset ${at}: ${what}`);
    };
    // Returns true when the caller should stop after this line.
    const handleLine = (line: string, at: number): boolean => {
      if (line.length === 0 || (line.length < 3 && line.trim() === '')) return false;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        problem(at, 'not JSON');
        return false;
      }
      const r = schema.safeParse(value);
      if (!r.success) {
        const issue = r.error.issues[0];
        problem(at, issue ? `${issue.path.map(String).join('.') || '(line)'}: ${issue.message}` : 'invalid');
        return false;
      }
      out.count++;
      if (onRecord) {
        if (onRecord(r.data) === 'stop') return true;
      } else out.records.push(r.data);
      return out.count >= maxRecords;
    };

    const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    const buf = Buffer.allocUnsafe(chunkBytes);
    // Bytes of the current (not yet terminated) line from earlier chunks; never more than maxLine.
    let carry: Buffer[] = [];
    let carryLen = 0;
    let lineStart = offset; // file offset of the current line's first byte
    let pos = offset; // file offset of the next byte to read
    let stopped = false;

    while (pos < size && !stopped) {
      const want = Math.min(chunkBytes, size - pos);
      const { bytesRead } = await handle.read(buf, 0, want, pos);
      if (bytesRead === 0) break;
      // indexOf on a view: the reused buffer holds stale bytes past bytesRead.
      const view = bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
      let i = 0;
      while (i < bytesRead) {
        if (!discarding && carryLen === 0) {
          // Fast path: decode all complete lines left in this chunk at once (one toString, like
          // readline). When the text has as many UTF-16 units as bytes, every byte decoded to one
          // unit, so string lengths are byte lengths and offsets stay exact; otherwise (non-ASCII)
          // fall through to the line-by-line path below.
          const lastNl = view.lastIndexOf(NL);
          if (lastNl > i) {
            const text = buf.toString('utf8', i, lastNl);
            if (text.length === lastNl - i) {
              let at = pos + i;
              let from = 0;
              while (from <= text.length) {
                let to = text.indexOf('\n', from);
                if (to === -1) to = text.length;
                const lineAt = at;
                at += to - from + 1;
                lineStart = at;
                if (to - from > maxLine) problem(lineAt, `line longer than ${maxLine} bytes, skipped`);
                else if (handleLine(text.slice(from, to), lineAt) || lineStart - offset >= maxBytes) {
                  stopped = true;
                  break;
                }
                from = to + 1;
              }
              if (stopped) break;
              i = lastNl + 1;
              continue;
            }
          }
        }
        const nl = view.indexOf(NL, i);
        const end = nl === -1 ? bytesRead : nl;
        if (discarding) {
          if (end < bytesRead) {
            // The over-long line ends here: resume normal reading after it.
            discarding = false;
            lineStart = pos + end + 1;
            i = end + 1;
            if (lineStart - offset >= maxBytes) {
              stopped = true;
              break;
            }
            continue;
          }
          i = bytesRead;
          break;
        }
        const pieceLen = end - i;
        if (carryLen + pieceLen > maxLine) {
          // Too long: count it once, drop what we held, and skip to its newline without buffering.
          problem(lineStart, `line longer than ${maxLine} bytes, skipped`);
          carry = [];
          carryLen = 0;
          discarding = true;
          continue; // re-enter the loop at the same i in discarding mode
        }
        if (end === bytesRead) {
          // No newline in the rest of this chunk: keep the piece (copied: buf is reused).
          if (pieceLen > 0) {
            carry.push(Buffer.from(buf.subarray(i, end)));
            carryLen += pieceLen;
          }
          i = bytesRead;
          break;
        }
        let line: string;
        if (carryLen === 0) line = buf.toString('utf8', i, end);
        else {
          carry.push(buf.subarray(i, end));
          line = Buffer.concat(carry, carryLen + pieceLen).toString('utf8');
          carry = [];
          carryLen = 0;
        }
        const at = lineStart;
        lineStart = pos + end + 1;
        i = end + 1;
        if (handleLine(line, at) || lineStart - offset >= maxBytes) {
          stopped = true;
          break;
        }
      }
      pos += bytesRead;
    }

    // Where the next read starts. While discarding, the over-long line's bytes seen so far are gone
    // for good, so the offset moves past them (the line was already counted).
    let next: number;
    if (discarding) next = stopped ? lineStart : pos;
    else next = lineStart;
    out.more = stopped && next < size;
    out.bytesRead = next - offset;
    out.cursor = {
      offset: next,
      inode,
      size,
      ...(carryLen > 0 && !stopped ? { partial: true } : {}),
      ...(discarding && !stopped ? { discarding: true } : {}),
    };
    return out;
  } finally {
    await handle.close();
  }
}

/** Outcome of reading a whole-JSON file such as `data_quality_latest.json`. */
export type LatestJson<T> = { ok: true; value: T; mtime: string } | { ok: false; reason: 'missing' } | { ok: false; reason: 'invalid'; problems: string[] };

/** Reads and validates a small JSON document written atomically by the target. */
export async function readLatestJson<T>(file: string, schema: LineSchema<T>, { maxBytes = 8 * 1024 * 1024 } = {}): Promise<LatestJson<T>> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, reason: 'missing' };
    throw err;
  }
  let text: string;
  let mtime: Date;
  try {
    const st = await handle.stat();
    if (st.size > maxBytes) return { ok: false, reason: 'invalid', problems: [`file is ${st.size} bytes, more than ${maxBytes}`] };
    mtime = st.mtime;
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: 'invalid', problems: [`not JSON: ${(err as Error).message}`] };
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    return { ok: false, reason: 'invalid', problems: issueLines(r.error, { root: '(root)', rootWhenBlank: true, max: 5 }) };
  }
  return { ok: true, value: r.data, mtime: mtime.toISOString() };
}

/**
 * Reads the last `count` valid records of a JSONL file, walking backwards in chunks, looking at no
 * more than `maxBytes` from the end. `filter` selects which records count (e.g. the last breach).
 * Returned oldest first.
 */
export async function readLastRecords<T>(
  file: string,
  schema: LineSchema<T>,
  { count = 5, maxBytes = 1024 * 1024, filter }: { count?: number; maxBytes?: number; filter?: (r: T) => boolean } = {},
): Promise<{ records: T[]; corrupt: number; missing: boolean }> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], corrupt: 0, missing: true };
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const floor = Math.max(0, size - maxBytes);
    const found: T[] = [];
    let corrupt = 0;
    let end = size; // bytes [end, size) are done, except `suffix`
    let suffix: Buffer = Buffer.alloc(0); // start of a line that began before `end` (no newline yet)
    let dropLast = true; // the piece after the file's last newline is incomplete (or empty)
    while (end > floor && found.length < count) {
      const startAt = Math.max(floor, end - DEFAULT_CHUNK_BYTES);
      const chunk = Buffer.allocUnsafe(end - startAt);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, startAt);
      const data = suffix.length ? Buffer.concat([chunk.subarray(0, bytesRead), suffix]) : chunk.subarray(0, bytesRead);
      end = startAt;
      let from = 0;
      if (startAt > floor) {
        const nl = data.indexOf(NL);
        if (nl === -1) {
          suffix = data;
          continue;
        }
        from = nl + 1;
        suffix = Buffer.from(data.subarray(0, nl));
      } else suffix = Buffer.alloc(0);
      const lines = data.toString('utf8', from).split('\n');
      if (dropLast) {
        lines.pop();
        dropLast = false;
      }
      // At the window's floor the first piece may be the end of a line that starts earlier.
      if (startAt === floor && floor > 0) lines.shift();
      for (let k = lines.length - 1; k >= 0 && found.length < count; k--) {
        const line = lines[k]!;
        if (!line.trim()) continue;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          corrupt++;
          continue;
        }
        const r = schema.safeParse(value);
        if (!r.success) corrupt++;
        else if (!filter || filter(r.data)) found.push(r.data);
      }
    }
    return { records: found.reverse(), corrupt, missing: false };
  } finally {
    await handle.close();
  }
}

/** Cursor over a folder of JSONL files (e.g. `audit_logs/*.jsonl`): one small cursor per file name. */
export interface MultiTailCursor {
  files: Record<string, TailCursor>;
}

/** `*.jsonl` file names in `dir`, sorted (date-stamped names read oldest first). Missing dir → []. */
export async function listAuditFiles(dir: string): Promise<string[]> {
  try {
    const entries = await fsp.readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && e.name.endsWith('.jsonl'))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export interface MultiTailResult<T> {
  /** Records with the file they came from, files in name order. */
  records: Array<{ file: string; record: T }>;
  count: number;
  cursor: MultiTailCursor;
  corrupt: number;
  problems: string[];
  /** Names of files that were truncated or rotated in place. */
  reset: string[];
  /** Names that were in the cursor but are gone (dropped from the cursor). */
  removed: string[];
  more: boolean;
}

/**
 * Reads new lines of every `*.jsonl` file in `dir`. Files that disappear are dropped from the cursor,
 * so its size follows the folder's. `maxRecords` is shared by all files (stops mid-folder; `more`).
 */
export async function readNewInDir<T>(
  dir: string,
  cursor: MultiTailCursor | undefined,
  schema: LineSchema<T>,
  opts: Omit<TailOptions<T>, 'onRecord'> & { onRecord?: (record: T, file: string) => void | 'stop' } = {},
): Promise<MultiTailResult<T>> {
  const names = await listAuditFiles(dir);
  const prev = cursor?.files ?? {};
  const out: MultiTailResult<T> = { records: [], count: 0, cursor: { files: {} }, corrupt: 0, problems: [], reset: [], removed: [], more: false };
  out.removed = Object.keys(prev).filter((n) => !names.includes(n));
  let budget = opts.maxRecords ?? Infinity;
  let stopped = false;
  for (const name of names) {
    const c = prev[name];
    if (stopped) {
      if (c) out.cursor.files[name] = c;
      continue;
    }
    const outer = opts.onRecord;
    let stopAsked = false;
    const r = await readNew(path.join(dir, name), c, schema, {
      ...opts,
      maxRecords: budget,
      onRecord: (rec) => {
        if (outer) {
          if (outer(rec, name) === 'stop') {
            stopAsked = true;
            return 'stop';
          }
        } else out.records.push({ file: name, record: rec });
        return undefined;
      },
    });
    if (r.missing) {
      out.removed.push(name);
      continue;
    }
    out.cursor.files[name] = r.cursor;
    out.count += r.count;
    out.corrupt += r.corrupt;
    for (const p of r.problems) if (out.problems.length < (opts.maxProblems ?? 5)) out.problems.push(`${name} ${p}`);
    if (r.truncated || r.rotated) out.reset.push(name);
    budget -= r.count;
    if (r.more || stopAsked || budget <= 0) {
      stopped = true;
      out.more = r.more || names.indexOf(name) < names.length - 1;
    }
  }
  return out;
}

/** The cursors as zod schemas: activities validate the ones workflows hand them. */
export const tailCursorSchema = z.object({
  offset: z.number().int().nonnegative(),
  inode: z.number().nonnegative().optional(),
  size: z.number().int().nonnegative().optional(),
  partial: z.boolean().optional(),
  discarding: z.boolean().optional(),
});
export const multiTailCursorSchema = z.object({ files: z.record(z.string(), tailCursorSchema) });
