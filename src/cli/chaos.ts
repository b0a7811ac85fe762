/**
 * `drill chaos`: the runbook's deterministic chaos drill against a target, without a workflow.
 */
import { type Command } from 'commander';
import { chaosCommand } from '../commands/chaos';
import { type CliContext, numberArg, examples, JSON_HELP } from './context';

export function registerChaos(program: Command, ctx: CliContext): void {
  const { setExit, cfg, print } = ctx;
  program
    .command('chaos')
    .description(
      "The runbook's deterministic chaos drill (chaos_drill.py) against a target, without a workflow: inject, detect, clear; writes the report. Exit 1 when a scenario is not detected",
    )
    .option('--target <name>', 'target from the targets file (default: the only one)')
    .option('--output <file>', 'report file', 'results/chaos_drill_latest.json')
    .option(
      '--scenarios <list>',
      'comma-separated: stale_data, corrupt_bars, order_drift, position_drift, broker_disconnect, websocket_silence, state_saves_stop',
    )
    .option('--seed <n>', 'orders the scenarios', numberArg)
    .option('--detection-seconds <n>', 'detection bound per scenario', numberArg)
    .option('--json', `${JSON_HELP}: { report, output }`)
    .addHelpText(
      'after',
      examples(
        'drill chaos --output results/chaos_drill_latest.json',
        'drill chaos --target paper-1 --scenarios stale_data,order_drift --seed 7',
        'drill chaos --target paper-1 --json',
      ),
    )
    .action(async (o: { target?: string; output?: string; scenarios?: string; seed?: number; detectionSeconds?: number; json?: boolean }) => {
      const r = await chaosCommand(o, { config: cfg() });
      print(o.json, r, () => [
        ...r.report.scenarios.map(
          (sc) =>
            `${sc.scenario.padEnd(18)} ${sc.detected ? `detected in ${sc.detectionSeconds?.toFixed(2)} s via ${sc.signal}` : 'NOT DETECTED'}${sc.recovered === false ? ', did not recover' : ''}`,
        ),
        ...(r.report.skipped ?? []).map((sk) => `${sk.scenario.padEnd(18)} skipped: ${sk.reason}`),
        `${r.report.status === 'skipped' ? 'SKIPPED (nothing injected)' : r.report.passed ? 'passed' : 'FAILED'}; report: ${r.output}`,
      ]);
      // Skipped (nothing injected) is neither a pass nor a failure: exit 3.
      if (r.report.status === 'skipped') setExit(3);
      else if (!r.report.passed) setExit(1);
    });
}
