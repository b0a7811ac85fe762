/**
 * The runtime state the sandbox persists: the body's schema and a fresh body. Plain JSON, so the
 * state file's digest is over exactly what is saved (src/io/runtime-state-file.ts writes and reads it).
 */
import { z } from 'zod';

/** The runtime state the sandbox persists. Plain JSON so the digest is over exactly what is saved. */
export const stateBodySchema = z.object({
  version: z.literal(1),
  run_id: z.string(),
  reconciliation_cycle: z.number().int().nonnegative(),
  slo_cycle: z.number().int().nonnegative(),
  dq_cycle: z.number().int().nonnegative(),
  next_order_seq: z.number().int().nonnegative(),
  orders: z.record(
    z.string(),
    z.object({
      id: z.string(),
      symbol: z.string(),
      side: z.enum(['buy', 'sell']),
      qty: z.number(),
      status: z.enum(['new', 'filled']),
      created_cycle: z.number(),
    }),
  ),
  positions: z.record(z.string(), z.number()),
  kill_switch: z.object({ halt_reason: z.string().nullable(), trading_halted_until: z.string().nullable(), last_key: z.string().nullable() }),
  slo: z.object({
    operations: z.number().int().nonnegative(),
    operational_errors: z.number().int().nonnegative(),
    reconciliation_cycles: z.number().int().nonnegative(),
    reconciliation_passes: z.number().int().nonnegative(),
    consecutive_mismatch_runs: z.number().int().nonnegative(),
  }),
  /** Recent reconciliation cycles: 1 pass, 0 mismatch, -1 could not reconcile (broker down). */
  window: z.array(z.number().int()),
  open_breaches: z.record(z.string(), z.string()),
  incident_seq: z.number().int().nonnegative(),
});
export type StateBody = z.infer<typeof stateBodySchema>;

/** A new run's state: nothing traded, no cycle run yet. */
export function freshBody(runId: string): StateBody {
  return {
    version: 1,
    run_id: runId,
    reconciliation_cycle: 0,
    slo_cycle: 0,
    dq_cycle: 0,
    next_order_seq: 1,
    orders: {},
    positions: {},
    kill_switch: { halt_reason: null, trading_halted_until: null, last_key: null },
    slo: { operations: 0, operational_errors: 0, reconciliation_cycles: 0, reconciliation_passes: 0, consecutive_mismatch_runs: 0 },
    window: [],
    open_breaches: {},
    incident_seq: 0,
  };
}
