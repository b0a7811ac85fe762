/**
 * Maintenance windows, as the alert watcher reads them: a drill is a maintenance window for its
 * target. The drill appends to the run folder's `maintenance_events.jsonl` (agreed interface):
 *
 * ```json
 * {"ts": "…", "event_type": "maintenance_window_open", "window_id": "<drill id>", "kind": "drill", "target": "<name>", "workflow_id": "<drill workflow id>"}
 * {"ts": "…", "event_type": "maintenance_window_close", "window_id": "<drill id>", "kind": "drill", "target": "<name>", "attributed_incidents": ["<incident id>", …]}
 * ```
 *
 * Incidents that open inside an open window of the watcher's target are attributed to it: listed,
 * never started (no halt, no page). After the window closes, an attributed incident without an
 * `incident_resolved` line is real and is opened then. Pure: schemas and the fold.
 */
import { z } from 'zod';

export const MAINTENANCE_EVENTS_FILE = 'maintenance_events.jsonl';

const ts = z.iso.datetime({ offset: true });

export const maintenanceWindowOpenSchema = z.looseObject({
  ts,
  event_type: z.literal('maintenance_window_open'),
  window_id: z.string().min(1).max(200),
  kind: z.string().min(1).max(50),
  target: z.string().min(1).max(128),
  workflow_id: z.string().max(400).optional(),
});

export const maintenanceWindowCloseSchema = z.looseObject({
  ts,
  event_type: z.literal('maintenance_window_close'),
  window_id: z.string().min(1).max(200),
  kind: z.string().min(1).max(50),
  target: z.string().min(1).max(128),
  attributed_incidents: z.array(z.string().min(1).max(128)).max(1000).default([]),
});

export const maintenanceEventSchema = z.discriminatedUnion('event_type', [maintenanceWindowOpenSchema, maintenanceWindowCloseSchema]);
export type MaintenanceEvent = z.infer<typeof maintenanceEventSchema>;

export interface MaintenanceWindow {
  windowId: string;
  kind: string;
  openedAt: string;
  workflowId?: string;
  closedAt?: string;
  /** Closed by the watcher because it stayed open past the maximum (the drill never wrote its close). */
  expired?: boolean;
  /** What the drill's close line listed as its own. */
  drillAttributed: string[];
}

/** Folds maintenance lines for `target` into the windows (other targets' lines are ignored). */
export function foldMaintenance(
  windows: Record<string, MaintenanceWindow>,
  events: readonly MaintenanceEvent[],
  target: string,
): { windows: Record<string, MaintenanceWindow>; closed: string[] } {
  const out = { ...windows };
  const closed: string[] = [];
  for (const e of events) {
    if (e.target !== target) continue;
    if (e.event_type === 'maintenance_window_open') {
      if (out[e.window_id]) continue;
      out[e.window_id] = { windowId: e.window_id, kind: e.kind, openedAt: e.ts, ...(e.workflow_id ? { workflowId: e.workflow_id } : {}), drillAttributed: [] };
    } else {
      const w = out[e.window_id] ?? { windowId: e.window_id, kind: e.kind, openedAt: e.ts, drillAttributed: [] };
      if (w.closedAt && !w.expired) continue;
      out[e.window_id] = { ...w, closedAt: e.ts, expired: false, drillAttributed: [...new Set([...w.drillAttributed, ...e.attributed_incidents])] };
      closed.push(e.window_id);
    }
  }
  return { windows: out, closed };
}

/** The open window (if any) that covers an incident opened at `at`. */
export function windowCovering(windows: Record<string, MaintenanceWindow>, at: string): MaintenanceWindow | undefined {
  const t = Date.parse(at);
  return Object.values(windows).find((w) => Date.parse(w.openedAt) <= t && (!w.closedAt || t <= Date.parse(w.closedAt)));
}

export function anyWindowOpen(windows: Record<string, MaintenanceWindow>): boolean {
  return Object.values(windows).some((w) => !w.closedAt);
}

/** Windows open longer than `maxSeconds` at `now` are closed as expired (their drill never wrote the close). */
export function expireWindows(
  windows: Record<string, MaintenanceWindow>,
  now: string,
  maxSeconds: number,
): { windows: Record<string, MaintenanceWindow>; expired: string[] } {
  const out = { ...windows };
  const expired: string[] = [];
  for (const w of Object.values(out)) {
    if (w.closedAt || Date.parse(now) - Date.parse(w.openedAt) <= maxSeconds * 1000) continue;
    out[w.windowId] = { ...w, closedAt: now, expired: true };
    expired.push(w.windowId);
  }
  return { windows: out, expired };
}
