import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, DEFAULT_MAX_CACHED_WORKFLOWS, loadConfig } from '../../src/config';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ HOME: '/nonexistent', ...env }, '/work');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

test('defaults: local dev server, task queue dr-drills, paging off', () => {
  const c = loadConfig({ HOME: '/nonexistent' }, '/work');
  expect(c.temporal.address).toBe('127.0.0.1:7233');
  expect(c.temporal.namespace).toBe('default');
  expect(c.taskQueue).toBe('dr-drills');
  expect(c.paging).toMatchObject({ enabled: false, minSeverity: 'critical', format: 'json' });
  expect(c.runsDir).toBe('/work/results/runs');
  expect(Object.isFrozen(c.paging)).toBe(true);
  expect(c.maxCachedWorkflows).toBe(DEFAULT_MAX_CACHED_WORKFLOWS);
});

test('DRILL_MAX_CACHED_WORKFLOWS bounds the workflow cache (0 turns it off)', () => {
  expect(loadConfig({ HOME: '/nonexistent', DRILL_MAX_CACHED_WORKFLOWS: '250' }, '/work').maxCachedWorkflows).toBe(250);
  expect(loadConfig({ HOME: '/nonexistent', DRILL_MAX_CACHED_WORKFLOWS: '0' }, '/work').maxCachedWorkflows).toBe(0);
});

test('the runbook paging variables and envconfig connection are read', () => {
  const c = loadConfig(
    {
      HOME: '/nonexistent',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'trading',
      SLO_PAGING_ENABLED: 'true',
      SLO_PAGING_WEBHOOK_URL: 'https://hooks.example.test/page',
      SLO_PAGING_MIN_SEVERITY: 'warning',
    },
    '/work',
  );
  expect(c.temporal).toMatchObject({ address: 'temporal.internal:7233', namespace: 'trading' });
  expect(c.temporal.connectionOptions.address).toBe('temporal.internal:7233');
  expect(c.paging).toMatchObject({ enabled: true, webhookUrl: 'https://hooks.example.test/page', minSeverity: 'warning' });
});

test.each([
  [{ SLO_PAGING_ENABLED: 'maybe' }, /^SLO_PAGING_ENABLED: expected true or false \(got "maybe"\)$/],
  [{ SLO_PAGING_ENABLED: 'true' }, /^SLO_PAGING_WEBHOOK_URL: required when SLO_PAGING_ENABLED=true$/],
  [{ SLO_PAGING_WEBHOOK_URL: 'ftp://x' }, /^SLO_PAGING_WEBHOOK_URL: expected an http\(s\) URL$/],
  [{ SLO_PAGING_MIN_SEVERITY: 'info' }, /^SLO_PAGING_MIN_SEVERITY: expected critical or warning \(got "info"\)$/],
  [{ SLO_PAGING_FORMAT: 'xml' }, /^SLO_PAGING_FORMAT: expected json, pagerduty or slack/],
  [
    { SLO_PAGING_ENABLED: '1', SLO_PAGING_WEBHOOK_URL: 'http://h/x', SLO_PAGING_FORMAT: 'pagerduty' },
    /^SLO_PAGING_ROUTING_KEY: required when SLO_PAGING_FORMAT=pagerduty$/,
  ],
  [{ SLO_PAGING_TIMEOUT_MS: 'soon' }, /^SLO_PAGING_TIMEOUT_MS: expected milliseconds/],
  [{ TEMPORAL_ADDRESS: 'localhost' }, /^TEMPORAL_ADDRESS: expected host:port/],
  [{ TEMPORAL_ADDRESS: 'localhost:99999' }, /^TEMPORAL_ADDRESS: port must be between 1 and 65535/],
  [{ DRILL_TASK_QUEUE: 'has space' }, /^DRILL_TASK_QUEUE: expected letters, digits/],
  [{ DRILL_LOG_LEVEL: 'loud' }, /^DRILL_LOG_LEVEL: /],
  [{ DRILL_METRICS_ADDRESS: ':9090' }, /^DRILL_METRICS_ADDRESS: expected host:port/],
  [{ DRILL_UI_PORT: '0' }, /^DRILL_UI_PORT: /],
  [{ DRILL_MAX_CACHED_WORKFLOWS: '1' }, /^DRILL_MAX_CACHED_WORKFLOWS: expected 0 \(no cache\) or 2\.\.100000 \(got "1"\)$/],
  [{ DRILL_MAX_CACHED_WORKFLOWS: 'lots' }, /^DRILL_MAX_CACHED_WORKFLOWS: expected a whole number/],
  [{ DRILL_MAX_CACHED_WORKFLOWS: '2.5' }, /^DRILL_MAX_CACHED_WORKFLOWS: expected a whole number/],
])('%j gives its own named error', (env, message) => {
  const p = problems(env as Record<string, string>);
  expect(p).toHaveLength(1);
  expect(p[0]).toMatch(message);
});

test('several bad variables are all reported at once; secrets are never echoed', () => {
  const p = problems({ SLO_PAGING_ENABLED: 'nope', SLO_PAGING_WEBHOOK_URL: 'not a url with token s3cr3t', DRILL_UI_PORT: 'abc' });
  expect(p.map((x) => x.split(':')[0]).sort()).toEqual(['DRILL_UI_PORT', 'SLO_PAGING_ENABLED', 'SLO_PAGING_WEBHOOK_URL']);
  expect(p.join('\n')).not.toMatch(/s3cr3t/);
});

test.each(['__proto__', 'constructor', 'toString'])('TEMPORAL_PROFILE=%s is refused before envconfig writes onto what every object inherits', (name) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'config-profile-'));
  try {
    const file = path.join(dir, 'temporal.toml');
    fs.writeFileSync(file, '[profile.default]\naddress = "127.0.0.1:7233"\n');
    const p = problems({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: name, TEMPORAL_ADDRESS: '127.0.0.1:7299' });
    expect(p).toEqual([expect.stringMatching(new RegExp(`^TEMPORAL_PROFILE: "${name}" is not a profile name`))]);
    // Before the check, `__proto__` left address, namespace, api_key, tls and codec on Object.prototype.
    const inherited: string[] = [];
    for (const k in {}) inherited.push(k);
    expect(inherited).toEqual([]);
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('address');
    // An ordinary profile name still reads its table.
    expect(loadConfig({ HOME: '/nonexistent', TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'default' }, '/work').temporal.connectionOptions.address).toBe(
      '127.0.0.1:7233',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('mTLS from files loads (the certificate bytes are not frozen: typed arrays cannot be); DRILL_TARGET_ENV_ALLOW is read', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'config-tls-'));
  try {
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) fs.writeFileSync(path.join(dir, f), `-----BEGIN ${f}-----\nAAAA\n-----END ${f}-----\n`);
    const c = loadConfig(
      {
        HOME: '/nonexistent',
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'ca.pem'),
        TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'cert.pem'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(dir, 'key.pem'),
        DRILL_TARGET_ENV_ALLOW: 'KUBECONFIG AWS_*',
      },
      '/work',
    );
    expect(c.temporal.connectionOptions.tls).toBeTruthy();
    expect(Object.isFrozen(c.temporal)).toBe(true);
    expect(c.targetEnvAllow).toEqual(['KUBECONFIG', 'AWS_*']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('paging routes and credentials', () => {
  const base = { HOME: '/nonexistent', SLO_PAGING_ENABLED: 'true', SLO_PAGING_WEBHOOK_URL: 'https://hooks.example.test/page' };

  test('a webhook URL with user:password@ over https (or to loopback) is accepted: it is sent as Basic auth', () => {
    expect(loadConfig({ ...base, SLO_PAGING_WEBHOOK_URL: 'https://pager:s%40cret@hooks.example.test/page' }, '/work').paging.webhookUrl).toBe(
      'https://pager:s%40cret@hooks.example.test/page',
    );
    expect(loadConfig({ ...base, SLO_PAGING_WEBHOOK_URL: 'http://pager:pw@127.0.0.1:9999/page' }, '/work').paging.webhookUrl).toMatch(/^http:\/\/pager:pw@127/);
  });

  test('credentials over plain http to another host are refused at start-up, naming the variable, never echoing it', () => {
    const p = problems({ ...base, SLO_PAGING_WEBHOOK_URL: 'http://pager:t0psecret@hooks.example.test/page' });
    expect(p).toEqual(['SLO_PAGING_WEBHOOK_URL: credentials (user:password@) in an http:// URL would be sent in clear text: use https://, or no credentials']);
    expect(p.join('')).not.toMatch(/t0psecret/);
  });

  test('undecodable credentials are refused', () => {
    expect(problems({ ...base, SLO_PAGING_WEBHOOK_URL: 'https://pager:%E0%A4%A@hooks.example.test/page' })).toEqual([
      'SLO_PAGING_WEBHOOK_URL: the user:password in the URL must be percent-encoded',
    ]);
  });

  test('per-level routes: webhook, routing key and format for level n', () => {
    const c = loadConfig(
      {
        ...base,
        SLO_PAGING_FORMAT: 'slack',
        SLO_PAGING_LEVEL_2_WEBHOOK_URL: 'https://events.example.test/v2/enqueue',
        SLO_PAGING_LEVEL_2_FORMAT: 'pagerduty',
        SLO_PAGING_LEVEL_2_ROUTING_KEY: 'R2',
      },
      '/work',
    );
    expect(c.paging.format).toBe('slack');
    expect(c.paging.levels).toEqual({ 2: { webhookUrl: 'https://events.example.test/v2/enqueue', format: 'pagerduty', routingKey: 'R2' } });
  });

  test.each([
    [{ SLO_PAGING_LEVEL_0_WEBHOOK_URL: 'https://x.test/' }, /^SLO_PAGING_LEVEL_0_WEBHOOK_URL: unknown variable/],
    [{ SLO_PAGING_LEVEL_2_WEBHOOK: 'https://x.test/' }, /^SLO_PAGING_LEVEL_2_WEBHOOK: unknown variable/],
    [{ SLO_PAGING_LEVEL_3_WEBHOOK_URL: 'not a url' }, /^SLO_PAGING_LEVEL_3_WEBHOOK_URL: expected an http\(s\) URL$/],
    [{ SLO_PAGING_LEVEL_3_FORMAT: 'xml' }, /^SLO_PAGING_LEVEL_3_FORMAT: expected json, pagerduty or slack \(got "xml"\)$/],
    [{ SLO_PAGING_LEVEL_2_FORMAT: 'pagerduty' }, /^SLO_PAGING_LEVEL_2_ROUTING_KEY: required when level 2 pages in the pagerduty format$/],
  ])('%j is refused with its own message', (env, message) => {
    const p = problems({ ...base, ...(env as Record<string, string>) });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(message);
  });
});
