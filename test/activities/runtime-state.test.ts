import fs from 'node:fs';
import { createRuntimeStateActivities } from '../../src/activities/runtime-state';
import { createGatewayActivities } from '../../src/activities/gateway';
import { isAlive } from '../../src/sandbox/control';
import { startTestSandbox, waitFor, type TestSandbox } from '../helpers/sandbox';

let sbx: TestSandbox;
let rs: ReturnType<typeof createRuntimeStateActivities>;
let gw: ReturnType<typeof createGatewayActivities>;

beforeAll(async () => {
  sbx = await startTestSandbox();
  rs = createRuntimeStateActivities(sbx.deps);
  gw = createGatewayActivities(sbx.deps);
});
afterAll(async () => sbx?.cleanup());

const target = () => ({ target: sbx.targetName });

async function lastSave() {
  const r = await rs.runtimeStateLastSave(target());
  if (!r.exists) throw new Error(`no state file: ${r.error ?? 'missing'}`);
  return r;
}

test('periodic saves: time of last save, seq and a digest that matches the body', async () => {
  const first = await waitFor('a first save', async () => {
    const r = await rs.runtimeStateLastSave(target());
    return r.exists ? r : undefined;
  });
  expect(first.digestValid).toBe(true);
  expect(first.digest).toBe(first.computedDigest);
  const later = await waitFor('a later save', async () => {
    const r = await lastSave();
    return r.seq > first.seq ? r : undefined;
  });
  expect(Date.parse(later.savedAt)).toBeGreaterThan(Date.parse(first.savedAt));
});

test('graceful SIGTERM flushes: the last save is taken at the stop; restart restores it with the same digest', async () => {
  // Change the state so the final flush carries something new.
  await gw.gatewayHalt({ target: sbx.targetName, reason: 'before stop', idempotencyKey: 'rs-halt' });
  const stop = await sbx.stop('signal');
  const saved = await lastSave();
  const truth = sbx.groundTruth();
  const stopRequested = truth.filter((e) => e.event === 'stop_requested').at(-1)!;
  const stopped = truth.filter((e) => e.event === 'stopped').at(-1)!;
  expect(stopRequested.via).toBe('SIGTERM');
  expect(Date.parse(saved.savedAt)).toBeGreaterThanOrEqual(Date.parse(stopRequested.ts));
  expect(Date.parse(saved.savedAt)).toBeLessThanOrEqual(Date.parse(stop.stoppedAt!));
  expect(stopped).toMatchObject({ seq: saved.seq, digest: saved.digest });
  expect(saved.digestValid).toBe(true);

  await sbx.start();
  const v = await rs.runtimeStateVerifyRestore({ target: sbx.targetName, expectedDigest: saved.digest, expectedSeq: saved.seq });
  expect(v).toMatchObject({ restored: true, matches: true, restoredDigest: saved.digest, restoredSeq: saved.seq });
  expect(
    sbx
      .groundTruth()
      .filter((e) => e.event === 'state_restored')
      .at(-1),
  ).toMatchObject({ ok: true, seq: saved.seq, digest: saved.digest });
  // The kill switch was part of the restored state.
  expect((await gw.gatewayStats(target())).haltReason).toBe('before stop');
  await gw.gatewayResume({ target: sbx.targetName, idempotencyKey: 'rs-resume' });
});

test('wrong_digest_on_restore (survives the restart): the restored digest differs from the saved one', async () => {
  await sbx.inject('wrong_digest_on_restore');
  await sbx.restart();
  const saved = sbx
    .groundTruth()
    .filter((e) => e.event === 'stopped')
    .at(-1)!;
  const v = await rs.runtimeStateVerifyRestore({ target: sbx.targetName, expectedDigest: saved.digest! });
  expect(v.restored).toBe(true);
  expect(v.matches).toBe(false);
  expect(v.reason).toMatch(/differs from the saved/);
  expect(
    sbx
      .groundTruth()
      .filter((e) => e.event === 'state_restored')
      .at(-1),
  ).toMatchObject({ ok: false, reason: 'wrong_digest_on_restore', saved_digest: saved.digest });
  await sbx.clear('wrong_digest_on_restore');
});

test('a state file whose digest does not match its body is detected, and refused on start', async () => {
  await sbx.stop();
  const file = JSON.parse(fs.readFileSync(sbx.paths.stateFile, 'utf8'));
  file.body.next_order_seq += 1000;
  fs.writeFileSync(sbx.paths.stateFile, JSON.stringify(file));
  const r = await lastSave();
  expect(r.digestValid).toBe(false);
  expect(r.digest).not.toBe(r.computedDigest);
  await sbx.start();
  const v = await rs.runtimeStateVerifyRestore({ target: sbx.targetName, expectedDigest: file.digest });
  expect(v).toMatchObject({ restored: false, matches: false, restoreError: 'digest_mismatch' });
});

test('state_saves_stop: the last save goes stale and the stop does not flush', async () => {
  const before = await waitFor('a save after start', async () => {
    const r = await lastSave();
    return r.seq > 0 && r.digestValid ? r : undefined;
  });
  await sbx.inject('state_saves_stop');
  const frozen = (await lastSave()).seq;
  await new Promise((r) => setTimeout(r, 700)); // > 3 save intervals
  const stale = await lastSave();
  expect(stale.seq).toBe(frozen);
  expect(stale.ageSeconds).toBeGreaterThan(0.5);
  expect(stale.seq).toBeGreaterThanOrEqual(before.seq);
  await sbx.stop();
  expect((await lastSave()).seq).toBe(frozen);
  const last = sbx
    .groundTruth()
    .filter((e) => e.event === 'stopped')
    .at(-1)!;
  expect(last.seq).toBe(frozen);
  await sbx.start(); // non-persistent: the new process saves again
  await waitFor('saves to resume after restart', async () => (await lastSave()).seq > frozen);
});

test('crash_without_flush: the process dies without a final save; restart restores the last periodic save', async () => {
  const pid = sbx.info.pid;
  await sbx.inject('crash_without_flush');
  await waitFor('the sandbox to die', () => !isAlive(pid));
  const truth = sbx.groundTruth();
  const crashed = truth.filter((e) => e.event === 'crashed').at(-1)!;
  expect(crashed.pid).toBe(pid);
  expect(truth.filter((e) => e.pid === pid && e.event === 'stopped')).toHaveLength(0);
  const saved = await lastSave();
  expect(Date.parse(saved.savedAt)).toBeLessThanOrEqual(Date.parse(crashed.ts));
  expect(saved.digestValid).toBe(true);
  await sbx.start();
  const v = await rs.runtimeStateVerifyRestore({ target: sbx.targetName, expectedDigest: saved.digest, expectedSeq: saved.seq });
  expect(v.matches).toBe(true);
});

test('bad input names the field', async () => {
  await expect(rs.runtimeStateVerifyRestore({ target: sbx.targetName, expectedDigest: 'md5:x' })).rejects.toMatchObject({
    type: 'InvalidInput',
    message: expect.stringMatching(/expectedDigest: expected sha256/),
  });
});
