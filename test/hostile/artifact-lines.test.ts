/**
 * Hostile artifact lines, generated (issue 11.4): the target's JSONL files as the watcher, triage and
 * the promotion gate read them, with valid events mixed with mutated events, other JSON, text,
 * invalid UTF-8, over-long lines, CRLF endings, blank lines and an unfinished last line; written all
 * at once or appended in pieces cut anywhere (inside a line, inside a UTF-8 sequence).
 *
 * - `readNew` (the tailer) against a plain oracle (split on `\n`, JSON.parse, the schema): the same
 *   records in order, the same corrupt count, problems named by byte offset and field; read in pieces
 *   with the cursor carried, the same again; the file never written.
 * - `foldRunArtifacts` (the folds over a whole run folder, audit logs included): folded in pieces
 *   gives the same SLO state, incident events, SLO breaches and audit events as folded once.
 * Never an exception.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { ARTIFACT_FILES, orderReconciliationEventSchema } from '../../src/domain/artifacts';
import { initialSloState, type SloState } from '../../src/domain/slo-fold';
import { readNew, type TailCursor } from '../../src/io/tail';
import { foldRunArtifacts, type RunArtifactCursors } from '../../src/io/run-artifact-fold';
import { checkHostile } from '../helpers/hostile';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-lines-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
/** The same folder for every case, emptied first (cheaper than a new one per case). */
const fresh = (what: string) => {
  const d = path.join(root, what);
  fs.rmSync(d, { recursive: true, force: true });
  fs.mkdirSync(d, { recursive: true });
  return d;
};

const ts = fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-01-01T00:00:00Z') }).map((ms) => new Date(ms).toISOString());
const count = fc.nat(60);
const sev = fc.constantFrom('critical', 'warning');
const EVENTS: Record<keyof typeof FILES, fc.Arbitrary<Record<string, unknown>>> = {
  order: fc.record({
    ts,
    cycle: count,
    status: fc.constantFrom('ok', 'mismatch'),
    orders_checked: count,
    mismatched_order_ids: fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }),
  }),
  position: fc.record({
    ts,
    cycle: count,
    status: fc.constantFrom('ok', 'mismatch'),
    positions_checked: count,
    mismatched_symbols: fc.array(fc.constantFrom('AAPL', 'MSFT'), { maxLength: 2 }),
  }),
  opsSlo: fc.oneof(
    fc.record({
      ts,
      event_type: fc.constant('slo_snapshot'),
      cycle: count,
      operations: count,
      operational_errors: count,
      reconciliation_cycles: count,
      reconciliation_passes: count,
      consecutive_mismatch_runs: count,
    }),
    fc.record({
      ts,
      event_type: fc.constant('slo_breach'),
      slo: fc.constantFrom('consecutive_mismatch_runs', 'data_quality_errors'),
      value: fc.integer({ min: -5, max: 50 }),
      threshold: fc.integer({ min: 0, max: 5 }),
      severity: sev,
    }),
  ),
  dataQuality: fc.record({
    ts,
    cycle: count,
    symbols_checked: count,
    errors: fc.nat(3),
    stale_warnings: fc.nat(3),
    issues: fc.array(fc.record({ symbol: fc.constantFrom('AAPL', 'MSFT'), kind: fc.constantFrom('stale', 'gap'), severity: sev }), { maxLength: 2 }),
  }),
  incidents: fc.oneof(
    fc.record({
      ts,
      incident_id: fc.nat(5).map((i) => `inc-${i}`),
      event_type: fc.constant('incident_open'),
      severity: sev,
      incident_class: fc.constantFrom('reconciliation', 'data_quality'),
    }),
    fc.record({
      ts,
      incident_id: fc.nat(5).map((i) => `inc-${i}`),
      event_type: fc.constant('incident_ack'),
      ack_by: fc.constantFrom('alice', 'bob'),
      ack_latency_seconds: fc.nat(2000),
    }),
    fc.record({ ts, incident_id: fc.nat(5).map((i) => `inc-${i}`), event_type: fc.constant('incident_resolved') }),
  ),
  audit: fc.record({ ts, event_type: fc.constantFrom('risk_warning', 'risk_limit_breach', 'order_placed'), detail: fc.string({ maxLength: 20 }) }),
};
const FILES = {
  order: ARTIFACT_FILES.orderReconciliation,
  position: ARTIFACT_FILES.positionReconciliation,
  opsSlo: ARTIFACT_FILES.opsSlo,
  dataQuality: ARTIFACT_FILES.dataQuality,
  incidents: ARTIFACT_FILES.incidents,
  audit: 'audit_logs/2026-11-25.jsonl',
} as const;

const NL = 0x0a;
const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** One line's bytes (never a newline inside): mostly valid events, then every kind of damage. */
function lineArb(event: fc.Arbitrary<Record<string, unknown>>, longBytes: number): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 8, arbitrary: event.map((e) => utf8(JSON.stringify(e))) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(event, fc.jsonValue({ maxDepth: 2 }))
        .chain(([e, v]) => fc.constantFrom(...Object.keys(e)).map((k) => utf8(JSON.stringify({ ...e, [k]: v })))),
    },
    {
      weight: 1,
      arbitrary: event.map((e) => {
        const { ts: _t, ...rest } = e;
        return utf8(JSON.stringify(rest));
      }),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => utf8(JSON.stringify(v))) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }).map((s) => utf8(s.replace(/\n/g, ' '))) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b.map((x) => (x === NL ? 0x20 : x)))) },
    { weight: 1, arbitrary: event.map((e) => utf8(`${JSON.stringify(e)}\r`)) },
    { weight: 1, arbitrary: fc.constantFrom(utf8(''), utf8('\r')) },
    { weight: 1, arbitrary: event.map((e) => utf8(JSON.stringify({ ...e, pad: 'é'.repeat(longBytes) }))) },
  );
}

/** Complete lines joined by `\n`, optionally followed by an unfinished line. */
function contentArb(event: fc.Arbitrary<Record<string, unknown>>, longBytes: number): fc.Arbitrary<Buffer> {
  return fc.tuple(fc.array(lineArb(event, longBytes), { maxLength: 15 }), fc.option(lineArb(event, longBytes), { nil: undefined })).map(([lines, tail]) => {
    const parts: Buffer[] = [];
    for (const l of lines) parts.push(l, Buffer.from([NL]));
    if (tail && tail.length) parts.push(tail);
    return Buffer.concat(parts);
  });
}

/**
 * What a careful reader must find: complete lines only; over-long, non-JSON and off-schema lines
 * corrupt. An unfinished last line already longer than the limit is counted (once) and skipped
 * at once: the reader never buffers more than the limit.
 */
function oracle<T>(
  bytes: Buffer,
  schema: { safeParse(v: unknown): { success: boolean; data?: T } },
  maxLine: number,
): { records: T[]; corrupt: number; end: number } {
  let end = bytes.lastIndexOf(NL) + 1;
  const records: T[] = [];
  let corrupt = 0;
  if (bytes.length - end > maxLine) {
    corrupt++;
    end = bytes.length;
  }
  let from = 0;
  while (from < end) {
    const to = bytes.indexOf(NL, from);
    if (to === -1) break;
    const raw = bytes.subarray(from, to);
    from = to + 1;
    if (raw.length > maxLine) {
      corrupt++;
      continue;
    }
    const line = raw.toString('utf8');
    if (line.length === 0 || (line.length < 3 && line.trim() === '')) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      corrupt++;
      continue;
    }
    const r = schema.safeParse(v);
    if (r.success) records.push(r.data as T);
    else corrupt++;
  }
  return { records, corrupt, end };
}

/** Cut points inside the content (anywhere: mid-line, mid-UTF-8), ascending. */
const cutsArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 2 }).map((xs) => [...xs].sort((a, b) => a - b));
const cutAt = (bytes: Buffer, fractions: number[]) => [...fractions.map((f) => Math.floor(f * bytes.length)), bytes.length];

test('readNew: the same records and corrupt count as a plain reader, at once or appended in pieces; problems name offset and field', async () => {
  const MAX_LINE = 300;
  await checkHostile({
    boundary: 'artifact-lines/readNew',
    through: 'readNew (src/io/tail.ts): the incremental JSONL tailer every artifact reader uses',
    checks: [
      'never throws',
      'records and corrupt count equal a plain split/JSON.parse/schema reader',
      'the cursor stops after the last complete line',
      'read in pieces (cut anywhere, cursor carried) gives the same records and corrupt count',
      'every problem names its byte offset and the failing field',
      'the file is never written',
    ],
    test: 'test/hostile/artifact-lines.test.ts',
    arbitrary: fc.record({
      bytes: contentArb(EVENTS.order, MAX_LINE),
      cuts: cutsArb,
      chunkBytes: fc.oneof({ weight: 1, arbitrary: fc.integer({ min: 1, max: 8 }) }, { weight: 12, arbitrary: fc.integer({ min: 9, max: 700 }) }),
    }),
    run: async ({ bytes, cuts, chunkBytes }) => {
      const schema = orderReconciliationEventSchema;
      const want = oracle(bytes, schema, MAX_LINE);
      const dir = fresh('tail');
      const file = path.join(dir, 'order_reconciliation_events.jsonl');
      fs.writeFileSync(file, bytes);
      const once = await readNew(file, undefined, schema, { maxLineBytes: MAX_LINE, chunkBytes, maxProblems: 1000 });
      expect(once.records).toEqual(want.records);
      expect(once.corrupt).toBe(want.corrupt);
      expect(once.cursor.offset).toBe(want.end);
      expect(once.problems).toHaveLength(want.corrupt);
      for (const p of once.problems) expect(p).toMatch(/^offset \d+: (not JSON|line longer than \d+ bytes, skipped|[^:]+: .+)$/);
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);

      // Appended in pieces, read after each with the cursor carried.
      const file2 = path.join(dir, 'pieces.jsonl');
      fs.writeFileSync(file2, '');
      let cursor: TailCursor | undefined;
      let written = 0;
      const records: unknown[] = [];
      let corrupt = 0;
      for (const at of cutAt(bytes, cuts)) {
        fs.appendFileSync(file2, bytes.subarray(written, at));
        written = at;
        const r = await readNew(file2, cursor, schema, { maxLineBytes: MAX_LINE, chunkBytes });
        records.push(...r.records);
        corrupt += r.corrupt;
        cursor = r.cursor;
      }
      expect(records).toEqual(want.records);
      expect(corrupt).toBe(want.corrupt);
      expect(cursor?.offset).toBe(want.end);
      return want.corrupt > 0 ? 'with corrupt lines' : 'clean';
    },
  });
});

/** Folds until nothing more is waiting (the per-call caps may stop early). */
async function foldAll(dir: string, cursors: RunArtifactCursors, state: SloState) {
  const out = { state, cursors, incidents: [] as unknown[], breaches: [] as unknown[], audit: [] as unknown[], corrupt: 0 };
  for (let i = 0; i < 50; i++) {
    const r = await foldRunArtifacts(dir, out.cursors, out.state, { auditLogsDir: path.join(dir, 'audit_logs'), maxEvents: 7 });
    out.state = r.state;
    out.cursors = r.cursors;
    out.incidents.push(...r.incidentEvents);
    out.breaches.push(...r.sloBreaches);
    out.audit.push(...r.auditEvents.map(({ file: _f, ...e }) => e));
    out.corrupt += r.corrupt;
    if (!r.more) return out;
  }
  throw new Error('foldRunArtifacts kept saying more after 50 calls');
}

test('foldRunArtifacts over a whole run folder: folded in pieces equals folded once', async () => {
  const keys = Object.keys(FILES) as Array<keyof typeof FILES>;
  await checkHostile({
    boundary: 'artifact-lines/foldRunArtifacts',
    through:
      'foldRunArtifacts (src/io/run-artifact-fold.ts) with the SLO folds (src/domain/slo-fold.ts): the watcher cycle, triage, recovery probes, the promotion gate',
    checks: [
      'never throws',
      'folded in pieces (cut anywhere) gives the same SLO state, incident events, SLO breaches, audit events and corrupt count as folded once',
    ],
    test: 'test/hostile/artifact-lines.test.ts',
    arbitrary: fc.record({
      files: fc.record(Object.fromEntries(keys.map((k) => [k, contentArb(EVENTS[k], 150)])) as Record<keyof typeof FILES, fc.Arbitrary<Buffer>>),
      cuts: cutsArb,
    }),
    run: async ({ files, cuts }) => {
      const once = fresh('once');
      const pieces = fresh('pieces');
      for (const d of [once, pieces]) fs.mkdirSync(path.join(d, 'audit_logs'));
      for (const k of keys) fs.writeFileSync(path.join(once, FILES[k]), files[k]);
      const a = await foldAll(once, {}, initialSloState());

      let b = {
        state: initialSloState(),
        cursors: {} as RunArtifactCursors,
        incidents: [] as unknown[],
        breaches: [] as unknown[],
        audit: [] as unknown[],
        corrupt: 0,
      };
      const written = Object.fromEntries(keys.map((k) => [k, 0])) as Record<keyof typeof FILES, number>;
      for (const f of [...cuts, 1]) {
        for (const k of keys) {
          const at = Math.floor(f * files[k].length);
          fs.appendFileSync(path.join(pieces, FILES[k]), files[k].subarray(written[k], at));
          written[k] = at;
        }
        const r = await foldAll(pieces, b.cursors, b.state);
        b = {
          ...r,
          incidents: [...b.incidents, ...r.incidents],
          breaches: [...b.breaches, ...r.breaches],
          audit: [...b.audit, ...r.audit],
          corrupt: b.corrupt + r.corrupt,
        };
      }
      expect(b.state).toEqual(a.state);
      expect(b.incidents).toEqual(a.incidents);
      expect(b.breaches).toEqual(a.breaches);
      expect(b.audit).toEqual(a.audit);
      expect(b.corrupt).toBe(a.corrupt);
      return a.corrupt > 0 ? 'with corrupt lines' : 'clean';
    },
  });
});
