/**
 * Sign-off of a drill's test record (issue 13, item 2): an approver accepts or rejects the drill as a
 * durable update on the drill's sign-off workflow (`drill-signoff~<target>~<drillId>`, started by the
 * drill at its evidence step so the drill's own result never waits for a person). Nobody signs within
 * the non-response SLA: the backup approver is paged. Nobody signs before expiry: the record says so.
 */
import { z } from 'zod';
import { DRILL_RESULTS } from './drill-report';
import { personSchema } from './drill-record';
import { drillIdSchema, runIdSchema, targetNameSchema } from './ids';
import { severitySchema } from './severity';

const iso = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time' });

export const SIGN_OFF_DECISIONS = ['accepted', 'accepted-with-findings', 'rejected'] as const;
export type SignOffDecision = (typeof SIGN_OFF_DECISIONS)[number];

/** The `signOff` update's payload. */
export const signOffRequestSchema = z.object({
  by: personSchema,
  role: z.string().trim().min(1, { error: 'expected a role (e.g. "DR test owner")' }).max(100),
  decision: z.enum(SIGN_OFF_DECISIONS, { error: `expected one of ${SIGN_OFF_DECISIONS.join(', ')}` }),
  notes: z.string().max(2000).default(''),
});
export type SignOffRequest = z.input<typeof signOffRequestSchema>;

export const drillSignOffInputSchema = z
  .object({
    drillId: drillIdSchema,
    target: targetNameSchema,
    drillResult: z.enum(DRILL_RESULTS),
    approver: personSchema,
    backupApprover: personSchema,
    /** Past this with no sign-off, the backup approver is paged. */
    dueAt: iso,
    /** Past this with no sign-off, the workflow ends and the record says `expired` (unsigned). */
    expiresAt: iso,
    /** The page's run id (the paging receiver groups by it). */
    runId: runIdSchema.default('dr-drill'),
    pageSeverity: severitySchema.default('critical'),
  })
  .refine((i) => Date.parse(i.expiresAt) > Date.parse(i.dueAt), { error: 'expiresAt must be after dueAt', path: ['expiresAt'] });
export type DrillSignOffInput = z.input<typeof drillSignOffInputSchema>;
export type DrillSignOffParams = z.output<typeof drillSignOffInputSchema>;

export type SignOffState = 'awaiting' | 'backup-paged' | 'signed' | 'expired';

export interface SignedOff {
  by: string;
  role: string;
  decision: SignOffDecision;
  notes: string;
  signedAt: string;
}

export interface BackupPage {
  at: string;
  to: string;
  outcome: string;
  detail?: string;
}

/** `drills/<drillId>/signoff.json`: what the approver signed (the report's SHA-256), or that nobody did. */
export const signOffRecordSchema = z.object({
  schemaVersion: z.literal(1),
  drillId: z.string(),
  target: z.string(),
  drillResult: z.enum(DRILL_RESULTS),
  state: z.enum(['signed', 'expired']),
  approver: z.string(),
  backupApprover: z.string(),
  dueAt: iso,
  expiresAt: iso,
  signOff: z.object({ by: z.string(), role: z.string(), decision: z.enum(SIGN_OFF_DECISIONS), notes: z.string(), signedAt: iso }).nullable(),
  /** Signed after the non-response SLA (the backup was paged, or could have been). */
  late: z.boolean(),
  backupPage: z.object({ at: iso, to: z.string(), outcome: z.string(), detail: z.string().optional() }).nullable(),
  /** SHA-256 of `report.json` as it was when the sign-off was recorded; null when the report is missing. */
  reportSha256: z.string().nullable(),
  workflowId: z.string(),
});
export type SignOffRecord = z.infer<typeof signOffRecordSchema>;
/** What the workflow hands the activity: everything but the report's hash, which the activity reads. */
export type SignOffRecordInput = Omit<SignOffRecord, 'reportSha256' | 'schemaVersion'>;

export const SIGN_OFF_FILE = 'signoff.json';

export interface DrillSignOffStatus {
  drillId: string;
  target: string;
  drillResult: string;
  state: SignOffState;
  approver: string;
  backupApprover: string;
  dueAt: string;
  expiresAt: string;
  signOff?: SignedOff;
  backupPage?: BackupPage;
  /** `signoff.json` once written. */
  recordPath?: string;
}

/** Why a sign-off is refused before it enters history (the update's validator). */
export function signOffRefusal(s: Pick<DrillSignOffStatus, 'state' | 'signOff'>): string | undefined {
  if (s.signOff) return `already signed off by ${s.signOff.by} (${s.signOff.decision}) at ${s.signOff.signedAt}`;
  if (s.state === 'expired') return 'the sign-off window has expired: the record says unsigned';
  return undefined;
}
