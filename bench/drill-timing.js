'use strict';
// Drill timing (issue 12, item 2): how soon the runner learns of the target's own records, and how
// much of a drill's wall time is orchestration rather than the target's own work.
// Run: `npm run bench:drill` (builds first). Writes bench/drill-timing.md. Not a timed test.
//
// One embedded dev server, one worker and one sandbox (the `drill dev` set-up, headless, in a temp
// dir); BENCH_DRILLS (default 3) weekly drills with the default chaos scenarios, one after another.
// Per drill, from the report (the target's and the adapter's own times) and the workflow history:
//   lag      - for each wait (chaos detection, chaos recovery, serving again, recovery evidence): the
//              wait activity's completion event time minus the target's record it returned; chaos
//              detection in the one-call scenario (drillInjectDetectClear): the clear request's time
//              minus the target's detectedAt (the call clears as soon as it sees the detection)
//   target   - the target's own durations: inject → detected, clear → recovered per scenario, stop
//              request → stopped, stopped → serving, serving → first clean cycle and SLO snapshot
//   overhead - (preflight … record) wall time minus the target's own durations in it
// Baseline, same run: the drill's pre-patch wait loop (one activity per poll, a `pollMs` workflow
// timer between polls) as a minimal workflow waiting for the sandbox's next reconciliation line
// (bench/baseline/poll-workflow.js); its lag is measured the same way.
// Also: the overhead per step (step wall time minus the target's own time inside it; the gaps between
// steps apart), and the RTO/RPO the drill reported against the sandbox's ground truth
// (<state>/sandbox/ground_truth.jsonl: stop_requested → the next boot's first_clean_reconciliation;
// the save whose digest the next boot restored → stop_requested). Writes bench/out/drill-timing.json.
// BENCH_DRILL_DUMP=<dir> also writes each drill's report and history there (drill-<n>.json), to read its timeline.
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { figure, writeResult, settingsOf } = require('./lib/result');

const DIST = path.join(__dirname, '..', 'dist');
const N = Number(process.env.BENCH_DRILLS ?? 3);
const INPUT = { pollMs: 500, detectionSeconds: 60, recoverySeconds: 60, verifySeconds: 60, restartSeconds: 120, maxDrillSeconds: 900 };
const TARGETS = { lagSeconds: 0.25, overheadSeconds: 1 };

const ms = (a, b) => Date.parse(b) - Date.parse(a);
const median = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);
const max = (xs) => (xs.length ? Math.max(...xs) : NaN);
const f = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

function payload(p) {
  return JSON.parse(Buffer.from(p.data).toString('utf8'));
}

/** Completion time of each wait activity with the evidence time it returned. */
function waitLags(events) {
  const scheduled = new Map();
  const lags = { detection: [], chaosRecovery: [], serving: [], recoveryEvidence: [] };
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), s.activityType.name);
    const c = e.activityTaskCompletedEventAttributes;
    if (!c) continue;
    const type = scheduled.get(String(c.scheduledEventId));
    if (!type) continue;
    const r = payload(c.result.payloads[0]);
    if (!r.done) continue;
    if (type === 'drillInjectDetectClear') {
      // One call injects, waits and clears (since `drill-chaos-one-call`): the runner acts on the
      // detection the moment it sees it, so the lag is the target's detectedAt → the clear request
      // the call made next (`cleared.at`, the request's time on this machine). An upper bound: it
      // includes whatever the call did between seeing the line and sending the clear.
      if (r.detection?.detectedAt && r.cleared?.at) lags.detection.push(ms(r.detection.detectedAt, r.cleared.at) / 1000);
      continue;
    }
    if (!type.startsWith('drillWait')) continue;
    const at = new Date(Number(e.eventTime.seconds) * 1000 + Math.floor(e.eventTime.nanos / 1e6)).toISOString();
    const evidence =
      type === 'drillWaitDetection'
        ? r.detection?.detectedAt
        : type === 'drillWaitChaosRecovery'
          ? r.recoveredAt
          : type === 'drillWaitServing'
            ? r.health?.servingAt
            : [r.firstCleanReconciliationAt, r.firstSloSnapshotAt].filter(Boolean).sort().at(-1);
    if (!evidence) continue;
    const key = {
      drillWaitDetection: 'detection',
      drillWaitChaosRecovery: 'chaosRecovery',
      drillWaitServing: 'serving',
      drillWaitRecoveryEvidence: 'recoveryEvidence',
    }[type];
    lags[key].push(ms(evidence, at) / 1000);
  }
  return lags;
}

/** The target's own durations inside preflight … record, and that span's wall time. */
function overhead(report) {
  const t = report.timeline;
  const own = [];
  for (const c of report.chaos) {
    if (c.injectedAt && c.detectedAt) own.push(ms(c.injectedAt, c.detectedAt));
    if (c.clearedAt && c.recoveredAt) own.push(ms(c.clearedAt, c.recoveredAt));
  }
  if (t.stopRequestedAt && t.stoppedAt) own.push(ms(t.stopRequestedAt, t.stoppedAt));
  if (t.stoppedAt && t.restartCompleteAt) own.push(ms(t.stoppedAt, t.restartCompleteAt));
  const verified = [t.firstCleanReconciliationAt, t.firstSloSnapshotAt].filter(Boolean).sort().at(-1);
  if (t.restartCompleteAt && verified) own.push(Math.max(0, ms(t.restartCompleteAt, verified)));
  const first = report.steps.find((s) => s.name === 'preflight');
  const record = report.steps.find((s) => s.name === 'record');
  const wall = ms(first.startedAt, record.finishedAt);
  const targetOwn = own.reduce((a, b) => a + b, 0);
  const rollback = report.steps.find((s) => s.name === 'rollback');
  return {
    wall: wall / 1000,
    targetOwn: targetOwn / 1000,
    overhead: (wall - targetOwn) / 1000,
    rollback: rollback?.finishedAt ? ms(rollback.startedAt, rollback.finishedAt) / 1000 : NaN,
    breakdown: breakdown(report),
  };
}

/** The target's own intervals (ms since epoch), as in overhead(). */
function ownIntervals(report) {
  const t = report.timeline;
  const iv = [];
  const add = (a, b) => a && b && Date.parse(b) > Date.parse(a) && iv.push([Date.parse(a), Date.parse(b)]);
  for (const c of report.chaos) {
    add(c.injectedAt, c.detectedAt);
    add(c.clearedAt, c.recoveredAt);
  }
  add(t.stopRequestedAt, t.stoppedAt);
  add(t.stoppedAt, t.restartCompleteAt);
  add(t.restartCompleteAt, [t.firstCleanReconciliationAt, t.firstSloSnapshotAt].filter(Boolean).sort().at(-1));
  return iv;
}

/** Overhead per step from preflight to record (seconds): step wall minus the target's own time inside it; gaps between steps apart. */
function breakdown(report) {
  const iv = ownIntervals(report);
  const overlap = (a, b) => iv.reduce((sum, [x, y]) => sum + Math.max(0, Math.min(b, y) - Math.max(a, x)), 0);
  const order = ['preflight', 'chaos', 'stop', 'restart', 'record'];
  const steps = report.steps.filter((s) => order.includes(s.name) && s.finishedAt);
  const out = { between: 0 };
  let prevEnd;
  for (const s of steps) {
    const a = Date.parse(s.startedAt);
    const b = Date.parse(s.finishedAt);
    out[s.name] = (out[s.name] ?? 0) + (b - a - overlap(a, b)) / 1000;
    if (prevEnd !== undefined) out.between += (a - prevEnd - overlap(prevEnd, a)) / 1000;
    prevEnd = b;
  }
  return out;
}

/** RTO and RPO as the sandbox's ground truth has them, for the drill's window. */
function truthMeasures(gt, report) {
  const first = report.steps.find((s) => s.name === 'preflight');
  const last = report.steps.find((s) => s.name === 'record');
  const from = first.startedAt;
  const to = last.finishedAt ?? new Date().toISOString();
  const stop = gt.filter((e) => e.event === 'stop_requested' && e.ts >= from && e.ts <= to).at(-1);
  if (!stop) return {};
  const clean = gt.find((e) => e.event === 'first_clean_reconciliation' && e.boot_id !== stop.boot_id && e.ts > stop.ts);
  const restored = gt.find((e) => e.event === 'state_restored' && e.boot_id !== stop.boot_id && e.ts > stop.ts);
  const saved =
    (restored?.digest && gt.filter((e) => e.event === 'state_saved' && e.digest === restored.digest && e.ts <= (restored?.ts ?? to)).at(-1)) ||
    gt.filter((e) => e.event === 'state_saved' && e.ts <= stop.ts).at(-1);
  return {
    rto: clean ? ms(stop.ts, clean.ts) / 1000 : undefined,
    rpo: saved ? Math.max(0, ms(saved.ts, stop.ts) / 1000) : undefined,
  };
}

function readJsonl(file) {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

async function main() {
  if (!fs.existsSync(path.join(DIST, 'commands', 'dev.js'))) throw new Error('dist/ missing: run `npm run bench:drill` (builds first)');
  const started = Date.now();
  const { loadConfig } = require(path.join(DIST, 'config'));
  const { createLogger } = require(path.join(DIST, 'logger'));
  const { startDev } = require(path.join(DIST, 'commands', 'dev'));
  const { workflowIds } = require(path.join(DIST, 'shared'));
  const { Client, Connection } = require('@temporalio/client');
  const { runBaselinePolls } = require('./baseline/poll-workflow');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-bench-timing-'));
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DRILL_STATE_DIR: path.join(dir, 'state'),
    DRILL_RESULTS_DIR: path.join(dir, 'results'),
    TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    DRILL_UI_PORT: String(await freePort()),
    DRILL_TASK_QUEUE: 'bench-drill-timing',
    DRILL_LOG_LEVEL: 'warn',
  };
  const config = loadConfig(env, dir);
  const logger = createLogger({ level: 'warn' });
  const quiet = { out: () => undefined, err: (l) => console.error(l) };
  const session = await startDev({ headless: true }, { config, logger, output: quiet, env });
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection });
  const rows = [];
  try {
    for (let i = 0; i < N; i++) {
      const drillId = `bench-${Date.now().toString(36)}-${i}`;
      const handle = await client.workflow.start('weeklyDrillWorkflow', {
        taskQueue: config.taskQueue,
        workflowId: workflowIds.drill(session.target, drillId),
        args: [{ target: session.target, drillId, ...INPUT }],
      });
      const result = await handle.result();
      const report = JSON.parse(fs.readFileSync(result.reportPath, 'utf8'));
      const events = (await handle.fetchHistory()).events;
      if (process.env.BENCH_DRILL_DUMP) {
        fs.mkdirSync(process.env.BENCH_DRILL_DUMP, { recursive: true });
        fs.writeFileSync(path.join(process.env.BENCH_DRILL_DUMP, `drill-${i + 1}.json`), JSON.stringify({ report, events }, null, 1));
      }
      const truth = truthMeasures(readJsonl(path.join(config.stateDir, 'sandbox', 'ground_truth.jsonl')), report);
      const err = (m, t) => (typeof report[m]?.seconds === 'number' && typeof t === 'number' ? report[m].seconds - t : NaN);
      const row = {
        result: result.result,
        events: events.length,
        lags: waitLags(events),
        ...overhead(report),
        rto: report.rto?.seconds,
        rpo: report.rpo?.seconds,
        truth,
        rtoError: err('rto', truth.rto),
        rpoError: err('rpo', truth.rpo),
      };
      rows.push(row);
      console.error(
        `drill ${i + 1}/${N}: ${row.result}, wall ${f(row.wall)} s, target's own ${f(row.targetOwn)} s, overhead ${f(row.overhead)} s, ${row.events} events; RTO ${f(row.rto)} s (truth ${f(truth.rto)}), RPO ${f(row.rpo)} s (truth ${f(truth.rpo)})`,
      );
    }
    const baseline = await runBaselinePolls({ client, config, runId: 'sandbox-paper', pollMs: INPUT.pollMs, rounds: Math.max(5, 3 * N) });
    console.error(`baseline: lag ${baseline.lags.map((x) => f(x)).join(', ')} s`);
    const allLags = (k) => rows.flatMap((r) => r.lags[k]);
    const lagKeys = [
      ['detection', 'chaos detection (target detectedAt → runner)'],
      ['chaosRecovery', 'chaos recovery (target recoveredAt → runner)'],
      ['serving', 'serving again (target serving_at → runner)'],
      ['recoveryEvidence', 'first clean cycle + SLO snapshot (target ts → runner)'],
    ];
    const lagRows = lagKeys.map(([k, label]) => {
      const xs = allLags(k);
      return `| ${label} | ${xs.length} | ${f(median(xs))} | ${f(max(xs))} | ${f(median(baseline.lags))} | ≤ ${TARGETS.lagSeconds} s | ${max(xs) <= TARGETS.lagSeconds ? 'met' : '**not met**'} |`;
    });
    const ov = rows.map((r) => r.overhead);
    const load = os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' / ');
    const md = [
      "# Drill timing: the runner against the target's own records",
      '',
      `Written by \`BENCH_DRILLS=${N} npm run bench:drill\` on ${new Date().toISOString()}, ${Math.round((Date.now() - started) / 1000)} s.`,
      `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model.split(' ').slice(0, 2).join(' ')}, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB, Node ${process.version}; load average at the end ${load}.`,
      '',
      `Set-up: \`drill dev\` headless in a temp dir (embedded dev server, one worker, the sandbox with the dev intervals: reconciliation and SLO monitor every 1 s);`,
      `${N} weekly drills in a row with the default chaos scenarios and \`${JSON.stringify(INPUT)}\`.`,
      "Lag: the wait activity's completion event time (the server's clock) minus the target's record it returned; chaos detection, which one call",
      "waits for and acts on (`drillInjectDetectClear`: inject, wait, clear), is the target's detectedAt → that call's clear request. Overhead: preflight start → record",
      "end, minus the target's own durations in it (per scenario inject → detected and clear → recovered; stop request → stopped; stopped → serving; serving → first clean cycle and SLO snapshot).",
      "Baseline (same run, bench/baseline/poll-workflow.js): a minimal workflow waiting for the sandbox's next reconciliation line with one activity per",
      `poll and a \`${INPUT.pollMs} ms\` workflow timer between polls — the drill's loop before \`patched('drill-bounded-waits')\` — lag measured the same way.`,
      '',
      '| wait | samples | lag median, s | lag max, s | baseline lag median, s | target | |',
      '|---|---|---|---|---|---|---|',
      ...lagRows,
      '',
      "| drill | result | wall (preflight → record), s | target's own, s | overhead, s | rollback, s | history events |",
      '|---|---|---|---|---|---|---|',
      ...rows.map((r, i) => `| ${i + 1} | ${r.result} | ${f(r.wall)} | ${f(r.targetOwn)} | ${f(r.overhead)} | ${f(r.rollback)} | ${r.events} |`),
      '',
      `Overhead median ${f(median(ov))} s (max ${f(max(ov))} s); target ≤ ${TARGETS.overheadSeconds} s per drill: ${max(ov) <= TARGETS.overheadSeconds ? 'met' : '**not met**'}.`,
      '',
      "Overhead by step (step wall time minus the target's own time inside it), s:",
      '',
      '| drill | preflight | chaos | stop | restart | record | between steps |',
      '|---|---|---|---|---|---|---|',
      ...rows.map((r, i) => `| ${i + 1} | ${['preflight', 'chaos', 'stop', 'restart', 'record', 'between'].map((k) => f(r.breakdown[k])).join(' | ')} |`),
      '',
      "RTO and RPO as reported against the sandbox's ground truth (`ground_truth.jsonl`), s:",
      '',
      '| drill | RTO reported | RTO truth | error | RPO reported | RPO truth | error |',
      '|---|---|---|---|---|---|---|',
      ...rows.map((r, i) => `| ${i + 1} | ${f(r.rto)} | ${f(r.truth.rto)} | ${f(r.rtoError)} | ${f(r.rpo)} | ${f(r.truth.rpo)} | ${f(r.rpoError)} |`),
      "The rollback (faults cleared, entries resumed, the drill's incidents waited for and closed) is reported apart: most of it is the target resolving",
      'the incidents the drill caused, which is its own work.',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(__dirname, 'drill-timing.md'), md);
    const G = 'drill timing';
    const figures = [
      ...lagKeys.map(([k, label]) => {
        const xs = allLags(k);
        const ok = xs.length > 0 && max(xs) <= TARGETS.lagSeconds;
        return figure({
          group: G,
          name: `lag: ${label}`,
          unit: 's',
          samples: xs,
          baseline: { label: `timer-polled wait, pollMs ${INPUT.pollMs}`, samples: baseline.lags },
          target: `every sample ≤ ${TARGETS.lagSeconds} s`,
          met: ok,
          reason: ok ? undefined : xs.length ? `max ${f(max(xs))} s` : 'no samples',
        });
      }),
      figure({
        group: G,
        name: "orchestration overhead per drill (preflight → record, minus the target's own durations)",
        unit: 's',
        samples: ov,
        target: `≤ ${TARGETS.overheadSeconds} s per drill`,
        met: ov.length > 0 && max(ov) <= TARGETS.overheadSeconds,
        reason: ov.length && max(ov) <= TARGETS.overheadSeconds ? undefined : `max ${f(max(ov))} s, median ${f(median(ov))} s`,
      }),
      ...['preflight', 'chaos', 'stop', 'restart', 'record', 'between'].map((k) =>
        figure({
          group: G,
          name: `overhead breakdown: ${k === 'between' ? 'between steps' : `${k} step`}`,
          unit: 's',
          samples: rows.map((r) => r.breakdown[k]).filter((x) => x !== undefined),
        }),
      ),
      figure({ group: G, name: 'drill wall time (preflight → record)', unit: 's', samples: rows.map((r) => r.wall) }),
      figure({ group: G, name: 'rollback step (reported apart)', unit: 's', samples: rows.map((r) => r.rollback) }),
      figure({
        group: G,
        name: "RTO error: reported − ground truth (stop_requested → next boot's first_clean_reconciliation)",
        unit: 's',
        samples: rows.map((r) => r.rtoError),
        note: `reported ${rows.map((r) => f(r.rto)).join(', ')} s; truth ${rows.map((r) => f(r.truth.rto)).join(', ')} s; no target in the issue`,
      }),
      figure({
        group: G,
        name: 'RPO error: reported − ground truth (restored save → stop_requested)',
        unit: 's',
        samples: rows.map((r) => r.rpoError),
        note: `reported ${rows.map((r) => f(r.rpo)).join(', ')} s; truth ${rows.map((r) => f(r.truth.rpo)).join(', ')} s; no target in the issue`,
      }),
    ];
    const settings = settingsOf(['BENCH_DRILLS']);
    writeResult('drill-timing', {
      title: 'Drill timing',
      command: `BENCH_DRILLS=${N} npm run bench:drill`,
      settings,
      startedAt: started,
      report: 'bench/drill-timing.md',
      figures,
      notes: [`drill input ${JSON.stringify(INPUT)}`, `results: ${rows.map((r) => r.result).join(', ')}`],
    });
    console.log(md);
  } finally {
    await connection.close().catch(() => undefined);
    await session.stop().catch(() => undefined);
    if (!process.env.BENCH_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
