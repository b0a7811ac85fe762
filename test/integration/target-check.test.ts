/**
 * `drill target check` and `drill run weekly --dry-run` through the real CLI entry (`main`), against
 * real targets: the sandbox (sandbox adapter), the Python target (shell adapter, written from the
 * contract alone) and a broken one. Each surface gets its line; a broken surface fails with its
 * cause and exit 1. Read-only: the targets' own ground truth shows no stop, no fault, no halt, and
 * no Temporal server is needed (TEMPORAL_ADDRESS points at a closed port).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli';
import type { ConformanceReport } from '../../src/domain/conformance';
import { startPythonTarget, type PythonTarget } from '../helpers/python-target';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox';

let dir: string;
let py: PythonTarget;
let broken: PythonTarget;
let sbx: TestSandbox;
const saved = { ...process.env };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-check-'));
  [py, broken, sbx] = await Promise.all([startPythonTarget('py-good'), startPythonTarget('py-broken'), startTestSandbox({ targetName: 'sbx' })]);
  // Let a few cycles land in every artifact file.
  await new Promise((r) => setTimeout(r, 800));

  // Broken: down, a stop program that does not exist, a start that does not parse, a state file
  // whose body no longer matches its digest, a torn artifact line, position cycles numbered apart.
  broken.command('stop');
  const state = JSON.parse(fs.readFileSync(broken.stateFile, 'utf8')) as { body: { cycle: number } };
  state.body.cycle += 1;
  fs.writeFileSync(broken.stateFile, JSON.stringify(state));
  fs.appendFileSync(path.join(broken.runDir, 'order_reconciliation_events.jsonl'), '{"ts":"yesterday","cycle":"x"}\n');
  fs.appendFileSync(
    path.join(broken.runDir, 'ops_slo_events.jsonl'),
    '{"ts":"2026-11-25T14:03:07Z","cycle":1,"event_type":"slo_snapshot","operations":1,"operational_errors":0,"reconciliation_cycles":1,"reconciliation_passes":1,"consecutive_mismatch_runs":0}\n',
  );
  const brokenEntry = { ...broken.entry, process: { ...broken.entry.process, stop: 'nosuch-stopper-xyz --graceful', start: 'if then fi' } };

  const live = { ...py.entry, mode: 'live' };
  const frozen = {
    ...py.entry,
    calendar: { name: 'FROZEN', timezone: 'UTC', sessions: [], blackouts: [{ name: 'change freeze', start: '2020-01-01T00:00', end: '2099-01-01T00:00' }] },
  };
  fs.writeFileSync(
    path.join(dir, 'targets.json'),
    JSON.stringify({ targets: { 'py-good': py.entry, 'py-broken': brokenEntry, 'py-live': live, 'py-frozen': frozen, sbx: sbx.targets.targets.sbx } }),
  );
  process.env.DRILL_TARGETS_FILE = path.join(dir, 'targets.json');
  process.env.DRILL_STATE_DIR = path.join(dir, 'state');
  process.env.TEMPORAL_ADDRESS = '127.0.0.1:1';
});

afterAll(async () => {
  process.env = saved;
  await Promise.all([py?.cleanup(), broken?.cleanup(), sbx?.cleanup()]);
  if (!process.env.KEEP_SANDBOX_DIRS) fs.rmSync(dir, { recursive: true, force: true });
});

async function drill(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'drill', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const byName = (r: ConformanceReport) => Object.fromEntries(r.checks.map((c) => [c.name, c]));

test('the Python target conforms: every surface passes, its RFC 8785 digest verifies, nothing is changed', async () => {
  const before = py.groundTruth().length;
  const r = await drill('target', 'check', '--target', 'py-good', '--json');
  expect(r.err).toEqual([]);
  const report = JSON.parse(r.out.join('\n')) as ConformanceReport;
  expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
  expect(r.code).toBe(0);
  const c = byName(report);
  for (const n of [
    'stop command',
    'start command',
    'health command',
    'health answer JSON',
    'GET /stats',
    '/stats runtime_state',
    'state file',
    'state digest (RFC 8785)',
    'order_reconciliation_events.jsonl',
    'position_reconciliation_events.jsonl',
    'ops_slo_events.jsonl',
    'cycle pairing',
  ])
    expect(c[n]?.status).toBe('pass');
  expect(c['state digest (RFC 8785)']!.detail).toMatch(/^sha256:[0-9a-f]{64} matches the body$/);
  expect(c['fault declaration']).toMatchObject({ status: 'skip' });
  expect(c['POST /kill-switch']).toMatchObject({ status: 'skip' });
  // Read-only: only periodic saves and cycles since; no stop, no second boot.
  const after = py.groundTruth().slice(before);
  expect(after.filter((e) => !['state_saved', 'first_clean_reconciliation'].includes(e.event))).toEqual([]);
  expect(py.groundTruth().filter((e) => e.event === 'process_start')).toHaveLength(1);
});

test('the sandbox conforms through the sandbox adapter, and a check injects nothing', async () => {
  const r = await drill('target', 'check', '--target', 'sbx');
  expect(r.out.filter((l) => l.startsWith('FAIL'))).toEqual([]);
  expect(r.code).toBe(0);
  expect(r.out.find((l) => /health endpoint/.test(l))).toMatch(/^PASS health\s+health endpoint: http:\/\/127\.0\.0\.1:\d+\/health: ok, boot /);
  expect(r.out.find((l) => /sandbox configFile/.test(l))).toMatch(/^PASS/);
  expect(r.out.at(-1)).toMatch(/^conforms: \d+ passed, 0 failed, \d+ skipped \(read-only/);
  expect(sbx.groundTruth().filter((e) => ['stop_requested', 'fault_injected', 'kill_switch_halt', 'crashed'].includes(e.event))).toEqual([]);
});

test('a broken target: each broken surface fails with its cause, exit 1', async () => {
  const r = await drill('target', 'check', '--target', 'py-broken', '--json');
  expect(r.code).toBe(1);
  const report = JSON.parse(r.out.join('\n')) as ConformanceReport;
  expect(report.ok).toBe(false);
  const c = byName(report);
  expect(c['stop command']).toMatchObject({ status: 'fail', detail: expect.stringMatching(/nosuch-stopper-xyz is not found/) });
  expect(c['start command']).toMatchObject({ status: 'fail', detail: expect.stringMatching(/does not parse as sh/) });
  expect(c['health command']).toMatchObject({ status: 'fail', detail: expect.stringMatching(/exit 1: the drill refuses an unhealthy target/) });
  expect(c['GET /stats']).toMatchObject({ status: 'fail', detail: expect.stringMatching(/unreachable \(ECONNREFUSED\)/) });
  expect(c['state digest (RFC 8785)']).toMatchObject({
    status: 'fail',
    detail: expect.stringMatching(/the RFC 8785 canonical JSON of its body hashes to sha256:/),
  });
  expect(c['order_reconciliation_events.jsonl']).toMatchObject({ status: 'fail', detail: expect.stringMatching(/line -1 \(from the end\): ts: .*cycle/) });
  expect(c['ops_slo_events.jsonl']!.status).toBe('pass');
  // The text form: one line per check, FAIL first on the broken ones.
  const text = await drill('target', 'check', '--target', 'py-broken');
  expect(text.code).toBe(1);
  expect(text.out.filter((l) => l.startsWith('FAIL')).length).toBe(report.counts.fail);
  expect(text.out.at(-1)).toMatch(/^DOES NOT CONFORM: \d+ passed, 6 failed/);
});

test('drill run weekly --dry-run: input validated, every surface checked, no workflow started (no server is reachable)', async () => {
  const r = await drill('run', 'weekly', '--target', 'py-good', '--dry-run', '--input', '{"scenarios":[],"rtoSeconds":600}');
  expect(r.err).toEqual([]);
  expect(r.code).toBe(0);
  expect(r.out[0]).toMatch(/^PASS config\s+drill input: scenarios \[\], RTO target 600 s/);
  expect(r.out[1]).toMatch(/^SKIP config\s+market calendar: none/);
  // A drill the calendar would refuse now fails the dry run, naming the window; target check does not judge time.
  const frozen = await drill('run', 'weekly', '--target', 'py-frozen', '--dry-run', '--input', '{"scenarios":[]}');
  expect(frozen.code).toBe(1);
  expect(frozen.out[1]).toMatch(/^FAIL config\s+market calendar: .*change freeze/);
  expect((await drill('target', 'check', '--target', 'py-frozen')).code).toBe(0);
  // Chaos asked of a target that declares no faults: said, not hidden.
  const withChaos = await drill('run', 'weekly', '--target', 'py-good', '--dry-run', '--json', '--input', '{"scenarios":["stale_data"]}');
  expect(withChaos.code).toBe(0);
  expect(byName(JSON.parse(withChaos.out.join('\n')) as ConformanceReport)['chaos scenarios']).toMatchObject({
    status: 'skip',
    detail: expect.stringMatching(/stale_data requested, but the target declares no faults/),
  });
  // A live target fails the dry run unless --allow-live; bad input and unknown targets are refused.
  const live = await drill('run', 'weekly', '--target', 'py-live', '--dry-run');
  expect(live.code).toBe(1);
  expect(live.out.find((l) => l.startsWith('FAIL'))).toMatch(/FAIL config\s+mode: live: a drill is refused without --allow-live/);
  expect((await drill('run', 'weekly', '--target', 'py-live', '--dry-run', '--allow-live')).code).toBe(0);
  const bad = await drill('run', 'weekly', '--target', 'py-good', '--dry-run', '--input', '[1,2]');
  expect(bad.code).toBe(2);
  expect(bad.err.join('\n')).toMatch(/--input: expected a JSON object/);
  const unknown = await drill('target', 'check', '--target', 'nope');
  expect(unknown.code).toBe(2);
  expect(unknown.err.join('\n')).toMatch(/unknown target "nope"/);
  expect(py.groundTruth().filter((e) => e.event === 'stop_requested')).toEqual([]);
});
