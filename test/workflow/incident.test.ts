/**
 * incidentWorkflow on the time-skipping test server at realistic durations: a reconciliation that
 * stays dirty past its 30-minute maximum wait escalates (one page), the incident keeps entries halted
 * at every 30-second cycle while it waits for an operator (released behind its back → halted again),
 * and an audited force resume closes it; reclassified instead, the new class recovers and entries resume.
 * Activities are stubs that count calls.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import type { IncidentInput, IncidentResult } from '../../src/domain/incident';
import { initialSloState, type SloState } from '../../src/domain/slo';
import { forceResumeUpdate, incidentStatusQuery, reclassifyUpdate } from '../../src/workflows/definitions';
import { timeSkippingEnv, uniqueId, workflowBundle } from '../helpers/temporal';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnv();
});

afterAll(async () => {
  await env?.teardown();
});

function stubs() {
  const calls = { probe: 0, quality: 0, refresh: 0, page: 0, halt: 0, resume: 0, resolved: [] as Array<Record<string, unknown>> };
  const gw = { halted: false, reason: null as string | null };
  let state: SloState = initialSloState();
  const stats = () => ({ checkedAt: new Date().toISOString(), haltReason: gw.reason, tradingHaltedUntil: null, entriesHalted: gw.halted, stats: {} as never });
  const activities: Partial<Activities> = {
    async triageIncident(input) {
      return {
        report: { kind: 'triage_report', incidentId: input.incidentId, classification: { class: 'reconciliation', basis: 'evidence', reasons: ['order reconciliation mismatched ord-1'] } } as never,
        path: null,
      };
    },
    async recoveryProbe(input) {
      calls.probe++;
      const prev = (input.reconciliation?.state as SloState | null | undefined) ?? state;
      state = { ...prev, order: { ...prev.order, cycles: prev.order.cycles + 1 }, position: { ...prev.position, cycles: prev.position.cycles + 1, passes: prev.position.passes + 1 } };
      if (input.dataQuality) calls.quality++;
      return {
        checkedAt: new Date().toISOString(),
        gateway: { ok: true, entriesHalted: gw.halted, haltReason: gw.reason, tradingHaltedUntil: null },
        // Data quality is clean, one target quality cycle per probe.
        ...(input.dataQuality
          ? { dataQuality: { validation: { errors: 0, staleWarnings: 0, symbols: 3, issues: [] }, latest: { cycle: calls.quality, errors: 0, stale_warnings: 0 }, market: { reachable: true, errors: 0, staleWarnings: 0, issues: [] } } }
          : {}),
        reconciliation: { cursors: {}, state, lastOrder: { cycle: state.order.cycles, status: 'mismatch', mismatched_order_ids: ['ord-1'] }, corrupt: 0 },
      } as never;
    },
    async refreshDataSource() {
      calls.refresh++;
      return { reachable: true, symbols: ['AAPL', 'MSFT', 'SPY'], issues: [] } as never;
    },
    async gatewayHalt(input) {
      calls.halt++;
      const changed = !gw.halted;
      gw.halted = true;
      gw.reason = input.reason;
      return { ...stats(), changed };
    },
    async gatewayResume() {
      calls.resume++;
      const changed = gw.halted;
      gw.halted = false;
      gw.reason = null;
      return { ...stats(), changed };
    },
    async appendIncidentResolved(input) {
      calls.resolved.push(input as unknown as Record<string, unknown>);
      return { appended: true, file: 'incident_events.jsonl' };
    },
    async pageEscalation(input) {
      calls.page++;
      return { outcome: 'delivered', dedupKey: input.dedupKey, status: 202 };
    },
  };
  return { calls, gw, activities };
}

test('reconciliation still dirty after its 30-minute maximum wait: escalates once, stays halted (re-halted when released), force resume closes it', async () => {
  const s = stubs();
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: uniqueId('tq'), workflowBundle: await workflowBundle(), activities: s.activities });
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start('incidentWorkflow', {
      taskQueue: worker.options.taskQueue,
      workflowId: uniqueId('incident'),
      args: [{ runId: 'paper-1', incidentId: 'inc-1', target: 'sandbox', severity: 'critical', cycleSeconds: 30, maxWaitSeconds: 1800, ackTimer: false } satisfies IncidentInput],
    });

    // 29 minutes in: still recovering, halted, no page.
    await env.sleep('29m');
    const early = await handle.query(incidentStatusQuery);
    expect(early).toMatchObject({ phase: 'recovering', incidentClass: 'reconciliation', escalated: false, recoveryAttempt: 1 });
    expect(s.calls.page).toBe(0);
    expect(s.gw.halted).toBe(true);

    // Past the maximum wait: escalated, one page, entries still halted.
    await env.sleep('3m');
    const escalated = await handle.query(incidentStatusQuery);
    expect(escalated).toMatchObject({ phase: 'escalated', escalated: true });
    expect(escalated.recoveries).toEqual([expect.objectContaining({ outcome: 'escalated', incidentClass: 'reconciliation' })]);
    expect(s.calls.page).toBe(1);
    expect(s.gw.halted).toBe(true);

    // Waiting for an operator, it checks at every cycle: ~2 probes a minute.
    const probes = s.calls.probe;
    await env.sleep('10m');
    expect(s.calls.probe - probes).toBeGreaterThanOrEqual(18);
    expect(s.calls.probe - probes).toBeLessThanOrEqual(22);
    expect(s.calls.page).toBe(1);

    // Released behind its back: halted again within a cycle.
    s.gw.halted = false;
    s.gw.reason = null;
    await env.sleep('40s');
    expect(s.gw.halted).toBe(true);
    expect((await handle.query(incidentStatusQuery)).rehalts).toBe(1);

    const action = await handle.executeUpdate(forceResumeUpdate, { args: [{ reason: 'broker confirmed positions by phone', by: 'alice' }] });
    expect(action).toMatchObject({ action: 'forceResume', by: 'alice' });
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ resolution: 'forced', escalated: true, incidentClass: 'reconciliation', rehalts: 1 });
    expect(s.calls.resume).toBe(1);
    expect(s.gw.halted).toBe(false);
    expect(s.calls.resolved).toEqual([expect.objectContaining({ incidentId: 'inc-1', resolution: 'forced', detail: 'force resume by alice: broker confirmed positions by phone' })]);
  });
});

test('escalated reconciliation reclassified as data quality: the new recovery passes its criteria and entries resume (no force)', async () => {
  const s = stubs();
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: uniqueId('tq'), workflowBundle: await workflowBundle(), activities: s.activities });
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start('incidentWorkflow', {
      taskQueue: worker.options.taskQueue,
      workflowId: uniqueId('incident'),
      args: [{ runId: 'paper-1', incidentId: 'inc-2', target: 'sandbox', severity: 'critical', cycleSeconds: 30, maxWaitSeconds: 1800, ackTimer: false } satisfies IncidentInput],
    });
    await env.sleep('32m');
    expect(await handle.query(incidentStatusQuery)).toMatchObject({ phase: 'escalated', incidentClass: 'reconciliation' });
    expect(s.calls.page).toBe(1);

    await handle.executeUpdate(reclassifyUpdate, { args: [{ incidentClass: 'data_quality', reason: 'recon is clean at the broker; bars are stale', by: 'bob' }] });
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ resolution: 'recovered', incidentClass: 'data_quality', escalated: true });
    expect(result.recoveries.map((r) => [r.incidentClass, r.outcome, r.attempt])).toEqual([
      ['reconciliation', 'escalated', 1],
      ['data_quality', 'recovered', 2],
    ]);
    expect(result.operatorActions).toEqual([expect.objectContaining({ action: 'reclassify', by: 'bob', incidentClass: 'data_quality' })]);
    expect(s.calls.refresh).toBe(1);
    expect(s.calls.quality).toBeGreaterThanOrEqual(2);
    expect(s.calls.page).toBe(1);
    expect(s.calls.resume).toBe(1);
    expect(s.gw.halted).toBe(false);
    expect(s.calls.resolved).toEqual([expect.objectContaining({ incidentId: 'inc-2', resolution: 'recovered', incidentClass: 'data_quality' })]);
  });
});
