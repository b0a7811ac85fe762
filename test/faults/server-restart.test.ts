/**
 * kill -9 of the dev server and a restart on the same SQLite file, mid-drill (target stopped),
 * mid-recovery (broker and reconciliation branches) and mid-timer (the ack SLA running). One at a
 * time: a server restart touches every case on it.
 */
import { failedCases, FaultLab, type FaultScenario } from '../helpers/fault-lab';
import { ackScenario, drillScenario, incidentBrokerScenario, incidentReconciliationScenario } from '../helpers/fault-scenarios';

let lab: FaultLab;
beforeAll(async () => {
  lab = await FaultLab.create('server-restart');
}, 120000);
afterAll(async () => {
  await lab?.close();
}, 300000);

const cases: Array<[FaultScenario, string]> = [
  [drillScenario, 'mid-drill (target stopped)'],
  [incidentBrokerScenario, 'mid-recovery'],
  [incidentReconciliationScenario, 'mid-recovery'],
  [ackScenario(6), 'mid-timer'],
];

test.each(cases.map(([s, at]) => [`${s.name} ${at}`, s, at] as const))('%s: the undisturbed verdict, every side effect once', async (_name, scenario, at) => {
  const r = await lab.runCase(scenario, { kind: 'server-restart', at });
  expect(failedCases([r])).toEqual([]);
  expect(r.injected).toBe(true);
});
