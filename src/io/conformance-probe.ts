/**
 * Gathers, read-only, the evidence `domain/conformance.ts` judges: the shell commands parsed
 * (`sh -n`) and their programs looked up (`command -v`), one health check, `GET /stats`, the state
 * file, the tail of each run artifact, the fault declaration's commands. Nothing is stopped,
 * started, injected or halted; the only command of the target's own that runs is `health`.
 * Not an activity (no Temporal context needed): `drill target check` and `drill run weekly --dry-run`.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { getJson, errorKind } from '../activities/target-input';
import { runShell } from '../activities/process-control';
import {
  checkArtifacts,
  checkCommand,
  checkFaults,
  checkHttpHealth,
  checkMode,
  checkRunDir,
  checkShellHealth,
  checkStateFile,
  checkStats,
  conformanceReport,
  DRILL_ARTIFACTS,
  faultDeclarationParts,
  firstProgram,
  killSwitchNotProbed,
  type ArtifactEvidence,
  type CommandProbe,
  type ConformanceCheck,
  type ConformanceReport,
  type HttpProbe,
  type StateFileEvidence,
} from '../domain/conformance';
import type { TargetConfig } from '../domain/target';
import { targetCommandEnv } from '../domain/target-env';
import { loadSandboxConfig } from '../sandbox/config';
import { readStateFile } from './runtime-state-file';
import { readFileTail, resolveInside } from './files';

export interface ProbeOptions {
  /** `false` in a dry run without --allow-live: a live target fails the mode check. */
  allowLive?: boolean;
  /** The target's entry as written in the targets file (its `faults` declaration, if any). */
  rawEntry?: unknown;
  /** `DRILL_TARGET_ENV_ALLOW`. */
  envAllow?: readonly string[];
  /** Dry run: the chaos scenarios the drill would run. */
  chaosScenarios?: readonly string[];
  /** Bound on each HTTP request and on the health command (default 5 s, at most the adapter's timeout). */
  timeoutMs?: number;
}

function sh(args: string[], o: { cwd?: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', args, { cwd: o.cwd, env: o.env, timeout: o.timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 127) : 0;
      resolve({ code, stdout: String(stdout).trim(), stderr: String(stderr).trim() });
    });
  });
}

/** `sh -n` (parse only) and `command -v` for the first program: never runs the command itself. */
export async function probeCommand(role: string, command: string, o: { cwd?: string; envAllow: readonly string[] }): Promise<CommandProbe> {
  const env = targetCommandEnv(process.env, o.envAllow);
  const opts = { env, timeoutMs: 5000, ...(o.cwd ? { cwd: o.cwd } : {}) };
  const parsed = await sh(['-n', '-c', command], opts);
  const probe: CommandProbe = { role, command, parseError: parsed.code === 0 ? null : parsed.stderr.replace(/^sh: \d+: /, '') || `exit ${parsed.code}` };
  const prog = firstProgram(command);
  if (prog) {
    let resolved: string | null = null;
    if (!prog.builtin) {
      const r = await sh(['-c', 'command -v -- "$1"', 'sh', prog.word], opts);
      resolved = r.code === 0 && r.stdout ? r.stdout : null;
    }
    probe.program = { word: prog.word, builtin: prog.builtin, resolved };
  }
  return probe;
}

async function httpProbe(url: string, timeoutMs: number): Promise<HttpProbe> {
  try {
    const r = await getJson(url, timeoutMs);
    return { url, status: r.status, body: r.body };
  } catch (err) {
    return { url, error: errorKind(err) };
  }
}

/** The last complete lines of a file, at most `maxLines` within its last `maxBytes` (null: no such file). */
export async function readLastLines(file: string, maxLines = 20, maxBytes = 64 * 1024): Promise<string[] | null> {
  const tail = await readFileTail(file, { maxBytes });
  if (!tail) return null;
  const pieces = tail.text.split('\n');
  pieces.pop(); // after the last newline: empty, or a line still being written
  if (tail.cut) pieces.shift(); // began mid-line
  return pieces.filter((l) => l.trim() !== '').slice(-maxLines);
}

async function isDir(p: string): Promise<boolean> {
  return fs.stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** Every contract surface the weekly drill uses, checked without changing the target. */
export async function probeTarget(name: string, t: TargetConfig, o: ProbeOptions = {}): Promise<ConformanceReport> {
  const checkedAt = new Date().toISOString();
  const checks: ConformanceCheck[] = [checkMode(t, o.allowLive)];
  const p = t.process;
  const envAllow = [...(o.envAllow ?? []), ...(p.envAllow ?? [])];
  const timeoutMs = Math.min(o.timeoutMs ?? 5000, p.timeoutSeconds * 1000);

  // Process control and health (§7, §4).
  if (p.adapter === 'shell') {
    const cwdOk = p.cwd === undefined || (await isDir(p.cwd));
    if (!cwdOk) checks.push({ surface: 'process', name: 'cwd', status: 'fail', detail: `${p.cwd} is not a directory` });
    const cwd = cwdOk ? p.cwd : undefined;
    for (const role of ['stop', 'start', 'health'] as const)
      checks.push(checkCommand('process', await probeCommand(role, p[role], { ...(cwd ? { cwd } : {}), envAllow })));
    const run = await runShell(p.health, { timeoutMs, envAllow, ...(cwd ? { cwd } : {}) }).catch((err: Error) => ({
      exitCode: null,
      timedOut: false,
      stdout: '',
      stderr: err.message,
    }));
    checks.push(...checkShellHealth(run));
  } else {
    if (!p.configFile)
      checks.push({ surface: 'process', name: 'sandbox configFile', status: 'fail', detail: 'not set: a stopped sandbox cannot be started again' });
    else {
      try {
        loadSandboxConfig(p.configFile);
        checks.push({ surface: 'process', name: 'sandbox configFile', status: 'pass', detail: p.configFile });
      } catch (err) {
        checks.push({ surface: 'process', name: 'sandbox configFile', status: 'fail', detail: `${p.configFile}: ${(err as Error).message.slice(0, 300)}` });
      }
    }
    checks.push(...checkHttpHealth('health', 'health endpoint', await httpProbe(`${p.controlUrl}/health`, timeoutMs)));
  }

  // Gateway (§4).
  const stats = checkStats(await httpProbe(`${t.gatewayUrl}/stats`, timeoutMs));
  checks.push(...stats.checks, killSwitchNotProbed());

  // Runtime state (§5).
  const read = await readStateFile(t.stateFile);
  const evidence: StateFileEvidence =
    read.status === 'ok'
      ? {
          status: 'ok',
          savedAt: read.file.saved_at,
          seq: read.file.seq,
          digest: read.file.digest,
          computedDigest: read.computedDigest,
          digestValid: read.digestValid,
        }
      : read;
  checks.push(...checkStateFile(t.stateFile, evidence, Date.now(), stats.stats));

  // Run artifacts (§2).
  const runDir = resolveInside(t.artifactsRoot, t.runId);
  const dirOk = await isDir(runDir);
  checks.push(checkRunDir(runDir, dirOk));
  if (dirOk) {
    const artifacts: ArtifactEvidence[] = [];
    for (const a of DRILL_ARTIFACTS) artifacts.push({ file: a.file, lines: await readLastLines(path.join(runDir, a.file)) });
    checks.push(...checkArtifacts(artifacts));
  }

  // Fault declarations (§10): only when the entry has one.
  const decl = (t as { faults?: unknown }).faults ?? (o.rawEntry && typeof o.rawEntry === 'object' ? (o.rawEntry as { faults?: unknown }).faults : undefined);
  const probes: CommandProbe[] = [];
  for (const c of faultDeclarationParts(decl).commands)
    probes.push(await probeCommand(c.path, c.command, { ...(p.adapter === 'shell' && p.cwd ? { cwd: p.cwd } : {}), envAllow }));
  checks.push(...checkFaults(decl, probes));
  if (o.chaosScenarios?.length && decl === undefined && p.adapter !== 'sandbox') {
    checks.push({
      surface: 'faults',
      name: 'chaos scenarios',
      status: 'skip',
      detail: `${o.chaosScenarios.join(', ')} requested, but the target declares no faults: the drill cannot inject them (declare faults, or pass "scenarios": [])`,
    });
  }

  return conformanceReport(name, checkedAt, checks);
}
