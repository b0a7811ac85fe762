/**
 * `results/drills/index.html` and a drill's report.html in a real headless Chromium: no console
 * errors, the trend's labels never overlap, every drill dot links to its report, and the report's
 * link leads back to the trend. Screenshots are kept in test-output/screenshots.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { writeDrillIndex, writeDrillReportFiles } from '../../src/activities/reports';
import { launchChromium, SHOTS } from '../helpers/browser';
import { drillReportSchema, type DrillReport } from '../../src/domain/drill-report';

let browser: Browser;
let dir: string;

function report(
  drillId: string,
  target: string,
  result: DrillReport['result'],
  day: number,
  rto: number | null,
  rpo: number | null,
  rtoTarget = 900,
  rpoTarget = 60,
): DrillReport {
  const finishedAt = new Date(Date.UTC(2026, 10, day, 3, 5)).toISOString();
  return drillReportSchema.parse({
    schemaVersion: 1,
    drillId,
    target,
    mode: 'paper',
    startedAt: finishedAt,
    finishedAt,
    result,
    rto: { seconds: rto, targetSeconds: rtoTarget, ok: rto !== null && rto <= rtoTarget },
    rpo: { seconds: rpo, targetSeconds: rpoTarget, ok: rpo !== null && rpo <= rpoTarget },
    timeline: {},
    failures: [],
  });
}

beforeAll(async () => {
  browser = await launchChromium();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-index-browser-'));
  fs.mkdirSync(SHOTS, { recursive: true });
  // Two targets: one where RTO and RPO span decades (log scale), one where both targets are close (labels must not collide).
  const reports = [
    report('w1', 'paper-1', 'pass', 1, 4.2, 0.3),
    report('w2', 'paper-1', 'pass', 8, 5.1, 0.5),
    report('w3', 'paper-1', 'fail', 15, 950, 0.4),
    report('w4', 'paper-1', 'error', 22, null, null),
    report('v1', 'paper-2', 'pass', 8, 40, 35, 60, 55),
    report('v2', 'paper-2', 'fail', 15, 70, 20, 60, 55),
  ];
  for (const r of reports) await writeDrillReportFiles(dir, r);
  await writeDrillIndex(dir, new Date('2026-12-02T00:00:00Z'));
});

afterAll(async () => {
  await browser?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the trend page renders without errors, its labels never overlap, its dots lead to the reports and back', async () => {
  const page = await browser.newPage({ viewport: { width: 1024, height: 1400 } });
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`file://${path.join(dir, 'drills', 'index.html')}`);
  await page.screenshot({ path: path.join(SHOTS, 'drill-index.png'), fullPage: true });
  expect(errors).toEqual([]);
  const svgs = page.locator('svg.trend');
  expect(await svgs.count()).toBe(2);
  for (let i = 0; i < 2; i++) {
    const boxes = await svgs
      .nth(i)
      .locator('text')
      .evaluateAll((els) =>
        els
          .map((e) => (e as unknown as { getBoundingClientRect(): { x: number; y: number; width: number; height: number } }).getBoundingClientRect())
          .map((b) => ({ x: b.x, y: b.y, w: b.width, h: b.height })),
      );
    expect(boxes.length).toBeGreaterThanOrEqual(4);
    for (let a = 0; a < boxes.length; a++)
      for (let b = a + 1; b < boxes.length; b++) {
        const p = boxes[a]!;
        const q = boxes[b]!;
        const overlap = p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h;
        expect({ svg: i, a, b, overlap }).toEqual({ svg: i, a, b, overlap: false });
      }
    // Nothing drawn outside the chart.
    const svgBox = (await svgs.nth(i).boundingBox())!;
    for (const t of boxes) expect(t.x).toBeGreaterThanOrEqual(svgBox.x - 0.5);
  }
  expect(await page.locator('svg.trend circle').count()).toBe(6);
  await page.locator('svg.trend a[href="w3/report.html"]').click();
  await page.waitForURL(/w3\/report\.html$/);
  expect(await page.locator('h1').innerText()).toMatch(/DR drill w3: FAIL/);
  await page.screenshot({ path: path.join(SHOTS, 'drill-report-w3.png'), fullPage: true });
  await page.locator('a[href="../index.html"]').click();
  await page.waitForURL(/drills\/index\.html$/);
  expect(errors).toEqual([]);
  await page.close();
});

/** Text boxes of one SVG, in page coordinates. */
async function textBoxes(page: Page, selector: string) {
  return page.locator(`${selector} text`).evaluateAll((els) =>
    els.map((e) => {
      const b = (e as unknown as { getBoundingClientRect(): { x: number; y: number; width: number; height: number } }).getBoundingClientRect();
      return { text: (e as unknown as { textContent: string }).textContent, x: b.x, y: b.y, w: b.width, h: b.height };
    }),
  );
}

test("a report's timeline reads at a glance: phases as bands, labels that never overlap or clip (four events at one instant, events at both edges), RTO/RPO visible against targets decades apart", async () => {
  const at = (s: number) => new Date(Date.UTC(2026, 10, 29, 3, 0, 0) + s * 1000).toISOString();
  const base = report('t1', 'paper-3', 'pass', 29, 0.5, 0, 900, 60);
  const reports: DrillReport[] = [
    // Four marks on one instant (stop requested, detected, stopped, restart started) and labels at both ends.
    {
      ...base,
      drillId: 't1',
      timeline: {
        lastStateSaveAt: at(0),
        stopRequestedAt: at(2),
        detectedAt: at(2),
        stoppedAt: at(2),
        restartStartedAt: at(2),
        restartCompleteAt: at(2.4),
        restoredStateSavedAt: at(2.45),
        firstSloSnapshotAt: at(2.5),
        firstCleanReconciliationAt: at(2.6),
      },
    },
    // A long drain and a slow restart: phases of very different lengths.
    {
      ...report('t2', 'paper-3', 'fail', 29, 62, 1.2, 900, 60),
      timeline: {
        lastStateSaveAt: at(0),
        stopRequestedAt: at(1),
        detectedAt: at(1.1),
        stoppedAt: at(21),
        restartStartedAt: at(22),
        restartCompleteAt: at(61),
        firstSloSnapshotAt: at(62),
        firstCleanReconciliationAt: at(63),
      },
    },
    // An error before anything happened: no timeline at all.
    {
      ...report('t3', 'paper-3', 'error', 29, null, null),
      failures: ['preflight: target paper-3 is not in the targets file (known: paper-1, paper-2); add it or check DRILL_TARGETS_FILE'],
    },
  ];
  for (const r of reports) await writeDrillReportFiles(dir, r);
  const page = await browser.newPage({ viewport: { width: 1024, height: 1200 } });
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  for (const r of reports) {
    await page.goto(`file://${path.join(dir, 'drills', r.drillId, 'report.html')}`);
    await page.screenshot({ path: path.join(SHOTS, `drill-report-timeline-${r.drillId}.png`), fullPage: true });
    const svg = (await page.locator('svg.timeline').boundingBox())!;
    const boxes = await textBoxes(page, 'svg.timeline');
    expect(boxes.length).toBeGreaterThanOrEqual(r.drillId === 't3' ? 6 : 14);
    for (let a = 0; a < boxes.length; a++) {
      const p = boxes[a]!;
      // Inside the picture: nothing clipped at either edge.
      expect({ text: p.text, inside: p.x >= svg.x - 0.5 && p.x + p.w <= svg.x + svg.width + 0.5 }).toEqual({ text: p.text, inside: true });
      for (let b = a + 1; b < boxes.length; b++) {
        const q = boxes[b]!;
        const overlap = p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h;
        expect({ drill: r.drillId, a: p.text, b: q.text, overlap }).toEqual({ drill: r.drillId, a: p.text, b: q.text, overlap: false });
      }
    }
    if (r.drillId === 't1') {
      // 0.5 s against 900 s: a log scale, where the measured bar is plainly visible (not a 1 px sliver).
      const bar = (await page.locator('svg.timeline rect.ok').first().boundingBox())!;
      expect(bar.width).toBeGreaterThan(20);
      expect(boxes.map((b) => b.text).join('|')).toMatch(/log scale/);
      expect(await page.locator('svg.timeline rect.band').count()).toBeGreaterThanOrEqual(8); // 4 bands + 4 legend keys
    }
  }
  expect(errors).toEqual([]);
  await page.close();
});
