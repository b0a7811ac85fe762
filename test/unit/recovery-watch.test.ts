/** Pure recovery criteria and watcher decisions. */
import { dataQualityStep, nextCleanStreak, reconciliationVerdict } from '../../src/domain/recovery';
import { addCounts, decideCycle, initialCarried } from '../../src/domain/watch';

const counts = (o: number, op: number, p: number, pp: number) => ({ orderCycles: o, orderPasses: op, positionCycles: p, positionPasses: pp });

test('reconciliation cycles: clean counts, dirty resets, idle holds', () => {
  expect(reconciliationVerdict(counts(0, 0, 0, 0), counts(3, 3, 3, 3))).toBe('clean');
  expect(reconciliationVerdict(counts(0, 0, 0, 0), counts(3, 2, 3, 3))).toBe('dirty');
  expect(reconciliationVerdict(counts(0, 0, 0, 0), counts(3, 3, 3, 2))).toBe('dirty');
  expect(reconciliationVerdict(counts(0, 0, 0, 0), counts(3, 3, 3, 3), 1)).toBe('dirty');
  expect(reconciliationVerdict(counts(3, 3, 3, 3), counts(3, 3, 3, 3))).toBe('idle');
  const streak = ['clean', 'dirty', 'clean', 'idle', 'clean'].reduce((n, v) => nextCleanStreak(n, v as 'clean'), 0);
  expect(streak).toBe(2);
});

test('data quality: a clean validation, then a later clean quality cycle; a dirty probe starts over', () => {
  const clean = { errors: 0, staleWarnings: 0, symbols: 3, issues: [] };
  let s = dataQualityStep({ cleanFromCycle: null }, { validation: clean, latest: { cycle: 5, errors: 0, stale_warnings: 0 } });
  expect(s).toMatchObject({ passed: false, progress: { cleanFromCycle: 5 } });
  s = dataQualityStep(s.progress, { validation: clean, latest: { cycle: 5, errors: 0, stale_warnings: 0 } });
  expect(s).toMatchObject({ passed: false, verdict: 'idle' });
  const dirty = dataQualityStep(s.progress, { validation: clean, latest: { cycle: 6, errors: 2, stale_warnings: 0 } });
  expect(dirty).toMatchObject({ passed: false, verdict: 'dirty', progress: { cleanFromCycle: null } });
  expect(dataQualityStep(s.progress, { validation: clean, latest: { cycle: 6, errors: 0, stale_warnings: 0 } }).passed).toBe(true);
  expect(dataQualityStep({ cleanFromCycle: 1 }, { validation: null, latest: null }).verdict).toBe('dirty');
});

test('watcher: target incidents open at once; its own critical breach only after the grace, once per episode', () => {
  const breach = {
    id: 'consecutive_mismatch_runs',
    label: 'x',
    value: 3,
    threshold: 3,
    comparator: '<',
    ok: false,
    severity: 'critical',
    unit: 'count',
    evidence: '',
  } as const;
  const base = {
    now: '2026-11-25T00:00:00Z',
    incidentEvents: [],
    evaluation: { breaches: [breach] },
    openTargetIncidents: [],
    selfOpenAfterCycles: 2,
    cycle: 1,
  };
  const c0 = initialCarried();
  const d1 = decideCycle(c0, base);
  expect(d1.open).toEqual([]);
  expect(d1.breaches).toHaveLength(1);
  const d2 = decideCycle({ ...c0, ...d1 }, { ...base, cycle: 2 });
  expect(d2.open.map((o) => o.incidentId)).toEqual(['watch-consecutive_mismatch_runs-c2']);
  expect(d2.breaches).toHaveLength(0);
  const d3 = decideCycle({ ...c0, ...d2 }, { ...base, cycle: 3 });
  expect(d3.open).toEqual([]);
  // A target incident open: the target owns it.
  expect(decideCycle({ ...c0, ...d1 }, { ...base, openTargetIncidents: ['inc-1'] }).open).toEqual([]);
  const t = decideCycle(c0, {
    ...base,
    evaluation: { breaches: [] },
    incidentEvents: [{ event_type: 'incident_open', incident_id: 'inc-9', ts: base.now, severity: 'warning', incident_class: 'reconciliation' }],
  });
  expect(t.open).toEqual([expect.objectContaining({ incidentId: 'inc-9', source: 'target', hint: 'reconciliation' })]);
});

test('watcher counters add read and corrupt lines per file', () => {
  const c = addCounts(initialCarried().counters, {
    files: { orderReconciliation: { read: 4, corrupt: 1 }, incidents: { read: 2, corrupt: 2 } },
    incidentEvents: 2,
    sloBreaches: 0,
    auditEvents: 1,
  });
  expect(c).toMatchObject({ linesRead: { orderReconciliation: 4, incidents: 2 }, dataQualityErrors: 3, incidentEvents: 2, auditEvents: 1 });
});
