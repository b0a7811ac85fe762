/**
 * `drill dev`: the embedded dev server with a worker and the sandbox target, optionally one full drill.
 */
import { type Command } from 'commander';
import { type RunWeeklyOutcome } from '../commands/run';
import { createLogger } from '../logger';
import { type CliContext, examples } from './context';

export function registerDev(program: Command, ctx: CliContext): void {
  const { output, setExit, cfg, progressTo } = ctx;
  program
    .command('dev')
    .description(
      'Start the embedded Temporal dev server (Web UI, SQLite state), a worker and a paper-trading sandbox target; with --drill, run one full weekly drill; Ctrl-C stops them',
    )
    .option('--headless', 'no Web UI')
    .option('--no-worker', 'server only')
    .option('--no-sandbox', 'do not start the sandbox target')
    .option('--drill', 'run one full weekly drill against the sandbox, print the report path and UI link, keep serving')
    .option('--exit-after-drill', "with --drill: exit with the drill's code (0 pass, 1 fail, 2 error) instead of serving on")
    .option(
      '--json',
      'progress on stderr; once up (with --drill: after the drill) one JSON line on stdout: server address, UI links, task queue, target, sandbox, drill result',
    )
    .addHelpText(
      'after',
      examples(
        'drill dev',
        'drill dev --drill',
        'drill dev --drill --exit-after-drill --headless',
        'TEMPORAL_ADDRESS=127.0.0.1:7300 DRILL_UI_PORT=8300 drill dev',
        'drill dev --json 2>dev.log | head -1 | jq .address',
      ),
    )
    .action(async (o: { headless?: boolean; worker: boolean; sandbox: boolean; drill?: boolean; exitAfterDrill?: boolean; json?: boolean }) => {
      const c = cfg();
      // Loaded here, not with the CLI: it brings the worker SDK, which no other command needs (~0.3 s of every start).
      const { devSummary, runDevDrill, startDev } = await import('../commands/dev');
      const logger = createLogger({ level: c.log.level, pretty: c.log.pretty });
      const say = progressTo(o.json);
      const session = await startDev({ headless: o.headless, worker: o.worker, sandbox: o.sandbox }, { config: c, logger, output: say });
      let drill: RunWeeklyOutcome | { error: string } | undefined;
      let code = 0;
      if (o.drill) {
        try {
          drill = await runDevDrill(session, { config: c, output: say });
          code = drill.exitCode;
        } catch (err) {
          say.err(`drill: ${(err as Error).message}`);
          drill = { error: (err as Error).message };
          code = 2;
        }
      }
      // A long-running command: one line, so a reader of the still-open stdout knows the document is whole.
      if (o.json) output.out(JSON.stringify(devSummary(session, { config: c, worker: o.worker, ...(drill ? { drill } : {}) })));
      if (o.drill && o.exitAfterDrill) {
        await session.stop();
        setExit(code);
        return;
      }
      say.out('ready. Ctrl-C to stop.');
      await new Promise<void>((resolve) => {
        const onSignal = () => {
          say.out('stopping...');
          void session.stop().then(resolve);
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        void session.done.then(resolve);
      });
      say.out('stopped.');
    });
}
