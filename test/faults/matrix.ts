/**
 * Worker-kill matrices as jest tests: per scenario the baseline, then both sides of every boundary it
 * crossed. With `shareKillPoints`, a boundary already faulted by an earlier scenario of the list (the
 * incident branches share triage, halts and the ack timer) is not faulted again: the branches differ
 * in their own activities, and the matrix stays inside CI's time.
 */
import { failedCases, FaultLab, type FaultScenario } from '../helpers/fault-lab';

export function workerKillMatrix(suite: string, scenarios: FaultScenario[], { shareKillPoints = false } = {}): void {
  let lab: FaultLab;
  const covered = shareKillPoints ? new Set<string>() : undefined;
  beforeAll(async () => {
    lab = await FaultLab.create(suite);
  }, 120000);
  afterAll(async () => {
    await lab?.close();
  }, 300000);

  test.each(scenarios.map((s) => [s.name, s] as const))(
    '%s: kill -9 of the worker on both sides of every activity boundary → the undisturbed verdict, every side effect once',
    async (_name, scenario) => {
      const results = await lab.workerKillMatrix(scenario, covered);
      const [base, ...cases] = results;
      expect(base!.pass).toBe(true);
      expect(failedCases(results)).toEqual([]);
      // Most crash points are reached (a boundary only a long-lived activity crosses may not be, within one run).
      if (cases.length > 0) expect(cases.filter((c) => c.injected).length).toBeGreaterThan(cases.length / 2);
      else expect(covered?.size).toBeGreaterThan(0);
    },
  );
}
