/**
 * The fault suite's plumbing (issue 11 item 3): a dev server on a SQLite file (so it can be killed
 * with SIGKILL and restarted on the same state), a loopback paging receiver, and per case its own
 * task queue, target (a real sandbox) and worker — a real process (`crash-worker.js`) that kills
 * itself on one side of one activity boundary, restarted by a supervisor as a process manager would.
 *
 * A scenario is run undisturbed first (the baseline): its verdict and side-effect counts are what
 * every fault case must reproduce, and the activity types its workflows ran (every
 * ActivityTaskScheduled, and every local activity's marker, in the histories of the workflow and its
 * children) are the kill points, so the matrix grows with the code. Each case appends one JSON line
 * to `test-output/faults/<suite>.jsonl` (ignored by git) that `scripts/reliability-report.js` turns
 * into docs/RELIABILITY.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { DevServer } from '../../src/client/dev-server';
import { startTestSandbox, type TestSandbox } from './sandbox';
import { installTestRuntime, startRestartableDevServer, startRestartableDevServerOnFreePort, uniqueId } from './temporal';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';
import { startWorkerProcess, writeWorkflowBundle, type CrashPoint, type WorkerProcess, type WorkerProcessOptions } from './worker-process';

export const FAULT_OUTPUT_DIR = path.resolve(__dirname, '../../test-output/faults');
/** A restarted dev server on a loaded machine can take a while to answer. */
const SERVER_READY_MS = 60000;

export type FaultKind = 'none' | 'worker-kill' | 'server-restart';

export interface Fault {
  kind: FaultKind;
  /** Worker kills: the activity type, and which side of its boundary. */
  activity?: string;
  side?: 'before' | 'after';
  /** Server restarts: where (the scenario's `midpoints` key). */
  at?: string;
}

export const faultLabel = (f: Fault) =>
  f.kind === 'worker-kill' ? `kill -9 worker ${f.side} ${f.activity}` : f.kind === 'server-restart' ? `kill -9 + restart dev server ${f.at}` : 'undisturbed';

export interface Outcome {
  /** What the run decided (compared to the baseline's). */
  verdict: string;
  /** Side effects counted where they land (compared to the baseline's, and to `expected` when given). */
  effects: Record<string, number>;
  /** Figures recorded but not compared (e.g. raw webhook requests, which may repeat under one key). */
  observed?: Record<string, number>;
  /** Scenario checks that failed. */
  problems: string[];
  /** Figures the run reported beside the ground truth's (drill RTO/RPO), recorded with `within1s`. */
  measures?: Record<string, { reported: number | null; truth: number | null; detail?: string }>;
}

/** One case's world: its own task queue, worker, directories and (when asked) sandbox target. */
export interface CaseContext {
  id: string;
  lab: FaultLab;
  client: Client;
  taskQueue: string;
  dir: string;
  /** Worker's runsDir (the sandbox's artifacts root when there is one); resultsDir is its parent. */
  runsDir: string;
  resultsDir: string;
  sbx?: TestSandbox;
  receiver: WebhookReceiver;
  /** ISO time the case began (after its sandbox was up). */
  since: string;
  /** State a scenario keeps between start, drive and outcome. */
  state: Record<string, unknown>;
}

export interface FaultScenario {
  /** Workflow type at the root. */
  workflow: string;
  /** Short name, e.g. `drill-pass`, `incident-broker`. */
  name: string;
  sandbox: boolean;
  /** Set-up before the workflow starts (faults injected, run files written). */
  prepare?(c: CaseContext): Promise<void>;
  start(c: CaseContext): Promise<WorkflowHandle>;
  /** What an operator or the target does while it runs (ack, clear a fault, stop the watcher). */
  drive?(c: CaseContext, h: WorkflowHandle): Promise<void>;
  outcome(c: CaseContext, h: WorkflowHandle): Promise<Outcome>;
  /** Absolute expectations that hold for the baseline and every case. */
  expected: { verdict: string; effects: Record<string, number> };
  /** Places to kill the dev server: name → resolves when the run is there. */
  midpoints?: Record<string, (c: CaseContext, h: WorkflowHandle) => Promise<void>>;
  /** Per-case time limit (ms). */
  timeoutMs?: number;
  /**
   * Where the kill points come from: the whole tree of workflows the run started (default), or only
   * the root's own history (when its children are faulted by their own scenarios).
   */
  killPointsFrom?: 'tree' | 'root';
}

export interface CaseResult {
  suite: string;
  workflow: string;
  scenario: string;
  fault: FaultKind;
  killPoint: string | null;
  side: 'before' | 'after' | null;
  /** Whether the fault happened (a worker crash point the run never reached is recorded, not counted). */
  injected: boolean;
  verdict: { expected: string; actual: string | null };
  effects: { expected: Record<string, number>; actual: Record<string, number> | null };
  observed?: Record<string, number>;
  measures?: Record<string, { reported: number | null; truth: number | null; within1s: boolean; detail?: string }>;
  workerCrashes: number;
  pass: boolean;
  failures: string[];
  durationMs: number;
  finishedAt: string;
}

/**
 * The activity type of a local activity's marker (`core_local_activity`), or undefined. A local
 * activity runs in the worker inside the workflow task: a kill on either side of it is a fault too
 * (the task times out and is retried on the restarted worker, which runs the activity again unless
 * its marker was recorded).
 */
function localActivityType(
  m: { markerName?: string | null; details?: Record<string, { payloads?: Array<{ data?: Uint8Array | null }> | null }> | null } | null | undefined,
): string | undefined {
  if (m?.markerName !== 'core_local_activity') return undefined;
  const data = m.details?.data?.payloads?.[0]?.data;
  if (!data) return undefined;
  try {
    const t = (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: unknown }).activity_type;
    return typeof t === 'string' && t ? t : undefined;
  } catch {
    return undefined;
  }
}

/** Every activity type scheduled (or run as a local activity: `local`) in `workflowId`'s history and its children's (recursively), and the workflow types met. */
export async function scheduledActivityTypes(
  client: Client,
  workflowId: string,
  runId?: string,
  seen = new Set<string>(),
  children = true,
): Promise<{ activities: Set<string>; workflows: Set<string>; local: Set<string> }> {
  const found = { activities: new Set<string>(), workflows: new Set<string>(), local: new Set<string>() };
  const key = `${workflowId}/${runId ?? ''}`;
  if (seen.has(key)) return found;
  seen.add(key);
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  for (const e of history.events ?? []) {
    const type = e.workflowExecutionStartedEventAttributes?.workflowType?.name;
    if (type) found.workflows.add(type);
    const a = e.activityTaskScheduledEventAttributes;
    if (a?.activityType?.name) found.activities.add(a.activityType.name);
    const local = localActivityType(e.markerRecordedEventAttributes);
    if (local) {
      found.activities.add(local);
      found.local.add(local);
    }
    const child = e.childWorkflowExecutionStartedEventAttributes;
    if (child?.workflowExecution?.workflowId) {
      if (!children) {
        if (child.workflowType?.name) found.workflows.add(child.workflowType.name);
        continue;
      }
      const sub = await scheduledActivityTypes(client, child.workflowExecution.workflowId, child.workflowExecution.runId ?? undefined, seen);
      for (const t of sub.activities) found.activities.add(t);
      for (const t of sub.workflows) found.workflows.add(t);
      for (const t of sub.local) found.local.add(t);
    }
  }
  return found;
}

/** Runs `fn` over `items`, at most `n` at a time, in order of start. */
export async function pool<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(n, items.length)) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no outcome within ${ms} ms`)), ms)))]).finally(
    () => clearTimeout(timer),
  );
}

/**
 * Lives of the target that ended with neither a `stopped` nor a `crashed` line: the process died by
 * itself (an unhandled error, say). Named apart, so it never passes for a difference in side effects.
 * The last life is left out: the case's cleanup kills it.
 */
function unrecordedDeaths(sbx: TestSandbox): string[] {
  const truth = sbx.groundTruth();
  const boots = [...new Set(truth.filter((e) => e.event === 'process_start').map((e) => e.boot_id))].slice(0, -1);
  const ended = new Set(truth.filter((e) => e.event === 'stopped' || e.event === 'crashed').map((e) => e.boot_id));
  const log = fs.existsSync(sbx.paths.logFile) ? fs.readFileSync(sbx.paths.logFile, 'utf8') : '';
  const why = log.match(/^(\w*Error[^\n]*)$/m)?.[1];
  return boots
    .filter((b) => !ended.has(b))
    .map((b) => `target boot ${b} died without a stopped or crashed record${why ? ` (its log: ${why.slice(0, 200)})` : ''}`);
}

/** Effects equal, key by key (a key missing on one side counts as 0). */
function diffEffects(expected: Record<string, number>, actual: Record<string, number>): string[] {
  const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  return [...keys].filter((k) => (expected[k] ?? 0) !== (actual[k] ?? 0)).map((k) => `${k}: expected ${expected[k] ?? 0}, got ${actual[k] ?? 0}`);
}

export class FaultLab {
  private closing = false;
  private readonly workers = new Set<WorkerProcess>();
  private serverDown: Promise<void> | undefined;
  /** Case runs still going after their time limit (their workflow terminated): close() waits for them. */
  private readonly stragglers = new Set<Promise<unknown>>();

  private constructor(
    readonly suite: string,
    readonly dir: string,
    private readonly port: number,
    private server: DevServer,
    readonly connection: Connection,
    readonly client: Client,
    readonly bundle: string,
    readonly receiver: WebhookReceiver,
    readonly outFile: string,
  ) {}

  /** One per test file: a dev server on a SQLite file, the workflow bundle, a paging receiver. */
  static async create(suite: string): Promise<FaultLab> {
    installTestRuntime();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `faults-${suite}-`));
    const bundle = path.join(dir, 'workflows.js');
    const [{ server, port }, receiver] = await Promise.all([
      startRestartableDevServerOnFreePort(dir, SERVER_READY_MS),
      startWebhookReceiver(),
      writeWorkflowBundle(bundle),
    ]);
    const connection = await Connection.connect({ address: server.address });
    fs.mkdirSync(FAULT_OUTPUT_DIR, { recursive: true });
    const outFile = path.join(FAULT_OUTPUT_DIR, `${suite}.jsonl`);
    // A fresh file per run of the suite; FAULT_KEEP_RESULTS=1 appends instead (rerunning a few cases
    // with -t: the report keeps the latest line of each case).
    if (!process.env.FAULT_KEEP_RESULTS) fs.writeFileSync(outFile, '');
    return new FaultLab(suite, dir, port, server, connection, new Client({ connection }), bundle, receiver, outFile);
  }

  private static startServer(dir: string, port: number): Promise<DevServer> {
    return startRestartableDevServer(dir, port, SERVER_READY_MS);
  }

  /** SIGKILL the dev server, wait `downMs`, start it again on the same SQLite file and port. */
  async restartServer(downMs = 1000): Promise<void> {
    let release!: () => void;
    this.serverDown = new Promise((r) => (release = r));
    try {
      const child = this.server.process!;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      await sleep(downMs);
      this.server = await FaultLab.startServer(this.dir, this.port);
    } finally {
      release();
      this.serverDown = undefined;
    }
  }

  /**
   * A worker process for one case, supervised: when it dies (its own crash point, or a lost server)
   * it is started again with the same settings — the crash marker keeps it from crashing twice.
   */
  private async superviseWorker(
    opts: WorkerProcessOptions,
    crash: CrashPoint | undefined,
    counter: { crashes: number; stop: boolean },
  ): Promise<() => Promise<void>> {
    let current: WorkerProcess | undefined;
    let starting: Promise<void> | undefined;
    const startOne = async (): Promise<void> => {
      for (let attempt = 0; !counter.stop && !this.closing; attempt += 1) {
        if (this.serverDown) await this.serverDown;
        try {
          const w = await startWorkerProcess(opts, crash);
          if (counter.stop || this.closing) {
            // Stopped while this one was starting: it must not outlive the case.
            await w.kill();
            return;
          }
          current = w;
          this.workers.add(w);
          void w.exited.then(() => {
            this.workers.delete(w);
            if (counter.stop || this.closing) return;
            counter.crashes += 1;
            starting = startOne();
          });
          return;
        } catch (err) {
          if (attempt > 20) throw err;
          await sleep(500);
        }
      }
    };
    starting = startOne();
    await starting;
    return async () => {
      counter.stop = true;
      await starting?.catch(() => undefined);
      await current?.kill();
    };
  }

  /** Runs one case of `scenario` under `fault`; returns its record (also appended to the suite's JSONL). */
  async runCase(scenario: FaultScenario, fault: Fault, baseline?: Outcome): Promise<CaseResult & { outcome?: Outcome; handle?: WorkflowHandle }> {
    const t0 = Date.now();
    const id = uniqueId(scenario.name.replace(/[^a-z0-9]+/gi, '-'));
    const dir = fs.mkdtempSync(path.join(this.dir, 'case-'));
    const failures: string[] = [];
    let sbx: TestSandbox | undefined;
    let stopWorker: (() => Promise<void>) | undefined;
    const counter = { crashes: 0, stop: false };
    const marker = path.join(dir, 'crash-marker');
    let outcome: Outcome | undefined;
    let handle: WorkflowHandle | undefined;
    let serverRestarted = false;
    try {
      if (scenario.sandbox) sbx = await startTestSandbox({ targetName: `t-${id}`.slice(0, 60), config: { runId: `run-${id}`.slice(0, 60) } });
      const runsDir = sbx ? sbx.config.artifactsRoot : path.join(dir, 'results', 'runs');
      fs.mkdirSync(runsDir, { recursive: true });
      const targetsFile = path.join(dir, 'targets.json');
      fs.writeFileSync(targetsFile, JSON.stringify({ targets: sbx ? sbx.targets.targets : {} }));
      const c: CaseContext = {
        id,
        lab: this,
        client: this.client,
        taskQueue: `tq-${id}`,
        dir,
        runsDir,
        resultsDir: path.dirname(runsDir),
        sbx,
        receiver: this.receiver,
        since: new Date().toISOString(),
        state: {},
      };
      const opts: WorkerProcessOptions = {
        address: this.server.address,
        taskQueue: c.taskQueue,
        targetsFile,
        stateDir: path.join(dir, 'state'),
        runsDir,
        bundle: this.bundle,
        pagingUrl: this.receiver.url,
        logFile: path.join(dir, 'worker.log'),
      };
      const crash = fault.kind === 'worker-kill' ? { at: fault.activity!, marker, when: fault.side } : undefined;
      await scenario.prepare?.(c);
      stopWorker = await this.superviseWorker(opts, crash, counter);
      const run = async () => {
        handle = await scenario.start(c);
        if (fault.kind === 'server-restart') {
          const mid = scenario.midpoints?.[fault.at!];
          if (!mid) throw new Error(`scenario ${scenario.name} has no midpoint ${fault.at}`);
          await mid(c, handle);
          await this.restartServer();
          serverRestarted = true;
        }
        await scenario.drive?.(c, handle);
        return scenario.outcome(c, handle);
      };
      const running = run();
      try {
        outcome = await withTimeout(running, scenario.timeoutMs ?? 240000, `${scenario.name} / ${faultLabel(fault)}`);
      } catch (err) {
        const settled = running.catch(() => undefined);
        this.stragglers.add(settled);
        void settled.then(() => this.stragglers.delete(settled));
        await (handle as WorkflowHandle | undefined)?.terminate('fault case over its time limit').catch(() => undefined);
        throw err;
      }
      if (sbx) failures.push(...unrecordedDeaths(sbx));
    } catch (err) {
      failures.push(`error: ${(err as Error).message}`);
    } finally {
      await stopWorker?.().catch(() => undefined);
      await sbx?.cleanup().catch(() => undefined);
    }
    const injected = fault.kind === 'none' ? false : fault.kind === 'server-restart' ? serverRestarted : fs.existsSync(marker);
    const expectedEffects = { ...(baseline?.effects ?? {}), ...scenario.expected.effects };
    // Without a baseline only the scenario's own expectations are compared.
    const compared = baseline ? (outcome?.effects ?? {}) : Object.fromEntries(Object.entries(outcome?.effects ?? {}).filter(([k]) => k in expectedEffects));
    if (outcome) {
      failures.push(...outcome.problems);
      if (outcome.verdict !== scenario.expected.verdict) failures.push(`verdict: expected ${scenario.expected.verdict}, got ${outcome.verdict}`);
      if (baseline && baseline.verdict !== outcome.verdict) failures.push(`verdict differs from the undisturbed run (${baseline.verdict})`);
      failures.push(...diffEffects(expectedEffects, compared));
    }
    const record: CaseResult = {
      suite: this.suite,
      workflow: scenario.workflow,
      scenario: scenario.name,
      fault: fault.kind,
      killPoint: fault.kind === 'worker-kill' ? fault.activity! : fault.kind === 'server-restart' ? fault.at! : null,
      side: fault.side ?? null,
      injected,
      verdict: { expected: scenario.expected.verdict, actual: outcome?.verdict ?? null },
      effects: { expected: expectedEffects, actual: outcome?.effects ?? null },
      ...(outcome?.observed ? { observed: outcome.observed } : {}),
      ...(outcome?.measures
        ? {
            measures: Object.fromEntries(
              Object.entries(outcome.measures).map(([k, m]) => [
                k,
                { ...m, within1s: m.reported !== null && m.truth !== null && Math.abs(m.reported - m.truth) < 1 },
              ]),
            ),
          }
        : {}),
      workerCrashes: counter.crashes,
      pass: failures.length === 0,
      failures,
      durationMs: Date.now() - t0,
      finishedAt: new Date().toISOString(),
    };
    fs.appendFileSync(this.outFile, `${JSON.stringify(record)}\n`);
    if (process.env.KEEP_SANDBOX_DIRS === undefined && record.pass) fs.rmSync(dir, { recursive: true, force: true });
    return { ...record, outcome, handle };
  }

  /**
   * The undisturbed run: it must meet the scenario's expectations itself; its verdict and effects are
   * the reference, and its histories give the kill points.
   */
  async baseline(
    scenario: FaultScenario,
    coveredElsewhere: ReadonlySet<string> = new Set(),
  ): Promise<{ outcome: Outcome; killPoints: string[]; record: CaseResult }> {
    const r = await this.runCase(scenario, { kind: 'none' });
    const { outcome: _o, handle: _h, ...record } = r;
    if (!r.pass || !r.outcome || !r.handle) throw new Error(`${scenario.name}: the undisturbed run failed: ${r.failures.join('; ')}`);
    const found = await scheduledActivityTypes(this.client, r.handle.workflowId, undefined, new Set(), scenario.killPointsFrom !== 'root');
    const all = [...found.activities].sort();
    const killPoints = all.filter((a) => !coveredElsewhere.has(a));
    // The baseline's line names the kill points (and those left to an earlier scenario of the same
    // suite) and the workflow types its run went through.
    const line = {
      suite: this.suite,
      workflow: scenario.workflow,
      scenario: scenario.name,
      kind: 'kill-points',
      killPoints,
      local: killPoints.filter((a) => found.local.has(a)),
      coveredByEarlierScenario: all.filter((a) => coveredElsewhere.has(a)),
      from: scenario.killPointsFrom ?? 'tree',
      workflows: [...found.workflows].sort(),
    };
    fs.appendFileSync(this.outFile, `${JSON.stringify(line)}\n`);
    return { outcome: r.outcome, killPoints, record };
  }

  /**
   * The worker-kill matrix for `scenario`: both sides of every activity boundary its baseline crossed,
   * except those in `covered` (faulted by an earlier scenario of the same family); adds its own to it.
   */
  async workerKillMatrix(scenario: FaultScenario, covered?: Set<string>, concurrency = Number(process.env.FAULT_CONCURRENCY) || 4): Promise<CaseResult[]> {
    const base = await this.baseline(scenario, covered);
    for (const a of base.killPoints) covered?.add(a);
    const faults: Fault[] = base.killPoints.flatMap((activity) =>
      (['before', 'after'] as const).map((side) => ({ kind: 'worker-kill' as const, activity, side })),
    );
    const results = await pool(faults, concurrency, (f) => this.runCase(scenario, f, base.outcome));
    return [base.record, ...results.map(({ outcome: _o, handle: _h, ...r }) => r)];
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.stragglers.size > 0) await Promise.race([Promise.all(this.stragglers), new Promise((r) => setTimeout(r, 150000).unref())]);
    await Promise.all([...this.workers].map((w) => w.kill()));
    await this.connection.close().catch(() => undefined);
    await this.server.stop().catch(() => undefined);
    await this.receiver.close();
    if (!process.env.KEEP_SANDBOX_DIRS) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A summary for a failed matrix: one line per failing case. */
export function failedCases(results: CaseResult[]): string[] {
  return results.filter((r) => !r.pass).map((r) => `${r.scenario} / ${r.fault} ${r.killPoint ?? ''} ${r.side ?? ''}: ${r.failures.join('; ')}`);
}
