import fc from 'fast-check';
import { dataQualityEventSchema, orderReconciliationEventSchema, positionReconciliationEventSchema } from '../../src/domain/artifacts';
import { DEFAULT_THRESHOLDS, resolveThresholds } from '../../src/domain/slo';
import { ConfigError, sloThresholdsFromEnv as thresholdsFromEnv } from '../../src/config';
import { dataQualityFoldLineSchema, reconFoldLineSchema, type ReconFoldEvent } from '../../src/domain/slo-events';
import { foldDataQuality, foldIncidents, foldOpsSlo, foldOrderRecon, foldPositionRecon, initialSloState } from '../../src/domain/slo-fold';
import { evaluateSlos, recoveryCriteria, sloVerdict, type SloEvaluation, type SloId } from '../../src/domain/slo-evaluation';

const ts = (s: number) => new Date(Date.UTC(2025, 0, 6, 9, 0, s)).toISOString();

function recon(statuses: Array<'ok' | 'mismatch'>, from = 1): ReconFoldEvent[] {
  return statuses.map((status, i) => ({ cycle: from + i, status, ts: ts(i) }));
}

function snapshot(cycle: number, operations: number, errors: number, reconCycles = 0, reconPasses = 0) {
  return {
    event_type: 'slo_snapshot' as const,
    ts: ts(cycle),
    cycle,
    operations,
    operational_errors: errors,
    reconciliation_cycles: reconCycles,
    reconciliation_passes: reconPasses,
    consecutive_mismatch_runs: 0,
  };
}

const get = (e: SloEvaluation, id: SloId) => {
  const c = e.criteria.find((x) => x.id === id);
  if (!c) throw new Error(`no criterion ${id}`);
  return c;
};

describe('thresholds', () => {
  it('defaults are the runbook numbers', () => {
    expect(DEFAULT_THRESHOLDS).toEqual({
      maxConsecutiveMismatchRuns: 3,
      maxDataQualityErrorsPerCycle: 0,
      maxStaleWarningsPerCycle: 0,
      ackSlaSeconds: 900,
      minReconciliationPassRate: 0.995,
      maxOperationalErrorRate: 0.02,
      rtoSeconds: 900,
      rpoSeconds: 60,
    });
  });

  it('overrides apply one by one and unknown keys are rejected', () => {
    expect(resolveThresholds({ ackSlaSeconds: 600 }).ackSlaSeconds).toBe(600);
    expect(resolveThresholds({ ackSlaSeconds: 600 }).rtoSeconds).toBe(900);
    expect(() => resolveThresholds({ ackSla: 600 })).toThrow();
    expect(() => resolveThresholds({ minReconciliationPassRate: 99.5 })).toThrow();
  });

  it('reads SLO_* variables, rates as fractions or percentages', () => {
    const t = thresholdsFromEnv({
      SLO_MAX_CONSECUTIVE_MISMATCH_RUNS: '5',
      SLO_MIN_RECONCILIATION_PASS_RATE: '99%',
      SLO_MAX_OPERATIONAL_ERROR_RATE: '0.05',
      SLO_ACK_SLA_SECONDS: '',
      SLO_PAGING_ENABLED: 'true',
    });
    expect(t.maxConsecutiveMismatchRuns).toBe(5);
    expect(t.minReconciliationPassRate).toBeCloseTo(0.99);
    expect(t.maxOperationalErrorRate).toBe(0.05);
    expect(t.ackSlaSeconds).toBe(900);
  });

  it('names every bad variable', () => {
    let err: unknown;
    try {
      thresholdsFromEnv({ SLO_RTO_SECONDS: 'soon', SLO_MAX_CONSECUTIVE_MISMATCH_RUNS: '2.5', SLO_MIN_RECONCILIATION_PASS_RATE: '150%' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toMatch(/SLO_RTO_SECONDS: expected a number/);
    expect(problems).toMatch(/SLO_MAX_CONSECUTIVE_MISMATCH_RUNS/);
    expect(problems).toMatch(/SLO_MIN_RECONCILIATION_PASS_RATE/);
  });
});

describe('consecutive mismatch runs', () => {
  it('exactly 3 consecutive mismatches breaches', () => {
    const s = foldOrderRecon(initialSloState(), recon(['ok', 'mismatch', 'mismatch', 'mismatch', 'ok']));
    const c = get(evaluateSlos(s), 'consecutive_mismatch_runs');
    expect(c).toMatchObject({ value: 3, threshold: 3, comparator: '<', ok: false, severity: 'critical' });
  });

  it('2 does not breach, and an ok in between resets the streak', () => {
    const s = foldOrderRecon(initialSloState(), recon(['mismatch', 'mismatch', 'ok', 'mismatch', 'mismatch', 'ok']));
    expect(get(evaluateSlos(s), 'consecutive_mismatch_runs')).toMatchObject({ value: 2, ok: true });
  });

  it('window latest uses the running streak; run uses the longest', () => {
    const s = foldOrderRecon(initialSloState(), recon(['mismatch', 'mismatch', 'mismatch', 'ok', 'mismatch']));
    expect(get(evaluateSlos(s), 'consecutive_mismatch_runs').value).toBe(3);
    expect(get(evaluateSlos(s, DEFAULT_THRESHOLDS, { window: 'latest' }), 'consecutive_mismatch_runs').value).toBe(1);
    expect(s.order.currentCleanRun).toBe(0);
  });

  it('a streak split across two reads is still one streak', () => {
    let s = foldOrderRecon(initialSloState(), recon(['ok', 'mismatch', 'mismatch']));
    s = foldOrderRecon(s, recon(['mismatch'], 4));
    expect(get(evaluateSlos(s), 'consecutive_mismatch_runs')).toMatchObject({ value: 3, ok: false });
  });

  it('a re-emitted cycle is ignored; a lower cycle is a restart, counted', () => {
    let s = foldOrderRecon(initialSloState(), recon(['mismatch', 'mismatch']));
    s = foldOrderRecon(s, [{ cycle: 2, status: 'mismatch' }]);
    expect(s.order).toMatchObject({ cycles: 2, duplicates: 1, currentMismatchRun: 2 });
    s = foldOrderRecon(s, [{ cycle: 1, status: 'ok' }]);
    expect(s.order).toMatchObject({ cycles: 3, restarts: 1, currentMismatchRun: 0, currentCleanRun: 1 });
  });

  it('does not mutate its input', () => {
    const s0 = initialSloState();
    const copy = JSON.stringify(s0);
    foldOrderRecon(s0, recon(['mismatch']));
    foldOpsSlo(s0, [snapshot(1, 10, 1)]);
    foldIncidents(s0, [{ event_type: 'incident_open', incident_id: 'i1', ts: ts(0) }]);
    expect(JSON.stringify(s0)).toBe(copy);
  });
});

describe('reconciliation pass rate (order + position checks)', () => {
  function withRate(passes: number, checks: number) {
    const statuses = Array.from({ length: checks }, (_, i) => (i < passes ? 'ok' : 'mismatch') as 'ok' | 'mismatch');
    // Spread mismatches so no streak reaches 3 — irrelevant here, but keeps the example realistic.
    return foldOrderRecon(initialSloState(), recon(statuses));
  }

  it('99.5% passes', () => {
    expect(get(evaluateSlos(withRate(995, 1000)), 'reconciliation_pass_rate')).toMatchObject({ value: 0.995, ok: true, comparator: '>=' });
    expect(get(evaluateSlos(withRate(199, 200)), 'reconciliation_pass_rate').ok).toBe(true);
  });

  it('99.4% fails', () => {
    expect(get(evaluateSlos(withRate(994, 1000)), 'reconciliation_pass_rate')).toMatchObject({ value: 0.994, ok: false });
  });

  it('counts order and position cycles as separate checks', () => {
    let s = foldOrderRecon(initialSloState(), recon(['ok', 'ok', 'ok']));
    s = foldPositionRecon(s, recon(['ok', 'mismatch', 'ok']));
    const c = get(evaluateSlos(s), 'reconciliation_pass_rate');
    expect(c.value).toBeCloseTo(5 / 6);
    expect(c.evidence).toMatch(/5\/6/);
  });

  it('falls back to slo_snapshot counters without reconciliation events', () => {
    const s = foldOpsSlo(initialSloState(), [snapshot(1, 100, 0, 1000, 996)]);
    const c = get(evaluateSlos(s), 'reconciliation_pass_rate');
    expect(c).toMatchObject({ value: 0.996, ok: true });
    expect(c.evidence).toMatch(/slo_snapshot/);
  });
});

describe('operational error rate (latest slo_snapshot)', () => {
  it('2.0% passes, 2.1% fails', () => {
    const ok = foldOpsSlo(initialSloState(), [snapshot(1, 50, 5), snapshot(2, 1000, 20)]);
    expect(get(evaluateSlos(ok), 'operational_error_rate')).toMatchObject({ value: 0.02, ok: true, comparator: '<=' });
    const bad = foldOpsSlo(initialSloState(), [snapshot(1, 1000, 21)]);
    expect(get(evaluateSlos(bad), 'operational_error_rate')).toMatchObject({ value: 0.021, ok: false });
  });

  it('adds counters across a monitor restart (counters went backwards)', () => {
    const s = foldOpsSlo(initialSloState(), [snapshot(1, 1000, 10), snapshot(2, 100, 20)]);
    expect(s.ops.resets).toBe(1);
    expect(get(evaluateSlos(s), 'operational_error_rate').value).toBeCloseTo(30 / 1100);
  });

  it('remembers the last slo_breach', () => {
    const s = foldOpsSlo(initialSloState(), [
      { event_type: 'slo_breach', slo: 'consecutive_mismatch_runs', value: 3, threshold: 3, severity: 'critical', ts: ts(9) },
    ]);
    expect(s.ops.lastBreach).toMatchObject({ slo: 'consecutive_mismatch_runs', severity: 'critical' });
  });

  it('zero operations is no evidence', () => {
    const s = foldOpsSlo(initialSloState(), [snapshot(1, 0, 0)]);
    expect(get(evaluateSlos(s), 'operational_error_rate')).toMatchObject({ value: null, ok: undefined });
  });
});

describe('data quality per cycle', () => {
  const dq = (cycle: number, errors: number, stale: number) => ({ cycle, errors, stale_warnings: stale, ts: ts(cycle) });

  it('one stale warning in a cycle fails; zero passes', () => {
    const s = foldDataQuality(initialSloState(), [dq(1, 0, 0), dq(2, 0, 1), dq(3, 0, 0)]);
    const e = evaluateSlos(s);
    expect(get(e, 'stale_warnings')).toMatchObject({ value: 1, ok: false, severity: 'warning' });
    expect(get(e, 'data_quality_errors')).toMatchObject({ value: 0, ok: true });
    // The watcher's view: the last cycle is clean again.
    expect(get(evaluateSlos(s, DEFAULT_THRESHOLDS, { window: 'latest' }), 'stale_warnings')).toMatchObject({ value: 0, ok: true });
  });

  it('one data quality error fails', () => {
    const s = foldDataQuality(initialSloState(), [dq(1, 1, 0)]);
    expect(get(evaluateSlos(s), 'data_quality_errors')).toMatchObject({ value: 1, ok: false, severity: 'critical' });
    expect(s.dataQuality.cyclesWithErrors).toBe(1);
  });
});

describe('ack SLA', () => {
  const open = (id: string, s: number, severity: 'critical' | 'warning' = 'critical') => ({
    event_type: 'incident_open' as const,
    incident_id: id,
    ts: ts(s),
    severity,
  });
  const ack = (id: string, s: number) => ({ event_type: 'incident_ack' as const, incident_id: id, ts: ts(s) });

  it('900 s passes, 901 s fails', () => {
    const base = new Date(Date.UTC(2025, 0, 6, 9, 0, 0)).getTime();
    const at = (sec: number) => new Date(base + sec * 1000).toISOString();
    const pass = foldIncidents(initialSloState(), [
      { event_type: 'incident_open', incident_id: 'a', ts: at(0) },
      { event_type: 'incident_ack', incident_id: 'a', ts: at(900) },
    ]);
    expect(get(evaluateSlos(pass), 'ack_sla')).toMatchObject({ value: 900, ok: true });
    const fail = foldIncidents(initialSloState(), [
      { event_type: 'incident_open', incident_id: 'a', ts: at(0) },
      { event_type: 'incident_ack', incident_id: 'a', ts: at(901) },
    ]);
    expect(get(evaluateSlos(fail), 'ack_sla')).toMatchObject({ value: 901, ok: false });
  });

  it('an unacknowledged critical incident breaches once older than the SLA (given now)', () => {
    const s = foldIncidents(initialSloState(), [open('x', 0), open('w', 0, 'warning')]);
    const now = new Date(Date.UTC(2025, 0, 6, 9, 20, 0)).toISOString();
    expect(get(evaluateSlos(s, DEFAULT_THRESHOLDS, { now }), 'ack_sla')).toMatchObject({ value: 1200, ok: false });
    expect(s.incidents).toMatchObject({ opened: 2, critical: 1 });
    expect(Object.keys(s.incidents.open)).toEqual(['x', 'w']);
  });

  it('acks of warning incidents and duplicate acks are ignored; no critical incident is 0', () => {
    const s = foldIncidents(initialSloState(), [open('w', 0, 'warning'), ack('w', 5000), open('c', 0), ack('c', 10), ack('c', 5000)]);
    expect(s.incidents.criticalAcked).toBe(1);
    expect(get(evaluateSlos(s), 'ack_sla').value).toBe(10);
    expect(get(evaluateSlos(initialSloState()), 'ack_sla')).toMatchObject({ value: 0, ok: true });
  });
});

describe('missing evidence', () => {
  it('is value null, ok undefined: strict fails, lenient skips', () => {
    const e = evaluateSlos(initialSloState());
    expect(e.missing).toEqual(['consecutive_mismatch_runs', 'data_quality_errors', 'stale_warnings', 'reconciliation_pass_rate', 'operational_error_rate']);
    for (const id of e.missing) expect(get(e, id)).toMatchObject({ value: null, ok: undefined });
    expect(e.breaches).toEqual([]);
    expect(sloVerdict(e.criteria, { strict: true })).toMatchObject({ pass: false, failed: [] });
    expect(sloVerdict(e.criteria, { strict: false })).toMatchObject({ pass: true });
  });

  it('RTO / RPO criteria: edges and unmeasured', () => {
    const [rto, rpo] = recoveryCriteria({ rtoSeconds: 900, rpoSeconds: 61 });
    expect(rto).toMatchObject({ id: 'rto', ok: true });
    expect(rpo).toMatchObject({ id: 'rpo', ok: false });
    expect(recoveryCriteria({ rtoSeconds: null, rpoSeconds: 1 })[0]).toMatchObject({ value: null, ok: undefined });
  });
});

describe('properties', () => {
  const statusArb = fc.constantFrom<'ok' | 'mismatch'>('ok', 'mismatch');

  it('folding in any split equals folding at once (incremental reads are exact)', () => {
    fc.assert(
      fc.property(fc.array(statusArb, { maxLength: 200 }), fc.array(fc.nat(200), { maxLength: 5 }), (statuses, cuts) => {
        const events = recon(statuses);
        const whole = foldOrderRecon(initialSloState(), events);
        const points = [...new Set(cuts.map((c) => Math.min(c, events.length)))].sort((a, b) => a - b);
        let s = initialSloState();
        let from = 0;
        for (const p of [...points, events.length]) {
          s = foldOrderRecon(s, events.slice(from, p));
          from = p;
        }
        expect(s).toEqual(whole);
      }),
    );
  });

  it('the longest streak matches a direct count, and the rate stays in [0, 1]', () => {
    fc.assert(
      fc.property(fc.array(statusArb, { minLength: 1, maxLength: 300 }), (statuses) => {
        const s = foldOrderRecon(initialSloState(), recon(statuses));
        const longest = Math.max(
          0,
          ...statuses
            .join('')
            .split('ok')
            .map((m) => m.length / 'mismatch'.length),
        );
        expect(s.order.maxMismatchRun).toBe(longest);
        const e = evaluateSlos(s);
        const rate = get(e, 'reconciliation_pass_rate').value!;
        expect(rate).toBeGreaterThanOrEqual(0);
        expect(rate).toBeLessThanOrEqual(1);
        expect(get(e, 'consecutive_mismatch_runs').ok).toBe(longest < 3);
      }),
    );
  });

  it('state survives a JSON round trip (workflow state, continue-as-new)', () => {
    fc.assert(
      fc.property(fc.array(statusArb, { maxLength: 50 }), fc.array(fc.record({ e: fc.nat(5), w: fc.nat(2) }), { maxLength: 20 }), (statuses, cycles) => {
        let s = foldOrderRecon(initialSloState(), recon(statuses));
        s = foldDataQuality(
          s,
          cycles.map((c, i) => ({ cycle: i + 1, errors: c.e, stale_warnings: c.w })),
        );
        expect(JSON.parse(JSON.stringify(s))).toEqual(s);
        expect(JSON.stringify(s).length).toBeLessThan(2000);
      }),
    );
  });
});

describe('light line validators (tailer fast path)', () => {
  const line = fc.record({
    ts: fc.constantFrom('2025-01-06T09:00:00Z', 'yesterday', 5),
    cycle: fc.oneof(fc.nat(), fc.constant(-1), fc.constant(1.5), fc.constant('3')),
    status: fc.constantFrom('ok', 'mismatch', 'OK', null),
    orders_checked: fc.nat(),
    positions_checked: fc.nat(),
    errors: fc.oneof(fc.nat(3), fc.constant(-1)),
    stale_warnings: fc.oneof(fc.nat(3), fc.constant('0')),
    symbols_checked: fc.nat(),
  });

  it('accept every line the full artifact schemas accept', () => {
    fc.assert(
      fc.property(line, (l) => {
        if (orderReconciliationEventSchema.safeParse(l).success) expect(reconFoldLineSchema.safeParse(l).success).toBe(true);
        if (positionReconciliationEventSchema.safeParse(l).success) expect(reconFoldLineSchema.safeParse(l).success).toBe(true);
        if (dataQualityEventSchema.safeParse(l).success) expect(dataQualityFoldLineSchema.safeParse(l).success).toBe(true);
      }),
    );
  });

  it('reject what the folds cannot use, naming the field', () => {
    expect(reconFoldLineSchema.safeParse([1])).toMatchObject({ success: false });
    expect(reconFoldLineSchema.safeParse({ cycle: 1, status: 'bad' })).toMatchObject({ success: false, error: { issues: [{ path: ['status'] }] } });
    expect(dataQualityFoldLineSchema.safeParse({ cycle: 1, errors: 0 })).toMatchObject({ success: false, error: { issues: [{ path: ['stale_warnings'] }] } });
    expect(reconFoldLineSchema.safeParse({ cycle: 2, status: 'ok', extra: 1 })).toEqual({ success: true, data: { cycle: 2, status: 'ok', extra: 1 } });
  });
});
