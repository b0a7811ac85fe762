/**
 * `drill run weekly`: the weekly DR drill now (or, with --dry-run, its read-only contract checks).
 */
import { type Command } from 'commander';
import { describeDrillResult, runWeeklyCommand } from '../commands/run';
import { weeklyDryRunCommand } from '../commands/target-check';
import { type CliContext, examples } from './context';
import { printConformance } from './target';

export function registerRun(program: Command, ctx: CliContext): void {
  const { output, setExit, cfg, progressTo } = ctx;
  const run = program.command('run').description('Run a runbook procedure now');
  run
    .command('weekly')
    .description(
      'Run the weekly DR drill (weeklyDrillWorkflow) now: chaos, graceful stop, restart, verify, RTO/RPO, report. Exit 0 pass, 1 fail, 2 error/aborted',
    )
    .option('--target <name>', 'target from the targets file (default: the only one)')
    .option('--watch', 'print the steps as they happen')
    .option('--drill-id <id>', 'drill id (default: the start time, e.g. 20261125T030000Z)')
    .option('--input <json>', 'extra drill input: scenarios, seed, rtoSeconds, rpoSeconds, bounds')
    .option('--allow-live', 'allow drilling a live target')
    .option(
      '--dry-run',
      'start nothing: validate the input and check, read-only, every contract surface the drill would use (exit 0 conforms, 1 a check failed)',
    )
    .option('--json', 'print the result (with --dry-run: the checks) as JSON')
    .addHelpText(
      'after',
      examples(
        'drill run weekly --target paper-1 --watch',
        'drill run weekly --input \'{"scenarios":["stale_data","order_drift"],"rtoSeconds":600}\'',
        'drill run weekly --target paper-1 --dry-run',
        'drill run weekly --target paper-1 --json',
      ),
    )
    .action(async (o: { target?: string; watch?: boolean; drillId?: string; input?: string; allowLive?: boolean; dryRun?: boolean; json?: boolean }) => {
      if (o.dryRun) return printConformance(ctx, await weeklyDryRunCommand(o, { config: cfg() }), o.json);
      const r = await runWeeklyCommand(o, { config: cfg(), output: progressTo(o.json) });
      if (o.json) output.out(JSON.stringify({ workflowId: r.workflowId, exitCode: r.exitCode, ...r.result }, null, 2));
      else for (const l of describeDrillResult(r.result)) output.out(l);
      setExit(r.exitCode);
    });
}
