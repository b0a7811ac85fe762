/**
 * `drill worker`: a worker on the configured Temporal server and task queue.
 */
import { type Command } from 'commander';
import { createLogger } from '../logger';
import { type CliContext, examples } from './context';

export function registerWorker(program: Command, ctx: CliContext): void {
  const { output, cfg } = ctx;
  program
    .command('worker')
    .description('Run a worker on the configured Temporal server and task queue')
    .option('--json', 'once the worker polls, one JSON line on stdout: task queue, namespace, address, version, health URL (logs stay on stderr)')
    .addHelpText('after', examples('TEMPORAL_ADDRESS=temporal.internal:7233 drill worker', 'drill worker --json'))
    .action(async (o: { json?: boolean }) => {
      const c = cfg();
      // Loaded here, not with the CLI: the worker SDK is ~0.3 s of a start that no other command needs.
      const { runWorker } = await import('../worker');
      // A long-running command: one line, so a reader of the still-open stdout knows the document is whole.
      await runWorker(c, createLogger({ level: c.log.level, pretty: c.log.pretty }), o.json ? (started) => output.out(JSON.stringify(started)) : undefined);
    });
}
