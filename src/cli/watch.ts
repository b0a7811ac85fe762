/**
 * `drill watch`: a run's alert watcher (start, stop).
 */
import { type Command } from 'commander';
import { watchStart, watchStop } from '../commands/watch';
import { type CliContext, numberArg, examples, JSON_HELP } from './context';

export function registerWatch(program: Command, ctx: CliContext): void {
  const { cfg, print } = ctx;
  const watch = program
    .command('watch')
    .description('The alert watcher of a run (alertWatchWorkflow): tails the artifacts and audit logs, records SLO breaches, opens incidents');
  watch
    .command('start')
    .description("Start the run's watcher (idempotent: one per run)")
    .requiredOption('--run-id <run_id>', 'run id')
    .option('--target <name>', 'target in the targets file (default: the one with this run id, else the only one)')
    .option('--interval <seconds>', 'seconds between watcher cycles (default 30, at least 1)', numberArg)
    .option('--incident-cycle <seconds>', 'seconds between recovery probes of each incident it opens (default 30, at least 1)', numberArg)
    .option('--max-wait <seconds>', 'recovery wait before an incident escalates (default 1800)', numberArg)
    .option('--ack-sla <seconds>', 'acknowledgment SLA of each incident (default 900)', numberArg)
    .option('--evidence-window <seconds>', 'breaches older than this before an incident opened do not decide its class (default 900)', numberArg)
    .option('--json', `${JSON_HELP}: { workflowId, runId, target }`)
    .addHelpText(
      'after',
      examples(
        'drill watch start --run-id paper-2026-11-25',
        'drill watch start --run-id paper-2026-11-25 --target paper-sandbox --interval 10 --incident-cycle 5 --max-wait 900 --ack-sla 600',
        'drill watch start --run-id paper-2026-11-25 --json',
      ),
    )
    .action(
      async (o: {
        runId: string;
        target?: string;
        interval?: number;
        incidentCycle?: number;
        maxWait?: number;
        ackSla?: number;
        evidenceWindow?: number;
        json?: boolean;
      }) => {
        const r = await watchStart(
          {
            runId: o.runId,
            target: o.target,
            intervalSeconds: o.interval,
            incident: { cycleSeconds: o.incidentCycle, maxWaitSeconds: o.maxWait, ackSlaSeconds: o.ackSla, evidenceWindowSeconds: o.evidenceWindow },
          },
          { config: cfg() },
        );
        print(o.json, r, () => `watching run ${o.runId} (target ${r.target}): workflow ${r.workflowId}`);
      },
    );
  watch
    .command('stop')
    .description("Stop the run's watcher after its current cycle (running incidents go on)")
    .requiredOption('--run-id <run_id>', 'run id')
    .option('--reason <text>', 'why')
    .option('--by <identity>', 'who')
    .option('--json', `${JSON_HELP}: { workflowId }`)
    .addHelpText(
      'after',
      examples('drill watch stop --run-id paper-2026-11-25 --reason "run ended" --by alice', 'drill watch stop --run-id paper-2026-11-25 --json'),
    )
    .action(async (o: { runId: string; reason?: string; by?: string; json?: boolean }) => {
      const r = await watchStop(o, { config: cfg() });
      print(o.json, r, () => `stop sent to ${r.workflowId}`);
    });
}
