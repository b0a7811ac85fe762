/**
 * `results/drills/<drillId>/report.json`: the weekly drill's evidence, read by the promotion gate.
 * The contract fields (schemaVersion, drillId, target, mode, startedAt, finishedAt, result, rto,
 * rpo, timeline, failures) are kept exactly; the rest (steps, chaos, checks) is extra. Loose: a
 * newer writer's additions pass through. Also the "overdue drill" check shared with the gate.
 */
import { z } from 'zod';
import { recordedAuditHeadSchema } from './audit';
import { drillRecordSchema } from './drill-record';

const iso = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time' });

export const DRILL_RESULTS = ['pass', 'fail', 'error', 'aborted'] as const;
export const DRILLS_DIR = 'drills';
export const DRILL_REPORT_FILE = 'report.json';

const recoveryMeasureSchema = z.object({
  seconds: z.number().nonnegative().nullable(),
  targetSeconds: z.number().positive(),
  ok: z.boolean(),
});

export const drillTimelineSchema = z.object({
  detectedAt: iso.optional(),
  stopRequestedAt: iso.optional(),
  stoppedAt: iso.optional(),
  restartCompleteAt: iso.optional(),
  firstCleanReconciliationAt: iso.optional(),
  lastStateSaveAt: iso.optional(),
  firstSloSnapshotAt: iso.optional(),
  restartStartedAt: iso.optional(),
  restartBootId: z.string().max(200).optional(),
  restoredStateSavedAt: iso.optional(),
});

const seconds = z.number().nonnegative().nullable();
/**
 * How RTO and RPO were measured (the text of `RECOVERY_DEFINITIONS` in src/domain/drill.ts) and the
 * RTO's parts, each from the outage start: time to detect, restart complete (the target's own ready
 * time), first clean reconciliation.
 */
export const recoverySchema = z.looseObject({
  definitions: z.record(z.string(), z.string()),
  outageStartAt: iso.nullable(),
  timeToDetectSeconds: seconds,
  restartCompleteSeconds: seconds,
  firstCleanReconciliationSeconds: seconds,
});

const stepSchema = z.object({
  index: z.number().int().nonnegative(),
  name: z.string(),
  status: z.enum(['running', 'ok', 'failed', 'skipped']),
  startedAt: iso,
  finishedAt: iso.optional(),
  detail: z.string().optional(),
});

const chaosResultSchema = z.object({
  scenario: z.string(),
  injectedAt: iso,
  detected: z.boolean(),
  detectedAt: iso.optional(),
  detectionSeconds: z.number().nonnegative().optional(),
  signal: z.string().optional(),
  clearedAt: iso.optional(),
  recovered: z.boolean().optional(),
  recoveredAt: iso.optional(),
  detail: z.string().optional(),
});

const checkSchema = z.object({ name: z.string(), ok: z.boolean(), detail: z.string() });

const drillIncidentSchema = z.object({
  incidentId: z.string(),
  openedAt: iso,
  severity: z.string().optional(),
  slo: z.string().optional(),
  cause: z.string(),
  resolvedAt: iso.optional(),
});

/** The drill as a maintenance window (issue 9): the incidents its chaos and stop caused. */
export const drillIncidentsReportSchema = z.object({
  windowId: z.string(),
  openedAt: iso,
  closedAt: iso.optional(),
  /** The drill's own incidents, closed by its rollback (`incident_resolved`), never paged. */
  attributed: z.array(drillIncidentSchema).default([]),
  /** Still open at the target after the rollback plus the bound: real incidents, left open. */
  outlived: z.array(drillIncidentSchema).default([]),
});
export type DrillIncidentsReport = z.input<typeof drillIncidentsReportSchema>;

export const drillReportSchema = z.looseObject({
  schemaVersion: z.literal(1),
  drillId: z.string().min(1),
  target: z.string().min(1),
  mode: z.enum(['paper', 'live']),
  startedAt: iso,
  finishedAt: iso,
  result: z.enum(DRILL_RESULTS),
  rto: recoveryMeasureSchema,
  rpo: recoveryMeasureSchema,
  timeline: drillTimelineSchema,
  failures: z.array(z.string()),
  workflowId: z.string().optional(),
  runId: z.string().optional(),
  seed: z.number().int().optional(),
  abortReason: z.string().optional(),
  steps: z.array(stepSchema).default([]),
  chaos: z.array(chaosResultSchema).default([]),
  /** Chaos through the contract: `skipped` when nothing was injected (the target declares no faults). */
  chaosStatus: z.enum(['passed', 'failed', 'skipped']).optional(),
  chaosSkipped: z.array(z.object({ scenario: z.string(), reason: z.string() })).default([]),
  incidents: drillIncidentsReportSchema.optional(),
  checks: z.array(checkSchema).default([]),
  rollback: z.array(z.string()).default([]),
  /** RTO/RPO definitions and the RTO's parts (drills since issue 9; absent in older reports). */
  recovery: recoverySchema.optional(),
  /** The test record for auditors: scope, objectives, preconditions, findings, procedure version, sign-off (issue 13). */
  record: drillRecordSchema.optional(),
  /** The runner's audit log head when the report was written (an anchor: `drill audit verify`). */
  auditHead: recordedAuditHeadSchema.optional(),
  /** The Worker Deployment Version of the worker that wrote the report (set when it has a build id). */
  deploymentVersion: z.object({ deploymentName: z.string().min(1), buildId: z.string().min(1), versioning: z.boolean() }).optional(),
});
export type DrillReport = z.infer<typeof drillReportSchema>;
export type DrillReportInput = z.input<typeof drillReportSchema>;
