/**
 * Target conformance: does a target honour every contract surface the weekly drill will use
 * (`docs/target-contract.md` §10)? Pure verdicts over evidence gathered read-only by
 * `io/conformance-probe.ts` (`drill target check`, `drill run weekly --dry-run`): nothing here
 * stops, starts, injects or halts anything.
 *
 * Each check is one line: `pass`, `fail` (the drill would fail or be refused because of it), or
 * `skip` (not applicable, or optional and absent; the detail says what that means for a drill).
 */
import { z } from 'zod';
import { ARTIFACT_FILES, opsSloEventSchema, orderReconciliationEventSchema, positionReconciliationEventSchema, dataQualityEventSchema } from './artifacts';
import { INCIDENT_EVENTS_FILE, incidentEventSchema } from './incident-events';
import { formatIssues, gatewayStatsSchema, type GatewayStats, type TargetConfig } from './target';

export type ConformanceSurface = 'config' | 'process' | 'health' | 'gateway' | 'state' | 'artifacts' | 'faults';
export type ConformanceStatus = 'pass' | 'fail' | 'skip';

export interface ConformanceCheck {
  surface: ConformanceSurface;
  name: string;
  status: ConformanceStatus;
  detail: string;
}

export interface ConformanceReport {
  target: string;
  checkedAt: string;
  /** True when no check failed. */
  ok: boolean;
  counts: Record<ConformanceStatus, number>;
  checks: ConformanceCheck[];
}

const pass = (surface: ConformanceSurface, name: string, detail: string): ConformanceCheck => ({ surface, name, status: 'pass', detail });
const fail = (surface: ConformanceSurface, name: string, detail: string): ConformanceCheck => ({ surface, name, status: 'fail', detail });
const skip = (surface: ConformanceSurface, name: string, detail: string): ConformanceCheck => ({ surface, name, status: 'skip', detail });

export function conformanceReport(target: string, checkedAt: string, checks: ConformanceCheck[]): ConformanceReport {
  const counts = { pass: 0, fail: 0, skip: 0 };
  for (const c of checks) counts[c.status]++;
  return { target, checkedAt, ok: counts.fail === 0, counts, checks };
}

/** One line per check, `PASS`/`FAIL`/`SKIP` first, then a summary. */
export function describeConformance(r: ConformanceReport): string[] {
  return [
    ...r.checks.map((c) => `${c.status.toUpperCase().padEnd(4)} ${c.surface.padEnd(9)} ${c.name}: ${c.detail}`),
    `${r.ok ? 'conforms' : 'DOES NOT CONFORM'}: ${r.counts.pass} passed, ${r.counts.fail} failed, ${r.counts.skip} skipped (read-only: nothing was stopped, started, injected or halted)`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Config

export function checkMode(t: Pick<TargetConfig, 'mode'>, allowLive: boolean | undefined): ConformanceCheck {
  if (t.mode === 'live' && allowLive === false) return fail('config', 'mode', 'live: a drill is refused without --allow-live');
  return pass('config', 'mode', t.mode === 'live' ? 'live (a drill needs --allow-live)' : 'paper');
}

// ---------------------------------------------------------------------------------------------
// Process commands (shell adapter)

const SHELL_BUILTINS = new Set([
  'true',
  'false',
  ':',
  '.',
  'cd',
  'exec',
  'test',
  '[',
  'echo',
  'printf',
  'kill',
  'sleep',
  'set',
  'export',
  'command',
  'eval',
  'if',
  'for',
  'while',
  'until',
  'case',
  '{',
  '(',
  '!',
  'exit',
  'wait',
  'trap',
  'read',
  'ulimit',
  'umask',
]);

/**
 * The program a command runs first, when it can be told without running it: leading `VAR=value`
 * assignments skipped, one plain or single/double-quoted word. `undefined` when the first word is
 * built at run time (`$X`, backquotes, subshells).
 */
export function firstProgram(command: string): { word: string; builtin: boolean } | undefined {
  let rest = command.trimStart();
  for (;;) {
    const m = /^[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|"[^"$`]*"|[^\s'"$`;|&<>()]*)\s+/.exec(rest);
    if (!m) break;
    rest = rest.slice(m[0].length);
  }
  const quoted = /^'([^']+)'(?=\s|$)/.exec(rest) ?? /^"([^"$`\\]+)"(?=\s|$)/.exec(rest);
  if (quoted) return { word: quoted[1]!, builtin: SHELL_BUILTINS.has(quoted[1]!) };
  const word = /^[^\s;|&<>()]+/.exec(rest)?.[0];
  if (!word) return rest.startsWith('(') ? { word: '(', builtin: true } : undefined;
  if (/[$`\\'"*?]/.test(word)) return undefined;
  return { word, builtin: SHELL_BUILTINS.has(word) };
}

export interface CommandProbe {
  /** stop, start, health, or a fault declaration's path (`faults.stale_data.inject`). */
  role: string;
  command: string;
  /** `sh -n` said: null when it parses. */
  parseError: string | null;
  /** The first program and where `command -v` found it (null: not found); absent when not resolvable statically. */
  program?: { word: string; builtin: boolean; resolved: string | null };
}

export function checkCommand(surface: ConformanceSurface, p: CommandProbe): ConformanceCheck {
  const name = `${p.role} command`;
  if (p.parseError !== null) return fail(surface, name, `does not parse as sh: ${p.parseError}`);
  if (!p.program) return pass(surface, name, 'parses; its program is chosen at run time (not resolved)');
  if (p.program.builtin) return pass(surface, name, `parses; starts with the shell builtin ${p.program.word}`);
  if (p.program.resolved === null) return fail(surface, name, `parses, but ${p.program.word} is not found (PATH and cwd of the target's commands)`);
  return pass(surface, name, `parses; ${p.program.word} → ${p.program.resolved}`);
}

// ---------------------------------------------------------------------------------------------
// Health (contract §4 /health, or the shell adapter's health command)

const isoTs = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time' });

/** `GET /health` while serving; a shell health command may print the same JSON. */
export const healthAnswerSchema = z.looseObject({
  status: z.literal('ok', { error: 'expected "ok"' }),
  pid: z.number().int().positive(),
  boot_id: z.string().min(1).max(200),
  started_at: isoTs,
  serving_at: isoTs.nullable().optional(),
});

export interface HttpProbe {
  url: string;
  status?: number;
  body?: unknown;
  /** Transport error kind (connection refused, timeout). */
  error?: string;
}

export interface ShellRunProbe {
  exitCode: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

function healthShape(body: unknown): { ok: true; bootId: string } | { ok: false; problems: string } {
  const r = healthAnswerSchema.safeParse(body);
  return r.success ? { ok: true, bootId: r.data.boot_id } : { ok: false, problems: formatIssues(r.error).join('; ') };
}

/** The sandbox adapter's health endpoint (`<controlUrl>/health`). */
export function checkHttpHealth(surface: ConformanceSurface, name: string, p: HttpProbe): ConformanceCheck[] {
  if (p.error !== undefined) return [fail(surface, name, `${p.url} unreachable (${p.error})`)];
  const shape = healthShape(p.body);
  if (p.status !== 200) return [fail(surface, name, `${p.url} answered HTTP ${p.status}: the drill refuses an unhealthy target`)];
  if (!shape.ok) return [fail(surface, name, `${p.url} answered 200 but not the contract's health JSON: ${shape.problems}`)];
  return [pass(surface, name, `${p.url}: ok, boot ${shape.bootId}`)];
}

/** The shell adapter's health command: exit 0 is healthy; JSON on stdout (optional) gives the boot id. */
export function checkShellHealth(p: ShellRunProbe): ConformanceCheck[] {
  if (p.timedOut) return [fail('health', 'health command', 'timed out: the drill would take the target for down')];
  if (p.exitCode !== 0)
    return [
      fail(
        'health',
        'health command',
        `exit ${p.exitCode}: the drill refuses an unhealthy target${p.stderr || p.stdout ? ` (${(p.stderr || p.stdout).slice(-200)})` : ''}`,
      ),
    ];
  const checks = [pass('health', 'health command', 'exit 0 (healthy)')];
  let body: unknown;
  try {
    body = JSON.parse(p.stdout);
  } catch {
    checks.push(
      skip('health', 'health answer JSON', "no JSON on stdout: a restart can only be told by health, not by a new boot id (print /health's JSON to give it)"),
    );
    return checks;
  }
  const shape = healthShape(body);
  checks.push(
    shape.ok
      ? pass('health', 'health answer JSON', `boot ${shape.bootId}`)
      : fail('health', 'health answer JSON', `stdout is JSON but not the contract's health answer: ${shape.problems}`),
  );
  return checks;
}

// ---------------------------------------------------------------------------------------------
// Gateway (contract §4)

export function checkStats(p: HttpProbe): { checks: ConformanceCheck[]; stats?: GatewayStats } {
  if (p.error !== undefined) return { checks: [fail('gateway', 'GET /stats', `${p.url} unreachable (${p.error})`)] };
  if (p.status !== 200) return { checks: [fail('gateway', 'GET /stats', `${p.url} answered HTTP ${p.status}`)] };
  const r = gatewayStatsSchema.safeParse(p.body);
  if (!r.success) return { checks: [fail('gateway', 'GET /stats', `does not honour the contract: ${formatIssues(r.error).join('; ')}`)] };
  const s = r.data;
  const checks = [
    pass(
      'gateway',
      'GET /stats',
      `halt_reason ${s.halt_reason === null ? 'null' : JSON.stringify(s.halt_reason)}, trading_halted_until ${s.trading_halted_until ?? 'null'}, entries_halted ${s.entries_halted}`,
    ),
  ];
  checks.push(
    s.runtime_state
      ? pass(
          'gateway',
          '/stats runtime_state',
          `restored ${s.runtime_state.restored}${s.runtime_state.restored ? ` (seq ${s.runtime_state.restored_seq})` : ` (${s.runtime_state.restore_error ?? 'no reason given'})`}, last save seq ${s.runtime_state.last_save_seq ?? 'none'}`,
        )
      : fail('gateway', '/stats runtime_state', 'missing: the drill cannot check that the restarted process restored the last save (§5)'),
  );
  return { checks, stats: s };
}

/** The kill switch is part of the drill, but probing it would change the target. */
export const killSwitchNotProbed = (): ConformanceCheck =>
  skip('gateway', 'POST /kill-switch', 'not exercised: a check must not halt entries (the drill halts and resumes them)');

// ---------------------------------------------------------------------------------------------
// Runtime state file (contract §5)

export type StateFileEvidence =
  | { status: 'missing' }
  | { status: 'unreadable'; error: string }
  | { status: 'ok'; savedAt: string; seq: number; digest: string; computedDigest: string; digestValid: boolean };

export function checkStateFile(file: string, e: StateFileEvidence, nowMs: number, stats?: GatewayStats): ConformanceCheck[] {
  if (e.status === 'missing') return [fail('state', 'state file', `${file} does not exist: no RPO and no restore check are possible`)];
  if (e.status === 'unreadable') return [fail('state', 'state file', `${file}: ${e.error}`)];
  const age = Math.max(0, (nowMs - Date.parse(e.savedAt)) / 1000);
  const checks = [pass('state', 'state file', `seq ${e.seq}, saved_at ${e.savedAt} (${age.toFixed(1)} s ago)`)];
  checks.push(
    e.digestValid
      ? pass('state', 'state digest (RFC 8785)', `${e.digest} matches the body`)
      : fail(
          'state',
          'state digest (RFC 8785)',
          `file says ${e.digest}, the RFC 8785 canonical JSON of its body hashes to ${e.computedDigest} (§5.1 has test vectors)`,
        ),
  );
  const rs = stats?.runtime_state;
  if (rs && rs.last_save_seq === e.seq && rs.last_save_digest !== null && rs.last_save_digest !== e.digest) {
    checks.push(fail('state', 'state file vs /stats', `the process reports digest ${rs.last_save_digest} for save ${e.seq}, the file holds ${e.digest}`));
  }
  return checks;
}

// ---------------------------------------------------------------------------------------------
// Run artifacts (contract §2)

export const DRILL_ARTIFACTS: ReadonlyArray<{ file: string; required: boolean; schema: z.ZodType; why: string }> = [
  { file: ARTIFACT_FILES.orderReconciliation, required: true, schema: orderReconciliationEventSchema, why: 'reconciliation after the restart' },
  {
    file: ARTIFACT_FILES.positionReconciliation,
    required: true,
    schema: positionReconciliationEventSchema,
    why: 'clean reconciliation pairs orders with positions',
  },
  { file: ARTIFACT_FILES.opsSlo, required: true, schema: opsSloEventSchema, why: 'SLO monitor emitting after the restart' },
  { file: INCIDENT_EVENTS_FILE, required: false, schema: incidentEventSchema, why: 'open critical incidents refuse a drill; chaos detection' },
  { file: ARTIFACT_FILES.dataQuality, required: false, schema: dataQualityEventSchema, why: 'chaos detection of data faults' },
];

/** The last complete lines of a file (null: the file does not exist). */
export interface ArtifactEvidence {
  file: string;
  lines: string[] | null;
}

function parseLines(lines: string[], schema: z.ZodType): { values: unknown[]; problems: string[] } {
  const values: unknown[] = [];
  const problems: string[] = [];
  lines.forEach((line, i) => {
    const where = `line ${i - lines.length} (from the end)`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      problems.push(`${where}: not JSON`);
      return;
    }
    const r = schema.safeParse(v);
    if (r.success) values.push(r.data);
    else problems.push(`${where}: ${formatIssues(r.error).join('; ')}`);
  });
  return { values, problems };
}

export function checkRunDir(dir: string, exists: boolean): ConformanceCheck {
  return exists ? pass('artifacts', 'run folder', dir) : fail('artifacts', 'run folder', `${dir} does not exist (artifactsRoot/runId)`);
}

export function checkArtifacts(evidence: readonly ArtifactEvidence[]): ConformanceCheck[] {
  const checks: ConformanceCheck[] = [];
  const parsed = new Map<string, unknown[]>();
  for (const spec of DRILL_ARTIFACTS) {
    const e = evidence.find((x) => x.file === spec.file);
    if (!e || e.lines === null) {
      checks.push(
        spec.required ? fail('artifacts', spec.file, `missing: needed for ${spec.why}`) : skip('artifacts', spec.file, `absent (optional: ${spec.why})`),
      );
      continue;
    }
    if (e.lines.length === 0) {
      checks.push(spec.required ? fail('artifacts', spec.file, `empty: needed for ${spec.why}`) : pass('artifacts', spec.file, 'present, empty'));
      continue;
    }
    const r = parseLines(e.lines, spec.schema);
    parsed.set(spec.file, r.values);
    checks.push(
      r.problems.length
        ? fail(
            'artifacts',
            spec.file,
            `${r.problems.length} of the last ${e.lines.length} line(s) do not honour the contract: ${r.problems.slice(0, 3).join(' | ')}`,
          )
        : pass('artifacts', spec.file, `last ${e.lines.length} line(s) parse`),
    );
  }
  const orders = parsed.get(ARTIFACT_FILES.orderReconciliation) as Array<{ cycle: number }> | undefined;
  const positions = parsed.get(ARTIFACT_FILES.positionReconciliation) as Array<{ cycle: number }> | undefined;
  if (orders?.length && positions?.length)
    checks.push(
      checkCyclePairing(
        orders.map((o) => o.cycle),
        positions.map((p) => p.cycle),
      ),
    );
  return checks;
}

/** §2 cycle pairing: order and position lines of one cycle carry the same `cycle`. */
export function checkCyclePairing(orderCycles: readonly number[], positionCycles: readonly number[]): ConformanceCheck {
  const pos = new Set(positionCycles);
  const latest = orderCycles.slice(-10);
  const paired = latest.filter((c) => pos.has(c)).length;
  // The newest order line's position twin may not be written yet: one unpaired is tolerated.
  if (paired >= Math.max(1, latest.length - 1))
    return pass('artifacts', 'cycle pairing', `${paired} of the last ${latest.length} order cycles have their position line`);
  return fail(
    'artifacts',
    'cycle pairing',
    `only ${paired} of the last ${latest.length} order cycles (${latest.join(', ')}) have a position line with the same cycle number: no reconciliation would count as clean (§2)`,
  );
}

// ---------------------------------------------------------------------------------------------
// Fault declarations (optional; their schema belongs to the chaos part of the contract)

const COMMAND_KEYS = /^(run|start|stop|check)$|inject|clear|command|cmd/i;

/**
 * The shell commands and URLs in a target's fault declaration, whatever its exact shape: string
 * leaves under a command-like key (`inject`, `clear`, `command`, ...) are commands, `http(s)://`
 * strings are URLs. Read-only: nothing is run but `sh -n` and `command -v` on them.
 */
export function faultDeclarationParts(decl: unknown): {
  commands: Array<{ path: string; command: string }>;
  urls: Array<{ path: string; url: string }>;
  entries: number;
} {
  const commands: Array<{ path: string; command: string }> = [];
  const urls: Array<{ path: string; url: string }> = [];
  const walk = (v: unknown, at: string, key: string, underCommand: boolean) => {
    if (typeof v === 'string') {
      if (/^https?:\/\//i.test(v)) urls.push({ path: at, url: v });
      else if (underCommand || COMMAND_KEYS.test(key)) commands.push({ path: at, command: v });
      return;
    }
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}[${i}]`, key, underCommand || COMMAND_KEYS.test(key)));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${at}.${k}`, k, underCommand || COMMAND_KEYS.test(key));
  };
  walk(decl, 'faults', 'faults', false);
  const entries = Array.isArray(decl) ? decl.length : decl && typeof decl === 'object' ? Object.keys(decl).length : 0;
  return { commands, urls, entries };
}

export function checkFaults(decl: unknown, commandProbes: readonly CommandProbe[]): ConformanceCheck[] {
  if (decl === undefined) return [skip('faults', 'fault declaration', "none: the drill's chaos step has nothing to inject on this target")];
  if (decl === null || typeof decl !== 'object')
    return [fail('faults', 'fault declaration', `expected an object or a list, got ${decl === null ? 'null' : typeof decl}`)];
  const parts = faultDeclarationParts(decl);
  const checks = [
    pass(
      'faults',
      'fault declaration',
      `${parts.entries} entr${parts.entries === 1 ? 'y' : 'ies'}, ${parts.commands.length} command(s), ${parts.urls.length} URL(s)`,
    ),
  ];
  for (const u of parts.urls) {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(u.url).protocol);
    } catch {
      ok = false;
    }
    checks.push(ok ? pass('faults', u.path, `URL ${u.url}`) : fail('faults', u.path, `not a valid http(s) URL: ${u.url}`));
  }
  for (const p of commandProbes) checks.push(checkCommand('faults', p));
  return checks;
}
