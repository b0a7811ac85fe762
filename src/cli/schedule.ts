/**
 * `drill schedule`: the weekly drill's Temporal Schedule per target (create, describe, preview, pause,
 * unpause, trigger, backfill, delete).
 */
import { type Command } from 'commander';
import { scheduleCommand, schedulePreviewCommand, type ScheduleAction } from '../commands/schedule';
import { describePreview } from '../client/schedule-placement';
import { type CliContext, numberArg, examples, JSON_ALWAYS_HELP } from './context';

export function registerSchedule(program: Command, ctx: CliContext): void {
  const { output, setExit, cfg } = ctx;
  const schedule = program.command('schedule').description("The weekly drill's Temporal Schedule per target (overlap SKIP, catch-up window)");
  const scheduleAction = (action: ScheduleAction, description: string, extra: (c: Command) => Command, ...ex: string[]) => {
    const cmd = schedule.command(action).description(description).requiredOption('--target <name>', 'target the schedule drills');
    extra(cmd)
      .option('--json', JSON_ALWAYS_HELP)
      .addHelpText('after', examples(...ex, `${ex[0]} --json`))
      .action(async (o: { target: string }) => {
        output.out(JSON.stringify(await scheduleCommand(action, o, { config: cfg() }), null, 2));
      });
  };
  scheduleAction(
    'create',
    'Create the weekly drill schedule (idempotent: an existing one is updated to this spec). A target with a market calendar is placed on it: the first allowed time after its drillSlot each week, as Temporal calendars with skips',
    (c) =>
      c
        .option('--day <day>', 'day of week (default SUNDAY; not with a market calendar)')
        .option('--at <HH:MM>', 'time of day (default 03:00; not with a market calendar)')
        .option('--timezone <tz>', 'IANA time zone (default UTC; not with a market calendar)')
        .option('--catchup-window <seconds>', 'missed runs are still taken within this window', numberArg, 86400)
        .option('--input <json>', 'extra drill input for every run')
        .option('--note <text>', 'note shown in the UI')
        .option('--horizon-days <n>', 'market calendar: days of dated exceptions (moved and skipped weeks) to encode', numberArg, 370),
    'drill schedule create --target paper-1',
    'drill schedule create --target paper-1 --day SATURDAY --at 02:30 --timezone Europe/London',
    'drill schedule create --target live-k8s   # on its market calendar',
  );
  scheduleAction('describe', 'Show the schedule: spec, next runs, recent and running drills', (c) => c, 'drill schedule describe --target paper-1');
  schedule
    .command('preview')
    .description(
      'List the coming runs as the Temporal server computes them (ListScheduleMatchingTimes and describe), each with why it moved, the weeks the market calendar blocks, and whether the server agrees with the calendar placement (exit 1 when it does not)',
    )
    .requiredOption('--target <name>', 'target the schedule drills')
    .option('--next <n>', 'how many runs', numberArg, 10)
    .option('--json', 'print the preview as JSON')
    .addHelpText('after', examples('drill schedule preview --target live-k8s --next 10', 'drill schedule preview --target live-k8s --json'))
    .action(async (o: { target: string; next: number; json?: boolean }) => {
      const p = await schedulePreviewCommand(o, { config: cfg() });
      if (o.json) output.out(JSON.stringify(p, null, 2));
      else for (const l of describePreview(p)) output.out(l);
      if (p.agrees === false) setExit(1);
    });
  scheduleAction('pause', 'Pause the schedule', (c) => c.option('--note <text>', 'why'), 'drill schedule pause --target paper-1 --note "maintenance"');
  scheduleAction('unpause', 'Unpause the schedule', (c) => c.option('--note <text>', 'why'), 'drill schedule unpause --target paper-1');
  scheduleAction('trigger', 'Run a drill now through the schedule (skipped while one is running)', (c) => c, 'drill schedule trigger --target paper-1');
  scheduleAction(
    'backfill',
    'Take the runs the schedule would have taken in a past window',
    (c) => c.requiredOption('--start <iso>', 'window start').requiredOption('--end <iso>', 'window end'),
    'drill schedule backfill --target paper-1 --start 2026-11-01T00:00:00Z --end 2026-11-08T00:00:00Z',
  );
  scheduleAction('delete', 'Delete the schedule (running drills continue)', (c) => c, 'drill schedule delete --target paper-1');
}
