/**
 * The target contract's run artifacts (`results/runs/<run_id>/`) and audit events, as zod schemas.
 * File names are the runbook's, kept exactly. Lines are loose objects: extra fields are tolerated;
 * a missing or malformed field is reported with its path. `docs/target-contract.md` documents them.
 */
import { z } from 'zod';
import { severitySchema } from './severity';

export const ARTIFACT_FILES = {
  orderReconciliation: 'order_reconciliation_events.jsonl',
  positionReconciliation: 'position_reconciliation_events.jsonl',
  opsSlo: 'ops_slo_events.jsonl',
  dataQuality: 'data_quality_events.jsonl',
  dataQualityLatest: 'data_quality_latest.json',
  incidents: 'incident_events.jsonl',
} as const;

export const AUDIT_LOGS_DIR = 'audit_logs';

const ts = z.iso.datetime({ offset: true, error: 'ts must be an ISO 8601 date-time' });
const cycle = z.number().int().nonnegative();

/** One order reconciliation cycle: our orders against the broker's. */
export const orderReconciliationEventSchema = z.looseObject({
  ts,
  cycle,
  status: z.enum(['ok', 'mismatch']),
  orders_checked: z.number().int().nonnegative(),
  mismatched_order_ids: z.array(z.string()).default([]),
  /** Broker-side status per mismatched order id, when known. */
  broker_status: z.record(z.string(), z.string()).optional(),
  /** Orders whose lifecycle transition (new → filled/cancelled) has not been seen at the broker. */
  stuck_transitions: z.number().int().nonnegative().optional(),
});
export type OrderReconciliationEvent = z.infer<typeof orderReconciliationEventSchema>;

/** One position reconciliation cycle. */
export const positionReconciliationEventSchema = z.looseObject({
  ts,
  cycle,
  status: z.enum(['ok', 'mismatch']),
  positions_checked: z.number().int().nonnegative(),
  mismatched_symbols: z.array(z.string()).default([]),
});
export type PositionReconciliationEvent = z.infer<typeof positionReconciliationEventSchema>;

/**
 * The SLO monitor's output. `slo_snapshot` carries the running counters each monitor cycle;
 * `slo_breach` is written when a threshold is crossed.
 */
export const sloSnapshotEventSchema = z.looseObject({
  ts,
  event_type: z.literal('slo_snapshot'),
  cycle,
  operations: z.number().int().nonnegative(),
  operational_errors: z.number().int().nonnegative(),
  reconciliation_cycles: z.number().int().nonnegative(),
  reconciliation_passes: z.number().int().nonnegative(),
  consecutive_mismatch_runs: z.number().int().nonnegative(),
});
export const sloBreachEventSchema = z.looseObject({
  ts,
  event_type: z.literal('slo_breach'),
  slo: z.string().min(1),
  value: z.number(),
  threshold: z.number(),
  severity: severitySchema,
  incident_id: z.string().optional(),
});
export const opsSloEventSchema = z.discriminatedUnion('event_type', [sloSnapshotEventSchema, sloBreachEventSchema]);
export type OpsSloEvent = z.infer<typeof opsSloEventSchema>;
export type SloSnapshotEvent = z.infer<typeof sloSnapshotEventSchema>;
export type SloBreachEvent = z.infer<typeof sloBreachEventSchema>;

export const dataQualityIssueSchema = z.looseObject({
  symbol: z.string(),
  kind: z.enum(['stale', 'missing', 'corrupt', 'gap', 'non_positive_price', 'ohlc_inconsistent']),
  severity: severitySchema,
  detail: z.string().optional(),
});

/** One data quality cycle (also the shape of `data_quality_latest.json`). */
export const dataQualityEventSchema = z.looseObject({
  ts,
  cycle,
  symbols_checked: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  stale_warnings: z.number().int().nonnegative(),
  issues: z.array(dataQualityIssueSchema).default([]),
});
export type DataQualityEvent = z.infer<typeof dataQualityEventSchema>;
export const dataQualityLatestSchema = dataQualityEventSchema;

/** `audit_logs/*.jsonl`: immutable audit events; the runbook names risk_warning and risk_limit_breach. */
export const auditEventSchema = z.looseObject({
  ts,
  event_type: z.string().min(1),
  run_id: z.string().optional(),
  severity: severitySchema.optional(),
  detail: z.string().optional(),
});
export type AuditEvent = z.infer<typeof auditEventSchema>;
export const RISK_AUDIT_EVENTS = ['risk_warning', 'risk_limit_breach'] as const;
