/**
 * alertWatchWorkflow on the dev server: offsets carried over continue-as-new (every line counted once,
 * none skipped, a half-written line read once complete), corrupt lines counted as data quality errors,
 * duplicate `incident_open` lines → one incident workflow, and `drill triage` as a child process.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { IncidentResult } from '../../src/domain/incident';
import type { AlertWatchInput, AlertWatchResult } from '../../src/domain/watch';
import { parseTargets, staticTargetResolver } from '../../src/io/targets';
import { workflowIds } from '../../src/shared';
import { alertWatchStatusQuery, stopWatchSignal } from '../../src/workflows/definitions';
import { startTestSandbox, waitFor, type TestSandbox } from '../helpers/sandbox';
import { devServerEnv, uniqueId } from '../helpers/temporal';
import { PAGING_OFF, startProductWorker, type ProductWorker } from '../helpers/product-worker';

const exec = promisify(execFile);
const DRILL = path.resolve(__dirname, '../../bin/drill.js');

let env: TestWorkflowEnvironment;
let sbx: TestSandbox;
let pw: ProductWorker;
let taskQueue: string;
let dir: string;
let targetsFile: string;

beforeAll(async () => {
  [env, sbx] = await Promise.all([devServerEnv(), startTestSandbox({ config: { runId: 'paper-watch' } })]);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'watch-int-'));
  // A second target: plain files only (its gateway is never called by the watcher).
  const files = parseTargets(
    {
      targets: {
        ...Object.fromEntries(Object.entries(sbx.targets.targets)),
        files: {
          ...sbx.targets.targets[sbx.targetName]!,
          artifactsRoot: path.join(dir, 'runs'),
          auditLogsDir: path.join(dir, 'audit_logs'),
          runId: 'files-run',
        },
      },
    },
    dir,
  );
  targetsFile = path.join(dir, 'targets.json');
  fs.writeFileSync(targetsFile, JSON.stringify(files));
  pw = await startProductWorker(env, {
    config: { paging: PAGING_OFF, runsDir: path.join(dir, 'runs'), stateDir: dir },
    targets: staticTargetResolver(files),
  });
  taskQueue = pw.taskQueue;
});

afterAll(async () => {
  await pw?.stop();
  await sbx?.cleanup();
  await env?.teardown();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function recordHistory(handle: { fetchHistory(): Promise<Parameters<typeof historyToJSON>[0]> }, name: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  fs.writeFileSync(path.resolve(__dirname, `../replay/histories/${name}.json`), historyToJSON(await handle.fetchHistory()));
}

function recon(cycle: number): string {
  return `${JSON.stringify({ ts: new Date().toISOString(), cycle, status: 'ok', orders_checked: 1, mismatched_order_ids: [] })}\n`;
}

test('continue-as-new keeps the offsets: every line read exactly once; corrupt lines counted as data quality errors', async () => {
  const runId = uniqueId('files');
  const runDir = path.join(dir, 'runs', runId);
  fs.mkdirSync(runDir, { recursive: true });
  const file = path.join(runDir, 'order_reconciliation_events.jsonl');
  let cycle = 0;
  const append = (n: number) => {
    for (let i = 0; i < n; i++) fs.appendFileSync(file, recon(++cycle));
  };
  append(10);
  fs.appendFileSync(file, 'not json at all\n{"cycle": "x"}\n');
  const handle = await env.client.workflow.start('alertWatchWorkflow', {
    taskQueue,
    workflowId: workflowIds.alertWatch(runId),
    args: [{ runId, target: 'files', intervalSeconds: 1, cyclesPerRun: 2, openIncidents: false } satisfies AlertWatchInput],
  });
  const q = () => handle.query(alertWatchStatusQuery);
  await waitFor('the first lines', async () => ((await q()).counters.linesRead.orderReconciliation ?? 0) === 10);
  // Appended in pieces across cycles and runs, including a line written in two halves.
  for (let round = 0; round < 4; round++) {
    append(5);
    const half = recon(++cycle);
    fs.appendFileSync(file, half.slice(0, 20));
    await waitFor('a cycle to pass', async () => (await q()).cycle >= 2 * (round + 2));
    fs.appendFileSync(file, half.slice(20));
  }
  fs.appendFileSync(file, '{"broken\n');
  const s = await waitFor(
    'all lines counted',
    async () => {
      const st = await q();
      return (st.counters.linesRead.orderReconciliation ?? 0) === cycle && st.continuedAsNew >= 3 ? st : undefined;
    },
    { timeoutMs: 20000 },
  );
  expect(cycle).toBe(34);
  expect(s.counters.linesRead.orderReconciliation).toBe(34);
  expect(s.counters.dataQualityErrors).toBe(3);
  expect(s.recentBreaches.filter((b) => b.slo === 'corrupt_artifact_lines').length).toBeGreaterThanOrEqual(2);
  // Nothing read twice: the folded cycle count equals the lines.
  await new Promise((r) => setTimeout(r, 600));
  expect((await q()).counters.linesRead.orderReconciliation).toBe(34);

  await handle.signal(stopWatchSignal, { reason: 'test done', by: 'jest' });
  const result: AlertWatchResult = await handle.result();
  expect(result).toMatchObject({ stoppedBy: 'jest', reason: 'test done' });
  expect(result.counters.linesRead.orderReconciliation).toBe(34);
  await recordHistory(handle, 'alert-watch-v2-files');
});

test('duplicate incident_open lines (before and after continue-as-new) → one incident workflow, resolved', async () => {
  const runId = sbx.config.runId;
  const incidentId = uniqueId('inc-dup');
  const incFile = path.join(sbx.runDir, 'incident_events.jsonl');
  const open = `${JSON.stringify({ ts: new Date().toISOString(), event_type: 'incident_open', incident_id: incidentId, severity: 'critical', incident_class: 'reconciliation' })}\n`;
  fs.appendFileSync(incFile, open + open);
  const handle = await env.client.workflow.start('alertWatchWorkflow', {
    taskQueue,
    workflowId: workflowIds.alertWatch(runId),
    args: [
      {
        runId,
        target: sbx.targetName,
        intervalSeconds: 1,
        cyclesPerRun: 3,
        incident: { cycleSeconds: 1, maxWaitSeconds: 60, ackSlaSeconds: 900 },
      } satisfies AlertWatchInput,
    ],
  });
  const st = await waitFor('the incident started', async () => {
    const s = await handle.query(alertWatchStatusQuery);
    return s.incidents[incidentId] ? s : undefined;
  });
  expect(st.incidents[incidentId]).toMatchObject({ source: 'target', outcome: 'started' });
  await waitFor('a continue-as-new', async () => (await handle.query(alertWatchStatusQuery)).continuedAsNew >= 1);
  fs.appendFileSync(incFile, open);
  await waitFor('the third line read', async () => (await handle.query(alertWatchStatusQuery)).counters.incidentEvents >= 3);

  const incident = env.client.workflow.getHandle(workflowIds.incident(runId, incidentId));
  const result: IncidentResult = await incident.result();
  expect(result.resolution).toBe('recovered');
  const runs: string[] = [];
  for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${workflowIds.incident(runId, incidentId)}'` })) runs.push(wf.runId);
  expect(runs).toHaveLength(1);

  // The triage CLI works without a running incident: files + gateway.
  const r = await exec(process.execPath, [DRILL, 'triage', '--run-id', runId, '--json'], {
    env: { ...process.env, DRILL_TARGETS_FILE: targetsFile, DRILL_STATE_DIR: dir, DRILL_LOG_PRETTY: 'false' },
    timeout: 30000,
  });
  const report = JSON.parse(r.stdout) as { kind: string; killSwitch: { ok: boolean }; classification: { class: string } };
  expect(report).toMatchObject({ kind: 'triage_report', killSwitch: { ok: true } });

  await handle.signal(stopWatchSignal, {});
  await handle.result();
  await recordHistory(handle, 'alert-watch-v2-sandbox');
});
