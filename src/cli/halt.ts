/**
 * `drill halt`: halts with owners (status, hold, release).
 */
import { type Command } from 'commander';
import { describeHaltResult, describeHaltStatus, haltHold, haltRelease, haltStatus } from '../commands/halt';
import { type CliContext, examples } from './context';

export function registerHalt(program: Command, ctx: CliContext): void {
  const { output, cfg } = ctx;
  const halt = program
    .command('halt')
    .description("Halts with owners: who holds a target's entries halted (incidents, drills, operators); entries resume only when no holder is left");
  halt
    .command('status')
    .description("The holders of a target's halt and the kill switch as last seen (exit 1 when the target has no registry yet)")
    .requiredOption('--target <name>', 'target in the targets file')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('drill halt status --target paper-1', 'drill halt status --target paper-1 --json'))
    .action(async (o: { target: string; json?: boolean }) => {
      const s = await haltStatus(o, { config: cfg() });
      output.out(o.json ? JSON.stringify(s, null, 2) : describeHaltStatus(s));
    });
  halt
    .command('hold')
    .description('Hold entries halted as an operator (holder operator:<id>); answers once the kill switch is halted')
    .requiredOption('--target <name>', 'target in the targets file')
    .requiredOption('--by <identity>', 'who holds')
    .requiredOption('--reason <text>', "why (shown in the kill switch's halt reason)")
    .option('--id <id>', 'holder id (default: --by), e.g. a ticket')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      examples(
        'drill halt hold --target paper-1 --by alice --reason "broker maintenance window"',
        'drill halt hold --target paper-1 --by alice --id CHG-1234 --reason "venue migration"',
        'drill halt hold --target paper-1 --by alice --reason "broker maintenance window" --json',
      ),
    )
    .action(async (o: { target: string; by: string; reason: string; id?: string; json?: boolean }) => {
      const r = await haltHold(o, { config: cfg() });
      output.out(o.json ? JSON.stringify(r, null, 2) : describeHaltResult(r));
    });
  halt
    .command('release')
    .description('Release a hold (default your own, operator:<by>); entries resume only if no other holder is left')
    .requiredOption('--target <name>', 'target in the targets file')
    .requiredOption('--by <identity>', 'who releases')
    .requiredOption('--reason <text>', 'why')
    .option('--holder <kind:id>', 'another holder (e.g. a stuck incident: incident:<run>/<incident>), as `drill halt status` lists it')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      examples(
        'drill halt release --target paper-1 --by alice --reason "maintenance done"',
        'drill halt release --target paper-1 --by alice --holder incident:paper-1/inc-7 --reason "incident workflow terminated by mistake"',
        'drill halt release --target paper-1 --by alice --reason "maintenance done" --json',
      ),
    )
    .action(async (o: { target: string; by: string; reason: string; holder?: string; json?: boolean }) => {
      const r = await haltRelease(o, { config: cfg() });
      output.out(o.json ? JSON.stringify(r, null, 2) : describeHaltResult(r));
    });
}
