/**
 * The weekly drill's evidence step: RTO/RPO from the target's records, the verdict, the report with
 * its test record, the audit event, the page on failure, and the sign-off workflow it starts.
 */
import { log, ParentClosePolicy, patched, startChild, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { drillVerdict, RECOVERY_DEFINITIONS, recoveryBreakdown, recoveryMeasures, type DrillResult, type RecoveryMeasure } from '../domain/drill';
import type { DrillReportInput } from '../domain/drill-report';
import { buildDrillRecord } from '../domain/drill-record';
import type { DrillSignOffInput } from '../domain/drill-signoff';
import type { drillSignOffWorkflow } from './drill-signoff';
import { SA } from '../search-attributes';
import { workflowIds } from '../shared';
import * as metrics from './product-metrics';
import { innermostMessage } from '../domain/failure-chain';
import { iso, pager } from './drill-calls';
import { DRILL_STATE_DONE_PATCH, SIGN_OFF_PATCH } from './drill-patches';
import type { WeeklyDrill } from './weekly-drill';

export async function drillEvidence(d: WeeklyDrill, cancelledByUser: boolean, errored: boolean): Promise<void> {
  const p = d.p;
  const s = d.begin('evidence');
  const m = d.rto && d.rpo ? { rto: d.rto, rpo: d.rpo } : recoveryMeasures(d.timeline, p);
  d.rto = m.rto;
  d.rpo = m.rpo;
  const v = drillVerdict({ ran: d.ran && !d.abortReason, aborted: !!d.abortReason, errored, failures: d.failures, rto: m.rto, rpo: m.rpo });
  d.result = v.result;
  d.failures.splice(0, d.failures.length, ...v.failures);
  publishMeasures(m.rto, m.rpo);
  upsertSearchAttributes([{ key: SA.result, value: v.result }]);
  metrics.drillFinished({ target: p.target, result: v.result, rtoSeconds: m.rto.seconds, rpoSeconds: m.rpo.seconds });
  const info = workflowInfo();
  const b = recoveryBreakdown(d.timeline);
  const finishedAt = iso();
  const recorded = patched(SIGN_OFF_PATCH);
  const signOffId = recorded && p.audit.signOff && !d.busy ? workflowIds.drillSignOff(p.target, d.drillId) : undefined;
  const record = recorded
    ? buildDrillRecord({
        drillId: d.drillId,
        target: p.target,
        mode: d.preflight?.mode ?? p.mode ?? 'paper',
        finishedAt,
        bounds: p,
        scenarios: p.scenarios,
        ...(d.preflight ? { preflight: d.preflight } : {}),
        allowLive: p.allowLive,
        ...(d.faultAdapter ? { faultAdapter: d.faultAdapter } : {}),
        steps: d.steps,
        chaos: d.chaos,
        chaosSkipped: d.chaosSkipped,
        checks: d.checks,
        rto: m.rto,
        rpo: m.rpo,
        failures: v.failures,
        audit: p.audit,
        ...(signOffId ? { signOffWorkflowId: signOffId } : {}),
      })
    : undefined;
  const report: DrillReportInput = {
    schemaVersion: 1,
    drillId: d.drillId,
    target: p.target,
    mode: d.preflight?.mode ?? p.mode ?? 'paper',
    startedAt: d.startedAt,
    finishedAt: recorded ? finishedAt : iso(),
    result: v.result,
    rto: m.rto,
    rpo: m.rpo,
    timeline: d.timeline,
    failures: v.failures,
    workflowId: info.workflowId,
    runId: info.runId,
    seed: p.seed,
    ...(d.abortReason ? { abortReason: d.abortReason } : {}),
    steps: [...d.steps.filter((x) => x !== s).map((x) => ({ ...x })), { ...s, status: 'ok' as const, finishedAt: iso() }],
    chaos: d.chaos,
    ...(d.chaosStatus ? { chaosStatus: d.chaosStatus, chaosSkipped: d.chaosSkipped } : {}),
    ...(d.incidents ? { incidents: d.incidents } : {}),
    checks: d.checks,
    rollback: d.rollbackLog,
    recovery: { definitions: { ...RECOVERY_DEFINITIONS }, ...b },
    ...(record ? { record } : {}),
  };
  try {
    const paths = await d.write('5 evidence: report.json, report.md, report.html').writeDrillReport({ report });
    d.reportPath = paths.json;
  } catch (err) {
    log.error('drill report not written', { error: innermostMessage(err) });
    d.end(s, 'failed', `report not written: ${innermostMessage(err)}`);
  }
  try {
    await d.write('5 evidence: audit event').appendDrillAudit({
      drillId: d.drillId,
      event: {
        target: p.target,
        result: v.result,
        rto_seconds: m.rto.seconds,
        rpo_seconds: m.rpo.seconds,
        report: d.reportPath ?? null,
        failures: v.failures,
      },
    });
  } catch (err) {
    log.warn('drill audit event not written', { error: innermostMessage(err) });
  }
  // A drill refused because another one holds the target changed nothing: no page.
  if (v.result !== 'pass' && !cancelledByUser && !d.busy) {
    try {
      const r = await pager('5 evidence: page on-call (drill did not pass)').pageEscalation({
        runId: d.preflight?.runId ?? 'drill',
        incidentId: `drill-${d.drillId}`.slice(0, 128),
        severity: 'critical',
        level: 1,
        round: 0,
        levelName: 'dr-drill',
        openedAt: d.startedAt,
        summary: `DR drill ${d.drillId} on ${p.target}: ${v.result.toUpperCase()}: ${v.failures.slice(0, 3).join('; ')}`.slice(0, 500),
        dedupKey: `drill:${d.drillId}`,
      });
      log.info('drill failure paged', { outcome: r.outcome });
    } catch (err) {
      log.error('drill failure page not delivered', { error: innermostMessage(err) });
    }
  }
  if (record?.signOff) await startSignOff(d, record.signOff, v.result);
  if (s.status === 'running') d.end(s, 'ok', d.reportPath ?? '');
  d.current = 'done';
  if (patched(DRILL_STATE_DONE_PATCH)) upsertSearchAttributes([{ key: SA.state, value: 'done' }]);
  d.publishDetails();
}

/** The sign-off workflow of this drill's record: abandoned, so the drill's result never waits for it. */
async function startSignOff(d: WeeklyDrill, s: NonNullable<NonNullable<DrillReportInput['record']>['signOff']>, result: DrillResult): Promise<void> {
  const input: DrillSignOffInput = {
    drillId: d.drillId,
    target: d.p.target,
    drillResult: result,
    approver: s.approver,
    backupApprover: s.backupApprover,
    dueAt: s.dueAt,
    expiresAt: s.expiresAt,
    ...(d.preflight?.runId ? { runId: d.preflight.runId } : {}),
  };
  try {
    await startChild<typeof drillSignOffWorkflow>('drillSignOffWorkflow', {
      workflowId: s.workflowId,
      args: [input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `Sign-off of DR drill ${d.drillId} on ${d.p.target} (${result.toUpperCase()}): ${s.approver}, due ${s.dueAt}`,
    });
  } catch (err) {
    // Already started (the same drill id ran before) or refused: the drill's own result stands.
    log.warn('drill sign-off workflow not started', { workflowId: s.workflowId, error: innermostMessage(err) });
  }
}

/** RTO and RPO as search attributes (the Web UI's columns). */
export function publishMeasures(rto: RecoveryMeasure, rpo: RecoveryMeasure): void {
  const updates = [
    ...(rto.seconds !== null ? [{ key: SA.rtoSeconds, value: rto.seconds }] : []),
    ...(rpo.seconds !== null ? [{ key: SA.rpoSeconds, value: rpo.seconds }] : []),
  ];
  // An empty upsert is rejected by the server (and would fail the workflow task forever).
  if (updates.length) upsertSearchAttributes(updates);
}
