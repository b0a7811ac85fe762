/**
 * The real Temporal CLI (`drill tools where`) as a client in tests: a client nobody here wrote, so
 * what it sends is what an operator's terminal or script sends.
 */
import { execFile } from 'node:child_process';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { requireTool } from '../../src/tools/provision';

export interface TemporalCliResult {
  /** Exit code; null when the CLI was killed at `timeoutMs`. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `temporal <args> --address <env> --namespace <env>`; never rejects. */
export function temporalCli(env: TestWorkflowEnvironment, args: string[], timeoutMs = 20000): Promise<TemporalCliResult> {
  const cli = requireTool('temporal').path;
  const conn = ['--address', env.address, '--namespace', env.namespace ?? 'default'];
  return new Promise((resolve) => {
    execFile(cli, [...args, ...conn], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string; killed?: boolean }) | null;
      resolve({ code: e ? (typeof e.code === 'number' && !e.killed ? e.code : null) : 0, stdout, stderr });
    });
  });
}

export interface WorkflowHandlers {
  type: string;
  signals: string[];
  updates: string[];
  queries: string[];
}

/** What a running workflow declares, from `temporal workflow metadata` (internal `__` handlers left out). */
export async function workflowHandlers(env: TestWorkflowEnvironment, workflowId: string): Promise<WorkflowHandlers> {
  const r = await temporalCli(env, ['workflow', 'metadata', '-w', workflowId, '-o', 'json']);
  if (r.code !== 0) throw new Error(`temporal workflow metadata -w ${workflowId}: exit ${r.code}: ${r.stderr || r.stdout}`);
  const def = (JSON.parse(r.stdout) as { queryResult: Array<{ definition: Record<string, unknown> }> }).queryResult[0]!.definition as {
    type: string;
    signalDefinitions?: Array<{ name: string }>;
    updateDefinitions?: Array<{ name: string }>;
    queryDefinitions?: Array<{ name: string }>;
  };
  const names = (l?: Array<{ name: string }>) => (l ?? []).map((d) => d.name).filter((n) => !n.startsWith('__'));
  return { type: def.type, signals: names(def.signalDefinitions), updates: names(def.updateDefinitions), queries: names(def.queryDefinitions) };
}
