/**
 * `drill target check`: a target's contract surfaces, read-only; also how `drill run weekly --dry-run`
 * prints its checks.
 */
import { type Command } from 'commander';
import { targetCheckCommand, type TargetCheckOutcome } from '../commands/target-check';
import { describeConformance } from '../domain/conformance';
import { type CliContext, examples } from './context';

/** `drill target check` and `drill run weekly --dry-run`: one line per check (or JSON); exit 1 on any fail. */
export function printConformance(ctx: CliContext, r: TargetCheckOutcome, json: boolean | undefined): void {
  if (json) ctx.output.out(JSON.stringify(r.report, null, 2));
  else for (const l of describeConformance(r.report)) ctx.output.out(l);
  ctx.setExit(r.exitCode);
}

export function registerTarget(program: Command, ctx: CliContext): void {
  const { cfg } = ctx;
  const targetCmd = program.command('target').description('The targets of the targets file (DRILL_TARGETS_FILE)');
  targetCmd
    .command('check')
    .description(
      'Check, read-only, that a target honours every contract surface the weekly drill uses: commands, health, gateway, state file and digest, artifacts, fault declarations. Exit 0 conforms, 1 a check failed, 2 bad input',
    )
    .option('--target <name>', 'target from the targets file (default: the only one)')
    .option('--json', 'print the checks as JSON')
    .addHelpText('after', examples('drill target check --target paper-1', 'drill target check --target paper-1 --json'))
    .action(async (o: { target?: string; json?: boolean }) => printConformance(ctx, await targetCheckCommand(o, { config: cfg() }), o.json));
}
