/**
 * The one chaos engine (runbook DR drill step 0): per scenario, mark the target's artifact files,
 * inject, wait (bounded) for the target's own detection, clear, and — when it was detected — wait
 * (bounded) for its recovery. The weekly drill workflow and `drill chaos` both run it; each gives
 * it ports: the workflow's are activities (keyed inject and clear, long-poll waits in slices), the
 * CLI's are the same activity functions called in-process. No I/O and no clock of its own (`now` is
 * a port: workflow time in the workflow), so the course is deterministic and replays.
 */
import type { ChaosScenario, ChaosScenarioResult } from './drill';

/** What the target's detection wait found (fields of {@link ChaosScenarioResult}). */
export type ChaosDetection = Pick<ChaosScenarioResult, 'detected' | 'detectedAt' | 'signal' | 'detectionSeconds'>;

/** `C`: the cursors of the target's artifact files (opaque here: the ports mark and read them). */
export interface ChaosCoursePorts<C> {
  /** Cursors of the target's artifact files before the inject (what the waits read from). */
  mark(scenario: ChaosScenario): Promise<C>;
  /** Injects the fault; `at` is the target's own time of the inject. */
  inject(scenario: ChaosScenario): Promise<{ at: string }>;
  /** Waits until `boundAtMs` for the target to detect the fault; undefined when it did not. */
  awaitDetection(scenario: ChaosScenario, cursors: C, sinceMs: number, boundAtMs: number): Promise<ChaosDetection | undefined>;
  /** Clears the fault; `at` is the target's own time of the clear. */
  clear(scenario: ChaosScenario): Promise<{ at: string }>;
  /**
   * Optional: inject, wait for the detection and clear as soon as it is seen, in one call that may end
   * before `boundAtMs` (the workflow's, since `drill-chaos-one-call`). Without `detection` the course
   * waits on with {@link awaitDetection}, then clears with {@link clear}, as when this port is absent.
   */
  injectDetectClear?(scenario: ChaosScenario, cursors: C, boundAtMs: number): Promise<{ at: string; detection?: ChaosDetection; clearedAt?: string }>;
  /** Waits until `boundAtMs` for the target's recovery after the clear; its time, or undefined. Throws on a stop condition. */
  awaitRecovery(scenario: ChaosScenario, cursors: C, clearedMs: number, boundAtMs: number): Promise<string | undefined>;
  now(): number;
}

export interface ChaosCourseOptions<C> {
  detectionSeconds: number;
  recoverySeconds: number;
  /** Cursors already marked for this scenario (the workflow reads the first mark beside other calls). */
  marked?: C;
  /** Called once the fault is in, with the result being filled (the workflow's status shows it). */
  onInjected?: (res: ChaosScenarioResult) => void;
  /** Clear the fault even when a wait throws (the CLI; the workflow's rollback clears instead). */
  clearOnError?: boolean;
}

/** One scenario's course; the result says what the target did and when, by its own records. */
export async function runChaosScenario<C>(ports: ChaosCoursePorts<C>, scenario: ChaosScenario, o: ChaosCourseOptions<C>): Promise<ChaosScenarioResult> {
  const cursors = o.marked ?? (await ports.mark(scenario));
  const detectionMs = Math.round(o.detectionSeconds * 1000);
  let injectedAt: string;
  let detection: ChaosDetection | undefined;
  let clearedAt: string | undefined;
  let boundAt: number;
  if (ports.injectDetectClear) {
    boundAt = ports.now() + detectionMs;
    const first = await ports.injectDetectClear(scenario, cursors, boundAt);
    ({ at: injectedAt, detection, clearedAt } = first);
  } else {
    injectedAt = (await ports.inject(scenario)).at;
    boundAt = ports.now() + detectionMs;
  }
  const res: ChaosScenarioResult = { scenario, injectedAt, detected: false };
  o.onInjected?.(res);
  // The one call waited for a first slice; past the bound there is nothing left to wait for.
  if (!detection && (!ports.injectDetectClear || ports.now() < boundAt)) {
    try {
      detection = await ports.awaitDetection(scenario, cursors, Date.parse(injectedAt), boundAt);
    } catch (err) {
      if (o.clearOnError) res.clearedAt = (await ports.clear(scenario)).at;
      throw err;
    }
  }
  if (detection) Object.assign(res, detection);
  else res.detail = `not detected within ${o.detectionSeconds} s`;
  res.clearedAt = clearedAt ?? (await ports.clear(scenario)).at;
  if (!res.detected) return res;
  const recoveredAt = await ports.awaitRecovery(scenario, cursors, Date.parse(res.clearedAt), ports.now() + Math.round(o.recoverySeconds * 1000));
  if (recoveredAt) Object.assign(res, { recovered: true, recoveredAt });
  else res.recovered = false;
  return res;
}

/** Every scenario in order, one after the other; `results` receives each as it starts. */
export async function runChaosScenarios<C>(
  ports: ChaosCoursePorts<C>,
  scenarios: readonly ChaosScenario[],
  o: Omit<ChaosCourseOptions<C>, 'marked' | 'onInjected'> & { firstMark?: C; results?: ChaosScenarioResult[] },
): Promise<ChaosScenarioResult[]> {
  const results = o.results ?? [];
  for (const [i, scenario] of scenarios.entries()) {
    await runChaosScenario(ports, scenario, {
      ...o,
      ...(i === 0 && o.firstMark ? { marked: o.firstMark } : {}),
      onInjected: (res) => results.push(res),
    });
  }
  return results;
}
