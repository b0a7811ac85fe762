/**
 * The runner's hash-chained audit log on real files, anchored outside itself (issue 11.5): the
 * checkpoint beside it, each drill report and each evidence bundle. `drill audit verify` detects an
 * edit, a deletion, a reorder, tail truncation, a wiped file and a recomputed chain; each is a test.
 * Also as a child process (exit codes, --json).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createReportActivities } from '../../src/activities/reports';
import { type DrillReportInput } from '../../src/domain/drill-report';
import { BUNDLE_AUDIT_HEAD_FILE, collectAuditAnchors } from '../../src/io/audit-anchors';
import {
  appendAuditEvent,
  AUDIT_FILE,
  auditCheckpointFile,
  AuditChainBrokenError,
  auditLineHash,
  GENESIS_HASH,
  readAuditHead,
  verifyAuditLog,
} from '../../src/io/audit-log';
import { auditVerify } from '../../src/commands/audit';
import { runDrillCli } from '../helpers/process';

let resultsDir: string;
let file: string;
let checkpoint: string;
beforeEach(async () => {
  resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-'));
  file = path.join(resultsDir, AUDIT_FILE);
  checkpoint = auditCheckpointFile(file);
  for (const id of ['d1', 'd2', 'd3']) await appendAuditEvent(resultsDir, `drill:${id}`, { event_type: 'dr_drill_completed', drill_id: id, result: 'pass' });
});
afterEach(() => fs.rmSync(resultsDir, { recursive: true, force: true }));

const lines = () => fs.readFileSync(file, 'utf8').trim().split('\n');
const write = (l: string[]) => fs.writeFileSync(file, l.length ? `${l.join('\n')}\n` : '');
const verify = () => auditVerify({}, { resultsDir });

/** What an attacker with the code does: rewrite every line's prev_hash and hash from `from` on. */
function recompute(l: string[]): string[] {
  let prev = GENESIS_HASH;
  return l.map((line) => {
    const { hash: _old, ...body } = JSON.parse(line) as Record<string, unknown>;
    const next = { ...body, prev_hash: prev };
    prev = auditLineHash(prev, next);
    return JSON.stringify({ ...next, hash: prev });
  });
}

function report(drillId: string): DrillReportInput {
  const t = new Date().toISOString();
  return {
    schemaVersion: 1,
    drillId,
    target: 'paper-1',
    mode: 'paper',
    startedAt: t,
    finishedAt: t,
    result: 'pass',
    rto: { seconds: 1, targetSeconds: 900, ok: true },
    rpo: { seconds: 0, targetSeconds: 60, ok: true },
    timeline: {},
    failures: [],
  };
}

test('appends once per key, chains every line, and keeps the checkpoint at the head', async () => {
  const again = await appendAuditEvent(resultsDir, 'drill:d2', { event_type: 'dr_drill_completed' });
  expect(again).toMatchObject({ appended: false, hash: JSON.parse(lines()[1]!).hash, head: { length: 3 } });
  expect(lines()).toHaveLength(3);
  const head = JSON.parse(lines()[2]!).hash as string;
  expect(JSON.parse(fs.readFileSync(checkpoint, 'utf8'))).toMatchObject({ schemaVersion: 1, log: 'drill-runner.jsonl', length: 3, hash: head });
  const r = await verifyAuditLog(file);
  expect(r).toMatchObject({ ok: true, lines: 3, anchors: 1, problems: [], lastHash: head });
  expect(await readAuditHead(resultsDir)).toMatchObject({ log: 'audit/drill-runner.jsonl', length: 3, hash: head });
});

test('an edited line is named', async () => {
  const l = lines();
  l[1] = l[1]!.replace('"result":"pass"', '"result":"fail"');
  write(l);
  const r = await verify();
  expect(r.ok).toBe(false);
  expect(r.problems).toEqual(['line 2: hash does not match its content (the line was edited)']);
});

test('a deleted line breaks the chain where it was', async () => {
  const l = lines();
  write([l[0]!, l[2]!]);
  const r = await verify();
  expect(r.ok).toBe(false);
  expect(r.problems[0]).toMatch(/^line 2: prev_hash does not match/);
});

test('reordered lines are named', async () => {
  const l = lines();
  write([l[0]!, l[2]!, l[1]!]);
  const r = await verify();
  expect(r.ok).toBe(false);
  expect(r.problems).toEqual(
    expect.arrayContaining([expect.stringMatching(/^line 2: prev_hash does not match/), expect.stringMatching(/^line 3: prev_hash does not match/)]),
  );
  expect(r.problems.some((p) => p.startsWith('checkpoint drill-runner.checkpoint.json: line 3 has hash'))).toBe(true);
});

test('tail truncation: the chain alone is valid, the checkpoint is not fooled', async () => {
  write(lines().slice(0, 2));
  const r = await verify();
  expect(r.ok).toBe(false);
  expect(r.problems).toEqual([
    expect.stringMatching(
      /^checkpoint drill-runner\.checkpoint\.json: anchors line 3 \(sha256:[0-9a-f]{64}\), but the log has only 2 lines: lines were removed from its end$/,
    ),
  ]);
});

test('a wiped file: emptied or deleted, both reported (exit 1, not "no log")', async () => {
  write([]);
  expect((await verify()).problems).toEqual([expect.stringMatching(/anchors line 3 .*but the log is empty or missing: it was wiped$/)]);
  fs.rmSync(file);
  const r = await verify();
  expect(r).toMatchObject({ ok: false, exists: false });
  expect(r.problems).toEqual([expect.stringMatching(/it was wiped$/)]);
});

test('a recomputed chain: an edit with every hash redone passes the chain check, not the anchors', async () => {
  const l = lines();
  l[1] = l[1]!.replace('"result":"pass"', '"result":"fail"');
  write(recompute(l));
  const r = await verify();
  expect(r.ok).toBe(false);
  expect(r.problems).toEqual([
    expect.stringMatching(/^checkpoint drill-runner\.checkpoint\.json: line 3 has hash sha256:\w+, anchored sha256:\w+: the chain up to it was rewritten/),
  ]);
});

test('a recomputed chain with the checkpoint forged too: the drill report and the evidence bundle still anchor it', async () => {
  // A drill report written now records the head (3 lines); so does a bundle.
  await createReportActivities(resultsDir).writeDrillReport({ report: report('d4') });
  const reportJson = JSON.parse(fs.readFileSync(path.join(resultsDir, 'drills/d4/report.json'), 'utf8')) as { auditHead: { length: number; hash: string } };
  expect(reportJson.auditHead).toMatchObject({ log: 'audit/drill-runner.jsonl', length: 3, hash: JSON.parse(lines()[2]!).hash });
  const bundle = path.join(resultsDir, 'promotions/exp-1/run-1');
  fs.mkdirSync(bundle, { recursive: true });
  fs.writeFileSync(path.join(bundle, BUNDLE_AUDIT_HEAD_FILE), JSON.stringify(await readAuditHead(resultsDir)));
  await appendAuditEvent(resultsDir, 'drill:d4', { event_type: 'dr_drill_completed', drill_id: 'd4', result: 'pass' });
  expect(await verify()).toMatchObject({ ok: true, anchors: 3 });

  // Edit line 2, recompute the chain and write a checkpoint that matches the forgery.
  const l = lines();
  l[1] = l[1]!.replace('"result":"pass"', '"result":"fail"');
  const forged = recompute(l);
  write(forged);
  fs.writeFileSync(
    checkpoint,
    JSON.stringify({ schemaVersion: 1, log: 'drill-runner.jsonl', length: 4, hash: JSON.parse(forged[3]!).hash, updatedAt: new Date().toISOString() }),
  );
  const r = await verify();
  expect(r.ok).toBe(false);
  expect(r.problems).toEqual([
    expect.stringMatching(/^drills\/d4\/report\.json: line 3 has hash .* the chain up to it was rewritten/),
    expect.stringMatching(/^promotions\/exp-1\/run-1\/audit-head\.json: line 3 has hash .* the chain up to it was rewritten/),
  ]);
});

test('a removed checkpoint is noticed (the log says it was written with one); a legacy log without one is fine and gets one at the next append', async () => {
  fs.rmSync(checkpoint);
  expect((await verify()).problems).toEqual([expect.stringMatching(/checkpoint .* is missing, but the log was written with one: it was removed/)]);

  // A log from before checkpoints: lines without `checkpoint: true`, no checkpoint file.
  const legacy = recompute(
    lines().map((line) => {
      const { checkpoint: _c, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return JSON.stringify(rest);
    }),
  );
  write(legacy);
  expect(await verify()).toMatchObject({ ok: true, anchors: 0 });
  await appendAuditEvent(resultsDir, 'drill:d4', { event_type: 'dr_drill_completed' });
  expect(JSON.parse(fs.readFileSync(checkpoint, 'utf8'))).toMatchObject({ length: 4 });
  expect(await verify()).toMatchObject({ ok: true, lines: 4, anchors: 1 });
});

test('an append refuses to extend a truncated log and changes nothing; a crash between line and checkpoint is harmless', async () => {
  // The worker died after the line was fsynced but before the checkpoint moved: one line behind still matches.
  const cpBefore = fs.readFileSync(checkpoint);
  await appendAuditEvent(resultsDir, 'drill:d4', { event_type: 'dr_drill_completed' });
  fs.writeFileSync(checkpoint, cpBefore);
  expect(await verify()).toMatchObject({ ok: true, lines: 4 });
  await appendAuditEvent(resultsDir, 'drill:d5', { event_type: 'dr_drill_completed' });
  expect(JSON.parse(fs.readFileSync(checkpoint, 'utf8'))).toMatchObject({ length: 5 });

  // Truncated: appending would overwrite the evidence, so it is refused and nothing is written.
  write(lines().slice(0, 3));
  const logBefore = fs.readFileSync(file);
  const cpNow = fs.readFileSync(checkpoint);
  await expect(appendAuditEvent(resultsDir, 'drill:d6', { event_type: 'dr_drill_completed' })).rejects.toBeInstanceOf(AuditChainBrokenError);
  expect(fs.readFileSync(file)).toEqual(logBefore);
  expect(fs.readFileSync(checkpoint)).toEqual(cpNow);
  // Through the activity: non-retryable, typed.
  await expect(createReportActivities(resultsDir).appendDrillAudit({ drillId: 'd6', event: {} })).rejects.toMatchObject({
    type: 'AuditChainBroken',
    nonRetryable: true,
  });
});

test('a malformed anchor in a report or bundle is itself a problem', async () => {
  fs.mkdirSync(path.join(resultsDir, 'promotions/e/r'), { recursive: true });
  fs.writeFileSync(path.join(resultsDir, 'promotions/e/r', BUNDLE_AUDIT_HEAD_FILE), '{"length":-1}');
  const c = await collectAuditAnchors(resultsDir);
  expect(c.anchors).toEqual([]);
  expect(c.problems).toEqual([expect.stringMatching(/^promotions\/e\/r\/audit-head\.json: the recorded audit head is malformed/)]);
  expect((await verify()).ok).toBe(false);
});

test('drill audit verify: exit 0 intact, 1 broken (truncated, wiped), 2 no log at all; --json', async () => {
  const env = { DRILL_RESULTS_DIR: resultsDir };
  const ok = await runDrillCli(['audit', 'verify'], env);
  expect(ok.code).toBe(0);
  expect(ok.stdout).toMatch(/audit log intact: 3 lines, last hash sha256:\w+, 1 anchor\(s\) agree/);
  const json = await runDrillCli(['audit', 'verify', '--json'], env);
  expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, lines: 3, anchors: 1, problems: [] });

  write(lines().slice(0, 2));
  const truncated = await runDrillCli(['audit', 'verify'], env);
  expect(truncated.code).toBe(1);
  expect(truncated.stdout).toMatch(/lines were removed from its end/);
  fs.appendFileSync(file, 'not json\n');
  const broken = await runDrillCli(['audit', 'verify', '--json'], env);
  expect(broken.code).toBe(1);
  expect(JSON.parse(broken.stdout).problems).toEqual(expect.arrayContaining(['line 3: not JSON']));
  fs.rmSync(path.dirname(file), { recursive: true });
  const missing = await runDrillCli(['audit', 'verify', '--file', path.join(resultsDir, 'nope.jsonl')], env);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/no audit log at/);
});
