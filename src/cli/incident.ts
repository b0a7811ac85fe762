/**
 * `drill incident`: the incident workflows (list, status).
 */
import { type Command } from 'commander';
import { incidentList, incidentStatus } from '../commands/incident';
import { type CliContext, examples, JSON_ALWAYS_HELP } from './context';

export function registerIncident(program: Command, ctx: CliContext): void {
  const { output, cfg } = ctx;
  const incident = program.command('incident').description('Incidents run by incidentWorkflow (triage, halt, recovery, resume)');
  incident
    .command('list')
    .description('Incident workflows (optionally of one run) with state and class, as JSON')
    .option('--run-id <run_id>', 'only this run')
    .option('--open', 'only running ones')
    .option('--json', JSON_ALWAYS_HELP)
    .addHelpText('after', examples('drill incident list', 'drill incident list --run-id paper-2026-11-25 --open', 'drill incident list --open --json'))
    .action(async (o: { runId?: string; open?: boolean }) => {
      output.out(JSON.stringify(await incidentList(o, { config: cfg() }), null, 2));
    });
  incident
    .command('status')
    .description("One incident's live status: phase, class and reasons, recovery attempt, re-halts, operator actions, timeline (JSON; exit 1 when unknown)")
    .requiredOption('--run-id <run_id>', 'run id')
    .requiredOption('--incident-id <id>', 'incident id')
    .option('--json', JSON_ALWAYS_HELP)
    .addHelpText(
      'after',
      examples(
        'drill incident status --run-id paper-2026-11-25 --incident-id inc-42',
        'drill incident status --run-id paper-2026-11-25 --incident-id inc-42 --json',
      ),
    )
    .action(async (o: { runId: string; incidentId: string }) => {
      output.out(JSON.stringify(await incidentStatus(o, { config: cfg() }), null, 2));
    });
}
