/**
 * The procedure version a drill report names (issue 13, item 2): the runbook section, this package's
 * version, the source commit of the build, and the SHA-256 of the workflow bundle the worker runs.
 * Read once per worker process. The commit comes from `DRILL_COMMIT` (set by a container build), else
 * `GITHUB_SHA`, else the checkout's git; null when none can tell (never guessed).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readVariable } from '../config';
import { RUNBOOK_SECTION, type ProcedureVersion } from '../domain/drill-record';

/** The project root: this file sits in src/io or dist/io. */
const ROOT = path.resolve(__dirname, '..', '..');

let cached: Omit<ProcedureVersion, 'workflowBundleSha256'> | undefined;

function packageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function gitCommit(): string | null {
  const fromEnv = readVariable('DRILL_COMMIT') ?? process.env.GITHUB_SHA;
  if (fromEnv && /^[0-9a-f]{7,64}$/i.test(fromEnv.trim())) return fromEnv.trim().toLowerCase();
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8', timeout: 3000, stdio: ['ignore', 'pipe', 'ignore'] });
  const out = r.status === 0 ? r.stdout.trim() : '';
  return /^[0-9a-f]{40,64}$/.test(out) ? out : null;
}

export function procedureVersion(workflowBundleSha256: string | undefined): ProcedureVersion {
  cached ??= { runbook: RUNBOOK_SECTION, packageVersion: packageVersion(), commit: gitCommit() };
  return { ...cached, workflowBundleSha256: workflowBundleSha256 ?? null };
}
