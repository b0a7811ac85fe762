import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

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
});

test('the runbook paging variables and envconfig connection are read', () => {
  const c = loadConfig({
    HOME: '/nonexistent',
    TEMPORAL_ADDRESS: 'temporal.internal:7233',
    TEMPORAL_NAMESPACE: 'trading',
    SLO_PAGING_ENABLED: 'true',
    SLO_PAGING_WEBHOOK_URL: 'https://hooks.example.test/page',
    SLO_PAGING_MIN_SEVERITY: 'warning',
  }, '/work');
  expect(c.temporal).toMatchObject({ address: 'temporal.internal:7233', namespace: 'trading' });
  expect(c.temporal.connectionOptions.address).toBe('temporal.internal:7233');
  expect(c.paging).toMatchObject({ enabled: true, webhookUrl: 'https://hooks.example.test/page', minSeverity: 'warning' });
});

test.each([
  [{ SLO_PAGING_ENABLED: 'maybe' }, /^SLO_PAGING_ENABLED: expected true or false \(got "maybe"\)$/],
  [{ SLO_PAGING_ENABLED: 'true' }, /^SLO_PAGING_WEBHOOK_URL: required when SLO_PAGING_ENABLED=true$/],
  [{ SLO_PAGING_WEBHOOK_URL: 'ftp://x' }, /^SLO_PAGING_WEBHOOK_URL: expected an http\(s\) URL$/],
  [{ SLO_PAGING_MIN_SEVERITY: 'info' }, /^SLO_PAGING_MIN_SEVERITY: expected critical or warning \(got "info"\)$/],
  [{ SLO_PAGING_FORMAT: 'xml' }, /^SLO_PAGING_FORMAT: expected json or pagerduty/],
  [{ SLO_PAGING_ENABLED: '1', SLO_PAGING_WEBHOOK_URL: 'http://h/x', SLO_PAGING_FORMAT: 'pagerduty' }, /^SLO_PAGING_ROUTING_KEY: required when SLO_PAGING_FORMAT=pagerduty$/],
  [{ SLO_PAGING_TIMEOUT_MS: 'soon' }, /^SLO_PAGING_TIMEOUT_MS: expected milliseconds/],
  [{ TEMPORAL_ADDRESS: 'localhost' }, /^TEMPORAL_ADDRESS: expected host:port/],
  [{ TEMPORAL_ADDRESS: 'localhost:99999' }, /^TEMPORAL_ADDRESS: port must be between 1 and 65535/],
  [{ DRILL_TASK_QUEUE: 'has space' }, /^DRILL_TASK_QUEUE: expected letters, digits/],
  [{ DRILL_LOG_LEVEL: 'loud' }, /^DRILL_LOG_LEVEL: /],
  [{ DRILL_METRICS_ADDRESS: ':9090' }, /^DRILL_METRICS_ADDRESS: expected host:port/],
  [{ DRILL_UI_PORT: '0' }, /^DRILL_UI_PORT: /],
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

test('mTLS from files loads (the certificate bytes are not frozen: typed arrays cannot be); DRILL_TARGET_ENV_ALLOW is read', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'config-tls-'));
  try {
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) fs.writeFileSync(path.join(dir, f), `-----BEGIN ${f}-----\nAAAA\n-----END ${f}-----\n`);
    const c = loadConfig({
      HOME: '/nonexistent',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'ca.pem'),
      TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'cert.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(dir, 'key.pem'),
      DRILL_TARGET_ENV_ALLOW: 'KUBECONFIG AWS_*',
    }, '/work');
    expect(c.temporal.connectionOptions.tls).toBeTruthy();
    expect(Object.isFrozen(c.temporal)).toBe(true);
    expect(c.targetEnvAllow).toEqual(['KUBECONFIG', 'AWS_*']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
