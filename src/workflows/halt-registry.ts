/**
 * Halts with owners: one registry per target (`halts~<target>`) keeps who holds its entries halted —
 * incidents, a drill, operators — and is the only part of drill-runner that halts or resumes that
 * target's kill switch on their behalf. The gateway contract has one kill switch and one reason; the
 * registry turns it into a shared lock:
 *
 * - **hold**: the holder is recorded, entries are halted with a reason that lists the holders.
 * - **release**: the holder is removed; entries resume only when no holder is left, and only when
 *   the halt in force is the registry's own (a halt someone set by hand is never resumed by it).
 * - **watch**: while anyone holds, one heartbeating activity reads the kill switch every `pollMs` and
 *   returns as soon as entries are found released (an operator's manual resume, a restored state
 *   without the halt); the registry halts them again at once and records it.
 *
 * Operations run one at a time in arrival order, so two holders never race on the kill switch. The
 * holder set lives in this workflow's state: it survives worker and server crashes, and is carried
 * through continue-as-new. Workflows talk to it with signals (`haltRequest` → `haltReply`, see
 * `entry-halts.ts`); clients (the CLI, the Web UI) with the `hold` / `release` updates.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { WatchKillSwitchResult } from '../activities/halts';
import {
  haltReasonFor,
  haltRegistryCarriedSchema,
  haltRegistryInputSchema,
  haltSignalSchema,
  holderKey,
  holdRequestSchema,
  isRegistryReason,
  registryCallKey,
  releaseRequestSchema,
  type HaltOpResult,
  type HaltRegistryCarried,
  type HaltRegistryInput,
  type HaltRegistryStatus,
  type HeldBy,
  type Holder,
} from '../domain/halts';
import { SA } from '../search-attributes';
import { haltCall } from './activity-profiles';
import { haltRegistryStatusQuery, haltReplySignal, haltRequestSignal, holdUpdate, releaseUpdate } from './definitions';
import { describeIssues, parseOrFail, validatorFor } from './validation';
import { FAILURE } from '../domain/failure-types';

const { registryApply } = proxyActivities<Activities>(haltCall);

const MAX_RECENT = 50;
const MAX_RESULTS = 200;

interface Op {
  op: 'hold' | 'release';
  requestId: string;
  holder: Holder;
  reason?: string;
  by?: string;
  replyTo?: string;
}

const nowIso = () => new Date(Date.now()).toISOString();

class Registry {
  readonly holders = new Map<string, HeldBy>();
  readonly queue: Op[] = [];
  readonly results = new Map<string, HaltOpResult>();
  current: Op | undefined;
  watching = false;
  /** This run has done its share (or the server asked): it continues as new once its watch ends. */
  renewDue = false;
  /** No holder left, but the last resume did not reach the gateway: try again. */
  resumePending = false;

  constructor(
    readonly target: string,
    readonly c: HaltRegistryCarried,
  ) {
    for (const h of c.holders) this.holders.set(holderKey(h), h);
    for (const r of c.results) this.results.set(r.requestId, r);
  }

  note(what: string, detail?: string): void {
    this.c.recent.push({ at: nowIso(), what, ...(detail ? { detail } : {}) });
    if (this.c.recent.length > MAX_RECENT) this.c.recent.splice(0, this.c.recent.length - MAX_RECENT);
  }

  list(): HeldBy[] {
    return [...this.holders.values()];
  }

  status(): HaltRegistryStatus {
    return {
      target: this.target,
      holders: this.list(),
      entriesHalted: this.c.entriesHalted,
      haltReason: this.c.haltReason,
      foreignHalt: this.c.entriesHalted === true && !isRegistryReason(this.c.haltReason),
      lastCheckedAt: this.c.lastCheckedAt,
      rehalts: this.c.rehalts,
      watching: this.watching,
      pendingOps: this.queue.length + (this.current ? 1 : 0),
      continuedAsNew: this.c.continuedAsNew,
      renewDue: this.renewDue,
      recent: [...this.c.recent],
    };
  }

  /** A request id already answered, queued or running is not run again. */
  known(requestId: string): boolean {
    return this.results.has(requestId) || this.current?.requestId === requestId || this.queue.some((q) => q.requestId === requestId);
  }

  enqueue(op: Op): void {
    if (this.results.has(op.requestId)) {
      void this.reply(op, this.results.get(op.requestId)!);
      return;
    }
    if (this.known(op.requestId)) return;
    this.queue.push(op);
  }

  remember(r: HaltOpResult): void {
    this.results.set(r.requestId, r);
    if (this.results.size > MAX_RESULTS) this.results.delete(this.results.keys().next().value!);
  }

  async reply(op: Op, r: HaltOpResult): Promise<void> {
    if (!op.replyTo) return;
    try {
      await getExternalWorkflowHandle(op.replyTo).signal(haltReplySignal, r);
    } catch (err) {
      log.warn('could not deliver a halt reply (the requester is gone?)', { replyTo: op.replyTo, requestId: op.requestId, error: String(err) });
    }
  }

  nextKey(action: 'halt' | 'resume'): string {
    this.c.seq += 1;
    return registryCallKey(this.target, this.c.epoch, this.c.seq, action);
  }

  /** One call at the gateway; a failure after the activity's retries is returned, never thrown. */
  async apply(action: 'halt' | 'resume'): Promise<{ ok: true; changed: boolean; foreign: boolean } | { ok: false; error: string }> {
    try {
      const r = await registryApply({
        target: this.target,
        action,
        ...(action === 'halt' ? { reason: haltReasonFor(this.list()) } : {}),
        idempotencyKey: this.nextKey(action),
      });
      this.c.entriesHalted = r.entriesHalted;
      this.c.haltReason = r.haltReason;
      this.c.lastCheckedAt = r.checkedAt;
      return { ok: true, changed: r.changed, foreign: r.foreign };
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause ?? err;
      return { ok: false, error: cause instanceof Error ? cause.message : String(cause) };
    }
  }

  result(op: Op, fields: Pick<HaltOpResult, 'ok' | 'resumed' | 'changed' | 'detail'> & { reachable: boolean }): HaltOpResult {
    return {
      requestId: op.requestId,
      op: op.op,
      holder: op.holder,
      ok: fields.ok,
      entriesHalted: fields.reachable ? this.c.entriesHalted : null,
      resumed: fields.resumed,
      changed: fields.changed,
      holders: this.list(),
      haltReason: this.c.haltReason,
      detail: fields.detail,
      at: nowIso(),
    };
  }

  async hold(op: Op): Promise<HaltOpResult> {
    const key = holderKey(op.holder);
    const had = this.holders.get(key);
    this.holders.set(
      key,
      had ? { ...had, reason: op.reason ?? had.reason } : { ...op.holder, reason: op.reason ?? '', since: nowIso(), ...(op.by ? { by: op.by } : {}) },
    );
    this.resumePending = false;
    const a = await this.apply('halt');
    if (!a.ok) {
      this.note(`hold ${key}: gateway not reachable`, a.error);
      return this.result(op, {
        ok: true,
        resumed: false,
        changed: false,
        reachable: false,
        detail: `hold recorded; gateway not reachable (${a.error}): entries are halted as soon as it answers`,
      });
    }
    this.note(
      `hold ${key}${had ? ' (again)' : ''}`,
      a.foreign ? `entries already halted by someone else: ${this.c.haltReason}` : a.changed ? 'entries halted' : 'entries were already halted',
    );
    const detail = a.foreign
      ? `entries already halted outside drill-runner (${this.c.haltReason}); held by ${this.holders.size}`
      : a.changed
        ? `entries halted; ${this.holders.size} holder(s)`
        : `entries already halted; ${this.holders.size} holder(s)`;
    return this.result(op, { ok: true, resumed: false, changed: a.changed, reachable: true, detail });
  }

  async release(op: Op): Promise<HaltOpResult> {
    const key = holderKey(op.holder);
    if (!this.holders.has(key)) {
      this.note(`release ${key}: not a holder`);
      return this.result(op, { ok: true, resumed: false, changed: false, reachable: this.c.entriesHalted !== null, detail: `${key} holds nothing` });
    }
    this.holders.delete(key);
    if (this.holders.size > 0) {
      // Others still hold: entries stay halted, the reason names who is left.
      const a = await this.apply('halt');
      const left = this.list().map(holderKey).join(', ');
      this.note(`release ${key}`, `entries stay halted: held by ${left}`);
      return this.result(op, { ok: true, resumed: false, changed: false, reachable: a.ok, detail: `entries stay halted: still held by ${left}` });
    }
    const a = await this.apply('resume');
    if (!a.ok) {
      this.resumePending = true;
      this.note(`release ${key}: resume not reached the gateway`, a.error);
      return this.result(op, {
        ok: true,
        resumed: false,
        changed: false,
        reachable: false,
        detail: `no holder left; gateway not reachable (${a.error}): resume retried`,
      });
    }
    const detail = a.foreign
      ? `no holder left; entries stay halted: the halt in force is not drill-runner's (${this.c.haltReason})`
      : a.changed
        ? 'no holder left: entries resumed'
        : 'no holder left; entries were not halted';
    this.note(`release ${key}`, detail);
    return this.result(op, { ok: true, resumed: a.changed && this.c.entriesHalted === false, changed: a.changed, reachable: true, detail });
  }

  async run(op: Op): Promise<void> {
    this.current = op;
    try {
      const r = op.op === 'hold' ? await this.hold(op) : await this.release(op);
      this.remember(r);
      upsertSearchAttributes([{ key: SA.state, value: this.holders.size ? 'holding' : 'idle' }]);
      await this.reply(op, r);
    } finally {
      this.current = undefined;
    }
  }

  carried(): HaltRegistryCarried {
    return { ...this.c, holders: this.list(), results: [...this.results.values()].slice(-50) };
  }
}

function watchOptions(watchSeconds: number): ActivityOptions {
  return {
    startToCloseTimeout: `${watchSeconds + 30} seconds`,
    // A dead worker's watch is picked up by another within seconds.
    heartbeatTimeout: '5 seconds',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '5 seconds',
      nonRetryableErrorTypes: [FAILURE.invalidInput, FAILURE.unknownTarget, FAILURE.invalidTargetConfig, FAILURE.contractViolation],
    },
  };
}

export async function haltRegistryWorkflow(input: HaltRegistryInput): Promise<void> {
  const p = parseOrFail(haltRegistryInputSchema, input, 'haltRegistryWorkflow input');
  let carried: HaltRegistryCarried | undefined;
  if (p.carried !== undefined) {
    const r = haltRegistryCarriedSchema.safeParse(p.carried);
    if (!r.success) throw ApplicationFailure.nonRetryable(`invalid haltRegistryWorkflow input: carried: ${describeIssues(r.error)}`, FAILURE.invalidInput);
    carried = r.data;
  }
  const reg = new Registry(
    p.target,
    carried ?? {
      epoch: uuid4(),
      seq: 0,
      holders: [],
      rehalts: 0,
      entriesHalted: null,
      haltReason: null,
      lastCheckedAt: null,
      recent: [],
      continuedAsNew: 0,
      results: [],
    },
  );
  const { watchKillSwitch } = proxyActivities<Activities>(watchOptions(p.watchSeconds));

  setHandler(haltRegistryStatusQuery, () => reg.status(), {
    description:
      "Who holds this target's entries halted (incidents, drills, operators), the kill switch as last seen, re-halts after manual releases, recent operations.",
  });
  setHandler(
    haltRequestSignal,
    (raw) => {
      const r = haltSignalSchema.safeParse(raw);
      if (!r.success) {
        log.warn('haltRequest dropped: invalid payload', { issues: describeIssues(r.error) });
        return;
      }
      reg.enqueue(r.data);
    },
    { description: 'From workflows: { "op": "hold"|"release", "requestId", "holder": { "kind", "id" }, "reason"?, "replyTo"? }; answered with haltReply.' },
  );
  const viaUpdate = async (op: Op): Promise<HaltOpResult> => {
    reg.enqueue(op);
    await condition(() => reg.results.has(op.requestId));
    return reg.results.get(op.requestId)!;
  };
  setHandler(holdUpdate, (req) => viaUpdate({ op: 'hold', requestId: uuid4(), ...holdRequestSchema.parse(req) }), {
    description:
      'Hold entries halted: { "holder": { "kind": "operator", "id": "<name or ticket>" }, "reason": "<why>", "by": "<identity>" }. Answers when the kill switch is halted.',
    validator: validatorFor(holdRequestSchema, 'hold'),
  });
  setHandler(releaseUpdate, (req) => viaUpdate({ op: 'release', requestId: uuid4(), ...releaseRequestSchema.parse(req) }), {
    description: 'Release a hold: { "holder": { "kind", "id" }, "by": "<identity>", "reason": "<why>" }. Entries resume only when no holder is left.',
    validator: (req) => {
      const r = parseOrFail(releaseRequestSchema, req, 'release');
      if (!r.by || !r.reason)
        throw ApplicationFailure.nonRetryable('invalid release: by and reason are required (who lets go of the hold, and why)', FAILURE.invalidInput);
    },
  });
  upsertSearchAttributes([
    { key: SA.target, value: p.target },
    { key: SA.state, value: reg.holders.size ? 'holding' : 'idle' },
  ]);

  // The watch runs beside the operations, never cancelled: it only reads, and every halt or resume
  // happens here, one at a time. A stale "released" (our own resume, then a new hold) costs one
  // check at the gateway (`registryApply` halts only when entries are not already held by us).
  let watch: { startedAt: number; done: boolean; result?: WatchKillSwitchResult; error?: string } | undefined;
  let watchNotBefore = 0;
  let resumeRetryAt = 0;
  let resumeBackoff = 5000;
  let workThisRun = 0;

  const startWatch = () => {
    const w: NonNullable<typeof watch> = { startedAt: Date.now(), done: false };
    watch = w;
    reg.watching = true;
    watchKillSwitch({ target: p.target, maxSeconds: p.watchSeconds, pollMs: p.pollMs }).then(
      (r) => Object.assign(w, { done: true, result: r }),
      (err: unknown) => Object.assign(w, { done: true, error: String((err as { cause?: unknown }).cause ?? err) }),
    );
  };

  for (;;) {
    const op = reg.queue.shift();
    if (op) {
      await reg.run(op);
      workThisRun++;
      if (op.op === 'release' && reg.resumePending) {
        resumeBackoff = 5000;
        resumeRetryAt = Date.now() + resumeBackoff;
      }
      continue;
    }
    if (watch?.done) {
      const w = watch;
      watch = undefined;
      reg.watching = false;
      workThisRun++;
      if (w.result) {
        if (w.result.checkedAt)
          Object.assign(reg.c, { entriesHalted: w.result.entriesHalted, haltReason: w.result.haltReason, lastCheckedAt: w.result.checkedAt });
        // A watch that ended early without finding anything waits out its span (a sane lower bound).
        if (!w.result.released) watchNotBefore = w.startedAt + p.watchSeconds * 1000;
        else if (reg.holders.size > 0) {
          const before = w.result.haltReason;
          const a = await reg.apply('halt');
          if (!a.ok) {
            reg.note('entries found released while held: halt failed', a.error);
            watchNotBefore = Date.now() + 2000;
          } else if (a.changed) {
            reg.c.rehalts += 1;
            reg.note(
              'entries found released while held: halted again',
              `seen at ${w.result.checkedAt} (halt_reason was ${JSON.stringify(before)}); holders: ${reg.list().map(holderKey).join(', ')}`,
            );
            log.warn("entries released behind the holders' back: halted again", { target: p.target, rehalts: reg.c.rehalts });
          }
        }
      } else if (w.error) {
        reg.note('kill-switch watch failed', w.error);
        watchNotBefore = Date.now() + 5000;
      }
      continue;
    }
    if (reg.resumePending && reg.holders.size === 0 && Date.now() >= resumeRetryAt) {
      const a = await reg.apply('resume');
      workThisRun++;
      if (a.ok) {
        reg.resumePending = false;
        reg.note(
          'resume retried',
          a.foreign ? `entries stay halted: not drill-runner's halt (${reg.c.haltReason})` : a.changed ? 'entries resumed' : 'entries were not halted',
        );
      } else {
        resumeBackoff = Math.min(resumeBackoff * 2, 300_000);
        resumeRetryAt = Date.now() + resumeBackoff;
      }
      continue;
    }
    const renew = workThisRun >= p.opsPerRun || workflowInfo().continueAsNewSuggested;
    reg.renewDue = renew;
    // Continue-as-new between watches (a watch ends within watchSeconds), with every handler done.
    if (renew && !watch && allHandlersFinished()) {
      const c = reg.carried();
      await continueAsNew<typeof haltRegistryWorkflow>({ ...p, carried: { ...c, continuedAsNew: c.continuedAsNew + 1 } });
    }
    if (!renew && reg.holders.size > 0 && !watch && Date.now() >= watchNotBefore) {
      startWatch();
      continue;
    }
    const wakeAt = Math.min(
      !renew && reg.holders.size > 0 && !watch ? watchNotBefore : Infinity,
      reg.resumePending && reg.holders.size === 0 ? resumeRetryAt : Infinity,
    );
    const woken = () => reg.queue.length > 0 || watch?.done === true || (renew && !watch && allHandlersFinished());
    if (wakeAt === Infinity) await condition(woken);
    else await condition(woken, Math.max(1000, wakeAt - Date.now()));
  }
}
