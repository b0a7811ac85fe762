/**
 * The runbook's incident classes (First 5 Minutes, step 3) decided from evidence, with the reasons a
 * triage report prints.
 *
 * - `data_quality`: stale / missing / corrupt bars
 * - `reconciliation`: order / position drift
 * - `broker_connectivity`: API / websocket failures (the runbook writes `broker/connectivity`)
 *
 Only current evidence counts: the caller (triage) passes the breaches that are inside the incident's
 * evidence window and not recovered since (`weighBreaches` in `triage.ts`), and lists the others in
 * `ignoredEvidence` so the report says why an old breach did not decide.
 *
 * Precedence, first match wins (deterministic; the same evidence always gives the same class):
 * 0. broker_connectivity when the live broker probe says API or websocket is down: a broken broker
 *    link is the root cause the other two then show as symptoms (orders cannot be reconciled, feeds
 *    go stale), and its recovery (restart the session, rerun reconciliation) comes first.
 * 1. the incident's own breach (the `slo_breach` the target linked to this incident id), when it is
 *    current: the incident was opened for it.
 * 2. broker_connectivity — a broker/connectivity audit event or a current breach named for the broker.
 * 3. reconciliation — the latest order or position reconciliation cycle mismatched, or a current
 *    reconciliation SLO breach (consecutive mismatch runs, pass rate). Drift means positions or orders
 *    may be wrong: money at risk, so it outranks bad bars.
 * 4. data_quality — the latest data quality snapshot has errors, stale warnings or issues, or a current
 *    data quality SLO breach.
 * 5. the class the target wrote on `incident_open` (`incident_class`), when no evidence decides.
 * 6. an operational error rate breach alone → broker_connectivity (failed operations are API calls).
 * 7. nothing at all → reconciliation, whose recovery (two consecutive clean reconciliation cycles) is
 *    the strictest check that trading is consistent before entries resume.
 *
 * Risk audit events (`risk_warning`, `risk_limit_breach`) are context: they are listed in the reasons
 * but do not pick a class.
 */
import { z } from 'zod';

export const INCIDENT_CLASSES = ['data_quality', 'reconciliation', 'broker_connectivity'] as const;
export const incidentClassSchema = z.enum(INCIDENT_CLASSES);
export type IncidentClass = z.infer<typeof incidentClassSchema>;

/** Accepts the runbook's spellings (`broker/connectivity`, `broker`, `data-quality`, …). */
export function normalizeIncidentClass(raw: string | undefined | null): IncidentClass | undefined {
  if (!raw) return undefined;
  const s = raw
    .trim()
    .toLowerCase()
    .replace(/[\s/-]+/g, '_');
  if (s === 'data_quality' || s === 'dataquality' || s === 'market_data') return 'data_quality';
  if (s === 'reconciliation' || s === 'recon' || s === 'order_reconciliation' || s === 'position_reconciliation') return 'reconciliation';
  if (s === 'broker_connectivity' || s === 'broker' || s === 'connectivity' || s === 'broker_failure') return 'broker_connectivity';
  return undefined;
}

export interface ClassificationEvidence {
  /** `data_quality_latest.json` (null/undefined: not available). */
  dataQualityLatest?: {
    cycle?: number;
    errors: number;
    stale_warnings: number;
    issues?: ReadonlyArray<{ symbol: string; kind: string; severity?: string }>;
  } | null;
  /** Latest order reconciliation events, oldest first (the last one decides). */
  orderReconciliation?: ReadonlyArray<{ cycle?: number; status: 'ok' | 'mismatch'; mismatched_order_ids?: readonly string[] }>;
  positionReconciliation?: ReadonlyArray<{ cycle?: number; status: 'ok' | 'mismatch'; mismatched_symbols?: readonly string[] }>;
  broker?: { apiOk?: boolean; websocketOk?: boolean; detail?: string } | null;
  /** Names of breached SLOs (criterion ids from `slo-evaluation.ts` or `slo` of `slo_breach` events). */
  sloBreaches?: readonly string[];
  /** Recent audit events. */
  auditEvents?: ReadonlyArray<{ event_type: string; detail?: string }>;
  /** `incident_class` of the `incident_open` event, if the target gave one. */
  hint?: string;
  /** This incident's own breach (linked by incident id), only when current. */
  ownBreach?: { slo: string; incidentClass?: string } | null;
  /** Evidence that was looked at and did not count, with why (listed in the reasons). */
  ignoredEvidence?: readonly string[];
}

export interface Classification {
  class: IncidentClass;
  /** Why, in the order a person should read them; the deciding evidence first. */
  reasons: string[];
  /** Which rule decided: evidence, the target's hint, or the fallback. */
  basis: 'evidence' | 'hint' | 'default';
  /** Other classes with evidence too (symptoms or a second problem). */
  alsoSeen: IncidentClass[];
}

const BROKER_WORDS = /broker|connect|websocket|\bws\b|api_(down|error|failure)|disconnect|heartbeat/i;
const RECON_SLOS = /mismatch|reconcil/i;
const DQ_SLOS = /data_quality|quality|stale/i;
const OPS_ERROR_SLOS = /operational_error/i;

function collect(e: ClassificationEvidence): Record<IncidentClass, string[]> {
  const found: Record<IncidentClass, string[]> = { broker_connectivity: [], reconciliation: [], data_quality: [] };
  const breaches = e.sloBreaches ?? [];

  if (e.broker) {
    if (e.broker.apiOk === false) found.broker_connectivity.push(`broker API unhealthy${e.broker.detail ? `: ${e.broker.detail}` : ''}`);
    if (e.broker.websocketOk === false)
      found.broker_connectivity.push(`broker websocket unhealthy${e.broker.detail && e.broker.apiOk !== false ? `: ${e.broker.detail}` : ''}`);
  }
  for (const a of e.auditEvents ?? []) {
    if (BROKER_WORDS.test(a.event_type)) found.broker_connectivity.push(`audit event ${a.event_type}${a.detail ? `: ${a.detail}` : ''}`);
  }
  for (const b of breaches) if (BROKER_WORDS.test(b)) found.broker_connectivity.push(`SLO breach ${b}`);

  const lastOrder = e.orderReconciliation?.[e.orderReconciliation.length - 1];
  if (lastOrder?.status === 'mismatch') {
    const ids = lastOrder.mismatched_order_ids ?? [];
    found.reconciliation.push(
      `latest order reconciliation${lastOrder.cycle !== undefined ? ` (cycle ${lastOrder.cycle})` : ''} mismatched${ids.length ? `: ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ` and ${ids.length - 5} more` : ''}` : ''}`,
    );
  }
  const lastPos = e.positionReconciliation?.[e.positionReconciliation.length - 1];
  if (lastPos?.status === 'mismatch') {
    const syms = lastPos.mismatched_symbols ?? [];
    found.reconciliation.push(
      `latest position reconciliation${lastPos.cycle !== undefined ? ` (cycle ${lastPos.cycle})` : ''} mismatched${syms.length ? `: ${syms.slice(0, 5).join(', ')}` : ''}`,
    );
  }
  for (const b of breaches) if (RECON_SLOS.test(b) && !BROKER_WORDS.test(b)) found.reconciliation.push(`SLO breach ${b}`);

  const dq = e.dataQualityLatest;
  if (dq) {
    const cyc = dq.cycle !== undefined ? ` (cycle ${dq.cycle})` : '';
    if (dq.errors > 0) found.data_quality.push(`latest data quality snapshot${cyc}: ${dq.errors} error(s)`);
    if (dq.stale_warnings > 0) found.data_quality.push(`latest data quality snapshot${cyc}: ${dq.stale_warnings} stale warning(s)`);
    const issues = dq.issues ?? [];
    if (issues.length && dq.errors === 0 && dq.stale_warnings === 0) found.data_quality.push(`latest data quality snapshot${cyc}: ${issues.length} issue(s)`);
    if (issues.length) {
      const kinds = [...new Set(issues.map((i) => `${i.kind} ${i.symbol}`))].slice(0, 5);
      found.data_quality.push(`issues: ${kinds.join(', ')}${issues.length > kinds.length ? ', …' : ''}`);
    }
  }
  for (const b of breaches) if (DQ_SLOS.test(b) && !BROKER_WORDS.test(b) && !RECON_SLOS.test(b)) found.data_quality.push(`SLO breach ${b}`);
  return found;
}

/** The class an SLO name points at (the target's own `incident_class` first). */
export function classOfSlo(slo: string, incidentClass?: string): IncidentClass | undefined {
  const given = normalizeIncidentClass(incidentClass);
  if (given) return given;
  if (BROKER_WORDS.test(slo) || OPS_ERROR_SLOS.test(slo)) return 'broker_connectivity';
  if (RECON_SLOS.test(slo)) return 'reconciliation';
  if (DQ_SLOS.test(slo)) return 'data_quality';
  return undefined;
}

/** Picks the incident class by the precedence in this file's header. */
export function classifyIncident(e: ClassificationEvidence): Classification {
  const found = collect(e);
  const withEvidence = (['broker_connectivity', 'reconciliation', 'data_quality'] as const).filter((c) => found[c].length > 0);
  const context = [
    ...(e.auditEvents ?? [])
      .filter((a) => a.event_type === 'risk_warning' || a.event_type === 'risk_limit_breach')
      .slice(-3)
      .map((a) => `context: audit ${a.event_type}${a.detail ? ` (${a.detail})` : ''}`),
    ...(e.ignoredEvidence ?? []).map((x) => `not deciding: ${x}`),
  ];
  const brokerDownNow = e.broker?.apiOk === false || e.broker?.websocketOk === false;
  const own = e.ownBreach ? classOfSlo(e.ownBreach.slo, e.ownBreach.incidentClass) : undefined;
  if (own && !brokerDownNow) {
    const also = withEvidence.filter((c) => c !== own);
    return {
      class: own,
      basis: 'evidence',
      reasons: [
        `this incident's own breach ${e.ownBreach!.slo} is current`,
        ...found[own],
        ...also.map((c) => `also seen (${c}): ${found[c].join('; ')}`),
        ...context,
      ],
      alsoSeen: also,
    };
  }

  const chosen = withEvidence[0];
  if (chosen) {
    const also = withEvidence.slice(1);
    return {
      class: chosen,
      basis: 'evidence',
      reasons: [...found[chosen], ...also.map((c) => `also seen (${c}): ${found[c].join('; ')}`), ...context],
      alsoSeen: also,
    };
  }
  const hinted = normalizeIncidentClass(e.hint);
  if (hinted) return { class: hinted, basis: 'hint', reasons: [`no deciding evidence; the target opened the incident as ${e.hint}`, ...context], alsoSeen: [] };
  const opsBreach = (e.sloBreaches ?? []).find((b) => OPS_ERROR_SLOS.test(b));
  if (opsBreach) {
    return {
      class: 'broker_connectivity',
      basis: 'evidence',
      reasons: [`SLO breach ${opsBreach}: failed operations point at the broker API`, ...context],
      alsoSeen: [],
    };
  }
  return {
    class: 'reconciliation',
    basis: 'default',
    reasons: ['no evidence for any class; treated as reconciliation (strictest recovery: two clean reconciliation cycles)', ...context],
    alsoSeen: [],
  };
}
