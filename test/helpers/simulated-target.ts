/**
 * A target simulated in memory for the time-skipping workflow tests: one kill switch with one reason,
 * reconciliation / data quality / broker health the test turns dirty or clean, and activity stubs
 * over it that run the same pure steps as the real ones (`domain/recovery.ts`), one simulated cycle
 * per `cycleSeconds` — so a 7-day wait is simulated without a real one. Every side effect is counted.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Activities } from '../../src/activities';
import type { RecoveryCyclesResult } from '../../src/activities/recovery';
import { isRegistryReason } from '../../src/domain/halts';
import type { IncidentClass } from '../../src/domain/classification';
import {
  brokerHealthStep,
  dataQualityRecoveryStep,
  reconciliationStep,
  type RecoveryProgress,
  type StepOutcome,
  type TimelineEntry,
} from '../../src/domain/recovery';
import { initialSloState, type SloState } from '../../src/domain/slo-fold';

export interface SimulatedTarget {
  gw: { halted: boolean; reason: string | null; halts: number; resumes: number; haltCalls: number };
  health: { reconciliation: 'clean' | 'dirty'; dataQuality: 'clean' | 'dirty'; broker: 'healthy' | 'down' };
  /** Class triage reports, per incident id (default: reconciliation). */
  classes: Record<string, IncidentClass>;
  calls: {
    triage: number;
    cycles: number;
    batches: number;
    refresh: number;
    stop: number;
    start: number;
    page: number;
    watches: number;
    resolved: Array<Record<string, unknown>>;
  };
  /** Releases entries behind everyone's back (an operator at the gateway). */
  manualRelease(): void;
  activities: Partial<Activities>;
}

export function simulatedTarget(): SimulatedTarget {
  const gw = { halted: false, reason: null as string | null, halts: 0, resumes: 0, haltCalls: 0 };
  const health: SimulatedTarget['health'] = { reconciliation: 'dirty', dataQuality: 'clean', broker: 'healthy' };
  const calls: SimulatedTarget['calls'] = { triage: 0, cycles: 0, batches: 0, refresh: 0, stop: 0, start: 0, page: 0, watches: 0, resolved: [] };
  const classes: Record<string, IncidentClass> = {};
  let recon: SloState = initialSloState();
  let dqCycle = 0;
  const stats = () => ({ checkedAt: new Date().toISOString(), entriesHalted: gw.halted, haltReason: gw.reason });

  const observe = (p: RecoveryProgress, cleanRequired: number): StepOutcome => {
    if (p.branch === 'reconciliation') {
      const clean = health.reconciliation === 'clean';
      const prev = (p.recon?.state as SloState | undefined) ?? recon;
      recon = {
        ...prev,
        order: { ...prev.order, cycles: prev.order.cycles + 1, passes: prev.order.passes + (clean ? 1 : 0) },
        position: { ...prev.position, cycles: prev.position.cycles + 1, passes: prev.position.passes + 1 },
      };
      return reconciliationStep(
        p,
        {
          cursors: {},
          state: recon,
          lastOrder: { cycle: recon.order.cycles, status: clean ? 'ok' : 'mismatch', mismatched_order_ids: clean ? [] : ['ord-1'] },
        },
        cleanRequired,
      );
    }
    if (p.branch === 'data_quality') {
      dqCycle++;
      const bad = health.dataQuality === 'dirty';
      return dataQualityRecoveryStep(p, {
        validation: { errors: bad ? 1 : 0, staleWarnings: 0, symbols: 3, issues: [] },
        latest: { cycle: dqCycle, errors: bad ? 1 : 0, stale_warnings: 0 },
      });
    }
    const up = health.broker === 'healthy';
    return brokerHealthStep(p, { processHealthy: true, processDetail: 'HTTP 200 ok', broker: { healthy: up, ...(up ? {} : { detail: 'API 503' }) } });
  };

  const activities: Partial<Activities> = {
    async registryApply(i) {
      gw.haltCalls++;
      if (i.action === 'halt') {
        if (gw.halted && !isRegistryReason(gw.reason)) return { ...stats(), changed: false, foreign: true };
        if (gw.halted && gw.reason === i.reason) return { ...stats(), changed: false, foreign: false };
        if (!gw.halted) gw.halts++;
        gw.halted = true;
        gw.reason = i.reason!;
        return { ...stats(), changed: true, foreign: false };
      }
      if (!gw.halted) return { ...stats(), changed: false, foreign: false };
      if (!isRegistryReason(gw.reason)) return { ...stats(), changed: false, foreign: true };
      gw.halted = false;
      gw.reason = null;
      gw.resumes++;
      return { ...stats(), changed: true, foreign: false };
    },
    async watchKillSwitch() {
      calls.watches++;
      return { released: !gw.halted, checkedAt: new Date().toISOString(), entriesHalted: gw.halted, haltReason: gw.reason, checks: 1, unreachable: 0 };
    },
    async triageIncident(input) {
      calls.triage++;
      const cls = classes[input.incidentId ?? ''] ?? 'reconciliation';
      return {
        report: {
          kind: 'triage_report',
          incidentId: input.incidentId,
          classification: { class: cls, basis: 'evidence', reasons: [`simulated ${cls} evidence`], alsoSeen: [] },
        } as never,
        path: null,
      };
    },
    async recoveryCycles(input): Promise<RecoveryCyclesResult> {
      calls.batches++;
      let progress = input.progress as RecoveryProgress;
      const notes: TimelineEntry[] = [];
      for (let n = 0; n < input.maxCycles; n++) {
        calls.cycles++;
        const s = observe(progress, input.cleanCyclesRequired ?? 2);
        if (s.verdict !== progress.lastVerdict)
          notes.push({ at: new Date().toISOString(), step: `cycle ${s.progress.cycles}: ${s.verdict}`, detail: s.reason });
        progress = s.progress;
        if (s.passed) return { progress, passed: true, stop: 'passed', notes, evidence: {}, cyclesRun: n + 1 };
        if (s.notable) return { progress, passed: false, stop: 'progress', notes, evidence: {}, cyclesRun: n + 1 };
      }
      return { progress, passed: false, stop: 'batch', notes, evidence: {}, cyclesRun: input.maxCycles };
    },
    async refreshDataSource() {
      calls.refresh++;
      return { checkedAt: new Date().toISOString(), reachable: true, symbols: [], errors: 0, staleWarnings: 0, issues: [] };
    },
    async brokerHealth() {
      const up = health.broker === 'healthy';
      return { checkedAt: new Date().toISOString(), healthy: up, api: { ok: up }, websocket: { ok: up } } as never;
    },
    async recoveryProcessStop() {
      calls.stop++;
      return { adapter: 'sandbox', alreadyDone: false, stopRequestedAt: new Date().toISOString(), stoppedAt: new Date().toISOString(), wasRunning: true };
    },
    async recoveryProcessStart() {
      calls.start++;
      return {
        adapter: 'sandbox',
        alreadyDone: false,
        startRequestedAt: new Date().toISOString(),
        startReturnedAt: new Date().toISOString(),
        alreadyRunning: false,
      };
    },
    async appendIncidentResolved(input) {
      calls.resolved.push(input as unknown as Record<string, unknown>);
      return { appended: true, file: 'incident_events.jsonl' };
    },
    async pageEscalation(input) {
      calls.page++;
      return { outcome: 'delivered', dedupKey: input.dedupKey, status: 202 } as never;
    },
  };
  return {
    gw,
    health,
    classes,
    calls,
    manualRelease() {
      gw.halted = false;
      gw.reason = null;
    },
    activities,
  };
}

/** Every run of a continue-as-new chain, first to last: each run's history length. */
export async function runChain(client: Client, workflowId: string, firstRunId: string): Promise<number[]> {
  const lengths: number[] = [];
  let runId: string | undefined = firstRunId;
  while (runId && lengths.length < 500) {
    const history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>> = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    lengths.push(events.length);
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return lengths;
}
