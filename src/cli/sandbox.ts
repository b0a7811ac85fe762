/**
 * `drill sandbox`: the paper-trading sandbox process (start, stop, status, inject, clear, target).
 */
import { type Command, Option } from 'commander';
import {
  sandboxClearCommand,
  sandboxInjectCommand,
  sandboxStartCommand,
  sandboxStatusCommand,
  sandboxStopCommand,
  sandboxTargetCommand,
} from '../commands/sandbox';
import { type CliContext, numberArg, examples, JSON_HELP, JSON_ALWAYS_HELP } from './context';

export function registerSandbox(program: Command, ctx: CliContext): void {
  const { output, setExit, cfg, print } = ctx;
  const sandbox = program
    .command('sandbox')
    .description('The paper-trading sandbox: a real target process with deterministic fault injection (docs/target-contract.md)');
  const sandboxConfigOpt = () =>
    new Option('--config <file>', 'sandbox config file (default: DRILL_SANDBOX_CONFIG, else <DRILL_STATE_DIR>/sandbox/config.json, created with defaults)');
  sandbox
    .command('start')
    .description('Start the sandbox detached (pid file in its state dir); waits until it serves')
    .addOption(sandboxConfigOpt())
    .option('--no-wait', 'return right after the spawn')
    .option('--timeout <seconds>', 'how long to wait for it to serve', numberArg, 30)
    .option('--json', `${JSON_HELP}: pid, whether it was already running, config file, endpoints`)
    .addHelpText('after', examples('drill sandbox start', 'drill sandbox start --config examples/sandbox-config.json', 'drill sandbox start --json'))
    .action(async (o: { config?: string; wait: boolean; timeout: number; json?: boolean }) => {
      const r = await sandboxStartCommand({ config: o.config, wait: o.wait, timeoutSeconds: o.timeout }, { config: cfg() });
      print(o.json, r, () => [
        r.alreadyRunning ? `sandbox already running (pid ${r.pid})` : `sandbox started (pid ${r.pid})`,
        ...(r.info ? [`gateway ${r.info.gateway_url}  broker ws ${r.info.broker_ws_url}  run ${r.info.run_dir}`] : []),
      ]);
    });
  sandbox
    .command('stop')
    .description('Stop the sandbox gracefully (control endpoint, else SIGTERM): it flushes its state and exits 0')
    .addOption(sandboxConfigOpt())
    .option('--signal', 'send SIGTERM instead of calling the control endpoint')
    .option('--timeout <seconds>', 'how long to wait for it to exit', numberArg, 30)
    .option('--json', JSON_HELP)
    .addHelpText('after', examples('drill sandbox stop', 'drill sandbox stop --signal', 'drill sandbox stop --json'))
    .action(async (o: { config?: string; signal?: boolean; timeout: number; json?: boolean }) => {
      const r = await sandboxStopCommand({ config: o.config, signal: o.signal, timeoutSeconds: o.timeout }, { config: cfg() });
      print(o.json, r, () => (r.wasRunning ? `sandbox stopped (pid ${r.pid}, via ${r.via}) at ${r.stoppedAt}` : 'sandbox was not running'));
    });
  sandbox
    .command('status')
    .description('Show whether the sandbox runs, its endpoints, stats and active faults as JSON (exit 1 when not running)')
    .addOption(sandboxConfigOpt())
    .option('--json', JSON_ALWAYS_HELP)
    .addHelpText('after', examples('drill sandbox status', 'drill sandbox status --json'))
    .action(async (o: { config?: string }) => {
      const r = await sandboxStatusCommand(o, { config: cfg() });
      output.out(JSON.stringify(r, null, 2));
      if (!r.running || !r.healthy) setExit(1);
    });
  sandbox
    .command('inject')
    .description(
      'Inject a fault: stale_data, corrupt_bars, order_drift, position_drift, broker_disconnect, websocket_silence, crash_without_flush, slow_restart, state_saves_stop, reconciliation_not_restarting, slo_monitor_silent_after_restart, wrong_digest_on_restore',
    )
    .argument('<fault>', 'fault name')
    .addOption(sandboxConfigOpt())
    .option('--seconds <n>', 'slow_restart: startup delay before serving', numberArg)
    .option('--json', `${JSON_HELP}: { fault, changed, faults }`)
    .addHelpText(
      'after',
      examples('drill sandbox inject order_drift', 'drill sandbox inject slow_restart --seconds 30', 'drill sandbox inject order_drift --json'),
    )
    .action(async (fault: string, o: { config?: string; seconds?: number; json?: boolean }) => {
      const r = await sandboxInjectCommand({ config: o.config, fault, seconds: o.seconds }, { config: cfg() });
      print(
        o.json,
        { fault, ...r },
        () => `${r.changed ? 'injected' : 'already active'}: ${fault}; active: ${r.faults.map((f) => f.fault).join(', ') || 'none'}`,
      );
    });
  sandbox
    .command('clear')
    .description('Clear one fault, or all')
    .argument('<fault>', 'fault name or "all"')
    .addOption(sandboxConfigOpt())
    .option('--json', `${JSON_HELP}: { fault, changed, faults }`)
    .addHelpText('after', examples('drill sandbox clear order_drift', 'drill sandbox clear all', 'drill sandbox clear all --json'))
    .action(async (fault: string, o: { config?: string; json?: boolean }) => {
      const r = await sandboxClearCommand({ config: o.config, fault }, { config: cfg() });
      print(
        o.json,
        { fault, ...r },
        () => `${r.changed ? 'cleared' : 'was not active'}: ${fault}; active: ${r.faults.map((f) => f.fault).join(', ') || 'none'}`,
      );
    });
  sandbox
    .command('target')
    .description('Print the targets-file entry (DRILL_TARGETS_FILE) that points drill-runner at this sandbox')
    .addOption(sandboxConfigOpt())
    .option('--name <name>', 'target name', 'sandbox')
    .option('--json', JSON_ALWAYS_HELP)
    .addHelpText('after', examples('drill sandbox target > targets.json', 'drill sandbox target --name paper-sandbox', 'drill sandbox target --json'))
    .action(async (o: { config?: string; name: string }) => {
      output.out(JSON.stringify(await sandboxTargetCommand(o, { config: cfg() }), null, 2));
    });
}
