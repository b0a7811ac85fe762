/**
 * The weekly drill schedule on the dev server (the time-skipping server has no Schedules): next run
 * times of the weekly calendar (UTC and a named time zone), idempotent create, trigger starting a
 * real drill against a sandbox, and overlap SKIP while that drill runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  createDrillSchedule,
  deleteDrillSchedule,
  describeDrillSchedule,
  pauseDrillSchedule,
  summarizeSchedule,
  triggerDrillSchedule,
  unpauseDrillSchedule,
} from '../../src/client/schedules';
import type { TargetConfig } from '../../src/domain/target';
import { drillIdFromWorkflowId } from '../../src/domain/drill';
import { nextRunsUtc } from '../../src/domain/schedule';
import { pickTarget } from '../../src/io/targets';
import { workflowIds } from '../../src/shared';
import { startTestSandbox, waitFor, type TestSandbox } from '../helpers/sandbox';
import { devServerEnv, uniqueId } from '../helpers/temporal';
import { PAGING_OFF, startProductWorker, type ProductWorker } from '../helpers/product-worker';

let env: TestWorkflowEnvironment;
let pw: ProductWorker;
let taskQueue: string;
let resultsDir: string;
let sbx: TestSandbox;
const targets: Record<string, TargetConfig> = {};

beforeAll(async () => {
  [env, sbx] = await Promise.all([devServerEnv(), startTestSandbox({ targetName: uniqueId('sched') })]);
  Object.assign(targets, sbx.targets.targets);
  resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-sched-'));
  pw = await startProductWorker(env, {
    config: {
      paging: PAGING_OFF,
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
  await sbx?.cleanup();
  await env?.teardown();
  fs.rmSync(resultsDir, { recursive: true, force: true });
});

test('weekly calendar: default Sunday 03:00 UTC next runs; a named time zone shifts them; create is idempotent; pause/unpause; delete', async () => {
  const target = uniqueId('t');
  const first = await createDrillSchedule(env.client, { target }, taskQueue);
  expect(first.created).toBe(true);
  const s = summarizeSchedule(first.description);
  expect(s.overlap).toBe('SKIP');
  expect(s.catchupWindowSeconds).toBe(86400);
  expect(s.nextRuns.slice(0, 3)).toEqual(nextRunsUtc({ dayOfWeek: 'SUNDAY', hour: 3, minute: 0 }, Date.now(), 3).map((d) => d.toISOString()));

  // Again, with another spec: not an error, the schedule is updated.
  const again = await createDrillSchedule(env.client, { target, dayOfWeek: 'SATURDAY', hour: 2, minute: 30, timezone: 'America/New_York' }, taskQueue);
  expect(again.created).toBe(false);
  const runs = summarizeSchedule(again.description).nextRuns.map((t) => new Date(t));
  expect(runs.length).toBeGreaterThanOrEqual(2);
  for (const r of runs) {
    const local = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/New_York',
      weekday: 'long',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(r);
    expect(local).toBe('Saturday 02:30');
  }
  expect(runs[1]!.getTime() - runs[0]!.getTime()).toBeGreaterThanOrEqual(7 * 86400_000 - 3600_000);

  await pauseDrillSchedule(env.client, target, 'maintenance');
  expect((await describeDrillSchedule(env.client, target)).state.paused).toBe(true);
  await unpauseDrillSchedule(env.client, target);
  expect((await describeDrillSchedule(env.client, target)).state.paused).toBe(false);
  expect(await deleteDrillSchedule(env.client, target)).toEqual({ deleted: true });
  expect(await deleteDrillSchedule(env.client, target)).toEqual({ deleted: false });
});

test('trigger starts a drill; a second trigger while it runs is skipped (overlap SKIP)', async () => {
  await sbx.inject('slow_restart', 3);
  const drillInput = { scenarios: [], verifySeconds: 4, restartSeconds: 20, pollMs: 100, maxDrillSeconds: 120 };
  await createDrillSchedule(env.client, { target: sbx.targetName, drillInput }, taskQueue);
  await triggerDrillSchedule(env.client, sbx.targetName);
  const running = await waitFor(
    'the triggered drill to run',
    async () => summarizeSchedule(await describeDrillSchedule(env.client, sbx.targetName)).running[0],
    { timeoutMs: 15000 },
  );
  // Collision-free ids: the schedule's prefix, then the scheduled time the server appends.
  expect(running.startsWith(`${workflowIds.scheduledDrill(sbx.targetName)}-`)).toBe(true);
  // The Web UI shows what started it: a summary, and details naming the schedule and the drill's key facts.
  const desc = await env.client.workflow.getHandle(running).describe();
  expect(await desc.staticSummary()).toBe(`Weekly DR drill of ${sbx.targetName}`);
  const details = await desc.staticDetails();
  expect(details).toContain('Started by the schedule `');
  expect(details).toContain('- **RTO / RPO targets**: 900 s / 60 s');
  expect(details).toContain('- **chaos scenarios**: none');
  await triggerDrillSchedule(env.client, sbx.targetName);
  const d = await waitFor(
    'the overlapping trigger to be skipped',
    async () => {
      const x = summarizeSchedule(await describeDrillSchedule(env.client, sbx.targetName));
      return x.skippedOverlap >= 1 ? x : undefined;
    },
    { timeoutMs: 15000 },
  );
  expect(d.recent).toHaveLength(1);
  const result = await env.client.workflow.getHandle(running).result();
  expect(result).toMatchObject({ result: 'pass', target: sbx.targetName });
  expect(result.drillId).toBe(drillIdFromWorkflowId(running));
  await deleteDrillSchedule(env.client, sbx.targetName);
});
