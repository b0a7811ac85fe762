/**
 * The weekly drill against a second, independent target: `test/targets/python-target/target.py`
 * (Python stdlib, written from docs/target-contract.md alone), driven only through the contract —
 * the shell process adapter (its start/stop/health commands), the gateway (/stats, /kill-switch),
 * the state file (RFC 8785 digest) and the JSONL artifacts. One real target process per scenario,
 * the real dev server, a real worker. Each scenario checks the verdict and the failure the drill
 * names; figures are checked against the target's own ground truth where the definition is settled
 * (RPO: the last save before the stop), as verdicts otherwise.
 *
 * Chaos is not declared for this target (`scenarios: []`): the contract's fault declaration is
 * another part of issue 9.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import type { WeeklyDrillInput, WeeklyDrillResult } from '../../src/domain/drill';
import type { TargetConfig } from '../../src/domain/target';
import { parseTargets, pickTarget } from '../../src/io/targets';
import { workflowIds } from '../../src/shared';
import { startPythonTarget, type PythonScenario, type PythonTarget } from '../helpers/python-target';
import { devServerEnv, uniqueId, workflowBundle } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let worker: Worker;
let workerDone: Promise<void>;
let taskQueue: string;
let resultsDir: string;
const targets: Record<string, TargetConfig> = {};
const pyTargets: PythonTarget[] = [];

beforeAll(async () => {
  env = await devServerEnv();
  resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-py-'));
  taskQueue = uniqueId('tq');
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({
      config: { paging: { enabled: false, minSeverity: 'critical', format: 'json', timeoutMs: 2000 }, runsDir: path.join(resultsDir, 'runs'), resultsDir, stateDir: path.join(resultsDir, 'state') },
      targets: async (name) => pickTarget({ targets }, name),
    }),
  });
  workerDone = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await workerDone;
  await Promise.all(pyTargets.map((t) => t.cleanup()));
  await env?.teardown();
  if (!process.env.KEEP_SANDBOX_DIRS) fs.rmSync(resultsDir, { recursive: true, force: true });
});

async function pyTarget(): Promise<PythonTarget> {
  const t = await startPythonTarget(uniqueId('py'));
  pyTargets.push(t);
  Object.assign(targets, parseTargets({ targets: { [t.name]: t.entry } }, t.dir).targets);
  return t;
}

const FAST: Partial<WeeklyDrillInput> = { scenarios: [], detectionSeconds: 5, recoverySeconds: 5, verifySeconds: 3, restartSeconds: 15, pollMs: 100, maxDrillSeconds: 120 };

async function drill(t: PythonTarget, input: Partial<WeeklyDrillInput> = {}): Promise<WeeklyDrillResult> {
  const drillId = uniqueId('d');
  const handle = await env.client.workflow.start('weeklyDrillWorkflow', {
    taskQueue,
    workflowId: workflowIds.drill(t.name, drillId),
    args: [{ target: t.name, drillId, ...FAST, ...input } satisfies WeeklyDrillInput],
  });
  return handle.result();
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
