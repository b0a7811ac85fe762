/**
 * Chaos through the target contract (issue 9): the sandbox's HTTP fault API and a contract-only
 * target's declared shell commands, keyed injects whose retry returns the first injection time (the
 * target's own), and a target without faults whose chaos drill is skipped (never `passed: true`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createChaosActivities } from '../../src/activities/chaos';
import { runChaosDrill } from '../../src/commands/chaos-drill';
import { chaosCommand } from '../../src/commands/chaos';
import { parseTargets, staticTargetResolver } from '../../src/io/targets';
import type { TargetActivityDeps } from '../../src/activities/target-input';
import { startContractTarget, type ContractTarget } from '../helpers/contract-target';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox';

describe('sandbox: the HTTP fault API', () => {
  let sbx: TestSandbox;
  let chaos: ReturnType<typeof createChaosActivities>;
  beforeAll(async () => {
    sbx = await startTestSandbox();
    chaos = createChaosActivities(sbx.deps);
  });
  afterAll(async () => sbx?.cleanup());

  test("keyed inject: the time is the target's injected_at; a retry (reply lost, or done) returns the first one", async () => {
    expect(await chaos.chaosCapabilities({ target: sbx.targetName, scenarios: ['stale_data', 'order_drift'] })).toEqual({
      adapter: 'http',
      supported: ['stale_data', 'order_drift'],
      unsupported: [],
    });
    const first = await chaos.chaosInject({ target: sbx.targetName, fault: 'order_drift', idempotencyKey: 'd1.inject.order_drift' });
    const truth = sbx.groundTruth().filter((e) => e.event === 'fault_injected' && e.fault === 'order_drift');
    expect(truth).toHaveLength(1);
    const stats = (await (await fetch(`${sbx.info.gateway_url}/faults`)).json()) as { faults: Array<{ fault: string; injected_at: string }> };
    const active = stats.faults.find((f) => f.fault === 'order_drift')!;
    expect(first).toMatchObject({ at: active.injected_at, atSource: 'target' });
    expect(first.alreadyDone).toBeUndefined();
    expect(Math.abs(Date.parse(first.at) - Date.parse(truth[0]!.ts))).toBeLessThan(1000);

    // The worker died with the reply in flight: only the .pending marker is there. The retry acts
    // again (the fault is active: no change) and returns the first injection, not its own time.
    const done = path.join(sbx.deps.opsDir, 'fault-inject.d1.inject.order_drift.done');
    expect(fs.existsSync(done)).toBe(true);
    fs.rmSync(done);
    await new Promise((r) => setTimeout(r, 300));
    const retried = await chaos.chaosInject({ target: sbx.targetName, fault: 'order_drift', idempotencyKey: 'd1.inject.order_drift' });
    expect(retried.at).toBe(first.at);
    expect(retried.changed).toBe(false);
    expect(sbx.groundTruth().filter((e) => e.event === 'fault_injected' && e.fault === 'order_drift')).toHaveLength(1);

    // Done: the first outcome without calling the target.
    const again = await chaos.chaosInject({ target: sbx.targetName, fault: 'order_drift', idempotencyKey: 'd1.inject.order_drift' });
    expect(again).toMatchObject({ at: first.at, alreadyDone: true });
    // One key, one fault.
    await expect(chaos.chaosInject({ target: sbx.targetName, fault: 'stale_data', idempotencyKey: 'd1.inject.order_drift' })).rejects.toMatchObject({
      type: 'InvalidInput',
    });

    const cleared = await chaos.chaosClear({ target: sbx.targetName, fault: 'order_drift', idempotencyKey: 'd1.clear.order_drift' });
    expect(cleared.changed).toBe(true);
    const clearedAgain = await chaos.chaosClear({ target: sbx.targetName, fault: 'order_drift', idempotencyKey: 'd1.clear.order_drift' });
    expect(clearedAgain).toMatchObject({ at: cleared.at, alreadyDone: true });
    expect(sbx.groundTruth().filter((e) => e.event === 'fault_cleared' && e.fault === 'order_drift')).toHaveLength(1);
  });
});

describe('a contract-only target', () => {
  let dir: string;
  let withFaults: ContractTarget;
  let without: ContractTarget;
  let deps: TargetActivityDeps;
  let targetsFile: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-contract-'));
    withFaults = await startContractTarget(dir, 'shell-faults', 'run-1', { shellFaults: ['stale_data', 'order_drift'] });
    without = await startContractTarget(dir, 'no-faults', 'run-1');
    const targets = parseTargets({ targets: { [withFaults.name]: withFaults.entry, [without.name]: without.entry } }, dir);
    targetsFile = path.join(dir, 'targets.json');
    fs.writeFileSync(targetsFile, JSON.stringify({ targets: { [withFaults.name]: withFaults.entry, [without.name]: without.entry } }));
    deps = { targets: staticTargetResolver(targets), opsDir: path.join(dir, 'ops') };
  });
  afterAll(async () => {
    await withFaults?.close();
    await without?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const log = (t: ContractTarget) =>
    fs.existsSync(path.join(t.root, 'fault-log.jsonl'))
      ? fs
          .readFileSync(path.join(t.root, 'fault-log.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { ts: string; action: string; fault: string; key: string; injected_at?: string; repeat?: boolean })
      : [];

  test('shell faults: the command gets the fault and its key; a retried inject returns the first injected_at the command printed', async () => {
    const chaos = createChaosActivities(deps);
    expect(await chaos.chaosCapabilities({ target: withFaults.name, scenarios: ['stale_data', 'broker_disconnect'] })).toEqual({
      adapter: 'shell',
      supported: ['stale_data'],
      unsupported: ['broker_disconnect'],
    });
    const first = await chaos.chaosInject({ target: withFaults.name, fault: 'stale_data', idempotencyKey: 'k1.inject.stale_data' });
    const l1 = log(withFaults);
    expect(l1).toEqual([expect.objectContaining({ action: 'inject', fault: 'stale_data', key: 'k1.inject.stale_data' })]);
    expect(first).toMatchObject({ at: l1[0]!.injected_at, atSource: 'target' });

    fs.rmSync(path.join(deps.opsDir, 'fault-inject.k1.inject.stale_data.done'));
    await new Promise((r) => setTimeout(r, 200));
    const retried = await chaos.chaosInject({ target: withFaults.name, fault: 'stale_data', idempotencyKey: 'k1.inject.stale_data' });
    expect(retried.at).toBe(first.at);
    const l2 = log(withFaults);
    expect(l2).toHaveLength(2);
    expect(l2[1]).toMatchObject({ action: 'inject', repeat: true, key: 'k1.inject.stale_data' });
    // Exactly one incident opened by the target for the one injection.
    const opens = fs.readFileSync(path.join(withFaults.runDir, 'incident_events.jsonl'), 'utf8').trim().split('\n');
    expect(opens).toHaveLength(1);

    await expect(chaos.chaosInject({ target: withFaults.name, fault: 'broker_disconnect' })).rejects.toMatchObject({ type: 'ChaosUnsupported' });
    const cleared = await chaos.chaosClear({ target: withFaults.name, fault: 'all', idempotencyKey: 'k1.clear.all' });
    expect(cleared.atSource).toBe('request');
    expect(log(withFaults).at(-1)).toMatchObject({ action: 'clear', fault: 'all', key: 'k1.clear.all' });
    expect(fs.readdirSync(path.join(withFaults.root, 'faults'))).toEqual([]);
  });

  test("runChaosDrill on shell faults: detected from the target's artifacts, measured from the command's injected_at; undeclared scenarios skipped", async () => {
    const report = await runChaosDrill(deps, {
      target: withFaults.name,
      scenarios: ['order_drift', 'broker_disconnect'],
      detectionSeconds: 5,
      recoverySeconds: 5,
      pollMs: 50,
      drillId: 'drill-shell-1',
    });
    expect(report).toMatchObject({
      status: 'passed',
      passed: true,
      faultAdapter: 'shell',
      failures: [],
      skipped: [{ scenario: 'broker_disconnect', reason: expect.stringMatching(/no inject\/clear/) }],
    });
    expect(report.scenarios).toHaveLength(1);
    const sc = report.scenarios[0]!;
    const inject = log(withFaults).filter((e) => e.action === 'inject' && e.fault === 'order_drift');
    expect(inject).toHaveLength(1);
    expect(sc).toMatchObject({
      scenario: 'order_drift',
      detected: true,
      injectedAt: inject[0]!.injected_at,
      signal: 'slo_breach:order_reconciliation_consecutive_mismatch_runs',
      recovered: true,
    });
    // The breach line's ts minus the command's injection time (the target's own truth).
    const breach = fs
      .readFileSync(path.join(withFaults.runDir, 'ops_slo_events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ts: string; slo?: string })
      .filter((e) => e.slo === 'order_reconciliation_consecutive_mismatch_runs')
      .at(-1)!;
    expect(Math.abs(sc.detectionSeconds! - (Date.parse(breach.ts) - Date.parse(inject[0]!.injected_at!)) / 1000)).toBeLessThan(1);
  });

  test('no faults declared: the chaos drill is skipped, never passed; chaos_drill_latest.json says so', async () => {
    const chaos = createChaosActivities(deps);
    expect(await chaos.chaosCapabilities({ target: without.name, scenarios: ['stale_data'] })).toEqual({
      adapter: 'none',
      supported: [],
      unsupported: ['stale_data'],
    });
    await expect(chaos.chaosInject({ target: without.name, fault: 'stale_data' })).rejects.toMatchObject({ type: 'ChaosUnsupported' });
    const out = path.join(dir, 'results', 'chaos_drill_latest.json');
    const r = await chaosCommand(
      { target: without.name, output: out },
      {
        config: { stateDir: path.join(dir, 'state'), resultsDir: path.join(dir, 'results'), temporal: {} as never, taskQueue: 'x', uiPort: 0 },
        env: { DRILL_TARGETS_FILE: targetsFile },
      },
    );
    const written = JSON.parse(fs.readFileSync(out, 'utf8')) as {
      status: string;
      passed: boolean;
      scenarios: unknown[];
      skipped: Array<{ scenario: string; reason: string }>;
      faultAdapter: string;
    };
    expect(written).toMatchObject({ status: 'skipped', passed: false, scenarios: [], faultAdapter: 'none' });
    expect(written.skipped.map((x) => x.scenario).sort()).toEqual(['broker_disconnect', 'order_drift', 'stale_data']);
    expect(written.skipped[0]!.reason).toMatch(/declares no fault injection/);
    expect(r.report.status).toBe('skipped');
    // Nothing was run on the target.
    expect(log(without)).toEqual([]);
  });
});
