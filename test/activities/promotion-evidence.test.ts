/** The promotion gate's activities on real files: evidence as evaluated, drill lookup, atomic bundles. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifyBundle, writeBundleAtomically } from '../../src/io/evidence-bundle';
import { createPromotionActivities } from '../../src/activities/promotion';
import { evaluatePromotion, resolvePromotionThresholds } from '../../src/domain/promotion';
import { DAY, drillReport, NOW, writeDrillReport, writeRunFolder } from '../fixtures/promotion/evidence';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'promo-act-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const acts = () => createPromotionActivities({ runsDir: path.join(root, 'runs'), resultsDir: root });

test('evidence covers complete lines only; the bundle attaches exactly those bytes', async () => {
  const dir = writeRunFolder(path.join(root, 'runs'), 'r1');
  const order = path.join(dir, 'order_reconciliation_events.jsonl');
  const complete = fs.readFileSync(order);
  // A corrupt line, then a line the target is still writing (no newline yet).
  fs.appendFileSync(order, 'not json\n{"ts":"2026-11-25T00:00:00Z","cycle":99');
  const e = await acts().gatherPromotionEvidence({ runId: 'r1' });
  const f = e.files['order_reconciliation_events.jsonl']!;
  expect(f).toMatchObject({ present: true, lines: 1000, corrupt: 1 });
  expect(f.bytes).toBe(complete.length + 'not json\n'.length);
  expect(e.files['data_quality_latest.json']).toMatchObject({ present: true, lines: 1 });

  const verdict = evaluatePromotion(e, { experimentId: 'x', runId: 'r1', strict: false, thresholds: resolvePromotionThresholds(), now: NOW });
  const b = await acts().writePromotionBundle({ experimentId: 'x', runId: 'r1', verdict, files: e.files });
  const copied = fs.readFileSync(path.join(b.dir, 'artifacts/order_reconciliation_events.jsonl'));
  expect(copied.toString()).toBe(`${complete.toString()}not json\n`);
  expect((await verifyBundle(b.dir)).ok).toBe(true);
});

test('latest valid drill per target; invalid reports are skipped with the reason; running drills ignored', async () => {
  writeRunFolder(path.join(root, 'runs'), 'r1');
  writeDrillReport(root, drillReport({ drillId: 'd-old', finishedMsAgo: 3 * DAY }));
  writeDrillReport(root, drillReport({ drillId: 'd-new', finishedMsAgo: 1 * DAY, target: 'live-1' }));
  writeDrillReport(root, { drillId: 'd-bad', schemaVersion: 1, result: 'maybe' });
  fs.mkdirSync(path.join(root, 'drills', 'd-running'));
  const any = await acts().gatherPromotionEvidence({ runId: 'r1' });
  expect(any.drill).toMatchObject({ status: 'found', path: 'drills/d-new/report.json' });
  expect(any.drillProblems).toHaveLength(1);
  expect(any.drillProblems[0]!.path).toBe('drills/d-bad/report.json');
  const paper = await acts().gatherPromotionEvidence({ runId: 'r1', target: 'paper-sandbox' });
  expect(paper.drill).toMatchObject({ status: 'found', path: 'drills/d-old/report.json' });
});

test('unknown run and bad ids fail without retry, typed', async () => {
  await expect(acts().gatherPromotionEvidence({ runId: 'nope' })).rejects.toMatchObject({ type: 'RunNotFound', nonRetryable: true });
  await expect(acts().gatherPromotionEvidence({ runId: '../x' })).rejects.toMatchObject({ type: 'InvalidInput', nonRetryable: true });
});

test('a failed rewrite leaves the previous bundle intact and no temp folder behind', async () => {
  const dir = path.join(root, 'promotions', 'x', 'r1');
  await writeBundleAtomically(dir, [{ path: 'a.txt', content: 'one' }], NOW);
  await expect(
    writeBundleAtomically(
      dir,
      [
        { path: 'a.txt', content: 'two' },
        { path: 'b.txt', copyFrom: path.join(root, 'missing') },
      ],
      NOW,
    ),
  ).rejects.toThrow(/ENOENT/);
  expect(fs.readFileSync(path.join(dir, 'a.txt'), 'utf8')).toBe('one');
  expect((await verifyBundle(dir)).ok).toBe(true);
  expect(fs.readdirSync(path.dirname(dir))).toEqual(['r1']);
  // A rerun replaces it whole: the old file is gone, not merged.
  await writeBundleAtomically(dir, [{ path: 'c.txt', content: 'three' }], NOW);
  expect(fs.readdirSync(dir).sort()).toEqual(['c.txt', 'manifest.json']);
  expect((await verifyBundle(dir)).ok).toBe(true);
});

test('the subject is under the manifest hash; a tampered subject and a re-hashed manifest fail against the pinned hash', async () => {
  const dir = path.join(root, 'promotions', 'x', 'r1');
  const written = await writeBundleAtomically(dir, [{ path: 'verdict.json', content: '{"result":"fail"}\n' }], NOW, {
    experimentId: 'x',
    runId: 'r1',
    result: 'fail',
  });
  expect(written.files).toEqual(['manifest.json', 'subject.json', 'verdict.json']);
  const pin = written.manifestSha256;
  expect(await verifyBundle(dir, { expectHash: pin })).toMatchObject({ ok: true, subjectCovered: true, subjectMismatch: false, pinned: { ok: true } });

  // The manifest's subject re-labelled: it no longer matches subject.json, nor the pin.
  const manifestFile = path.join(dir, 'manifest.json');
  const original = fs.readFileSync(manifestFile, 'utf8');
  fs.writeFileSync(manifestFile, original.replace('"result": "fail"', '"result": "pass"'));
  expect(await verifyBundle(dir)).toMatchObject({ ok: false, subjectMismatch: true });
  expect(await verifyBundle(dir, { expectHash: pin })).toMatchObject({ ok: false, pinned: { ok: false } });
  fs.writeFileSync(manifestFile, original);

  // subject.json edited too: its hash in the manifest catches it.
  fs.writeFileSync(path.join(dir, 'subject.json'), fs.readFileSync(path.join(dir, 'subject.json'), 'utf8').replace('fail', 'pass'));
  expect(await verifyBundle(dir)).toMatchObject({ ok: false, changed: ['subject.json'] });

  // The verdict flipped and everything re-hashed consistently: it verifies against itself, never against the pin.
  fs.writeFileSync(path.join(dir, 'verdict.json'), '{"result":"pass"}\n');
  const forged = await writeBundleAtomically(dir, [{ path: 'verdict.json', content: '{"result":"pass"}\n' }], NOW, {
    experimentId: 'x',
    runId: 'r1',
    result: 'pass',
  });
  expect(forged.manifestSha256).not.toBe(pin);
  expect(await verifyBundle(dir)).toMatchObject({ ok: true });
  expect(await verifyBundle(dir, { expectHash: pin })).toMatchObject({ ok: false, pinned: { ok: false, expected: pin } });
});
