import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPolicyFile } from '../../src/commands/rehearse';
import { pagerDutyPayload, plainPayload } from '../../src/domain/paging';
import { formatOffset, pageFacts, parseDuration } from '../../src/domain/rehearsal';
import { rehearsalPaging, RehearsalIsolationError } from '../../src/rehearsal/offline-paging';

test('durations: 20m, 90s, 1h30m; junk refused', () => {
  expect(parseDuration('20m')).toBe(1200);
  expect(parseDuration('90s')).toBe(90);
  expect(parseDuration('1h30m')).toBe(5400);
  expect(parseDuration('1h')).toBe(3600);
  for (const bad of ['', '20', 'soon', '-5m', '1d']) expect(parseDuration(bad)).toBeUndefined();
  expect(formatOffset(900.7)).toBe('15:00');
  expect(formatOffset(3725)).toBe('1:02:05');
});

test('page facts are read from what was received, in either format', () => {
  const req = {
    runId: 'r',
    incidentId: 'i',
    severity: 'critical' as const,
    level: 2,
    round: 1,
    levelName: 'secondary',
    openedAt: '2026-01-01T00:00:00Z',
    dedupKey: 'k-2-1',
    action: 'trigger' as const,
    kind: 'incident_ack_sla' as const,
    at: '2026-01-01T00:30:00Z',
  };
  expect(pageFacts({ body: plainPayload(req), headers: {} })).toMatchObject({
    dedupKey: 'k-2-1',
    level: 2,
    round: 1,
    levelName: 'secondary',
    severity: 'critical',
  });
  expect(pageFacts({ body: pagerDutyPayload(req, 'rk'), headers: {} })).toMatchObject({
    dedupKey: 'k-2-1',
    level: 2,
    round: 1,
    levelName: 'secondary',
    action: 'trigger',
  });
  expect(pageFacts({ body: 'not json', headers: { 'idempotency-key': 'from-header' } })).toEqual({
    dedupKey: 'from-header',
  });
});

test('rehearsal paging: every configured URL goes to the recorder (route named), secrets replaced, paging on', () => {
  const configured = {
    enabled: false,
    webhookUrl: 'https://events.example.invalid/v2/enqueue/secret-token',
    minSeverity: 'warning' as const,
    format: 'pagerduty' as const,
    routingKey: 'R0UT1NGKEY',
    timeoutMs: 5000,
  };
  const { paging, routes } = rehearsalPaging(configured, 'http://127.0.0.1:4000');
  expect(paging).toEqual({
    enabled: true,
    webhookUrl: 'http://127.0.0.1:4000/paging/webhookUrl',
    minSeverity: 'warning',
    format: 'pagerduty',
    routingKey: 'rehearsal-routingKey',
    timeoutMs: 5000,
  });
  expect(routes).toEqual({ webhookUrl: '/paging/webhookUrl' });
  expect(JSON.stringify(paging)).not.toContain('secret-token');
  expect(JSON.stringify(paging)).not.toContain('R0UT1NGKEY');
  // Routes paging may grow (per level) are rewritten the same way.
  const more = rehearsalPaging({ ...configured, routes: { secondary: { url: 'https://hooks.example.invalid/b' } } } as never, 'http://127.0.0.1:4000');
  expect(more.routes).toEqual({
    webhookUrl: '/paging/webhookUrl',
    'routes.secondary.url': '/paging/routes.secondary.url',
  });
  expect(() => rehearsalPaging(configured, 'http://10.0.0.5:4000')).toThrow(RehearsalIsolationError);
});

test("policy files: plain or wrapped, validated by the ack timer's own schema, errors name the file and field", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-'));
  const put = (name: string, v: string) => {
    fs.writeFileSync(path.join(dir, name), v);
    return path.join(dir, name);
  };
  try {
    expect(loadPolicyFile(path.resolve(__dirname, '../../examples/escalation-policy.json'))).toMatchObject({ escalation: { repeats: 1 } });
    expect(loadPolicyFile(put('w.json', JSON.stringify({ escalation: { levels: [{ afterSeconds: 60 }] }, ackSlaSeconds: 300 })))).toEqual({
      escalation: { levels: [{ afterSeconds: 60 }], repeats: 0 },
      ackSlaSeconds: 300,
    });
    const bad = put('b.json', JSON.stringify({ levels: [{ name: 'p', afterSeconds: 'soon' }] }));
    expect(() => loadPolicyFile(bad)).toThrow(`--policy ${bad}: levels.0.afterSeconds: afterSeconds must be a number of seconds`);
    const none = put('n.json', JSON.stringify({ levels: [] }));
    expect(() => loadPolicyFile(none)).toThrow('levels: an escalation policy needs at least one level');
    expect(() => loadPolicyFile(put('j.json', '{'))).toThrow(/not JSON/);
    expect(() => loadPolicyFile(path.join(dir, 'missing.json'))).toThrow(/cannot read \(ENOENT\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
