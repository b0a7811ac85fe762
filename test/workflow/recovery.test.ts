/**
 * recoveryWorkflow on the time-skipping server at realistic durations: a 30-minute maximum wait with
 * 30-second cycles escalates (one page) and stays halted; a reconciliation that turns clean after
 * 20 minutes recovers. Activities are stubs that count calls: one probe per cycle, never a loop inside.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import type { RecoveryInput, RecoveryResult } from '../../src/domain/recovery';
import { initialSloState, type SloState } from '../../src/domain/slo';
import { timeSkippingEnv, uniqueId, workflowBundle } from '../helpers/temporal';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnv();
});

afterAll(async () => {
  await env?.teardown();
});

/** Stubs: reconciliation events appear each probe, mismatched until probe number `cleanFrom` (one probe per 30 s cycle). */
function stubs(cleanFrom: number) {
  const calls = { probe: 0, page: 0, halt: 0 };
  let state: SloState = initialSloState();
  const activities: Partial<Activities> = {
    async recoveryProbe(input) {
      calls.probe++;
      const clean = calls.probe >= cleanFrom;
      const prev = (input.reconciliation?.state as SloState | null | undefined) ?? state;
      state = { ...prev, order: { ...prev.order, cycles: prev.order.cycles + 1, passes: prev.order.passes + (clean ? 1 : 0) }, position: { ...prev.position, cycles: prev.position.cycles + 1, passes: prev.position.passes + 1 } };
      return {
        checkedAt: new Date().toISOString(),
        gateway: { ok: true, entriesHalted: true, haltReason: 'incident', tradingHaltedUntil: null },
        reconciliation: { cursors: {}, state, lastOrder: { cycle: state.order.cycles, status: clean ? 'ok' : 'mismatch', mismatched_order_ids: clean ? [] : ['ord-1'] }, corrupt: 0 },
      };
    },
    async pageEscalation(input) {
      calls.page++;
      return { outcome: 'delivered', dedupKey: input.dedupKey, status: 202 };
    },
    async gatewayHalt() {
      calls.halt++;
      throw new Error('not expected');
    },
  };
  return { calls, activities };
}

async function run(cleanFrom: number, input: Partial<RecoveryInput>) {
  const s = stubs(cleanFrom);
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: uniqueId('tq'), workflowBundle: await workflowBundle(), activities: s.activities });
  const result = await worker.runUntil(async () => {
    return env.client.workflow.execute('recoveryWorkflow', {
      taskQueue: worker.options.taskQueue,
      workflowId: uniqueId('recovery'),
      args: [{ runId: 'paper-1', incidentId: 'inc-1', target: 'sandbox', incidentClass: 'reconciliation', openedAt: new Date().toISOString(), haltReason: 'incident inc-1', cycleSeconds: 30, maxWaitSeconds: 1800, ...input } satisfies RecoveryInput],
    }) as Promise<RecoveryResult>;
  });
  return { result, calls: s.calls };
}

test('30-minute maximum wait, still dirty: escalates with one page and stays halted', async () => {
  const { result, calls } = await run(Number.MAX_SAFE_INTEGER, {});
  expect(result.outcome).toBe('escalated');
  expect(result.escalation?.pageOutcome).toBe('delivered');
  expect(calls.page).toBe(1);
  // One probe per 30 s cycle over 30 minutes (+ the baseline).
  expect(calls.probe).toBeGreaterThanOrEqual(55);
  expect(calls.probe).toBeLessThanOrEqual(63);
  expect(calls.halt).toBe(0);
});

test('clean after 20 minutes: two consecutive clean cycles recover before the deadline', async () => {
  const { result, calls } = await run(40, {});
  expect(result.outcome).toBe('recovered');
  expect(calls.page).toBe(0);
  expect(calls.probe).toBeGreaterThanOrEqual(40);
  expect(calls.probe).toBeLessThanOrEqual(46);
});
