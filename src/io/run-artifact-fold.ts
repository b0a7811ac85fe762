/**
 * A run's artifact folder (`<runsDir>/<run_id>/`), read for the alert watcher's cycles: each tailed
 * file read from its cursor (src/io/tail.ts) and folded into the SLO state (src/domain/slo-fold.ts), and a
 * snapshot of the latest records for triage.
 */
import path from 'node:path';
import { z } from 'zod';
import {
  ARTIFACT_FILES,
  auditEventSchema,
  dataQualityEventSchema,
  dataQualityLatestSchema,
  opsSloEventSchema,
  orderReconciliationEventSchema,
  positionReconciliationEventSchema,
  type AuditEvent,
  type DataQualityEvent,
  type OpsSloEvent,
  type OrderReconciliationEvent,
  type PositionReconciliationEvent,
  type SloBreachEvent,
} from '../domain/artifacts';
import { incidentEventSchema, type IncidentEvent } from '../domain/incident-events';
import { dataQualityFoldLineSchema, reconFoldLineSchema, type DataQualityFoldEvent, type ReconFoldEvent } from '../domain/slo-events';
import { foldDataQuality, foldIncidents, foldOpsSlo, foldOrderRecon, foldPositionRecon, type SloState } from '../domain/slo-fold';
import {
  multiTailCursorSchema,
  readLastRecords,
  readLatestJson,
  readNew,
  readNewInDir,
  tailCursorSchema,
  type LatestJson,
  type LineSchema,
  type MultiTailCursor,
  type TailCursor,
} from './tail';

/** One cursor per tailed file of a run, plus the audit folder. Plain JSON (workflow state). */
export interface RunArtifactCursors {
  orderReconciliation?: TailCursor;
  positionReconciliation?: TailCursor;
  opsSlo?: TailCursor;
  dataQuality?: TailCursor;
  incidents?: TailCursor;
  audit?: MultiTailCursor;
}

export const runArtifactCursorsSchema = z.object({
  orderReconciliation: tailCursorSchema.optional(),
  positionReconciliation: tailCursorSchema.optional(),
  opsSlo: tailCursorSchema.optional(),
  dataQuality: tailCursorSchema.optional(),
  incidents: tailCursorSchema.optional(),
  audit: multiTailCursorSchema.optional(),
});

/** Input of the `tailRunArtifacts` activity. `state` is the SloState from the previous call. */
export const tailRunArtifactsInputSchema = z.object({
  runId: z.string(),
  cursors: runArtifactCursorsSchema.optional(),
  /** Opaque to this schema (produced by domain/slo-fold.ts); must be version 1. */
  state: z
    .custom<SloState>((v) => typeof v === 'object' && v !== null && (v as { v?: unknown }).v === 1, { error: 'state must be an SloState (v: 1)' })
    .optional(),
  auditLogsDir: z.string().min(1).optional(),
  maxBytesPerFile: z.number().int().positive().optional(),
  maxEvents: z.number().int().positive().max(5000).optional(),
});
export type TailRunArtifactsInput = z.input<typeof tailRunArtifactsInputSchema>;

export type RunArtifactFileKey = Exclude<keyof RunArtifactCursors, 'audit'> | 'audit';

export interface FileReadStats {
  read: number;
  corrupt: number;
  problems: string[];
  truncated: boolean;
  rotated: boolean;
  missing: boolean;
  more: boolean;
}

export interface FoldRunOptions {
  /** Bytes read per file per call; the rest waits for the next call (`more`). Default 64 MiB. */
  maxBytesPerFile?: number;
  /** Cap on incident / breach / audit events returned per call (the cursor stops there). Default 500. */
  maxEvents?: number;
  /** `audit_logs/` folder of the target, if it has one. */
  auditLogsDir?: string;
  /**
   * Time windows (ISO, inclusive) whose reconciliation and data quality cycle lines are not folded:
   * closed DR drill maintenance windows, for the promotion gate (issue 9). Counted in `excluded`.
   */
  excludeWindows?: ReadonlyArray<{ from: string; to: string }>;
}

export interface FoldRunResult {
  /** Cycle lines skipped because they fall inside `excludeWindows`. */
  excluded?: number;
  state: SloState;
  cursors: RunArtifactCursors;
  /** New incident events, in file order. */
  incidentEvents: IncidentEvent[];
  /** New `slo_breach` events from the target's SLO monitor. */
  sloBreaches: SloBreachEvent[];
  /** New audit events (all types), with their file name. */
  auditEvents: Array<AuditEvent & { file: string }>;
  /** The last order / position reconciliation events read (for triage and recovery checks). */
  lastOrderReconciliation: OrderReconciliationEvent | null;
  lastPositionReconciliation: PositionReconciliationEvent | null;
  files: Partial<Record<RunArtifactFileKey, FileReadStats>>;
  /** Some file has more to read: call again before evaluating a "complete" picture. */
  more: boolean;
  /** Lines not JSON or not matching their schema in this call, all files. */
  corrupt: number;
}

const FOLD_BATCH = 2048;

function stats(r: {
  count: number;
  corrupt: number;
  problems: string[];
  truncated: boolean;
  rotated: boolean;
  missing: boolean;
  more: boolean;
}): FileReadStats {
  return { read: r.count, corrupt: r.corrupt, problems: r.problems, truncated: r.truncated, rotated: r.rotated, missing: r.missing, more: r.more };
}

/**
 * Reads what was appended to a run's artifacts since `cursors` and folds it into `state`
 * (`domain/slo-fold.ts`). High-volume files (reconciliation, data quality) are streamed and folded with
 * light schemas, never returned; the events a watcher acts on (incidents, SLO breaches, audit events)
 * are returned in full, capped by `maxEvents` with the cursor stopping at the cap. The result is small
 * whatever the file sizes, so it fits an activity result.
 */
export async function foldRunArtifacts(dir: string, cursors: RunArtifactCursors, state: SloState, opts: FoldRunOptions = {}): Promise<FoldRunResult> {
  const maxBytes = opts.maxBytesPerFile ?? 64 * 1024 * 1024;
  const maxEvents = opts.maxEvents ?? 500;
  const out: FoldRunResult = {
    state,
    cursors: { ...cursors },
    incidentEvents: [],
    sloBreaches: [],
    auditEvents: [],
    lastOrderReconciliation: null,
    lastPositionReconciliation: null,
    files: {},
    more: false,
    corrupt: 0,
  };
  const windows = (opts.excludeWindows ?? []).map((w) => [Date.parse(w.from), Date.parse(w.to)] as const);
  /** True (and counted) when a cycle line falls inside an excluded window. */
  const excluded = (rec: { ts?: unknown }): boolean => {
    if (!windows.length || typeof rec.ts !== 'string') return false;
    const t = Date.parse(rec.ts);
    if (!windows.some(([a, b]) => t >= a && t <= b)) return false;
    out.excluded = (out.excluded ?? 0) + 1;
    return true;
  };
  const note = (key: RunArtifactFileKey, r: Parameters<typeof stats>[0]) => {
    out.files[key] = stats(r);
    out.corrupt += r.corrupt;
    if (r.more) out.more = true;
    out.state = { ...out.state, corruptLines: { ...(out.state.corruptLines ?? {}), [key]: (out.state.corruptLines?.[key] ?? 0) + r.corrupt } };
  };

  // Reconciliation: fold in batches (folds copy the small state; per-record calls would be slow).
  for (const [key, fileName, fold] of [
    ['orderReconciliation', ARTIFACT_FILES.orderReconciliation, foldOrderRecon],
    ['positionReconciliation', ARTIFACT_FILES.positionReconciliation, foldPositionRecon],
  ] as const) {
    let batch: Array<ReconFoldEvent & Record<string, unknown>> = [];
    let last: (ReconFoldEvent & Record<string, unknown>) | null = null;
    const r = await readNew(path.join(dir, fileName), cursors[key], reconFoldLineSchema, {
      maxBytes,
      onRecord: (rec) => {
        last = rec;
        if (excluded(rec)) return;
        batch.push(rec);
        if (batch.length >= FOLD_BATCH) {
          out.state = fold(out.state, batch);
          batch = [];
        }
      },
    });
    if (batch.length) out.state = fold(out.state, batch);
    out.cursors[key] = r.cursor;
    note(key, r);
    // The last event in full (mismatched ids, broker status) when it validates.
    if (last) {
      if (key === 'orderReconciliation') {
        const p = orderReconciliationEventSchema.safeParse(last);
        out.lastOrderReconciliation = p.success ? p.data : null;
      } else {
        const p = positionReconciliationEventSchema.safeParse(last);
        out.lastPositionReconciliation = p.success ? p.data : null;
      }
    }
  }

  {
    let batch: DataQualityFoldEvent[] = [];
    const r = await readNew(path.join(dir, ARTIFACT_FILES.dataQuality), cursors.dataQuality, dataQualityFoldLineSchema, {
      maxBytes,
      onRecord: (rec) => {
        if (excluded(rec)) return;
        batch.push(rec);
        if (batch.length >= FOLD_BATCH) {
          out.state = foldDataQuality(out.state, batch);
          batch = [];
        }
      },
    });
    if (batch.length) out.state = foldDataQuality(out.state, batch);
    out.cursors.dataQuality = r.cursor;
    note('dataQuality', r);
  }

  {
    // One snapshot per monitor cycle: low volume, full schema.
    let batch: OpsSloEvent[] = [];
    const r = await readNew(path.join(dir, ARTIFACT_FILES.opsSlo), cursors.opsSlo, opsSloEventSchema, {
      maxBytes,
      onRecord: (rec) => {
        batch.push(rec);
        if (rec.event_type === 'slo_breach') out.sloBreaches.push(rec);
        if (batch.length >= FOLD_BATCH) {
          out.state = foldOpsSlo(out.state, batch);
          batch = [];
        }
        return out.sloBreaches.length >= maxEvents ? 'stop' : undefined;
      },
    });
    if (batch.length) out.state = foldOpsSlo(out.state, batch);
    out.cursors.opsSlo = r.cursor;
    note('opsSlo', r);
  }

  {
    const r = await readNew(path.join(dir, ARTIFACT_FILES.incidents), cursors.incidents, incidentEventSchema, { maxBytes, maxRecords: maxEvents });
    out.incidentEvents = r.records;
    out.state = foldIncidents(out.state, r.records);
    out.cursors.incidents = r.cursor;
    note('incidents', r);
  }

  if (opts.auditLogsDir) {
    const r = await readNewInDir(opts.auditLogsDir, cursors.audit, auditEventSchema, { maxBytes, maxRecords: maxEvents });
    out.auditEvents = r.records.map(({ file, record }) => ({ ...record, file }));
    out.cursors.audit = r.cursor;
    note('audit', { ...r, truncated: r.reset.length > 0, rotated: false, missing: false });
  }
  return out;
}

export interface RunSnapshot {
  orderReconciliation: OrderReconciliationEvent[];
  positionReconciliation: PositionReconciliationEvent[];
  opsSlo: OpsSloEvent[];
  /** The last `slo_breach` within the last 4 MiB of `ops_slo_events.jsonl`. */
  lastSloBreach: SloBreachEvent | null;
  dataQuality: DataQualityEvent[];
  dataQualityLatest: LatestJson<DataQualityEvent>;
  /** Artifact files that do not exist. */
  missing: string[];
  /** Lines skipped as corrupt while reading backwards. */
  corrupt: number;
}

/** The latest lines of each artifact, for the triage report ("open latest run artifact directory"). */
export async function snapshotRunArtifacts(dir: string, { lines = 5 }: { lines?: number } = {}): Promise<RunSnapshot> {
  const missing: string[] = [];
  let corrupt = 0;
  const last = async <T>(name: string, schema: LineSchema<T>, opts: { count: number; maxBytes?: number; filter?: (r: T) => boolean }) => {
    const r = await readLastRecords(path.join(dir, name), schema, opts);
    if (r.missing && !missing.includes(name)) missing.push(name);
    corrupt += r.corrupt;
    return r.records;
  };
  const [order, position, ops, breach, dq, latest] = await Promise.all([
    last(ARTIFACT_FILES.orderReconciliation, orderReconciliationEventSchema, { count: lines }),
    last(ARTIFACT_FILES.positionReconciliation, positionReconciliationEventSchema, { count: lines }),
    last(ARTIFACT_FILES.opsSlo, opsSloEventSchema, { count: lines }),
    last(ARTIFACT_FILES.opsSlo, opsSloEventSchema, { count: 1, maxBytes: 4 * 1024 * 1024, filter: (e) => e.event_type === 'slo_breach' }),
    last(ARTIFACT_FILES.dataQuality, dataQualityEventSchema, { count: lines }),
    readLatestJson(path.join(dir, ARTIFACT_FILES.dataQualityLatest), dataQualityLatestSchema),
  ]);
  if (!latest.ok && latest.reason === 'missing') missing.push(ARTIFACT_FILES.dataQualityLatest);
  const b = breach[0];
  return {
    orderReconciliation: order,
    positionReconciliation: position,
    opsSlo: ops,
    lastSloBreach: b && b.event_type === 'slo_breach' ? b : null,
    dataQuality: dq,
    dataQualityLatest: latest,
    missing,
    corrupt,
  };
}
