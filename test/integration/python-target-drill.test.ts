/**
 * The weekly drill against a second, independent target: `test/targets/python-target/target.py`
 * (Python stdlib, written from docs/target-contract.md alone), driven only through the contract —
 * the shell process adapter (its start/stop/health commands), the gateway (/stats, /kill-switch),
 * the state file (RFC 8785 digest) and the JSONL artifacts. One real target process per scenario,
 * the real dev server, a real worker. Each scenario checks the verdict and the failure the drill
 * names; figures are checked against the target's own ground truth (its `ground_truth.jsonl`: RPO
 * from the last save before the stop, RTO from `stop_requested` to the next boot's first clean
 * reconciliation, restart complete at its `serving`), as verdicts otherwise.
 *
 * Chaos: most drills here run without it (`scenarios: []`). The chaos test declares the target's own
 * shell fault commands in its entry (`faults`: `target.py fault inject|clear <scenario>`, contract
 * "Fault injection") for stale_data and order_drift; the drill injects each, detects it in the
 * target's artifacts (its SLO monitor's `slo_breach`, its data quality `stale` issues), clears it and
 * sees clean cycles again; the target's fault log is the ground truth of what was run. The process
 * scenarios — a slow graceful drain (20 s), a stop that hangs, a slow restart (40 s) — are the
 * target's own, picked through its scenario file before the drill.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WeeklyDrillInput, WeeklyDrillResult } from '../../src/domain/drill';
import { drillReportSchema, type DrillReport } from '../../src/domain/drill-report';
import type { TargetConfig } from '../../src/domain/target';
import { parseTargets, pickTarget } from '../../src/io/targets';
import { workflowIds } from '../../src/shared';
import { PY_TARGET, startPythonTarget, type PythonScenario, type PythonTarget, type PythonTargetOptions } from '../helpers/python-target';
import { waitFor } from '../helpers/sandbox';
import { devServerEnv, uniqueId } from '../helpers/temporal';
import { startProductWorker, type ProductWorker } from '../helpers/product-worker';

let env: TestWorkflowEnvironment;
let pw: ProductWorker;
let taskQueue: string;
let resultsDir: string;
const targets: Record<string, TargetConfig> = {};
const pyTargets: PythonTarget[] = [];

beforeAll(async () => {
  env = await devServerEnv();
  resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-py-'));
  pw = await startProductWorker(env, {
    config: {
      paging: { enabled: false, minSeverity: 'critical', format: 'json', timeoutMs: 2000 },
      runsDir: path.join(resultsDir, 'runs'),
      resultsDir,
      stateDir: path.join(resultsDir, 'state'),
    },
    targets: async (name) => pickTarget({ targets }, name),
  });
  taskQueue = pw.taskQueue;
});

afterAll(async () => {
  await pw?.stop();
  await Promise.all(pyTargets.map((t) => t.cleanup()));
  await env?.teardown();
  if (!process.env.KEEP_SANDBOX_DIRS) fs.rmSync(resultsDir, { recursive: true, force: true });
});

async function pyTarget(opts: PythonTargetOptions = {}): Promise<PythonTarget> {
  const t = await startPythonTarget(uniqueId('py'), opts);
  pyTargets.push(t);
  Object.assign(targets, parseTargets({ targets: { [t.name]: t.entry } }, t.dir).targets);
  return t;
}

const FAST: Partial<WeeklyDrillInput> = {
  scenarios: [],
  detectionSeconds: 5,
  recoverySeconds: 5,
  verifySeconds: 3,
  restartSeconds: 15,
  pollMs: 100,
  maxDrillSeconds: 120,
};

async function drill(t: PythonTarget, input: Partial<WeeklyDrillInput> = {}): Promise<WeeklyDrillResult> {
  const drillId = uniqueId('d');
  const handle = await env.client.workflow.start('weeklyDrillWorkflow', {
    taskQueue,
    workflowId: workflowIds.drill(t.name, drillId),
    args: [{ target: t.name, drillId, ...FAST, ...input } satisfies WeeklyDrillInput],
  });
  return handle.result();
}

function reportOf(r: WeeklyDrillResult): DrillReport {
  expect(r.reportPath).toBeDefined();
  return drillReportSchema.parse(JSON.parse(fs.readFileSync(r.reportPath!, 'utf8')));
}

function jsonl<T>(file: string): T[] {
  return fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as T)
    : [];
}

const secondsBetween = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 1000;

/** The RTO as the target's ground truth has it: the stop request to the next boot's first clean reconciliation. */
function truthRto(t: PythonTarget): number {
  const gt = t.groundTruth();
  const stopReq = gt.filter((e) => e.event === 'stop_requested').at(-1)!;
  const clean = gt.find((e) => e.event === 'first_clean_reconciliation' && e.boot_id !== stopReq.boot_id && e.ts > stopReq.ts)!;
  return secondsBetween(stopReq.ts, clean.ts);
}

/** A live process (a zombie, exited and not yet reaped, is not). */
function alive(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').at(-1)!.trim().split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The RPO as the target's ground truth has it: the last save before the stop request, to the stop request. */
function truthRpo(t: PythonTarget): number {
  const gt = t.groundTruth();
  const stopReq = gt.filter((e) => e.event === 'stop_requested').at(-1)!;
  const lastSave = gt.filter((e) => e.event === 'state_saved' && e.ts <= stopReq.ts).at(-1);
  return lastSave ? (Date.parse(stopReq.ts) - Date.parse(lastSave.ts)) / 1000 : Number.POSITIVE_INFINITY;
}

test('normal: the drill passes on the Python target; one graceful stop, one new boot, the restored state is the last save', async () => {
  const t = await pyTarget();
  const r = await drill(t);
  expect(r.failures).toEqual([]);
  expect(r.result).toBe('pass');
  expect(r.rto.ok).toBe(true);
  expect(r.rpo.ok).toBe(true);
  const gt = t.groundTruth();
  expect(gt.filter((e) => e.event === 'stop_requested')).toHaveLength(1);
  expect(new Set(gt.filter((e) => e.event === 'process_start').map((e) => e.boot_id)).size).toBe(2);
  // What the new boot restored is what the old one saved last (digest and seq), checked by the drill too.
  const stopped = gt.find((e) => e.event === 'stopped')!;
  const restored = gt.find((e) => e.event === 'state_restored' && e.boot_id !== stopped.boot_id)!;
  expect(restored).toMatchObject({ seq: stopped.seq });
  const lastSave = gt.filter((e) => e.event === 'state_saved' && e.boot_id === stopped.boot_id).at(-1)!;
  expect(restored.digest).toBe(lastSave.digest);
  // The graceful stop flushes a save right at the stop: the RPO is that of a clean shutdown.
  expect(Math.abs(r.rpo.seconds! - truthRpo(t))).toBeLessThan(1);
  expect(t.command('health')).toBe(0);
});

test('stale state: saves stopped before the drill breach the RPO target', async () => {
  const t = await pyTarget();
  t.setScenario('stale_state');
  await new Promise((res) => setTimeout(res, 1600));
  const r = await drill(t, { rpoSeconds: 1 });
  expect(r.result).toBe('fail');
  expect(r.rpo.ok).toBe(false);
  expect(r.rpo.seconds!).toBeGreaterThan(1);
  // The outage starts at the adapter's own record of the stop request (contract §7.1), which the
  // target sees a moment later (a shell spawn: over a second on a loaded machine). Against the
  // target's ground truth: the restored save is its last save before the stop, and the outage start
  // is no later than the stop the target received.
  const gt = t.groundTruth();
  const stopSeen = Date.parse(gt.filter((e) => e.event === 'stop_requested').at(-1)!.ts);
  const outageStart = Date.parse(r.recovery!.outageStartAt!);
  expect(outageStart).toBeLessThanOrEqual(stopSeen);
  expect(Math.abs(r.rpo.seconds! - (truthRpo(t) - (stopSeen - outageStart) / 1000))).toBeLessThan(0.01);
  expect(r.failures.join('\n')).toMatch(/RPO .* exceeds the target 1 s/);
});

test.each([
  ['corrupt_state', /runtime state restored: nothing restored \(digest_mismatch\)/],
  ['lost_state', /runtime state restored: nothing restored \(no_state_file\)/],
  ['recon_never_resumes', /reconciliation loop restarted: no reconciliation events within 3 s/],
  ['recon_dirty', /first clean reconciliation: none within 3 s/],
  ['slo_silent', /SLO monitor emitting: no SLO snapshot within 3 s/],
  ['never_healthy', /target not serving within 4 s of the restart/],
] as Array<[PythonScenario, RegExp]>)('%s: the drill fails and names it', async (scenario, message) => {
  const t = await pyTarget();
  t.setScenario(scenario);
  const r = await drill(t, scenario === 'never_healthy' ? { restartSeconds: 4 } : {});
  expect(r.result).toBe('fail');
  expect(r.failures.join('\n')).toMatch(message);
  // The drill stopped the target exactly once, and it came back (a new boot) whatever broke.
  const gt = t.groundTruth();
  expect(gt.filter((e) => e.event === 'stop_requested')).toHaveLength(1);
  expect(new Set(gt.filter((e) => e.event === 'process_start').map((e) => e.boot_id)).size).toBeGreaterThanOrEqual(2);
  if (scenario === 'recon_dirty' || scenario === 'recon_never_resumes') expect(r.rto.ok).toBe(false);
  if (scenario === 'never_healthy') expect(t.command('health')).not.toBe(0);
  else expect(t.command('health')).toBe(0);
});

test("chaos declared: the target's own shell fault commands inject stale_data and order_drift once each; the drill detects both in its artifacts, sees them recover, and passes", async () => {
  const t = await pyTarget({ faults: ['stale_data', 'order_drift'] });
  const r = await drill(t, { scenarios: ['stale_data', 'order_drift'] });
  expect(r.failures).toEqual([]);
  expect(r.result).toBe('pass');
  const report = reportOf(r);
  expect(report.chaosStatus).toBe('passed');
  expect(report.chaosSkipped).toEqual([]);
  expect(report.chaos.map((c) => c.scenario).sort()).toEqual(['order_drift', 'stale_data']);
  // One inject per scenario, keyed by the drill; the drill measured from the target's own injection time.
  const log = t.faultLog();
  const injects = log.filter((e) => e.action === 'inject');
  expect(injects.map((e) => e.fault).sort()).toEqual(['order_drift', 'stale_data']);
  expect(injects.filter((e) => e.repeat)).toEqual([]);
  // The breach line and its incident line carry one timestamp but sit in two files: a read that falls
  // between the target's two appends sees the incident first, and that incident is as good a signal
  // (contract, "Fault injection") as long as it is the one the target opened for the scenario's own SLO.
  const sloOf: Record<string, string> = { stale_data: 'data_stale_warnings', order_drift: 'order_reconciliation_consecutive_mismatch_runs' };
  const opens = jsonl<{ event_type: string; incident_id: string; slo?: string }>(path.join(t.runDir, 'incident_events.jsonl')).filter(
    (e) => e.event_type === 'incident_open',
  );
  const openedFor = (slo: string) => opens.filter((e) => e.slo === slo).map((e) => `incident_open:${e.incident_id}`);
  for (const c of report.chaos) {
    const inj = injects.find((e) => e.fault === c.scenario)!;
    expect(inj.key).toBe(`chaos.${r.drillId}.inject.${c.scenario}`);
    expect(c).toMatchObject({ detected: true, recovered: true, injectedAt: inj.injected_at });
    const slo = sloOf[c.scenario]!;
    const accepted = [`slo_breach:${slo}`, ...openedFor(slo), ...(c.scenario === 'stale_data' ? ['data_quality:stale'] : [])];
    expect(accepted).toContain(c.signal);
    // The clear was run, and the recovery the drill saw is a clean line the target wrote after it.
    const clear = log.find((e) => e.action === 'clear' && e.fault === c.scenario)!;
    expect(clear.ts >= inj.ts).toBe(true);
    expect(c.recoveredAt! > clear.ts).toBe(true);
  }
  // The target's artifacts show each fault the way the contract says, and clean lines after the clear.
  const slo = jsonl<{ ts: string; event_type: string; slo?: string }>(path.join(t.runDir, 'ops_slo_events.jsonl'));
  const dq = jsonl<{ ts: string; stale_warnings: number; issues: Array<{ kind: string }> }>(path.join(t.runDir, 'data_quality_events.jsonl'));
  const orders = jsonl<{ ts: string; status: string; broker_status?: Record<string, string> }>(path.join(t.runDir, 'order_reconciliation_events.jsonl'));
  const window = (f: string) => {
    const inj = injects.find((e) => e.fault === f)!.ts;
    const clear = log.find((e) => e.action === 'clear' && e.fault === f)!.ts;
    return { during: (x: { ts: string }) => x.ts >= inj && x.ts <= clear, after: (x: { ts: string }) => x.ts > clear };
  };
  const stale = window('stale_data');
  expect(slo.filter((e) => e.event_type === 'slo_breach' && e.slo === 'data_stale_warnings' && stale.during(e))).toHaveLength(1);
  expect(dq.some((e) => stale.during(e) && e.issues.some((i) => i.kind === 'stale'))).toBe(true);
  expect(dq.filter(stale.after).at(-1)).toMatchObject({ stale_warnings: 0, issues: [] });
  const drift = window('order_drift');
  expect(slo.filter((e) => e.event_type === 'slo_breach' && e.slo === 'order_reconciliation_consecutive_mismatch_runs' && drift.during(e))).toHaveLength(1);
  expect(orders.filter((e) => drift.during(e) && e.status === 'mismatch').length).toBeGreaterThanOrEqual(3);
  expect(orders.filter(drift.after).at(-1)).toMatchObject({ status: 'ok' });
  // The rollback's safety net cleared everything; the incidents the chaos opened are the drill's, closed by it.
  expect(log.at(-1)).toMatchObject({ action: 'clear', fault: 'all' });
  const incidents = jsonl<{ event_type: string; incident_id: string; drill_id?: string }>(path.join(t.runDir, 'incident_events.jsonl'));
  const opened = incidents
    .filter((e) => e.event_type === 'incident_open')
    .map((e) => e.incident_id)
    .sort();
  expect(opened).toHaveLength(2);
  expect(report.incidents?.attributed.map((a) => a.cause).sort()).toEqual(['chaos:order_drift', 'chaos:stale_data']);
  expect(report.incidents?.outlived).toEqual([]);
  const resolved = incidents.filter((e) => e.event_type === 'incident_resolved');
  expect(resolved.map((e) => e.incident_id).sort()).toEqual(opened);
  expect(resolved.every((e) => e.drill_id === r.drillId)).toBe(true);
  // And the stop and restart went on as usual: one stop, a new boot serving.
  expect(t.groundTruth().filter((e) => e.event === 'stop_requested')).toHaveLength(1);
  expect(t.command('health')).toBe(0);
  // A retried inject (the drill's key again) injects nothing and reports the first injection time.
  const inj = injects.find((e) => e.fault === 'stale_data')!;
  const again = execFileSync('python3', [PY_TARGET, 'fault', 'inject', 'stale_data', '--dir', t.dir], {
    env: { ...process.env, DRILL_FAULT_KEY: inj.key! },
    encoding: 'utf8',
  });
  expect(JSON.parse(again.trim().split('\n').at(-1)!)).toEqual({ injected_at: inj.injected_at });
  expect(t.faultLog().at(-1)).toMatchObject({ action: 'inject', fault: 'stale_data', key: inj.key, injected_at: inj.injected_at, repeat: true });
  expect(fs.readdirSync(path.join(t.dir, 'faults'))).toEqual([]);
});

test('slow drain (20 s): health answers 503 "stopping" through the drain; the RTO includes it and matches the target\'s ground truth', async () => {
  const t = await pyTarget({ processTimeoutSeconds: 40 });
  t.setScenario('slow_drain', 20);
  const r = await drill(t, { stopSeconds: 60, rtoSeconds: 60 });
  expect(r.failures).toEqual([]);
  expect(r.result).toBe('pass');
  const gt = t.groundTruth();
  const stopReq = gt.filter((e) => e.event === 'stop_requested');
  expect(stopReq).toHaveLength(1);
  const stopped = gt.find((e) => e.event === 'stopped')!;
  expect(secondsBetween(stopReq[0]!.ts, stopped.ts)).toBeGreaterThanOrEqual(20);
  // The drill saw the drain as an outage (health not healthy) before the process was gone, and waited for it to go.
  const tl = reportOf(r).timeline;
  expect(Date.parse(tl.detectedAt!)).toBeLessThan(Date.parse(tl.stoppedAt!));
  expect(Date.parse(tl.stoppedAt!)).toBeGreaterThanOrEqual(Date.parse(stopped.ts));
  expect(r.rto.seconds!).toBeGreaterThanOrEqual(20);
  expect(Math.abs(r.rto.seconds! - truthRto(t))).toBeLessThan(1);
  // The drain ended with the final flush, and that is what the next boot restored.
  const restored = gt.find((e) => e.event === 'state_restored' && e.boot_id !== stopped.boot_id)!;
  expect(restored).toMatchObject({ seq: stopped.seq });
  expect(r.rpo.ok).toBe(true);
}, 150_000);

test('stop longer than the adapter timeout (8 s drain, 3 s command timeout): the retried stop waits until the process is gone; the outage starts at the first request', async () => {
  const t = await pyTarget({ processTimeoutSeconds: 3 });
  t.setScenario('slow_drain', 8);
  const r = await drill(t, { stopSeconds: 30, rtoSeconds: 60 });
  expect(r.failures).toEqual([]);
  expect(r.result).toBe('pass');
  const gt = t.groundTruth();
  const firstReq = gt.find((e) => e.event === 'stop_requested')!;
  const stopped = gt.find((e) => e.event === 'stopped')!;
  expect(secondsBetween(firstReq.ts, stopped.ts)).toBeGreaterThanOrEqual(8);
  // Not taken for stopped while it drained: the drill's stopped time is when the process was gone.
  const tl = reportOf(r).timeline;
  expect(Date.parse(tl.stoppedAt!)).toBeGreaterThanOrEqual(Date.parse(stopped.ts));
  // The outage starts at the adapter's first request (a retry keeps it), no later than the target saw it.
  expect(Date.parse(r.recovery!.outageStartAt!)).toBeLessThanOrEqual(Date.parse(firstReq.ts));
  const clean = gt.find((e) => e.event === 'first_clean_reconciliation' && e.boot_id !== firstReq.boot_id)!;
  expect(Math.abs(r.rto.seconds! - secondsBetween(r.recovery!.outageStartAt!, clean.ts))).toBeLessThan(1);
  expect(r.rto.seconds!).toBeGreaterThanOrEqual(8);
  // One process stopped, one new boot.
  expect(new Set(gt.filter((e) => e.event === 'process_start').map((e) => e.boot_id)).size).toBe(2);
});

test('stop that hangs: the drill fails with "stop did not complete" within stopSeconds after one stop request, and the rollback still runs', async () => {
  const t = await pyTarget();
  t.setScenario('stop_hangs');
  const pid = Number(fs.readFileSync(path.join(t.dir, 'target.pid'), 'utf8'));
  try {
    // 10 s: the target's own stop command (a Python start-up) sends the signal well inside it on a loaded machine.
    const r = await drill(t, { stopSeconds: 10, restartSeconds: 4 });
    expect(r.result).toBe('fail');
    expect(r.failures.join('\n')).toMatch(/stop did not complete: .*bound 10 s/);
    const report = reportOf(r);
    expect(report.steps.find((s) => s.name === 'stop')!.status).toBe('failed');
    // The rollback ran: it tried to bring the target back (the hung process still holds it: 503 "stopping").
    expect(report.steps.find((s) => s.name === 'rollback')).toBeDefined();
    expect(report.rollback.join('; ')).toMatch(/start target: .*; target NOT serving within 4 s/);
    const gt = t.groundTruth();
    expect(gt.filter((e) => e.event === 'stop_requested')).toHaveLength(1);
    expect(gt.filter((e) => e.event === 'stopped')).toEqual([]);
    expect(new Set(gt.filter((e) => e.event === 'process_start').map((e) => e.boot_id)).size).toBe(1);
    expect(alive(pid)).toBe(true);
    expect(t.command('health')).not.toBe(0);
  } finally {
    await t.cleanup();
  }
  // The fixture's cleanup killed it hard.
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((res) => setTimeout(res, 100));
  expect(alive(pid)).toBe(false);
});

test('a SIGTERM the kernel hands to one of its other threads still stops the target gracefully (CPython runs handlers on the main thread only)', async () => {
  const t = await pyTarget();
  const pid = Number(fs.readFileSync(path.join(t.dir, 'target.pid'), 'utf8'));
  const tid = fs.readdirSync(`/proc/${pid}/task`).find((x) => Number(x) !== pid);
  expect(tid).toBeDefined();
  // tgkill: the signal to that thread alone, as a process-directed SIGTERM may land when the main thread is busy.
  execFileSync('python3', ['-c', `import ctypes, sys; sys.exit(ctypes.CDLL(None).tgkill(${pid}, ${tid}, 15))`]);
  await waitFor('the graceful stop', () => !alive(pid), { timeoutMs: 5000, intervalMs: 50 });
  const gt = t.groundTruth();
  expect(gt.filter((e) => e.event === 'stop_requested')).toHaveLength(1);
  expect(gt.filter((e) => e.event === 'stopped')).toHaveLength(1);
});

test('slow restart (40 s): health unhealthy until the new boot serves; restart complete is its serving_at, the RTO matches the ground truth and fails a 30 s target', async () => {
  const t = await pyTarget();
  t.setScenario('slow_restart', 40);
  const r = await drill(t, { rtoSeconds: 30, restartSeconds: 70, maxDrillSeconds: 150 });
  expect(r.result).toBe('fail');
  expect(r.rto.ok).toBe(false);
  expect(r.failures).toEqual([expect.stringMatching(/^RTO [\d.]+ s exceeds the target 30 s$/)]);
  const gt = t.groundTruth();
  const stopReq = gt.find((e) => e.event === 'stop_requested')!;
  const start = gt.find((e) => e.event === 'process_start' && e.boot_id !== stopReq.boot_id)!;
  const serving = gt.find((e) => e.event === 'serving' && e.boot_id === start.boot_id)!;
  expect(secondsBetween(start.ts, serving.ts)).toBeGreaterThanOrEqual(40);
  const tl = reportOf(r).timeline;
  expect(tl.restartBootId).toBe(start.boot_id);
  expect(Math.abs(secondsBetween(serving.ts, tl.restartCompleteAt!))).toBeLessThan(0.05);
  expect(r.recovery!.restartCompleteSeconds!).toBeGreaterThanOrEqual(40);
  expect(r.rto.seconds!).toBeGreaterThanOrEqual(40);
  expect(Math.abs(r.rto.seconds! - truthRto(t))).toBeLessThan(1);
  expect(r.rpo.ok).toBe(true);
  expect(t.command('health')).toBe(0);
}, 170_000);
