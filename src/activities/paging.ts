/**
 * Paging webhook adapter: one POST per route per attempt, in the route's format (`json`,
 * `pagerduty`, `slack`), with the incident's dedup key in the body and an `Idempotency-Key` header per
 * event, so a retried activity never double-pages a receiver that honours it.
 *
 * - Escalation level n pages the route configured for level n (`SLO_PAGING_LEVEL_<n>_*`), else the
 *   default route (`SLO_PAGING_WEBHOOK_URL`, `SLO_PAGING_ROUTING_KEY`, `SLO_PAGING_FORMAT`).
 * - `user:password@` in a webhook URL becomes HTTP Basic auth (fetch refuses such URLs outright).
 * - A trigger from the ack timer first looks at the run's `incident_events.jsonl` from the timer's
 *   cursor: an incident already acknowledged (or resolved) there is not paged. Every attempt
 *   heartbeats, and an ack cancels it: the POST is aborted, no further attempt starts.
 * - Webhook URLs and routing keys are secrets: no message or log line carries them.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { z } from 'zod';
import type { PagingConfig } from '../config';
import { incidentIdSchema, runIdSchema } from '../domain/ids';
import {
  boundDedupKey,
  eventIdempotencyKey,
  inferPageKind,
  isRetryableStatus,
  MAX_DEDUP_KEY,
  pageKindSchema,
  pageRequestSchema,
  payloadFor,
  type PageEvent,
  type PageFormat,
  type PageOutcome,
  type PageRequest,
} from '../domain/paging';
import { severityReaches, severitySchema } from '../domain/severity';
import { PathEscapeError, writeFileAtomic } from '../io/files';
import { incidentLogPath } from '../io/incident-log';
import { scanForIncident } from '../io/incident-file-watch';
import { InvalidRunIdError, runDir } from '../io/run-artifacts';
import { tailCursorSchema, type TailCursor } from '../io/tail';
import { FAILURE } from '../domain/failure-types';
import { describeIssues } from '../domain/validation-kit';

export interface ResolvedRoute {
  /** Shown in status and logs: `default` or `level-<n>`. */
  name: string;
  url: string;
  format: PageFormat;
  routingKey?: string;
}

/** The route escalation level `level` pages, or undefined when no webhook is configured for it. */
export function routeFor(paging: PagingConfig, level: number): ResolvedRoute | undefined {
  const own = paging.levels?.[level];
  const url = own?.webhookUrl ?? paging.webhookUrl;
  if (!url) return undefined;
  const routingKey = own?.routingKey ?? paging.routingKey;
  return { name: own ? `level-${level}` : 'default', url, format: own?.format ?? paging.format, ...(routingKey ? { routingKey } : {}) };
}

/** fetch refuses a URL with credentials: they travel as a Basic `Authorization` header instead. */
export function requestTarget(url: string): { url: string; authorization?: string } {
  const u = new URL(url);
  if (!u.username && !u.password) return { url };
  const credentials = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
  u.username = '';
  u.password = '';
  return { url: u.toString(), authorization: `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}` };
}

const incidentPageBase = {
  kind: pageKindSchema,
  runId: runIdSchema,
  incidentId: incidentIdSchema,
  severity: severitySchema,
  round: z.number().int().min(0).default(0),
  levelName: z.string().max(100).optional(),
  openedAt: z.string().min(1),
  summary: z.string().max(1000).optional(),
  dedupKey: z.string().min(1).max(MAX_DEDUP_KEY),
};

/** A trigger from the ack timer (one escalation level). */
export const incidentTriggerSchema = z.object({
  ...incidentPageBase,
  level: z.number().int().min(1).max(20),
  /** The timer's read position in the run file: the ack check reads only what came after it. */
  fileCursor: tailCursorSchema.optional(),
  /** Lines in the run file that mean "do not page" (after the ack: only the resolution). */
  suppressOn: z
    .array(z.enum(['ack', 'resolved']))
    .min(1)
    .default(['ack', 'resolved']),
});
export type IncidentTriggerInput = z.input<typeof incidentTriggerSchema>;

export type IncidentTriggerOutcome =
  | { outcome: 'delivered'; routes: string[]; status: number }
  | { outcome: 'disabled' | 'below-min-severity'; routes: string[] }
  /** The run file already holds this incident's ack (or resolution): nothing was sent. */
  | { outcome: 'suppressed'; routes: string[]; hit: { kind: 'ack' | 'resolved'; line: Record<string, unknown> }; fileCursor?: TailCursor };

/** `acknowledge` or `resolve` to the routes of the levels that were paged. */
export const incidentLifecycleSchema = z.object({
  ...incidentPageBase,
  action: z.enum(['acknowledge', 'resolve']),
  levels: z.array(z.number().int().min(1).max(20)).min(1).max(20),
  ackBy: z.string().max(200).optional(),
  at: z.string().min(1),
});
export type IncidentLifecycleInput = z.input<typeof incidentLifecycleSchema>;
export type IncidentLifecycleOutcome = { outcome: 'delivered'; routes: string[] } | { outcome: 'disabled' | 'below-min-severity'; routes: string[] };

function invalid(what: string, error: z.ZodError): never {
  throw ApplicationFailure.nonRetryable(`invalid ${what}: ${describeIssues(error, { rootWhenBlank: true })}`, FAILURE.invalidInput);
}

/** Throws the activity's cancellation when it was asked to stop (the caller already acked or resolved). */
async function stopIfCancelled(): Promise<void> {
  const ctx = Context.current();
  if (ctx.cancellationSignal.aborted) await ctx.cancelled;
}

/**
 * `opsDir`: where a delivered trigger leaves its marker (`page-delivered.<sha256 of its idempotency
 * key>.json`), so a retry after the worker died with the receiver's answer in flight knows the page
 * went out — even when an ack has landed in the run file meanwhile — and the timer follows it with
 * acknowledge and resolve instead of leaving the receiver's incident open.
 */
export function createPagingActivities(paging: PagingConfig, runsDir?: string, opsDir?: string) {
  const markerOf = (key: string) => (opsDir ? path.join(opsDir, `page-delivered.${crypto.createHash('sha256').update(key).digest('hex')}.json`) : undefined);
  const readMarker = (file: string | undefined): { routes: string[]; status: number } | undefined => {
    if (!file) return undefined;
    try {
      const m = JSON.parse(fs.readFileSync(file, 'utf8')) as { routes?: unknown; status?: unknown };
      return typeof m.status === 'number' ? { routes: Array.isArray(m.routes) ? m.routes.map(String) : [], status: m.status } : undefined;
    } catch {
      return undefined;
    }
  };
  /** One POST to one route; heartbeats while it waits; aborted by the timeout or the activity's cancellation. */
  async function post(route: ResolvedRoute, event: PageEvent, idempotencyKey = eventIdempotencyKey(event)): Promise<number> {
    const ctx = Context.current();
    await stopIfCancelled();
    const body = payloadFor(route.format, event, route.routingKey);
    const target = requestTarget(route.url);
    const beat = setInterval(() => ctx.heartbeat(), 1000);
    let res: Response;
    try {
      ctx.heartbeat();
      res = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
          ...(target.authorization ? { authorization: target.authorization } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.any([AbortSignal.timeout(paging.timeoutMs), ctx.cancellationSignal]),
      });
      await res.arrayBuffer().catch(() => undefined);
    } catch (err) {
      await stopIfCancelled();
      // The error's text can carry the address; keep only its kind.
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw ApplicationFailure.retryable(`paging webhook unreachable (${cause}) on route ${route.name}`, FAILURE.pageUndelivered);
    } finally {
      clearInterval(beat);
    }
    if (res.ok) return res.status;
    // Stopped while the receiver answered with an error (an ack landed): a cancellation, not a failure.
    await stopIfCancelled();
    if (isRetryableStatus(res.status))
      throw ApplicationFailure.retryable(`paging webhook answered ${res.status} on route ${route.name}`, FAILURE.pageUndelivered);
    throw ApplicationFailure.nonRetryable(`paging webhook rejected the page with ${res.status} on route ${route.name}`, FAILURE.pageRejected);
  }

  /** Why nothing is sent, if so: paging off, or the severity below `SLO_PAGING_MIN_SEVERITY`. */
  function skipReason(severity: 'critical' | 'warning'): 'disabled' | 'below-min-severity' | undefined {
    if (!paging.enabled || !paging.webhookUrl) return 'disabled';
    if (!severityReaches(severity, paging.minSeverity)) return 'below-min-severity';
    return undefined;
  }

  function runFile(runId: string): string | undefined {
    if (!runsDir) return undefined;
    try {
      return incidentLogPath(runDir(runsDir, runId));
    } catch (err) {
      if (err instanceof InvalidRunIdError || err instanceof PathEscapeError) throw ApplicationFailure.nonRetryable(err.message, FAILURE.invalidInput);
      throw err;
    }
  }

  return {
    /**
     * A single page (failed drill, recovery past its maximum wait, ack timers from before the paging
     * lifecycle): one trigger to the level's route. Its `class` comes from `kind` (or the level name).
     */
    async pageEscalation(input: PageRequest): Promise<PageOutcome> {
      const parsed = pageRequestSchema.safeParse(input);
      if (!parsed.success) invalid('page request', parsed.error);
      const p = parsed.data;
      const dedupKey = boundDedupKey(p.dedupKey);
      const skip = skipReason(p.severity);
      const route = routeFor(paging, p.level);
      if (skip || !route) {
        log.info(skip === 'below-min-severity' ? 'severity below SLO_PAGING_MIN_SEVERITY; no page' : 'paging disabled; escalation recorded without a page', {
          dedupKey,
        });
        return { outcome: skip ?? 'disabled', dedupKey };
      }
      const event: PageEvent = { ...p, action: 'trigger', kind: inferPageKind(p), dedupKey, at: new Date().toISOString() };
      // A single page: the dedup key is the event's key too (one event per key).
      const status = await post(route, event, dedupKey);
      log.info('page delivered', { dedupKey, status, route: route.name });
      return { outcome: 'delivered', dedupKey, status };
    },

    /**
     * The ack timer's trigger for one escalation level. Looks at the run file first (from the timer's
     * cursor): an incident acknowledged or resolved there is not paged. Cancelled by an ack.
     */
    async deliverIncidentPage(input: IncidentTriggerInput): Promise<IncidentTriggerOutcome> {
      const parsed = incidentTriggerSchema.safeParse(input);
      if (!parsed.success) invalid('incident page', parsed.error);
      const p = parsed.data;
      Context.current().heartbeat();
      await stopIfCancelled();
      // Delivered on an earlier attempt (the worker died before the answer reached the server): say so.
      const marker = markerOf(eventIdempotencyKey({ ...p, action: 'trigger' }));
      const earlier = readMarker(marker);
      if (earlier) {
        log.info('page already delivered by an earlier attempt', { dedupKey: p.dedupKey, level: p.level });
        return { outcome: 'delivered', routes: earlier.routes, status: earlier.status };
      }
      const file = runFile(p.runId);
      if (file) {
        const scan = await scanForIncident(file, p.fileCursor, p.incidentId, p.suppressOn);
        if (scan.hit) {
          log.info('incident already acknowledged or resolved in the run file: no page', { dedupKey: p.dedupKey, kind: scan.hit.kind });
          return { outcome: 'suppressed', routes: [], hit: scan.hit, ...(scan.cursor ? { fileCursor: scan.cursor } : {}) };
        }
      }
      const skip = skipReason(p.severity);
      const route = routeFor(paging, p.level);
      if (skip || !route) return { outcome: skip ?? 'disabled', routes: [] };
      const event: PageEvent = { ...p, action: 'trigger', at: new Date().toISOString() };
      const status = await post(route, event);
      if (marker) {
        await fs.promises.mkdir(path.dirname(marker), { recursive: true });
        await writeFileAtomic(marker, `${JSON.stringify({ key: eventIdempotencyKey(event), routes: [route.name], status, at: event.at })}\n`);
      }
      log.info('page delivered', { dedupKey: p.dedupKey, level: p.level, status, route: route.name });
      return { outcome: 'delivered', routes: [route.name], status };
    },

    /**
     * `acknowledge` / `resolve` under the incident's dedup key, once to each distinct route that was
     * paged, all routes at once: a failing receiver never holds another back. A retry sends only to the
     * routes not yet done (kept in the heartbeat details, by route name).
     */
    async sendIncidentPageEvent(input: IncidentLifecycleInput): Promise<IncidentLifecycleOutcome> {
      const parsed = incidentLifecycleSchema.safeParse(input);
      if (!parsed.success) invalid('incident page event', parsed.error);
      const p = parsed.data;
      const skip = skipReason(p.severity);
      if (skip) return { outcome: skip, routes: [] };
      const routes = new Map<string, { route: ResolvedRoute; level: number }>();
      for (const level of p.levels) {
        const route = routeFor(paging, level);
        const key = `${route?.format}\n${route?.url}\n${route?.routingKey ?? ''}`;
        if (route && !routes.has(key)) routes.set(key, { route, level });
      }
      if (routes.size === 0) return { outcome: 'disabled', routes: [] };
      const ctx = Context.current();
      const done = new Set<string>((ctx.info.heartbeatDetails as { done?: string[] } | undefined)?.done ?? []);
      const results = await Promise.allSettled(
        [...routes.values()]
          .filter(({ route }) => !done.has(route.name))
          .map(async ({ route, level }) => {
            await post(route, { ...p, level, round: p.round, action: p.action });
            done.add(route.name);
            ctx.heartbeat({ done: [...done] });
          }),
      );
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      if (failures.length) {
        // Retry the routes still missing, unless every failure is final.
        const retryable = failures.find((f) => !(f instanceof ApplicationFailure && f.nonRetryable));
        throw retryable ?? failures[0];
      }
      const names = [...routes.values()].map((r) => r.route.name);
      log.info(`page ${p.action} sent`, { dedupKey: p.dedupKey, routes: names });
      return { outcome: 'delivered', routes: names };
    },
  };
}
