/**
 * Chaos adapter: injects and clears faults on a target that offers fault injection (the sandbox's
 * `POST <gatewayUrl>/faults`). Inject and clear are idempotent by nature (injecting an active
 * fault or clearing a cleared one changes nothing). Also `runChaosDrill`, the runbook's
 * `chaos_drill.py` as a plain function for `drill chaos --output ...` (no workflow needed).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import {
  chaosOrder,
  chaosScenarioSchema,
  DEFAULT_SCENARIOS,
  detectScenario,
  detectedFields,
  emptyObserved,
  foldObserved,
  scenarioRecovered,
  type ChaosDrillReport,
  type ChaosScenario,
  type ChaosScenarioResult,
} from '../domain/drill';
import { faultNameSchema, targetNameSchema } from '../domain/target';
import { createDrillActivities } from './drill';
import { errorKind, getJson, heartbeat, parseInput, resolveTarget, type TargetActivityDeps } from './target-input';

export const chaosInjectInputSchema = z.object({ target: targetNameSchema, fault: chaosScenarioSchema, seconds: z.number().nonnegative().max(3600).optional() });
export const chaosClearInputSchema = z.object({ target: targetNameSchema, fault: z.union([faultNameSchema, z.literal('all')]) });
export type ChaosInjectInput = z.input<typeof chaosInjectInputSchema>;
export type ChaosClearInput = z.input<typeof chaosClearInputSchema>;

export interface ChaosFaultResult {
  /** When the request was sent (ISO): detection latency counts from here. */
  at: string;
  changed: boolean;
  active: string[];
}

export function createChaosActivities(deps: TargetActivityDeps) {
  async function faults(target: string, body: Record<string, unknown>): Promise<ChaosFaultResult> {
    const t = await resolveTarget(deps, target);
    if (t.process.adapter !== 'sandbox') throw ApplicationFailure.nonRetryable(`${target}: fault injection needs a target that offers it (the sandbox); this one uses the ${t.process.adapter} adapter`, 'ChaosUnsupported');
    const at = new Date().toISOString();
    let r;
    try {
      r = await getJson(`${t.gatewayUrl}/faults`, 5000, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    } catch (err) {
      throw ApplicationFailure.retryable(`${target} faults: unreachable (${errorKind(err)})`, 'GatewayUnreachable');
    }
    if (r.status >= 500) throw ApplicationFailure.retryable(`${target} faults: answered ${r.status}`, 'GatewayUnavailable');
    if (r.status !== 200) throw ApplicationFailure.nonRetryable(`${target} faults: rejected (${r.status}) ${JSON.stringify(r.body).slice(0, 300)}`, 'ChaosRejected');
    const b = r.body as { changed?: boolean; faults?: Array<{ fault: string }> };
    return { at, changed: b.changed ?? true, active: (b.faults ?? []).map((f) => f.fault) };
  }

  return {
    /** Injects one chaos scenario's fault. */
    async chaosInject(input: ChaosInjectInput): Promise<ChaosFaultResult> {
      const i = parseInput(chaosInjectInputSchema, input, 'chaosInject input');
      return faults(i.target, { action: 'inject', fault: i.fault, ...(i.seconds !== undefined ? { seconds: i.seconds } : {}) });
    },
    /** Clears one fault, or all. */
    async chaosClear(input: ChaosClearInput): Promise<ChaosFaultResult> {
      const i = parseInput(chaosClearInputSchema, input, 'chaosClear input');
      return faults(i.target, { action: 'clear', fault: i.fault });
    },
  };
}

export interface ChaosDrillOptions {
  target: string;
  scenarios?: ChaosScenario[];
  seed?: number;
  detectionSeconds?: number;
  recoverySeconds?: number;
  pollMs?: number;
  drillId?: string;
}

/**
 * Runs the chaos drill directly (no workflow): per scenario in seeded order, inject, wait for the
 * target's detection within the bound, clear, wait for recovery. Always clears what it injected.
 */
export async function runChaosDrill(deps: TargetActivityDeps, o: ChaosDrillOptions): Promise<ChaosDrillReport> {
  const chaos = createChaosActivities(deps);
  const drill = createDrillActivities(deps);
  const seed = o.seed ?? 42;
  const bound = o.detectionSeconds ?? 120;
  const recoveryBound = o.recoverySeconds ?? 120;
  const pollMs = o.pollMs ?? 250;
  const results: ChaosScenarioResult[] = [];
  const failures: string[] = [];
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  for (const scenario of chaosOrder(o.scenarios ?? [...DEFAULT_SCENARIOS], seed)) {
    const start = await drill.drillArtifactCursors({ target: o.target });
    let cursors = start.cursors;
    let obs = emptyObserved();
    const injected = await chaos.chaosInject({ target: o.target, fault: scenario });
    const sinceMs = Date.parse(injected.at);
    const res: ChaosScenarioResult = { scenario, injectedAt: injected.at, detected: false };
    try {
      const deadline = Date.now() + bound * 1000;
      for (;;) {
        const r = await drill.drillObserve({ target: o.target, cursors });
        cursors = r.cursors;
        obs = foldObserved(obs, r.events);
        const d = detectScenario(scenario, obs, sinceMs);
        if (d) {
          Object.assign(res, detectedFields(d, sinceMs));
          break;
        }
        if (Date.now() > deadline) break;
        heartbeat({ scenario });
        await sleep(pollMs);
      }
    } finally {
      const cleared = await chaos.chaosClear({ target: o.target, fault: scenario });
      res.clearedAt = cleared.at;
    }
    if (!res.detected) failures.push(`chaos scenario ${scenario} not detected within ${bound} s`);
    const clearedMs = Date.parse(res.clearedAt);
    const deadline = Date.now() + recoveryBound * 1000;
    for (;;) {
      const at = scenarioRecovered(scenario, obs, clearedMs);
      if (at) {
        Object.assign(res, { recovered: true, recoveredAt: at });
        break;
      }
      if (Date.now() > deadline) {
        res.recovered = false;
        failures.push(`chaos scenario ${scenario}: target did not recover within ${recoveryBound} s of the clear`);
        break;
      }
      await sleep(pollMs);
      const r = await drill.drillObserve({ target: o.target, cursors });
      cursors = r.cursors;
      obs = foldObserved(obs, r.events);
    }
    results.push(res);
  }
  return {
    schemaVersion: 1,
    generatedAt: new Date().toISOString(),
    target: o.target,
    ...(o.drillId ? { drillId: o.drillId } : {}),
    seed,
    detectionBoundSeconds: bound,
    scenarios: results,
    passed: failures.length === 0,
    failures,
  };
}
