/**
 * Halts with owners. A target's gateway has one kill switch and one `halt_reason` (the target
 * contract); drill-runner keeps, per target, the set of holders that want entries halted — open
 * incidents, a running drill (its maintenance window), operators — and resumes entries only when the
 * last holder lets go. Pure: schemas, holder keys, the kill-switch reason the registry writes and how
 * it recognises its own halt. The registry itself is `haltRegistryWorkflow`.
 */
import { z } from 'zod';
import { targetNameSchema } from './ids';

export const HOLDER_KINDS = ['incident', 'drill', 'operator'] as const;
export const holderKindSchema = z.enum(HOLDER_KINDS, { error: 'kind must be incident, drill or operator' });
export type HolderKind = z.infer<typeof holderKindSchema>;

/** Printable, no control characters: it ends up in the kill switch's reason and in the UI. */
const printable = (what: string, max: number) =>
  z
    .string({ error: `${what} must be a string` })
    .trim()
    .min(1, { error: `${what} must not be empty` })
    .max(max, { error: `${what} must be at most ${max} characters` })
    .regex(/^[^\u0000-\u001f\u007f]*$/, { error: `${what} must not contain control characters` });

/** Who holds a halt: `incident` `<runId>/<incidentId>`, `drill` `<drillId>`, `operator` `<name or ticket>`. */
export const holderSchema = z.object({ kind: holderKindSchema, id: printable('holder id', 300) });
export type Holder = z.infer<typeof holderSchema>;

/** One string per holder: the registry's map key and what `drill halt release --holder` takes. */
export function holderKey(h: Holder): string {
  return `${h.kind}:${h.id}`;
}

/** `incident:<run>/<inc>` → a holder; undefined when the kind is not one of ours. */
export function parseHolderKey(key: string): Holder | undefined {
  const i = key.indexOf(':');
  if (i <= 0) return undefined;
  const r = holderSchema.safeParse({ kind: key.slice(0, i), id: key.slice(i + 1) });
  return r.success ? r.data : undefined;
}

/** The holder an incident uses: one per (run, incident), so two runs' `inc-1` never share a hold. */
export function incidentHolder(runId: string, incidentId: string): Holder {
  return { kind: 'incident', id: `${runId}/${incidentId}` };
}

export function drillHolder(drillId: string): Holder {
  return { kind: 'drill', id: drillId };
}

export const holdRequestSchema = z.object({
  holder: holderSchema,
  reason: printable('reason', 300),
  /** Who asked (operator identity or the workflow id of the holder). */
  by: printable('by', 200).optional(),
});
export type HoldRequest = z.input<typeof holdRequestSchema>;

export const releaseRequestSchema = z.object({
  holder: holderSchema,
  by: printable('by', 200).optional(),
  /** Required by the operator update when releasing a hold that is not the caller's own. */
  reason: printable('reason', 300).optional(),
});
export type ReleaseRequest = z.input<typeof releaseRequestSchema>;

/** What workflows send the registry (signal `haltRequest`): an operation plus where to answer. */
export const haltSignalSchema = z.discriminatedUnion('op', [
  holdRequestSchema.extend({ op: z.literal('hold'), requestId: printable('requestId', 100), replyTo: printable('replyTo', 400).optional() }),
  releaseRequestSchema.extend({ op: z.literal('release'), requestId: printable('requestId', 100), replyTo: printable('replyTo', 400).optional() }),
]);
export type HaltSignal = z.input<typeof haltSignalSchema>;

export interface HeldBy {
  kind: HolderKind;
  id: string;
  reason: string;
  since: string;
  by?: string;
}

/** The registry's answer to one operation (also the update's result and the reply signal's payload). */
export interface HaltOpResult {
  requestId: string;
  op: 'hold' | 'release';
  holder: Holder;
  /** The operation was recorded (a release of a holder that was not holding is ok, `detail` says so). */
  ok: boolean;
  /** Entries halted at the gateway after the operation (null: gateway not reachable). */
  entriesHalted: boolean | null;
  /** Release only: this release resumed entries (it was the last holder and the halt was drill-runner's). */
  resumed: boolean;
  /** The gateway's kill switch changed because of this operation. */
  changed: boolean;
  holders: HeldBy[];
  haltReason: string | null;
  detail: string;
  at: string;
}

export const haltReplySchema = z.looseObject({
  requestId: z.string().min(1).max(100),
  op: z.enum(['hold', 'release']),
  ok: z.boolean(),
  entriesHalted: z.boolean().nullable(),
  resumed: z.boolean(),
  changed: z.boolean(),
  holders: z.array(z.looseObject({ kind: holderKindSchema, id: z.string(), reason: z.string(), since: z.string() })).max(1000),
  haltReason: z.string().nullable(),
  detail: z.string(),
  at: z.string(),
});

/** Every `halt_reason` the registry writes starts with this; anything else is someone else's halt. */
export const REGISTRY_REASON_PREFIX = 'drill-runner holds entries';

export function isRegistryReason(reason: string | null | undefined): boolean {
  return typeof reason === 'string' && reason.startsWith(REGISTRY_REASON_PREFIX);
}

/** The kill switch's reason for a holder set: who holds, within the contract's 500 characters. */
export function haltReasonFor(holders: readonly HeldBy[]): string {
  const head = `${REGISTRY_REASON_PREFIX} (${holders.length} holder${holders.length === 1 ? '' : 's'}): `;
  const parts = holders.map((h) => `${h.kind} ${h.id}${h.reason ? ` — ${h.reason}` : ''}`);
  let text = head + parts.join('; ');
  if (text.length <= 500) return text;
  text = head + holders.map((h) => `${h.kind} ${h.id}`).join('; ');
  return text.length <= 500 ? text : `${text.slice(0, 497)}...`;
}

export const haltRegistryInputSchema = z.object({
  target: targetNameSchema,
  /** Longest single kill-switch watch (one heartbeating activity); another follows at once. */
  watchSeconds: z.number().int().min(10).max(3600).default(300),
  /** How often the watch reads the gateway's stats: a manual release is halted again within about this. */
  pollMs: z.number().int().min(250).max(10_000).default(1000),
  /** Continue-as-new after this many operations and watches (or earlier when the server suggests it). */
  opsPerRun: z.number().int().min(5).max(5000).default(100),
  carried: z.unknown().optional(),
});
export type HaltRegistryInput = z.input<typeof haltRegistryInputSchema>;
export type HaltRegistryParams = z.output<typeof haltRegistryInputSchema>;

export interface HaltRegistryEvent {
  at: string;
  what: string;
  detail?: string;
}

export interface HaltRegistryStatus {
  target: string;
  holders: HeldBy[];
  /** Last seen at the gateway (by an operation or the watch). */
  entriesHalted: boolean | null;
  haltReason: string | null;
  /** The halt in force is someone else's (not written by the registry): never resumed by it. */
  foreignHalt: boolean;
  lastCheckedAt: string | null;
  rehalts: number;
  watching: boolean;
  pendingOps: number;
  continuedAsNew: number;
  /**
   * This run has done its share of operations (or the server suggested it): it continues as new once
   * its kill-switch watch ends and every handler is done. Operations sent meanwhile still land.
   */
  renewDue: boolean;
  /** The last operations and re-halts, newest last. */
  recent: HaltRegistryEvent[];
}

export interface HaltRegistryCarried {
  epoch: string;
  seq: number;
  holders: HeldBy[];
  rehalts: number;
  entriesHalted: boolean | null;
  haltReason: string | null;
  lastCheckedAt: string | null;
  recent: HaltRegistryEvent[];
  continuedAsNew: number;
  /** Results of the last operations by request id: a retried request gets the first answer. */
  results: HaltOpResult[];
}

export const haltRegistryCarriedSchema = z.custom<HaltRegistryCarried>(
  (v) => typeof v === 'object' && v !== null && Array.isArray((v as { holders?: unknown }).holders) && typeof (v as { epoch?: unknown }).epoch === 'string',
  { error: 'carried must be the registry state from continue-as-new' },
);

/**
 * The gateway idempotency key of one registry call: unique per registry (epoch), per call (seq),
 * per target, so keys never collide across targets, registries or runs (the gateway remembers the
 * last key and ignores a repeat).
 */
export function registryCallKey(target: string, epoch: string, seq: number, action: 'halt' | 'resume'): string {
  return `dr-halts:${target}:${epoch.slice(0, 12)}:${seq}:${action}`;
}
