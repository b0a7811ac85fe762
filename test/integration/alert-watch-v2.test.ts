/**
 * The alert watcher on the dev server against contract-only targets (a loopback gateway that knows
 * only the target contract; its kill-switch changes are counted where they land), with run files and
 * audit lines written by the test:
 * - a watcher started afresh on a run whose incidents are resolved in the run file reopens none (no
 *   incident workflow, no halt), whatever Temporal's history holds;
 * - `audit_logs/`: `risk_limit_breach` → one critical incident, `risk_warning` → one warning incident,
 *   a breach linked to an `incident_open` → the same one incident, through continue-as-new;
 * - a drill's maintenance window: incidents inside are attributed to it; the one the drill resolved
 *   is never opened, the one still unresolved after the close is.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { auditIncidentId } from '../../src/activities/incidents';
import type { AlertWatchInput } from '../../src/domain/watch';
import { parseTargets, staticTargetResolver } from '../../src/io/targets';
import { workflowIds } from '../../src/shared';
import { alertWatchStatusQuery, incidentStatusQuery, stopWatchSignal } from '../../src/workflows/definitions';
import { startContractTarget, type ContractTarget } from '../helpers/contract-target';
import { recordHistory } from '../helpers/process';
import { waitFor } from '../helpers/sandbox';
import { devServerEnv } from '../helpers/temporal';
import { PAGING_OFF, startProductWorker, type ProductWorker } from '../helpers/product-worker';

let env: TestWorkflowEnvironment;
let pw: ProductWorker;
let taskQueue: string;
let dir: string;
const t: Record<'fresh' | 'audit' | 'maint', ContractTarget> = {} as never;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'watch-v2-'));
  env = await devServerEnv();
  for (const name of ['fresh', 'audit', 'maint'] as const) t[name] = await startContractTarget(dir, name, `run-${name}`);
  const targets = parseTargets({ targets: Object.fromEntries(Object.values(t).map((x) => [x.name, x.entry])) }, dir);
  pw = await startProductWorker(env, {
    config: { paging: PAGING_OFF, runsDir: path.join(dir, 'runs'), stateDir: dir },
    targets: staticTargetResolver(targets),
  });
  taskQueue = pw.taskQueue;
});

afterAll(async () => {
  // Incidents opened here wait (nothing recovers on these targets): end them with the worker.
  for (const x of Object.values(t)) {
    for await (const wf of env.client.workflow.list({ query: `DrillTarget = '${x.name}' AND ExecutionStatus = 'Running'` }))
      await env.client.workflow
        .getHandle(wf.workflowId)
        .terminate('test done')
        .catch(() => undefined);
  }
  await pw?.stop();
  await Promise.all(Object.values(t).map((x) => x.close()));
  await env?.teardown();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const line = (o: object) => `${JSON.stringify(o)}\n`;
const append = (file: string, ...records: object[]) => fs.appendFileSync(file, records.map(line).join(''));
const now = () => new Date().toISOString();

function startWatcher(target: ContractTarget, over: Partial<AlertWatchInput> = {}) {
  const runId = String(target.entry.runId);
  return env.client.workflow.start('alertWatchWorkflow', {
    taskQueue,
    workflowId: workflowIds.alertWatch(runId),
    args: [
      {
        runId,
        target: target.name,
        intervalSeconds: 1,
        incident: { cycleSeconds: 1, maxWaitSeconds: 600, ackSlaSeconds: 900 },
        ...over,
      } satisfies AlertWatchInput,
    ],
  });
}

async function incidentsOf(runId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of env.client.workflow.list({ query: `DrillRunId = '${runId}' AND WorkflowType = 'incidentWorkflow'` })) ids.push(wf.workflowId);
  return ids.sort();
}

test('a watcher started afresh on a run with resolved incidents reopens none: no workflow, no halt', async () => {
  const x = t.fresh;
  const runId = String(x.entry.runId);
  const inc = path.join(x.runDir, 'incident_events.jsonl');
  const auditFile = `${now().slice(0, 10)}.jsonl`;
  const unlinked = { ts: now(), event_type: 'risk_limit_breach', run_id: runId, severity: 'critical', detail: 'gross exposure 140%' };
  append(
    inc,
    { ts: now(), event_type: 'incident_open', incident_id: 'inc-1', severity: 'critical', incident_class: 'reconciliation' },
    { ts: now(), event_type: 'incident_open', incident_id: 'inc-2', severity: 'critical', incident_class: 'broker/connectivity' },
    { ts: now(), event_type: 'incident_open', incident_id: 'inc-3', severity: 'warning' },
    // Resolved by drill-runner, by the runbook's script, by a drill: all the same to the watcher.
    { ts: now(), event_type: 'incident_resolved', incident_id: 'inc-1', resolution: 'recovered', source: 'drill-runner' },
    { ts: now(), event_type: 'incident_resolved', incident_id: 'inc-2', resolution: 'manual' },
    { ts: now(), event_type: 'incident_resolved', incident_id: 'inc-3', resolution: 'recovered', resolved_by: 'drill:d-1' },
    { ts: now(), event_type: 'incident_resolved', incident_id: auditIncidentId(auditFile, unlinked), resolution: 'recovered', source: 'drill-runner' },
  );
  append(path.join(x.auditDir, auditFile), { ts: now(), event_type: 'risk_limit_breach', run_id: runId, incident_id: 'inc-1' }, unlinked);
  // The old watcher's history is gone: a brand-new watcher reads the whole run.
  const handle = await startWatcher(x, { cyclesPerRun: 2 });
  const st = await waitFor(
    'a few cycles and a continue-as-new',
    async () => {
      const s = await handle.query(alertWatchStatusQuery);
      return s.cycle >= 4 && s.continuedAsNew >= 1 ? s : undefined;
    },
    { timeoutMs: 30000 },
  );
  expect(st.incidents).toEqual({});
  // inc-1 (its open and its linked audit line are one candidate), inc-2, inc-3, the unlinked audit breach.
  expect(st.resolvedSkipped).toBe(4);
  expect(await incidentsOf(runId)).toEqual([]);
  expect(x.changes).toEqual([]);
  await handle.signal(stopWatchSignal, { by: 'jest', reason: 'done' });
  await handle.result();
});

test('audit logs open incidents: risk_limit_breach → one critical, risk_warning → one warning, a linked breach → its incident once', async () => {
  const x = t.audit;
  const runId = String(x.entry.runId);
  const auditFile = path.join(x.auditDir, `${now().slice(0, 10)}.jsonl`);
  const handle = await startWatcher(x, { cyclesPerRun: 3 });
  await waitFor('the watcher cycling', async () => (await handle.query(alertWatchStatusQuery)).cycle >= 1);
  const breach = { ts: now(), event_type: 'risk_limit_breach', run_id: runId, severity: 'critical', detail: 'position limit AAPL' };
  append(auditFile, breach);
  const st = await waitFor(
    'the breach incident',
    async () => {
      const s = await handle.query(alertWatchStatusQuery);
      return Object.keys(s.incidents).length >= 1 ? s : undefined;
    },
    { timeoutMs: 20000 },
  );
  const id = auditIncidentId(path.basename(auditFile), breach);
  expect(Object.keys(st.incidents)).toEqual([id]);
  expect(st.incidents[id]).toMatchObject({ source: 'audit', outcome: 'started' });
  const inc = env.client.workflow.getHandle(workflowIds.incident(runId, id));
  expect(await waitFor('the incident status', () => inc.query(incidentStatusQuery))).toMatchObject({
    severity: 'critical',
    hold: expect.objectContaining({ holder: `incident:${runId}/${id}` }),
  });

  // A warning, and a breach the target linked to its own incident_open: one incident each.
  append(path.join(x.runDir, 'incident_events.jsonl'), {
    ts: now(),
    event_type: 'incident_open',
    incident_id: 'inc-L',
    severity: 'critical',
    incident_class: 'reconciliation',
  });
  append(
    auditFile,
    { ts: now(), event_type: 'risk_limit_breach', run_id: runId, incident_id: 'inc-L', detail: 'linked' },
    { ts: now(), event_type: 'risk_warning', run_id: runId, detail: 'exposure 90%' },
  );
  await waitFor(
    'three incidents, through a continue-as-new',
    async () => {
      const s = await handle.query(alertWatchStatusQuery);
      return Object.keys(s.incidents).length === 3 && s.continuedAsNew >= 1 ? s : undefined;
    },
    { timeoutMs: 30000 },
  );
  await new Promise((r) => setTimeout(r, 2500));
  const ids = await incidentsOf(runId);
  expect(ids).toHaveLength(3);
  expect(ids).toContain(workflowIds.incident(runId, 'inc-L'));
  const warning = ids.find((w) => w.includes('risk_warning'))!;
  expect((await env.client.workflow.getHandle(warning).query(incidentStatusQuery)).severity).toBe('warning');
  // One halt at the gateway for all three holders; nobody resumed.
  expect(x.changes.filter((c) => c.action === 'resume')).toEqual([]);
  expect(x.state.haltReason).toMatch(/^drill-runner holds entries \(3 holders\)/);
  await handle.signal(stopWatchSignal, { by: 'jest' });
  await handle.result();
  await recordHistory(handle, 'alert-watch-v2-audit');
});

test("a drill's maintenance window: incidents inside attributed; resolved by the drill → never opened; unresolved → opened after the close", async () => {
  const x = t.maint;
  const runId = String(x.entry.runId);
  const maint = path.join(x.runDir, 'maintenance_events.jsonl');
  const inc = path.join(x.runDir, 'incident_events.jsonl');
  const handle = await startWatcher(x);
  await waitFor('the watcher cycling', async () => (await handle.query(alertWatchStatusQuery)).cycle >= 1);
  // As the drill writes them: the window opens before its chaos; its chaos opens two incidents.
  append(maint, {
    ts: now(),
    event_type: 'maintenance_window_open',
    window_id: 'd-7',
    kind: 'drill',
    target: x.name,
    workflow_id: workflowIds.drill(x.name, 'd-7'),
  });
  await new Promise((r) => setTimeout(r, 50));
  append(
    inc,
    { ts: now(), event_type: 'incident_open', incident_id: 'inc-chaos-1', severity: 'critical', incident_class: 'data_quality' },
    { ts: now(), event_type: 'incident_open', incident_id: 'inc-chaos-2', severity: 'critical', incident_class: 'reconciliation' },
  );
  const during = await waitFor('both attributed', async () => {
    const s = await handle.query(alertWatchStatusQuery);
    return Object.keys(s.attributed ?? {}).length === 2 ? s : undefined;
  });
  expect(during.attributed).toMatchObject({ 'inc-chaos-1': { windowId: 'd-7', state: 'in-window' }, 'inc-chaos-2': { windowId: 'd-7', state: 'in-window' } });
  expect(during.windows?.['d-7']).toMatchObject({ kind: 'drill' });
  await new Promise((r) => setTimeout(r, 2000));
  expect(await incidentsOf(runId)).toEqual([]);
  expect(x.changes).toEqual([]);

  // The rollback: the first recovered (the drill resolves it), the second did not.
  append(inc, { ts: now(), event_type: 'incident_resolved', incident_id: 'inc-chaos-1', resolved_by: 'drill:d-7', attributed_to: 'drill:d-7' });
  append(maint, {
    ts: now(),
    event_type: 'maintenance_window_close',
    window_id: 'd-7',
    kind: 'drill',
    target: x.name,
    attributed_incidents: ['inc-chaos-1', 'inc-chaos-2'],
  });
  const after = await waitFor(
    'the unresolved one opened',
    async () => {
      const s = await handle.query(alertWatchStatusQuery);
      return s.attributed?.['inc-chaos-2']?.state === 'opened' && s.incidents['inc-chaos-2'] ? s : undefined;
    },
    { timeoutMs: 20000 },
  );
  expect(after.attributed?.['inc-chaos-1']?.state).toBe('resolved');
  expect(Object.keys(after.incidents)).toEqual(['inc-chaos-2']);
  await new Promise((r) => setTimeout(r, 2000));
  expect(await incidentsOf(runId)).toEqual([workflowIds.incident(runId, 'inc-chaos-2')]);
  expect(x.changes.filter((c) => c.action === 'halt')).toHaveLength(1);
  await handle.signal(stopWatchSignal, { by: 'jest' });
  await handle.result();
  await recordHistory(handle, 'alert-watch-v2-maintenance');
});
