import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/activity';
import fs from 'node:fs';
import path from 'node:path';
import { auditEventSchema } from '../../src/domain/artifacts';
import { createGatewayActivities, type GatewayStatsResult } from '../../src/activities/gateway';
import { parseJsonl } from '../../src/io/files';
import { staticTargetResolver, parseTargets } from '../../src/io/targets';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox';

let sbx: TestSandbox;
let gw: ReturnType<typeof createGatewayActivities>;

beforeAll(async () => {
  sbx = await startTestSandbox();
  gw = createGatewayActivities(sbx.deps);
});
afterAll(async () => sbx?.cleanup());

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('expected a failure');
}

test('stats report the kill switch as the runbook names it', async () => {
  const s = await gw.gatewayStats({ target: sbx.targetName });
  expect(s).toMatchObject({ haltReason: null, tradingHaltedUntil: null, entriesHalted: false });
  expect(s.stats).toMatchObject({ halt_reason: null, trading_halted_until: null, entries_halted: false, run_id: 'paper-test' });
});

test('halt and resume are idempotent and audited once', async () => {
  const h1 = await gw.gatewayHalt({ target: sbx.targetName, reason: 'incident inc-1: order drift', idempotencyKey: 'inc-1:halt' });
  expect(h1).toMatchObject({ changed: true, entriesHalted: true, haltReason: 'incident inc-1: order drift', tradingHaltedUntil: null });
  // A retried activity (same key) and a second halt with the same reason change nothing.
  expect((await gw.gatewayHalt({ target: sbx.targetName, reason: 'incident inc-1: order drift', idempotencyKey: 'inc-1:halt' })).changed).toBe(false);
  expect((await gw.gatewayHalt({ target: sbx.targetName, reason: 'incident inc-1: order drift', idempotencyKey: 'inc-1:halt-2' })).changed).toBe(false);
  const stats = await gw.gatewayStats({ target: sbx.targetName });
  expect(stats.entriesHalted).toBe(true);

  const r1 = await gw.gatewayResume({ target: sbx.targetName, idempotencyKey: 'inc-1:resume' });
  expect(r1).toMatchObject({ changed: true, entriesHalted: false, haltReason: null });
  expect((await gw.gatewayResume({ target: sbx.targetName, idempotencyKey: 'inc-1:resume' })).changed).toBe(false);

  const auditFile = fs.readdirSync(sbx.config.auditLogsDir).map((f) => path.join(sbx.config.auditLogsDir, f));
  const events = auditFile.flatMap((f) => parseJsonl(fs.readFileSync(f, 'utf8'), auditEventSchema).records);
  expect(events.filter((e) => e.event_type === 'kill_switch_halt')).toHaveLength(1);
  expect(events.filter((e) => e.event_type === 'kill_switch_resume')).toHaveLength(1);
});

test('halt until a time: trading_halted_until is reported and entries resume after it', async () => {
  const until = new Date(Date.now() + 400).toISOString();
  const h = await gw.gatewayHalt({ target: sbx.targetName, reason: 'cool-off', until, idempotencyKey: 'cool-off-1' });
  expect(h).toMatchObject({ entriesHalted: true, tradingHaltedUntil: until });
  await new Promise((r) => setTimeout(r, 600));
  const s = await gw.gatewayStats({ target: sbx.targetName });
  expect(s).toMatchObject({ entriesHalted: false, haltReason: 'cool-off', tradingHaltedUntil: until });
  await gw.gatewayResume({ target: sbx.targetName, idempotencyKey: 'cool-off-1:resume' });
});

test('runs inside an activity context (MockActivityEnvironment)', async () => {
  const env = new MockActivityEnvironment();
  const s = (await env.run(gw.gatewayStats, { target: sbx.targetName })) as GatewayStatsResult;
  expect(s.entriesHalted).toBe(false);
});

test('bad input is non-retryable InvalidInput naming the field', async () => {
  const f = await failureOf(gw.gatewayHalt({ target: sbx.targetName, reason: '', idempotencyKey: 'k' }));
  expect(f.type).toBe('InvalidInput');
  expect(f.nonRetryable).toBe(true);
  expect(f.message).toMatch(/reason/);
  const g = await failureOf(gw.gatewayStats({ target: '../etc' }));
  expect(g.type).toBe('InvalidInput');
  expect(g.message).toMatch(/target: target name may hold only/);
});

test('unknown target is non-retryable; an unreachable gateway is retryable', async () => {
  const f = await failureOf(gw.gatewayStats({ target: 'nope' }));
  expect(f).toMatchObject({ type: 'UnknownTarget', nonRetryable: true });
  const entry = sbx.targets.targets[sbx.targetName]!;
  const dead = createGatewayActivities({
    ...sbx.deps,
    targets: staticTargetResolver(parseTargets({ targets: { dead: { ...entry, gatewayUrl: 'http://127.0.0.1:9' } } }, sbx.dir)),
  });
  const g = await failureOf(dead.gatewayStats({ target: 'dead', timeoutMs: 1000 }));
  expect(g).toMatchObject({ type: 'GatewayUnreachable', nonRetryable: false });
  expect(g.message).not.toMatch(/127\.0\.0\.1/);
});
