/**
 * A drill is a maintenance window (issue 9): incidents its own chaos and stop cause are the drill's.
 * They are attributed to it (listed in its report), never paged (the alert watcher reads the window
 * from `maintenance_events.jsonl`, `domain/maintenance-windows.ts`), and closed by its rollback with
 * an `incident_resolved` line — unless they outlive it: still open at the target after the rollback
 * plus a bound, they are real and stay open (the watcher opens them once the window closes).
 *
 * Which incidents are the drill's (pure; times are data):
 * - a chaos scenario causes the `incident_open` lines from its injection to its recovery (or its
 *   clear, when it did not recover) plus the grace, whose `slo` is one of the scenario's detection
 *   SLOs or whose `incident_class` is the scenario's class; a line with neither field is attributed
 *   on its time alone;
 * - the stop causes every `incident_open` from the stop request to the first clean reconciliation
 *   after the restart (or the rollback, when there was none) plus the grace, whatever its SLO: a
 *   process that is down breaks everything at once.
 * Anything else opened during the drill is not the drill's: it stays open and is paged as usual.
 */
import { DETECTION, type ChaosScenario } from './drill';

/** The incident class each chaos scenario belongs to (the runbook's incident classes). */
export const SCENARIO_INCIDENT_CLASS: Partial<Record<ChaosScenario, string>> = {
  stale_data: 'data_quality',
  corrupt_bars: 'data_quality',
  order_drift: 'reconciliation',
  position_drift: 'reconciliation',
  broker_disconnect: 'broker/connectivity',
  websocket_silence: 'broker/connectivity',
};

export interface IncidentOpenLine {
  incident_id: string;
  ts: string;
  severity?: string;
  slo?: string;
  incident_class?: string;
}

/** One thing the drill did that can open incidents. */
export interface DrillCause {
  /** `chaos:<scenario>` or `stop`. */
  cause: string;
  scenario?: ChaosScenario;
  from: string;
  /** End of its effect (recovered / first clean reconciliation); absent: still going at the rollback. */
  to?: string;
  /** The target's own signal says it is over (scenario recovered, clean reconciliation after the restart). */
  over: boolean;
}

export interface AttributedIncident {
  incidentId: string;
  openedAt: string;
  severity?: string;
  slo?: string;
  cause: string;
}

export function chaosCause(c: { scenario: ChaosScenario; injectedAt: string; clearedAt?: string; recovered?: boolean; recoveredAt?: string }): DrillCause {
  const to = c.recoveredAt ?? c.clearedAt;
  return { cause: `chaos:${c.scenario}`, scenario: c.scenario, from: c.injectedAt, ...(to ? { to } : {}), over: c.recovered === true };
}

export function stopCause(t: { stopRequestedAt?: string; firstCleanReconciliationAt?: string }): DrillCause | undefined {
  if (!t.stopRequestedAt) return undefined;
  return {
    cause: 'stop',
    from: t.stopRequestedAt,
    ...(t.firstCleanReconciliationAt ? { to: t.firstCleanReconciliationAt } : {}),
    over: !!t.firstCleanReconciliationAt,
  };
}

function matches(cause: DrillCause, line: IncidentOpenLine): boolean {
  if (!cause.scenario) return true;
  if (!line.slo && !line.incident_class) return true;
  const slos = DETECTION[cause.scenario]?.slos ?? [];
  if (line.slo && slos.includes(line.slo)) return true;
  const cls = SCENARIO_INCIDENT_CLASS[cause.scenario];
  return !!cls && line.incident_class === cls;
}

/**
 * The incidents among `opens` that the drill's causes explain: each with the first cause (in the
 * given order) whose interval `[from, (to ?? untilIso) + graceSeconds]` holds its open time.
 */
export function attributeIncidents(
  opens: readonly IncidentOpenLine[],
  causes: readonly DrillCause[],
  o: { untilIso: string; graceSeconds: number },
): AttributedIncident[] {
  const out: AttributedIncident[] = [];
  const seen = new Set<string>();
  for (const line of opens) {
    if (seen.has(line.incident_id)) continue;
    const t = Date.parse(line.ts);
    if (!Number.isFinite(t)) continue;
    const c = causes.find((x) => {
      const from = Date.parse(x.from);
      const to = Date.parse(x.to ?? o.untilIso) + o.graceSeconds * 1000;
      return t >= from && t <= to && matches(x, line);
    });
    if (!c) continue;
    seen.add(line.incident_id);
    out.push({
      incidentId: line.incident_id,
      openedAt: line.ts,
      cause: c.cause,
      ...(line.severity ? { severity: line.severity } : {}),
      ...(line.slo ? { slo: line.slo } : {}),
    });
  }
  return out;
}

/**
 * Which attributed incidents are still open after the rollback. The target's word wins when it gives
 * one (`open_breaches` in `/stats`: the incidents whose breach is still going); without it, an
 * incident is over when its cause is (the target's own recovery signal).
 */
export function stillOpen(
  attributed: readonly AttributedIncident[],
  causes: readonly DrillCause[],
  openAtTarget: readonly string[] | undefined,
): AttributedIncident[] {
  if (openAtTarget) {
    const open = new Set(openAtTarget);
    return attributed.filter((a) => open.has(a.incidentId));
  }
  const over = new Map(causes.map((c) => [c.cause, c.over]));
  return attributed.filter((a) => !over.get(a.cause));
}

/** The resolution text of an `incident_resolved` line the drill's rollback writes. */
export function drillResolution(drillId: string, cause: string): string {
  return `caused by DR drill ${drillId} (${cause}); closed by its rollback`.slice(0, 500);
}
