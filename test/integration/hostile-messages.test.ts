/**
 * Handlers that cannot wedge a workflow (issue 11.2), tried with the real Temporal CLI on the dev
 * server against a real sandbox target.
 *
 * Every signal and update that the running workflows declare (found with `temporal workflow
 * metadata`, so a handler added later is tried too, and checked against every definition in
 * `src/workflows/definitions.ts`) gets hostile payloads: wrong types, empty and over-long strings,
 * prototype keys, a 300 KB string, 5,000-deep nesting, an unknown payload encoding, binary data, two
 * arguments. A signal must be delivered and dropped (no failed workflow task, the workflow runs on);
 * an update must be rejected as `InvalidInput` and never reach history. Afterwards each workflow still
 * answers its `status` query and accepts a valid message. And every workflow type started with a
 * hostile input fails at once as `InvalidInput` instead of retrying its first task forever.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { type z } from 'zod';
import { createActivities } from '../../src/activities';
import { externalResolutionSchema, forceResumeSchema, reclassifySchema, type IncidentResult } from '../../src/domain/incident';
import { haltReplySchema, haltSignalSchema, holdRequestSchema, releaseRequestSchema } from '../../src/domain/halts';
import { drillLockHolderSchema, drillLockReleaseSchema, drillLockWhoSchema } from '../../src/domain/drill-lock';
import { acknowledgeSchema, resolveMessageSchema } from '../../src/domain/incident-ack';
import { signOffRequestSchema } from '../../src/domain/drill-signoff';
import { recoveryStatusQuery, weeklyDrillStatusQuery } from '../../src/workflows/definitions';
import * as definitions from '../../src/workflows/definitions';
import * as workflows from '../../src/workflows';
import { stopWatchMessageSchema, type AlertWatchResult } from '../../src/domain/watch';
import { workflowIds } from '../../src/shared';
import { parseMessage } from '../../src/workflows/validation';
import { recordBoundary } from '../helpers/hostile';
import { startTestSandbox, waitFor, type TestSandbox } from '../helpers/sandbox';
import { devServerEnv, uniqueId, workflowBundle } from '../helpers/temporal';
import { temporalCli, workflowHandlers, type WorkflowHandlers } from '../helpers/temporal-cli';
import { PAGING_OFF, startProductWorker, type ProductWorker } from '../helpers/product-worker';

let env: TestWorkflowEnvironment;
let sbx: TestSandbox;
let pw: ProductWorker;
let taskQueue: string;
let dir: string;

beforeAll(async () => {
  [env, sbx] = await Promise.all([devServerEnv(), startTestSandbox({ config: { runId: 'paper-hostile' } })]);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-messages-'));
  pw = await startProductWorker(env, {
    config: { paging: PAGING_OFF, runsDir: sbx.config.artifactsRoot, stateDir: dir },
    targets: sbx.deps.targets,
  });
  taskQueue = pw.taskQueue;
});

afterAll(async () => {
  await pw?.stop();
  await sbx?.cleanup();
  await env?.teardown();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A valid payload per handler name, the schema that decides what is hostile for it, and whether it ends the workflow. */
interface MessageSpec {
  schema: z.ZodType;
  valid: Record<string, unknown>;
  ends: boolean;
}
const BY = 'hostile-suite';
/** Keyed `kind:name`: a name may be a signal of one workflow and an update of another (`release`). */
const MESSAGES: Record<string, MessageSpec> = {
  'signal:stop': { schema: stopWatchMessageSchema, valid: { reason: 'hostile suite done', by: BY }, ends: true },
  'update:stopWatch': { schema: stopWatchMessageSchema, valid: { reason: 'hostile suite done', by: BY }, ends: true },
  'update:acknowledge': { schema: acknowledgeSchema, valid: { ackBy: BY, notes: 'after the hostile payloads' }, ends: false },
  'signal:resolve': { schema: resolveMessageSchema, valid: { resolution: 'recovered', by: BY }, ends: true },
  'update:reclassify': { schema: reclassifySchema, valid: { incidentClass: 'data_quality', reason: 'after the hostile payloads', by: BY }, ends: false },
  'update:forceResume': { schema: forceResumeSchema, valid: { reason: 'hostile suite done', by: BY }, ends: true },
  'signal:incidentResolved': { schema: externalResolutionSchema, valid: { ts: '2026-01-01T00:00:00.000Z', resolution: 'recovered', by: BY }, ends: true },
  // An unsolicited answer (no request waits for it): kept aside, changes nothing.
  'signal:haltReply': {
    schema: haltReplySchema,
    valid: {
      requestId: 'hostile-suite-unsolicited',
      op: 'hold',
      ok: true,
      entriesHalted: true,
      resumed: false,
      changed: false,
      holders: [],
      haltReason: null,
      detail: 'sent by the hostile suite',
      at: '2026-01-01T00:00:00.000Z',
    },
    ends: false,
  },
  // The halt registry: an operator hold and its release; a release nobody holds is a recorded no-op.
  'signal:haltRequest': {
    schema: haltSignalSchema,
    valid: { op: 'release', requestId: 'hostile-suite-release', holder: { kind: 'operator', id: BY } },
    ends: false,
  },
  'update:hold': { schema: holdRequestSchema, valid: { holder: { kind: 'operator', id: BY }, reason: 'hostile suite: valid hold', by: BY }, ends: false },
  'update:release': {
    schema: releaseRequestSchema,
    valid: { holder: { kind: 'operator', id: BY }, by: BY, reason: 'hostile suite: its own hold, done' },
    ends: false,
  },
  // The target's drill lock and its drill: who holds it (answered to `replyTo`), a release from a drill
  // that does not hold it (ignored), the lock's answer naming its holder (kept aside by a drill not refused).
  'signal:who': { schema: drillLockWhoSchema, valid: { replyTo: 'set in the test' }, ends: false },
  'signal:release': { schema: drillLockReleaseSchema, valid: { drillId: 'not-the-holder' }, ends: false },
  // A drill's sign-off: a valid one ends it (the record is written, then the workflow completes).
  'update:signOff': {
    schema: signOffRequestSchema,
    valid: { by: BY, role: 'hostile suite', decision: 'accepted', notes: 'after the hostile payloads' },
    ends: true,
  },
  'signal:drillLockHolder': {
    schema: drillLockHolderSchema,
    valid: {
      drillId: 'd-someone',
      workflowId: 'drill~someone~d-someone',
      runId: '01a2b3c4-0000-7000-8000-000000000000',
      startedAt: '2026-01-01T00:00:00.000Z',
    },
    ends: false,
  },
};

/** What the handler would receive, for deciding whether a payload is hostile for it. */
const UNDECODABLE = Symbol('undecodable');
interface Hostile {
  label: string;
  args: string[];
  value: unknown;
}
const json = (label: string, text: string): Hostile => ({ label, args: ['--input', text], value: JSON.parse(text) as unknown });
const HOSTILE: Hostile[] = [
  { label: 'no input', args: [], value: undefined },
  json('null', 'null'),
  json('number', '42'),
  json('string', '"stop please"'),
  json('empty array', '[]'),
  json('array of a valid-looking object', '[{"reason":"x y z","by":"y","ackBy":"y","incidentClass":"data_quality"}]'),
  json('boolean', 'true'),
  json('empty object', '{}'),
  json('wrong field types', '{"reason":42,"by":false,"ackBy":7,"notes":[],"incidentClass":1}'),
  json('empty strings', '{"reason":"","by":"","ackBy":""}'),
  json('blank strings', '{"reason":"   ","by":"\\t","ackBy":"  "}'),
  json('operator objects', '{"reason":{"$ne":null},"by":{"$gt":""},"ackBy":{"$ne":null}}'),
  json('over-long fields', `{"reason":"${'r'.repeat(1001)}","by":"${'b'.repeat(201)}","ackBy":"${'a'.repeat(201)}","notes":"${'n'.repeat(2001)}"}`),
  json('unknown class', '{"incidentClass":"cosmic_rays","reason":"solar flare","by":"mallory"}'),
  json('prototype keys', '{"__proto__":{"reason":"polluted","by":"x","ackBy":"x"},"constructor":{"prototype":{"reason":"polluted"}}}'),
  json('300 KB string', `{"reason":"${'x'.repeat(300_000)}","by":"x","ackBy":"${'x'.repeat(300_000)}"}`),
  json('5,000-deep nesting', `${'['.repeat(5000)}${']'.repeat(5000)}`),
  { label: 'unknown payload encoding', args: ['--input', '"x"', '--input-meta', 'encoding=bogus/x'], value: UNDECODABLE },
  { label: 'binary payload', args: ['--input', 'AAECAw==', '--input-base64', '--input-meta', 'encoding=binary/plain'], value: new Uint8Array([0, 1, 2, 3]) },
  { label: 'binary/null payload', args: ['--input', '""', '--input-meta', 'encoding=binary/null'], value: undefined },
  { label: 'two arguments, the first bad', args: ['--input', '{"reason":42}', '--input', '{"reason":"fine reason","by":"x"}'], value: { reason: 42 } },
];

/** A single argument is limited to 128 KiB by the kernel: a bigger `--input` goes through `--input-file`. */
function materialize(args: string[]): string[] {
  return args.flatMap((a, i) => {
    if (args[i - 1] === '--input' && a.length > 100_000) {
      const file = path.join(dir, `input-${uniqueId('big')}.json`);
      fs.writeFileSync(file, a);
      return [file];
    }
    return a === '--input' && (args[i + 1]?.length ?? 0) > 100_000 ? ['--input-file'] : [a];
  });
}

function hostileFor(spec: MessageSpec): Hostile[] {
  return HOSTILE.filter((h) => h.value === UNDECODABLE || !parseMessage(spec.schema, h.value).ok);
}

interface Tally {
  workflowType: string;
  kind: 'signal' | 'update';
  name: string;
  hostile: number;
  dropped: number;
  rejected: number;
  validAccepted: boolean;
}
const tallies: Tally[] = [];
const covered = new Set<string>();

async function sendHostile(workflowId: string, workflowType: string, kind: 'signal' | 'update', name: string): Promise<Tally> {
  const spec = MESSAGES[`${kind}:${name}`];
  if (!spec) throw new Error(`${workflowType} declares ${kind} "${name}" but this suite has no valid sample for it: add one to MESSAGES`);
  // One tally per handler of a workflow type, summed over the instances tried.
  let t = tallies.find((x) => x.workflowType === workflowType && x.kind === kind && x.name === name);
  if (!t) {
    t = { workflowType, kind, name, hostile: 0, dropped: 0, rejected: 0, validAccepted: false };
    tallies.push(t);
  }
  for (const h of hostileFor(spec)) {
    const verb = kind === 'signal' ? ['workflow', 'signal'] : ['workflow', 'update', 'execute'];
    const r = await temporalCli(env, [...verb, '-w', workflowId, '--name', name, ...materialize(h.args)], 15000);
    t.hostile++;
    if (kind === 'signal') {
      if (r.code !== 0) throw new Error(`signal ${name} (${h.label}) was not delivered: exit ${r.code}: ${r.stderr}`);
      t.dropped++;
    } else {
      if (r.code !== 1 || !/InvalidInput/.test(r.stderr + r.stdout))
        throw new Error(`update ${name} (${h.label}) was not rejected as InvalidInput: exit ${r.code}: ${(r.stderr + r.stdout).slice(0, 500)}`);
      t.rejected++;
    }
  }
  covered.add(`${kind}:${name}`);
  return t;
}

/** Every signal processed by a completed workflow task, no task failed, still running, `status` answers. */
async function expectHealthy(handle: WorkflowHandle, acceptedUpdates: number): Promise<void> {
  await waitFor(
    `${handle.workflowId}: every signal processed by a completed workflow task`,
    async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      const id = (e: (typeof events)[number]) => Number(e.eventId ?? 0);
      const lastSignal = Math.max(0, ...events.filter((e) => e.workflowExecutionSignaledEventAttributes).map(id));
      const lastCompleted = Math.max(0, ...events.filter((e) => e.workflowTaskCompletedEventAttributes).map(id));
      return lastCompleted > lastSignal || events.some((e) => e.workflowTaskFailedEventAttributes);
    },
    { timeoutMs: 20000, intervalMs: 200 },
  );
  const events = (await handle.fetchHistory()).events ?? [];
  const failed = events.filter((e) => e.workflowTaskFailedEventAttributes).map((e) => e.workflowTaskFailedEventAttributes?.failure?.message);
  expect(failed).toEqual([]);
  expect(events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(acceptedUpdates);
  expect((await handle.describe()).status.name).toBe('RUNNING');
  const q = await temporalCli(env, ['workflow', 'query', '-w', handle.workflowId, '--name', 'status', '-o', 'json']);
  expect(q.code).toBe(0);
  expect(JSON.parse(q.stdout)).toHaveProperty('queryResult');
}

async function sendValid(workflowId: string, workflowType: string, kind: 'signal' | 'update', name: string, valid?: Record<string, unknown>): Promise<string> {
  const spec = MESSAGES[`${kind}:${name}`]!;
  const verb = kind === 'signal' ? ['workflow', 'signal'] : ['workflow', 'update', 'execute'];
  const r = await temporalCli(env, [...verb, '-w', workflowId, '--name', name, '--input', JSON.stringify(valid ?? spec.valid), '-o', 'json'], 20000);
  if (r.code !== 0) throw new Error(`valid ${kind} ${name} refused: exit ${r.code}: ${r.stderr}`);
  const tally = tallies.find((t) => t.workflowType === workflowType && t.kind === kind && t.name === name);
  if (tally) tally.validAccepted = true;
  return r.stdout;
}

async function tryAllHostile(handle: WorkflowHandle): Promise<WorkflowHandlers> {
  const h = await workflowHandlers(env, handle.workflowId);
  for (const s of h.signals) await sendHostile(handle.workflowId, h.type, 'signal', s);
  for (const u of h.updates) await sendHostile(handle.workflowId, h.type, 'update', u);
  return h;
}

const watcherInput = (runId: string) => ({ runId, target: sbx.targetName, intervalSeconds: 1, openIncidents: false });

test('every signal and update of the running watcher, incident and ack timer: hostile payloads dropped or rejected; each workflow runs on, answers status and a valid message', async () => {
  const runId = sbx.config.runId;
  // The incident must stay in recovery while we send: drifting orders keep its reconciliation dirty.
  await sbx.inject('order_drift');
  const watcher = await env.client.workflow.start('alertWatchWorkflow', { taskQueue, workflowId: workflowIds.alertWatch(runId), args: [watcherInput(runId)] });
  const incidentId = uniqueId('inc-hostile');
  const incident = await env.client.workflow.start('incidentWorkflow', {
    taskQueue,
    workflowId: workflowIds.incident(runId, incidentId),
    args: [{ runId, incidentId, target: sbx.targetName, severity: 'critical', hint: 'reconciliation', cycleSeconds: 1, maxWaitSeconds: 600, ackTimer: true }],
  });
  const recovery = env.client.workflow.getHandle(workflowIds.recovery(runId, incidentId, 1));
  await waitFor('recovery attempt 1 cycling', async () => ((await recovery.query(recoveryStatusQuery).catch(() => undefined))?.cycles ?? 0) >= 1, {
    timeoutMs: 30000,
  });
  const ack = env.client.workflow.getHandle(workflowIds.incidentAck(runId, incidentId));

  // Hostile payloads at every declared signal and update of every running workflow.
  const declared: WorkflowHandlers[] = [];
  for (const handle of [watcher, incident, ack, recovery]) declared.push(await tryAllHostile(handle));
  for (const handle of [watcher, incident, ack, recovery]) await expectHealthy(handle, 0);
  expect(declared.map((d) => d.type)).toEqual(['alertWatchWorkflow', 'incidentWorkflow', 'incidentAckWorkflow', 'recoveryWorkflow']);

  // Valid messages afterwards: those that keep the workflow running first, then the ones that end it.
  const acked = JSON.parse(await sendValid(ack.workflowId, 'incidentAckWorkflow', 'update', 'acknowledge')) as { ackBy?: string };
  expect(JSON.stringify(acked)).toContain(BY);
  await sendValid(incident.workflowId, 'incidentWorkflow', 'signal', 'haltReply');
  // Corrupt bars keep the reclassified (data quality) recovery dirty until the forced resume.
  await sbx.inject('corrupt_bars');
  await sendValid(incident.workflowId, 'incidentWorkflow', 'update', 'reclassify');
  await waitFor(
    'recovery attempt 2 for the new class',
    () =>
      env.client.workflow
        .getHandle(workflowIds.recovery(runId, incidentId, 2))
        .query(recoveryStatusQuery)
        .catch(() => undefined),
    { timeoutMs: 20000 },
  );
  await expectHealthy(incident, 1);
  await expectHealthy(ack, 1);
  // The timer's ending message: the incident is resolved (acked before, so it completes).
  await sendValid(ack.workflowId, 'incidentAckWorkflow', 'signal', 'resolve');
  expect(await ack.result()).toMatchObject({ resolved: { source: 'signal', by: BY } });
  await sendValid(incident.workflowId, 'incidentWorkflow', 'update', 'forceResume');
  const resolved: IncidentResult = await incident.result();
  await sbx.clear('all');
  expect(resolved).toMatchObject({ resolution: 'forced', incidentClass: 'data_quality' });
  expect(resolved.operatorActions.map((a) => a.by)).toEqual([BY, BY]);

  // The incident's other ending message, on a fresh incident after the same hostile payloads.
  await sbx.inject('order_drift');
  const secondId = uniqueId('inc-hostile-2');
  const secondIncident = await env.client.workflow.start('incidentWorkflow', {
    taskQueue,
    workflowId: workflowIds.incident(runId, secondId),
    args: [
      {
        runId,
        incidentId: secondId,
        target: sbx.targetName,
        severity: 'critical',
        hint: 'reconciliation',
        cycleSeconds: 1,
        maxWaitSeconds: 600,
        ackTimer: false,
      },
    ],
  });
  const secondRecovery = env.client.workflow.getHandle(workflowIds.recovery(runId, secondId, 1));
  await waitFor('the second incident in recovery', async () => ((await secondRecovery.query(recoveryStatusQuery).catch(() => undefined))?.cycles ?? 0) >= 1, {
    timeoutMs: 30000,
  });
  await sendHostile(secondIncident.workflowId, 'incidentWorkflow', 'signal', 'incidentResolved');
  await expectHealthy(secondIncident, 0);
  await sendValid(secondIncident.workflowId, 'incidentWorkflow', 'signal', 'incidentResolved');
  expect(await secondIncident.result()).toMatchObject({ resolution: 'external' });
  await sbx.clear('all');

  // The target's halt registry (started by the incidents): every signal and update, then valid ones.
  const registry = env.client.workflow.getHandle(workflowIds.haltRegistry(sbx.targetName));
  expect((await tryAllHostile(registry)).type).toBe('haltRegistryWorkflow');
  await expectHealthy(registry, 0);
  await sendValid(registry.workflowId, 'haltRegistryWorkflow', 'signal', 'haltRequest');
  await sendValid(registry.workflowId, 'haltRegistryWorkflow', 'update', 'hold');
  await sendValid(registry.workflowId, 'haltRegistryWorkflow', 'update', 'release');
  await expectHealthy(registry, 2);
  // The unsolicited reply went to the first incident while it ran; the registry's own replies reach incidents too.
  const stats = (await (await fetch(`${sbx.info.gateway_url}/stats`)).json()) as { entries_halted: boolean };
  expect(stats.entries_halted).toBe(false);

  await sendValid(watcher.workflowId, 'alertWatchWorkflow', 'signal', 'stop');
  const stopped: AlertWatchResult = await watcher.result();
  expect(stopped).toMatchObject({ stoppedBy: BY, reason: 'hostile suite done' });

  // The watcher's second ending message, on a fresh watcher after the same hostile payloads.
  const secondRun = uniqueId('paper-hostile-2');
  const second = await env.client.workflow.start('alertWatchWorkflow', {
    taskQueue,
    workflowId: workflowIds.alertWatch(secondRun),
    args: [watcherInput(secondRun)],
  });
  await sendHostile(second.workflowId, 'alertWatchWorkflow', 'update', 'stopWatch');
  await expectHealthy(second, 0);
  expect(await sendValid(second.workflowId, 'alertWatchWorkflow', 'update', 'stopWatch')).toContain('stopping');
  expect(await second.result()).toMatchObject({ stoppedBy: BY });

  // A drill's sign-off, waiting for its approver.
  const signDrill = uniqueId('d-sign');
  const signOff = await env.client.workflow.start('drillSignOffWorkflow', {
    taskQueue,
    workflowId: workflowIds.drillSignOff(sbx.targetName, signDrill),
    args: [
      {
        drillId: signDrill,
        target: sbx.targetName,
        drillResult: 'pass',
        approver: BY,
        backupApprover: 'backup',
        dueAt: new Date(Date.now() + 86_400_000).toISOString(),
        expiresAt: new Date(Date.now() + 2 * 86_400_000).toISOString(),
      },
    ],
  });
  expect((await tryAllHostile(signOff)).type).toBe('drillSignOffWorkflow');
  await expectHealthy(signOff, 0);
  expect(await sendValid(signOff.workflowId, 'drillSignOffWorkflow', 'update', 'signOff')).toMatch(/"state":\s*"signed"/);
  expect(await signOff.result()).toMatchObject({ state: 'signed', signOff: { by: BY } });

  // A weekly drill and its target's lock, on a second target the drill holds in its restart (slow).
  const drillSbx = await startTestSandbox({ targetName: uniqueId('hostile-drill'), config: { runId: 'paper-hostile-drill' } });
  const drillQueue = uniqueId('tq-drill');
  const drillWorker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: drillQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({
      config: {
        paging: PAGING_OFF,
        runsDir: drillSbx.config.artifactsRoot,
        stateDir: path.join(dir, 'drill-state'),
      },
      targets: drillSbx.deps.targets,
    }),
  });
  try {
    await drillWorker.runUntil(async () => {
      await drillSbx.inject('slow_restart', 300);
      const drillId = uniqueId('d-hostile');
      const drill = await env.client.workflow.start('weeklyDrillWorkflow', {
        taskQueue: drillQueue,
        workflowId: workflowIds.drill(drillSbx.targetName, drillId),
        args: [{ target: drillSbx.targetName, drillId, scenarios: [], restartSeconds: 600, unhealthySeconds: 600, maxDrillSeconds: 900, pollMs: 200 }],
      });
      await waitFor('the drill waiting for its restart', async () => (await drill.query(weeklyDrillStatusQuery)).step === 'restart', {
        timeoutMs: 90000,
        intervalMs: 500,
      });
      const lock = env.client.workflow.getHandle(workflowIds.drillLock(drillSbx.targetName));
      expect((await tryAllHostile(drill)).type).toBe('weeklyDrillWorkflow');
      expect((await tryAllHostile(lock)).type).toBe('drillTargetLockWorkflow');
      for (const h of [drill, lock]) await expectHealthy(h, 0);
      await sendValid(lock.workflowId, 'drillTargetLockWorkflow', 'signal', 'who', { replyTo: drill.workflowId });
      await sendValid(lock.workflowId, 'drillTargetLockWorkflow', 'signal', 'release');
      await sendValid(drill.workflowId, 'weeklyDrillWorkflow', 'signal', 'drillLockHolder');
      for (const h of [drill, lock]) await expectHealthy(h, 0);
      expect((await drill.query(weeklyDrillStatusQuery)).step).toBe('restart');
      // The lock ends with its drill (the server closes the child when the parent goes).
      await drill.terminate('hostile suite done');
      await waitFor('the lock closed with its drill', async () => (await lock.describe()).status.name !== 'RUNNING', { timeoutMs: 30000, intervalMs: 500 });
    });
  } finally {
    await drillSbx.cleanup();
  }

  // Coverage: every signal and update defined for the project was declared by a workflow tried here.
  const defined = Object.values(definitions)
    .filter(
      (d): d is { type: 'signal' | 'update'; name: string } & typeof d =>
        typeof d === 'object' && d !== null && 'type' in d && (d.type === 'signal' || d.type === 'update'),
    )
    .map((d) => `${d.type}:${d.name}`);
  expect(defined.length).toBeGreaterThan(0);
  expect([...covered].sort()).toEqual(expect.arrayContaining(defined.sort()));
  expect(tallies.every((t) => t.validAccepted)).toBe(true);

  for (const t of tallies) {
    recordBoundary({
      boundary: `message/${t.workflowType}/${t.kind}/${t.name}`,
      method: 'listed',
      through: `temporal workflow ${t.kind === 'signal' ? 'signal' : 'update execute'} (Temporal CLI) → dev server → worker`,
      cases: t.hostile,
      outcomes: t.kind === 'signal' ? { dropped: t.dropped, 'valid accepted afterwards': 1 } : { rejected: t.rejected, 'valid accepted afterwards': 1 },
      checks:
        t.kind === 'signal'
          ? ['delivered, logged and dropped', 'no failed workflow task', 'still running', 'status query answers', 'a valid message is accepted afterwards']
          : [
              'rejected as InvalidInput by the validator',
              'no update in history',
              'still running',
              'status query answers',
              'a valid message is accepted afterwards',
            ],
      test: 'test/integration/hostile-messages.test.ts',
    });
  }
});

/** Inputs no workflow accepts: each must fail the run at once as InvalidInput. */
const HOSTILE_INPUTS: Hostile[] = [
  { label: 'no input', args: [], value: undefined },
  json('null', 'null'),
  json('array', '[1,2,3]'),
  json('string', '"go"'),
  json('empty object', '{}'),
  json('path traversal ids', '{"runId":"../../etc","incidentId":"../x","target":"a/b","drillId":"..","experimentId":"/","severity":"critical"}'),
  { label: 'unknown payload encoding', args: ['--input', '"x"', '--input-meta', 'encoding=bogus/x'], value: UNDECODABLE },
  { label: 'binary payload', args: ['--input', 'AAECAw==', '--input-base64', '--input-meta', 'encoding=binary/plain'], value: new Uint8Array([0, 1, 2, 3]) },
];

test('every workflow type started from the CLI with hostile input fails at once as InvalidInput (no first task retried forever)', async () => {
  const types = Object.keys(workflows)
    .filter((k) => k.endsWith('Workflow'))
    .sort();
  expect(types.length).toBeGreaterThanOrEqual(6);
  const extra: Record<string, Hostile[]> = {
    // The carried continue-as-new state is part of the input: a hand-written one must be refused, not crash the loop.
    alertWatchWorkflow: [json('forged carried state', `{"runId":"r1","target":"${'t1'}","carried":{"counters":{},"incidents":{}}}`)],
  };
  const outcomes: Record<string, number> = {};
  for (const type of types) {
    const cases = [...HOSTILE_INPUTS, ...(extra[type] ?? [])];
    await Promise.all(
      cases.map(async (h) => {
        const id = uniqueId(`hostile-input-${type}`);
        const r = await temporalCli(env, ['workflow', 'execute', '--type', type, '--task-queue', taskQueue, '-w', id, ...h.args, '-o', 'json'], 30000);
        expect({ type, input: h.label, code: r.code }).toEqual({ type, input: h.label, code: 1 });
        const events = (await env.client.workflow.getHandle(id).fetchHistory()).events ?? [];
        expect(events.filter((e) => e.workflowTaskFailedEventAttributes)).toHaveLength(0);
        const failure = events.at(-1)?.workflowExecutionFailedEventAttributes?.failure;
        expect({ type, input: h.label, failure: failure?.applicationFailureInfo?.type }).toEqual({ type, input: h.label, failure: 'InvalidInput' });
        expect(failure?.message).toMatch(/^invalid \w+ input: /);
        outcomes[`failed as InvalidInput`] = (outcomes['failed as InvalidInput'] ?? 0) + 1;
      }),
    );
  }
  recordBoundary({
    boundary: 'workflow-input/temporal-cli',
    method: 'listed',
    through: 'temporal workflow execute (Temporal CLI) → dev server → worker → parseOrFail',
    cases: Object.values(outcomes).reduce((a, b) => a + b, 0),
    outcomes,
    checks: ['the run fails at once with type InvalidInput naming the field', 'no failed workflow task'],
    test: 'test/integration/hostile-messages.test.ts',
  });
});
