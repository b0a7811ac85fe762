/**
 * The artifact lines the SLO folds read (`slo-fold.ts`): the fields each fold needs, and light line
 * validators for the tailer's fast path. The full artifact schemas' outputs satisfy these shapes.
 * No I/O, no clock.
 */
import { type Severity } from './severity';

export interface ReconFoldEvent {
  cycle: number;
  status: 'ok' | 'mismatch';
  ts?: string;
}
export interface DataQualityFoldEvent {
  cycle: number;
  errors: number;
  stale_warnings: number;
  ts?: string;
}
export type OpsSloFoldEvent =
  | {
      event_type: 'slo_snapshot';
      cycle: number;
      operations: number;
      operational_errors: number;
      reconciliation_cycles: number;
      reconciliation_passes: number;
      consecutive_mismatch_runs?: number;
      ts?: string;
    }
  | { event_type: 'slo_breach'; slo: string; value: number; threshold: number; severity: Severity; ts?: string; incident_id?: string };
export type IncidentFoldEvent =
  | { event_type: 'incident_open'; incident_id: string; ts: string; severity?: Severity }
  | { event_type: 'incident_ack'; incident_id: string; ts: string; ack_latency_seconds?: number }
  | { event_type: 'incident_resolved'; incident_id: string; ts: string };

/**
 * Light line validators with only the fields the folds read, for the tailer's fast path. They have
 * zod's `safeParse` shape but are hand-written: measured on this project's 2-core machine, a zod
 * object per line cost ~40% of the reader's throughput, these ~5% (bench/results.md). Every line the
 * full artifact schema accepts, these accept (test/unit/slo.test.ts checks it); the object is passed
 * through untouched.
 */
export interface LightIssue {
  path: PropertyKey[];
  message: string;
}
export type LightParse<T> = { success: true; data: T } | { success: false; error: { issues: LightIssue[] } };

function fail(field: string, message: string): { success: false; error: { issues: LightIssue[] } } {
  return { success: false, error: { issues: [{ path: field ? [field] : [], message }] } };
}
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const asObject = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

export const reconFoldLineSchema = {
  safeParse(value: unknown): LightParse<ReconFoldEvent & Record<string, unknown>> {
    const o = asObject(value);
    if (!o) return fail('', 'expected an object');
    if (!isCount(o.cycle)) return fail('cycle', 'expected a non-negative integer');
    if (o.status !== 'ok' && o.status !== 'mismatch') return fail('status', 'expected "ok" or "mismatch"');
    if (o.ts !== undefined && typeof o.ts !== 'string') return fail('ts', 'expected a string');
    return { success: true, data: o as ReconFoldEvent & Record<string, unknown> };
  },
};

export const dataQualityFoldLineSchema = {
  safeParse(value: unknown): LightParse<DataQualityFoldEvent & Record<string, unknown>> {
    const o = asObject(value);
    if (!o) return fail('', 'expected an object');
    if (!isCount(o.cycle)) return fail('cycle', 'expected a non-negative integer');
    if (!isCount(o.errors)) return fail('errors', 'expected a non-negative integer');
    if (!isCount(o.stale_warnings)) return fail('stale_warnings', 'expected a non-negative integer');
    if (o.ts !== undefined && typeof o.ts !== 'string') return fail('ts', 'expected a string');
    return { success: true, data: o as DataQualityFoldEvent & Record<string, unknown> };
  },
};
