/**
 * The `drill` command. Each subcommand is a function in `src/commands/` that returns data; its flags,
 * help and printing are in `src/cli/<group>.ts`, one file per command group. Only this entry maps
 * errors to exit codes: 0 ok, 1 the thing checked failed (or is unknown), 2 error (bad input, no
 * server, misconfiguration).
 */
import './zod-english-only';
import { Command, CommanderError } from 'commander';
import { TemporalTimeoutError } from './client/connection';
import { CommandError, processOutput, type Output } from './commands/output';
import { ConfigError } from './config';
import { registerAckTimer } from './cli/ack-timer';
import { registerAudit } from './cli/audit';
import { registerChaos } from './cli/chaos';
import { registerConfig } from './cli/config';
import { registerDev } from './cli/dev';
import { registerEvidence } from './cli/evidence';
import { registerHalt } from './cli/halt';
import { registerIncident } from './cli/incident';
import { registerIncidentAck } from './cli/incident-ack';
import { registerPromote } from './cli/promote';
import { registerRehearse } from './cli/rehearse';
import { registerReport } from './cli/report';
import { registerRun } from './cli/run';
import { registerSandbox } from './cli/sandbox';
import { registerSchedule } from './cli/schedule';
import { registerSignOff } from './cli/sign-off';
import { registerTarget } from './cli/target';
import { registerTools } from './cli/tools';
import { registerTriage } from './cli/triage';
import { registerWatch } from './cli/watch';
import { registerWorker } from './cli/worker';
import { createCliContext } from './cli/context';

export function buildProgram(output: Output, setExit: (code: number) => void): Command {
  const program = new Command('drill')
    .description('drill-runner: the DR and incident runbook of a trading operation as durable Temporal workflows')
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (s) => output.out(s.trimEnd()), writeErr: (s) => output.err(s.trimEnd()) })
    .exitOverride();
  const ctx = createCliContext(output, setExit);
  // In this order: it is the order of `drill --help`.
  registerDev(program, ctx);
  registerRun(program, ctx);
  registerTarget(program, ctx);
  registerSchedule(program, ctx);
  registerChaos(program, ctx);
  registerRehearse(program, ctx);
  registerWorker(program, ctx);
  registerIncidentAck(program, ctx);
  registerTriage(program, ctx);
  registerIncident(program, ctx);
  registerWatch(program, ctx);
  registerHalt(program, ctx);
  registerAckTimer(program, ctx);
  registerSandbox(program, ctx);
  registerPromote(program, ctx);
  registerReport(program, ctx);
  registerSignOff(program, ctx);
  registerEvidence(program, ctx);
  registerAudit(program, ctx);
  registerTools(program, ctx);
  registerConfig(program, ctx);
  return program;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[], output: Output = processOutput): Promise<number> {
  let exitCode = 0;
  // A command run with --json that fails before printing its document prints { error, exitCode } instead.
  let json = false;
  let printed = false;
  const counted: Output = {
    out: (l) => {
      printed = true;
      output.out(l);
    },
    err: (l) => output.err(l),
  };
  const program = buildProgram(counted, (c) => (exitCode = c));
  program.hook('preAction', (_program, action) => {
    json = action.opts<{ json?: boolean }>().json === true;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with code 0; usage errors with 2.
      return err.exitCode === 0 ? 0 : 2;
    }
    // CommandError carries its code; ConfigError, TemporalTimeoutError and anything else are 2.
    const code = err instanceof CommandError ? err.exitCode : 2;
    const message =
      err instanceof CommandError || err instanceof ConfigError || err instanceof TemporalTimeoutError ? err.message : ((err as Error).message ?? String(err));
    output.err(`drill: ${message}`);
    if (json && !printed) output.out(JSON.stringify({ error: message, exitCode: code }, null, 2));
    return code;
  }
}
