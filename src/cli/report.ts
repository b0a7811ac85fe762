/**
 * `drill report index`: the drill reports' trend page.
 */
import { type Command } from 'commander';
import { writeDrillIndex } from '../activities/reports';
import { type CliContext, examples } from './context';

export function registerReport(program: Command, ctx: CliContext): void {
  const { output, cfg } = ctx;
  program
    .command('report')
    .description('Drill reports under <DRILL_RESULTS_DIR>/drills')
    .command('index')
    .description(
      '(Re)write drills/index.html: RTO, RPO and verdict of every drill on disk per target as a trend, each linked to its report (also written after every drill)',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples('drill report index', 'DRILL_RESULTS_DIR=/srv/drill/results drill report index --json'))
    .action(async (o: { json?: boolean }) => {
      const r = await writeDrillIndex(cfg().resultsDir);
      if (o.json) output.out(JSON.stringify(r, null, 2));
      else {
        for (const p of r.problems) output.err(`skipped: ${p}`);
        output.out(`${r.path}: ${r.reports} drill report(s)`);
      }
    });
}
