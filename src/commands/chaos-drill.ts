/**
 * `drill chaos`: the weekly drill's chaos step run directly, without a workflow — the same engine
 * (`domain/chaos-course.ts`) with the same activities, called in-process: keyed inject and clear
 * when a drill id is given, the detection and recovery long polls of `activities/drill-waits.ts`.
 * Unlike the workflow (whose rollback clears), it clears a fault itself when a wait throws.
 */
import { createChaosActivities } from '../activities/chaos';
import { createDrillActivities, type DrillCursors } from '../activities/drill';
import { createDrillWaitActivities } from '../activities/drill-waits';
import type { TargetActivityDeps } from '../activities/target-input';
import { runChaosScenarios, type ChaosCoursePorts } from '../domain/chaos-course';
import { chaosDrillReport, chaosOrder, chaosSkipReason, DEFAULT_SCENARIOS, type ChaosDrillReport, type ChaosScenario } from '../domain/drill';
import { nextSliceMs } from '../domain/drill-wait';

export interface ChaosDrillOptions {
  target: string;
  scenarios?: ChaosScenario[];
  seed?: number;
  detectionSeconds?: number;
  recoverySeconds?: number;
  /** The target unhealthy this long in a row while recovering: the scenario counts as not recovered. */
  unhealthySeconds?: number;
  pollMs?: number;
  drillId?: string;
}

/** Calls `slice` with slices of the time left until `boundAtMs`, until one is done (or the time is up). */
async function untilBound<R extends { done: boolean }>(boundAtMs: number, slice: (sliceMs: number) => Promise<R>, stop?: (r: R) => boolean): Promise<R> {
  for (;;) {
    const r = await slice(nextSliceMs(boundAtMs - Date.now()));
    if (r.done || stop?.(r) || Date.now() >= boundAtMs) return r;
  }
}

/** Per scenario in seeded order: inject, the target's detection, clear, its recovery (see the module comment). */
export async function runChaosDrill(deps: TargetActivityDeps, o: ChaosDrillOptions): Promise<ChaosDrillReport> {
  const chaos = createChaosActivities(deps);
  const drill = createDrillActivities(deps);
  const waits = createDrillWaitActivities(deps);
  const seed = o.seed ?? 42;
  const detectionSeconds = o.detectionSeconds ?? 120;
  const recoverySeconds = o.recoverySeconds ?? 120;
  const unhealthyMs = (o.unhealthySeconds ?? 60) * 1000;
  const pollMs = o.pollMs ?? 250;
  const order = chaosOrder(o.scenarios ?? [...DEFAULT_SCENARIOS], seed);
  const caps = await chaos.chaosCapabilities({ target: o.target, scenarios: order });
  const key = (scenario: ChaosScenario, what: 'inject' | 'clear') => (o.drillId ? { idempotencyKey: `chaos.${o.drillId.slice(-90)}.${scenario}.${what}` } : {});
  const ports: ChaosCoursePorts<DrillCursors> = {
    mark: async () => (await drill.drillArtifactCursors({ target: o.target })).cursors,
    inject: (scenario) => chaos.chaosInject({ target: o.target, fault: scenario, ...key(scenario, 'inject') }),
    clear: (scenario) => chaos.chaosClear({ target: o.target, fault: scenario, ...key(scenario, 'clear') }),
    awaitDetection: async (scenario, cursors, sinceMs, boundAtMs) => {
      const w = await untilBound(boundAtMs, (sliceMs) => waits.drillWaitDetection({ target: o.target, scenario, cursors, sinceMs, sliceMs, pollMs }));
      return w.detection;
    },
    awaitRecovery: async (scenario, cursors, clearedMs, boundAtMs) => {
      let streak = 0;
      const w = await untilBound(
        boundAtMs,
        async (sliceMs) => {
          const r = await waits.drillWaitChaosRecovery({
            target: o.target,
            scenario,
            cursors,
            clearedMs,
            sliceMs,
            pollMs,
            unhealthyMs,
            unhealthyStreakMs: streak,
          });
          streak = r.unhealthyStreakMs;
          return r;
        },
        (r) => r.unhealthy !== undefined,
      );
      return w.unhealthy === undefined && w.done ? w.recoveredAt : undefined;
    },
    now: () => Date.now(),
  };
  const supported = order.filter((s) => caps.supported.includes(s));
  const results = await runChaosScenarios(ports, supported, { detectionSeconds, recoverySeconds, clearOnError: true });
  return chaosDrillReport({
    generatedAt: new Date().toISOString(),
    target: o.target,
    ...(o.drillId ? { drillId: o.drillId } : {}),
    seed,
    detectionBoundSeconds: detectionSeconds,
    recoveryBoundSeconds: recoverySeconds,
    results,
    skipped: caps.unsupported.map((scenario) => ({ scenario, reason: chaosSkipReason(caps.adapter) })),
    faultAdapter: caps.adapter,
  });
}
