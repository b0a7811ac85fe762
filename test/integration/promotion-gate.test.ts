/**
 * promotionGateWorkflow end to end on the Temporal CLI dev server: one worker on real run folders
 * and drill reports in a temp results dir; the real `drill promote` / `drill verify-bundle` as child
 * processes (exit codes 0 / 1 / 2, $GITHUB_STEP_SUMMARY); the bundle's manifest verified and
 * tampered with.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { verifyBundle } from '../../src/io/evidence-bundle';
import type { PromotionGateInput, PromotionGateResult } from '../../src/domain/promotion';
import { promotionVerdictSchema } from '../../src/domain/promotion';
import { manifestSchema } from '../../src/domain/manifest';
import { SA } from '../../src/search-attributes';
import { workflowIds } from '../../src/shared';
import { promotionGateStatusQuery } from '../../src/workflows/definitions';
import { devServerEnv, uniqueId } from '../helpers/temporal';
import { recordHistory, runDrillCli } from '../helpers/process';
import {
  DAY,
  drillReport,
  incident,
  kpiFile,
  MIN,
  paperKpiLines,
  writeDrillReport,
  writeKpiFile,
  writeRunFile,
  writeRunFolder,
} from '../fixtures/promotion/evidence';
import { PAGING_OFF } from '../helpers/product-worker';

let env: TestWorkflowEnvironment;
let resultsDir: string;
let runsDir: string;
let worker: Worker;
let workerDone: Promise<void>;
let taskQueue: string;
let kpiDir: string;

/** The experiment's KPI criteria file (sharpe >= `sharpeMin`) and the run's `paper_kpi.jsonl` (last sharpe `sharpe`). */
function withKpi(experimentId: string, runId: string, { sharpe = 1.5, sharpeMin = 1.2 } = {}): void {
  writeKpiFile(kpiDir, kpiFile(experimentId, { sharpeMin }));
  writeRunFile(runsDir, runId, 'paper_kpi.jsonl', paperKpiLines(5, { sharpe }));
}

beforeAll(async () => {
  if (!fs.existsSync(path.resolve(__dirname, '../../dist/commands/promote.js'))) throw new Error('build first: npx tsc -p tsconfig.build.json');
  resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'promo-int-'));
  runsDir = path.join(resultsDir, 'runs');
  kpiDir = path.join(resultsDir, 'kpi-criteria');
  taskQueue = uniqueId('tq');
  const [e, workflowBundle] = await Promise.all([
    devServerEnv(),
    // The gate's own module as entry: the same function the index registers.
    bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows/promotion-gate'), logger: new DefaultLogger('WARN') }),
  ]);
  env = e;
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle,
    activities: createActivities({
      config: { paging: PAGING_OFF, runsDir, resultsDir, kpiDir },
    }),
  });
  workerDone = worker.run();
  writeDrillReport(resultsDir, drillReport({ drillId: 'drill-old', finishedMsAgo: 9 * DAY, result: 'fail' }));
  writeDrillReport(resultsDir, drillReport({ drillId: 'drill-latest', finishedMsAgo: 1 * DAY }));
});

afterAll(async () => {
  worker?.shutdown();
  await workerDone;
  await env?.teardown();
  if (resultsDir) fs.rmSync(resultsDir, { recursive: true, force: true });
});

function drill(args: string[], extraEnv: Record<string, string> = {}) {
  return runDrillCli(args, {
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: env.namespace ?? 'default',
    DRILL_TASK_QUEUE: taskQueue,
    DRILL_RESULTS_DIR: resultsDir,
    GITHUB_STEP_SUMMARY: '',
    ...extraEnv,
  });
}

const bundleDir = (experiment: string, runId: string) => path.join(resultsDir, 'promotions', experiment, runId);

test('the workflow gathers, decides and writes a bundle whose manifest verifies', async () => {
  const runId = uniqueId('run');
  const experimentId = uniqueId('exp');
  writeRunFolder(runsDir, runId);
  withKpi(experimentId, runId);
  const handle = await env.client.workflow.start('promotionGateWorkflow', {
    taskQueue,
    workflowId: workflowIds.promotion(experimentId, runId),
    args: [{ experimentId, runId, target: 'paper-sandbox' } satisfies PromotionGateInput],
  });
  const r: PromotionGateResult = await handle.result();
  expect(r.verdict.result).toBe('pass');
  expect(r.verdict.failed).toEqual([]);
  expect(r.verdict.drill).toMatchObject({ drillId: 'drill-latest', path: 'drills/drill-latest/report.json' });
  // The KPI path: the regression row (latest 300 s vs the earlier drill's 300 s) and one row per KPI.
  expect(r.verdict.criteria.slice(11).map((c) => [c.id, c.value, c.verdict])).toEqual([
    ['drill_rto_regression', 1, 'pass'],
    ['kpi.sharpe', 1.5, 'pass'],
    ['kpi.max_drawdown', 0.02, 'pass'],
    ['kpi.operations', 1000, 'pass'],
  ]);
  expect(r.verdict.workflow).toEqual({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId });

  const dir = bundleDir(experimentId, runId);
  expect(r.bundle.dir).toBe(dir);
  expect(r.bundle.files).toEqual([
    'artifacts/data_quality_events.jsonl',
    'artifacts/data_quality_latest.json',
    'artifacts/incident_events.jsonl',
    'artifacts/ops_slo_events.jsonl',
    'artifacts/order_reconciliation_events.jsonl',
    'artifacts/paper_kpi.jsonl',
    'artifacts/position_reconciliation_events.jsonl',
    'audit-head.json',
    'drill/report.json',
    `kpi/${experimentId}.json`,
    'manifest.json',
    'subject.json',
    'verdict.json',
    'verdict.md',
  ]);
  // Attached as evaluated: byte for byte the run's files and the drill report.
  for (const f of r.bundle.files.filter((p) => p.startsWith('artifacts/'))) {
    expect(fs.readFileSync(path.join(dir, f))).toEqual(fs.readFileSync(path.join(runsDir, runId, path.basename(f))));
  }
  expect(fs.readFileSync(path.join(dir, 'drill/report.json'))).toEqual(fs.readFileSync(path.join(resultsDir, 'drills/drill-latest/report.json')));
  expect(fs.readFileSync(path.join(dir, `kpi/${experimentId}.json`))).toEqual(fs.readFileSync(path.join(kpiDir, `${experimentId}.json`)));
  expect(promotionVerdictSchema.parse(JSON.parse(fs.readFileSync(path.join(dir, 'verdict.json'), 'utf8')))).toEqual(r.verdict);
  expect(fs.readFileSync(path.join(dir, 'verdict.md'), 'utf8')).toBe(r.markdown);
  const manifest = manifestSchema.parse(JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')));
  // Every file listed above but manifest.json itself.
  expect(manifest.files).toHaveLength(13);
  expect(manifest.subject).toEqual({
    experimentId,
    runId,
    result: 'pass',
    strict: 'true',
    target: 'paper-sandbox',
    evaluatedAt: r.verdict.evaluatedAt,
    workflowId: handle.workflowId,
    workflowRunId: handle.firstExecutionRunId,
  });
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'subject.json'), 'utf8'))).toEqual(manifest.subject);
  const v = await verifyBundle(dir, { expectHash: r.bundle.manifestSha256 });
  expect(v).toMatchObject({
    ok: true,
    verified: 13,
    changed: [],
    missing: [],
    extra: [],
    manifestSha256: r.bundle.manifestSha256,
    subjectCovered: true,
    pinned: { ok: true },
  });
  // No temp or aside folders left next to it.
  expect(fs.readdirSync(path.dirname(dir))).toEqual([runId]);

  expect(await handle.query(promotionGateStatusQuery)).toMatchObject({ phase: 'done', result: 'pass', bundleDir: dir, strict: true, target: 'paper-sandbox' });
  const desc = await handle.describe();
  expect(desc.typedSearchAttributes.get(SA.result)).toBe('pass');
  expect(desc.typedSearchAttributes.get(SA.state)).toBe('done');
  expect(desc.typedSearchAttributes.get(SA.runId)).toBe(runId);
  // The KPI path's history (the older promotion-pass / -fail stay as recorded before the patch).
  await recordHistory(handle, 'promotion-kpi-pass');
});

test('`drill promote` exit 0 on pass: criteria table, step summary appended; a rerun replaces the bundle; verify-bundle catches a changed, missing and extra file', async () => {
  const runId = uniqueId('run');
  const experiment = uniqueId('exp');
  writeRunFolder(runsDir, runId);
  withKpi(experiment, runId);
  const summary = path.join(resultsDir, `summary-${runId}.md`);
  fs.writeFileSync(summary, '# earlier step\n');

  const first = await drill(['promote', '--experiment', experiment, '--run-id', runId], { GITHUB_STEP_SUMMARY: summary });
  // Progress while it waits goes to stderr; nothing else does.
  expect(first.stderr).toMatch(/^promotion gate promotion~.*: waiting for the verdict \(up to 600 s\)\n/);
  expect(first.stderr).not.toMatch(/^drill:/m);
  expect(first.code).toBe(0);
  const pin = /manifest sha256: ([0-9a-f]{64})/.exec(first.stdout)?.[1];
  expect(pin).toBeDefined();
  expect(first.stdout).toMatch(/promotion gate PASS \(strict\)/);
  expect(first.stdout).toMatch(/reconciliation_pass_rate\s+100\.00%\s+>= 99\.50%\s+pass/);
  expect(first.stdout).toMatch(/drill_age\s+24\.\d h\s+<= 7\.0 d\s+pass/);
  expect(first.stdout).toMatch(/^drill_rto_regression\s+100\.00%\s+<= 150\.00%\s+pass$/m);
  expect(first.stdout).toMatch(/^kpi\.sharpe\s+1\.5\s+>= 1\.2\s+pass$/m);
  expect(first.stdout).toMatch(/^kpi\.max_drawdown\s+2\.00%\s+<= 5\.00%\s+pass$/m);
  expect(first.stdout).toContain(`workflow: ${workflowIds.promotion(experiment, runId)}`);
  const md = fs.readFileSync(summary, 'utf8');
  expect(md.startsWith('# earlier step\n## Promotion gate: ✅ PASS')).toBe(true);
  expect(md).toContain('| ✅ | Reconciliation pass rate (`reconciliation_pass_rate`)');
  expect(md).toContain('| ✅ | Sharpe ratio of the paper run (`kpi.sharpe`) | 1.5 | >= 1.2 | pass |');
  expect(md).toContain(`Evidence bundle manifest sha256: \`${pin}\``);
  expect(md).toContain(`--expect-hash ${pin}`);

  const dir = bundleDir(experiment, runId);
  const firstVerdict = JSON.parse(fs.readFileSync(path.join(dir, 'verdict.json'), 'utf8')) as { workflow: { runId: string } };

  // Same workflow id again (the first closed): a fresh run, a consistent new bundle.
  const again = await drill(['promote', '--experiment', experiment, '--run-id', runId]);
  expect(again.code).toBe(0);
  const secondVerdict = JSON.parse(fs.readFileSync(path.join(dir, 'verdict.json'), 'utf8')) as { workflow: { runId: string } };
  expect(secondVerdict.workflow.runId).not.toBe(firstVerdict.workflow.runId);
  const ok = await drill(['verify-bundle', dir]);
  expect(ok.code).toBe(0);
  expect(ok.stdout).toMatch(/^OK: .* 13 file\(s\) verified/);
  expect(ok.stdout).toMatch(/pinned: no --expect-hash given/);
  // The rerun replaced the bundle: the first run's pin no longer matches; the second's does.
  const secondPin = /manifest sha256: ([0-9a-f]{64})/.exec(again.stdout)![1]!;
  expect((await drill(['verify-bundle', dir, '--expect-hash', pin!])).code).toBe(1);
  const pinned = await drill(['verify-bundle', dir, '--expect-hash', secondPin]);
  expect(pinned.code).toBe(0);
  expect(pinned.stdout).toMatch(/pinned: manifest sha256 matches/);
  expect((await drill(['verify-bundle', dir, '--expect-hash', 'abc'])).code).toBe(2);

  // A re-labelled subject (the manifest edited to say pass) and a forged, consistently re-hashed bundle.
  const manifestFile = path.join(dir, 'manifest.json');
  const manifestText = fs.readFileSync(manifestFile, 'utf8');
  fs.writeFileSync(manifestFile, manifestText.replace(`"experimentId": "${experiment}"`, '"experimentId": "someone-else"'));
  const relabelled = await drill(['verify-bundle', dir, '--expect-hash', secondPin]);
  expect(relabelled.code).toBe(1);
  expect(relabelled.stdout).toMatch(/subject: the manifest's subject differs from subject.json/);
  expect(relabelled.stdout).toMatch(/pinned: MISMATCH/);
  fs.writeFileSync(manifestFile, manifestText);
  const verdictFile = path.join(dir, 'verdict.json');
  const verdictText = fs.readFileSync(verdictFile, 'utf8');
  fs.writeFileSync(verdictFile, verdictText.replace('"result": "pass"', '"result": "fail"'));
  const m = JSON.parse(manifestText) as { files: Array<{ path: string; sha256: string; bytes: number }> };
  const entry = m.files.find((f) => f.path === 'verdict.json')!;
  entry.sha256 = createHash('sha256').update(fs.readFileSync(verdictFile)).digest('hex');
  entry.bytes = fs.statSync(verdictFile).size;
  fs.writeFileSync(manifestFile, `${JSON.stringify(m, null, 2)}\n`);
  expect((await drill(['verify-bundle', dir])).code).toBe(0);
  const rehashed = await drill(['verify-bundle', dir, '--expect-hash', secondPin]);
  expect(rehashed.code).toBe(1);
  expect(rehashed.stdout).toMatch(/pinned: MISMATCH: manifest sha256 is [0-9a-f]{64}, expected/);
  fs.writeFileSync(verdictFile, verdictText);
  fs.writeFileSync(manifestFile, manifestText);

  fs.appendFileSync(path.join(dir, 'artifacts/ops_slo_events.jsonl'), '{"forged":true}\n');
  const changed = await drill(['verify-bundle', dir]);
  expect(changed.code).toBe(1);
  expect(changed.stdout).toMatch(/MISMATCH/);
  expect(changed.stdout).toMatch(/changed: artifacts\/ops_slo_events\.jsonl/);

  fs.rmSync(path.join(dir, 'verdict.md'));
  fs.writeFileSync(path.join(dir, 'extra.txt'), 'not evidence');
  const tampered = await drill(['verify-bundle', dir]);
  expect(tampered.code).toBe(1);
  expect(tampered.stdout).toMatch(/missing: verdict\.md/);
  expect(tampered.stdout).toMatch(/extra: {3}extra\.txt/);

  const notBundle = await drill(['verify-bundle', runsDir]);
  expect(notBundle.code).toBe(2);
  expect(notBundle.stderr).toMatch(/manifest\.json not found/);
});

test('`drill promote` exit 1 on fail (late ack, unacked incident), and strict vs lenient on missing drill evidence', async () => {
  const runId = uniqueId('run');
  const experiment = uniqueId('exp');
  writeRunFolder(runsDir, runId, {
    incidents: [...incident('inc-late', { ackAfterMs: 20 * MIN }), ...incident('inc-open', { openedMsAgo: 5 * MIN, resolved: false })],
  });
  const summary = path.join(resultsDir, `summary-${runId}.md`);
  const out = path.join(resultsDir, `ci-${runId}`, 'verdict.json');
  const fail = await drill(['promote', '--experiment', experiment, '--run-id', runId, '--out', out], { GITHUB_STEP_SUMMARY: summary });
  expect(fail.code).toBe(1);
  const saved = JSON.parse(fs.readFileSync(out, 'utf8')) as { verdict: unknown; bundle: { dir: string } };
  expect(promotionVerdictSchema.parse(saved.verdict).failed).toEqual(['ack_sla', 'open_incidents']);
  expect(saved.bundle.dir).toBe(bundleDir(experiment, runId));
  expect(fail.stdout).toMatch(/promotion gate FAIL/);
  expect(fail.stdout).toMatch(/ack_sla\s+20\.0 min\s+<= 15\.0 min\s+fail/);
  expect(fail.stdout).toMatch(/open_incidents\s+1\s+<= 0\s+fail/);
  expect(fail.stdout).toMatch(/FAIL: ack_sla failed, open_incidents failed, kpi_file missing evidence/);
  // No KPI file for the experiment: strict fails on it, naming the file.
  expect(fail.stdout).toMatch(/^kpi_file\s+—\s+= valid\s+missing$/m);
  expect(promotionVerdictSchema.parse(saved.verdict).missingEvidence).toContain(
    `kpi_file: no KPI criteria file for experiment ${experiment}: ${path.join(kpiDir, `${experiment}.json`)} not found`,
  );
  expect(fs.readFileSync(summary, 'utf8')).toMatch(/❌ FAIL/);
  // A failing gate still leaves its evidence.
  expect((await verifyBundle(bundleDir(experiment, runId))).ok).toBe(true);

  const clean = uniqueId('run');
  writeRunFolder(runsDir, clean);
  const strict = await drill(['promote', '--experiment', experiment, '--run-id', clean, '--target', 'no-such-target', '--json']);
  expect(strict.code).toBe(1);
  const verdict = promotionVerdictSchema.parse(JSON.parse(strict.stdout));
  expect(verdict.missing).toEqual(['drill_result', 'drill_rto', 'drill_rpo', 'drill_age', 'drill_rto_regression', 'kpi_file']);
  expect(verdict.missingEvidence[0]).toMatch(/no valid drill report for target no-such-target under .*drills/);
  const lenient = await drill(['promote', '--experiment', experiment, '--run-id', clean, '--target', 'no-such-target', '--no-strict']);
  expect(lenient.code).toBe(0);
  expect(lenient.stdout).toMatch(/drill_result\s+—\s+= pass\s+missing \(not enforced\)/);
});

test('`drill promote` exit 2: no server, bad run id, unknown run, bad threshold; the step summary says why', async () => {
  const runId = uniqueId('run');
  writeRunFolder(runsDir, runId);
  const summary = path.join(resultsDir, `summary-err-${runId}.md`);

  const dead = await drill(['promote', '--experiment', 'e1', '--run-id', runId], { TEMPORAL_ADDRESS: '127.0.0.1:1', GITHUB_STEP_SUMMARY: summary });
  expect(dead.code).toBe(2);
  expect(dead.stderr).toMatch(/cannot reach the Temporal server at 127\.0\.0\.1:1/);
  expect(fs.readFileSync(summary, 'utf8')).toMatch(/⛔ ERROR: experiment `e1`/);

  // No worker on the queue: it says so while it waits, then gives up with exit 2.
  const lonely = await drill(['promote', '--experiment', 'e-lonely', '--run-id', runId, '--timeout', '12'], { DRILL_TASK_QUEUE: 'nobody-polls-here' });
  expect(lonely.code).toBe(2);
  expect(lonely.stderr).toMatch(/still waiting: no worker has answered on task queue nobody-polls-here \(\d+ s\)/);
  expect(lonely.stderr).toMatch(/no verdict from .* within 12 s: is a worker polling task queue nobody-polls-here\?/);

  const bad = await drill(['promote', '--experiment', 'e1', '--run-id', '../escape']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--run-id: run id may hold only/);

  const badExp = await drill(['promote', '--experiment', 'a/b', '--run-id', runId]);
  expect(badExp.code).toBe(2);
  expect(badExp.stderr).toMatch(/--experiment: experiment id may hold only/);

  const unknown = await drill(['promote', '--experiment', 'e1', '--run-id', 'no-such-run']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/run no-such-run: folder .*no-such-run not found/);

  const badEnv = await drill(['promote', '--experiment', 'e1', '--run-id', runId], { SLO_MIN_RECONCILIATION_PASS_RATE: 'lots' });
  expect(badEnv.code).toBe(2);
  expect(badEnv.stderr).toMatch(/SLO_MIN_RECONCILIATION_PASS_RATE: expected a number/);

  const missingFlag = await drill(['promote', '--run-id', runId]);
  expect(missingFlag.code).toBe(2);
  expect(missingFlag.stderr).toMatch(/required option '--experiment <id>'/);
  expect(fs.existsSync(path.join(resultsDir, 'promotions', 'e1'))).toBe(false);
});

test('a failing gate recorded for replay: SLO thresholds from SLO_* reach the workflow', async () => {
  const runId = uniqueId('run');
  const experimentId = uniqueId('exp');
  writeRunFolder(runsDir, runId);
  const handle = await env.client.workflow.start('promotionGateWorkflow', {
    taskQueue,
    workflowId: workflowIds.promotion(experimentId, runId),
    args: [{ experimentId, runId, thresholds: { maxOperationalErrorRate: 0.005 } } satisfies PromotionGateInput],
  });
  const r: PromotionGateResult = await handle.result();
  expect(r.verdict.failed).toEqual(['operational_error_rate']);
  await recordHistory(handle, 'promotion-kpi-fail');

  const viaEnv = await drill(['promote', '--experiment', uniqueId('exp'), '--run-id', runId, '--json'], { SLO_MAX_OPERATIONAL_ERROR_RATE: '0.5%' });
  expect(viaEnv.code).toBe(1);
  const v = promotionVerdictSchema.parse(JSON.parse(viaEnv.stdout));
  expect(v.thresholds.maxOperationalErrorRate).toBe(0.005);
  expect(v.failed).toEqual(['operational_error_rate']);
});

test('KPI path: a paper KPI below its threshold fails; a drill RTO worse than factor × the trailing median fails, the factor is configurable', async () => {
  const runId = uniqueId('run');
  const experiment = uniqueId('exp');
  writeRunFolder(runsDir, runId);
  withKpi(experiment, runId, { sharpe: 0.8 });
  const low = await drill(['promote', '--experiment', experiment, '--run-id', runId, '--target', 'paper-sandbox']);
  expect(low.code).toBe(1);
  expect(low.stdout).toMatch(/^kpi\.sharpe\s+0\.8\s+>= 1\.2\s+fail$/m);
  expect(low.stdout).toMatch(/^kpi\.operations\s+1000\s+> 0\s+pass$/m);
  expect(low.stdout).toMatch(/FAIL: kpi\.sharpe failed$/m);

  // A target whose latest drill (2 days ago, 400 s) is worse than 1.5 × the median (200 s) of the three before it.
  const target = uniqueId('regress');
  const rto = (seconds: number) => ({ seconds, targetSeconds: 900, ok: true });
  writeDrillReport(resultsDir, drillReport({ drillId: `${target}-1`, target, finishedMsAgo: 5 * DAY, rto: rto(100) }));
  writeDrillReport(resultsDir, drillReport({ drillId: `${target}-2`, target, finishedMsAgo: 4 * DAY, rto: rto(200) }));
  writeDrillReport(resultsDir, drillReport({ drillId: `${target}-3`, target, finishedMsAgo: 3 * DAY, rto: rto(250) }));
  writeDrillReport(resultsDir, drillReport({ drillId: `${target}-4`, target, finishedMsAgo: 2 * DAY, rto: rto(400) }));
  const passing = uniqueId('run');
  writeRunFolder(runsDir, passing);
  withKpi(experiment, passing);
  const slower = await drill(['promote', '--experiment', experiment, '--run-id', passing, '--target', target, '--json']);
  expect(slower.code).toBe(1);
  const v = promotionVerdictSchema.parse(JSON.parse(slower.stdout));
  expect(v.failed).toEqual(['drill_rto_regression']);
  expect(v.criteria.find((c) => c.id === 'drill_rto_regression')).toMatchObject({
    value: 2,
    threshold: 1.5,
    evidence: `drill ${target}-4: RTO 400 s vs median 200 s of 3 earlier drill(s) (${target}-1, ${target}-2, ${target}-3): more than 1.5× the median`,
  });
  const tolerant = await drill(['promote', '--experiment', experiment, '--run-id', passing, '--target', target, '--rto-regression-factor', '2.5']);
  expect(tolerant.code).toBe(0);
  expect(tolerant.stdout).toMatch(/^drill_rto_regression\s+200\.00%\s+<= 250\.00%\s+pass$/m);
  const bad = await drill(['promote', '--experiment', experiment, '--run-id', passing, '--rto-regression-window', '0']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--rto-regression-window: expected at least 1 and at most 100 drills \(got 0\)/);
});
