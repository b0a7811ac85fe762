/**
 * The fault suite's scenarios: each workflow run end to end against a real target, with its verdict
 * and its side effects counted where they land — stops and starts in the sandbox's ground truth,
 * kill-switch halts and resumes at the gateway (also ground truth), pages at the loopback receiver
 * (distinct idempotency keys delivered; raw requests are observed, not compared: delivery is
 * at-least-once under one key), and lines in the run's JSONL files. Drill cases assert the verdict
 * and exactly one stop and one start, not internal step names (the drill's steps change elsewhere).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { WeeklyDrillInput, WeeklyDrillResult } from '../../src/domain/drill';
import type { GroundTruthEvent } from '../../src/domain/target';
import type { IncidentInput, IncidentResult } from '../../src/domain/incident';
import type { IncidentAckInput, IncidentAckResult } from '../../src/domain/incident-ack';
import type { AlertWatchInput, AlertWatchResult } from '../../src/domain/watch';
import type { PromotionGateInput, PromotionGateResult } from '../../src/domain/promotion';
import type { DrillSignOffInput, SignOffRecord } from '../../src/domain/drill-signoff';
import { incidentEventSchema } from '../../src/domain/incident-events';
import { opsSloEventSchema } from '../../src/domain/artifacts';
import { verifyBundle } from '../../src/io/evidence-bundle';
import { workflowIds } from '../../src/shared';
import {
  acknowledgeUpdate,
  alertWatchStatusQuery,
  drillSignOffStatusQuery,
  signOffUpdate,
  forceResumeUpdate,
  incidentAckStatusQuery,
  incidentStatusQuery,
  resolveIncidentSignal,
  stopWatchSignal,
} from '../../src/workflows/definitions';
import { DAY, drillReport, kpiFile, paperKpiLines, writeDrillReport, writeKpiFile, writeRunFile, writeRunFolder } from '../fixtures/promotion/evidence';
import type { CaseContext, FaultScenario, Outcome } from './fault-lab';
import { waitFor, type TestSandbox } from './sandbox';

const truthSince = (s: TestSandbox, since: string, event: GroundTruthEvent['event']) => s.groundTruth().filter((e) => e.ts >= since && e.event === event);

/** Stops, starts, halts and resumes the target's own record shows since the case began. */
function targetEffects(c: CaseContext): Record<string, number> {
  const s = c.sbx!;
  return {
    target_stop_requested: truthSince(s, c.since, 'stop_requested').length,
    target_process_start: truthSince(s, c.since, 'process_start').length,
    gateway_halt: truthSince(s, c.since, 'kill_switch_halt').length,
    gateway_resume: truthSince(s, c.since, 'kill_switch_resume').length,
  };
}

/** Pages delivered (2xx) for this case at the receiver: distinct idempotency keys, and raw requests. */
function pages(c: CaseContext, match: (body: Record<string, unknown>) => boolean): { distinct: number; requests: number } {
  const mine = c.receiver.delivered().filter((r) => match(r.body));
  return {
    distinct: new Set(mine.map((r) => `${String(r.headers['idempotency-key'] ?? '')}|${String(r.body.event_action ?? '')}`)).size,
    requests: mine.length,
  };
}

const jsonlLines = (file: string, pred: (o: Record<string, unknown>) => boolean) =>
  fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter(pred).length
    : 0;

/** RTO/RPO from the sandbox's ground truth for the drill's one stop and restart (as test/integration/weekly-drill does). */
function truthRtoRpo(events: GroundTruthEvent[]): { rto: number; rpo: number; stopped: string; clean: string; lastSave: string } | undefined {
  const stopReq = events.filter((e) => e.event === 'stop_requested').at(-1);
  const stopped = events.filter((e) => e.event === 'stopped').at(-1);
  const serving = events.filter((e) => e.event === 'serving').at(-1);
  if (!stopReq || !stopped || !serving) return undefined;
  const lastSave = events.filter((e) => e.event === 'state_saved' && e.ts <= stopped.ts).at(-1);
  const clean = events.find((e) => e.event === 'first_clean_reconciliation' && e.boot_id === serving.boot_id);
  if (!lastSave || !clean) return undefined;
  return {
    rto: (Date.parse(clean.ts) - Date.parse(stopped.ts)) / 1000,
    rpo: Math.max(0, (Date.parse(stopReq.ts) - Date.parse(lastSave.ts)) / 1000),
    stopped: stopped.ts,
    clean: clean.ts,
    lastSave: lastSave.ts,
  };
}

/** The drill report's timeline (for a failure message that shows where the figures differ). */
function reportTimeline(r: WeeklyDrillResult): Record<string, unknown> {
  try {
    return (JSON.parse(fs.readFileSync(r.reportPath!, 'utf8')) as { timeline?: Record<string, unknown> }).timeline ?? {};
  } catch {
    return {};
  }
}

// ---------------------------------------------------------------------------------------------
// Weekly drill: chaos, graceful stop, restart, verify, evidence.

const FAST_DRILL: Partial<WeeklyDrillInput> = {
  scenarios: ['stale_data'],
  detectionSeconds: 5,
  recoverySeconds: 5,
  verifySeconds: 4,
  restartSeconds: 30,
  pollMs: 100,
  maxDrillSeconds: 200,
};

export const drillScenario: FaultScenario = {
  workflow: 'weeklyDrillWorkflow',
  name: 'drill-pass',
  sandbox: true,
  timeoutMs: 300000,
  start(c) {
    const drillId = `d-${c.id}`;
    c.state.drillId = drillId;
    return c.client.workflow.start('weeklyDrillWorkflow', {
      taskQueue: c.taskQueue,
      workflowId: workflowIds.drill(c.sbx!.targetName, drillId),
      args: [{ target: c.sbx!.targetName, drillId, ...FAST_DRILL } satisfies WeeklyDrillInput],
    });
  },
  async outcome(c, h): Promise<Outcome> {
    const r = (await h.result()) as WeeklyDrillResult;
    // RTO/RPO against the ground truth: recorded per case (and shown in docs/RELIABILITY.md), not a
    // pass/fail criterion here — the drill's measurement is being reworked in another slice.
    const t = truthRtoRpo(c.sbx!.groundTruth().filter((e) => e.ts >= c.since));
    const tl = reportTimeline(r);
    const measures = {
      rto_seconds: {
        reported: r.rto.seconds ?? null,
        truth: t?.rto ?? null,
        detail: `drill: detected ${String(tl.detectedAt)}, stopped ${String(tl.stoppedAt)}, first clean ${String(tl.firstCleanReconciliationAt)}; truth: stopped ${t?.stopped}, first clean ${t?.clean}`,
      },
      rpo_seconds: {
        reported: r.rpo.seconds ?? null,
        truth: t?.rpo ?? null,
        detail: `drill: stop requested ${String(tl.stopRequestedAt)}, last save ${String(tl.lastStateSaveAt)}; truth: last save ${t?.lastSave}`,
      },
    };
    const drillId = String(c.state.drillId);
    const p = pages(c, (b) => JSON.stringify(b).includes(drillId));
    return {
      verdict: r.result,
      effects: {
        ...targetEffects(c),
        pages: p.distinct,
        audit_lines: jsonlLines(path.join(c.resultsDir, 'audit', 'drill-runner.jsonl'), (o) => o.drill_id === drillId),
        reports: fs.existsSync(path.join(c.resultsDir, 'drills', drillId, 'report.json')) ? 1 : 0,
      },
      observed: { page_requests: p.requests },
      measures,
      problems: [],
    };
  },
  expected: { verdict: 'pass', effects: { target_stop_requested: 1, target_process_start: 1, audit_lines: 1, reports: 1, pages: 0 } },
  midpoints: {
    // Between the graceful stop and the restart: the target is down, the drill waits for it.
    'mid-drill (target stopped)': (c) =>
      waitFor('the drill to stop the target', () => truthSince(c.sbx!, c.since, 'stop_requested').length > 0, { timeoutMs: 120000 }).then(() => undefined),
  },
};

// ---------------------------------------------------------------------------------------------
// Incident: halt, triage, recovery branch, resume, incident_resolved; ack timer alongside.

function startIncident(c: CaseContext, over: Partial<IncidentInput> = {}) {
  const incidentId = `inc-${c.id}`.slice(0, 80);
  c.state.incidentId = incidentId;
  const runId = c.sbx!.config.runId;
  return c.client.workflow.start('incidentWorkflow', {
    taskQueue: c.taskQueue,
    workflowId: workflowIds.incident(runId, incidentId),
    args: [
      {
        runId,
        incidentId,
        target: c.sbx!.targetName,
        severity: 'critical',
        cycleSeconds: 1,
        maxWaitSeconds: 120,
        ackSlaSeconds: 900,
        ...over,
      } satisfies IncidentInput,
    ],
  });
}

async function incidentOutcome(c: CaseContext, h: WorkflowHandle): Promise<Outcome> {
  const r = (await h.result()) as IncidentResult;
  const incidentId = String(c.state.incidentId);
  const p = pages(c, (b) => b.incident_id === incidentId);
  return {
    verdict: `${r.resolution}/${r.incidentClass}${r.escalated ? '/escalated' : ''}`,
    effects: {
      ...targetEffects(c),
      pages: p.distinct,
      incident_resolved_lines: c
        .sbx!.artifact('incident_events.jsonl', incidentEventSchema)
        .filter((e) => e.event_type === 'incident_resolved' && e.incident_id === incidentId).length,
    },
    observed: { page_requests: p.requests, rehalts: r.rehalts },
    problems: [],
  };
}

/** The recovery child exists once triage decided: the drive steps wait for it (server-side, no worker needed). */
async function recoveryStarted(c: CaseContext): Promise<void> {
  const h = c.client.workflow.getHandle(workflowIds.recovery(c.sbx!.config.runId, String(c.state.incidentId), 1));
  await waitFor(
    'the recovery to start',
    () =>
      h.describe().then(
        () => true,
        () => false,
      ),
    { timeoutMs: 120000, intervalMs: 200 },
  );
}

async function latestBreach(s: TestSandbox, slo: string): Promise<void> {
  await waitFor(
    `${slo} as the latest breach`,
    () =>
      s
        .artifact('ops_slo_events.jsonl', opsSloEventSchema)
        .filter((e) => e.event_type === 'slo_breach')
        .at(-1)?.slo === slo,
    { timeoutMs: 30000 },
  );
}

const midRecovery = {
  'mid-recovery': async (c: CaseContext) => {
    await recoveryStarted(c);
    await new Promise((r) => setTimeout(r, 1000));
  },
};

/** Broker branch: the broker session (the target's process) is restarted: one stop, one start. */
export const incidentBrokerScenario: FaultScenario = {
  workflow: 'incidentWorkflow',
  name: 'incident-broker',
  sandbox: true,
  prepare: (c) => c.sbx!.inject('broker_disconnect'),
  start: (c) => startIncident(c),
  outcome: incidentOutcome,
  expected: {
    verdict: 'recovered/broker_connectivity',
    effects: { target_stop_requested: 1, target_process_start: 1, gateway_halt: 1, gateway_resume: 1, incident_resolved_lines: 1, pages: 0 },
  },
  midpoints: midRecovery,
};

/** Reconciliation branch: halted until two clean reconciliation cycles after the drift is cleared. */
export const incidentReconciliationScenario: FaultScenario = {
  workflow: 'incidentWorkflow',
  name: 'incident-reconciliation',
  sandbox: true,
  async prepare(c) {
    await c.sbx!.inject('order_drift');
    await latestBreach(c.sbx!, 'order_reconciliation_consecutive_mismatch_runs');
  },
  start: (c) => startIncident(c, { hint: 'reconciliation' }),
  async drive(c) {
    await recoveryStarted(c);
    await c.sbx!.clear('order_drift');
  },
  outcome: incidentOutcome,
  expected: {
    verdict: 'recovered/reconciliation',
    effects: { target_stop_requested: 0, target_process_start: 0, gateway_halt: 1, gateway_resume: 1, incident_resolved_lines: 1, pages: 0 },
  },
  midpoints: midRecovery,
};

/** Data-quality branch: corrupt bars until the data source is refreshed and a quality cycle is clean. */
export const incidentDataQualityScenario: FaultScenario = {
  workflow: 'incidentWorkflow',
  name: 'incident-data-quality',
  sandbox: true,
  async prepare(c) {
    await c.sbx!.inject('corrupt_bars');
    await latestBreach(c.sbx!, 'data_quality_errors');
  },
  start: (c) => startIncident(c),
  async drive(c) {
    await recoveryStarted(c);
    await c.sbx!.clear('corrupt_bars');
  },
  outcome: incidentOutcome,
  expected: {
    verdict: 'recovered/data_quality',
    effects: { target_stop_requested: 0, target_process_start: 0, gateway_halt: 1, gateway_resume: 1, incident_resolved_lines: 1, pages: 0 },
  },
  midpoints: midRecovery,
};

/** Escalation branch: the bounded wait runs out → one page; an operator's forced resume ends it. */
export const incidentEscalatedScenario: FaultScenario = {
  workflow: 'incidentWorkflow',
  name: 'incident-escalated',
  sandbox: true,
  async prepare(c) {
    await c.sbx!.inject('order_drift');
    await latestBreach(c.sbx!, 'order_reconciliation_consecutive_mismatch_runs');
  },
  start: (c) => startIncident(c, { maxWaitSeconds: 3, hint: 'reconciliation' }),
  async drive(c, h) {
    const incidentId = String(c.state.incidentId);
    await waitFor('the escalation page', () => pages(c, (b) => b.incident_id === incidentId).distinct >= 1, { timeoutMs: 120000, intervalMs: 100 });
    await waitFor('the incident to show escalated', async () => (await h.query(incidentStatusQuery)).phase === 'escalated', {
      timeoutMs: 120000,
      intervalMs: 200,
    });
    await h.executeUpdate(forceResumeUpdate, { args: [{ by: 'fault-suite', reason: 'orders confirmed manually' }] });
  },
  outcome: incidentOutcome,
  expected: {
    verdict: 'forced/reconciliation/escalated',
    effects: { target_stop_requested: 0, target_process_start: 0, gateway_halt: 1, gateway_resume: 1, incident_resolved_lines: 1, pages: 1 },
  },
};

// ---------------------------------------------------------------------------------------------
// Ack timer: the SLA passes → one page; the ack through the update → one incident_ack line.

export function ackScenario(slaSeconds: number): FaultScenario {
  return {
    workflow: 'incidentAckWorkflow',
    name: slaSeconds > 3 ? 'ack-timer-long' : 'ack-timer',
    sandbox: false,
    timeoutMs: 240000,
    async prepare(c) {
      c.state.runId = `run-${c.id}`.slice(0, 60);
      c.state.incidentId = 'inc-ack';
      const dir = path.join(c.runsDir, String(c.state.runId));
      fs.mkdirSync(dir, { recursive: true });
      fs.appendFileSync(
        path.join(dir, 'incident_events.jsonl'),
        `${JSON.stringify({ ts: new Date().toISOString(), event_type: 'incident_open', incident_id: 'inc-ack', severity: 'critical' })}\n`,
      );
    },
    start(c) {
      const runId = String(c.state.runId);
      return c.client.workflow.start('incidentAckWorkflow', {
        taskQueue: c.taskQueue,
        workflowId: workflowIds.incidentAck(runId, 'inc-ack'),
        args: [{ runId, incidentId: 'inc-ack', severity: 'critical', ackSlaSeconds: slaSeconds, keepOpenAfterAckSeconds: 0 } satisfies IncidentAckInput],
      });
    },
    async drive(c, h) {
      const runId = String(c.state.runId);
      await waitFor('the SLA page', () => pages(c, (b) => b.run_id === runId && b.event_action === 'trigger').distinct >= 1, {
        timeoutMs: 120000,
        intervalMs: 100,
      });
      // The operator acks once the timer's own record of the page has settled (after a worker kill, its
      // retried delivery lands first: under the same key, not a second page). Acking *during* that
      // retry is a race the suite does not hold steady: see docs/RELIABILITY.md, "Not covered".
      await waitFor(
        'the page record to settle',
        async () => {
          const st = await h.query(incidentAckStatusQuery);
          return st.pages.length >= 1 && st.pages.every((pg) => pg.outcome !== 'pending');
        },
        { timeoutMs: 120000, intervalMs: 200 },
      );
      await h.executeUpdate(acknowledgeUpdate, { args: [{ ackBy: 'fault-suite' }] });
      // The incident recovers (its workflow tells the timer): the receiver's page is resolved.
      // (A timer that already finished is a wrong verdict, reported by the comparison, not an error here.)
      await h.signal(resolveIncidentSignal, { resolution: 'recovered', by: 'incidentWorkflow' }).catch((err: unknown) => {
        if (!/already completed/.test(String(err))) throw err;
      });
    },
    async outcome(c, h): Promise<Outcome> {
      const r = (await h.result()) as IncidentAckResult;
      const runId = String(c.state.runId);
      const trig = pages(c, (b) => b.run_id === runId && b.event_action === 'trigger');
      const all = pages(c, (b) => b.run_id === runId);
      return {
        verdict: `slaMet=${r.slaMet}/ack=${r.ack?.ackBy ?? 'none'}/resolved=${r.resolved?.resolution ?? 'no'}`,
        effects: {
          pages: trig.distinct,
          page_events: all.distinct,
          incident_ack_lines: jsonlLines(path.join(c.runsDir, runId, 'incident_events.jsonl'), (o) => o.event_type === 'incident_ack'),
        },
        observed: { page_requests: all.requests, page_records_delivered: r.pages.filter((p) => p.outcome === 'delivered').length },
        problems: [],
      };
    },
    // One trigger, one acknowledge, one resolve at the receiver (PagerDuty's lifecycle under one key).
    expected: { verdict: 'slaMet=false/ack=fault-suite/resolved=recovered', effects: { pages: 1, page_events: 3, incident_ack_lines: 1 } },
    midpoints: {
      // The timer is waiting for its SLA: the page is due while the server is down or just after.
      'mid-timer': async (c, h) => {
        await waitFor(
          'the timer to run',
          () =>
            h.describe().then(
              (d) => d.historyLength > 4,
              () => false,
            ),
          { timeoutMs: 30000 },
        );
        await new Promise((r) => setTimeout(r, 1000));
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Alert watcher: one risk_limit_breach in the target's audit log opens exactly one incident.

export const alertWatchScenario: FaultScenario = {
  workflow: 'alertWatchWorkflow',
  name: 'alert-watch-audit',
  sandbox: true,
  timeoutMs: 300000,
  // The incidents it opens are faulted by the incident scenarios (test/faults/incident.test.ts).
  killPointsFrom: 'root',
  start(c) {
    const runId = c.sbx!.config.runId;
    return c.client.workflow.start('alertWatchWorkflow', {
      taskQueue: c.taskQueue,
      workflowId: workflowIds.alertWatch(runId),
      args: [
        {
          runId,
          target: c.sbx!.targetName,
          intervalSeconds: 1,
          cyclesPerRun: 5,
          incident: { cycleSeconds: 1, maxWaitSeconds: 600, ackSlaSeconds: 900 },
        } satisfies AlertWatchInput,
      ],
    });
  },
  async drive(c, h) {
    const runId = c.sbx!.config.runId;
    await waitFor('the watcher cycling', async () => (await h.query(alertWatchStatusQuery)).cycle >= 1, { timeoutMs: 120000, intervalMs: 200 });
    const dir = c.sbx!.config.auditLogsDir;
    fs.mkdirSync(dir, { recursive: true });
    fs.appendFileSync(
      path.join(dir, `${new Date().toISOString().slice(0, 10)}.jsonl`),
      `${JSON.stringify({ ts: new Date().toISOString(), event_type: 'risk_limit_breach', run_id: runId, severity: 'critical', detail: `fault suite ${c.id}` })}\n`,
    );
    await waitFor('the breach incident', async () => Object.keys((await h.query(alertWatchStatusQuery)).incidents).length >= 1, {
      timeoutMs: 120000,
      intervalMs: 200,
    });
    // A few more cycles (and a continue-as-new) in which nothing may open it again.
    await waitFor('three more cycles', async () => (await h.query(alertWatchStatusQuery)).continuedAsNew >= 1, { timeoutMs: 120000, intervalMs: 200 });
    await h.signal(stopWatchSignal, { by: 'fault-suite' });
  },
  async outcome(c, h): Promise<Outcome> {
    const r = (await h.result()) as AlertWatchResult;
    const runId = c.sbx!.config.runId;
    const ids = Object.keys(r.incidents);
    let running = 0;
    for (const id of ids) {
      const d = await c.client.workflow
        .getHandle(workflowIds.incident(runId, id))
        .describe()
        .catch(() => undefined);
      if (d) running += 1;
      await c.client.workflow
        .getHandle(workflowIds.incident(runId, id))
        .terminate('fault case over')
        .catch(() => undefined);
    }
    return {
      verdict: `stopped=${r.stoppedBy}/incidents=${ids.length}`,
      effects: { incident_workflows: running, gateway_halt: truthSince(c.sbx!, c.since, 'kill_switch_halt').length },
      problems: [],
    };
  },
  expected: { verdict: 'stopped=fault-suite/incidents=1', effects: { incident_workflows: 1, gateway_halt: 1 } },
};

// ---------------------------------------------------------------------------------------------
// Promotion gate: gather evidence, decide, write one bundle whose manifest verifies.

export const promotionScenario: FaultScenario = {
  workflow: 'promotionGateWorkflow',
  name: 'promotion-pass',
  sandbox: false,
  timeoutMs: 360000,
  async prepare(c) {
    c.state.runId = 'run-promo';
    c.state.experimentId = `exp-${c.id}`.slice(0, 60);
    writeRunFolder(c.runsDir, 'run-promo');
    writeDrillReport(c.resultsDir, drillReport({ drillId: 'drill-latest', finishedMsAgo: 1 * DAY }));
    // The strict gate needs the experiment's paper KPI criteria (the crash worker reads <results>/kpi).
    writeRunFile(c.runsDir, 'run-promo', 'paper_kpi.jsonl', paperKpiLines());
    writeKpiFile(path.join(c.resultsDir, 'kpi'), kpiFile(String(c.state.experimentId)));
  },
  start(c) {
    const experimentId = String(c.state.experimentId);
    return c.client.workflow.start('promotionGateWorkflow', {
      taskQueue: c.taskQueue,
      workflowId: workflowIds.promotion(experimentId, 'run-promo'),
      args: [{ experimentId, runId: 'run-promo', target: 'paper-sandbox' } satisfies PromotionGateInput],
    });
  },
  async outcome(c, h): Promise<Outcome> {
    const r = (await h.result()) as PromotionGateResult;
    const parent = path.join(c.resultsDir, 'promotions', String(c.state.experimentId));
    const v = await verifyBundle(r.bundle.dir, { expectHash: r.bundle.manifestSha256 });
    return {
      verdict: r.verdict.result,
      effects: { bundles: fs.existsSync(parent) ? fs.readdirSync(parent).length : 0, bundle_verified: v.ok ? 1 : 0, bundle_files: r.bundle.files.length },
      problems: [],
    };
  },
  expected: { verdict: 'pass', effects: { bundles: 1, bundle_verified: 1 } },
};

/**
 * A drill's sign-off: nobody signs within its SLA (3 s here), so the backup approver is paged; then an
 * approver signs. One page at the receiver, one signoff.json, one audit event, whatever is killed.
 */
export const signOffScenario: FaultScenario = {
  workflow: 'drillSignOffWorkflow',
  name: 'signoff-late',
  sandbox: false,
  timeoutMs: 180000,
  async prepare(c) {
    c.state.drillId = `d-${c.id}`.slice(0, 100);
    const dir = path.join(c.resultsDir, 'drills', String(c.state.drillId));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'report.json'), `${JSON.stringify({ drillId: c.state.drillId, result: 'fail' })}\n`);
  },
  start(c) {
    const drillId = String(c.state.drillId);
    const now = Date.now();
    return c.client.workflow.start('drillSignOffWorkflow', {
      taskQueue: c.taskQueue,
      workflowId: workflowIds.drillSignOff('fault-target', drillId),
      args: [
        {
          drillId,
          target: 'fault-target',
          drillResult: 'fail',
          approver: 'alice',
          backupApprover: 'bob',
          dueAt: new Date(now + 3000).toISOString(),
          expiresAt: new Date(now + DAY).toISOString(),
          runId: 'run-signoff',
        } satisfies DrillSignOffInput,
      ],
    });
  },
  async drive(c, h) {
    const drillId = String(c.state.drillId);
    await waitFor('the backup page', () => pages(c, (b) => String(b.incident_id ?? '').includes(drillId)).distinct >= 1, {
      timeoutMs: 120000,
      intervalMs: 100,
    });
    // Sign once the workflow's own record of the page has settled (a retried delivery lands under the same key).
    await waitFor('the page record to settle', async () => (await h.query(drillSignOffStatusQuery)).state === 'backup-paged', {
      timeoutMs: 120000,
      intervalMs: 200,
    });
    await h.executeUpdate(signOffUpdate, { args: [{ by: 'carol', role: 'DR test owner', decision: 'accepted-with-findings' }] });
  },
  async outcome(c, h): Promise<Outcome> {
    const r = (await h.result()) as SignOffRecord;
    const drillId = String(c.state.drillId);
    const file = path.join(c.resultsDir, 'drills', drillId, 'signoff.json');
    return {
      verdict: `state=${r.state}/by=${r.signOff?.by ?? 'none'}/late=${r.late}/backup=${r.backupPage?.outcome ?? 'none'}`,
      effects: {
        pages: pages(c, (b) => String(b.incident_id ?? '').includes(drillId)).distinct,
        signoff_files: fs.existsSync(file) ? 1 : 0,
        audit_events: jsonlLines(
          path.join(c.resultsDir, 'audit', 'drill-runner.jsonl'),
          (o) => o.drill_id === drillId && o.event_type === 'dr_drill_signed_off',
        ),
      },
      observed: { page_requests: pages(c, (b) => String(b.incident_id ?? '').includes(drillId)).requests },
      problems: [],
    };
  },
  expected: { verdict: 'state=signed/by=carol/late=true/backup=delivered', effects: { pages: 1, signoff_files: 1, audit_events: 1 } },
};

export const ALL_SCENARIOS: FaultScenario[] = [
  drillScenario,
  incidentBrokerScenario,
  incidentReconciliationScenario,
  incidentDataQualityScenario,
  incidentEscalatedScenario,
  ackScenario(1),
  alertWatchScenario,
  promotionScenario,
  signOffScenario,
];
