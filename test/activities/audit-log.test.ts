/** The runner's hash-chained audit log on real files, and `drill audit verify` as a child process. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appendAuditEvent, AUDIT_FILE, verifyAuditLog } from '../../src/io/audit-log';
import { runDrillCli } from '../helpers/process';

let resultsDir: string;
let file: string;
beforeEach(async () => {
  resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-'));
  file = path.join(resultsDir, AUDIT_FILE);
  for (const id of ['d1', 'd2', 'd3']) await appendAuditEvent(resultsDir, `drill:${id}`, { event_type: 'dr_drill_completed', drill_id: id, result: 'pass' });
});
afterEach(() => fs.rmSync(resultsDir, { recursive: true, force: true }));

const lines = () => fs.readFileSync(file, 'utf8').trim().split('\n');

test('appends once per key and chains every line', async () => {
  expect(await appendAuditEvent(resultsDir, 'drill:d2', { event_type: 'dr_drill_completed' })).toMatchObject({ appended: false });
  expect(lines()).toHaveLength(3);
  const r = await verifyAuditLog(file);
  expect(r).toMatchObject({ ok: true, lines: 3, problems: [] });
  expect(r.lastHash).toBe(JSON.parse(lines()[2]!).hash);
});

test('an edited line is named', async () => {
  const l = lines();
  l[1] = l[1]!.replace('"result":"pass"', '"result":"fail"');
  fs.writeFileSync(file, `${l.join('\n')}\n`);
  const r = await verifyAuditLog(file);
  expect(r.ok).toBe(false);
  expect(r.problems).toEqual(['line 2: hash does not match its content (the line was edited)']);
});

test('a removed line breaks the chain where it was', async () => {
  const l = lines();
  fs.writeFileSync(file, `${[l[0], l[2]].join('\n')}\n`);
  const r = await verifyAuditLog(file);
  expect(r.ok).toBe(false);
  expect(r.problems[0]).toMatch(/^line 2: prev_hash does not match/);
});

test('drill audit verify: exit 0 intact, 1 broken, 2 no log', async () => {
  const env = { DRILL_RESULTS_DIR: resultsDir };
  const ok = await runDrillCli(['audit', 'verify'], env);
  expect(ok.code).toBe(0);
  expect(ok.stdout).toMatch(/audit log intact: 3 lines/);
  fs.appendFileSync(file, 'not json\n');
  const broken = await runDrillCli(['audit', 'verify'], env);
  expect(broken.code).toBe(1);
  expect(broken.stdout).toMatch(/line 4: not JSON/);
  const missing = await runDrillCli(['audit', 'verify', '--file', path.join(resultsDir, 'nope.jsonl')], env);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/no audit log at/);
});
