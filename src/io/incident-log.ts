/**
 * A run's `incident_events.jsonl` as a keyed log, with appends that stay O(1) in the file's length.
 *
 * Recording `incident_ack` (or `incident_resolved`) once per incident needs to know whether the file
 * already holds one. Re-reading and re-validating the whole file for every append made an ack cost
 * grow with the run (issue 12.4). Instead each process keeps an index per file — the incidents opened,
 * acknowledged and resolved — built by reading from a byte cursor (`io/tail.ts`), so every later
 * append reads only the lines written since (by anyone: the target, the runbook's script, another
 * worker). Truncation or rotation (a new inode) drops the index and reads the file again.
 *
 * Appends still go through one `write` on an `O_APPEND` descriptor under the lock file (`io/files.ts`):
 * the trading process appends to the same file, and a temp-file rename would lose its lines.
 */
import fsp from 'node:fs/promises';
import { INCIDENT_EVENTS_FILE, incidentEventSchema, type IncidentAckEvent, type IncidentEvent, type IncidentSummary } from '../domain/incident-events';
import { resolveInside, withFileLock } from './files';
import { readNew, type LineSchema, type TailCursor } from './tail';

interface IncidentIndex {
  cursor?: TailCursor;
  /**
   * The file's first bytes when indexed: a file replaced by another one that reuses the inode (common
   * on Linux) and is not shorter is still noticed, by its first line.
   */
  head?: string;
  opens: Map<string, Extract<IncidentEvent, { event_type: 'incident_open' }>>;
  acks: Map<string, IncidentAckEvent>;
  resolved: Map<string, Extract<IncidentEvent, { event_type: 'incident_resolved' }>>;
  /** Lines that were not JSON or not a valid incident event (counted once). */
  corrupt: number;
}

const MAX_INDEXED_FILES = 512;
const indexes = new Map<string, IncidentIndex>();

/** `<runsDir>/<runId>/incident_events.jsonl` (the run id is checked by the caller's `runDir`). */
export function incidentLogPath(runDirPath: string): string {
  return resolveInside(runDirPath, INCIDENT_EVENTS_FILE);
}

function emptyIndex(): IncidentIndex {
  return { opens: new Map(), acks: new Map(), resolved: new Map(), corrupt: 0 };
}

const EVENT_TYPES = new Set(['incident_open', 'incident_ack', 'incident_resolved']);

/**
 * Checks only what the index uses (type, incident id, time, who acked): a full zod parse of every line
 * would be most of a cold read's cost. Lines the index keeps are fully validated when handed out.
 */
const indexLineSchema: LineSchema<IncidentEvent> = {
  safeParse(v: unknown) {
    const o = v as Record<string, unknown> | null;
    const ok =
      typeof o === 'object' &&
      o !== null &&
      EVENT_TYPES.has(o.event_type as string) &&
      typeof o.incident_id === 'string' &&
      typeof o.ts === 'string' &&
      (o.event_type !== 'incident_ack' || (typeof o.ack_by === 'string' && o.ack_by.length > 0));
    return ok
      ? { success: true as const, data: o as unknown as IncidentEvent }
      : { success: false as const, error: { issues: [{ path: [], message: 'not an incident event' }] } };
  },
};

/** The full schema on a line the index hands out (defaults applied); undefined when it does not pass. */
function validated<T extends IncidentEvent>(e: T | undefined): T | undefined {
  if (!e) return undefined;
  const r = incidentEventSchema.safeParse(e);
  return r.success ? (r.data as T) : undefined;
}

const HEAD_BYTES = 128;

async function readHead(file: string): Promise<string | undefined> {
  let h: fsp.FileHandle | undefined;
  try {
    h = await fsp.open(file, 'r');
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await h.read(buf, 0, HEAD_BYTES, 0);
    return buf.toString('latin1', 0, bytesRead);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  } finally {
    await h?.close();
  }
}

/** Folds the lines written since the index's cursor into it. Returns the refreshed index. */
async function refresh(file: string): Promise<IncidentIndex> {
  let idx = indexes.get(file) ?? emptyIndex();
  if (idx.head !== undefined) {
    const head = await readHead(file);
    // Another file now (or none): start over. A shorter head than before means it was rewritten too.
    if (head === undefined || !head.startsWith(idx.head.slice(0, Math.min(idx.head.length, head.length))) || head.length < idx.head.length) idx = emptyIndex();
  }
  for (let pass = 0; pass < 2; pass++) {
    const fold = (e: IncidentEvent) => {
      if (e.event_type === 'incident_open') {
        if (!idx.opens.has(e.incident_id)) idx.opens.set(e.incident_id, e);
      } else if (e.event_type === 'incident_ack') {
        if (!idx.acks.has(e.incident_id)) idx.acks.set(e.incident_id, e);
      } else if (!idx.resolved.has(e.incident_id)) idx.resolved.set(e.incident_id, e);
    };
    const r = await readNew(file, idx.cursor, indexLineSchema, { onRecord: fold, maxProblems: 0 });
    if ((r.truncated || r.rotated) && pass === 0) {
      // A different file now (or a shorter one): what the index holds is no longer in it.
      idx = emptyIndex();
      continue;
    }
    idx.cursor = r.missing ? undefined : r.cursor;
    idx.corrupt += r.corrupt;
    break;
  }
  if (idx.cursor && (idx.head === undefined || idx.head.length < HEAD_BYTES)) idx.head = await readHead(file);
  indexes.delete(file);
  indexes.set(file, idx);
  if (indexes.size > MAX_INDEXED_FILES) indexes.delete(indexes.keys().next().value as string);
  return idx;
}

/** The incident as the file knows it (first open, first ack, first resolution). */
export async function incidentFromLog(file: string, incidentId: string): Promise<IncidentSummary | undefined> {
  const idx = await refresh(file);
  const open = validated(idx.opens.get(incidentId));
  const ack = validated(idx.acks.get(incidentId));
  const res = validated(idx.resolved.get(incidentId));
  if (!open && !ack && !res) return undefined;
  return {
    incidentId,
    ...(open ? { openedAt: open.ts, severity: open.severity } : {}),
    ...(ack ? { ackedAt: ack.ts, ackBy: ack.ack_by } : {}),
    ...(res ? { resolvedAt: res.ts } : {}),
  };
}

/**
 * Appends `record` unless the file already holds a line of its type for its incident (then returns
 * that line). Reads only what was written since the last call in this process.
 */
export async function appendIncidentEventOnce(file: string, record: IncidentEvent): Promise<{ appended: boolean; existing?: IncidentEvent }> {
  return withFileLock(file, async () => {
    const idx = await refresh(file);
    const id = record.incident_id;
    const twin = record.event_type === 'incident_ack' ? idx.acks.get(id) : record.event_type === 'incident_resolved' ? idx.resolved.get(id) : idx.opens.get(id);
    if (twin !== undefined) return { appended: false, existing: validated(twin) ?? twin };
    const line = `${idx.cursor?.partial ? '\n' : ''}${JSON.stringify(record)}\n`;
    const h = await fsp.open(file, 'a', 0o644);
    try {
      await h.write(line);
      await h.sync();
    } finally {
      await h.close();
    }
    // Read our own line back (and whatever landed just before it): the cursor stays exact.
    await refresh(file);
    return { appended: true };
  });
}

/** Drops every cached index (tests and benchmarks measuring a cold process). */
export function forgetIncidentIndexes(): void {
  indexes.clear();
}
