/**
 * `drill sign-off`: sign a drill's test record off, or show where its sign-off stands.
 */
import { type Command } from 'commander';
import { describeSignOff, describeSignOffStatus, signOffCommand, signOffStatusCommand } from '../commands/sign-off';
import { type CliContext, examples } from './context';

export function registerSignOff(program: Command, ctx: CliContext): void {
  const { output, cfg } = ctx;
  program
    .command('sign-off')
    .description(
      "Sign a drill's test record off (update signOff on its sign-off workflow; answers once signoff.json, with the SHA-256 of the report signed, is written), or show where its sign-off stands (--status). Exit 1 when refused (already signed, expired) or unknown",
    )
    .requiredOption('--target <name>', "the drill's target")
    .requiredOption('--drill-id <id>', "the drill id (report.json's drillId)")
    .option('--by <name>', 'who signs')
    .option('--role <role>', 'in which role (e.g. "DR test owner")')
    .option('--decision <decision>', 'accepted, accepted-with-findings or rejected')
    .option('--notes <text>', 'notes kept with the sign-off')
    .option('--status', "only show the sign-off's state")
    .option('--json', 'print the record (or the status) as JSON')
    .addHelpText(
      'after',
      examples(
        'drill sign-off --target paper-1 --drill-id drill-2026-11-29 --by alice --role "DR test owner" --decision accepted',
        'drill sign-off --target paper-1 --drill-id drill-2026-11-29 --status --json',
      ),
    )
    .action(async (o: { target: string; drillId: string; by?: string; role?: string; decision?: string; notes?: string; status?: boolean; json?: boolean }) => {
      if (o.status) {
        const st = await signOffStatusCommand(o, { config: cfg() });
        output.out(o.json ? JSON.stringify(st, null, 2) : describeSignOffStatus(st));
        return;
      }
      const r = await signOffCommand(o, { config: cfg() });
      output.out(o.json ? JSON.stringify(r, null, 2) : describeSignOff(r));
    });
}
