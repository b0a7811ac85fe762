/** The copyable GitHub Actions workflow for the promotion gate: valid YAML that runs the real command. */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const file = path.resolve(__dirname, '../../docs/ci/promotion-gate.yml');
const wf = parse(fs.readFileSync(file, 'utf8')) as {
  on: Record<string, { inputs: Record<string, unknown> }>;
  jobs: { gate: { env: Record<string, string>; steps: Array<{ name?: string; run?: string; uses?: string; env?: Record<string, string>; if?: string }> } };
};

test('dispatchable and callable with the gate inputs', () => {
  for (const trigger of ['workflow_dispatch', 'workflow_call'])
    expect(Object.keys(wf.on[trigger]!.inputs).sort()).toEqual(['experiment', 'run_id', 'strict', 'target']);
});

test('connects through envconfig variables, secrets only from secrets', () => {
  const env = wf.jobs.gate.env;
  expect(env.TEMPORAL_ADDRESS).toBe('${{ vars.TEMPORAL_ADDRESS }}');
  expect(env.TEMPORAL_NAMESPACE).toBe('${{ vars.TEMPORAL_NAMESPACE }}');
  expect(env.TEMPORAL_API_KEY).toBe('${{ secrets.TEMPORAL_API_KEY }}');
  const tls = wf.jobs.gate.steps.find((s) => s.name?.startsWith('mTLS'))!;
  expect(tls.run).toMatch(/TEMPORAL_TLS_CLIENT_CERT_PATH=/);
  expect(tls.run).toMatch(/TEMPORAL_TLS_CLIENT_KEY_PATH=/);
  expect(Object.values(tls.env ?? {}).every((v) => v.startsWith('${{ secrets.'))).toBe(true);
});

test('runs `drill promote` with inputs passed as environment, never spliced into the script', () => {
  const gate = wf.jobs.gate.steps.find((s) => s.name === 'Promotion gate')!;
  expect(gate.run).toMatch(/node bin\/drill\.js "\$\{args\[@\]\}"/);
  expect(gate.run).toMatch(/promote --experiment "\$EXPERIMENT" --run-id "\$RUN_ID"/);
  expect(gate.run).not.toMatch(/\$\{\{/);
  expect(gate.env).toMatchObject({ EXPERIMENT: '${{ inputs.experiment }}', RUN_ID: '${{ inputs.run_id }}' });
});
