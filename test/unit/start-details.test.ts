/** The static details every start carries (issue 13): who, from where, when, and the input's key facts. */
import { scheduleDetails, startDetails } from '../../src/client/start-details';

test('a CLI start names its command, the user and host, the time, and each fact given (empty ones left out)', () => {
  const d = startDetails(
    'drill run weekly',
    [
      ['target', 'paper-1'],
      ['seed', 42],
      ['note', undefined],
      ['empty', ''],
    ],
    new Date('2026-12-02T10:00:00Z'),
  );
  expect(d).toMatch(/^Started by `drill run weekly` as \S+ at 2026-12-02T10:00:00\.000Z\.\n\n- \*\*target\*\*: paper-1\n- \*\*seed\*\*: 42$/);
});

test('a scheduled start names the schedule, not a person', () => {
  expect(scheduleDetails('drill-weekly~paper-1', [['target', 'paper-1']])).toBe(
    'Started by the schedule `drill-weekly~paper-1` (drill-runner), on its calendar.\n\n- **target**: paper-1',
  );
});
