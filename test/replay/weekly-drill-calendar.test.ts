/**
 * Determinism guard for the weekly drill's market-calendar preflight (issue 15, patch
 * `market-calendar-preflight`): a drill refused inside a blackout, recorded by
 * `RECORD_HISTORIES=1 npx jest test/workflow/weekly-drill-calendar.test.ts`, replays against today's
 * code. The drill's histories recorded before the patch replay in `weekly-drill.test.ts`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { installTestRuntime } from '../helpers/temporal';

const FILE = path.join(__dirname, 'histories', 'calendar-weekly-drill-refused.json');

beforeAll(() => installTestRuntime());

test('a drill refused by the market calendar replays against the current workflow code', async () => {
  type Event = {
    eventType?: string;
    activityTaskScheduledEventAttributes?: { activityType?: { name?: string } };
    markerRecordedEventAttributes?: { details?: Record<string, { payloads?: Array<{ data?: string }> }> };
  };
  const json = JSON.parse(fs.readFileSync(FILE, 'utf8')) as { events: Event[] };
  // The history holds the patch marker and the calendar activity, and no call to the target.
  const activities = json.events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
  expect(activities[0]).toBe('drillCalendarCheck');
  expect(activities).not.toContain('drillPreflight');
  const patches = json.events
    .flatMap((e) => e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads ?? [])
    .map((p) => (JSON.parse(Buffer.from(p.data ?? '', 'base64').toString('utf8')) as { id: string }).id);
  expect(patches).toContain('market-calendar-preflight');
  await Worker.runReplayHistory({ workflowsPath: require.resolve('../../src/workflows') }, historyFromJSON(json), 'replay-calendar-refused');
});
