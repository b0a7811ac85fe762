/**
 * promotionGateWorkflow on the time-skipping test server: the workflow path (status, verdicts,
 * bundle, failures by type) with workflow time driving the drill's age.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { verifyBundle } from '../../src/io/evidence-bundle';
import type { PromotionGateInput, PromotionGateResult } from '../../src/domain/promotion';
import { workflowIds } from '../../src/shared';
import { promotionGateStatusQuery } from '../../src/workflows/definitions';
import { timeSkippingEnv, uniqueId } from '../helpers/temporal';
import { DAY, drillReport, kpiFile, paperKpiLines, writeDrillReport, writeKpiFile, writeRunFile, writeRunFolder } from '../fixtures/promotion/evidence';
import { PAGING_OFF } from '../helpers/product-worker';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let resultsDir: string;
let runsDir: string;

beforeAll(async () => {
  [env, bundle] = await Promise.all([
    timeSkippingEnv(),
    bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows/promotion-gate'), logger: new DefaultLogger('WARN') }),
  ]);
  plain = new Client({ connection: env.connection, namespace: env.namespace ?? 'default' });
  resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'promo-wf-'));
  runsDir = path.join(resultsDir, 'runs');
});

afterAll(async () => {
  await env?.teardown();
  if (resultsDir) fs.rmSync(resultsDir, { recursive: true, force: true });
});

async function withWorker<T>(fn: (taskQueue: string) => Promise<T>, dir = resultsDir): Promise<T> {
  const taskQueue = uniqueId('tq');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: createActivities({
      config: {
        paging: PAGING_OFF,
        runsDir: path.join(dir, 'runs'),
        resultsDir: dir,
        kpiDir: path.join(dir, 'kpi'),
      },
    }),
  });
  return worker.runUntil(fn(taskQueue));
}

/**
 * A plain client on the test server: its `result()` leaves time skipping locked. The environment's
 * own client unlocks it while waiting, and the server then jumps to its next deadline (activity
 * heartbeat timeouts, the 10-year run timeout) while the activity runs in real time, aging the
 * drill by years. Here time moves only by `env.sleep`.
 */
let plain: Client;

async function run(taskQueue: string, input: PromotionGateInput): Promise<PromotionGateResult> {
  return plain.workflow.execute('promotionGateWorkflow', {
    taskQueue,
    workflowId: workflowIds.promotion(String(input.experimentId), String(input.runId)),
    args: [input],
  }) as Promise<PromotionGateResult>;
}

test('pass, then the same drill judged by a later workflow clock is overdue', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promo-wf-clock-'));
  try {
    const runId = uniqueId('run');
    writeRunFolder(path.join(dir, 'runs'), runId);
    writeRunFile(path.join(dir, 'runs'), runId, 'paper_kpi.jsonl', paperKpiLines(5, { sharpe: 1.5 }));
    for (const exp of ['exp-a', 'exp-b']) writeKpiFile(path.join(dir, 'kpi'), kpiFile(exp));
    writeDrillReport(dir, drillReport({ finishedMsAgo: 6 * DAY }));
    await withWorker(async (tq) => {
      const first = await run(tq, { experimentId: 'exp-a', runId });
      expect(first.verdict.result).toBe('pass');
      expect((await verifyBundle(first.bundle.dir)).ok).toBe(true);
      // Two days of workflow time later the 6-day-old drill is 8 days old.
      await env.sleep(2 * DAY);
      const later = await run(tq, { experimentId: 'exp-b', runId });
      expect(later.verdict.failed).toEqual(['drill_age']);
      const age = later.verdict.criteria.find((c) => c.id === 'drill_age')!.value as number;
      expect(age).toBeGreaterThan(8 * 86400 - 60);
      expect(age).toBeLessThan(8 * 86400 + 300);
    }, dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('status query answers through the run; a failing gate completes with its verdict and bundle', async () => {
  const runId = uniqueId('run');
  writeRunFolder(runsDir, runId, { dataQuality: null });
  writeDrillReport(resultsDir, drillReport({ drillId: 'drill-wf' }));
  await withWorker(async (tq) => {
    const handle = await plain.workflow.start('promotionGateWorkflow', {
      taskQueue: tq,
      workflowId: workflowIds.promotion('exp-s', runId),
      args: [{ experimentId: 'exp-s', runId } satisfies PromotionGateInput],
    });
    const r: PromotionGateResult = await handle.result();
    expect(r.verdict.result).toBe('fail');
    // No KPI file for exp-s: missing evidence too (strict).
    expect(r.verdict.missing).toEqual(['data_quality_errors', 'stale_warnings', 'kpi_file']);
    expect(r.bundle.files).not.toContain('artifacts/data_quality_events.jsonl');
    const status = await handle.query(promotionGateStatusQuery);
    expect(status).toMatchObject({ phase: 'done', result: 'fail', missing: ['data_quality_errors', 'stale_warnings', 'kpi_file'], bundleDir: r.bundle.dir });

    const lenient = await run(tq, { experimentId: 'exp-l', runId, strict: false });
    expect(lenient.verdict.failed).toEqual([]);
    expect(lenient.verdict.result).toBe('pass');
    expect(lenient.verdict.strict).toBe(false);
  });
});

test.each([
  ['bad input', { experimentId: 'exp', runId: '../etc' }, 'InvalidInput', /invalid promotionGateWorkflow input: runId: run id may hold only/],
  ['unknown threshold', { experimentId: 'exp', runId: 'r1', thresholds: { bogus: 1 } }, 'InvalidInput', /thresholds/],
  // zod's own message, in English.
  [
    'threshold of the wrong type',
    { experimentId: 'exp', runId: 'r1', thresholds: { maxDrillAgeSeconds: 'soon' } },
    'InvalidInput',
    /maxDrillAgeSeconds: Invalid input: expected number, received string/,
  ],
  ['unknown run', { experimentId: 'exp', runId: 'never-ran' }, 'RunNotFound', /run never-ran: folder .* not found/],
])('%s fails the workflow without retry, with its type', async (_name, input, type, message) => {
  await withWorker(async (tq) => {
    const err = await plain.workflow
      .execute('promotionGateWorkflow', { taskQueue: tq, workflowId: uniqueId('promotion-bad'), args: [input] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe(type);
    expect((cause as ApplicationFailure).message).toMatch(message);
  });
});
