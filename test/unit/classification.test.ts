import { classifyIncident, normalizeIncidentClass } from '../../src/domain/classification';

const cleanDq = { cycle: 4, errors: 0, stale_warnings: 0, issues: [] };
const okRecon = [{ cycle: 9, status: 'ok' as const }];

describe('classifyIncident', () => {
  it('data quality from the latest snapshot', () => {
    const c = classifyIncident({
      dataQualityLatest: {
        cycle: 4,
        errors: 2,
        stale_warnings: 0,
        issues: [
          { symbol: 'AAPL', kind: 'corrupt' },
          { symbol: 'MSFT', kind: 'gap' },
        ],
      },
      orderReconciliation: okRecon,
      broker: { apiOk: true, websocketOk: true },
    });
    expect(c).toMatchObject({ class: 'data_quality', basis: 'evidence', alsoSeen: [] });
    expect(c.reasons[0]).toBe('latest data quality snapshot (cycle 4): 2 error(s)');
    expect(c.reasons.join('\n')).toMatch(/corrupt AAPL/);
  });

  it('reconciliation from the latest mismatching cycle, listing order ids', () => {
    const c = classifyIncident({
      dataQualityLatest: cleanDq,
      orderReconciliation: [
        { cycle: 8, status: 'mismatch' },
        { cycle: 9, status: 'mismatch', mismatched_order_ids: ['o-1', 'o-2'] },
      ],
    });
    expect(c.class).toBe('reconciliation');
    expect(c.reasons[0]).toBe('latest order reconciliation (cycle 9) mismatched: o-1, o-2');
  });

  it('an earlier mismatch followed by a clean cycle is not evidence', () => {
    const c = classifyIncident({ orderReconciliation: [{ status: 'mismatch' }, { status: 'ok' }], dataQualityLatest: cleanDq });
    expect(c.basis).toBe('default');
  });

  it('broker outranks the symptoms it causes, which are listed as also seen', () => {
    const c = classifyIncident({
      broker: { apiOk: true, websocketOk: false, detail: 'no pong for 30 s' },
      orderReconciliation: [{ status: 'mismatch' }],
      dataQualityLatest: { errors: 0, stale_warnings: 3 },
      sloBreaches: ['consecutive_mismatch_runs'],
    });
    expect(c.class).toBe('broker_connectivity');
    expect(c.reasons[0]).toBe('broker websocket unhealthy: no pong for 30 s');
    expect(c.alsoSeen).toEqual(['reconciliation', 'data_quality']);
  });

  it('reconciliation outranks data quality', () => {
    const c = classifyIncident({ sloBreaches: ['stale_warnings', 'reconciliation_pass_rate'] });
    expect(c).toMatchObject({ class: 'reconciliation', alsoSeen: ['data_quality'] });
  });

  it('broker audit events count; risk audit events are context only', () => {
    const c = classifyIncident({ auditEvents: [{ event_type: 'risk_limit_breach', detail: 'gross exposure' }, { event_type: 'broker_disconnect' }] });
    expect(c.class).toBe('broker_connectivity');
    expect(c.reasons).toContain('context: audit risk_limit_breach (gross exposure)');
    expect(classifyIncident({ auditEvents: [{ event_type: 'risk_warning' }] }).basis).toBe('default');
  });

  it('the target hint decides when evidence does not; runbook spelling accepted', () => {
    expect(classifyIncident({ hint: 'broker/connectivity', dataQualityLatest: cleanDq, orderReconciliation: okRecon })).toMatchObject({
      class: 'broker_connectivity',
      basis: 'hint',
    });
    expect(classifyIncident({ hint: 'data_quality', orderReconciliation: [{ status: 'mismatch' }] })).toMatchObject({
      class: 'reconciliation',
      basis: 'evidence',
    });
  });

  it('an operational error rate breach alone points at the broker', () => {
    expect(classifyIncident({ sloBreaches: ['operational_error_rate'] })).toMatchObject({ class: 'broker_connectivity', basis: 'evidence' });
  });

  it('no evidence at all: reconciliation by default, saying so', () => {
    const c = classifyIncident({});
    expect(c).toMatchObject({ class: 'reconciliation', basis: 'default' });
    expect(c.reasons[0]).toMatch(/no evidence/);
  });

  it('is deterministic', () => {
    const e = { broker: { apiOk: false }, sloBreaches: ['data_quality_errors'], orderReconciliation: [{ status: 'mismatch' as const }] };
    expect(classifyIncident(e)).toEqual(classifyIncident(JSON.parse(JSON.stringify(e))));
  });

  it('normalizes class spellings', () => {
    expect(normalizeIncidentClass('Broker/Connectivity')).toBe('broker_connectivity');
    expect(normalizeIncidentClass('data-quality')).toBe('data_quality');
    expect(normalizeIncidentClass('weather')).toBeUndefined();
  });
});
