/** `drill config`: the value in force and its source per setting; secrets only as set or not. */
import { describeSettings, formatSettings } from '../../src/commands/config-report';
import { loadConfig } from '../../src/config';

const row = (rows: ReturnType<typeof describeSettings>, name: string) => rows.find((r) => r.name === name)!;

test('a variable set in the environment shows its value and "env"; one not set shows its default', () => {
  const env = { DRILL_TASK_QUEUE: 'dr-blue', DRILL_LOG_LEVEL: 'debug' };
  const rows = describeSettings(env, loadConfig(env, '/tmp'));
  expect(row(rows, 'DRILL_TASK_QUEUE')).toMatchObject({ source: 'env', value: 'dr-blue' });
  expect(row(rows, 'DRILL_LOG_LEVEL')).toMatchObject({ source: 'env', value: 'debug' });
  expect(row(rows, 'DRILL_UI_PORT')).toMatchObject({ source: 'default', value: '8233' });
  expect(row(rows, 'TEMPORAL_ADDRESS')).toMatchObject({ source: 'default', value: '127.0.0.1:7233' });
});

test('secrets are never printed, only that they are set (per-level routes named)', () => {
  const env = {
    SLO_PAGING_ENABLED: 'true',
    SLO_PAGING_WEBHOOK_URL: 'https://hooks.example/T0KEN',
    SLO_PAGING_LEVEL_2_WEBHOOK_URL: 'https://hooks.example/L2-T0KEN',
    TEMPORAL_API_KEY: 'k-secret',
  };
  const rows = describeSettings(env, { temporal: { address: '127.0.0.1:7233', namespace: 'default' } } as never);
  expect(row(rows, 'SLO_PAGING_WEBHOOK_URL')).toMatchObject({ source: 'env', value: '(set, hidden)' });
  expect(row(rows, 'TEMPORAL_API_KEY')).toMatchObject({ source: 'env', value: '(set, hidden)' });
  expect(row(rows, 'SLO_PAGING_LEVEL_<n>_WEBHOOK_URL, _ROUTING_KEY, _FORMAT')).toMatchObject({
    source: 'env',
    value: '(set, hidden): SLO_PAGING_LEVEL_2_WEBHOOK_URL',
  });
  const text = formatSettings(rows).join('\n') + JSON.stringify(rows);
  expect(text).not.toMatch(/T0KEN|k-secret/);
});

test('the Temporal address from an envconfig profile (not the environment) is reported as "profile"', () => {
  const rows = describeSettings({}, { temporal: { address: 'temporal.internal:7233', namespace: 'prod' } } as never);
  expect(row(rows, 'TEMPORAL_ADDRESS')).toMatchObject({ source: 'profile', value: 'temporal.internal:7233' });
  expect(row(rows, 'TEMPORAL_NAMESPACE')).toMatchObject({ source: 'profile', value: 'prod' });
});
