/**
 * `drill ack-timer`: an incident's acknowledgment timer (start, status, resolve).
 */
import { type Command, Option } from 'commander';
import { ackTimerResolve, ackTimerStart, ackTimerStatus } from '../commands/ack-timer';
import { type CliContext, numberArg, examples, JSON_HELP, JSON_ALWAYS_HELP } from './context';

export function registerAckTimer(program: Command, ctx: CliContext): void {
  const { output, cfg, print } = ctx;
  const timer = program.command('ack-timer').description("Start, inspect or resolve an incident's acknowledgment timer (incidentAckWorkflow)");
  timer
    .command('start')
    .description('Start the 15-minute ack timer for an incident (idempotent: one timer per incident)')
    .requiredOption('--run-id <run_id>', 'run id')
    .requiredOption('--incident-id <id>', 'incident id')
    .addOption(new Option('--severity <severity>', 'incident severity').choices(['critical', 'warning']).default('critical'))
    .option('--sla <seconds>', 'ack SLA in seconds (runbook: 900)', numberArg)
    .option('--resolve-sla <seconds>', 'escalate again when still unresolved this long after opening', numberArg)
    .option('--opened-at <iso>', 'when the incident opened (default: now; not in the future)')
    .option('--summary <text>', 'one line for the page and the UI')
    .option('--json', `${JSON_HELP}: { workflowId, runId }`)
    .addHelpText(
      'after',
      examples(
        'drill ack-timer start --run-id paper-2026-11-25 --incident-id inc-42 --severity critical',
        'drill ack-timer start --run-id paper-2026-11-25 --incident-id inc-42 --resolve-sla 14400',
        'drill ack-timer start --run-id paper-2026-11-25 --incident-id inc-42 --json',
      ),
    )
    .action(
      async (o: {
        runId: string;
        incidentId: string;
        severity: 'critical' | 'warning';
        sla?: number;
        resolveSla?: number;
        openedAt?: string;
        summary?: string;
        json?: boolean;
      }) => {
        const r = await ackTimerStart(
          {
            runId: o.runId,
            incidentId: o.incidentId,
            severity: o.severity,
            ...(o.sla !== undefined ? { ackSlaSeconds: o.sla } : {}),
            ...(o.resolveSla !== undefined ? { resolveSlaSeconds: o.resolveSla } : {}),
            ...(o.openedAt !== undefined ? { openedAt: o.openedAt } : {}),
            ...(o.summary !== undefined ? { summary: o.summary } : {}),
          },
          { config: cfg() },
        );
        print(o.json, r, () => `ack timer running: workflow ${r.workflowId} (run ${r.runId})`);
      },
    );
  timer
    .command('status')
    .description(
      "Show the timer's state, escalation level, pages, lifecycle events and SLA verdict as JSON (found by run and incident id; exit 1 when none, 2 when several)",
    )
    .requiredOption('--run-id <run_id>', 'run id')
    .requiredOption('--incident-id <id>', 'incident id')
    .option('--workflow-id <id>', 'this timer (when several match)')
    .option('--json', JSON_ALWAYS_HELP)
    .addHelpText(
      'after',
      examples(
        'drill ack-timer status --run-id paper-2026-11-25 --incident-id inc-42',
        'drill ack-timer status --run-id paper-2026-11-25 --incident-id inc-42 --json',
      ),
    )
    .action(async (o: { runId: string; incidentId: string; workflowId?: string }) => {
      output.out(JSON.stringify(await ackTimerStatus(o, { config: cfg() }), null, 2));
    });
  timer
    .command('resolve')
    .description('Tell the timer the incident is resolved: it stops escalating and sends resolve to what it paged (incidentWorkflow does this itself)')
    .requiredOption('--run-id <run_id>', 'run id')
    .requiredOption('--incident-id <id>', 'incident id')
    .option('--resolution <text>', 'e.g. recovered')
    .option('--by <identity>', 'who')
    .option('--workflow-id <id>', 'this timer (when several match)')
    .option('--json', `${JSON_HELP}: { workflowId }`)
    .addHelpText(
      'after',
      examples(
        'drill ack-timer resolve --run-id paper-2026-11-25 --incident-id inc-42 --resolution recovered --by alice',
        'drill ack-timer resolve --run-id paper-2026-11-25 --incident-id inc-42 --json',
      ),
    )
    .action(async (o: { runId: string; incidentId: string; resolution?: string; by?: string; workflowId?: string; json?: boolean }) => {
      const r = await ackTimerResolve(o, { config: cfg() });
      print(o.json, r, () => `resolve sent to ack timer ${r.workflowId}`);
    });
}
