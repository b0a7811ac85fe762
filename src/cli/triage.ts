/**
 * `drill triage`: the runbook's "First 5 Minutes" report for a run.
 */
import { type Command } from 'commander';
import { triageCommand } from '../commands/triage';
import { describeTriage } from '../domain/triage';
import { type CliContext, examples } from './context';

export function registerTriage(program: Command, ctx: CliContext): void {
  const { cfg, progressTo, print } = ctx;
  program
    .command('triage')
    .description(
      'The runbook\'s "First 5 Minutes" for a run: kill switch, last SLO breach, ack status, reconciliation and data quality snapshots, broker health, incident class with reasons (no running incident needed)',
    )
    .requiredOption('--run-id <run_id>', 'run whose artifacts to read (results/runs/<run_id>/)')
    .option('--target <name>', 'target in the targets file (default: the one with this run id, else the only one)')
    .option('--incident-id <id>', 'incident to report the ack status of')
    .option('--write', 'also write the report to <run folder>/triage/<incident-id|adhoc>.json')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      examples(
        'drill triage --run-id paper-2026-11-25',
        'drill triage --run-id paper-2026-11-25 --incident-id inc-42 --json',
        'DRILL_TARGETS_FILE=targets.json drill triage --run-id paper-2026-11-25 --target paper-sandbox --write',
      ),
    )
    .action(async (o: { runId: string; target?: string; incidentId?: string; write?: boolean; json?: boolean }) => {
      const r = await triageCommand(o, { config: cfg() });
      print(o.json, r.report, () => [describeTriage(r.report)]);
      if (r.path) progressTo(o.json).out(`report: ${r.path}`);
    });
}
