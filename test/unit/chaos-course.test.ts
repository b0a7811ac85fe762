/**
 * The one chaos engine (src/domain/chaos-course.ts) over recording ports: the order of its calls,
 * its bounds (from the ports' clock, after the inject and after the clear), and what it does when
 * the target does not detect, does not recover, or a wait throws.
 */
import { runChaosScenario, runChaosScenarios, type ChaosCoursePorts, type ChaosDetection } from '../../src/domain/chaos-course';
import type { ChaosScenario, ChaosScenarioResult } from '../../src/domain/drill';

function ports(o: { detect?: ChaosDetection; recoveredAt?: string; detectionThrows?: boolean } = {}) {
  const calls: string[] = [];
  let now = 1_000_000;
  const p: ChaosCoursePorts<string> = {
    mark: async (s) => (calls.push(`mark ${s}`), `cursor-${s}`),
    inject: async (s) => (calls.push(`inject ${s}`), { at: '2026-12-01T00:00:00.000Z' }),
    awaitDetection: async (s, cursors, sinceMs, boundAtMs) => {
      calls.push(`detect ${s} from ${cursors} since ${sinceMs} until ${boundAtMs}`);
      if (o.detectionThrows) throw new Error('cancelled');
      return o.detect;
    },
    clear: async (s) => {
      calls.push(`clear ${s}`);
      now += 5000;
      return { at: '2026-12-01T00:00:10.000Z' };
    },
    awaitRecovery: async (s, cursors, clearedMs, boundAtMs) => (
      calls.push(`recover ${s} from ${cursors} since ${clearedMs} until ${boundAtMs}`),
      o.recoveredAt
    ),
    now: () => now,
  };
  return { p, calls };
}

const DETECTED: ChaosDetection = { detected: true, detectedAt: '2026-12-01T00:00:02.000Z', signal: 'incident', detectionSeconds: 2 };
const opts = { detectionSeconds: 60, recoverySeconds: 30 };

test('detected and recovered: mark, inject, detect, clear, recover — bounds from the clock after inject and after clear', async () => {
  const { p, calls } = ports({ detect: DETECTED, recoveredAt: '2026-12-01T00:00:15.000Z' });
  const seen: ChaosScenarioResult[] = [];
  const r = await runChaosScenario(p, 'stale_data' as ChaosScenario, { ...opts, onInjected: (res) => seen.push(res) });
  const inject = Date.parse('2026-12-01T00:00:00.000Z');
  const clear = Date.parse('2026-12-01T00:00:10.000Z');
  expect(calls).toEqual([
    'mark stale_data',
    'inject stale_data',
    `detect stale_data from cursor-stale_data since ${inject} until ${1_000_000 + 60_000}`,
    'clear stale_data',
    `recover stale_data from cursor-stale_data since ${clear} until ${1_005_000 + 30_000}`,
  ]);
  expect(r).toEqual({
    scenario: 'stale_data',
    injectedAt: '2026-12-01T00:00:00.000Z',
    clearedAt: '2026-12-01T00:00:10.000Z',
    ...DETECTED,
    recovered: true,
    recoveredAt: '2026-12-01T00:00:15.000Z',
  });
  expect(seen).toEqual([r]);
});

test('not detected: cleared, no recovery wait, and the result says why', async () => {
  const { p, calls } = ports();
  const r = await runChaosScenario(p, 'order_drift' as ChaosScenario, { ...opts, marked: 'given' });
  expect(calls.map((c) => c.split(' ')[0])).toEqual(['inject', 'detect', 'clear']);
  expect(calls[1]).toContain('from given');
  expect(r).toMatchObject({ detected: false, detail: 'not detected within 60 s', clearedAt: '2026-12-01T00:00:10.000Z' });
  expect(r.recovered).toBeUndefined();
});

test('detected but not recovered in time: recovered false', async () => {
  const { p } = ports({ detect: DETECTED });
  expect(await runChaosScenario(p, 'stale_data' as ChaosScenario, opts)).toMatchObject({ detected: true, recovered: false });
});

test('a wait that throws: the CLI clears before it rethrows; the workflow (its rollback clears) does not', async () => {
  const cli = ports({ detectionThrows: true });
  await expect(runChaosScenario(cli.p, 'stale_data' as ChaosScenario, { ...opts, clearOnError: true })).rejects.toThrow('cancelled');
  expect(cli.calls.at(-1)).toBe('clear stale_data');
  const wf = ports({ detectionThrows: true });
  await expect(runChaosScenario(wf.p, 'stale_data' as ChaosScenario, opts)).rejects.toThrow('cancelled');
  expect(wf.calls.some((c) => c.startsWith('clear'))).toBe(false);
});

test('scenarios one after the other; the first may use a mark read earlier; each result appears once its fault is in', async () => {
  const { p, calls } = ports({ detect: DETECTED, recoveredAt: '2026-12-01T00:00:15.000Z' });
  const results: ChaosScenarioResult[] = [];
  const out = await runChaosScenarios(p, ['stale_data', 'order_drift'] as ChaosScenario[], { ...opts, firstMark: 'early', results });
  expect(out).toBe(results);
  expect(results.map((r) => r.scenario)).toEqual(['stale_data', 'order_drift']);
  expect(calls.filter((c) => c.startsWith('mark'))).toEqual(['mark order_drift']);
  expect(calls[1]).toContain('from early');
});

test('one call (the workflow since drill-chaos-one-call): inject, detection and clear in one port; no separate inject, wait or clear', async () => {
  const { p, calls } = ports({ recoveredAt: '2026-12-01T00:00:15.000Z' });
  p.injectDetectClear = async (s, cursors, boundAtMs) => (
    calls.push(`one call ${s} from ${cursors} until ${boundAtMs}`),
    { at: '2026-12-01T00:00:00.000Z', detection: DETECTED, clearedAt: '2026-12-01T00:00:03.000Z' }
  );
  const seen: ChaosScenarioResult[] = [];
  const r = await runChaosScenario(p, 'stale_data' as ChaosScenario, { ...opts, onInjected: (res) => seen.push(res) });
  expect(calls).toEqual([
    'mark stale_data',
    `one call stale_data from cursor-stale_data until ${1_000_000 + 60_000}`,
    `recover stale_data from cursor-stale_data since ${Date.parse('2026-12-01T00:00:03.000Z')} until ${1_000_000 + 30_000}`,
  ]);
  expect(r).toEqual({
    scenario: 'stale_data',
    injectedAt: '2026-12-01T00:00:00.000Z',
    clearedAt: '2026-12-01T00:00:03.000Z',
    ...DETECTED,
    recovered: true,
    recoveredAt: '2026-12-01T00:00:15.000Z',
  });
  expect(seen).toEqual([r]);
});

test('one call that ends before a detection: the course waits on to the same bound, then clears on its own', async () => {
  const { p, calls } = ports({ detect: DETECTED, recoveredAt: '2026-12-01T00:00:15.000Z' });
  p.injectDetectClear = async (s) => (calls.push(`one call ${s}`), { at: '2026-12-01T00:00:00.000Z' });
  const r = await runChaosScenario(p, 'order_drift' as ChaosScenario, opts);
  expect(calls.map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual([
    'mark order_drift',
    'one call',
    'detect order_drift',
    'clear order_drift',
    'recover order_drift',
  ]);
  expect(calls[2]).toBe(`detect order_drift from cursor-order_drift since ${Date.parse('2026-12-01T00:00:00.000Z')} until ${1_000_000 + 60_000}`);
  expect(r).toMatchObject({ detected: true, clearedAt: '2026-12-01T00:00:10.000Z', recovered: true });
});

test('one call that used the whole bound without a detection: no further wait; cleared; not detected', async () => {
  const { p, calls } = ports();
  p.injectDetectClear = async (s) => {
    calls.push(`one call ${s}`);
    return { at: '2026-12-01T00:00:00.000Z' };
  };
  const clock = p.now;
  let first = true;
  p.now = () => (first ? ((first = false), clock()) : clock() + 61_000);
  const r = await runChaosScenario(p, 'order_drift' as ChaosScenario, opts);
  expect(calls.map((c) => c.split(' ')[0])).toEqual(['mark', 'one', 'clear']);
  expect(r).toMatchObject({ detected: false, detail: 'not detected within 60 s', clearedAt: '2026-12-01T00:00:10.000Z' });
});
