/**
 * Watching a run's `incident_events.jsonl` for one incident's `incident_ack` / `incident_resolved`
 * line, cheaply: reads start at a byte cursor (`io/tail.ts`), never at the top of the file, and waiting
 * for the file to grow is one shared `stat` poller per file per process, however many timers wait on it.
 */
import fsp from 'node:fs/promises';
import { readNew, type LineSchema, type TailCursor } from './tail';

export interface IncidentLineHit {
  kind: 'ack' | 'resolved';
  /** The line as written (fields unchecked beyond type and incident id: the caller sanitizes). */
  line: Record<string, unknown>;
}

export interface IncidentScan {
  cursor: TailCursor | undefined;
  hit?: IncidentLineHit;
  missing: boolean;
  /** Bytes read by this scan (tests and benchmarks check reads stay incremental). */
  bytesRead: number;
}

/** Any JSON object; the filter below picks this incident's lines. */
const anyObject: LineSchema<Record<string, unknown>> = {
  safeParse: (v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? { success: true, data: v as Record<string, unknown> }
      : { success: false, error: { issues: [{ path: [], message: 'not an object' }] } },
};

/**
 * Reads from `cursor` to the first `incident_ack` or `incident_resolved` line of `incidentId` (the
 * cursor then points right after it), or to the end of the file. `want` limits which kinds count.
 */
export async function scanForIncident(
  file: string,
  cursor: TailCursor | undefined,
  incidentId: string,
  want: ReadonlyArray<IncidentLineHit['kind']> = ['ack', 'resolved'],
  /** Skip `incident_ack` lines written by this ack timer (`timer_run_id`): its own ack is no news to it. */
  skipAckOfTimer?: string,
): Promise<IncidentScan> {
  let hit: IncidentLineHit | undefined;
  const r = await readNew(file, cursor, anyObject, {
    maxProblems: 0,
    onRecord: (line) => {
      if (line.incident_id !== incidentId) return undefined;
      const kind = line.event_type === 'incident_ack' ? 'ack' : line.event_type === 'incident_resolved' ? 'resolved' : undefined;
      if (!kind || !want.includes(kind)) return undefined;
      if (kind === 'ack' && skipAckOfTimer !== undefined && line.timer_run_id === skipAckOfTimer) return undefined;
      hit = { kind, line };
      return 'stop';
    },
  });
  if (r.missing) return { cursor, missing: true, bytesRead: 0 };
  return { cursor: r.cursor, ...(hit ? { hit } : {}), missing: false, bytesRead: r.bytesRead };
}

interface Waiter {
  since?: { inode?: number; size?: number };
  resolve: () => void;
}

interface Poller {
  waiters: Set<Waiter>;
  timer: NodeJS.Timeout;
}

const pollers = new Map<string, Poller>();

function changed(w: Waiter, st: { ino: number | bigint; size: number } | undefined): boolean {
  if (!st) return false;
  if (!w.since || w.since.inode === undefined) return true;
  return Number(st.ino) !== w.since.inode || st.size !== w.since.size;
}

/**
 * Resolves when `file` differs from `since` (another inode or another size), when it appears, after
 * `timeoutMs`, or when `signal` aborts (never rejects). One poller per file serves every waiter.
 */
export function waitForFileChange(
  file: string,
  since: { inode?: number; size?: number } | undefined,
  timeoutMs: number,
  signal?: AbortSignal,
  pollMs = 250,
): Promise<void> {
  return new Promise<void>((resolve) => {
    let poller = pollers.get(file);
    const waiter: Waiter = { since, resolve: () => undefined };
    const done = () => {
      clearTimeout(timeout);
      signal?.removeEventListener('abort', done);
      const p = pollers.get(file);
      if (p) {
        p.waiters.delete(waiter);
        if (p.waiters.size === 0) {
          clearInterval(p.timer);
          pollers.delete(file);
        }
      }
      resolve();
    };
    waiter.resolve = done;
    const timeout = setTimeout(done, Math.max(0, timeoutMs));
    timeout.unref();
    if (signal?.aborted) return done();
    signal?.addEventListener('abort', done, { once: true });
    if (!poller) {
      const p: Poller = {
        waiters: new Set(),
        timer: setInterval(() => {
          fsp.stat(file).then(
            (st) => {
              for (const w of [...p.waiters]) if (changed(w, st)) w.resolve();
            },
            () => undefined,
          );
        }, pollMs),
      };
      p.timer.unref();
      pollers.set(file, p);
      poller = p;
    }
    poller.waiters.add(waiter);
  });
}

/** Files with a live poller (tests: none may be left behind). */
export function activeFilePollers(): number {
  return pollers.size;
}
