/**
 * `drill incident-ack`: acknowledge an incident (its ack timer and the run's incident file).
 */
import { type Command } from 'commander';
import { ACK_RECORDED_IN_FILE_EXIT, describeAck, incidentAckCommand } from '../commands/incident-ack';
import { checkNumberFlag } from '../commands/flags';
import { type CliContext, numberArg, examples } from './context';

export function registerIncidentAck(program: Command, ctx: CliContext): void {
  const { output, setExit, cfg, progressTo } = ctx;
  program
    .command('incident-ack')
    .description(
      "Acknowledge an incident (the runbook's incident_ack.py): ack its timer (found by run and incident id) and record incident_ack in the run's incident_events.jsonl. " +
        `Exit 0: the ack timer acknowledged; ${ACK_RECORDED_IN_FILE_EXIT}: recorded in the run file only (server down, no worker, no timer) - every timer takes it from there before its next page; 1: unknown incident / not recorded; 2: bad input or several timers match`,
    )
    .requiredOption('--run-id <run_id>', 'run whose artifacts hold the incident (results/runs/<run_id>/)')
    .requiredOption('--incident-id <id>', 'incident id from incident_events.jsonl (event_type=incident_open)')
    .requiredOption('--ack-by <oncall>', 'who acknowledges (printable, at most 128 characters)')
    .option('--notes <text>', 'concise notes, with mitigation status')
    .option('--workflow-id <id>', 'ack this timer (when several match the run and incident id)')
    .option('--timeout <seconds>', 'how long the ack timer may take to answer', numberArg, 15)
    .option('--json', 'print the outcome as JSON')
    .addHelpText(
      'after',
      examples(
        'drill incident-ack --run-id paper-2026-11-25 --incident-id inc-42 --ack-by alice --notes "entries halted, reconciling"',
        'drill incident-ack --run-id paper-2026-11-25 --incident-id inc-42 --ack-by alice --json',
      ),
    )
    .action(async (o: { runId: string; incidentId: string; ackBy: string; notes?: string; workflowId?: string; timeout: number; json?: boolean }) => {
      checkNumberFlag('--timeout', o.timeout, { min: 0, exclusiveMin: true, max: 3600, unit: 'seconds' });
      const r = await incidentAckCommand(o, { config: cfg(), output: progressTo(o.json), timeoutMs: o.timeout * 1000 });
      output.out(o.json ? JSON.stringify(r, null, 2) : describeAck(r, o.incidentId));
      if (r.via === 'file') setExit(ACK_RECORDED_IN_FILE_EXIT);
    });
}
