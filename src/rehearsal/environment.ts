/**
 * A private place to rehearse in: the time-skipping test server (the cached tool, started here and
 * stopped at the end, on loopback), a worker with the real workflows and the real activities, paging
 * pointed at the loopback recorder, and run files in a temporary folder. Long timers take seconds.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConnectionPlugin } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities, type Activities } from '../activities';
import type { Config } from '../config';
import type { RehearsalIsolation } from '../domain/rehearsal';
import { SA } from '../search-attributes';
import { requireTool } from '../tools/provision';
import { workflowSource } from '../worker';
import { rehearsalPaging } from './offline-paging';
import { startRecorder, type Recorder } from './recorder';

/** temporal.api.enums.v1.IndexedValueType codes. */
const SA_TYPE_CODE: Record<string, number> = {
  TEXT: 1,
  KEYWORD: 2,
  INT: 3,
  DOUBLE: 4,
  BOOL: 5,
  DATETIME: 6,
  KEYWORD_LIST: 7,
};

/** The test server allows a keepalive ping only every 5 minutes; ping less often than that. */
const slowKeepalive: ConnectionPlugin = {
  name: 'drill-runner-rehearsal-keepalive',
  configureConnection: (options) => ({
    ...options,
    channelArgs: {
      ...(options.channelArgs ?? {}),
      'grpc.keepalive_time_ms': 6 * 60 * 1000,
      'grpc.keepalive_permit_without_calls': 0,
    },
  }),
};

export interface RehearsalEnv {
  env: TestWorkflowEnvironment;
  recorder: Recorder;
  isolation: RehearsalIsolation;
  taskQueue: string;
  /** Sets the moment the rehearsal's clock counts from (the incident's opening), server time in ms. */
  setOrigin(ms: number): void;
  /** Server time now, ms. */
  nowMs(): Promise<number>;
  /** Moves the server clock to `ms` (no-op when already past), letting timers fire on the way. */
  advanceTo(ms: number): Promise<void>;
  /** Runs `fn` with a worker on the rehearsal task queue. */
  withWorker<T>(fn: () => Promise<T>, overrides?: Partial<Activities>): Promise<T>;
  close(): Promise<void>;
}

export interface RehearsalEnvOptions {
  config: Pick<Config, 'paging'>;
  /** Bundled workflow code (tests pass one built once); default: the worker's source. */
  workflowBundle?: { code: string } | { codePath: string };
}

export async function startRehearsalEnv(o: RehearsalEnvOptions): Promise<RehearsalEnv> {
  const server = requireTool('test-server');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-rehearsal-'));
  let origin = 0;
  let env: TestWorkflowEnvironment | undefined;
  const recorder = await startRecorder(async () => (env ? ((await env.currentTimeMs()) - origin) / 1000 : NaN));
  try {
    const { paging, routes } = rehearsalPaging(o.config.paging, recorder.url);
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: server.path } },
      plugins: [slowKeepalive],
    });
    const e = env;
    // The test server knows no custom search attributes until told.
    await e.connection.operatorService.addSearchAttributes({
      namespace: e.namespace ?? 'default',
      searchAttributes: Object.fromEntries(Object.values(SA).map((k) => [k.name, SA_TYPE_CODE[k.type] ?? 2])) as Record<string, never>,
    });
    const taskQueue = `rehearsal-${crypto.randomUUID()}`;
    const activities = createActivities({
      config: { paging, runsDir: path.join(dir, 'runs'), resultsDir: dir, stateDir: path.join(dir, 'state') },
      // No real target is ever resolved in a rehearsal.
      targets: async (name) => {
        throw new Error(`rehearsal: no real target (${name}) is reachable from a rehearsal`);
      },
    });
    const { bundleSha256: _sha, ...source } = o.workflowBundle ? { workflowBundle: o.workflowBundle, bundleSha256: undefined } : workflowSource();
    return {
      env: e,
      recorder,
      taskQueue,
      isolation: {
        recorder: recorder.url,
        routes,
        server: `time-skipping test server ${path.basename(server.path)} on loopback, started for this rehearsal`,
        statement:
          `offline: nothing left this machine. Pages went to a recorder at ${recorder.url}; the workflow ran ` +
          'on a private time-skipping test server started (and stopped) by this command.',
      },
      setOrigin: (ms) => {
        origin = ms;
      },
      nowMs: () => e.currentTimeMs(),
      async advanceTo(ms) {
        const now = await e.currentTimeMs();
        if (ms > now) await e.sleep(ms - now);
      },
      async withWorker(fn, overrides = {}) {
        const worker = await Worker.create({
          connection: e.nativeConnection,
          namespace: e.namespace ?? 'default',
          taskQueue,
          ...source,
          activities: { ...activities, ...overrides },
        });
        return worker.runUntil(fn);
      },
      async close() {
        await e.teardown().catch(() => undefined);
        await recorder.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await env?.teardown().catch(() => undefined);
    await recorder.close();
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Polls `probe` until its value has not changed for `stableMs` and `ready(value)` holds (or `maxMs`
 * passed); returns the last value.
 */
export async function settle<T>(
  probe: () => Promise<T>,
  {
    stableMs = 600,
    intervalMs = 150,
    maxMs = 20000,
    ready = (_v: T): boolean => true,
  }: { stableMs?: number; intervalMs?: number; maxMs?: number; ready?: (v: T) => boolean } = {},
): Promise<T> {
  const deadline = Date.now() + maxMs;
  let last = await probe();
  let lastText = JSON.stringify(last);
  let since = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, intervalMs));
    const v = await probe();
    const text = JSON.stringify(v);
    if (text !== lastText) {
      last = v;
      lastText = text;
      since = Date.now();
    } else if (Date.now() - since >= stableMs && ready(v)) break;
  }
  return last;
}

/** Activities the workflow has scheduled and not finished (a page in flight), from the server. */
export async function pendingActivities(handle: { describe(): Promise<{ raw: { pendingActivities?: unknown[] | null } }> }): Promise<number> {
  return (await handle.describe()).raw.pendingActivities?.length ?? 0;
}
