import fs from 'node:fs';
import path from 'node:path';
import {
  canonicalJson,
  entriesHalted,
  faultRequestSchema,
  FAULT_NAMES,
  parseTargetsFile,
  targetNameSchema,
  type TargetConfigInput,
} from '../../src/domain/target';
import { parseTargets, pickTarget, UnknownTargetError, TargetConfigError } from '../../src/io/targets';
import { parseSandboxConfig, SandboxConfigError } from '../../src/sandbox/config';

const good: TargetConfigInput = {
  mode: 'paper',
  artifactsRoot: 'results/runs',
  runId: 'paper-1',
  auditLogsDir: 'audit_logs',
  gatewayUrl: 'http://127.0.0.1:8080',
  process: { adapter: 'sandbox', controlUrl: 'http://127.0.0.1:8080' },
  stateFile: 'state/runtime_state.json',
  broker: { apiUrl: 'http://127.0.0.1:8080/broker', wsUrl: 'ws://127.0.0.1:8080/broker/ws' },
  symbols: ['AAPL'],
};

const errorsOf = (v: unknown) => {
  const r = parseTargetsFile(v);
  if (r.ok) throw new Error('expected errors');
  return r.errors;
};

describe('targets file', () => {
  test('a good file parses, with defaults, and relative paths resolve against its directory', () => {
    const f = parseTargets({ targets: { 'paper-1': good } }, '/etc/drill');
    const t = pickTarget(f, 'paper-1');
    expect(t.stateFile).toBe('/etc/drill/state/runtime_state.json');
    expect(t.process).toMatchObject({ adapter: 'sandbox', timeoutSeconds: 60 });
  });

  test('errors name their path', () => {
    expect(errorsOf({ targets: { 'paper-1': { ...good, gatewayUrl: 'ftp://x' } } })).toEqual(['targets.paper-1.gatewayUrl: expected an http(s) URL']);
    expect(errorsOf({ targets: { 'paper-1': { ...good, broker: { ...good.broker, wsUrl: 'http://x' } } } })).toEqual([
      'targets.paper-1.broker.wsUrl: expected a ws(s) URL',
    ]);
    expect(errorsOf({ targets: { 'paper-1': { ...good, mode: 'prod' } } })).toEqual(['targets.paper-1.mode: expected paper or live']);
    expect(errorsOf({ targets: { 'paper-1': { ...good, runId: '../x' } } })[0]).toMatch(/^targets\.paper-1\.runId: run id may hold only/);
    expect(errorsOf({ targets: { 'paper-1': { ...good, symbols: ['AAPL', 'A/B'] } } })[0]).toMatch(/^targets\.paper-1\.symbols\.1: symbol must be/);
    expect(errorsOf({ targets: { 'paper-1': { ...good, process: { adapter: 'shell', stop: 'x', start: '', health: 'y' } } } })).toEqual([
      'targets.paper-1.process.start: start must not be empty',
    ]);
    expect(errorsOf({ targets: { 'paper-1': { ...good, process: { adapter: 'ssh' } } } })[0]).toMatch(/^targets\.paper-1\.process(\.adapter)?: /);
    const { stateFile: _s, ...noState } = good;
    expect(errorsOf({ targets: { 'paper-1': noState } })).toEqual(['targets.paper-1.stateFile: stateFile is required']);
    expect(errorsOf({})[0]).toMatch(/^targets: /);
  });

  test.each([
    ['path traversal', '../etc'],
    ['a separator', 'a/b'],
    ['empty', ''],
    ['too long', 'x'.repeat(129)],
    ['odd characters', 'paper 1'],
    ['a leading dot', '.hidden'],
    ['a leading dash', '-x'],
    ['unicode', 'pápér'],
  ])('target names with %s are rejected', (_what, name) => {
    expect(targetNameSchema.safeParse(name).success).toBe(false);
    const errors = errorsOf({ targets: { [name]: good } });
    expect(errors[0]).toContain(`target name ${JSON.stringify(name)}`);
    const f = parseTargets({ targets: { 'paper-1': good } }, '/');
    expect(() => pickTarget(f, name)).toThrow(UnknownTargetError);
    expect(() => pickTarget(f, name)).toThrow(/invalid target name/);
  });

  test('unknown names and prototype keys are unknown targets', () => {
    const f = parseTargets({ targets: { 'paper-1': good } }, '/');
    expect(() => pickTarget(f, 'paper-2')).toThrow(/unknown target "paper-2" \(known: paper-1\)/);
    expect(() => pickTarget(f, 'constructor')).toThrow(UnknownTargetError);
  });

  test('parseTargets throws one error listing every problem', () => {
    expect(() => parseTargets({ targets: { a: { ...good, gatewayUrl: 'x', symbols: [] } } }, '/', 'targets.json')).toThrow(TargetConfigError);
    try {
      parseTargets({ targets: { a: { ...good, gatewayUrl: 'x', symbols: [] } } }, '/', 'targets.json');
    } catch (err) {
      expect((err as TargetConfigError).problems).toEqual(['targets.a.gatewayUrl: expected an http(s) URL', 'targets.a.symbols: at least one active symbol']);
    }
  });

  test('the example targets file is valid', () => {
    const file = path.join(__dirname, '..', '..', 'examples', 'targets.json');
    const r = parseTargetsFile(JSON.parse(fs.readFileSync(file, 'utf8')));
    expect(r).toMatchObject({ ok: true });
  });
});

describe('contract helpers', () => {
  test('canonical JSON sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });

  test('entries halted: a reason without an end, or an end in the future', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(entriesHalted(null, null, now)).toBe(false);
    expect(entriesHalted('x', null, now)).toBe(true);
    expect(entriesHalted('x', '2026-01-01T00:00:01Z', now)).toBe(true);
    expect(entriesHalted('x', '2025-12-31T23:59:59Z', now)).toBe(false);
  });

  test('fault requests: every fault name, clear all, seconds bounded', () => {
    for (const f of FAULT_NAMES) expect(faultRequestSchema.safeParse({ action: 'inject', fault: f }).success).toBe(true);
    expect(faultRequestSchema.safeParse({ action: 'clear', fault: 'all' }).success).toBe(true);
    expect(faultRequestSchema.safeParse({ action: 'inject', fault: 'slow_restart', seconds: -1 }).success).toBe(false);
    expect(faultRequestSchema.safeParse({ action: 'inject', fault: 'nope' }).success).toBe(false);
  });
});

describe('sandbox config', () => {
  test('defaults are realistic and paths resolve against the file', () => {
    const c = parseSandboxConfig({}, '/srv/sbx');
    expect(c.intervals).toEqual({ reconciliationMs: 5000, sloMonitorMs: 10000, dataQualityMs: 60000, stateSaveMs: 15000, feedMs: 1000 });
    expect(c.stateDir).toBe('/srv/sbx/.drill-runner/sandbox');
    expect(c.host).toBe('127.0.0.1');
  });
  test('errors name the field', () => {
    expect(() => parseSandboxConfig({ intervals: { reconciliationMs: 1 }, runId: '../x' }, '/')).toThrow(SandboxConfigError);
    try {
      parseSandboxConfig({ intervals: { reconciliationMs: 1 } }, '/');
    } catch (err) {
      expect((err as SandboxConfigError).problems).toEqual(['intervals.reconciliationMs: at least 20 ms']);
    }
  });
  test('the example sandbox config is valid', () => {
    const file = path.join(__dirname, '..', '..', 'examples', 'sandbox-config.json');
    expect(parseSandboxConfig(JSON.parse(fs.readFileSync(file, 'utf8')), path.dirname(file)).port).toBe(8710);
  });
});
