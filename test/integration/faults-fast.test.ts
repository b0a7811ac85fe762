/**
 * The fault suite's fast subset (the full matrix is `npm run test:faults`): the most telling kill
 * points, each a real worker process killed with SIGKILL (or the dev server killed and restarted on
 * its SQLite file), each checked for the undisturbed verdict and every side effect exactly once,
 * counted where it lands. Results: test-output/faults/fast.jsonl (docs/RELIABILITY.md reads them).
 */
import { FaultLab, type Fault, type FaultScenario } from '../helpers/fault-lab';
import { ackScenario, drillScenario, incidentBrokerScenario } from '../helpers/fault-scenarios';

let lab: FaultLab;

beforeAll(async () => {
  lab = await FaultLab.create('fast');
}, 120000);

afterAll(async () => {
  await lab?.close();
});

async function check(scenario: FaultScenario, fault: Fault): Promise<void> {
  const r = await lab.runCase(scenario, fault);
  expect(r.failures).toEqual([]);
  // The fault really happened: the worker reached its crash point, or the server was restarted.
  expect(r.injected).toBe(true);
  if (fault.kind === 'worker-kill') expect(r.workerCrashes).toBeGreaterThanOrEqual(1);
}

test('drill mid-stop: worker killed as the graceful stop starts → pass, one stop, one start', async () => {
  await check(drillScenario, { kind: 'worker-kill', activity: 'processStop', side: 'before' });
}, 300000);

test('incident mid-recovery: worker killed right after the broker session was stopped → recovered, one stop, one start, one halt, one resume', async () => {
  await check(incidentBrokerScenario, { kind: 'worker-kill', activity: 'recoveryProcessStop', side: 'after' });
}, 240000);

test.each(['before', 'after'] as const)(
  'ack timer around the page: worker killed %s delivering it → one page, one ack line',
  async (side) => {
    await check(ackScenario(1), { kind: 'worker-kill', activity: 'deliverIncidentPage', side });
  },
  240000,
);

test('server restart mid-timer: the dev server killed while the SLA runs → one page after it is back, one ack line', async () => {
  await check(ackScenario(6), { kind: 'server-restart', at: 'mid-timer' });
}, 240000);
