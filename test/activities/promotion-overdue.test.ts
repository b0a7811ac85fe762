/**
 * The gate's evidence activity reads the drill's target calendar from the targets file (issue 15):
 * a drill overdue because every weekly slot since it was blocked by a change freeze gets that reason
 * in the gate's overdue check. Real files; the calendar is built around today.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPromotionActivities } from '../../src/activities/promotion';
import { evaluatePromotion, resolvePromotionThresholds } from '../../src/domain/promotion';
import { zonedParts } from '../../src/domain/zoned-time';
import { fileTargetResolver } from '../../src/io/targets';
import { DAY, drillReport, NOW, writeDrillReport, writeRunFolder } from '../fixtures/promotion/evidence';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'promo-cal-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const wall = (ms: number) => {
  const p = zonedParts(ms, 'UTC');
  const z = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${z(p.year, 4)}-${z(p.month)}-${z(p.day)}T${z(p.hour)}:${z(p.minute)}`;
};

function targetsFile(blackout?: { start: string; end: string }): string {
  const file = path.join(root, 'targets.json');
  const t = {
    mode: 'live',
    artifactsRoot: 'runs',
    runId: 'r1',
    auditLogsDir: 'audit',
    gatewayUrl: 'http://127.0.0.1:9',
    process: { adapter: 'shell', stop: 'true', start: 'true', health: 'true' },
    stateFile: 's.json',
    broker: { apiUrl: 'http://127.0.0.1:9', wsUrl: 'ws://127.0.0.1:9' },
    symbols: ['SPY'],
    calendar: {
      name: 'TEST',
      timezone: 'UTC',
      blackouts: blackout ? [{ name: 'quarter-end freeze', ...blackout }] : [],
    },
  };
  fs.writeFileSync(file, JSON.stringify({ targets: { 'live-1': t } }));
  return file;
}

test("a freeze covering every slot since the last drill: the gate fails drill_age with the calendar's reason", async () => {
  const now = Date.parse(NOW);
  // The freeze starts before the last drill finished (21 days ago): with a start after it, a weekly
  // slot fell between the two on one day of the week, and that slot was allowed.
  const file = targetsFile({ start: wall(now - 22 * DAY), end: wall(now + 3 * DAY) });
  writeRunFolder(path.join(root, 'runs'), 'r1');
  writeDrillReport(root, drillReport({ drillId: 'd-old', target: 'live-1', finishedMsAgo: 21 * DAY }));
  const acts = createPromotionActivities({
    runsDir: path.join(root, 'runs'),
    resultsDir: root,
    targets: fileTargetResolver(file),
  });
  const e = await acts.gatherPromotionEvidence({ runId: 'r1', target: 'live-1' });
  expect(e.drillCalendar).toMatchObject({ target: 'live-1', calendar: 'TEST', allowedSlots: [] });
  expect(e.drillCalendar!.blockedWeeks.length).toBeGreaterThanOrEqual(2);
  const v = evaluatePromotion(e, {
    experimentId: 'x',
    runId: 'r1',
    strict: true,
    thresholds: resolvePromotionThresholds(),
    now: NOW,
    target: 'live-1',
  });
  const age = v.criteria.find((c) => c.id === 'drill_age')!;
  expect(age.verdict).toBe('fail');
  expect(age.evidence).toContain('overdue — calendar TEST for live-1: every weekly drill slot since');
  expect(age.evidence).toContain('blackout "quarter-end freeze"');
});

test('no targets file (a CI runner with only the results): the gate still decides, without a calendar reason', async () => {
  writeRunFolder(path.join(root, 'runs'), 'r1');
  writeDrillReport(root, drillReport({ drillId: 'd-old', target: 'live-1', finishedMsAgo: 10 * DAY }));
  const acts = createPromotionActivities({
    runsDir: path.join(root, 'runs'),
    resultsDir: root,
    targets: fileTargetResolver(path.join(root, 'missing.json')),
  });
  const e = await acts.gatherPromotionEvidence({ runId: 'r1' });
  expect(e.drillCalendar).toBeUndefined();
  const v = evaluatePromotion(e, {
    experimentId: 'x',
    runId: 'r1',
    strict: true,
    thresholds: resolvePromotionThresholds(),
    now: NOW,
  });
  expect(v.criteria.find((c) => c.id === 'drill_age')).toMatchObject({ verdict: 'fail' });
});
