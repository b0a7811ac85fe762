/**
 * Least privilege toward targets (issue 11.6): target commands get an allow-listed environment,
 * never the worker's secrets. Real commands print their environment; a real sandbox started by the
 * process adapter is read through /proc; the worker's secrets must appear in neither.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createProcessControlActivities } from '../../src/activities/process-control';
import { ConfigError, loadConfig } from '../../src/config';
import { targetCommandEnv } from '../../src/domain/target-env';
import { parseTargets, staticTargetResolver, TargetConfigError } from '../../src/io/targets';
import { startTestSandbox, waitFor, type TestSandbox } from '../helpers/sandbox';

const token = () => randomBytes(8).toString('hex');
/** What the worker holds: its Temporal and paging credentials, and settings targets have no use for. */
const SECRETS: Record<string, string> = {
  TEMPORAL_API_KEY: `tak-${token()}`,
  TEMPORAL_TLS_CLIENT_KEY_DATA: `-----BEGIN PRIVATE KEY----- ${token()}`,
  SLO_PAGING_WEBHOOK_URL: `https://hooks.invalid/services/T${token()}`,
  SLO_PAGING_ROUTING_KEY: `rk-${token()}`,
};
const NOT_ALLOWED = { DRILL_INTERNAL_SETTING: `drill-${token()}` };
/** Allowed by the target's own envAllow, and by DRILL_TARGET_ENV_ALLOW, respectively. */
const ALLOWED = { AWS_PROFILE: `profile-${token()}`, CORP_TOOL_HOME: `/opt/corp-${token()}` };

const saved: Record<string, string | undefined> = {};
beforeAll(() => {
  for (const [k, v] of Object.entries({ ...SECRETS, ...NOT_ALLOWED, ...ALLOWED })) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

function expectNoSecret(text: string, where: string): void {
  for (const [name, value] of Object.entries({ ...SECRETS, ...NOT_ALLOWED })) {
    expect({ where, name, leaked: text.includes(value) }).toEqual({ where, name, leaked: false });
    expect({ where, name, leaked: text.includes(`${name}=`) }).toEqual({ where, name, leaked: false });
  }
}

describe('shell adapter: stop, start and health commands that print their environment', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'target-env-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('each command sees PATH and what the allow-lists name, and no secret of the worker', async () => {
    const print = (what: string) => `env > "${path.join(dir, `${what}.env`)}"`;
    const down = path.join(dir, 'stopped');
    const targets = parseTargets(
      {
        targets: {
          'shell-env': {
            mode: 'paper',
            artifactsRoot: 'results/runs',
            runId: 'paper-env',
            auditLogsDir: 'audit_logs',
            gatewayUrl: 'http://127.0.0.1:9/',
            // A stop counts only once health fails (the process is gone): the commands keep that state in a file.
            process: {
              adapter: 'shell',
              stop: `${print('stop')} && touch "${down}"`,
              start: `${print('start')} && rm -f "${down}"`,
              health: `${print('health')} && test ! -e "${down}"`,
              timeoutSeconds: 10,
              envAllow: ['AWS_PROFILE'],
            },
            stateFile: 'state.json',
            broker: { apiUrl: 'http://127.0.0.1:9/', wsUrl: 'ws://127.0.0.1:9/' },
            symbols: ['AAPL'],
          },
        },
      },
      dir,
    );
    // DRILL_TARGET_ENV_ALLOW as the worker reads it.
    const { targetEnvAllow } = loadConfig({ ...process.env, DRILL_TARGET_ENV_ALLOW: 'CORP_*' }, dir);
    expect(targetEnvAllow).toEqual(['CORP_*']);
    const pc = createProcessControlActivities({ targets: staticTargetResolver(targets), opsDir: path.join(dir, 'ops'), envAllow: targetEnvAllow });

    expect(await pc.processHealth({ target: 'shell-env' })).toMatchObject({ healthy: true });
    await pc.processStop({ target: 'shell-env', idempotencyKey: 'env.stop' });
    await pc.processStart({ target: 'shell-env', idempotencyKey: 'env.start' });

    for (const what of ['health', 'stop', 'start']) {
      const text = fs.readFileSync(path.join(dir, `${what}.env`), 'utf8');
      expectNoSecret(text, what);
      const vars = Object.fromEntries(
        text
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      expect(vars.PATH).toBe(process.env.PATH);
      expect(vars).toMatchObject(ALLOWED);
    }
  });
});

describe('sandbox adapter: the process the worker spawns', () => {
  let sbx: TestSandbox;
  beforeAll(async () => {
    sbx = await startTestSandbox({ targetName: 'sandbox-env' });
  });
  afterAll(async () => sbx?.cleanup());

  test("a sandbox restarted through processStop/processStart holds none of the worker's secrets in /proc/<pid>/environ", async () => {
    const pc = createProcessControlActivities({ ...sbx.deps, envAllow: ['CORP_*'] });
    await pc.processStop({ target: 'sandbox-env', idempotencyKey: 'env-sbx.stop' });
    const start = await pc.processStart({ target: 'sandbox-env', idempotencyKey: 'env-sbx.start' });
    expect(start.pid).toBeGreaterThan(0);
    await waitFor('the restarted sandbox to serve', async () => (await pc.processHealth({ target: 'sandbox-env' })).healthy, { timeoutMs: 15000 });
    const environ = fs.readFileSync(`/proc/${start.pid}/environ`, 'utf8').split('\0').join('\n');
    expectNoSecret(environ, 'sandbox');
    expect(environ).toContain(`CORP_TOOL_HOME=${ALLOWED.CORP_TOOL_HOME}`);
    expect(environ).not.toContain(`AWS_PROFILE=`);
  });
});

describe('the allow-list itself', () => {
  test("defaults, extra names and prefixes; the runner's secrets never, even when a prefix covers them", () => {
    const parent = {
      PATH: '/bin',
      HOME: '/root',
      LC_ALL: 'C',
      TEMPORAL_API_KEY: 'k',
      TEMPORAL_ADDRESS: 'a:1',
      TEMP_DIR: '/t',
      SLO_PAGING_ROUTING_KEY: 'r',
      SLO_MAX: '3',
      OTHER: 'x',
      UNSET: undefined,
    };
    expect(targetCommandEnv(parent)).toEqual({ PATH: '/bin', HOME: '/root', LC_ALL: 'C' });
    expect(targetCommandEnv(parent, ['T*', 'S*', 'OTHER'])).toEqual({ PATH: '/bin', HOME: '/root', LC_ALL: 'C', TEMP_DIR: '/t', SLO_MAX: '3', OTHER: 'x' });
  });

  test('DRILL_TARGET_ENV_ALLOW naming a secret, or not a name, stops start-up naming the variable and the entry', () => {
    for (const [value, expected] of [
      ['TEMPORAL_API_KEY', /DRILL_TARGET_ENV_ALLOW: "TEMPORAL_API_KEY" names the runner's own secrets/],
      ['KUBECONFIG, SLO_PAGING_*', /DRILL_TARGET_ENV_ALLOW: "SLO_PAGING_\*" names the runner's own secrets/],
      ['*', /DRILL_TARGET_ENV_ALLOW: "\*": expected a variable name or a prefix/],
      ['A-B', /DRILL_TARGET_ENV_ALLOW: "A-B": expected a variable name/],
    ] as const) {
      let err: unknown;
      try {
        loadConfig({ DRILL_TARGET_ENV_ALLOW: value });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(expected);
    }
    expect(loadConfig({ DRILL_TARGET_ENV_ALLOW: 'AWS_PROFILE,KUBE_* VAULT_ADDR' }).targetEnvAllow).toEqual(['AWS_PROFILE', 'KUBE_*', 'VAULT_ADDR']);
  });

  test('a target whose envAllow names a secret is refused with the path of the entry', () => {
    const entry = {
      mode: 'paper',
      artifactsRoot: 'r',
      runId: 'r1',
      auditLogsDir: 'a',
      gatewayUrl: 'http://127.0.0.1:9/',
      stateFile: 's',
      broker: { apiUrl: 'http://127.0.0.1:9/', wsUrl: 'ws://127.0.0.1:9/' },
      symbols: ['AAPL'],
    };
    let err: unknown;
    try {
      parseTargets(
        { targets: { t1: { ...entry, process: { adapter: 'shell', stop: 'x', start: 'x', health: 'x', envAllow: ['PATH', 'TEMPORAL_*'] } } } },
        '/tmp',
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TargetConfigError);
    expect((err as TargetConfigError).problems).toEqual([
      expect.stringMatching(/^targets\.t1\.process\.envAllow\.1: "TEMPORAL_\*" names the runner's own secrets/),
    ]);
  });
});
