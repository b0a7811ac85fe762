/**
 * Chaos adapter: injects and clears faults through the target contract (docs/target-contract.md,
 * "Fault injection"): the HTTP fault API the sandbox speaks (`POST <url>`, default
 * `<gatewayUrl>/faults`), or the shell commands a target declares per scenario. A target that
 * declares neither has no fault injection: `chaosCapabilities` says so and the drill skips chaos.
 *
 * Inject and clear are keyed (`idempotencyKey`): `<opsDir>/fault-<inject|clear>.<key>.pending` is
 * written before acting and `….done` (the outcome) after. A retry that finds `.done` returns the first
 * outcome without acting; one that finds only `.pending` (the worker died with the reply in flight)
 * acts again (injecting an active fault changes nothing) and keeps the first time: the target's own
 * `injected_at` when it reports one (the HTTP API does; a shell command may print it), else the
 * first attempt's request time. So a detection window is measured from the real injection.
 *
 * `drill chaos` (the runbook's `chaos_drill.py`) runs these through the drill's engine: `commands/chaos-drill.ts`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { chaosScenarioSchema, type ChaosScenario } from '../domain/drill';
import {
  declaredFaults,
  faultNameSchema,
  faultSupported,
  targetNameSchema,
  type FaultName,
  type FaultsAdapterConfig,
  type TargetConfig,
} from '../domain/target';
import { resolveInside, writeFileAtomic } from '../io/files';
import { idempotencyKeySchema, runShell } from './process-control';
import { errorKind, getJson, heartbeat, parseInput, resolveTarget, type TargetActivityDeps } from './target-input';
import { FAILURE } from '../domain/failure-types';

export const chaosInjectInputSchema = z.object({
  target: targetNameSchema,
  fault: chaosScenarioSchema,
  seconds: z.number().nonnegative().max(3600).optional(),
  /** Keyed inject: a retry returns the first `at` (absent: unkeyed, as before issue 9). */
  idempotencyKey: idempotencyKeySchema.optional(),
});
export const chaosClearInputSchema = z.object({
  target: targetNameSchema,
  fault: z.union([faultNameSchema, z.literal('all')]),
  idempotencyKey: idempotencyKeySchema.optional(),
});
export const chaosCapabilitiesInputSchema = z.object({ target: targetNameSchema, scenarios: z.array(chaosScenarioSchema).max(20).default([]) });
export type ChaosInjectInput = z.input<typeof chaosInjectInputSchema>;
export type ChaosClearInput = z.input<typeof chaosClearInputSchema>;

export interface ChaosFaultResult {
  /** Inject: when the fault was injected (the target's `injected_at`, else when the first request was sent). Clear: when the clear was requested. */
  at: string;
  changed: boolean;
  active: string[];
  /** Keyed: this is the outcome of an earlier attempt (found on retry). */
  alreadyDone?: boolean;
  /** Where `at` comes from: `target` (its own injected_at) or `request` (the first request's time). */
  atSource?: 'target' | 'request';
}

export interface ChaosCapabilities {
  /** `none`: the target declares no fault injection (the chaos step is skipped). */
  adapter: 'http' | 'shell' | 'none';
  /** Of the scenarios asked about: the ones the target can inject and clear. */
  supported: ChaosScenario[];
  unsupported: ChaosScenario[];
}

const isoLike = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The last stdout line of a shell fault command, when it is JSON with an ISO `injected_at`. */
function printedInjectedAt(stdout: string): string | undefined {
  const last = stdout.trim().split('\n').at(-1) ?? '';
  try {
    const v = JSON.parse(last) as { injected_at?: unknown };
    return typeof v.injected_at === 'string' && isoLike.test(v.injected_at) && Number.isFinite(Date.parse(v.injected_at)) ? v.injected_at : undefined;
  } catch {
    return undefined;
  }
}

async function readMarker<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function createChaosActivities(deps: TargetActivityDeps) {
  async function faultsOf(target: string): Promise<{ t: TargetConfig; f: FaultsAdapterConfig }> {
    const t = await resolveTarget(deps, target);
    const f = declaredFaults(t);
    if (!f)
      throw ApplicationFailure.nonRetryable(
        `${target}: declares no fault injection (no "faults" in its targets entry; see docs/target-contract.md, Fault injection)`,
        FAILURE.chaosUnsupported,
      );
    return { t, f };
  }

  type Req = { action: 'inject'; fault: FaultName; seconds?: number } | { action: 'clear'; fault: FaultName | 'all' };

  /** One request through the HTTP fault API; `injectedAt` is the target's time for the injected fault. */
  async function http(
    target: string,
    t: TargetConfig,
    f: Extract<FaultsAdapterConfig, { adapter: 'http' }>,
    body: Req & { idempotency_key?: string },
  ): Promise<{ changed: boolean; active: string[]; injectedAt?: string }> {
    let r;
    try {
      r = await getJson(f.url ?? `${t.gatewayUrl}/faults`, f.timeoutSeconds * 1000, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (err) {
      throw ApplicationFailure.retryable(`${target} faults: unreachable (${errorKind(err)})`, FAILURE.gatewayUnreachable);
    }
    if (r.status >= 500) throw ApplicationFailure.retryable(`${target} faults: answered ${r.status}`, FAILURE.gatewayUnavailable);
    if (r.status !== 200)
      throw ApplicationFailure.nonRetryable(`${target} faults: rejected (${r.status}) ${JSON.stringify(r.body).slice(0, 300)}`, FAILURE.chaosRejected);
    const b = (r.body ?? {}) as { changed?: unknown; faults?: unknown };
    const list = Array.isArray(b.faults) ? (b.faults as Array<{ fault?: unknown; injected_at?: unknown }>) : [];
    const mine = body.action === 'inject' ? list.find((x) => x.fault === body.fault) : undefined;
    const injectedAt = typeof mine?.injected_at === 'string' && isoLike.test(mine.injected_at) ? mine.injected_at : undefined;
    return { changed: typeof b.changed === 'boolean' ? b.changed : true, active: list.map((x) => String(x.fault)), ...(injectedAt ? { injectedAt } : {}) };
  }

  /** One shell fault command (`DRILL_FAULT`, `DRILL_FAULT_ACTION`, `DRILL_FAULT_KEY`, `DRILL_FAULT_SECONDS` in its environment). */
  async function shell(
    target: string,
    f: Extract<FaultsAdapterConfig, { adapter: 'shell' }>,
    req: Req,
    key: string | undefined,
  ): Promise<{ changed: boolean; active: string[]; injectedAt?: string }> {
    const commands: string[] = [];
    if (req.action === 'inject') {
      const c = f.inject[req.fault];
      if (!c) throw ApplicationFailure.nonRetryable(`${target}: declares no inject command for ${req.fault}`, FAILURE.chaosUnsupported);
      commands.push(c);
    } else if (req.fault !== 'all') {
      const c = f.clear[req.fault] ?? f.clearAll;
      if (!c) throw ApplicationFailure.nonRetryable(`${target}: declares no clear command for ${req.fault} (nor clearAll)`, FAILURE.chaosUnsupported);
      commands.push(c);
    } else if (f.clearAll) commands.push(f.clearAll);
    else commands.push(...new Set(Object.values(f.clear)));
    let injectedAt: string | undefined;
    for (const command of commands) {
      // The values are fault names, keys and numbers (safe alphabets): quoting is exact.
      const vars = [
        `DRILL_FAULT='${req.fault}'`,
        `DRILL_FAULT_ACTION='${req.action}'`,
        ...(key ? [`DRILL_FAULT_KEY='${key}'`] : []),
        ...(req.action === 'inject' && req.seconds !== undefined ? [`DRILL_FAULT_SECONDS='${req.seconds}'`] : []),
      ];
      const c = await runShell(`export ${vars.join(' ')}\n${command}`, {
        timeoutMs: f.timeoutSeconds * 1000,
        envAllow: [...(deps.envAllow ?? []), ...(f.envAllow ?? [])],
        ...(f.cwd ? { cwd: f.cwd } : {}),
      });
      if (c.timedOut || c.exitCode !== 0) {
        const out = (c.stderr || c.stdout).slice(-300);
        throw ApplicationFailure.retryable(
          `${target} ${req.action} ${req.fault}: ${c.timedOut ? `timed out after ${f.timeoutSeconds} s` : `exit ${c.exitCode ?? c.signal}`}${out ? `: ${out}` : ''}`,
          FAILURE.chaosCommandFailed,
        );
      }
      injectedAt ??= req.action === 'inject' ? printedInjectedAt(c.stdout) : undefined;
    }
    return { changed: true, active: [], ...(injectedAt ? { injectedAt } : {}) };
  }

  async function act(target: string, req: Req, key: string | undefined): Promise<ChaosFaultResult> {
    const { t, f } = await faultsOf(target);
    if (req.fault !== 'all' && !faultSupported(f, req.fault))
      throw ApplicationFailure.nonRetryable(`${target}: declares no way to inject and clear ${req.fault}`, FAILURE.chaosUnsupported);
    const markers = key
      ? { pending: resolveInside(deps.opsDir, `fault-${req.action}.${key}.pending`), done: resolveInside(deps.opsDir, `fault-${req.action}.${key}.done`) }
      : undefined;
    let firstAt: string | undefined;
    if (markers) {
      const done = await readMarker<ChaosFaultResult & { target?: string; fault?: string }>(markers.done);
      if (done) {
        if (done.target !== target || done.fault !== req.fault)
          throw ApplicationFailure.nonRetryable(
            `idempotencyKey ${key} was already used to ${req.action} ${done.fault} on ${done.target}`,
            FAILURE.invalidInput,
          );
        return { at: done.at, changed: false, active: done.active, alreadyDone: true, ...(done.atSource ? { atSource: done.atSource } : {}) };
      }
      firstAt = (await readMarker<{ at: string }>(markers.pending))?.at;
      if (!firstAt) {
        await fs.mkdir(path.dirname(markers.pending), { recursive: true });
        firstAt = new Date().toISOString();
        await writeFileAtomic(markers.pending, JSON.stringify({ at: firstAt, target, fault: req.fault }));
      }
    }
    const requestedAt = firstAt ?? new Date().toISOString();
    // Heartbeats while the target acts: a dead worker's call is retried within the heartbeat timeout.
    heartbeat({ action: req.action, fault: req.fault });
    const beat = setInterval(() => heartbeat({ action: req.action, fault: req.fault }), 1000);
    let r: Awaited<ReturnType<typeof http>>;
    try {
      r = f.adapter === 'http' ? await http(target, t, f, { ...req, ...(key ? { idempotency_key: key } : {}) }) : await shell(target, f, req, key);
    } finally {
      clearInterval(beat);
    }
    const out: ChaosFaultResult = r.injectedAt
      ? { at: r.injectedAt, changed: r.changed, active: r.active, atSource: 'target' }
      : { at: requestedAt, changed: r.changed, active: r.active, atSource: 'request' };
    if (markers) await writeFileAtomic(markers.done, JSON.stringify({ ...out, target, fault: req.fault }));
    return out;
  }

  return {
    /** Injects one chaos scenario's fault (keyed when `idempotencyKey` is given). */
    async chaosInject(input: ChaosInjectInput): Promise<ChaosFaultResult> {
      const i = parseInput(chaosInjectInputSchema, input, 'chaosInject input');
      return act(i.target, { action: 'inject', fault: i.fault, ...(i.seconds !== undefined ? { seconds: i.seconds } : {}) }, i.idempotencyKey);
    },
    /** Clears one fault, or all (keyed when `idempotencyKey` is given: a retry returns the first `at`). */
    async chaosClear(input: ChaosClearInput): Promise<ChaosFaultResult> {
      const i = parseInput(chaosClearInputSchema, input, 'chaosClear input');
      return act(i.target, { action: 'clear', fault: i.fault }, i.idempotencyKey);
    },
    /** What fault injection the target declares, and which of `scenarios` it can inject and clear. Read-only. */
    async chaosCapabilities(input: z.input<typeof chaosCapabilitiesInputSchema>): Promise<ChaosCapabilities> {
      const i = parseInput(chaosCapabilitiesInputSchema, input, 'chaosCapabilities input');
      const t = await resolveTarget(deps, i.target);
      const f = declaredFaults(t);
      const supported = i.scenarios.filter((s) => faultSupported(f, s));
      return { adapter: f?.adapter ?? 'none', supported, unsupported: i.scenarios.filter((s) => !supported.includes(s)) };
    },
  };
}
