/**
 * Holder-aware halt and release for workflow code: `holdEntries` / `releaseEntries` ask the target's
 * halt registry (`haltRegistryWorkflow`, started on first use as an abandoned child) and wait for its
 * answer. Entries resume only when the last holder releases; a release never lifts another holder's
 * halt. Both are safe to retry (the registry runs a request id once) and never throw for a gateway
 * that is down: the answer says what happened (`entriesHalted: null` = not reachable).
 *
 * ```ts
 * const held = await holdEntries({ target, holder: drillHolder(drillId), reason: `DR drill ${drillId}` });
 * ...
 * const released = await releaseEntries({ target, holder: drillHolder(drillId) });
 * ```
 */
import {
  condition,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  setHandler,
  sleep,
  startChild,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import { haltReplySchema, type HaltOpResult, type HaltSignal, type Holder } from '../domain/halts';
import { workflowIds } from '../shared';
import { haltReplySignal, haltRequestSignal } from './definitions';
import { haltRegistryWorkflow } from './halt-registry';
import { describeIssues } from './validation';

/** Without an answer by then, the request is sent again (the registry answers a repeat with the first answer). */
const RESEND_AFTER_MS = 30_000;
/**
 * Patch id (issue 11, bounded histories): a registry that does not answer is asked again after 30 s,
 * then 1, 2, 4 … minutes, at most every 30 minutes — a week without an answer is ~340 requests, not
 * ~20,000 — and the wait is logged as an error after an hour.
 */
export const HALT_RESEND_BACKOFF_PATCH = 'halt-resend-backoff';
const RESEND_MAX_MS = 30 * 60_000;

class EntryHalts {
  private readonly replies = new Map<string, HaltOpResult>();

  constructor() {
    setHandler(
      haltReplySignal,
      (raw) => {
        const r = haltReplySchema.safeParse(raw);
        if (!r.success) {
          log.warn('haltReply dropped: invalid payload', { issues: describeIssues(r.error) });
          return;
        }
        this.replies.set(r.data.requestId, r.data as unknown as HaltOpResult);
      },
      { description: "Answer of the target's halt registry to a hold or release this workflow asked for." },
    );
  }

  async request(
    target: string,
    req: Omit<Extract<HaltSignal, { op: 'hold' }>, 'requestId' | 'replyTo'> | Omit<Extract<HaltSignal, { op: 'release' }>, 'requestId' | 'replyTo'>,
  ): Promise<HaltOpResult> {
    const requestId = uuid4();
    const payload = { ...req, requestId, replyTo: workflowInfo().workflowId } as HaltSignal;
    const backoff = patched(HALT_RESEND_BACKOFF_PATCH);
    let waitedMs = 0;
    for (let attempt = 0; ; attempt++) {
      await this.send(target, payload);
      const resendMs = backoff ? Math.min(RESEND_MAX_MS, RESEND_AFTER_MS * 2 ** attempt) : RESEND_AFTER_MS;
      if (await condition(() => this.replies.has(requestId), resendMs)) {
        const r = this.replies.get(requestId)!;
        this.replies.delete(requestId);
        return r;
      }
      waitedMs += resendMs;
      const fields = { target, requestId, op: req.op, waitedSeconds: Math.round(waitedMs / 1000) };
      if (backoff && waitedMs >= 3_600_000) log.error('the halt registry has not answered for over an hour: asking again', fields);
      else log.warn('no answer from the halt registry yet: asking again', fields);
    }
  }

  /** Signals the registry; when it is not running, starts it (abandoned: it outlives this workflow). */
  private async send(target: string, payload: HaltSignal): Promise<void> {
    const registryId = workflowIds.haltRegistry(target);
    for (let attempt = 0; ; attempt++) {
      try {
        await getExternalWorkflowHandle(registryId).signal(haltRequestSignal, payload);
        return;
      } catch (err) {
        log.info('halt registry not reachable by signal: starting it', { registryId, error: String(err) });
      }
      try {
        await startChild(haltRegistryWorkflow, {
          workflowId: registryId,
          parentClosePolicy: ParentClosePolicy.ABANDON,
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          args: [{ target }],
          staticSummary: `Halt registry of ${target}: who holds its entries halted`,
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) log.warn('could not start the halt registry', { registryId, error: String(err) });
      }
      try {
        await getExternalWorkflowHandle(registryId).signal(haltRequestSignal, payload);
        return;
      } catch (err) {
        log.warn('halt registry still not reachable: retrying', { registryId, attempt, error: String(err) });
        await sleep(Math.min(30_000, 1000 * 2 ** attempt));
      }
    }
  }
}

let halts: EntryHalts | undefined;
/** One per workflow run (workflow modules are per run); registers the reply handler on first use. */
function entryHalts(): EntryHalts {
  halts ??= new EntryHalts();
  return halts;
}

/** Registers the reply handler now (call early when a history must show it before the first request). */
export function useEntryHalts(): void {
  entryHalts();
}

/** Holds `target`'s entries halted on behalf of `holder`; answers once the kill switch is halted (or why not). */
export function holdEntries(o: { target: string; holder: Holder; reason: string; by?: string }): Promise<HaltOpResult> {
  return entryHalts().request(o.target, { op: 'hold', holder: o.holder, reason: o.reason.slice(0, 300), ...(o.by ? { by: o.by } : {}) });
}

/** Lets go of `holder`'s hold; entries resume only if no other holder is left (`resumed` says whether they did). */
export function releaseEntries(o: { target: string; holder: Holder; by?: string; reason?: string }): Promise<HaltOpResult> {
  return entryHalts().request(o.target, {
    op: 'release',
    holder: o.holder,
    ...(o.by ? { by: o.by } : {}),
    ...(o.reason ? { reason: o.reason.slice(0, 300) } : {}),
  });
}
