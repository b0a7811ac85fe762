/**
 * The weekly drill's market-calendar preflight (issue 15), for a drill started as the Web UI, a
 * schedule trigger or a backfill start it (a workflow start with the target only): inside a blackout
 * or a trading session the drill is refused before any call to the target, with the window and the
 * next allowed time; outside them it goes on to the target. Real activities; the target's endpoints
 * are a loopback HTTP server that counts what reaches it.
 *
 * `RECORD_HISTORIES=1` refreshes `test/replay/histories/calendar-weekly-drill-refused.json`.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import type { WeeklyDrillResult } from '../../src/domain/drill';
import type { MarketCalendarInput } from '../../src/domain/market-calendar';
import type { TargetConfigInput } from '../../src/domain/target';
import { zonedParts } from '../../src/domain/zoned-time';
import { parseTargets, pickTarget } from '../../src/io/targets';
import { workflowIds } from '../../src/shared';
import { weeklyDrillStatusQuery } from '../../src/workflows/definitions';
import { recordHistory } from '../helpers/process';
import { timeSkippingEnv, uniqueId, workflowBundle } from '../helpers/temporal';
import { PAGING_OFF } from '../helpers/product-worker';

let env: TestWorkflowEnvironment;
let dir: string;
let server: http.Server;
let hits: string[];
let base: string;

beforeAll(async () => {
  hits = [];
  server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(503).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-cal-wf-'));
  env = await timeSkippingEnv();
  await workflowBundle();
});

afterAll(async () => {
  await env?.teardown();
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

const wall = (ms: number) => {
  const p = zonedParts(ms, 'UTC');
  const z = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${z(p.year, 4)}-${z(p.month)}-${z(p.day)}T${z(p.hour)}:${z(p.minute)}`;
};

function target(calendar: MarketCalendarInput): TargetConfigInput {
  return {
    mode: 'paper',
    artifactsRoot: path.join(dir, 'runs'),
    runId: 'cal-run',
    auditLogsDir: path.join(dir, 'audit'),
    gatewayUrl: base,
    process: { adapter: 'sandbox', controlUrl: base, timeoutSeconds: 2 },
    stateFile: path.join(dir, 'state.json'),
    broker: { apiUrl: `${base}/broker`, wsUrl: `ws://127.0.0.1:1/ws` },
    symbols: ['SPY'],
    calendar,
  };
}

async function withDrill<T>(name: string, calendar: MarketCalendarInput, fn: (h: WorkflowHandle) => Promise<T>): Promise<T> {
  const targets = parseTargets({ targets: { [name]: target(calendar) } }, dir);
  const taskQueue = uniqueId('tq');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({
      config: {
        paging: PAGING_OFF,
        runsDir: path.join(dir, 'runs'),
        resultsDir: dir,
        stateDir: path.join(dir, 'state'),
      },
      targets: async (n) => pickTarget(targets, n),
    }),
  });
  // What the Web UI's Start Workflow form sends: the target, nothing else.
  return worker.runUntil(async () =>
    fn(
      await env.client.workflow.start('weeklyDrillWorkflow', {
        taskQueue,
        workflowId: workflowIds.drill(name, uniqueId('d')),
        args: [{ target: name }],
      }),
    ),
  );
}

const runDrill = (name: string, calendar: MarketCalendarInput) => withDrill(name, calendar, (h) => h.result() as Promise<WeeklyDrillResult>);

test('inside a blackout: refused before any call to the target, naming the window and the next allowed start', async () => {
  const now = Date.now();
  const end = now + 2 * 3600_000;
  hits.length = 0;
  const r = await withDrill(
    uniqueId('frozen'),
    { timezone: 'UTC', blackouts: [{ name: 'test change freeze', start: wall(now - 3600_000), end: wall(end) }] },
    async (h) => {
      const result = (await h.result()) as WeeklyDrillResult;
      await recordHistory(h, 'calendar-weekly-drill-refused');
      return result;
    },
  );
  expect(r.result).toBe('error');
  const refusal = r.failures.find((f) => f.startsWith('drill refused by the market calendar'));
  expect(refusal).toContain('is inside the blackout "test change freeze"');
  const nextAllowed = new Date(Math.floor(end / 60000) * 60000).toISOString();
  expect(refusal).toContain(`next allowed start: ${wall(end).replace('T', ' ')} UTC (${nextAllowed})`);
  expect(hits).toEqual([]);
  const report = JSON.parse(fs.readFileSync(r.reportPath!, 'utf8')) as {
    steps: Array<{ name: string; status: string; detail?: string }>;
  };
  expect(report.steps.find((s) => s.name === 'preflight')).toMatchObject({ status: 'failed' });
});

test('inside a trading session (every day 00:00-24:00, tomorrow a holiday): refused; next allowed is tomorrow 00:00', async () => {
  const now = Date.now();
  const tomorrow = zonedParts(now + 86_400_000, 'UTC');
  const date = `${tomorrow.year}-${String(tomorrow.month).padStart(2, '0')}-${String(tomorrow.day).padStart(2, '0')}`;
  hits.length = 0;
  const r = await runDrill(uniqueId('open'), {
    name: 'TEST',
    timezone: 'UTC',
    sessions: [
      {
        days: ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'],
        open: '00:00',
        close: '24:00',
      },
    ],
    holidays: [{ date, name: 'test holiday' }],
  });
  expect(r.result).toBe('error');
  const refusal = r.failures.find((f) => f.startsWith('drill refused by the market calendar (calendar TEST)'));
  expect(refusal).toMatch(/is inside the trading session [A-Z]+DAY 00:00-24:00/);
  expect(refusal).toContain(`next allowed start: ${date} 00:00 UTC (${date}T00:00:00.000Z)`);
  expect(hits).toEqual([]);
});

test('outside every window: the calendar lets the drill through to the target', async () => {
  hits.length = 0;
  await withDrill(uniqueId('clear'), { timezone: 'UTC', blackouts: [{ name: 'far away', start: '2099-01-01T00:00', end: '2099-01-02T00:00' }] }, async (h) => {
    // The drill's own preflight asks the target (a stub here): the calendar did not stop it.
    for (let i = 0; i < 100 && hits.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(hits.length).toBeGreaterThan(0);
    const status = await h.query(weeklyDrillStatusQuery);
    expect(status.failures.join('\n')).not.toContain('market calendar');
    await h.terminate('test done');
  });
});
