import { workerHealth } from '../../src/worker-health';

const base = { state: 'RUNNING', taskQueue: 'dr-drills', namespace: 'default', versioning: false, nowMs: 1_000_000 };

test('healthy: polling and the frontend answered recently', () => {
  const h = workerHealth({
    ...base,
    serverOkAtMs: 1_000_000 - 5_000,
    version: { deploymentName: 'drill-runner', buildId: 'v1' },
  });
  expect(h).toMatchObject({ ok: true, state: 'RUNNING', version: 'drill-runner.v1', problems: [] });
  expect(h.serverOkAt).toBe(new Date(995_000).toISOString());
});

test.each([
  [{ state: 'DRAINING', serverOkAtMs: 999_000 }, /worker is DRAINING/],
  [{ serverOkAtMs: null }, /has not answered yet/],
  [{ serverOkAtMs: 1_000_000 - 31_000 }, /has not answered for 31 s/],
])('unhealthy %j', (over, problem) => {
  const h = workerHealth({ ...base, ...over });
  expect(h.ok).toBe(false);
  expect(h.problems.join('; ')).toMatch(problem);
  expect(h.version).toBeNull();
});
