/**
 * Paging webhook adapter. One POST per attempt with a dedup key per incident, level and round (in the
 * body and as `Idempotency-Key`), so a retried activity never double-pages a receiver that honours
 * it. The webhook URL and routing key are secrets: no message or log line carries them.
 */
import { ApplicationFailure, log } from '@temporalio/activity';
import type { PagingConfig } from '../config';
import { pagerDutyPayload, pageRequestSchema, plainPayload, isRetryableStatus, type PageOutcome, type PageRequest } from '../domain/paging';
import { severityReaches } from '../domain/severity';

export function createPagingActivities(paging: PagingConfig) {
  return {
    /** Pages the escalation when paging is on and the severity reaches the minimum. */
    async pageEscalation(input: PageRequest): Promise<PageOutcome> {
      const parsed = pageRequestSchema.safeParse(input);
      if (!parsed.success) throw ApplicationFailure.nonRetryable(`invalid page request: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 'InvalidInput');
      const p = parsed.data;
      if (!paging.enabled || !paging.webhookUrl) {
        log.info('paging disabled; escalation recorded without a page', { dedupKey: p.dedupKey });
        return { outcome: 'disabled', dedupKey: p.dedupKey };
      }
      if (!severityReaches(p.severity, paging.minSeverity)) {
        log.info('severity below SLO_PAGING_MIN_SEVERITY; no page', { dedupKey: p.dedupKey, severity: p.severity, minSeverity: paging.minSeverity });
        return { outcome: 'below-min-severity', dedupKey: p.dedupKey };
      }
      const body = paging.format === 'pagerduty' ? pagerDutyPayload(p, paging.routingKey ?? '') : plainPayload(p);
      let res: Response;
      try {
        res = await fetch(paging.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': p.dedupKey },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(paging.timeoutMs),
        });
      } catch (err) {
        // The error's text can carry the address; keep only its kind.
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
        throw ApplicationFailure.retryable(`paging webhook unreachable (${cause})`, 'PageUndelivered');
      }
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        log.info('page delivered', { dedupKey: p.dedupKey, status: res.status });
        return { outcome: 'delivered', dedupKey: p.dedupKey, status: res.status };
      }
      if (isRetryableStatus(res.status)) throw ApplicationFailure.retryable(`paging webhook answered ${res.status}`, 'PageUndelivered');
      throw ApplicationFailure.nonRetryable(`paging webhook rejected the page with ${res.status}`, 'PageRejected');
    },
  };
}
