/**
 * `drill rehearse`: escalation rehearsals (ack, recovery) on a private time-skipping server.
 */
import { type Command } from 'commander';
import { renderAckRehearsal, renderRecoveryRehearsal } from '../domain/rehearsal';
import { type CliContext, examples } from './context';

export function registerRehearse(program: Command, ctx: CliContext): void {
  const { output, cfg } = ctx;
  const rehearse = program
    .command('rehearse')
    .description(
      'Rehearse escalation without waking anyone: the real workflows on a private time-skipping server started by the command, pages into a loopback recorder; nothing leaves the machine',
    );
  rehearse
    .command('ack')
    .description(
      'Run incidentAckWorkflow with an escalation policy and print who would be paged at which minute, with which dedup key, and what an ack at a given minute changes',
    )
    .option(
      '--policy <file>',
      'escalation policy JSON: { "levels": [{ "name", "afterSeconds" }], "repeats" } (default: the configured one, as incidents start their ack timer)',
    )
    .option('--ack-at <duration>', 'acknowledge at this time after the incident opened, e.g. 20m')
    .option('--severity <severity>', 'critical or warning (paging honours SLO_PAGING_MIN_SEVERITY)', 'critical')
    .option('--watch <duration>', 'after the last escalation (or the ack), keep watching the recorder this long', '15m')
    .option('--json', 'print the rehearsal as JSON')
    .addHelpText(
      'after',
      examples('drill rehearse ack', 'drill rehearse ack --policy policy.json', 'drill rehearse ack --policy policy.json --ack-at 20m --json'),
    )
    .action(async (o: { policy?: string; ackAt?: string; severity?: string; watch?: string; json?: boolean }) => {
      const { rehearseAckCommand } = await import('../commands/rehearse');
      const r = await rehearseAckCommand(o, { config: cfg() });
      if (o.json) output.out(JSON.stringify(r, null, 2));
      else for (const l of renderAckRehearsal(r)) output.out(l);
    });
  rehearse
    .command('recovery')
    .description(
      'Run recoveryWorkflow for an incident class against a simulated target that does not recover (or recovers at --recover-at): when the maximum wait runs out, what is paged then',
    )
    .requiredOption('--class <class>', 'data_quality, reconciliation or broker_connectivity')
    .option('--max-wait <duration>', "the branch's maximum wait (default: the workflow's, as incidents start it)")
    .option('--cycle <duration>', "time between probes (default: the workflow's)")
    .option('--recover-at <duration>', 'the simulated target is clean from this time on')
    .option('--json', 'print the rehearsal as JSON')
    .addHelpText(
      'after',
      examples(
        'drill rehearse recovery --class reconciliation',
        'drill rehearse recovery --class broker_connectivity --recover-at 12m',
        'drill rehearse recovery --class data_quality --max-wait 45m --json',
      ),
    )
    .action(async (o: { class: string; maxWait?: string; cycle?: string; recoverAt?: string; json?: boolean }) => {
      const { rehearseRecoveryCommand } = await import('../commands/rehearse');
      const r = await rehearseRecoveryCommand(o, { config: cfg() });
      if (o.json) output.out(JSON.stringify(r, null, 2));
      else for (const l of renderRecoveryRehearsal(r)) output.out(l);
    });
}
