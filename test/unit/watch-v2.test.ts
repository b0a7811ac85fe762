/** The v2 watcher's pure decisions: resolved stays resolved, audit events open incidents, maintenance windows attribute. */
import type { IncidentEvent } from '../../src/domain/incident-events';
import { foldMaintenance, windowCovering, type MaintenanceEvent } from '../../src/domain/maintenance-windows';
import { decideCycleV2, initialCarried, watcherIncidentIdAt, type CycleInputV2, type WatchCarried } from '../../src/domain/watch';

const T0 = Date.parse('2026-11-25T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const open = (id: string, s: number, extra: Record<string, unknown> = {}): IncidentEvent =>
  ({ event_type: 'incident_open', incident_id: id, ts: at(s), severity: 'critical', ...extra }) as IncidentEvent;
const resolved = (id: string, s: number, extra: Record<string, unknown> = {}): IncidentEvent =>
  ({ event_type: 'incident_resolved', incident_id: id, ts: at(s), ...extra }) as IncidentEvent;

function input(over: Partial<CycleInputV2> = {}): CycleInputV2 {
  return {
    now: at(100),
    runId: 'run-1',
    target: 'paper-1',
    incidentEvents: [],
    evaluation: { breaches: [] },
    openTargetIncidents: [],
    selfOpenAfterCycles: 2,
    cycle: 1,
    riskEvents: [],
    maintenance: [],
    resolvedFound: [],
    checked: [],
    maintenanceMaxSeconds: 7200,
    auditSince: at(-900),
    ...over,
  };
}

/** Runs cycles, carrying the state as the workflow does (known incidents recorded as opened). */
function run(cycles: Array<Partial<CycleInputV2>>, from: WatchCarried = initialCarried()) {
  let c = from;
  const opened: string[] = [];
  let checkNext: string[] = [];
  const decisions = [];
  for (const [n, over] of cycles.entries()) {
    const d = decideCycleV2(c, input({ cycle: n + 1, checked: checkNext, ...over }));
    decisions.push(d);
    checkNext = d.checkNext;
    const incidents = { ...c.incidents };
    for (const o of d.open) {
      opened.push(o.incidentId);
      incidents[o.incidentId] = { source: o.source, openedAt: o.openedAt, workflowId: `incident~run-1~${o.incidentId}`, outcome: 'started' };
    }
    c = {
      ...c,
      incidents,
      breachStreaks: d.breachStreaks,
      selfOpened: d.selfOpened,
      breaching: d.breaching,
      resolved: d.resolved,
      windows: d.windows,
      attributed: d.attributed,
    };
  }
  return { c, opened, decisions };
}

test('resolved stays resolved: opens whose incident_resolved is anywhere in the file are skipped, in any order', () => {
  const { opened, decisions } = run([
    // A fresh watcher reads the open first; the activity found its resolved line further down the file.
    { incidentEvents: [open('inc-1', 1), open('inc-2', 2)], resolvedFound: [{ incidentId: 'inc-1', ts: at(50), source: 'drill-runner' }] },
    { incidentEvents: [resolved('inc-1', 50, { source: 'drill-runner' }), open('inc-1', 60)] },
  ]);
  expect(opened).toEqual(['inc-2']);
  expect(decisions[0]!.skipped).toEqual([{ incidentId: 'inc-1', why: 'resolved' }]);
  expect(decisions[1]!.skipped).toEqual([{ incidentId: 'inc-1', why: 'resolved' }]);
});

test("a resolution written elsewhere for a started incident is passed on; drill-runner's own is not", () => {
  const { decisions } = run([
    { incidentEvents: [open('inc-1', 1), open('inc-2', 2)] },
    { incidentEvents: [resolved('inc-1', 10, { source: 'drill-runner' }), resolved('inc-2', 11, { resolution: 'manual', resolved_by: 'alice' })] },
  ]);
  expect(decisions[1]!.externalResolutions).toEqual([{ incidentId: 'inc-2', ts: at(11), resolution: 'manual', resolvedBy: 'alice' }]);
});

test('audit logs: risk_limit_breach → critical, risk_warning → warning, deduplicated with the incident they link', () => {
  const { opened, decisions } = run([
    {
      incidentEvents: [open('inc-7', 1)],
      riskEvents: [
        { incidentId: 'inc-7', linked: true, ts: at(1), eventType: 'risk_limit_breach', runId: 'run-1' },
        { incidentId: 'audit-risk_limit_breach-aaaa', linked: false, ts: at(2), eventType: 'risk_limit_breach' },
        { incidentId: 'audit-risk_warning-bbbb', linked: false, ts: at(3), eventType: 'risk_warning', runId: 'run-1' },
        { incidentId: 'audit-risk_warning-other', linked: false, ts: at(3), eventType: 'risk_warning', runId: 'run-2' },
        { incidentId: 'audit-risk_warning-old', linked: false, ts: at(-5000), eventType: 'risk_warning' },
      ],
    },
    { riskEvents: [{ incidentId: 'audit-risk_limit_breach-aaaa', linked: false, ts: at(2), eventType: 'risk_limit_breach' }] },
  ]);
  expect(opened).toEqual(['inc-7', 'audit-risk_limit_breach-aaaa', 'audit-risk_warning-bbbb']);
  expect(decisions[0]!.open.map((o) => [o.incidentId, o.source, o.severity])).toEqual([
    ['inc-7', 'target', 'critical'],
    ['audit-risk_limit_breach-aaaa', 'audit', 'critical'],
    ['audit-risk_warning-bbbb', 'audit', 'warning'],
  ]);
});

const win = (id: string, s: number, target = 'paper-1'): MaintenanceEvent => ({
  ts: at(s),
  event_type: 'maintenance_window_open',
  window_id: id,
  kind: 'drill',
  target,
  workflow_id: `drill~${target}~${id}`,
});
const close = (id: string, s: number, attributed: string[] = [], target = 'paper-1'): MaintenanceEvent => ({
  ts: at(s),
  event_type: 'maintenance_window_close',
  window_id: id,
  kind: 'drill',
  target,
  attributed_incidents: attributed,
});

test('maintenance window: incidents inside are attributed; resolved by the drill → never opened; unresolved → opened after the close', () => {
  const { opened, c, decisions } = run([
    { maintenance: [win('d-1', 0)], incidentEvents: [open('inc-a', 5), open('inc-b', 6)] },
    { maintenance: [close('d-1', 30, ['inc-a', 'inc-b'])], incidentEvents: [resolved('inc-a', 29, { resolved_by: 'drill:d-1', attributed_to: 'drill:d-1' })] },
    // The cycle after the close: the activity checked both ids; only inc-a has a resolved line.
    { resolvedFound: [{ incidentId: 'inc-a', ts: at(29) }] },
    { incidentEvents: [open('inc-c', 60)] },
  ]);
  expect(decisions[0]!.open).toEqual([]);
  expect(decisions[0]!.skipped.map((x) => x.why)).toEqual(['attributed', 'attributed']);
  expect(decisions[1]!.checkNext.sort()).toEqual(['inc-a', 'inc-b']);
  expect(opened).toEqual(['inc-b', 'inc-c']);
  expect(c.attributed).toMatchObject({ 'inc-a': { windowId: 'd-1', state: 'resolved' }, 'inc-b': { windowId: 'd-1', state: 'opened' } });
  expect(decisions[2]!.open[0]!.summary).toMatch(/inside maintenance window d-1; unresolved after it closed/);
});

test("another target's window attributes nothing; a window never closed expires after its maximum", () => {
  expect(run([{ maintenance: [win('d-9', 0, 'other')], incidentEvents: [open('inc-x', 5)] }]).opened).toEqual(['inc-x']);
  const { opened } = run([{ maintenance: [win('d-2', 0)], incidentEvents: [open('inc-y', 5)], now: at(10) }, { now: at(7300) }, { now: at(7330) }]);
  expect(opened).toEqual(['inc-y']);
});

test('no self-opened incident while a window is open; self-opened ids are unique per breach episode start', () => {
  const breach = {
    id: 'data_quality_errors',
    label: 'dq',
    value: 2,
    threshold: 0,
    comparator: '<=',
    ok: false,
    severity: 'critical',
    unit: 'count',
    evidence: '',
  } as const;
  const during = run([
    { maintenance: [win('d-3', 0)], evaluation: { breaches: [breach] } },
    { evaluation: { breaches: [breach] } },
    { evaluation: { breaches: [breach] } },
  ]);
  expect(during.opened).toEqual([]);
  const after = run([{ evaluation: { breaches: [breach] } }, { evaluation: { breaches: [breach] }, now: at(130) }]);
  expect(after.opened).toEqual([watcherIncidentIdAt('data_quality_errors', at(130))]);
  expect(after.opened[0]).toBe('watch-data_quality_errors-20261125T100210Z');
});

test('maintenance fold: close without open, duplicate lines, covering by time', () => {
  const f = foldMaintenance({}, [close('d-5', 30), win('d-6', 40), win('d-6', 41)], 'paper-1');
  expect(Object.keys(f.windows).sort()).toEqual(['d-5', 'd-6']);
  expect(f.windows['d-6']!.openedAt).toBe(at(40));
  expect(windowCovering(f.windows, at(45))?.windowId).toBe('d-6');
  expect(windowCovering(f.windows, at(35))).toBeUndefined();
});
