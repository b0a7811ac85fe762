/**
 * Drill adapters over a target: the preflight snapshot (health, mode, kill switch, last save, open
 * critical incidents, broker) and incremental reads of the target's run artifacts by byte cursor,
 * reduced to the few fields the drill's domain functions decide on. Times are measured here and
 * returned as data: the workflow never reads the host clock for a measurement.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ARTIFACT_FILES } from '../domain/artifacts';
import { emptyObserved, type ObservedEvents, type PreflightSnapshot } from '../domain/drill';
import { INCIDENT_EVENTS_FILE } from '../domain/incident-events';
import { targetNameSchema, type TargetConfig } from '../domain/target';
import { resolveInside } from '../io/files';
import { readNew, tailCursorSchema, type TailCursor } from '../io/tail';
import { createBrokerActivities } from './broker';
import { createGatewayActivities } from './gateway';
import { createProcessControlActivities } from './process-control';
import { createRuntimeStateActivities } from './runtime-state';
import { parseInput, resolveTarget, type TargetActivityDeps } from './target-input';

const OBSERVED_FILES = {
  slo: ARTIFACT_FILES.opsSlo,
  incidents: INCIDENT_EVENTS_FILE,
  dataQuality: ARTIFACT_FILES.dataQuality,
  order: ARTIFACT_FILES.orderReconciliation,
  position: ARTIFACT_FILES.positionReconciliation,
} as const;
type ObservedKey = keyof typeof OBSERVED_FILES;
/** The artifact files the drill reads (all in the target's run directory). */
export const OBSERVED_FILE_NAMES: readonly string[] = Object.values(OBSERVED_FILES);

export const drillCursorsSchema = z.object({
  slo: tailCursorSchema.optional(),
  incidents: tailCursorSchema.optional(),
  dataQuality: tailCursorSchema.optional(),
  order: tailCursorSchema.optional(),
  position: tailCursorSchema.optional(),
});
export type DrillCursors = z.infer<typeof drillCursorsSchema>;

export const drillPreflightInputSchema = z.object({ target: targetNameSchema });
export const drillObserveInputSchema = z.object({
  target: targetNameSchema,
  cursors: drillCursorsSchema.default({}),
  /** Per file and call. */
  maxRecords: z.number().int().min(1).max(100_000).default(5000),
});
export type DrillObserveInput = z.input<typeof drillObserveInputSchema>;

export interface DrillObservation {
  checkedAt: string;
  cursors: DrillCursors;
  events: ObservedEvents;
  /** More lines wait in some file (the per-call cap was reached). */
  more: boolean;
}

// Light line schemas: only the fields the drill decides on (TEMPORAL-NOTES: validate what you use).
const ts = z.string();
const sloLine = z.looseObject({ ts, event_type: z.string(), slo: z.string().optional(), severity: z.string().optional(), incident_id: z.string().optional() });
const incidentLine = z.looseObject({ ts, event_type: z.string(), incident_id: z.string(), severity: z.string().optional(), slo: z.string().optional() });
const dqLine = z.looseObject({ ts, errors: z.number(), stale_warnings: z.number(), issues: z.array(z.looseObject({ kind: z.string() })).default([]) });
const reconLine = z.looseObject({ ts, cycle: z.number(), status: z.string() });

/** The target's run directory, where its artifact files are. */
export function runDirOf(t: TargetConfig): string {
  return resolveInside(t.artifactsRoot, t.runId);
}

async function cursorAtEnd(file: string): Promise<TailCursor> {
  try {
    const st = await fs.stat(file);
    return { offset: st.size, inode: st.ino, size: st.size };
  } catch {
    return { offset: 0 };
  }
}

export function createDrillActivities(deps: TargetActivityDeps) {
  const proc = createProcessControlActivities(deps);
  const gateway = createGatewayActivities(deps);
  const state = createRuntimeStateActivities(deps);
  const broker = createBrokerActivities(deps);

  async function openCriticalIncidents(t: TargetConfig, openBreaches: Record<string, string> | undefined): Promise<string[]> {
    // Severity of each incident from the run's incident log; open = still an open breach at the
    // gateway (when it reports them), else opened and not resolved.
    const file = path.join(runDirOf(t), INCIDENT_EVENTS_FILE);
    const r = await readNew(file, undefined, incidentLine, { maxRecords: 100_000 });
    const severity = new Map<string, string>();
    const resolved = new Set<string>();
    for (const e of r.records) {
      if (e.event_type === 'incident_open' && e.severity) severity.set(e.incident_id, e.severity);
      if (e.event_type === 'incident_resolved') resolved.add(e.incident_id);
    }
    const open = openBreaches ? Object.values(openBreaches) : [...severity.keys()].filter((id) => !resolved.has(id));
    return open.filter((id) => severity.get(id) === 'critical');
  }

  return {
    /** Step 0: health, mode, kill switch, last save, open critical incidents, broker; and artifact cursors at "now". */
    async drillPreflight(input: { target: string }): Promise<PreflightSnapshot & { cursors: DrillCursors }> {
      const i = parseInput(drillPreflightInputSchema, input, 'drillPreflight input');
      const t = await resolveTarget(deps, i.target);
      const cursors = await this_drillCursors(t);
      const health = await proc.processHealth({ target: i.target });
      const snap: PreflightSnapshot & { cursors: DrillCursors } = {
        checkedAt: new Date().toISOString(),
        mode: t.mode,
        runId: t.runId,
        healthy: health.healthy,
        healthDetail: health.detail,
        ...(health.bootId ? { bootId: health.bootId } : {}),
        ...(health.startedAt ? { startedAt: health.startedAt } : {}),
        entriesHalted: false,
        haltReason: null,
        openCriticalIncidents: [],
        activeFaults: [],
        lastSave: null,
        brokerHealthy: null,
        cursors,
      };
      if (!health.healthy) return snap;
      // Independent reads, together: the gateway (then the incident log), the last save, the broker.
      const [, save, brokerHealth] = await Promise.all([
        gateway.gatewayStats({ target: i.target }).then(async (stats) => {
          const s = stats.stats as Record<string, unknown>;
          // The target's own word on its mode wins over the targets file.
          if (s.mode === 'live' || s.mode === 'paper') snap.mode = s.mode;
          snap.entriesHalted = stats.entriesHalted;
          snap.haltReason = stats.haltReason;
          snap.openCriticalIncidents = await openCriticalIncidents(t, s.open_breaches as Record<string, string> | undefined);
          snap.activeFaults = Array.isArray(s.faults) ? (s.faults as Array<{ fault?: string }>).map((f) => String(f.fault)) : [];
          if (s.loops && typeof s.loops === 'object') snap.loops = s.loops as Record<string, boolean>;
        }),
        state.runtimeStateLastSave({ target: i.target }),
        broker.brokerHealth({ target: i.target, timeoutMs: 2000 }),
      ]);
      if (save.exists) snap.lastSave = { savedAt: save.savedAt, seq: save.seq, ageSeconds: save.ageSeconds };
      snap.brokerHealthy = brokerHealth.healthy;
      return snap;
    },

    /** Cursors at the current end of the observed artifact files (read from here on). */
    async drillArtifactCursors(input: { target: string }): Promise<{ at: string; cursors: DrillCursors }> {
      const i = parseInput(drillPreflightInputSchema, input, 'drillArtifactCursors input');
      const t = await resolveTarget(deps, i.target);
      const at = new Date().toISOString();
      return { at, cursors: await this_drillCursors(t) };
    },

    /** One poll: what the target wrote to its artifacts since `cursors` (retry-safe: same input, same output). */
    async drillObserve(input: DrillObserveInput): Promise<DrillObservation> {
      const i = parseInput(drillObserveInputSchema, input, 'drillObserve input');
      const t = await resolveTarget(deps, i.target);
      const dir = runDirOf(t);
      const events = emptyObserved();
      const cursors: DrillCursors = { ...i.cursors };
      let more = false;
      const read = async <T>(key: ObservedKey, schema: z.ZodType<T>, map: (r: T) => void) => {
        const r = await readNew(path.join(dir, OBSERVED_FILES[key]), i.cursors[key], schema, { maxRecords: i.maxRecords });
        for (const rec of r.records) map(rec);
        cursors[key] = r.cursor;
        more ||= r.more;
      };
      await read('slo', sloLine, (r) =>
        events.slo.push({
          ts: r.ts,
          event_type: r.event_type,
          ...(r.slo ? { slo: r.slo } : {}),
          ...(r.severity ? { severity: r.severity } : {}),
          ...(r.incident_id ? { incident_id: r.incident_id } : {}),
        }),
      );
      await read('incidents', incidentLine, (r) =>
        events.incidents.push({
          ts: r.ts,
          event_type: r.event_type,
          incident_id: r.incident_id,
          ...(r.severity ? { severity: r.severity } : {}),
          ...(r.slo ? { slo: r.slo } : {}),
        }),
      );
      await read('dataQuality', dqLine, (r) =>
        events.dataQuality.push({ ts: r.ts, errors: r.errors, stale_warnings: r.stale_warnings, kinds: [...new Set(r.issues.map((x) => x.kind))] }),
      );
      await read('order', reconLine, (r) => events.order.push({ ts: r.ts, cycle: r.cycle, status: r.status }));
      await read('position', reconLine, (r) => events.position.push({ ts: r.ts, cycle: r.cycle, status: r.status }));
      // Keep the reply small: snapshots are only needed as "emitting" evidence.
      const snapshots = events.slo.filter((e) => e.event_type === 'slo_snapshot');
      if (snapshots.length > 20) events.slo = events.slo.filter((e) => e.event_type !== 'slo_snapshot' || e === snapshots[0] || e === snapshots.at(-1));
      return { checkedAt: new Date().toISOString(), cursors, events, more };
    },
  };

  async function this_drillCursors(t: TargetConfig): Promise<DrillCursors> {
    const dir = runDirOf(t);
    const out: DrillCursors = {};
    for (const [k, f] of Object.entries(OBSERVED_FILES) as Array<[ObservedKey, string]>) out[k] = await cursorAtEnd(path.join(dir, f));
    return out;
  }
}
