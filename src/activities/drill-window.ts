/**
 * The drill as a maintenance window (issue 9, `domain/drill-incidents.ts`): the window's open and
 * close lines in the run's `maintenance_events.jsonl`, the incidents opened since it opened, and the
 * `incident_resolved` lines the rollback writes for the drill's own incidents. Every write is keyed:
 * a line already in the file (same window and event, same incident) is not written again, so a
 * retried activity adds nothing.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { drillIdSchema, incidentIdSchema, targetNameSchema } from '../domain/ids';
import { INCIDENT_EVENTS_FILE } from '../domain/incident-events';
import { maintenanceEventSchema, MAINTENANCE_EVENTS_FILE, type MaintenanceEvent } from '../domain/maintenance-windows';
import { drillResolution, type IncidentOpenLine } from '../domain/drill-incidents';
import type { TargetConfig } from '../domain/target';
import { resolveInside, withFileLock } from '../io/files';
import { appendIncidentEventOnce } from '../io/incident-log';
import { readNew } from '../io/tail';
import { createGatewayActivities } from './gateway';
import { parseInput, resolveTarget, type TargetActivityDeps } from './target-input';

const incidentIdList = z.array(incidentIdSchema).max(1000);

export const drillWindowInputSchema = z.object({
  target: targetNameSchema,
  windowId: drillIdSchema,
  action: z.enum(['open', 'close']),
  workflowId: z.string().min(1).max(400).optional(),
  attributedIncidents: incidentIdList.default([]),
});
export const drillIncidentsInputSchema = z.object({ target: targetNameSchema, since: z.iso.datetime({ offset: true }) });
export const drillResolveInputSchema = z.object({
  target: targetNameSchema,
  drillId: drillIdSchema,
  incidents: z.array(z.object({ incidentId: incidentIdList.element, cause: z.string().min(1).max(100) })).max(1000),
});

export interface DrillIncidentsSince {
  checkedAt: string;
  opens: IncidentOpenLine[];
  /** Ids with an `incident_resolved` line (anywhere in the file). */
  resolved: string[];
  /** The target's open breaches (`/stats` `open_breaches` values), when it reports them. */
  openAtTarget?: string[];
}

const incidentLine = z.looseObject({
  ts: z.string(),
  event_type: z.string(),
  incident_id: z.string(),
  severity: z.string().optional(),
  slo: z.string().optional(),
  incident_class: z.string().optional(),
});

const runDirOf = (t: TargetConfig) => resolveInside(t.artifactsRoot, t.runId);

export function createDrillWindowActivities(deps: TargetActivityDeps) {
  const gateway = createGatewayActivities(deps);
  return {
    /** Writes the window's open or close line once (keyed by window id and event). Returns the line's time. */
    async drillMaintenanceWindow(input: z.input<typeof drillWindowInputSchema>): Promise<{ ts: string; written: boolean; runId: string }> {
      const i = parseInput(drillWindowInputSchema, input, 'drillMaintenanceWindow input');
      const t = await resolveTarget(deps, i.target);
      const dir = runDirOf(t);
      const file = path.join(dir, MAINTENANCE_EVENTS_FILE);
      const eventType = i.action === 'open' ? 'maintenance_window_open' : 'maintenance_window_close';
      return withFileLock(file, async () => {
        const existing = await readNew(file, undefined, maintenanceEventSchema, { maxRecords: 100_000 });
        const twin = existing.records.find((e: MaintenanceEvent) => e.event_type === eventType && e.window_id === i.windowId && e.target === i.target);
        if (twin) return { ts: twin.ts, written: false, runId: t.runId };
        const ts = new Date().toISOString();
        const line =
          i.action === 'open'
            ? { ts, event_type: eventType, window_id: i.windowId, kind: 'drill', target: i.target, ...(i.workflowId ? { workflow_id: i.workflowId } : {}) }
            : { ts, event_type: eventType, window_id: i.windowId, kind: 'drill', target: i.target, attributed_incidents: i.attributedIncidents };
        await fsp.mkdir(dir, { recursive: true });
        const lead = existing.cursor.partial ? '\n' : '';
        const h = await fsp.open(file, 'a', 0o644);
        try {
          await h.write(`${lead}${JSON.stringify(line)}\n`);
          await h.sync();
        } finally {
          await h.close();
        }
        return { ts, written: true, runId: t.runId };
      });
    },

    /** `incident_open` lines at or after `since`, resolved ids, and the target's open breaches. Read-only. */
    async drillIncidentsSince(input: z.input<typeof drillIncidentsInputSchema>): Promise<DrillIncidentsSince> {
      const i = parseInput(drillIncidentsInputSchema, input, 'drillIncidentsSince input');
      const t = await resolveTarget(deps, i.target);
      const r = await readNew(path.join(runDirOf(t), INCIDENT_EVENTS_FILE), undefined, incidentLine, { maxRecords: 200_000 });
      const since = Date.parse(i.since);
      const opens: IncidentOpenLine[] = [];
      const resolved = new Set<string>();
      for (const e of r.records) {
        if (e.event_type === 'incident_resolved') resolved.add(e.incident_id);
        if (e.event_type !== 'incident_open' || !(Date.parse(e.ts) >= since)) continue;
        opens.push({
          incident_id: e.incident_id,
          ts: e.ts,
          ...(e.severity ? { severity: e.severity } : {}),
          ...(e.slo ? { slo: e.slo } : {}),
          ...(e.incident_class ? { incident_class: e.incident_class } : {}),
        });
      }
      let openAtTarget: string[] | undefined;
      try {
        const s = (await gateway.gatewayStats({ target: i.target, timeoutMs: 2000 })).stats as { open_breaches?: unknown };
        if (s.open_breaches && typeof s.open_breaches === 'object')
          openAtTarget = Object.values(s.open_breaches as Record<string, unknown>).filter((x): x is string => typeof x === 'string');
      } catch {
        // The target does not answer: no word from it; the causes decide.
      }
      return { checkedAt: new Date().toISOString(), opens, resolved: [...resolved], ...(openAtTarget ? { openAtTarget } : {}) };
    },

    /** Appends `incident_resolved` for each of the drill's incidents, once per incident (keyed by its id). */
    async drillResolveIncidents(
      input: z.input<typeof drillResolveInputSchema>,
    ): Promise<{ resolved: Array<{ incidentId: string; ts: string; appended: boolean }> }> {
      const i = parseInput(drillResolveInputSchema, input, 'drillResolveIncidents input');
      const t = await resolveTarget(deps, i.target);
      const file = path.join(runDirOf(t), INCIDENT_EVENTS_FILE);
      const out: Array<{ incidentId: string; ts: string; appended: boolean }> = [];
      for (const x of i.incidents) {
        const ts = new Date().toISOString();
        const r = await appendIncidentEventOnce(file, {
          ts,
          event_type: 'incident_resolved',
          incident_id: x.incidentId,
          resolution: drillResolution(i.drillId, x.cause),
          source: 'dr-drill',
          drill_id: i.drillId,
          cause: x.cause,
        } as Parameters<typeof appendIncidentEventOnce>[1]);
        out.push({ incidentId: x.incidentId, ts: r.appended ? ts : (r.existing?.ts ?? ts), appended: r.appended });
      }
      return { resolved: out };
    },
  };
}
