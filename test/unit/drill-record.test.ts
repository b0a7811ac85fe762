/**
 * The drill's test record (issue 13, item 2): scope, objectives, preconditions and findings built from
 * the drill's own state; findings tracked to the drill that re-tests them; the sign-off's refusals.
 */
import { auditSettingsSchema, buildDrillRecord, trackFindings, type DrillRecordInput, type RecordedDrill } from '../../src/domain/drill-record';
import { drillSignOffInputSchema, signOffRefusal, signOffRequestSchema } from '../../src/domain/drill-signoff';
import { renderDrillHtml, renderDrillMarkdown } from '../../src/report/drill-report';
import { drillReportSchema } from '../../src/domain/drill-report';

const audit = auditSettingsSchema.parse({});
const base: DrillRecordInput = {
  drillId: 'drill-1',
  target: 'paper-1',
  mode: 'paper',
  finishedAt: '2026-11-29T03:10:00.000Z',
  bounds: { rtoSeconds: 900, rpoSeconds: 60, detectionSeconds: 120, recoverySeconds: 120, stopSeconds: 300, restartSeconds: 1800, verifySeconds: 300 },
  scenarios: ['stale_data', 'order_drift'],
  preflight: {
    healthy: true,
    healthDetail: 'ok',
    mode: 'paper',
    entriesHalted: false,
    haltReason: null,
    openCriticalIncidents: [],
    activeFaults: [],
    lastSave: { savedAt: '2026-11-29T03:00:00Z', seq: 7, ageSeconds: 2 },
    brokerHealthy: true,
    loops: { reconciliation: true },
  },
  allowLive: false,
  faultAdapter: 'http',
  steps: [
    { name: 'stop', status: 'ok', detail: 'stopped in 1.2 s' },
    { name: 'restart', status: 'ok' },
  ],
  chaos: [{ scenario: 'stale_data', detected: true, detectionSeconds: 1.5, recovered: true }],
  chaosSkipped: [{ scenario: 'order_drift', reason: 'the target declares no order_drift fault' }],
  checks: [{ name: 'runtime state restored', ok: true, detail: 'digest matches' }],
  rto: { seconds: 12.5, ok: true },
  rpo: { seconds: 70, ok: false },
  failures: ['RPO 70 s exceeds the target 60 s'],
  audit,
  signOffWorkflowId: 'drill-signoff~paper-1~drill-1',
};

test('defaults: owner and approvers named, 2-day sign-off SLA, 30-day expiry, findings due in 7 days; expiry must follow the SLA', () => {
  expect(audit).toEqual({
    owner: 'dr-drill-owner',
    approver: 'dr-approver',
    backupApprover: 'dr-backup-approver',
    signOff: true,
    signOffSeconds: 172800,
    signOffExpirySeconds: 2592000,
    findingDueDays: 7,
  });
  const bad = auditSettingsSchema.safeParse({ signOffSeconds: 3600, signOffExpirySeconds: 60 });
  expect(bad.success).toBe(false);
  expect(bad.error?.issues[0]).toMatchObject({ path: ['signOffExpirySeconds'], message: 'signOffExpirySeconds must be longer than signOffSeconds' });
});

test('the record: scope, each objective met or not (skipped ones not exercised), preconditions, each failure a finding, the sign-off due', () => {
  const r = buildDrillRecord(base);
  expect(r.scope).toMatchObject({ target: 'paper-1', mode: 'paper', scenarios: ['stale_data', 'order_drift'] });
  expect(r.scope.systems).toEqual(expect.arrayContaining(['broker connection', 'fault injection through the http adapter', 'reconciliation loop']));
  const byId = Object.fromEntries(r.objectives.map((o) => [o.id, o]));
  expect(byId.rto).toMatchObject({ target: '≤ 900 s', measured: '12.5 s', met: true });
  expect(byId.rpo).toMatchObject({ target: '≤ 60 s', measured: '70 s', met: false });
  expect(byId['chaos:stale_data']).toMatchObject({ measured: 'detected in 1.5 s, recovered', met: true });
  expect(byId['chaos:order_drift']).toMatchObject({ met: null, measured: 'not run: the target declares no order_drift fault' });
  expect(byId['graceful-stop']).toMatchObject({ met: true, measured: 'ok: stopped in 1.2 s' });
  expect(byId.verification).toMatchObject({ met: true, measured: '1/1 checks ok' });
  expect(r.preconditions.every((p) => p.ok)).toBe(true);
  expect(r.preconditions.map((p) => p.name)).toContain('a state save to measure RPO against');
  expect(r.deficiencies).toEqual([
    {
      id: 'drill-1#1',
      finding: 'RPO 70 s exceeds the target 60 s',
      owner: 'dr-drill-owner',
      dueAt: '2026-12-06T03:10:00.000Z',
      retest: 'the next drill of paper-1',
    },
  ]);
  expect(r.signOff).toEqual({
    workflowId: 'drill-signoff~paper-1~drill-1',
    approver: 'dr-approver',
    backupApprover: 'dr-backup-approver',
    dueAt: '2026-12-01T03:10:00.000Z',
    expiresAt: '2026-12-29T03:10:00.000Z',
  });
});

test('a drill refused before its preflight finished records the precondition as not met, and no sign-off without a workflow', () => {
  const { preflight: _p, signOffWorkflowId: _s, ...rest } = base;
  const r = buildDrillRecord({ ...rest, steps: [], chaos: [], chaosSkipped: [], checks: [] });
  expect(r.preconditions).toEqual([{ name: 'preflight', ok: false, detail: expect.stringMatching(/did not complete/) }]);
  expect(r.signOff).toBeUndefined();
  expect(r.objectives.find((o) => o.id === 'restart')).toMatchObject({ met: null, measured: 'not run' });
});

test("findings are tracked to the target's next drill: a pass closes them, a fail leaves them failing, none yet is open or overdue", () => {
  const finding = (drillId: string, dueAt: string) => ({ id: `${drillId}#1`, finding: 'x', owner: 'o', dueAt, retest: 'next' });
  const drills: RecordedDrill[] = [
    {
      drillId: 'a1',
      target: 'A',
      startedAt: '2026-11-01T03:00:00Z',
      finishedAt: '2026-11-01T03:10:00Z',
      result: 'fail',
      record: { deficiencies: [finding('a1', '2026-11-08T03:10:00Z')] },
    },
    { drillId: 'b1', target: 'B', startedAt: '2026-11-05T03:00:00Z', finishedAt: '2026-11-05T03:10:00Z', result: 'pass' },
    {
      drillId: 'a2',
      target: 'A',
      startedAt: '2026-11-08T03:00:00Z',
      finishedAt: '2026-11-08T03:10:00Z',
      result: 'fail',
      record: { deficiencies: [finding('a2', '2026-11-15T03:10:00Z')] },
    },
    { drillId: 'a3', target: 'A', startedAt: '2026-11-15T03:00:00Z', finishedAt: '2026-11-15T03:10:00Z', result: 'pass' },
    {
      drillId: 'b2',
      target: 'B',
      startedAt: '2026-11-20T03:00:00Z',
      finishedAt: '2026-11-20T03:10:00Z',
      result: 'fail',
      record: { deficiencies: [finding('b2', '2026-11-27T03:10:00Z')] },
    },
    {
      drillId: 'c1',
      target: 'C',
      startedAt: '2026-11-28T03:00:00Z',
      finishedAt: '2026-11-28T03:10:00Z',
      result: 'fail',
      record: { deficiencies: [finding('c1', '2026-12-05T03:10:00Z')] },
    },
  ];
  const t = trackFindings(drills, '2026-12-01T00:00:00Z');
  expect(t.map((f) => [f.id, f.state, f.retestedBy?.drillId])).toEqual([
    ['a1#1', 'still failing', 'a2'],
    ['a2#1', 'closed', 'a3'],
    ['b2#1', 'overdue', undefined],
    ['c1#1', 'open', undefined],
  ]);
});

test('sign-off requests and input are validated; a signed or expired sign-off refuses another', () => {
  expect(signOffRequestSchema.safeParse({ by: ' ', role: 'r', decision: 'accepted' }).success).toBe(false);
  expect(signOffRequestSchema.parse({ by: 'alice', role: 'DR test owner', decision: 'rejected' })).toEqual({
    by: 'alice',
    role: 'DR test owner',
    decision: 'rejected',
    notes: '',
  });
  expect(
    drillSignOffInputSchema.safeParse({
      drillId: 'd',
      target: 't',
      drillResult: 'pass',
      approver: 'a',
      backupApprover: 'b',
      dueAt: '2026-12-01T00:00:00Z',
      expiresAt: '2026-11-01T00:00:00Z',
    }).success,
  ).toBe(false);
  expect(signOffRefusal({ state: 'awaiting' })).toBeUndefined();
  expect(signOffRefusal({ state: 'backup-paged' })).toBeUndefined();
  expect(signOffRefusal({ state: 'expired' })).toMatch(/expired/);
  expect(signOffRefusal({ state: 'signed', signOff: { by: 'alice', role: 'r', decision: 'accepted', notes: '', signedAt: '2026-12-01T00:00:00Z' } })).toMatch(
    /already signed off by alice/,
  );
});

test('the report renders the record: scope, objectives, preconditions, findings, procedure version and how to sign', () => {
  const record = {
    ...buildDrillRecord(base),
    procedure: { runbook: 'RUNBOOK.md: Disaster Recovery Drill (Weekly)', packageVersion: '0.1.0', commit: 'abc1234', workflowBundleSha256: null },
  };
  const report = drillReportSchema.parse({
    schemaVersion: 1,
    drillId: 'drill-1',
    target: 'paper-1',
    mode: 'paper',
    startedAt: '2026-11-29T03:00:00Z',
    finishedAt: '2026-11-29T03:10:00Z',
    result: 'fail',
    rto: { seconds: 12.5, targetSeconds: 900, ok: true },
    rpo: { seconds: 70, targetSeconds: 60, ok: false },
    timeline: {},
    failures: base.failures,
    record,
  });
  const md = renderDrillMarkdown(report);
  for (const h of ['## Scope', '## Objectives', '## Preconditions (preflight)', '## Findings', '## Procedure version', '## Sign-off']) expect(md).toContain(h);
  expect(md).toContain('| drill-1#1 | RPO 70 s exceeds the target 60 s | dr-drill-owner | 2026-12-06T03:10:00.000Z | the next drill of paper-1 |');
  expect(md).toContain('drill sign-off --target paper-1 --drill-id drill-1');
  expect(md).toContain('commit abc1234');
  const html = renderDrillHtml(report);
  expect(html).toContain('<h2>Objectives</h2>');
  expect(html).toContain('NOT MET');
  expect(html).toContain('href="signoff.json"');
});

test('a drill whose preflight never read the target says its mode is unknown instead of guessing "paper"', () => {
  const { preflight: _p, ...rest } = base;
  const record = buildDrillRecord({ ...rest, steps: [], chaos: [], chaosSkipped: [], checks: [], failures: ['preflight: unknown target paper-9'] });
  const report = drillReportSchema.parse({
    schemaVersion: 1,
    drillId: 'drill-9',
    target: 'paper-9',
    mode: 'paper',
    startedAt: '2026-11-29T03:00:00Z',
    finishedAt: '2026-11-29T03:00:01Z',
    result: 'error',
    rto: { seconds: null, targetSeconds: 900, ok: false },
    rpo: { seconds: null, targetSeconds: 60, ok: false },
    timeline: {},
    failures: ['preflight: unknown target paper-9'],
    record,
  });
  expect(renderDrillMarkdown(report)).toContain('- target: `paper-9` (mode unknown: the preflight did not run)');
  expect(renderDrillHtml(report)).toContain('(mode unknown: the preflight did not run)');
  expect(renderDrillMarkdown({ ...report, record: buildDrillRecord(base) })).toContain('- target: `paper-9` (paper)');
});

test('report.md links its files relative to itself and lists the timeline in the order things happened', () => {
  const report = drillReportSchema.parse({
    schemaVersion: 1,
    drillId: 'drill-2',
    target: 'paper-1',
    mode: 'paper',
    startedAt: '2026-11-29T03:00:00Z',
    finishedAt: '2026-11-29T03:01:00Z',
    result: 'pass',
    rto: { seconds: 5, targetSeconds: 900, ok: true },
    rpo: { seconds: 1, targetSeconds: 60, ok: true },
    failures: [],
    // detected before the stop request: the table follows the times, not a fixed order
    timeline: {
      stopRequestedAt: '2026-11-29T03:00:10Z',
      detectedAt: '2026-11-29T03:00:05Z',
      stoppedAt: '2026-11-29T03:00:11Z',
      lastStateSaveAt: '2026-11-29T03:00:09Z',
    },
  });
  const md = renderDrillMarkdown(report, { json: 'report.json', html: 'report.html' });
  expect(md).toContain('- report: [report.json](report.json)');
  const rows = md
    .split('\n')
    .filter((l) => /^\| (outage detected|last state save|stop requested|stopped) \|/.test(l))
    .map((l) => l.split('|')[1]!.trim());
  expect(rows).toEqual(['outage detected', 'last state save', 'stop requested', 'stopped']);
});
