import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createArtifactActivities } from '../../src/activities/artifacts';
import { ARTIFACT_FILES } from '../../src/domain/artifacts';
import { initialSloState, type SloState } from '../../src/domain/slo-fold';
import { evaluateSlos } from '../../src/domain/slo-evaluation';
import { type RunArtifactCursors } from '../../src/io/run-artifact-fold';

const ts = (s: number) => new Date(Date.UTC(2025, 0, 6, 9, 0, s)).toISOString();
const j = (o: object) => `${JSON.stringify(o)}\n`;

let root: string;
let runsDir: string;
let run: string;
beforeEach(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'artifacts-'));
  runsDir = path.join(root, 'runs');
  run = path.join(runsDir, 'run-1');
  await fsp.mkdir(run, { recursive: true });
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

const order = (cycle: number, status: 'ok' | 'mismatch', ids: string[] = []) =>
  j({ ts: ts(cycle), cycle, status, orders_checked: 10, mismatched_order_ids: ids, extra_field: 'tolerated' });
const position = (cycle: number, status: 'ok' | 'mismatch') => j({ ts: ts(cycle), cycle, status, positions_checked: 3, mismatched_symbols: [] });
const dq = (cycle: number, errors: number, stale: number) => j({ ts: ts(cycle), cycle, symbols_checked: 2, errors, stale_warnings: stale, issues: [] });
const snap = (cycle: number, operations: number, errors: number) =>
  j({
    ts: ts(cycle),
    event_type: 'slo_snapshot',
    cycle,
    operations,
    operational_errors: errors,
    reconciliation_cycles: cycle,
    reconciliation_passes: cycle,
    consecutive_mismatch_runs: 0,
  });

describe('artifact activities: tail, latest, snapshot', () => {
  it('folds new lines into SloState, returns the events to act on, resumes exactly', async () => {
    const a = createArtifactActivities(runsDir);
    const audit = path.join(root, 'audit_logs');
    await fsp.mkdir(audit);
    await fsp.writeFile(
      path.join(run, ARTIFACT_FILES.orderReconciliation),
      order(1, 'ok') + order(2, 'mismatch', ['o-7']) + 'corrupt\n' + order(3, 'mismatch'),
    );
    await fsp.writeFile(path.join(run, ARTIFACT_FILES.positionReconciliation), position(1, 'ok'));
    await fsp.writeFile(path.join(run, ARTIFACT_FILES.dataQuality), dq(1, 0, 0) + dq(2, 0, 1));
    await fsp.writeFile(
      path.join(run, ARTIFACT_FILES.opsSlo),
      snap(1, 100, 1) + j({ ts: ts(2), event_type: 'slo_breach', slo: 'stale_warnings', value: 1, threshold: 0, severity: 'warning' }),
    );
    await fsp.writeFile(path.join(run, ARTIFACT_FILES.incidents), j({ ts: ts(2), event_type: 'incident_open', incident_id: 'inc-1', severity: 'critical' }));
    await fsp.writeFile(path.join(audit, '2025-01-06.jsonl'), j({ ts: ts(3), event_type: 'risk_warning', detail: 'exposure' }));

    const r1 = await a.tailRunArtifacts({ runId: 'run-1', auditLogsDir: audit });
    expect(r1.state.order).toMatchObject({ cycles: 3, currentMismatchRun: 2 });
    expect(r1.state.position.cycles).toBe(1);
    expect(r1.state.dataQuality).toMatchObject({ cycles: 2, maxStaleWarnings: 1 });
    expect(r1.state.ops.latest).toMatchObject({ operations: 100, operationalErrors: 1 });
    expect(r1.sloBreaches.map((b) => b.slo)).toEqual(['stale_warnings']);
    expect(r1.incidentEvents.map((e) => e.incident_id)).toEqual(['inc-1']);
    expect(r1.auditEvents).toEqual([expect.objectContaining({ event_type: 'risk_warning', file: '2025-01-06.jsonl' })]);
    expect(r1.lastOrderReconciliation).toMatchObject({ cycle: 3, status: 'mismatch' });
    expect(r1.files.orderReconciliation).toMatchObject({ read: 3, corrupt: 1 });
    expect(r1.corrupt).toBe(1);
    expect(r1.state.corruptLines).toMatchObject({ orderReconciliation: 1 });
    expect(r1.more).toBe(false);

    // The watcher carries cursors and state as JSON (workflow state, continue-as-new).
    const carried = JSON.parse(JSON.stringify({ cursors: r1.cursors, state: r1.state })) as { cursors: RunArtifactCursors; state: SloState };
    expect(JSON.stringify(carried).length).toBeLessThan(4000);

    await fsp.appendFile(path.join(run, ARTIFACT_FILES.orderReconciliation), order(4, 'mismatch'));
    const r2 = await a.tailRunArtifacts({ runId: 'run-1', auditLogsDir: audit, ...carried });
    expect(r2.state.order).toMatchObject({ cycles: 4, currentMismatchRun: 3, maxMismatchRun: 3 });
    expect(r2.incidentEvents).toEqual([]);
    expect(r2.sloBreaches).toEqual([]);
    expect(r2.auditEvents).toEqual([]);
    expect(r2.corrupt).toBe(0);
    const e = evaluateSlos(r2.state);
    expect(e.breaches.map((b) => b.id).sort()).toEqual(['consecutive_mismatch_runs', 'reconciliation_pass_rate', 'stale_warnings']);
  });

  it('missing files give an empty state and flags, not errors', async () => {
    const a = createArtifactActivities(runsDir);
    const r = await a.tailRunArtifacts({ runId: 'run-1', state: initialSloState() });
    expect(r.files.orderReconciliation).toMatchObject({ missing: true, read: 0 });
    expect(evaluateSlos(r.state).missing).toContain('consecutive_mismatch_runs');
  });

  it('large backlog: bounded per call, every cycle folded exactly once across calls', async () => {
    const a = createArtifactActivities(runsDir);
    let text = '';
    for (let c = 1; c <= 20000; c++) text += order(c, c % 100 === 0 ? 'mismatch' : 'ok');
    await fsp.writeFile(path.join(run, ARTIFACT_FILES.orderReconciliation), text);
    let cursors: RunArtifactCursors = {};
    let state = initialSloState();
    let calls = 0;
    for (;;) {
      const r = await a.tailRunArtifacts({ runId: 'run-1', cursors, state, maxBytesPerFile: 256 * 1024 });
      cursors = r.cursors;
      state = r.state;
      calls++;
      if (!r.more) break;
    }
    expect(calls).toBeGreaterThan(3);
    expect(state.order).toMatchObject({ cycles: 20000, passes: 19800, duplicates: 0, restarts: 0 });
  });

  it('rejects a bad run id and bad input as non-retryable', async () => {
    const a = createArtifactActivities(runsDir);
    await expect(a.tailRunArtifacts({ runId: '../etc' })).rejects.toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    await expect(a.tailRunArtifacts({ runId: 'run-1', cursors: { opsSlo: { offset: -1 } } })).rejects.toMatchObject({ type: 'InvalidInput' });
    await expect(a.readDataQualityLatest({ runId: '' })).rejects.toMatchObject({ type: 'InvalidInput' });
  });

  it('readDataQualityLatest and snapshotRunArtifacts for triage', async () => {
    const a = createArtifactActivities(runsDir);
    expect(await a.readDataQualityLatest({ runId: 'run-1' })).toEqual({ ok: false, reason: 'missing' });
    await fsp.writeFile(path.join(run, ARTIFACT_FILES.dataQualityLatest), dq(9, 1, 0));
    expect(await a.readDataQualityLatest({ runId: 'run-1' })).toMatchObject({ ok: true, value: { cycle: 9, errors: 1 } });

    let ops = j({ ts: ts(0), event_type: 'slo_breach', slo: 'consecutive_mismatch_runs', value: 3, threshold: 3, severity: 'critical' });
    for (let c = 1; c <= 50; c++) ops += snap(c, c * 10, 0);
    await fsp.writeFile(path.join(run, ARTIFACT_FILES.opsSlo), ops);
    let orders = '';
    for (let c = 1; c <= 50; c++) orders += order(c, 'ok');
    await fsp.writeFile(path.join(run, ARTIFACT_FILES.orderReconciliation), orders);

    const s = await a.snapshotRunArtifacts({ runId: 'run-1', lines: 3 });
    expect(s.orderReconciliation.map((e) => e.cycle)).toEqual([48, 49, 50]);
    expect(s.lastSloBreach).toMatchObject({ slo: 'consecutive_mismatch_runs' });
    expect(s.opsSlo).toHaveLength(3);
    expect(s.dataQualityLatest).toMatchObject({ ok: true });
    expect(s.missing.sort()).toEqual([ARTIFACT_FILES.dataQuality, ARTIFACT_FILES.positionReconciliation].sort());
  });
});
