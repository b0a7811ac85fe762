/**
 * Worker Deployment Versioning as configured: opt-in, every workflow type has a deliberate
 * behaviour, and the worker options follow the configuration.
 */
import * as workflows from '../../src/workflows';
import { definitionOptionsFor, VERSIONING_BEHAVIOR } from '../../src/workflows/versioning';
import { loadConfig } from '../../src/config';
import { deploymentOptions } from '../../src/worker';
import { reportDeploymentVersion } from '../../src/activities/reports';
import { drillReportSchema } from '../../src/domain/drill-report';

const env = (e: Record<string, string> = {}) => loadConfig({ HOME: '/nonexistent', ...e }, '/work');

test('every registered workflow type has a versioning behaviour, attached to the function the bundle exports', () => {
  const exported = Object.keys(workflows)
    .filter((k) => k.endsWith('Workflow'))
    .sort();
  expect(Object.keys(VERSIONING_BEHAVIOR).sort()).toEqual(exported);
  for (const name of exported) {
    const fn = (workflows as Record<string, unknown>)[name] as { workflowDefinitionOptions?: unknown };
    // A getter: the behaviour is decided per run, from the worker's deployment version.
    expect({ name, options: typeof fn.workflowDefinitionOptions }).toEqual({ name, options: 'function' });
    const key = name as keyof typeof VERSIONING_BEHAVIOR;
    expect(definitionOptionsFor(key, true)).toEqual({ versioningBehavior: VERSIONING_BEHAVIOR[key] });
    // An unversioned worker sends no behaviour (the server refuses one from it).
    expect(definitionOptionsFor(key, false)).toEqual({});
  }
});

test("drills, incidents and their children are pinned; only the long-lived workflows (watcher, halt registry, a drill's days-long sign-off) auto-upgrade", () => {
  expect(VERSIONING_BEHAVIOR).toMatchObject({
    weeklyDrillWorkflow: 'PINNED',
    incidentWorkflow: 'PINNED',
    recoveryWorkflow: 'PINNED',
    incidentAckWorkflow: 'PINNED',
  });
  expect(
    Object.entries(VERSIONING_BEHAVIOR)
      .filter(([, b]) => b === 'AUTO_UPGRADE')
      .map(([n]) => n),
  ).toEqual(['alertWatchWorkflow', 'haltRegistryWorkflow', 'drillSignOffWorkflow']);
});

test('off by default: no deployment options, the worker polls unversioned as before', () => {
  const c = env();
  expect(c.deployment).toEqual({ versioning: false });
  expect(deploymentOptions(c.deployment)).toEqual({});
  expect(reportDeploymentVersion(c.deployment)).toEqual({});
});

test('a build id without versioning only names the reports; with versioning the default behaviour is PINNED', () => {
  const named = env({ DRILL_BUILD_ID: '2026.11.25-abc' });
  expect(deploymentOptions(named.deployment)).toEqual({});
  expect(reportDeploymentVersion(named.deployment)).toEqual({
    deploymentVersion: { deploymentName: 'drill-runner', buildId: '2026.11.25-abc', versioning: false },
  });
  const on = env({ DRILL_WORKER_VERSIONING: 'true', DRILL_BUILD_ID: 'v2', DRILL_DEPLOYMENT_NAME: 'dr-fleet' });
  expect(deploymentOptions(on.deployment)).toEqual({
    workerDeploymentOptions: {
      version: { deploymentName: 'dr-fleet', buildId: 'v2' },
      useWorkerVersioning: true,
      defaultVersioningBehavior: 'PINNED',
    },
  });
  const field = reportDeploymentVersion(on.deployment);
  expect(field).toEqual({ deploymentVersion: { deploymentName: 'dr-fleet', buildId: 'v2', versioning: true } });
  // The report schema accepts the field (and a report without it).
  const base = {
    schemaVersion: 1,
    drillId: 'd1',
    target: 't',
    mode: 'paper',
    startedAt: '2026-11-25T03:00:00Z',
    finishedAt: '2026-11-25T03:05:00Z',
    result: 'pass',
    rto: { seconds: 1, targetSeconds: 900, ok: true },
    rpo: { seconds: 0, targetSeconds: 60, ok: true },
    timeline: {},
    failures: [],
  };
  expect(drillReportSchema.parse({ ...base, ...field }).deploymentVersion?.buildId).toBe('v2');
  expect(drillReportSchema.parse(base).deploymentVersion).toBeUndefined();
});

test.each([
  [{ DRILL_WORKER_VERSIONING: 'true' }, /  - DRILL_BUILD_ID: required when DRILL_WORKER_VERSIONING=true/],
  [{ DRILL_WORKER_VERSIONING: 'sometimes' }, /  - DRILL_WORKER_VERSIONING: expected true or false/],
  [{ DRILL_BUILD_ID: 'has space' }, /  - DRILL_BUILD_ID: expected letters, digits/],
  [{ DRILL_DEPLOYMENT_NAME: 'a.b', DRILL_BUILD_ID: 'v1' }, /  - DRILL_DEPLOYMENT_NAME: must not contain "\."/],
  [{ DRILL_HEALTH_ADDRESS: '8081' }, /  - DRILL_HEALTH_ADDRESS: expected host:port/],
])('%j is refused with the variable named', (e, message) => {
  expect(() => env(e as Record<string, string>)).toThrow(message);
});
