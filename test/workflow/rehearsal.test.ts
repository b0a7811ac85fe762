/**
 * Escalation rehearsal (issue 15): the real incidentAckWorkflow and recoveryWorkflow on a private
 * time-skipping server each rehearsal starts itself, pages into the loopback recorder. A two-level
 * policy with one repeat, without and with an ack; a recovery branch's maximum wait; the CLI's JSON.
 * The configured webhook is a URL off this machine that must never be used.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rehearseAckCommand, rehearseRecoveryCommand } from '../../src/commands/rehearse';
import type { PagingConfig } from '../../src/config';
import { renderAckRehearsal, renderRecoveryRehearsal, type AckRehearsal } from '../../src/domain/rehearsal';
import { runDrillCli } from '../helpers/process';
import { installTestRuntime, workflowBundle } from '../helpers/temporal';

const configured: PagingConfig = {
  enabled: true,
  webhookUrl: 'https://paging.example.invalid/hook/secret',
  minSeverity: 'critical',
  format: 'json',
  timeoutMs: 2000,
};
let dir: string;
let policyFile: string;

beforeAll(async () => {
  installTestRuntime();
  await workflowBundle();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearsal-'));
  policyFile = path.join(dir, 'policy.json');
  fs.writeFileSync(
    policyFile,
    JSON.stringify({
      levels: [
        { name: 'primary', afterSeconds: 900 },
        { name: 'secondary', afterSeconds: 900 },
      ],
      repeats: 1,
    }),
  );
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const deps = async () => ({
  config: { paging: configured },
  installRuntime: false,
  workflowBundle: await workflowBundle(),
  env: {},
});

function expectOffline(r: { isolation: AckRehearsal['isolation'] }, text: string[]) {
  expect(r.isolation.recorder).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(r.isolation.routes).toEqual({ webhookUrl: '/paging/webhookUrl' });
  expect(text[1]).toContain('offline: nothing left this machine');
}

test('two levels, one repeat, no ack: pages at 15, 30, 45 and 60 minutes, each level and round once, then silence', async () => {
  const r = await rehearseAckCommand({ policy: policyFile }, await deps());
  const text = renderAckRehearsal(r);
  expectOffline(r, text);
  expect(r.pages.map((p) => [Math.floor(p.atSeconds / 60), p.facts.level, p.facts.round, p.facts.levelName])).toEqual([
    [15, 1, 0, 'primary'],
    [30, 2, 0, 'secondary'],
    [45, 1, 1, 'primary'],
    [60, 2, 1, 'secondary'],
  ]);
  for (const p of r.pages) {
    // Due exactly at the policy's minutes (the workflow's own nextEscalationAt); sent right then.
    expect(p.atSeconds % 900).toBe(0);
    expect(p.sentAtSeconds! - p.atSeconds).toBeGreaterThanOrEqual(0);
    expect(p.sentAtSeconds! - p.atSeconds).toBeLessThan(30);
    expect(p.path).toBe('/paging/webhookUrl');
    // One incident, one dedup key; each delivery its own idempotency key under it.
    expect(p.headers['idempotency-key']).toBe(`${p.facts.dedupKey}#trigger-L${p.facts.level}-R${p.facts.round}`);
    expect(p.outcome).toBe('delivered');
  }
  // The dedup key is the incident's: the same on every page, as the workflow recorded it.
  const keys = r.pages.map((p) => p.facts.dedupKey);
  expect(new Set(keys).size).toBe(1);
  expect((r.workflow.pages as Array<{ dedupKey: string }>).map((p) => p.dedupKey)).toEqual(keys);
  expect(r.lifecycle).toEqual([]);
  expect(r.workflow.state).toBe('escalated');
  expect(r.ack).toBeUndefined();
  expect(r.watchedUntilSeconds).toBeGreaterThanOrEqual(75 * 60);
  expect(r.ended).toContain('no further escalation scheduled');
  expect(text).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^\s+15:00 {2}PAGE {3}primary \(level 1\) via \/paging\/webhookUrl {2}dedup drill-runner\/rehearsal\/rehearsal-/),
    ]),
  );
  expect(text).toEqual(expect.arrayContaining([expect.stringMatching(/^\s+1:00:00 {2}PAGE {3}secondary \(level 2\), repeat 1 /)]));
});

test('the same policy acknowledged at 20 minutes: one page (15:00), the ack, then no page for the rest', async () => {
  const r = await rehearseAckCommand({ policy: policyFile, ackAt: '20m', watch: '60m' }, await deps());
  expectOffline(r, renderAckRehearsal(r));
  expect(r.pages.map((p) => [Math.floor(p.atSeconds / 60), p.facts.level, p.facts.round])).toEqual([[15, 1, 0]]);
  expect(r.ack).toMatchObject({ atSeconds: 1200, ackBy: 'rehearsal', slaMet: false });
  expect(r.ack!.latencySeconds).toBeGreaterThanOrEqual(1200);
  expect(r.ack!.latencySeconds).toBeLessThan(1230);
  expect(r.pagesAfterAck).toBe(0);
  // The ack is told to what was paged, under the incident's one dedup key (the paging lifecycle).
  expect(r.lifecycle.map((l) => [l.facts.action, l.facts.dedupKey])).toEqual([['acknowledge', r.pages[0]!.facts.dedupKey]]);
  expect(r.watchedUntilSeconds).toBeGreaterThanOrEqual(80 * 60);
  const text = renderAckRehearsal(r);
  expect(text).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^\s+20:00 {2}ACK {4}by rehearsal: latency 20:00, SLA breached$/),
      '  after the ack: no page reached the recorder up to 1:20:00',
    ]),
  );
});

test('the configured policy (no --policy) for a warning below SLO_PAGING_MIN_SEVERITY: escalates at the SLA, pages nobody', async () => {
  const r = await rehearseAckCommand({ severity: 'warning', watch: '5m' }, { ...(await deps()), env: { SLO_ACK_SLA_SECONDS: '600' } });
  expect(r.policy).toMatchObject({ ackSlaSeconds: 600, severity: 'warning' });
  expect(r.policy.source).toContain('the configured policy');
  expect(r.pages).toEqual([]);
  expect(r.notPaged).toEqual([{ atSeconds: expect.any(Number), level: 1, round: 0, outcome: 'below-min-severity' }]);
  expect(r.notPaged[0]!.atSeconds).toBe(600);
  expect(renderAckRehearsal(r)).toEqual(expect.arrayContaining(['    10:00  ESCAL  level 1: no page sent (below-min-severity)']));
});

test('a recovery branch that never recovers escalates at its maximum wait (the page as received); one that recovers does not page', async () => {
  const never = await rehearseRecoveryCommand({ class: 'reconciliation', maxWait: '20m' }, await deps());
  expect(never.outcome).toBe('escalated');
  expect(never.pages).toHaveLength(1);
  expect(never.pages[0]!.facts).toMatchObject({ levelName: 'recovery-max-wait', dedupKey: never.escalation!.dedupKey });
  expect(never.deadlineSeconds).toBe(1200);
  expect(never.escalation!.atSeconds).toBeGreaterThanOrEqual(1200);
  expect(never.escalation!.atSeconds).toBeLessThan(1230);
  expect(renderRecoveryRehearsal(never)).toContain('  maximum wait ends at 20:00');
  expect(never.timeline.at(-1)?.step).toBe('escalated: maximum wait passed; entries stay halted');
  expect(renderRecoveryRehearsal(never)[1]).toContain('offline: nothing left this machine');

  const recovers = await rehearseRecoveryCommand({ class: 'data-quality', maxWait: '20m', recoverAt: '5m' }, await deps());
  expect(recovers.outcome).toBe('recovered');
  expect(recovers.pages).toEqual([]);
  const passed = recovers.timeline.find((t) => t.step === 'recovery criteria passed')!;
  expect(passed.atSeconds).toBeGreaterThanOrEqual(300);
  expect(passed.atSeconds).toBeLessThan(20 * 60);
});

test('the CLI: --json, nothing contacted but loopback (no Temporal server configured is reachable)', async () => {
  const r = await runDrillCli(
    ['rehearse', 'ack', '--policy', policyFile, '--ack-at', '10m', '--json'],
    {
      // A configured server that does not exist and an external webhook: a rehearsal uses neither.
      TEMPORAL_ADDRESS: '127.0.0.1:9',
      SLO_PAGING_ENABLED: 'true',
      SLO_PAGING_WEBHOOK_URL: 'https://paging.example.invalid/hook/secret',
    },
    90000,
  );
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout) as AckRehearsal;
  expect(out).toMatchObject({ kind: 'ack', pages: [], pagesAfterAck: 0, ack: { slaMet: true } });
  expect(out.isolation.statement).toContain('nothing left this machine');
  expect(r.stdout).not.toContain('paging.example.invalid');
});
