/**
 * Sign-off of one drill's test record (`drill-signoff~<target>~<drillId>`). The drill starts it at its
 * evidence step as an abandoned child, so the drill's result never waits for a person:
 *   awaiting → (signOff update) → signed
 *   awaiting → non-response SLA passes → the backup approver is paged once → signed or expired.
 * The record (`drills/<drillId>/signoff.json`, with the SHA-256 of the report that was signed) and
 * its audit event are written once, when it is signed or expires. History: a handful of events.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  drillSignOffInputSchema,
  signOffRefusal,
  signOffRequestSchema,
  type BackupPage,
  type DrillSignOffInput,
  type DrillSignOffStatus,
  type SignedOff,
  type SignOffRecord,
  type SignOffState,
} from '../domain/drill-signoff';
import { FAILURE } from '../domain/failure-types';
import { SA } from '../search-attributes';
import { paging, shortIo } from './activity-profiles';
import { drillSignOffStatusQuery, signOffUpdate } from './definitions';
import { parseOrFail } from './validation';

const io = proxyActivities<Activities>({ ...shortIo, summary: 'sign-off: signoff.json and its audit event' });
const pager = proxyActivities<Activities>({ ...paging, summary: 'sign-off: page the backup approver' });

const iso = () => new Date().toISOString();
/** Milliseconds until `at` by workflow time; at least 1 s (a condition's timeout must be positive). */
const until = (at: string) => Math.max(1000, Date.parse(at) - Date.now());

export async function drillSignOffWorkflow(input: DrillSignOffInput): Promise<SignOffRecord> {
  const p = parseOrFail(drillSignOffInputSchema, input, 'drillSignOffWorkflow input');
  let state: SignOffState = 'awaiting';
  let signOff: SignedOff | undefined;
  let backupPage: BackupPage | undefined;
  let written = undefined as { record: SignOffRecord; path: string } | undefined;

  const status = (): DrillSignOffStatus => ({
    drillId: p.drillId,
    target: p.target,
    drillResult: p.drillResult,
    state,
    approver: p.approver,
    backupApprover: p.backupApprover,
    dueAt: p.dueAt,
    expiresAt: p.expiresAt,
    ...(signOff ? { signOff } : {}),
    ...(backupPage ? { backupPage } : {}),
    ...(written ? { recordPath: written.path } : {}),
  });
  const publish = () => {
    upsertSearchAttributes([{ key: SA.state, value: `signoff-${state}` }]);
    const who = signOff
      ? `**Signed off** by ${signOff.by} (${signOff.role}): ${signOff.decision} at ${signOff.signedAt}`
      : state === 'expired'
        ? '**Expired unsigned**'
        : `**Awaiting sign-off** by ${p.approver}, due ${p.dueAt}`;
    const page = backupPage ? `\n\nBackup approver ${backupPage.to} paged at ${backupPage.at}: ${backupPage.outcome}` : '';
    setCurrentDetails(`${who} · drill \`${p.drillId}\` on \`${p.target}\`: ${p.drillResult.toUpperCase()}${page}`);
  };

  setHandler(drillSignOffStatusQuery, status, {
    description: 'Sign-off state (awaiting, backup-paged, signed, expired), the approvers, the due and expiry times, the sign-off and the backup page.',
  });
  setHandler(
    signOffUpdate,
    async (raw) => {
      const r = signOffRequestSchema.parse(raw);
      signOff ??= { by: r.by, role: r.role, decision: r.decision, notes: r.notes, signedAt: iso() };
      // Answer once the record is on disk: the approver's client learns it is durable evidence.
      await condition(() => written !== undefined);
      return written!.record;
    },
    {
      validator: (raw) => {
        parseOrFail(signOffRequestSchema, raw, 'signOff');
        const refused = signOffRefusal({ state, ...(signOff ? { signOff } : {}) });
        if (refused) throw ApplicationFailure.nonRetryable(refused, FAILURE.signOffClosed);
      },
      description:
        'Sign the drill\'s test record off: {"by": "...", "role": "...", "decision": "accepted" | "accepted-with-findings" | "rejected", "notes": "..."}. Answers with the written record (signoff.json, with the SHA-256 of the report signed).',
    },
  );
  // Target and state only: DrillResult stays the drill's own (lists of drills by result find drills).
  upsertSearchAttributes([{ key: SA.target, value: p.target }]);
  publish();

  if (!(await condition(() => signOff !== undefined, until(p.dueAt)))) {
    const at = iso();
    try {
      const r = await pager.pageEscalation({
        runId: p.runId,
        incidentId: `signoff-${p.drillId}`.slice(0, 128),
        severity: p.pageSeverity,
        level: 2,
        round: 0,
        levelName: 'drill-signoff-backup',
        kind: 'dr_drill_signoff_overdue',
        openedAt: p.dueAt,
        summary:
          `DR drill ${p.drillId} on ${p.target} (${p.drillResult.toUpperCase()}) not signed off by ${p.approver} by ${p.dueAt}: ${p.backupApprover}, please review and sign (drill sign-off --target ${p.target} --drill-id ${p.drillId})`.slice(
            0,
            500,
          ),
        dedupKey: `drill-signoff:${p.target}:${p.drillId}`,
      });
      backupPage = { at, to: p.backupApprover, outcome: r.outcome };
    } catch (err) {
      backupPage = { at, to: p.backupApprover, outcome: 'failed', detail: err instanceof Error ? err.message : String(err) };
      log.error('backup approver page not delivered', { error: backupPage.detail });
    }
    state = 'backup-paged';
    publish();
    await condition(() => signOff !== undefined, until(p.expiresAt));
  }
  state = signOff ? 'signed' : 'expired';
  const late = signOff ? Date.parse(signOff.signedAt) > Date.parse(p.dueAt) : true;
  written = await io.writeDrillSignOff({
    record: {
      drillId: p.drillId,
      target: p.target,
      drillResult: p.drillResult,
      state,
      approver: p.approver,
      backupApprover: p.backupApprover,
      dueAt: p.dueAt,
      expiresAt: p.expiresAt,
      signOff: signOff ?? null,
      late,
      backupPage: backupPage ?? null,
      workflowId: workflowInfo().workflowId,
    },
  });
  publish();
  await condition(allHandlersFinished);
  return written.record;
}
