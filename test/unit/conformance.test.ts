/**
 * The conformance verdicts (`domain/conformance.ts`), pure: each contract surface's evidence gives
 * one pass/fail/skip line whose detail names the problem; the report fails when any line fails.
 */
import {
  checkArtifacts,
  checkCommand,
  checkCyclePairing,
  checkFaults,
  checkHttpHealth,
  checkMode,
  checkShellHealth,
  checkStateFile,
  checkStats,
  conformanceReport,
  describeConformance,
  faultDeclarationParts,
  firstProgram,
} from '../../src/domain/conformance';

const TS = '2026-11-25T14:03:07.123Z';
const line = (o: unknown) => JSON.stringify(o);
const order = (cycle: number, status = 'ok') => line({ ts: TS, cycle, status, orders_checked: 1, mismatched_order_ids: [] });
const position = (cycle: number) => line({ ts: TS, cycle, status: 'ok', positions_checked: 2, mismatched_symbols: [] });
const snapshot = (cycle: number) =>
  line({
    ts: TS,
    event_type: 'slo_snapshot',
    cycle,
    operations: 1,
    operational_errors: 0,
    reconciliation_cycles: 1,
    reconciliation_passes: 1,
    consecutive_mismatch_runs: 0,
  });

test('firstProgram: the program a command starts with, when it can be told without running it', () => {
  expect(firstProgram('systemctl --user stop trader')).toEqual({ word: 'systemctl', builtin: false });
  expect(firstProgram('FOO=1 BAR="a b" kubectl scale --replicas=0')).toEqual({ word: 'kubectl', builtin: false });
  expect(firstProgram(`'/opt/my app/stop.sh' --now`)).toEqual({ word: '/opt/my app/stop.sh', builtin: false });
  expect(firstProgram('true')).toEqual({ word: 'true', builtin: true });
  expect(firstProgram('[ -f /x ] && echo y')).toEqual({ word: '[', builtin: true });
  expect(firstProgram('(cd /srv && ./stop)')).toEqual({ word: '(', builtin: true });
  expect(firstProgram('$STOP_CMD --now')).toBeUndefined();
  expect(firstProgram('`which stop`')).toBeUndefined();
});

test('a command fails when it does not parse or its program is not found; passes otherwise, saying what was found', () => {
  expect(checkCommand('process', { role: 'stop', command: 'if then', parseError: 'Syntax error: "then" unexpected' })).toMatchObject({
    status: 'fail',
    name: 'stop command',
    detail: expect.stringMatching(/does not parse as sh: Syntax error/),
  });
  expect(
    checkCommand('process', { role: 'start', command: 'nosuch --x', parseError: null, program: { word: 'nosuch', builtin: false, resolved: null } }),
  ).toMatchObject({ status: 'fail', detail: expect.stringMatching(/nosuch is not found/) });
  expect(
    checkCommand('process', {
      role: 'start',
      command: 'systemctl start x',
      parseError: null,
      program: { word: 'systemctl', builtin: false, resolved: '/usr/bin/systemctl' },
    }),
  ).toMatchObject({ status: 'pass', detail: 'parses; systemctl → /usr/bin/systemctl' });
  expect(checkCommand('process', { role: 'health', command: '$H', parseError: null })).toMatchObject({
    status: 'pass',
    detail: expect.stringMatching(/chosen at run time/),
  });
});

test("shell health: exit 0 is healthy; JSON on stdout must be the contract's health answer; none is a skip that says why it matters", () => {
  const ok = { status: 'ok', pid: 12, boot_id: 'b-1', started_at: TS, serving_at: TS };
  expect(checkShellHealth({ exitCode: 0, timedOut: false, stdout: line(ok), stderr: '' }).map((c) => c.status)).toEqual(['pass', 'pass']);
  const plain = checkShellHealth({ exitCode: 0, timedOut: false, stdout: 'active', stderr: '' });
  expect(plain.map((c) => c.status)).toEqual(['pass', 'skip']);
  expect(plain[1]!.detail).toMatch(/new boot id/);
  const bad = checkShellHealth({ exitCode: 0, timedOut: false, stdout: line({ status: 'ok', pid: 'x' }), stderr: '' });
  expect(bad[1]).toMatchObject({ status: 'fail', detail: expect.stringMatching(/pid: .*boot_id/s) });
  expect(checkShellHealth({ exitCode: 3, timedOut: false, stdout: '', stderr: 'inactive' })).toEqual([
    expect.objectContaining({ status: 'fail', detail: expect.stringMatching(/exit 3: the drill refuses an unhealthy target \(inactive\)/) }),
  ]);
  expect(checkShellHealth({ exitCode: null, timedOut: true, stdout: '', stderr: '' })[0]).toMatchObject({
    status: 'fail',
    detail: expect.stringMatching(/timed out/),
  });
});

test("HTTP health: unreachable, non-200 and a 200 that is not the contract's JSON all fail", () => {
  expect(checkHttpHealth('health', 'h', { url: 'u', error: 'ECONNREFUSED' })[0]).toMatchObject({ status: 'fail', detail: 'u unreachable (ECONNREFUSED)' });
  expect(checkHttpHealth('health', 'h', { url: 'u', status: 503, body: { status: 'stopping' } })[0]!.status).toBe('fail');
  expect(checkHttpHealth('health', 'h', { url: 'u', status: 200, body: { status: 'ok' } })[0]).toMatchObject({
    status: 'fail',
    detail: expect.stringMatching(/not the contract's health JSON: pid/),
  });
  expect(checkHttpHealth('health', 'h', { url: 'u', status: 200, body: { status: 'ok', pid: 1, boot_id: 'b', started_at: TS } })[0]!.status).toBe('pass');
});

test("/stats: the runbook's fields are required; runtime_state is needed for the restore check", () => {
  const good = {
    halt_reason: null,
    trading_halted_until: null,
    entries_halted: false,
    runtime_state: { restored: true, restored_seq: 4, restored_digest: 'sha256:x', last_save_at: TS, last_save_seq: 5, last_save_digest: 'sha256:y' },
  };
  expect(checkStats({ url: 'u', status: 200, body: good }).checks.map((c) => c.status)).toEqual(['pass', 'pass']);
  const noRs = checkStats({ url: 'u', status: 200, body: { ...good, runtime_state: undefined } });
  expect(noRs.checks[1]).toMatchObject({ status: 'fail', detail: expect.stringMatching(/cannot check that the restarted process restored/) });
  expect(checkStats({ url: 'u', status: 200, body: { haltReason: null } }).checks[0]).toMatchObject({
    status: 'fail',
    detail: expect.stringMatching(/halt_reason/),
  });
  expect(checkStats({ url: 'u', error: 'timeout' }).stats).toBeUndefined();
});

test('state file: missing, unreadable, a digest that is not RFC 8785 of the body, and a file that disagrees with /stats fail', () => {
  const now = Date.parse(TS) + 4000;
  expect(checkStateFile('/s', { status: 'missing' }, now)[0]).toMatchObject({ status: 'fail', detail: expect.stringMatching(/no RPO and no restore check/) });
  expect(checkStateFile('/s', { status: 'unreadable', error: 'not JSON' }, now)[0]).toMatchObject({ status: 'fail', detail: '/s: not JSON' });
  const ok = { status: 'ok' as const, savedAt: TS, seq: 7, digest: 'sha256:aa', computedDigest: 'sha256:aa', digestValid: true };
  expect(checkStateFile('/s', ok, now)).toEqual([
    expect.objectContaining({ status: 'pass', detail: expect.stringMatching(/seq 7, .*4\.0 s ago/) }),
    expect.objectContaining({ status: 'pass' }),
  ]);
  const wrong = checkStateFile('/s', { ...ok, computedDigest: 'sha256:bb', digestValid: false }, now);
  expect(wrong[1]).toMatchObject({
    status: 'fail',
    name: 'state digest (RFC 8785)',
    detail: expect.stringMatching(/hashes to sha256:bb \(§5\.1 has test vectors\)/),
  });
  const stats = {
    halt_reason: null,
    trading_halted_until: null,
    entries_halted: false,
    runtime_state: { restored: false, restored_seq: null, restored_digest: null, last_save_at: TS, last_save_seq: 7, last_save_digest: 'sha256:cc' },
  };
  expect(checkStateFile('/s', ok, now, stats)[2]).toMatchObject({ status: 'fail', detail: expect.stringMatching(/reports digest sha256:cc for save 7/) });
});

test('artifacts: required files missing or malformed fail, optional ones absent are skipped, cycle pairing is checked', () => {
  const all = checkArtifacts([
    { file: 'order_reconciliation_events.jsonl', lines: [order(1), order(2)] },
    { file: 'position_reconciliation_events.jsonl', lines: [position(1), position(2)] },
    { file: 'ops_slo_events.jsonl', lines: [snapshot(2)] },
    { file: 'incident_events.jsonl', lines: null },
  ]);
  expect(all.map((c) => `${c.status} ${c.name}`)).toEqual([
    'pass order_reconciliation_events.jsonl',
    'pass position_reconciliation_events.jsonl',
    'pass ops_slo_events.jsonl',
    'skip incident_events.jsonl',
    'skip data_quality_events.jsonl',
    'pass cycle pairing',
  ]);
  const broken = checkArtifacts([
    { file: 'order_reconciliation_events.jsonl', lines: [order(1), '{not json', line({ ts: TS, cycle: -1, status: 'fine' })] },
    { file: 'position_reconciliation_events.jsonl', lines: null },
    { file: 'ops_slo_events.jsonl', lines: [] },
  ]);
  expect(broken[0]).toMatchObject({
    status: 'fail',
    detail: expect.stringMatching(/2 of the last 3 line\(s\).*line -2 \(from the end\): not JSON \| line -1 \(from the end\): cycle: .*status/),
  });
  expect(broken[1]).toMatchObject({ status: 'fail', detail: expect.stringMatching(/missing: needed for/) });
  expect(broken[2]).toMatchObject({ status: 'fail', detail: expect.stringMatching(/empty/) });
});

test('cycle pairing (§2): order and position lines numbered independently never make a clean cycle', () => {
  expect(checkCyclePairing([1, 2, 3, 4], [1, 2, 3])).toMatchObject({ status: 'pass' }); // the newest twin may be on its way
  expect(checkCyclePairing([101, 102, 103], [1, 2, 3])).toMatchObject({
    status: 'fail',
    detail: expect.stringMatching(/only 0 of the last 3 .*\(101, 102, 103\)/),
  });
});

test('fault declarations: absent is a skip; present, its commands and URLs are found whatever the shape', () => {
  expect(checkFaults(undefined, [])).toEqual([expect.objectContaining({ status: 'skip', detail: expect.stringMatching(/nothing to inject/) })]);
  expect(checkFaults('inject.sh', [])[0]!.status).toBe('fail');
  const decl = {
    stale_data: { inject: 'touch /tmp/x', clear: ['rm -f /tmp/x', 'true'], description: 'stale bars' },
    http: { url: 'http://127.0.0.1:9/faults' },
    bad: 'ftp://x',
  };
  const parts = faultDeclarationParts(decl);
  expect(parts.commands.map((c) => c.path)).toEqual(['faults.stale_data.inject', 'faults.stale_data.clear[0]', 'faults.stale_data.clear[1]']);
  expect(faultDeclarationParts({ scenarios: [{ name: 'order_drift', injectCommand: 'a', clearCmd: 'b', signal: 'x' }] }).commands.map((c) => c.path)).toEqual([
    'faults.scenarios[0].injectCommand',
    'faults.scenarios[0].clearCmd',
  ]);
  expect(parts.urls).toEqual([{ path: 'faults.http.url', url: 'http://127.0.0.1:9/faults' }]);
  const checks = checkFaults(decl, [
    { role: 'faults.stale_data.inject', command: 'touch /tmp/x', parseError: null, program: { word: 'touch', builtin: false, resolved: null } },
  ]);
  expect(checks.map((c) => c.status)).toEqual(['pass', 'pass', 'fail']);
});

test('the report fails when any line fails, and says nothing was changed', () => {
  expect(checkMode({ mode: 'live' }, false)).toMatchObject({ status: 'fail', detail: expect.stringMatching(/--allow-live/) });
  expect(checkMode({ mode: 'live' }, undefined).status).toBe('pass');
  const r = conformanceReport('t', TS, [checkMode({ mode: 'paper' }, undefined), checkFaults(undefined, [])[0]!, checkMode({ mode: 'live' }, false)]);
  expect(r).toMatchObject({ ok: false, counts: { pass: 1, skip: 1, fail: 1 } });
  const text = describeConformance(r);
  expect(text[2]).toMatch(/^FAIL config\s+mode: live/);
  expect(text.at(-1)).toMatch(/DOES NOT CONFORM: 1 passed, 1 failed, 1 skipped \(read-only/);
  expect(conformanceReport('t', TS, [checkMode({ mode: 'paper' }, undefined)]).ok).toBe(true);
});
