/**
 * The sandbox process itself: the run artifacts it writes (parsed with the contract's schemas), the
 * bars it serves, every fault observable in files or endpoints, and its ground-truth log.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  ARTIFACT_FILES,
  auditEventSchema,
  dataQualityEventSchema,
  dataQualityLatestSchema,
  opsSloEventSchema,
  orderReconciliationEventSchema,
  positionReconciliationEventSchema,
} from '../../src/domain/artifacts';
import { incidentEventSchema } from '../../src/domain/incident-events';
import { validateDailyBars } from '../../src/domain/market-data';
import { groundTruthEventSchema, type FaultName } from '../../src/domain/target';
import { parseJsonl } from '../../src/io/files';
import { portsBelowEphemeralRange } from '../../src/io/local-ports';
import { startTestSandbox, waitFor, type TestSandbox } from '../helpers/sandbox';

let sbx: TestSandbox;
beforeAll(async () => {
  sbx = await startTestSandbox({ config: { symbols: ['AAPL', 'MSFT'] } });
});
afterAll(async () => sbx?.cleanup());

const get = async (p: string) => {
  const r = await fetch(`${sbx.info.gateway_url}${p}`);
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};
const orders = () => sbx.artifact(ARTIFACT_FILES.orderReconciliation, orderReconciliationEventSchema);
const positions = () => sbx.artifact(ARTIFACT_FILES.positionReconciliation, positionReconciliationEventSchema);
const slo = () => sbx.artifact(ARTIFACT_FILES.opsSlo, opsSloEventSchema);
const dq = () => sbx.artifact(ARTIFACT_FILES.dataQuality, dataQualityEventSchema);
const incidents = () => sbx.artifact(ARTIFACT_FILES.incidents, incidentEventSchema);
const audit = () =>
  fs.readdirSync(sbx.config.auditLogsDir).flatMap((f) => parseJsonl(fs.readFileSync(path.join(sbx.config.auditLogsDir, f), 'utf8'), auditEventSchema).records);
const breaches = (name: string) => slo().filter((e) => e.event_type === 'slo_breach' && e.slo === name);

async function withFault<T>(fault: FaultName, fn: () => Promise<T>): Promise<T> {
  await sbx.inject(fault);
  try {
    return await fn();
  } finally {
    await sbx.clear(fault);
  }
}

test('every run artifact is written each cycle in the contract shape, with no corrupt line', async () => {
  await waitFor('three cycles of every loop', () => orders().length >= 3 && positions().length >= 3 && slo().length >= 3 && dq().length >= 3);
  for (const [file, schema] of [
    [ARTIFACT_FILES.orderReconciliation, orderReconciliationEventSchema],
    [ARTIFACT_FILES.positionReconciliation, positionReconciliationEventSchema],
    [ARTIFACT_FILES.opsSlo, opsSloEventSchema],
    [ARTIFACT_FILES.dataQuality, dataQualityEventSchema],
  ] as const) {
    const r = parseJsonl(fs.readFileSync(path.join(sbx.runDir, file), 'utf8'), schema);
    expect({ file, corrupt: r.corrupt, problems: r.problems }).toEqual({ file, corrupt: 0, problems: [] });
  }
  expect(orders()[0]).toMatchObject({ status: 'ok', mismatched_order_ids: [] });
  expect(slo().find((e) => e.event_type === 'slo_snapshot')).toMatchObject({ consecutive_mismatch_runs: 0 });
  const latest = dataQualityLatestSchema.parse(JSON.parse(fs.readFileSync(path.join(sbx.runDir, ARTIFACT_FILES.dataQualityLatest), 'utf8')));
  expect(latest).toMatchObject({ symbols_checked: 2, errors: 0, stale_warnings: 0 });
});

test('bars: latest N daily bars per active symbol that pass the runbook validation', async () => {
  const r = await get('/bars/AAPL?limit=30');
  expect(r.status).toBe(200);
  const bars = r.body.bars as unknown[];
  expect(bars).toHaveLength(30);
  const v = validateDailyBars('AAPL', bars, { asOf: new Date().toISOString() });
  expect(v.issues).toEqual([]);
  expect((await get('/bars/TSLA')).status).toBe(404);
  expect((await get('/bars/AAPL?limit=0')).status).toBe(400);
  expect((await get('/bars/..%2Fetc')).status).toBe(400);
});

test('stale_data: bars stop at an old date; stale warnings, slo_breach, incident_open, risk_warning', async () => {
  await withFault('stale_data', async () => {
    const bars = (await get('/bars/MSFT?limit=30')).body.bars as unknown[];
    const v = validateDailyBars('MSFT', bars, { asOf: new Date().toISOString() });
    expect(v.issues.map((i) => i.kind)).toContain('stale');
    await waitFor('a data quality cycle with stale warnings', () => dq().some((e) => e.stale_warnings > 0));
    const breach = await waitFor('slo_breach data_stale_warnings', () => breaches('data_stale_warnings')[0]);
    expect(breach).toMatchObject({ severity: 'warning', threshold: 0 });
    await waitFor('its incident_open', () =>
      incidents().find((e) => e.event_type === 'incident_open' && e.incident_id === (breach as { incident_id?: string }).incident_id),
    );
    await waitFor('a risk_warning audit event', () =>
      audit().some((e) => e.event_type === 'risk_warning' && (e as { incident_id?: string }).incident_id === (breach as { incident_id?: string }).incident_id),
    );
  });
});

test('corrupt_bars: served bars fail validation; data quality errors; critical breach and risk_limit_breach', async () => {
  await withFault('corrupt_bars', async () => {
    const bars = (await get('/bars/AAPL?limit=30')).body.bars as unknown[];
    const v = validateDailyBars('AAPL', bars, { asOf: new Date().toISOString() });
    expect(v.ok).toBe(false);
    const withErrors = await waitFor('a data quality cycle with errors', () => dq().find((e) => e.errors > 0));
    // data_quality_latest.json is replaced right after the line is appended: read it once it has caught up.
    const readLatest = () => JSON.parse(fs.readFileSync(path.join(sbx.runDir, ARTIFACT_FILES.dataQualityLatest), 'utf8')) as { cycle: number; errors: number };
    const latest = await waitFor('data_quality_latest.json at that cycle or later', () => (readLatest().cycle >= withErrors.cycle ? readLatest() : undefined));
    expect(latest.errors).toBeGreaterThan(0);
    const breach = await waitFor('slo_breach data_quality_errors', () => breaches('data_quality_errors')[0]);
    expect(breach).toMatchObject({ severity: 'critical' });
    await waitFor('a risk_limit_breach audit event', () => audit().some((e) => e.event_type === 'risk_limit_breach'));
  });
  // Deterministic: the same seed spoils the same bars.
  await sbx.inject('corrupt_bars');
  const a = (await get('/bars/AAPL?limit=30')).body.bars;
  const b = (await get('/bars/AAPL?limit=30')).body.bars;
  await sbx.clear('corrupt_bars');
  expect(a).toEqual(b);
  await waitFor('clean data quality again', () => dq().at(-1)?.errors === 0);
});

test('order_drift: mismatched order ids with broker status; three mismatch runs breach the SLO and open a reconciliation incident', async () => {
  await withFault('order_drift', async () => {
    const ev = await waitFor('an order mismatch', () => orders().find((e) => e.status === 'mismatch'));
    expect(ev.mismatched_order_ids.length).toBeGreaterThan(0);
    expect(Object.keys(ev.broker_status ?? {})).toEqual(ev.mismatched_order_ids);
    const breach = await waitFor('consecutive mismatch breach', () => breaches('order_reconciliation_consecutive_mismatch_runs')[0]);
    expect(breach).toMatchObject({ threshold: 3, severity: 'critical' });
    expect((breach as { value: number }).value).toBeGreaterThanOrEqual(3);
    const inc = await waitFor('incident_open', () =>
      incidents().find((e) => e.event_type === 'incident_open' && e.incident_id === (breach as { incident_id?: string }).incident_id),
    );
    expect(inc).toMatchObject({ severity: 'critical', incident_class: 'reconciliation' });
  });
  const n = orders().length;
  await waitFor('two consecutive clean order cycles after clearing', () => {
    const after = orders().slice(n);
    return after.length >= 2 && after.slice(-2).every((e) => e.status === 'ok');
  });
});

test('position_drift: a mismatched symbol in position reconciliation', async () => {
  await withFault('position_drift', async () => {
    const ev = await waitFor('a position mismatch', () => positions().find((e) => e.status === 'mismatch'));
    expect(ev.mismatched_symbols).toHaveLength(1);
    expect(['AAPL', 'MSFT']).toContain(ev.mismatched_symbols[0]);
  });
});

test('broker_disconnect: reconciliation cannot run (no lines), a connectivity breach opens a broker incident', async () => {
  await withFault('broker_disconnect', async () => {
    const breach = await waitFor('broker_api_connected breach', () => breaches('broker_api_connected')[0]);
    expect(breach).toMatchObject({ incident_class: 'broker/connectivity' });
    const n = orders().length;
    await new Promise((r) => setTimeout(r, 350));
    expect(orders().length).toBe(n);
    expect((await get('/bars/AAPL')).status).toBe(503);
  });
});

test('broker_disconnect: a feed client reset mid-refusal (a worker killed while probing) does not take the sandbox down', async () => {
  await withFault('broker_disconnect', async () => {
    const pid = sbx.info.pid;
    for (let i = 0; i < 5; i++) {
      // The upgrade is refused (503); the client then dies the hard way: an RST instead of a FIN.
      const sock = net.connect(sbx.info.port, '127.0.0.1');
      await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
      sock.write(
        'GET /broker/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      await new Promise((r) => sock.once('data', r));
      sock.resetAndDestroy();
    }
    await new Promise((r) => setTimeout(r, 300));
    const h = await get('/health');
    expect(h.status).toBe(200);
    expect(h.body.pid).toBe(pid);
    expect(sbx.groundTruth().filter((e) => e.event === 'process_start' && e.pid !== pid)).toEqual([]);
  });
});

test('slow_restart N s: the process starts at once but serves only N s later (ground truth)', async () => {
  await sbx.inject('slow_restart', 1);
  await sbx.restart();
  const truth = sbx.groundTruth();
  const start = truth.filter((e) => e.event === 'process_start').at(-1)!;
  const serving = truth.filter((e) => e.event === 'serving').at(-1)!;
  expect(serving.boot_id).toBe(start.boot_id);
  expect(Date.parse(serving.ts) - Date.parse(start.ts)).toBeGreaterThanOrEqual(1000);
  await sbx.clear('slow_restart');
  expect(JSON.parse(fs.readFileSync(sbx.paths.faultsFile, 'utf8')).faults).toEqual([]);
});

test('reconciliation_not_restarting and slo_monitor_silent_after_restart: loops absent after restart until cleared', async () => {
  await sbx.inject('reconciliation_not_restarting');
  await sbx.inject('slo_monitor_silent_after_restart');
  // No effect on the running process.
  const n0 = orders().length;
  await waitFor('the running loop to continue', () => orders().length > n0);
  await sbx.restart();
  const o = orders().length;
  const s = slo().length;
  await new Promise((r) => setTimeout(r, 500));
  expect(orders().length).toBe(o);
  expect(slo().length).toBe(s);
  expect((await get('/stats')).body.loops).toMatchObject({ reconciliation: false, slo_monitor: false, data_quality: true });
  expect(sbx.groundTruth().filter((e) => e.boot_id === sbx.info.boot_id && e.event === 'first_clean_reconciliation')).toEqual([]);
  await sbx.clear('reconciliation_not_restarting');
  await sbx.clear('slo_monitor_silent_after_restart');
  await waitFor('reconciliation to run once cleared', () => orders().length > o);
  await waitFor('the SLO monitor to emit once cleared', () => slo().length > s);
});

test('/health never answers ok without its serving time: a probe asking without pause across a restart', async () => {
  // A drill takes "restart complete" from `serving_at` (the target's own record) and falls back to
  // when its probe looked only when the target gives none: an ok answer without it would move the
  // drill's restart time off the ground truth.
  const port = sbx.info.port;
  const answers: Array<{ boot_id: string; serving_at: string | null }> = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const r = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
      if (r?.status === 200) answers.push((await r.json()) as { boot_id: string; serving_at: string | null });
      else await r?.text();
    }
  })();
  try {
    await sbx.restart();
    await waitFor('an answer from the new boot', () => answers.some((a) => a.boot_id === sbx.info.boot_id));
  } finally {
    probing = false;
    await probe;
  }
  expect(answers.filter((a) => a.serving_at === null)).toEqual([]);
  const serving = sbx.groundTruth().find((e) => e.event === 'serving' && e.boot_id === sbx.info.boot_id)!;
  const newBoot = answers.filter((a) => a.boot_id === sbx.info.boot_id);
  expect(newBoot.length).toBeGreaterThan(0);
  expect(new Set(newBoot.map((a) => a.serving_at))).toEqual(new Set([serving.ts]));
});

test('ground truth: one line per fact, every line in the schema, a restart reads as stop → start → serving → first clean reconciliation', async () => {
  const before = sbx.groundTruth().length;
  // The port picked on the first start lies below the ephemeral range (no outgoing connection can take
  // it while the sandbox is down) and is remembered; the restart listens on it again.
  const port = sbx.info.port;
  const band = portsBelowEphemeralRange();
  if (band) expect(port >= band[0] && port < band[1]).toBe(true);
  expect(fs.readFileSync(sbx.paths.portFile, 'utf8').trim()).toBe(String(port));
  await sbx.restart();
  expect(sbx.info.port).toBe(port);
  await waitFor('first clean reconciliation after the restart', () =>
    sbx.groundTruth().some((e) => e.boot_id === sbx.info.boot_id && e.event === 'first_clean_reconciliation'),
  );
  const lines = fs.readFileSync(sbx.paths.groundTruth, 'utf8').trim().split('\n');
  for (const l of lines) expect(groundTruthEventSchema.safeParse(JSON.parse(l)).success).toBe(true);
  const tail = sbx
    .groundTruth()
    .slice(before)
    .filter((e) => e.event !== 'state_saved')
    .map((e) => e.event);
  expect(tail).toEqual(['stop_requested', 'stopped', 'process_start', 'state_restored', 'serving', 'first_clean_reconciliation']);
  const t = sbx.groundTruth().slice(before);
  const ts = (ev: string) => Date.parse(t.find((e) => e.event === ev)!.ts);
  expect(ts('stopped')).toBeGreaterThanOrEqual(ts('stop_requested'));
  expect(ts('serving')).toBeGreaterThanOrEqual(ts('process_start'));
  expect(ts('first_clean_reconciliation')).toBeGreaterThanOrEqual(ts('serving'));
  expect(t.filter((e) => e.event === 'fault_injected')).toEqual([]);
  const injected = sbx
    .groundTruth()
    .filter((e) => e.event === 'fault_injected')
    .map((e) => e.fault);
  expect(injected).toEqual(expect.arrayContaining(['stale_data', 'corrupt_bars', 'order_drift', 'position_drift', 'broker_disconnect', 'slow_restart']));
});

test('fault requests are validated', async () => {
  const r = await fetch(`${sbx.info.gateway_url}/faults`, { method: 'POST', body: JSON.stringify({ action: 'inject', fault: 'meteor' }) });
  expect(r.status).toBe(400);
  expect(((await r.json()) as { issues: string[] }).issues[0]).toMatch(/^fault: expected one of stale_data/);
});
