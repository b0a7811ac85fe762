/**
 * `results/drills/index.html`: every drill per target as a trend (RTO and RPO against their targets,
 * verdict per drill, linked to its report), regenerated from disk after each drill and by
 * `drill report index`; escaped; each report links back to it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeDrillIndex, writeDrillReportFiles } from '../../src/activities/reports';
import { drillReportSchema, type DrillReport } from '../../src/domain/drill-report';
import { renderDrillIndex, trendSvg } from '../../src/report/drill-index';
import { renderDrillHtml } from '../../src/report/drill-report';

function report(drillId: string, target: string, result: DrillReport['result'], finishedAt: string, rto: number | null, rpo: number | null): DrillReport {
  return drillReportSchema.parse({
    schemaVersion: 1,
    drillId,
    target,
    mode: 'paper',
    startedAt: finishedAt,
    finishedAt,
    result,
    rto: { seconds: rto, targetSeconds: 900, ok: rto !== null && rto <= 900 },
    rpo: { seconds: rpo, targetSeconds: 60, ok: rpo !== null && rpo <= 60 },
    timeline: {},
    failures: [],
  });
}

const reports = [
  report('d3', 'paper-1', 'fail', '2026-11-29T03:05:00Z', 31.5, 0.4),
  report('d1', 'paper-1', 'pass', '2026-11-15T03:05:00Z', 4.2, 0.3),
  report('d2', 'paper-1', 'pass', '2026-11-22T03:05:00Z', 5.1, 0.5),
  report('x1', 'paper-<2>', 'error', '2026-11-22T04:00:00Z', null, null),
];

test('one section per target, drills oldest first on the chart and newest first in the table, each linked to its report', () => {
  const html = renderDrillIndex(reports, '2026-12-02T00:00:00.000Z');
  expect(html.indexOf('<h2>paper-1</h2>')).toBeLessThan(html.indexOf('<h2>paper-&lt;2&gt;</h2>'));
  expect(html).not.toContain('paper-<2>');
  expect(html).toMatch(/3 drill\(s\), 2 passed; latest FAIL at 2026-11-29T03:05:00Z/);
  const table = html.slice(html.indexOf('<table>'));
  expect(table.indexOf('>d3<')).toBeLessThan(table.indexOf('>d2<'));
  expect(table.indexOf('>d2<')).toBeLessThan(table.indexOf('>d1<'));
  for (const id of ['d1', 'd2', 'd3', 'x1']) expect(html).toContain(`href="${id}/report.html"`);
  expect(renderDrillIndex([], 'now')).toContain('No drill reports yet.');
});

test('the trend: one RTO and one RPO point per measured drill, targets dashed, a verdict dot per drill; log scale when the figures span decades', () => {
  const paper1 = reports.filter((r) => r.target === 'paper-1').sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
  const svg = trendSvg(paper1);
  const points = () => /<polyline class="(\w+)" fill="none" points="([^"]+)"/g;
  const lines = [...svg.matchAll(points())].map((m) => [m[1], m[2]!.split(' ').length]);
  expect(lines).toEqual([
    ['rto', 3],
    ['rpo', 3],
  ]);
  expect(svg.match(/<circle class="v-(pass|fail)"/g)).toHaveLength(3);
  expect(svg).toMatch(/class="rto-target"[\s\S]*RTO ≤ 900 s/);
  // 0.3 s against 900 s: both visible only on a log scale.
  expect(svg).toContain('log scale');
  // A drill with nothing measured still gets its verdict dot (at its target), and no line point.
  const none = trendSvg([report('x1', 't', 'error', '2026-11-22T04:00:00Z', null, null)]);
  expect(none).not.toContain('<polyline');
  expect(none.match(/<circle class="v-error"/g)).toHaveLength(1);
});

test('written under drills/ from every readable report on disk; each report links back to it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-index-'));
  try {
    for (const r of reports.slice(0, 3)) await writeDrillReportFiles(dir, r);
    fs.mkdirSync(path.join(dir, 'drills', 'broken'));
    fs.writeFileSync(path.join(dir, 'drills', 'broken', 'report.json'), '{not json');
    const out = await writeDrillIndex(dir, new Date('2026-12-02T00:00:00Z'));
    expect(out).toMatchObject({ path: path.join(dir, 'drills', 'index.html'), reports: 3 });
    expect(out.problems).toEqual([expect.stringMatching(/broken\/report\.json: not JSON/)]);
    const html = fs.readFileSync(out.path, 'utf8');
    expect(html).toContain('Generated 2026-12-02T00:00:00.000Z from 3 report(s)');
    expect(renderDrillHtml(reports[0]!)).toContain('<a href="../index.html">all drills: trend per target</a>');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
