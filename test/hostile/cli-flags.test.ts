/**
 * Hostile CLI flags, generated (issue 11.4), through the real CLI entry in-process (`main` of
 * `src/cli.ts`, the function `bin/drill.js` calls). Each case runs one command with every flag valid
 * but one, which gets a value that is wrong for it (an id with a path separator, a negative or
 * non-numeric number, a date that is not one, an unknown enum value, broken JSON, an over-long
 * text). Each must end with exit code 2 and an error that names the flag (or its field), before
 * anything happens: no connection to Temporal (TEMPORAL_ADDRESS points at a loopback listener that
 * counts connections) and no file created or changed under the results and state folders.
 */
import path from 'node:path';
import fc from 'fast-check';
import { checkHostile, nastyString } from '../helpers/hostile';
import { startOfflineCli, type OfflineCli } from '../helpers/offline-cli';

let cli: OfflineCli;

beforeAll(async () => {
  cli = await startOfflineCli('hostile-cli-', [path.join('results', 'runs', 'paper-1'), path.join('state', 'sandbox')]);
});

afterAll(async () => {
  await cli?.close();
});

// Values that are wrong for a kind of flag, whatever else they are.
const SAFE_ID = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/;
const badId = fc.oneof(
  nastyString.filter((s) => !SAFE_ID.test(s) || s.length > 128),
  fc
    .tuple(fc.stringMatching(/^[a-z]{0,5}$/), fc.constantFrom('/', '\\', ' ', '~', '%', '\n', '..', '$', '*'), fc.stringMatching(/^[a-z]{0,5}$/))
    .map(([a, b, c]) => `${a}${b}${c}`)
    .filter((s) => !SAFE_ID.test(s)),
);
const notANumber = fc.oneof(
  fc.stringMatching(/^[a-z]{1,8}$/),
  fc.constantFrom('', ' ', 'NaN', '1,5', '--', '0x', 'ten', '5s', '1e', 'Infinity', '-Infinity', '1e400'),
);
const badPositive = fc.oneof(notANumber, fc.constantFrom('0', '-0', '-1', '-0.5'), fc.integer({ max: -1 }).map(String));
/** Wrong for a number of seconds with an upper bound: also far too large. */
const badBoundedSeconds = fc.oneof(badPositive, fc.constantFrom('1e12', '99999999999'));
const badNonNegative = fc.oneof(notANumber, fc.constantFrom('-1', '-0.001'), fc.integer({ max: -1 }).map(String));
const badInt = fc.oneof(notANumber, fc.constantFrom('1.5', '-0.25', '3.14'));
const badIso = fc.oneof(fc.string({ maxLength: 30 }), nastyString).filter((s) => Number.isNaN(Date.parse(s)));
const badEnum = (allowed: readonly string[]) =>
  nastyString.filter((s) => !allowed.includes(s) && !allowed.includes(s.toUpperCase()) && !allowed.includes(s.trim()));
const badJson = fc.oneof(
  fc.constantFrom(
    '{',
    '{"a":',
    'not json',
    "{'single':1}",
    '[1,2',
    '42',
    '[]',
    'null',
    '"text"',
    '{"scenarios":"stale_data"}',
    '{"rtoSeconds":-1}',
    '{"seed":"x"}',
    '{"pollMs":1}',
    '{"maxDrillSeconds":1e12}',
    '{"scenarios":["nope"]}',
  ),
  fc.string({ maxLength: 20 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
);
const tooLong = (max: number) => fc.constantFrom('x'.repeat(max + 1), 'y'.repeat(max * 3));
const blankOrTooLong = (max: number) => fc.oneof(fc.constantFrom('', ' ', '   ', '\t'), tooLong(max));
const badTime = fc.oneof(
  nastyString.filter((s) => !/^\d{1,2}:\d{2}$/.test(s)),
  fc.constantFrom('24:00', '25:61', '99:99', '12:60', '-1:00'),
);
const badTimezone = nastyString.filter((s) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: s });
    return false;
  } catch {
    return true;
  }
});
const FAULTS = [
  'stale_data',
  'corrupt_bars',
  'order_drift',
  'position_drift',
  'broker_disconnect',
  'websocket_silence',
  'crash_without_flush',
  'slow_restart',
  'state_saves_stop',
  'reconciliation_not_restarting',
  'slo_monitor_silent_after_restart',
  'wrong_digest_on_restore',
];
const SCENARIOS = ['stale_data', 'corrupt_bars', 'order_drift', 'position_drift', 'broker_disconnect', 'websocket_silence', 'state_saves_stop'];
const DAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];

interface Flag {
  flag: string;
  /** The field name the error may use instead of the flag. */
  field?: string;
  valid?: string;
  bad: fc.Arbitrary<string>;
}
interface Command {
  words: string[];
  flags: Flag[];
  /** A positional argument (first word after the command words). */
  positional?: { name: string; valid: string; bad: fc.Arbitrary<string> };
}

const runId = (flag = '--run-id'): Flag => ({ flag, field: 'runId', valid: 'paper-1', bad: badId });
const incidentId: Flag = { flag: '--incident-id', field: 'incidentId', valid: 'inc-1', bad: badId };
const target: Flag = { flag: '--target', field: 'target', valid: 'paper-1', bad: badId };

const COMMANDS: Command[] = [
  {
    words: ['incident-ack'],
    flags: [
      runId(),
      incidentId,
      { flag: '--ack-by', field: 'ackBy', valid: 'alice', bad: blankOrTooLong(200) },
      { flag: '--notes', field: 'notes', bad: tooLong(2000) },
      { flag: '--timeout', bad: badBoundedSeconds },
    ],
  },
  {
    words: ['ack-timer', 'start'],
    flags: [
      runId(),
      incidentId,
      { flag: '--severity', field: 'severity', bad: badEnum(['critical', 'warning']) },
      { flag: '--sla', field: 'ackSlaSeconds', bad: badBoundedSeconds },
      { flag: '--opened-at', field: 'openedAt', bad: badIso },
    ],
  },
  { words: ['ack-timer', 'status'], flags: [runId(), incidentId] },
  { words: ['watch', 'start'], flags: [runId(), target, { flag: '--interval', field: 'intervalSeconds', bad: badBoundedSeconds }] },
  {
    words: ['watch', 'stop'],
    flags: [runId(), { flag: '--reason', field: 'reason', bad: blankOrTooLong(500) }, { flag: '--by', field: 'by', bad: blankOrTooLong(200) }],
  },
  { words: ['incident', 'status'], flags: [runId(), incidentId] },
  { words: ['incident', 'list'], flags: [{ ...runId(), valid: undefined }] },
  { words: ['triage'], flags: [runId(), { ...target, valid: undefined }, { ...incidentId, valid: undefined }] },
  { words: ['run', 'weekly'], flags: [target, { flag: '--drill-id', field: 'drillId', bad: badId }, { flag: '--input', field: '(input)', bad: badJson }] },
  {
    words: ['run', 'weekly', '--dry-run'],
    flags: [target, { flag: '--drill-id', field: 'drillId', bad: badId }, { flag: '--input', field: '(input)', bad: badJson }],
  },
  { words: ['target', 'check'], flags: [target] },
  {
    words: ['schedule', 'create'],
    flags: [
      target,
      { flag: '--day', bad: badEnum(DAYS) },
      { flag: '--at', bad: badTime },
      { flag: '--timezone', field: 'timezone', bad: badTimezone },
      { flag: '--catchup-window', bad: badBoundedSeconds },
      { flag: '--input', field: '(input)', bad: badJson },
      { flag: '--note', bad: tooLong(1000) },
    ],
  },
  {
    words: ['schedule', 'backfill'],
    flags: [target, { flag: '--start', valid: '2026-11-01T00:00:00Z', bad: badIso }, { flag: '--end', valid: '2026-11-08T00:00:00Z', bad: badIso }],
  },
  { words: ['schedule', 'describe'], flags: [target] },
  {
    words: ['chaos'],
    flags: [
      target,
      {
        flag: '--scenarios',
        bad: fc
          .oneof(
            badEnum(SCENARIOS),
            badEnum(SCENARIOS).map((s) => `stale_data,${s}`),
          )
          .filter((s) => s.split(',').some((x) => x.trim() && !SCENARIOS.includes(x.trim()))),
      },
      { flag: '--seed', bad: badInt },
      { flag: '--detection-seconds', bad: badBoundedSeconds },
      { flag: '--output', valid: 'ignored-by-chaos.json', bad: fc.constantFrom('') },
    ],
  },
  {
    words: ['promote'],
    flags: [
      { flag: '--experiment', field: 'experimentId', valid: 'exp-1', bad: badId },
      runId(),
      { ...target, valid: undefined },
      { flag: '--drill-max-age', bad: badBoundedSeconds },
      { flag: '--rto-regression-factor', bad: badBoundedSeconds },
      { flag: '--rto-regression-window', bad: fc.oneof(badInt, fc.constantFrom('0', '101', '-3')) },
      { flag: '--timeout', bad: badBoundedSeconds },
    ],
  },
  { words: ['sandbox', 'start'], flags: [{ flag: '--timeout', bad: badBoundedSeconds }] },
  { words: ['sandbox', 'stop'], flags: [{ flag: '--timeout', bad: badBoundedSeconds }] },
  {
    words: ['sandbox', 'inject'],
    positional: { name: 'fault', valid: 'order_drift', bad: badEnum(FAULTS) },
    flags: [{ flag: '--seconds', bad: fc.oneof(badNonNegative, fc.constantFrom('3601', '1e9')) }],
  },
  { words: ['sandbox', 'clear'], positional: { name: 'fault', valid: 'order_drift', bad: badEnum([...FAULTS, 'all']) }, flags: [] },
];

/** Plain data, so a failing case prints readably: the command's words, the hostile slot, its value. */
type Case = { command: string; hostile: string; value: string };
const byName = new Map(COMMANDS.map((c) => [c.words.join(' '), c]));

const caseArb: fc.Arbitrary<Case> = fc.constantFrom(...COMMANDS).chain((command) => {
  const slots = [...command.flags.map((f) => f.flag), ...(command.positional ? [command.positional.name] : [])];
  return fc.constantFrom(...slots).chain((hostile) => {
    const bad = hostile === command.positional?.name ? command.positional.bad : command.flags.find((f) => f.flag === hostile)!.bad;
    return bad.map((value) => ({ command: command.words.join(' '), hostile, value }));
  });
});

function argv(c: Case): string[] {
  const cmd = byName.get(c.command)!;
  const args = [...cmd.words];
  for (const f of cmd.flags) {
    if (f.flag === c.hostile) args.push(`${f.flag}=${c.value}`);
    else if (f.valid !== undefined) args.push(`${f.flag}=${f.valid}`);
  }
  // After `--` a positional that starts with `-` stays a value.
  if (cmd.positional) args.push('--', c.hostile === cmd.positional.name ? c.value : cmd.positional.valid);
  return args;
}

test('every command: one hostile flag → exit 2 naming it, before any connection or file write', async () => {
  await checkHostile({
    boundary: 'cli-flags/drill',
    through: 'main() of src/cli.ts (what bin/drill.js runs), with commander and the command functions',
    checks: [
      'exit code 2',
      'the error names the flag (or its field)',
      'no connection to the Temporal address',
      'no file created or changed under the results or state folder',
    ],
    test: 'test/hostile/cli-flags.test.ts',
    arbitrary: caseArb,
    runs: 3000,
    run: async (c) => {
      const args = argv(c);
      const where = `drill ${args.map((a) => JSON.stringify(a)).join(' ')}`;
      const r = await cli.runTouchingNothing(args, where);
      if (r.code !== 2) throw new Error(`${where}: exit ${r.code}, expected 2\n${r.err}\n${r.out}`);
      const flag = byName.get(c.command)!.flags.find((f) => f.flag === c.hostile);
      const names = [c.hostile, ...(flag?.field ? [flag.field] : [])];
      if (!names.some((n) => r.err.includes(n))) throw new Error(`${where}: the error does not name ${names.join(' or ')}: ${r.err}`);
      return `${c.command} ${c.hostile}`;
    },
  });
});
