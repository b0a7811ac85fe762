/**
 * The target contract (DESIGN.md §3) beyond the run artifacts: the targets file, gateway stats and
 * kill switch, runtime state file, broker health, fault injection and the sandbox's
 * ground-truth log. Pure zod schemas and functions: no I/O. `docs/target-contract.md` documents them.
 *
 * Wire objects are loose (extra fields tolerated); a missing or malformed field is reported with its
 * path, e.g. `targets.paper-1.gatewayUrl: expected an http(s) URL`.
 */
import { z } from 'zod';
import { runIdSchema, targetNameSchema } from './ids';
import { envAllowListSchema } from './target-env';
import { marketCalendarSchema } from './market-calendar';

const isoTs = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time' });
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });
const wsUrl = z.url({ protocol: /^wss?$/, error: 'expected a ws(s) URL' });
const nonEmpty = (what: string) => z.string({ error: `${what} is required` }).min(1, { error: `${what} must not be empty` });

// ---------------------------------------------------------------------------------------------
// Fault names (the sandbox's faults; the chaos scenarios are a subset, `domain/drill.ts`)

export const FAULT_NAMES = [
  'stale_data',
  'corrupt_bars',
  'order_drift',
  'position_drift',
  'broker_disconnect',
  'websocket_silence',
  'crash_without_flush',
  'slow_restart',
  'state_saves_stop',
  'reconciliation_not_restarting',
  'slo_monitor_silent_after_restart',
  'wrong_digest_on_restore',
  /** The graceful stop drains for `seconds` (default 5) before it flushes and exits; health answers 503 meanwhile. */
  'slow_drain',
  /** The graceful stop never completes (the process answers 503 "stopping" until killed). */
  'stop_hangs',
] as const;
export const faultNameSchema = z.enum(FAULT_NAMES, { error: `expected one of ${FAULT_NAMES.join(', ')}` });
export type FaultName = z.infer<typeof faultNameSchema>;

// ---------------------------------------------------------------------------------------------
// Targets file

/** Symbols are path segments of `GET /bars/:symbol`: one safe alphabet. */
export const symbolSchema = z
  .string({ error: 'symbol is required' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/, { error: 'symbol must be 1-32 letters, digits, . _ - (not starting with . _ -)' });

/** The sandbox: stop/health over its control endpoints; start spawns `node dist/sandbox/main.js`. */
export const sandboxProcessSchema = z.object({
  adapter: z.literal('sandbox'),
  controlUrl: httpUrl,
  /** The sandbox's own config file; needed to start it (a stopped process has no URL to call). */
  configFile: nonEmpty('configFile').optional(),
  /** Bound on one stop (graceful flush and exit) or start. */
  timeoutSeconds: z.number().int().positive().max(3600).default(60),
  /** Variables the spawned sandbox gets beyond the defaults (see `domain/target-env.ts`). */
  envAllow: envAllowListSchema.optional(),
});

/** Any deployment: shell commands (systemctl, docker, kubectl, ...). Exit code 0 means success/healthy. */
export const shellProcessSchema = z.object({
  adapter: z.literal('shell'),
  stop: nonEmpty('stop'),
  start: nonEmpty('start'),
  health: nonEmpty('health'),
  timeoutSeconds: z.number().int().positive().max(3600).default(120),
  /** Working directory of the commands (default: the worker's). */
  cwd: nonEmpty('cwd').optional(),
  /** Variables the commands get beyond the defaults, e.g. `["AWS_PROFILE", "KUBE_*"]` (see `domain/target-env.ts`). */
  envAllow: envAllowListSchema.optional(),
});

export const processAdapterSchema = z.discriminatedUnion('adapter', [sandboxProcessSchema, shellProcessSchema], {
  error: 'expected adapter "sandbox" or "shell"',
});
export type ProcessAdapterConfig = z.infer<typeof processAdapterSchema>;

/**
 * How faults are injected and cleared on a target (contract §7, "Fault injection"). `http`: the fault
 * API the sandbox speaks (`POST <url>` with `{ action, fault, idempotency_key }`, default url
 * `<gatewayUrl>/faults`). `shell`: one command per scenario to inject and to clear it (`clearAll`
 * clears everything, used by the rollback). A target without `faults` (and not the sandbox adapter)
 * declares none: its chaos step is skipped.
 */
export const httpFaultsSchema = z.object({
  adapter: z.literal('http'),
  /** The fault endpoint; default `<gatewayUrl>/faults`. */
  url: httpUrl.optional(),
  timeoutSeconds: z.number().int().positive().max(600).default(10),
});

const faultCommands = (what: string) => z.partialRecord(faultNameSchema, nonEmpty(what));

export const shellFaultsSchema = z.object({
  adapter: z.literal('shell'),
  /** Per scenario: the command that injects it (exit 0: injected). Must be idempotent per `DRILL_FAULT_KEY`. */
  inject: faultCommands('inject command'),
  /** Per scenario: the command that clears it (exit 0: cleared, also when it was not active). */
  clear: faultCommands('clear command').default({}),
  /** Clears every fault (the rollback's safety net); without it the rollback runs each `clear` command. */
  clearAll: nonEmpty('clearAll').optional(),
  timeoutSeconds: z.number().int().positive().max(3600).default(60),
  cwd: nonEmpty('cwd').optional(),
  envAllow: envAllowListSchema.optional(),
});

export const faultsAdapterSchema = z.discriminatedUnion('adapter', [httpFaultsSchema, shellFaultsSchema], {
  error: 'expected faults.adapter "http" or "shell"',
});
export type FaultsAdapterConfig = z.infer<typeof faultsAdapterSchema>;

export const targetSchema = z.object({
  mode: z.enum(['paper', 'live'], { error: 'expected paper or live' }),
  /** `results/runs`: the parent of `<run_id>/`. */
  artifactsRoot: nonEmpty('artifactsRoot'),
  runId: runIdSchema,
  auditLogsDir: nonEmpty('auditLogsDir'),
  gatewayUrl: httpUrl,
  process: processAdapterSchema,
  /** The runtime state file (`{ saved_at, seq, digest, body }`). */
  stateFile: nonEmpty('stateFile'),
  broker: z.object({ apiUrl: httpUrl, wsUrl }),
  symbols: z.array(symbolSchema).min(1, { error: 'at least one active symbol' }),
  // Market calendar (issue 15; `domain/market-calendar.ts`): inline, or a file shared by targets.
  calendar: marketCalendarSchema.optional(),
  /** A calendar JSON file (relative to the targets file); the loader reads it into `calendar`. */
  calendarFile: nonEmpty('calendarFile').optional(),
  /** Fault injection for the chaos step (issue 9); the sandbox adapter implies `{ adapter: "http" }`. */
  faults: faultsAdapterSchema.optional(),
});
export type TargetConfig = z.infer<typeof targetSchema>;

/** The fault adapter a target declares; the sandbox process adapter speaks the HTTP fault API by default. */
export function declaredFaults(t: Pick<TargetConfig, 'faults' | 'process'>): FaultsAdapterConfig | undefined {
  if (t.faults) return t.faults;
  return t.process.adapter === 'sandbox' ? { adapter: 'http', timeoutSeconds: 10 } : undefined;
}

/** The scenarios a target can inject and clear (all of them for the HTTP fault API). */
export function faultSupported(f: FaultsAdapterConfig | undefined, fault: FaultName): boolean {
  if (!f) return false;
  if (f.adapter === 'http') return true;
  return !!f.inject[fault] && (!!f.clear[fault] || !!f.clearAll);
}
export type TargetConfigInput = z.input<typeof targetSchema>;

export const targetsFileSchema = z.object({
  targets: z.record(targetNameSchema, targetSchema),
});
export type TargetsFile = z.infer<typeof targetsFileSchema>;

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** `a.b.0.c: message` — the path first, the way every error in the project reads. */
export function formatIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): string[] {
  return error.issues.map((i) => {
    const p = [...prefix, ...i.path].map(String).join('.');
    return `${p || '(root)'}: ${i.message}`;
  });
}

/** Parses a targets file's JSON value. Errors name the path (`targets.paper-1.gatewayUrl: ...`). */
export function parseTargetsFile(value: unknown): Parsed<TargetsFile> {
  const r = targetsFileSchema.safeParse(value);
  if (!r.success) {
    return {
      ok: false,
      errors: r.error.issues.map((i) => {
        const p = i.path.map(String).join('.');
        // A bad key in a record is reported at the record; name the key too.
        const msg = i.code === 'invalid_key' ? `target name ${JSON.stringify(String(i.path.at(-1) ?? ''))}: ${i.issues[0]?.message ?? i.message}` : i.message;
        return `${p || '(root)'}: ${msg}`;
      }),
    };
  }
  return { ok: true, value: r.data };
}

// ---------------------------------------------------------------------------------------------
// Gateway: stats and kill switch

/** What `GET /runtime-state` reports (also `runtime_state` inside `/stats`). */
export const runtimeStateReportSchema = z.looseObject({
  /** Whether this process restored its state from the state file at start. */
  restored: z.boolean(),
  restored_seq: z.number().int().nonnegative().nullable(),
  /** Digest of the state body the process holds right after restoring it. */
  restored_digest: z.string().nullable(),
  /** Why nothing was restored (`no_state_file`, `digest_mismatch`, `unreadable`), when not restored. */
  restore_error: z.string().nullable().optional(),
  last_save_at: isoTs.nullable(),
  last_save_seq: z.number().int().nonnegative().nullable(),
  last_save_digest: z.string().nullable(),
});
export type RuntimeStateReport = z.infer<typeof runtimeStateReportSchema>;

/** `GET /stats`. The runbook's `halt_reason` and `trading_halted_until` kept exactly. */
export const gatewayStatsSchema = z.looseObject({
  halt_reason: z.string().nullable(),
  trading_halted_until: isoTs.nullable(),
  entries_halted: z.boolean(),
  mode: z.enum(['paper', 'live']).optional(),
  run_id: z.string().optional(),
  runtime_state: runtimeStateReportSchema.optional(),
});
export type GatewayStats = z.infer<typeof gatewayStatsSchema>;

/** `POST /kill-switch`. */
export const killSwitchRequestSchema = z.discriminatedUnion(
  'action',
  [
    z.object({
      action: z.literal('halt'),
      reason: nonEmpty('reason').max(500),
      /** Entries halted until this time; absent: until resumed. */
      until: isoTs.optional(),
      idempotency_key: z.string().min(1).max(200).optional(),
    }),
    z.object({
      action: z.literal('resume'),
      idempotency_key: z.string().min(1).max(200).optional(),
    }),
  ],
  { error: 'expected action "halt" or "resume"' },
);
export type KillSwitchRequest = z.infer<typeof killSwitchRequestSchema>;

/** Entries are halted while a reason is set and `trading_halted_until` (if any) is in the future. */
export function entriesHalted(haltReason: string | null, haltedUntil: string | null, nowMs: number): boolean {
  if (haltReason === null) return false;
  return haltedUntil === null || Date.parse(haltedUntil) > nowMs;
}

// ---------------------------------------------------------------------------------------------
// Runtime state file

/** The state file: `{ saved_at, seq, digest, body }`, written atomically. */
export const runtimeStateFileSchema = z.looseObject({
  saved_at: isoTs,
  seq: z.number().int().nonnegative(),
  /** `sha256:<hex>` of the RFC 8785 canonical JSON of `body` (`rfc8785` in `domain/canonical-json.ts`). */
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, { error: 'expected sha256:<64 hex digits>' }),
  body: z.record(z.string(), z.unknown()),
});
export type RuntimeStateFile = z.infer<typeof runtimeStateFileSchema>;

/** RFC 8785 canonical JSON (JCS): the digest of `body` is over it. See `domain/canonical-json.ts`. */
export { canonicalJson, rfc8785 } from './canonical-json';

// ---------------------------------------------------------------------------------------------
// Broker

/** `GET <broker.apiUrl>/health`: 200 when connected, 503 when not (same body). */
export const brokerHealthSchema = z.looseObject({
  status: z.enum(['ok', 'degraded', 'down']),
  api_connected: z.boolean(),
  ws_connected: z.boolean().optional(),
  last_message_at: isoTs.nullable().optional(),
});
export type BrokerHealth = z.infer<typeof brokerHealthSchema>;

// Daily bars: `GET /bars/:symbol?limit=N` serves `{ symbol, bars }` as `domain/market-data.ts`
// defines them (`dailyBarsResponseSchema`), which also holds the validation of the latest 30.

// ---------------------------------------------------------------------------------------------
// Fault injection (the sandbox)

/** Faults that act at the next start, so they are kept in the faults file beside the state. */
export const PERSISTENT_FAULTS: readonly FaultName[] = [
  'slow_restart',
  'reconciliation_not_restarting',
  'slo_monitor_silent_after_restart',
  'wrong_digest_on_restore',
];

/** `POST /faults`. `clear` with `fault: "all"` clears everything. */
export const faultRequestSchema = z.discriminatedUnion(
  'action',
  [
    z.object({
      action: z.literal('inject'),
      fault: faultNameSchema,
      /** slow_restart: startup delay before serving; slow_drain: graceful drain at stop; in seconds (default 5). */
      seconds: z.number().nonnegative().max(3600).optional(),
    }),
    z.object({ action: z.literal('clear'), fault: z.union([faultNameSchema, z.literal('all')]) }),
  ],
  { error: 'expected action "inject" or "clear"' },
);
export type FaultRequest = z.infer<typeof faultRequestSchema>;

export const activeFaultSchema = z.object({
  fault: faultNameSchema,
  injected_at: isoTs,
  seconds: z.number().nonnegative().optional(),
});
export type ActiveFault = z.infer<typeof activeFaultSchema>;

export const faultsFileSchema = z.object({ faults: z.array(activeFaultSchema) });

// ---------------------------------------------------------------------------------------------
// Ground truth (the sandbox's own record of what really happened, to check the runner against)

export const GROUND_TRUTH_EVENTS = [
  'process_start',
  'state_restored',
  'serving',
  'stop_requested',
  'state_saved',
  'stopped',
  'crashed',
  'first_clean_reconciliation',
  'fault_injected',
  'fault_cleared',
  /** The kill switch changed (`reason` holds the halt reason): halts and resumes counted where they land. */
  'kill_switch_halt',
  'kill_switch_resume',
] as const;

export const groundTruthEventSchema = z.looseObject({
  ts: isoTs,
  event: z.enum(GROUND_TRUTH_EVENTS),
  pid: z.number().int(),
  /** One id per process start; lines of one life of the process share it. */
  boot_id: z.string(),
  seq: z.number().int().nonnegative().optional(),
  digest: z.string().optional(),
  cycle: z.number().int().nonnegative().optional(),
  fault: z.string().optional(),
  seconds: z.number().optional(),
  via: z.string().optional(),
  ok: z.boolean().optional(),
  reason: z.string().optional(),
});
export type GroundTruthEvent = z.infer<typeof groundTruthEventSchema>;

/** Target names are validated where they are used as well as in the file: re-exported for callers. */
export { targetNameSchema };
