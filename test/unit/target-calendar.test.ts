import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileTargetResolver, loadTargetsFile, TargetConfigError } from '../../src/io/targets';

const base = {
  mode: 'live',
  artifactsRoot: 'results/runs',
  runId: 'live-1',
  auditLogsDir: 'audit_logs',
  gatewayUrl: 'http://127.0.0.1:8080',
  process: { adapter: 'shell', stop: 'true', start: 'true', health: 'true' },
  stateFile: 'state.json',
  broker: { apiUrl: 'http://127.0.0.1:8080/broker', wsUrl: 'ws://127.0.0.1:8080/broker/ws' },
  symbols: ['SPY'],
};

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'targets-cal-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (name: string, v: unknown) => fs.writeFileSync(path.join(dir, name), typeof v === 'string' ? v : JSON.stringify(v));

test('the example targets file loads, with its shared calendar file read into the target', async () => {
  const f = await loadTargetsFile(path.resolve(__dirname, '../../examples/targets.json'));
  const live = f.targets['live-k8s']!;
  expect(live.calendarFile).toBe(path.resolve(__dirname, '../../examples/calendars/xnys.json'));
  expect(live.calendar).toMatchObject({
    name: 'XNYS',
    timezone: 'America/New_York',
    drillSlot: { day: 'SATURDAY', at: '02:00' },
  });
  expect(f.targets.sandbox!.calendar).toBeUndefined();
});

test('a calendar file relative to the targets file; shared by two targets; errors name target, file and field', async () => {
  write('xnys.json', { timezone: 'America/New_York', sessions: [{ days: ['MONDAY'], open: '09:30', close: '16:00' }] });
  write('targets.json', {
    targets: { a: { ...base, calendarFile: 'xnys.json' }, b: { ...base, calendarFile: 'xnys.json' } },
  });
  const f = await loadTargetsFile(path.join(dir, 'targets.json'));
  expect(f.targets.a!.calendar?.sessions).toHaveLength(1);
  expect(f.targets.b!.calendar).toEqual(f.targets.a!.calendar);

  write('bad.json', { timezone: 'America/New_York', holidays: [{ date: '2026-13-01', name: 'x' }] });
  write('targets.json', {
    targets: {
      a: { ...base, calendarFile: 'bad.json' },
      b: { ...base, calendarFile: 'missing.json' },
      c: { ...base, calendarFile: 'xnys.json', calendar: { timezone: 'UTC' } },
    },
  });
  const err = await loadTargetsFile(path.join(dir, 'targets.json')).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TargetConfigError);
  const problems = (err as TargetConfigError).problems;
  expect(problems).toContain(`targets.a.calendarFile (${path.join(dir, 'bad.json')}): holidays.0.date: expected a date YYYY-MM-DD`);
  expect(problems).toContain(`targets.b.calendarFile (${path.join(dir, 'missing.json')}): cannot read: ENOENT`);
  expect(problems).toContain('targets.c: give calendar or calendarFile, not both');
});

test('an inline calendar is validated in the targets file itself', async () => {
  write('targets.json', { targets: { a: { ...base, calendar: { timezone: 'Nowhere/City' } } } });
  const err = (await loadTargetsFile(path.join(dir, 'targets.json')).catch((e: unknown) => e)) as TargetConfigError;
  expect(err.problems).toEqual(['targets.a.calendar.timezone: expected an IANA time zone, e.g. America/New_York']);
});

test("the worker's resolver re-reads when only the calendar file changes", async () => {
  write('cal.json', { timezone: 'UTC', blackouts: [] });
  write('targets.json', { targets: { a: { ...base, calendarFile: 'cal.json' } } });
  const resolve = fileTargetResolver(path.join(dir, 'targets.json'));
  expect((await resolve('a')).calendar?.blackouts).toEqual([]);
  write('cal.json', {
    timezone: 'UTC',
    blackouts: [{ name: 'freeze', start: '2026-12-20T00:00', end: '2027-01-04T00:00' }],
  });
  // A distinct mtime even on coarse file systems.
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(path.join(dir, 'cal.json'), later, later);
  expect((await resolve('a')).calendar?.blackouts).toHaveLength(1);
});
