/**
 * Hostile configuration, generated (issue 11.4): the environment (`loadConfig`, every variable the
 * README lists, the `SLO_*` thresholds) and the targets file (`parseTargetsFile`). Each case starts
 * from a valid configuration and makes one variable or field hostile. Either it is accepted, or the
 * error names the variable (or the file path of the field), start-up stops with `ConfigError` /
 * `TargetConfigError`, never another exception, and a secret's value is never
 * echoed in the message.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { ConfigError, loadConfig, SLO_THRESHOLD_VARIABLES, sloThresholdsFromEnv as thresholdsFromEnv } from '../../src/config';
import { parseTargets, TargetConfigError } from '../../src/io/targets';
import { checkHostile, nastyJson, nastyString } from '../helpers/hostile';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-env-'));
  fs.mkdirSync(path.join(dir, 'a-directory'));
  fs.writeFileSync(path.join(dir, 'garbage.toml'), 'this is = = not [toml\n\u0000');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A configuration that loads, with the optional parts set. */
const VALID: Record<string, string> = {
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  TEMPORAL_NAMESPACE: 'default',
  DRILL_TASK_QUEUE: 'dr-drills',
  DRILL_LOG_LEVEL: 'info',
  DRILL_LOG_PRETTY: 'false',
  DRILL_METRICS_ADDRESS: '127.0.0.1:9464',
  DRILL_STATE_DIR: '.drill-runner',
  DRILL_RESULTS_DIR: 'results',
  DRILL_UI_PORT: '8233',
  SLO_PAGING_ENABLED: 'true',
  SLO_PAGING_WEBHOOK_URL: 'https://hooks.invalid/services/T0K3N',
  SLO_PAGING_MIN_SEVERITY: 'critical',
  SLO_PAGING_FORMAT: 'pagerduty',
  SLO_PAGING_ROUTING_KEY: 'rk-123',
  SLO_PAGING_TIMEOUT_MS: '10000',
  DRILL_TARGET_ENV_ALLOW: 'KUBECONFIG,AWS_*',
  TEMPORAL_API_KEY: 'api-key-123',
};
const VARIABLES = [
  ...Object.keys(VALID),
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_PROFILE',
  'TEMPORAL_CONFIG_FILE',
];
/** Secrets (a key file's path is not one; its contents are). */
const SECRET = /^(?!.*_PATH$).*(KEY|URL|SECRET|TOKEN)/;

/** Values a variable may hold by mistake or malice: odd strings, numbers out of range, paths, URLs. */
const envValue: fc.Arbitrary<string> = fc.oneof(
  nastyString,
  fc.integer().map(String),
  fc.double().map(String),
  fc.constantFrom('0', '-1', '65536', '99999999999', '1e3', '0x1F', 'true', 'false', 'yes', 'YES', 'on', 'debug', 'warning', 'json', 'pagerduty', 'critical'),
  fc.constantFrom(
    'http://',
    'https://',
    'ftp://x',
    'javascript:alert(1)',
    'file:///etc/passwd',
    'https://user:pass@host/x',
    'http://[::1]:99999/',
    'host:port',
    ':7233',
    '[::1]:7233',
    'a'.repeat(300) + ':1',
  ),
  fc.constantFrom('/nonexistent/file.toml', '/', '.', '..', '/etc/passwd').map(String),
  fc.constant('<dir>'),
  fc.constant('<garbage-file>'),
);

/**
 * No case may leave keys on `Object.prototype`: envconfig once wrote a profile's fields there for
 * `TEMPORAL_PROFILE=__proto__`, and every later `for…in` in the process (zod's among them) saw them.
 */
function expectNothingInherited(input: string): void {
  const inherited: string[] = [];
  for (const k in {}) inherited.push(k);
  if (inherited.length) throw new Error(`${input}: left ${inherited.join(', ')} on Object.prototype`);
}

test('environment: one hostile variable on top of a valid configuration', async () => {
  await checkHostile({
    boundary: 'environment/loadConfig',
    through: 'loadConfig (src/config.ts), validated once at start-up',
    checks: [
      'only ConfigError',
      'every problem line starts with a variable name',
      'the hostile variable (or one that depends on it) is named',
      "a secret's value is never echoed",
    ],
    test: 'test/hostile/environment.test.ts',
    arbitrary: fc.record({ name: fc.constantFrom(...VARIABLES), value: envValue }),
    run: ({ name, value }) => {
      const v = value === '<dir>' ? path.join(dir, 'a-directory') : value === '<garbage-file>' ? path.join(dir, 'garbage.toml') : value;
      // A secret's value carries a marker that must never show up in an error.
      const shown = SECRET.test(name) ? `${v}MARKER-9f2c` : v;
      const env = { ...VALID, [name]: shown };
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig(env, dir);
      } catch (err) {
        expectNothingInherited(`${name}=${JSON.stringify(v)}`);
        if (!(err instanceof ConfigError)) throw new Error(`${name}=${JSON.stringify(v)}: not a ConfigError: ${String(err)}`);
        for (const p of err.problems) expect(p).toMatch(/^[A-Z][A-Z0-9_]*(, [A-Z][A-Z0-9_]*)*( \/ [A-Z][A-Z0-9_*]*)*:/);
        const named = err.problems.some(
          (p) =>
            p.includes(name) ||
            (name.startsWith('TEMPORAL_') && p.startsWith('TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE / TEMPORAL_TLS*')) ||
            (name.startsWith('SLO_PAGING_') && p.startsWith('SLO_PAGING_')),
        );
        if (!named) throw new Error(`${name}=${JSON.stringify(v)}: the error does not name it: ${err.message}`);
        expect(err.message).not.toContain('MARKER-9f2c');
        return 'refused';
      }
      expectNothingInherited(`${name}=${JSON.stringify(v)}`);
      expect(Object.isFrozen(config)).toBe(true);
      return 'accepted';
    },
  });
});

test('SLO threshold variables: one hostile value each', async () => {
  const names = Object.keys(SLO_THRESHOLD_VARIABLES);
  await checkHostile({
    boundary: 'environment/slo-thresholds',
    through: 'sloThresholdsFromEnv (src/config.ts), read by drill watch, drill promote and drill rehearse ack',
    checks: ['only ConfigError', 'the variable is named with the value it got', 'accepted values are finite and in range'],
    test: 'test/hostile/environment.test.ts',
    arbitrary: fc.record({
      name: fc.constantFrom(...names),
      value: fc.oneof(
        envValue,
        fc.double().map((n) => `${n}%`),
      ),
    }),
    run: ({ name, value }) => {
      try {
        const t = thresholdsFromEnv({ [name]: value });
        for (const n of Object.values(t)) expect(Number.isFinite(n)).toBe(true);
        expect(t.minReconciliationPassRate).toBeGreaterThanOrEqual(0);
        expect(t.minReconciliationPassRate).toBeLessThanOrEqual(1);
        return 'accepted';
      } catch (err) {
        if (!(err instanceof ConfigError)) throw new Error(`${name}=${JSON.stringify(value)}: not a ConfigError: ${String(err)}`);
        expect(err.problems.every((p) => p.startsWith(`${name}: `))).toBe(true);
        return 'refused';
      }
    },
  });
});

const TARGET = {
  mode: 'paper',
  artifactsRoot: 'results/runs',
  runId: 'paper-1',
  auditLogsDir: 'audit_logs',
  gatewayUrl: 'http://127.0.0.1:8080',
  process: {
    adapter: 'shell',
    stop: 'systemctl stop bot',
    start: 'systemctl start bot',
    health: 'systemctl is-active bot',
    timeoutSeconds: 60,
    cwd: '/srv/bot',
    envAllow: ['KUBECONFIG'],
  },
  stateFile: 'state/runtime_state.json',
  broker: { apiUrl: 'http://127.0.0.1:8081', wsUrl: 'ws://127.0.0.1:8081/ws' },
  symbols: ['AAPL', 'MSFT'],
};
const SANDBOX_PROCESS = { adapter: 'sandbox', controlUrl: 'http://127.0.0.1:8080', configFile: 'sandbox.json', timeoutSeconds: 30 };

function targetPaths(v: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(v)) return v.flatMap((x, i) => [[...prefix, i], ...targetPaths(x, [...prefix, i])]);
  if (typeof v === 'object' && v !== null) return Object.entries(v).flatMap(([k, x]) => [[...prefix, k], ...targetPaths(x, [...prefix, k])]);
  return [];
}

test('targets file: one hostile field (or target name) in a valid file', async () => {
  const bases = [{ targets: { 'paper-1': TARGET } }, { targets: { 'paper-1': { ...TARGET, process: SANDBOX_PROCESS } } }];
  await checkHostile({
    boundary: 'environment/targets-file',
    through: 'parseTargets (src/io/targets.ts) over parseTargetsFile (src/domain/target.ts)',
    checks: [
      'only TargetConfigError',
      'every problem names the file path of the field (targets.<name>.<field>...)',
      'accepted files resolve every path absolutely',
    ],
    test: 'test/hostile/environment.test.ts',
    arbitrary: fc.oneof(
      fc
        .constantFrom(...bases)
        .chain((b) => fc.record({ base: fc.constant(b), at: fc.constantFrom(...targetPaths(b).filter((p) => p.length > 2)), value: nastyJson })),
      fc.constantFrom(...bases).chain((b) =>
        fc.record({
          base: fc.constant(b),
          at: fc.constant(['targets'] as Array<string | number>),
          value: nastyString.map((name) => ({ [name]: b.targets['paper-1'] })),
        }),
      ),
    ),
    run: ({ base, at, value }) => {
      const file = structuredClone(base) as Record<string, unknown>;
      let node = file as Record<string | number, unknown>;
      for (const seg of at.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
      node[at[at.length - 1]!] = value;
      try {
        const parsed = parseTargets(file, dir, 'targets.json');
        for (const t of Object.values(parsed.targets)) {
          expect(path.isAbsolute(t.artifactsRoot)).toBe(true);
          expect(path.isAbsolute(t.stateFile)).toBe(true);
        }
        return 'accepted';
      } catch (err) {
        if (!(err instanceof TargetConfigError))
          throw new Error(`${at.join('.')}: not a TargetConfigError: ${err instanceof Error ? (err.stack ?? String(err)) : String(err)}`);
        const prefix = at.length > 2 ? `targets.${String(at[1])}.${String(at[2])}` : 'targets';
        for (const p of err.problems)
          if (!p.startsWith(prefix) && !p.startsWith('targets.')) throw new Error(`${at.join('.')}: problem does not name the path: ${p}`);
        if (!err.problems.some((p) => p.startsWith(prefix) || (at.length <= 2 && p.includes('target name'))))
          throw new Error(`${at.join('.')}: no problem names ${prefix}: ${err.message}`);
        return 'refused';
      }
    },
  });
});
