import { defaultPolicy, escalationSchedule, incidentAckInputSchema, makeAckRecord, pageDedupKey, slaVerdict } from '../../src/domain/incident-ack';
import { severityReaches } from '../../src/domain/severity';

test('the default policy is one level at the SLA', () => {
  expect(escalationSchedule(defaultPolicy(900))).toEqual([{ level: 1, round: 0, name: 'on-call', atSeconds: 900 }]);
});

test('levels accumulate, repeats run the whole list again', () => {
  const steps = escalationSchedule({
    levels: [
      { afterSeconds: 900, name: 'a' },
      { afterSeconds: 300, name: 'b' },
    ],
    repeats: 2,
  });
  expect(steps.map((s) => [s.level, s.round, s.atSeconds])).toEqual([
    [1, 0, 900],
    [2, 0, 1200],
    [1, 1, 2100],
    [2, 1, 2400],
    [1, 2, 3300],
    [2, 2, 3600],
  ]);
});

test('SLA: 900 s exactly is met (<= 15 minutes), 900.001 s is breached', () => {
  expect(makeAckRecord({ ackBy: 'a' }, 0, 900_000, 900).slaMet).toBe(true);
  expect(makeAckRecord({ ackBy: 'a' }, 0, 900_001, 900).slaMet).toBe(false);
  expect(slaVerdict(0, 899_000, 900)).toBe('pending');
  expect(slaVerdict(0, 900_500, 900)).toBe('breached');
});

test('input defaults and validation', () => {
  const p = incidentAckInputSchema.parse({ runId: 'r1', incidentId: 'i1', severity: 'critical' });
  expect(p.ackSlaSeconds).toBe(900);
  expect(p.keepOpenAfterAckSeconds).toBe(600);
  const bad = incidentAckInputSchema.safeParse({ runId: 'r1', incidentId: 'i1', severity: 'critical', escalation: { levels: [] } });
  expect(bad.success).toBe(false);
  expect(bad.error?.issues[0]?.path).toEqual(['escalation', 'levels']);
});

test('dedup key is stable per incident, level and round', () => {
  expect(pageDedupKey('r', 'i', 2, 1)).toBe('drill-runner/r/i/L2/R1');
});

test('severity threshold', () => {
  expect(severityReaches('critical', 'warning')).toBe(true);
  expect(severityReaches('warning', 'critical')).toBe(false);
  expect(severityReaches('warning', 'warning')).toBe(true);
});
