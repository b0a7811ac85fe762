/**
 * The weekly drill's chaos step (runbook DR drill step 0): through the target contract on the one
 * chaos engine (`domain/chaos-course.ts`) with the drill's activities as its ports; drills recorded
 * before `drill-bounded-waits` (or before the contract) replay on the per-poll loop kept here.
 */
import { ApplicationFailure, sleep } from '@temporalio/workflow';
import type { DrillCursors } from '../activities/drill';
import {
  chaosDrillReport,
  chaosOrder,
  chaosSkipReason,
  detectScenario,
  detectedFields,
  emptyObserved,
  foldObserved,
  scenarioRecovered,
  type ChaosScenario,
  type ChaosScenarioResult,
  type DrillStepRecord,
} from '../domain/drill';
import { runChaosScenarios, type ChaosCoursePorts } from '../domain/chaos-course';
import { FAILURE } from '../domain/failure-types';
import { courseCall, faultCall, iso, ms, probe, waitCall } from './drill-calls';
import { nextSliceMs } from '../domain/drill-wait';
import type { WeeklyDrill } from './weekly-drill';

type ObservedCursors = DrillCursors;

/** The target's detection of a fault (bounded waits): long polls in slices until `boundAt`. */
function awaitDetection(d: WeeklyDrill, scenario: ChaosScenario, cursors: ObservedCursors, sinceMs: number, boundAt: number) {
  return d.slices(boundAt, (sliceMs) =>
    waitCall(`1 chaos: wait for the target to detect ${scenario} (long poll)`).drillWaitDetection({
      target: d.p.target,
      scenario,
      cursors,
      sinceMs,
      sliceMs,
      pollMs: d.p.pollMs,
    }),
  );
}

/** A chaos scenario's recovery after its clear (bounded waits): its time, from the target's artifacts; throws on the unhealthy stop condition. */
async function awaitChaosRecovery(
  d: WeeklyDrill,
  scenario: ChaosScenario,
  cursors: ObservedCursors,
  clearedMs: number,
  boundAt: number,
): Promise<string | undefined> {
  const p = d.p;
  let streak = 0;
  const w = await d.slices(
    boundAt,
    async (sliceMs) => {
      const r = await waitCall(`1 chaos: wait for recovery from ${scenario} (long poll)`).drillWaitChaosRecovery({
        target: p.target,
        scenario,
        cursors,
        clearedMs,
        sliceMs,
        pollMs: p.pollMs,
        unhealthyMs: ms(p.unhealthySeconds),
        unhealthyStreakMs: streak,
      });
      streak = r.unhealthyStreakMs;
      return r;
    },
    (r) => r.unhealthy !== undefined,
  );
  if (w.unhealthy !== undefined) {
    d.failures.push(`target unhealthy for ${p.unhealthySeconds} s during the chaos drill (${w.unhealthy})`);
    throw ApplicationFailure.nonRetryable(`stop condition: target unhealthy past ${p.unhealthySeconds} s after ${scenario}`, FAILURE.drillStopCondition);
  }
  return w.done && w.recoveredAt ? w.recoveredAt : undefined;
}

/** The chaos engine's ports in this workflow: keyed inject and clear, long-poll waits in slices, workflow time. */
function chaosPorts(d: WeeklyDrill): ChaosCoursePorts<ObservedCursors> {
  const p = d.p;
  return {
    // Since drill-chaos-one-call (decided at the drill's start, with the other patches of a fast drill).
    ...(d.oneCall
      ? {
          injectDetectClear: async (scenario: ChaosScenario, cursors: ObservedCursors, boundAt: number) => {
            const r = await courseCall(`1 chaos: inject ${scenario}, wait for its detection, clear it (keyed, long poll)`).drillInjectDetectClear({
              target: p.target,
              scenario,
              cursors,
              sliceMs: nextSliceMs(boundAt - Date.now()),
              pollMs: p.pollMs,
              injectKey: d.chaosKey('inject', scenario),
              clearKey: d.chaosKey('clear', scenario),
            });
            return { at: r.injected.at, ...(r.detection ? { detection: r.detection } : {}), ...(r.cleared ? { clearedAt: r.cleared.at } : {}) };
          },
        }
      : {}),
    mark: async (scenario) => (await d.read(`1 chaos: mark the artifact files before ${scenario}`).drillArtifactCursors({ target: p.target })).cursors,
    inject: (scenario) =>
      faultCall(`1 chaos: inject ${scenario} (keyed)`).chaosInject({ target: p.target, fault: scenario, idempotencyKey: d.chaosKey('inject', scenario) }),
    awaitDetection: async (scenario, cursors, sinceMs, boundAt) => {
      return (await awaitDetection(d, scenario, cursors, sinceMs, boundAt)).detection;
    },
    clear: (scenario) =>
      faultCall(`1 chaos: clear ${scenario} (keyed)`).chaosClear({ target: p.target, fault: scenario, idempotencyKey: d.chaosKey('clear', scenario) }),
    awaitRecovery: (scenario, cursors, clearedMs, boundAt) => awaitChaosRecovery(d, scenario, cursors, clearedMs, boundAt),
    now: () => Date.now(),
  };
}

/**
 * The chaos step through the target contract: the scenarios the target declares are injected
 * (keyed: a retried inject returns the first injection time) and detected from its artifacts; the
 * others are reported as skipped. A target that declares no fault injection gets a skipped step,
 * and `chaos_drill_latest.json` says `status: "skipped"`, `passed: false`.
 */
export async function chaosThroughContract(d: WeeklyDrill, s: DrillStepRecord, opening?: Promise<void>): Promise<void> {
  const p = d.p;
  const order = chaosOrder(p.scenarios, p.seed);
  // Since drill-fast-orchestration the first scenario's mark is taken with the capabilities (and the window's opening).
  const [caps, , firstMark] = await Promise.all([
    d.read('1 chaos: fault injection the target declares').chaosCapabilities({ target: p.target, scenarios: order }),
    opening,
    d.fast && order.length ? d.read('1 chaos: mark the artifact files before the first scenario').drillArtifactCursors({ target: p.target }) : undefined,
  ]);
  d.faultAdapter = caps.adapter;
  d.chaosSkipped = caps.unsupported.map((scenario) => ({ scenario, reason: chaosSkipReason(caps.adapter) }));
  const supported = order.filter((scenario) => caps.supported.includes(scenario));
  if (d.bounded) {
    // The one chaos engine (`domain/chaos-course.ts`), which `drill chaos` runs too.
    await runChaosScenarios(chaosPorts(d), supported, {
      detectionSeconds: p.detectionSeconds,
      recoverySeconds: p.recoverySeconds,
      ...(firstMark ? { firstMark: firstMark.cursors } : {}),
      results: d.chaos,
    });
  } else {
    // Drills begun before drill-bounded-waits replay on the per-poll loop.
    let mark = firstMark;
    for (const scenario of supported) {
      await chaosScenario(d, scenario, true, mark);
      mark = undefined;
    }
  }
  const report = chaosDrillReport({
    generatedAt: iso(),
    target: p.target,
    drillId: d.drillId,
    seed: p.seed,
    detectionBoundSeconds: p.detectionSeconds,
    recoveryBoundSeconds: p.recoverySeconds,
    results: d.chaos,
    skipped: d.chaosSkipped,
    faultAdapter: caps.adapter,
  });
  d.chaosStatus = report.status;
  await d.write('1 chaos: write results/chaos_drill_latest.json').writeChaosReport({ report });
  if (report.failures.length) {
    d.failures.push(...report.failures);
    throw ApplicationFailure.nonRetryable(report.failures.join('; '), FAILURE.drillFailed);
  }
  const skipped = d.chaosSkipped.length ? `skipped ${d.chaosSkipped.map((x) => x.scenario).join(', ')}: ${chaosSkipReason(caps.adapter)}` : '';
  if (report.status === 'skipped') {
    d.end(s, 'skipped', order.length ? skipped : 'no scenarios asked for');
    return;
  }
  s.detail = [d.chaos.map((c) => `${c.scenario} ${c.detectionSeconds?.toFixed(2)} s via ${c.signal}`).join('; '), skipped].filter(Boolean).join('; ');
}

export async function chaosScenario(d: WeeklyDrill, scenario: ChaosScenario, keyed = false, marked?: { cursors: ObservedCursors }): Promise<void> {
  const p = d.p;
  const mark = marked ?? (await d.read(`1 chaos: mark the artifact files before ${scenario}`).drillArtifactCursors({ target: p.target }));
  let cursors = mark.cursors;
  const injected = keyed
    ? await faultCall(`1 chaos: inject ${scenario} (keyed)`).chaosInject({
        target: p.target,
        fault: scenario,
        idempotencyKey: d.chaosKey('inject', scenario),
      })
    : await probe(`1 chaos: inject ${scenario}`).chaosInject({ target: p.target, fault: scenario });
  const res: ChaosScenarioResult = { scenario, injectedAt: injected.at, detected: false };
  d.chaos.push(res);
  const sinceMs = Date.parse(injected.at);
  let obs = emptyObserved();
  const bound = Date.now() + ms(p.detectionSeconds);
  for (;;) {
    if (d.bounded) {
      const w = await awaitDetection(d, scenario, cursors, sinceMs, bound);
      if (w.detection) Object.assign(res, w.detection);
      else res.detail = `not detected within ${p.detectionSeconds} s`;
      break;
    }
    const r = await d.observe(cursors, `1 chaos: wait for the target to detect ${scenario}`);
    cursors = r.cursors;
    obs = foldObserved(obs, r.events);
    const found = detectScenario(scenario, obs, sinceMs);
    if (found) {
      Object.assign(res, detectedFields(found, sinceMs));
      break;
    }
    if (Date.now() >= bound) {
      res.detail = `not detected within ${p.detectionSeconds} s`;
      break;
    }
    await sleep(p.pollMs);
  }
  const cleared = keyed
    ? await faultCall(`1 chaos: clear ${scenario} (keyed)`).chaosClear({
        target: p.target,
        fault: scenario,
        idempotencyKey: d.chaosKey('clear', scenario),
      })
    : await probe(`1 chaos: clear ${scenario}`).chaosClear({ target: p.target, fault: scenario });
  res.clearedAt = cleared.at;
  if (!res.detected) return;
  const clearedMs = Date.parse(cleared.at);
  const recoverBound = Date.now() + ms(p.recoverySeconds);
  if (d.bounded) {
    const recoveredAt = await awaitChaosRecovery(d, scenario, mark.cursors, clearedMs, recoverBound);
    if (recoveredAt) Object.assign(res, { recovered: true, recoveredAt });
    else res.recovered = false;
    return;
  }
  let unhealthySince: number | undefined;
  for (;;) {
    const at = scenarioRecovered(scenario, obs, clearedMs);
    if (at) {
      Object.assign(res, { recovered: true, recoveredAt: at });
      return;
    }
    if (Date.now() >= recoverBound) {
      res.recovered = false;
      return;
    }
    await sleep(p.pollMs);
    const h = await probe(`1 chaos: target healthy after clearing ${scenario}`).processHealth({ target: p.target, timeoutMs: 2000 });
    if (!h.healthy) {
      unhealthySince ??= Date.now();
      if (Date.now() - unhealthySince >= ms(p.unhealthySeconds)) {
        d.failures.push(`target unhealthy for ${p.unhealthySeconds} s during the chaos drill (${h.detail})`);
        throw ApplicationFailure.nonRetryable(`stop condition: target unhealthy past ${p.unhealthySeconds} s after ${scenario}`, FAILURE.drillStopCondition);
      }
    } else unhealthySince = undefined;
    const r = await d.observe(cursors, `1 chaos: wait for recovery from ${scenario}`);
    cursors = r.cursors;
    obs = foldObserved(obs, r.events);
  }
}
