/**
 * The paging settings for a rehearsal: the configured ones (format, minimum severity, and whatever
 * routes paging has) with every URL pointed at the loopback recorder, the route named in the path,
 * and every key or token replaced by a placeholder. Then checked: no URL off this machine remains.
 */
import type { PagingConfig } from '../config';

const URL_RE = /^[a-z][a-z0-9+.-]*:\/\//i;
const SECRET_KEY = /key|token|secret|password|auth/i;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export class RehearsalIsolationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RehearsalIsolationError';
  }
}

function rewrite(v: unknown, path: string[], recorder: string, routes: Record<string, string>): unknown {
  if (typeof v === 'string') {
    if (URL_RE.test(v)) {
      const route = `/paging/${path.join('.')}`;
      routes[path.join('.')] = route;
      return `${recorder}${route}`;
    }
    return path.length && SECRET_KEY.test(path[path.length - 1]!) ? `rehearsal-${path.join('.')}` : v;
  }
  if (Array.isArray(v)) return v.map((x, i) => rewrite(x, [...path, String(i)], recorder, routes));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rewrite(x, [...path, k], recorder, routes)]));
  return v;
}

function offMachine(v: unknown): string[] {
  if (typeof v === 'string') {
    if (!URL_RE.test(v)) return [];
    try {
      return LOOPBACK.has(new URL(v).hostname) ? [] : [new URL(v).hostname];
    } catch {
      return ['(unparsable URL)'];
    }
  }
  if (v && typeof v === 'object') return Object.values(v).flatMap(offMachine);
  return [];
}

/** Paging on, every route to the recorder; throws if any URL in the result leaves the machine. */
export function rehearsalPaging(configured: PagingConfig, recorderUrl: string): { paging: PagingConfig; routes: Record<string, string> } {
  const routes: Record<string, string> = {};
  const base = { ...configured, enabled: true, webhookUrl: configured.webhookUrl ?? 'http://unset.invalid/' };
  const paging = rewrite(base, [], recorderUrl, routes) as PagingConfig;
  if (paging.format === 'pagerduty' && !paging.routingKey) paging.routingKey = 'rehearsal-routingKey';
  const off = offMachine(paging);
  if (off.length) throw new RehearsalIsolationError(`rehearsal refused: paging would reach ${off.join(', ')}`);
  return { paging, routes };
}
