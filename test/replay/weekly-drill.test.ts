/**
 * Determinism guard for weeklyDrillWorkflow: histories recorded from the integration tests
 * (`RECORD_HISTORIES=1 npx jest --selectProjects integration --runTestsByPath test/integration/weekly-drill.test.ts`;
 * the chaos-contract ones from test/integration/drill-chaos-contract.test.ts; the bounded-waits one from
 * test/integration/drill-truth.test.ts, the bounded-chaos one is the shell-declared-faults drill of
 * drill-chaos-contract.test.ts recorded after the patch; the fast-* ones, since drill-fast-orchestration, are the passing
 * and the cancelled drill of test/integration/weekly-drill.test.ts; the one-call-* ones, since drill-chaos-one-call, the same two
 * drills, recorded with `RECORD_HISTORIES=weekly-drill-one-call`)
 * must replay against today's workflow code. A change that alters the commands needs `patched()`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { installTestRuntime } from '../helpers/temporal';

const HISTORIES = path.join(__dirname, 'histories');
const recorded = fs.readdirSync(HISTORIES).filter((f) => f.startsWith('weekly-drill-') && f.endsWith('.json'));

beforeAll(() => installTestRuntime());

test('recorded weekly-drill histories exist (pass, RPO breach, undetected chaos fault; issue 9: drain, stop incomplete, refused while another drill runs, chaos through the contract, chaos skipped; issue 11: bounded waits; issue 13: the test record and its sign-off; issue 12: local activities, passing and cancelled; one call per scenario for inject, detection and clear, passing and cancelled)', () => {
  expect(recorded.sort()).toEqual([
    'weekly-drill-bounded-chaos.json',
    'weekly-drill-bounded-waits.json',
    'weekly-drill-chaos-contract.json',
    'weekly-drill-chaos-skipped.json',
    'weekly-drill-fast-cancelled.json',
    'weekly-drill-fast-pass.json',
    'weekly-drill-one-call-cancelled.json',
    'weekly-drill-one-call-pass.json',
    'weekly-drill-pass.json',
    'weekly-drill-rpo-breach.json',
    'weekly-drill-signoff.json',
    'weekly-drill-truth-busy-refused.json',
    'weekly-drill-truth-drain-pass.json',
    'weekly-drill-truth-stop-incomplete.json',
    'weekly-drill-undetected.json',
  ]);
});

test("the fast-* histories run the drill-fast-orchestration path: its patch marker and the local activities' markers", () => {
  type Marker = { markerName: string; details?: Record<string, { payloads: Array<{ data: string }> }> };
  const fast = recorded.filter((f) => f.startsWith('weekly-drill-fast-'));
  expect(fast.length).toBe(2);
  for (const f of fast) {
    const events = JSON.parse(fs.readFileSync(path.join(HISTORIES, f), 'utf8')).events as Array<{ markerRecordedEventAttributes?: Marker }>;
    const markers = events.flatMap((e) => (e.markerRecordedEventAttributes ? [e.markerRecordedEventAttributes] : []));
    const patches = markers
      .filter((m) => m.markerName === 'core_patch')
      .map((m) => (JSON.parse(Buffer.from(m.details?.['patch-data']?.payloads[0]?.data ?? '', 'base64').toString('utf8')) as { id: string }).id);
    expect(patches).toContain('drill-fast-orchestration');
    expect(markers.filter((m) => m.markerName === 'core_local_activity').length).toBeGreaterThan(10);
  }
});

test('the one-call-* histories run the drill-chaos-one-call path: its patch marker, one drillInjectDetectClear per scenario and no separate inject', () => {
  const oneCall = recorded.filter((f) => f.startsWith('weekly-drill-one-call-'));
  expect(oneCall.length).toBe(2);
  for (const f of oneCall) {
    type Ev = {
      markerRecordedEventAttributes?: { markerName: string; details?: Record<string, { payloads: Array<{ data: string }> }> };
      activityTaskScheduledEventAttributes?: { activityType: { name: string } };
    };
    const events = JSON.parse(fs.readFileSync(path.join(HISTORIES, f), 'utf8')).events as Ev[];
    const patches = events
      .flatMap((e) => (e.markerRecordedEventAttributes?.markerName === 'core_patch' ? [e.markerRecordedEventAttributes] : []))
      .map((m) => (JSON.parse(Buffer.from(m.details?.['patch-data']?.payloads[0]?.data ?? '', 'base64').toString('utf8')) as { id: string }).id);
    expect(patches).toContain('drill-chaos-one-call');
    const activities = events.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType.name] : []));
    expect(activities.filter((a) => a === 'drillInjectDetectClear').length).toBeGreaterThan(0);
    expect(activities).not.toContain('chaosInject');
  }
});

test('the drill lock history (issue 9) replays against the current workflow code', async () => {
  const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, 'drill-lock-released.json'), 'utf8')));
  await Worker.runReplayHistory({ workflowsPath: require.resolve('../../src/workflows') }, history, 'replay-drill-lock-released');
});

test.each(recorded)('%s replays against the current workflow code', async (file) => {
  const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8')));
  await Worker.runReplayHistory({ workflowsPath: require.resolve('../../src/workflows') }, history, `replay-${file}`);
});
