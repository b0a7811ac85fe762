/**
 * Workers as real processes (`crash-worker.js`) for fault tests: start one, wait until it polls, kill
 * it with SIGKILL, or let it kill itself on either side of an activity boundary (`CrashPoint`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

const SCRIPT = path.resolve(__dirname, 'crash-worker.js');

/** Bundles the workflows once into `file` (the child processes load it: start-up stays under a second). */
export async function writeWorkflowBundle(file: string): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '../../src/workflows/index.ts'), logger: new DefaultLogger('WARN') });
  fs.writeFileSync(file, code);
  return file;
}

export interface WorkerProcessOptions {
  address: string;
  taskQueue: string;
  targetsFile: string;
  stateDir: string;
  runsDir: string;
  bundle: string;
  pagingUrl?: string;
  logFile: string;
}

export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  kill(): Promise<void>;
}

/** Where the worker kills itself: when `at` starts (`before`, the default) or right after it completed (`after`). */
export interface CrashPoint {
  at: string;
  marker: string;
  when?: 'before' | 'after';
}

export async function startWorkerProcess(o: WorkerProcessOptions, crash?: CrashPoint): Promise<WorkerProcess> {
  const from = fs.existsSync(o.logFile) ? fs.statSync(o.logFile).size : 0;
  const out = fs.openSync(o.logFile, 'a');
  const child = spawn(process.execPath, [SCRIPT], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: o.address,
      TASK_QUEUE: o.taskQueue,
      TARGETS_FILE: o.targetsFile,
      STATE_DIR: o.stateDir,
      RUNS_DIR: o.runsDir,
      WORKFLOW_BUNDLE: o.bundle,
      ...(o.pagingUrl ? { PAGING_URL: o.pagingUrl } : {}),
      ...(crash ? { [crash.when === 'after' ? 'CRASH_AFTER' : 'CRASH_AT']: crash.at, CRASH_MARKER: crash.marker } : {}),
    },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30000;
  const output = () => fs.readFileSync(o.logFile).subarray(from).toString('utf8');
  while (!output().includes('worker ready')) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker exited before it was ready:\n${output().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error('worker not ready within 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
