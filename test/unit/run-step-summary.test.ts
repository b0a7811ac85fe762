/** `drill run weekly` in CI: the drill's report.md (else its verdict) appended to $GITHUB_STEP_SUMMARY. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeStepSummary } from '../../src/commands/run';
import type { WeeklyDrillResult } from '../../src/domain/drill';

const base: WeeklyDrillResult = {
  drillId: 'd1',
  target: 'paper-1',
  result: 'fail',
  rto: { seconds: 31.5, targetSeconds: 20, ok: false },
  rpo: { seconds: 0.4, targetSeconds: 60, ok: true },
  failures: ['RTO 31.5 s exceeds the target 20 s'],
};

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'step-summary-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the report.md beside report.json is appended, after what the summary already holds', () => {
  const summary = path.join(dir, 'summary.md');
  fs.writeFileSync(summary, '## earlier step\n\n');
  fs.mkdirSync(path.join(dir, 'drills', 'd1'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'drills', 'd1', 'report.md'), '# DR drill d1: FAIL\n\n| step | status |\n');
  const errors: string[] = [];
  writeStepSummary(summary, { ...base, reportPath: path.join(dir, 'drills', 'd1', 'report.json') }, { out: () => undefined, err: (l) => errors.push(l) });
  expect(fs.readFileSync(summary, 'utf8')).toBe('## earlier step\n\n# DR drill d1: FAIL\n\n| step | status |\n\n');
  expect(errors).toEqual([]);
});

test('without a report, the verdict, RTO/RPO and failures; an unwritable summary is a warning, not a failure', () => {
  const summary = path.join(dir, 'summary.md');
  writeStepSummary(summary, base, { out: () => undefined, err: () => undefined });
  const text = fs.readFileSync(summary, 'utf8');
  expect(text).toMatch(/^## DR drill d1 on paper-1: FAIL\n/);
  expect(text).toMatch(/RTO 31\.500 s \(target ≤ 20 s, FAILED\)/);
  expect(text).toMatch(/\n- RTO 31\.5 s exceeds the target 20 s\n/);
  const errors: string[] = [];
  writeStepSummary(path.join(dir, 'no', 'such', 'dir', 'summary.md'), base, { out: () => undefined, err: (l) => errors.push(l) });
  expect(errors).toEqual([expect.stringMatching(/^warning: could not write GITHUB_STEP_SUMMARY/)]);
});
