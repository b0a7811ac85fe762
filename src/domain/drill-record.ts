/**
 * The drill's test record, as an auditor reads it (issue 13, item 2; what DORA's testing standards
 * and SOC 2 A1.3 ask of a recovery test): the scope, the objectives with their targets and whether
 * each was met, the preconditions the preflight found, every failure as a finding with an owner, a
 * due date and the drill that re-tests it, and who signs the drill off by when. The procedure version
 * (package, commit, workflow bundle) is the worker's and is stamped by the report activity.
 * Pure: every time is passed in as data.
 */
import { z } from 'zod';

const iso = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time' });
/** A person or a rota name: what an on-call tool or a directory would know them by. */
export const personSchema = z.string().trim().min(1, { error: 'expected a name' }).max(100);

/** Per drill (the drill input's `audit`): who owns findings, who signs off, and how long they have. */
export const auditSettingsSchema = z
  .object({
    /** Owner of the drill's findings (deficiencies). */
    owner: personSchema.default('dr-drill-owner'),
    /** Signs the drill off. */
    approver: personSchema.default('dr-approver'),
    /** Paged when nobody signs within `signOffSeconds`. */
    backupApprover: personSchema.default('dr-backup-approver'),
    /** Start the sign-off workflow for this drill (a refused drill never gets one). */
    signOff: z.boolean().default(true),
    /** Non-response SLA: past it, the backup approver is paged (default 2 days). */
    signOffSeconds: z
      .number()
      .positive()
      .max(30 * 86400)
      .default(2 * 86400),
    /** Past this the sign-off closes as `expired`, recorded as unsigned (default 30 days). */
    signOffExpirySeconds: z
      .number()
      .positive()
      .max(366 * 86400)
      .default(30 * 86400),
    /** A finding is due this many days after the drill (default: the next weekly drill). */
    findingDueDays: z.number().int().min(1).max(365).default(7),
  })
  .refine((a) => a.signOffExpirySeconds > a.signOffSeconds, {
    error: 'signOffExpirySeconds must be longer than signOffSeconds',
    path: ['signOffExpirySeconds'],
  });
export type AuditSettings = z.output<typeof auditSettingsSchema>;

export const procedureVersionSchema = z.object({
  /** The runbook section the drill carries out. */
  runbook: z.string(),
  packageVersion: z.string(),
  /** The source commit of the worker's build; null when the worker could not tell. */
  commit: z.string().nullable(),
  /** SHA-256 of the workflow bundle the worker runs (the prebuilt one); null when it bundled at start. */
  workflowBundleSha256: z.string().nullable(),
});
export type ProcedureVersion = z.infer<typeof procedureVersionSchema>;

export const findingSchema = z.object({
  /** `<drillId>#<n>`. */
  id: z.string().min(1),
  finding: z.string(),
  owner: z.string(),
  dueAt: iso,
  /** Which drill re-tests it: the next drill of the same target (the evidence export and the trend page name it). */
  retest: z.string(),
});
export type Finding = z.infer<typeof findingSchema>;

const objectiveSchema = z.object({
  id: z.string(),
  objective: z.string(),
  target: z.string(),
  measured: z.string(),
  /** null: not exercised in this drill (skipped scenario, a step that never ran). */
  met: z.boolean().nullable(),
});

const preconditionSchema = z.object({ name: z.string(), ok: z.boolean(), detail: z.string() });

export const drillRecordSchema = z.object({
  scope: z.object({
    target: z.string(),
    mode: z.enum(['paper', 'live']),
    drillType: z.string(),
    systems: z.array(z.string()),
    scenarios: z.array(z.string()),
  }),
  objectives: z.array(objectiveSchema),
  preconditions: z.array(preconditionSchema),
  deficiencies: z.array(findingSchema),
  procedure: procedureVersionSchema.optional(),
  signOff: z.object({ workflowId: z.string(), approver: z.string(), backupApprover: z.string(), dueAt: iso, expiresAt: iso }).optional(),
});
export type DrillRecord = z.infer<typeof drillRecordSchema>;

export const DRILL_TYPE = 'Weekly DR drill: seeded chaos (inject, detect, clear, recover), graceful stop, restart, state/reconciliation/SLO checks';
export const RUNBOOK_SECTION = 'RUNBOOK.md: Disaster Recovery Drill (Weekly)';

/** What the record is built from: the drill's own state at its evidence step. */
export interface DrillRecordInput {
  drillId: string;
  target: string;
  mode: 'paper' | 'live';
  finishedAt: string;
  bounds: {
    rtoSeconds: number;
    rpoSeconds: number;
    detectionSeconds: number;
    recoverySeconds: number;
    stopSeconds: number;
    restartSeconds: number;
    verifySeconds: number;
  };
  scenarios: readonly string[];
  preflight?: {
    healthy: boolean;
    healthDetail: string;
    mode: 'paper' | 'live';
    entriesHalted: boolean;
    haltReason: string | null;
    openCriticalIncidents: readonly string[];
    activeFaults: readonly string[];
    lastSave: { savedAt: string; seq: number; ageSeconds: number } | null;
    brokerHealthy: boolean | null;
    loops?: Record<string, boolean>;
  };
  allowLive: boolean;
  faultAdapter?: string;
  steps: ReadonlyArray<{ name: string; status: string; detail?: string }>;
  chaos: ReadonlyArray<{ scenario: string; detected: boolean; detectionSeconds?: number; recovered?: boolean; detail?: string }>;
  chaosSkipped: ReadonlyArray<{ scenario: string; reason: string }>;
  checks: ReadonlyArray<{ name: string; ok: boolean; detail: string }>;
  rto: { seconds: number | null; ok: boolean };
  rpo: { seconds: number | null; ok: boolean };
  failures: readonly string[];
  audit: AuditSettings;
  /** The sign-off workflow's id, when the drill starts one. */
  signOffWorkflowId?: string;
}

const fmt = (s: number | null | undefined) => (s === null || s === undefined ? 'not measured' : `${Math.round(s * 1000) / 1000} s`);
const addSeconds = (iso: string, s: number) => new Date(Date.parse(iso) + s * 1000).toISOString();

function stepObjective(i: DrillRecordInput, id: string, step: string, objective: string, target: string) {
  const s = i.steps.find((x) => x.name === step);
  const met = !s || s.status === 'skipped' || s.status === 'running' ? null : s.status === 'ok';
  return { id, objective, target, measured: s ? `${s.status}${s.detail ? `: ${s.detail}` : ''}` : 'not run', met };
}

export function drillObjectives(i: DrillRecordInput): DrillRecord['objectives'] {
  const b = i.bounds;
  const out: DrillRecord['objectives'] = [
    {
      id: 'rto',
      objective: 'Service back and reconciling cleanly after the outage (RTO)',
      target: `≤ ${b.rtoSeconds} s`,
      measured: fmt(i.rto.seconds),
      met: i.rto.seconds === null ? false : i.rto.ok,
    },
    {
      id: 'rpo',
      objective: 'State lost by the outage (RPO)',
      target: `≤ ${b.rpoSeconds} s`,
      measured: fmt(i.rpo.seconds),
      met: i.rpo.seconds === null ? false : i.rpo.ok,
    },
  ];
  for (const c of i.chaos) {
    out.push({
      id: `chaos:${c.scenario}`,
      objective: `The target detects ${c.scenario} and recovers once it is cleared`,
      target: `detected ≤ ${b.detectionSeconds} s, recovered ≤ ${b.recoverySeconds} s`,
      measured: `${c.detected ? `detected in ${fmt(c.detectionSeconds)}` : 'not detected'}${c.recovered === undefined ? '' : c.recovered ? ', recovered' : ', not recovered'}`,
      met: c.detected && c.recovered !== false,
    });
  }
  for (const s of i.chaosSkipped)
    out.push({
      id: `chaos:${s.scenario}`,
      objective: `The target detects ${s.scenario} and recovers`,
      target: `detected ≤ ${b.detectionSeconds} s`,
      measured: `not run: ${s.reason}`,
      met: null,
    });
  out.push(stepObjective(i, 'graceful-stop', 'stop', 'Graceful stop: state saved, process gone', `≤ ${b.stopSeconds} s`));
  out.push(stepObjective(i, 'restart', 'restart', 'Restart: serving again from saved state', `≤ ${b.restartSeconds} s`));
  const checks = i.checks;
  out.push({
    id: 'verification',
    objective: 'After the restart: state restored, reconciliation clean, SLO monitor emitting',
    target: `within ${b.verifySeconds} s`,
    measured: checks.length ? `${checks.filter((c) => c.ok).length}/${checks.length} checks ok` : 'not run',
    met: checks.length ? checks.every((c) => c.ok) : null,
  });
  return out;
}

export function drillPreconditions(i: DrillRecordInput): DrillRecord['preconditions'] {
  const p = i.preflight;
  if (!p) return [{ name: 'preflight', ok: false, detail: 'the preflight did not complete: the target was not drilled' }];
  const out: DrillRecord['preconditions'] = [
    { name: 'target healthy', ok: p.healthy, detail: p.healthDetail },
    {
      name: 'trading mode',
      ok: p.mode === 'paper' || i.allowLive,
      detail: p.mode === 'paper' ? 'paper' : `live (${i.allowLive ? 'allowed for this drill' : 'not allowed'})`,
    },
    {
      name: 'no open critical incident',
      ok: p.openCriticalIncidents.length === 0,
      detail: p.openCriticalIncidents.length ? p.openCriticalIncidents.join(', ') : 'none open',
    },
    { name: 'no fault active before the drill', ok: p.activeFaults.length === 0, detail: p.activeFaults.length ? p.activeFaults.join(', ') : 'none' },
    { name: 'entries not halted', ok: !p.entriesHalted, detail: p.entriesHalted ? `halted: ${p.haltReason ?? 'no reason given'}` : 'entries open' },
    {
      name: 'a state save to measure RPO against',
      ok: p.lastSave !== null,
      detail: p.lastSave ? `seq ${p.lastSave.seq} at ${p.lastSave.savedAt} (${p.lastSave.ageSeconds} s old)` : 'no state save recorded',
    },
  ];
  if (p.brokerHealthy !== null) out.push({ name: 'broker connected', ok: p.brokerHealthy, detail: p.brokerHealthy ? 'connected' : 'not connected' });
  return out;
}

export function drillScope(i: DrillRecordInput): DrillRecord['scope'] {
  const loops = Object.keys(i.preflight?.loops ?? {}).map((l) => `${l} loop`);
  const systems = [
    `process of ${i.target} (graceful stop, restart)`,
    'runtime state (state saves, restore)',
    'reconciliation',
    'SLO monitor and incident log',
    ...(i.preflight?.brokerHealthy !== null && i.preflight?.brokerHealthy !== undefined ? ['broker connection'] : []),
    ...(i.faultAdapter ? [`fault injection through the ${i.faultAdapter} adapter`] : []),
    ...loops,
  ];
  return { target: i.target, mode: i.mode, drillType: DRILL_TYPE, systems, scenarios: [...i.scenarios] };
}

/** Every failure of the drill as a finding: owned, due, re-tested by the target's next drill. */
export function drillFindings(i: DrillRecordInput): Finding[] {
  const dueAt = addSeconds(i.finishedAt, i.audit.findingDueDays * 86400);
  return i.failures.map((f, n) => ({ id: `${i.drillId}#${n + 1}`, finding: f, owner: i.audit.owner, dueAt, retest: `the next drill of ${i.target}` }));
}

export function buildDrillRecord(i: DrillRecordInput): DrillRecord {
  return {
    scope: drillScope(i),
    objectives: drillObjectives(i),
    preconditions: drillPreconditions(i),
    deficiencies: drillFindings(i),
    ...(i.signOffWorkflowId
      ? {
          signOff: {
            workflowId: i.signOffWorkflowId,
            approver: i.audit.approver,
            backupApprover: i.audit.backupApprover,
            dueAt: addSeconds(i.finishedAt, i.audit.signOffSeconds),
            expiresAt: addSeconds(i.finishedAt, i.audit.signOffExpirySeconds),
          },
        }
      : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Findings across drills: which later drill re-tested each, and what it found

/** The fields of a drill report the findings view reads. */
export interface RecordedDrill {
  drillId: string;
  target: string;
  startedAt: string;
  finishedAt: string;
  result: string;
  record?: { deficiencies: Finding[] };
}

export type FindingState = 'open' | 'overdue' | 'closed' | 'still failing';

export interface TrackedFinding extends Finding {
  drillId: string;
  target: string;
  state: FindingState;
  /** The target's first drill started after this one: the re-test. */
  retestedBy?: { drillId: string; result: string; finishedAt: string };
}

/**
 * Each finding with its re-test: the same target's first drill started after the finding's drill.
 * A passing re-test closes it; a failing one leaves it `still failing` (that drill has its own
 * findings); none yet: `open`, or `overdue` past its due date.
 */
export function trackFindings(drills: readonly RecordedDrill[], now: string): TrackedFinding[] {
  const byStart = [...drills].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt) || (a.drillId < b.drillId ? -1 : 1));
  const out: TrackedFinding[] = [];
  for (const [n, d] of byStart.entries()) {
    const findings = d.record?.deficiencies ?? [];
    if (!findings.length) continue;
    const next = byStart.slice(n + 1).find((x) => x.target === d.target && Date.parse(x.startedAt) >= Date.parse(d.finishedAt));
    for (const f of findings) {
      const retestedBy = next ? { drillId: next.drillId, result: next.result, finishedAt: next.finishedAt } : undefined;
      const state: FindingState = next ? (next.result === 'pass' ? 'closed' : 'still failing') : Date.parse(now) > Date.parse(f.dueAt) ? 'overdue' : 'open';
      out.push({ ...f, drillId: d.drillId, target: d.target, state, ...(retestedBy ? { retestedBy } : {}) });
    }
  }
  return out;
}
