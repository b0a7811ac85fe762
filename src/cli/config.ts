/**
 * `drill config`: every setting drill-runner reads, with its value and source.
 */
import { type Command } from 'commander';
import { describeSettings, formatSettings } from '../commands/config-report';
import { type CliContext, examples } from './context';

export function registerConfig(program: Command, ctx: CliContext): void {
  const { output, cfg } = ctx;
  program
    .command('config')
    .description(
      'Validate the environment and list every setting drill-runner reads: the value in force and where it came from (env, profile, default); secrets only as set or not',
    )
    .option('--json', 'print the settings as JSON')
    .addHelpText('after', examples('SLO_PAGING_ENABLED=true SLO_PAGING_WEBHOOK_URL=https://hooks.example/page drill config', 'drill config --json'))
    .action((o: { json?: boolean }) => {
      const c = cfg();
      const rows = describeSettings(process.env, c);
      if (o.json) {
        output.out(
          JSON.stringify(
            {
              settings: rows,
              inForce: {
                address: c.temporal.address,
                namespace: c.temporal.namespace,
                taskQueue: c.taskQueue,
                paging: c.paging.enabled ? { format: c.paging.format, minSeverity: c.paging.minSeverity } : null,
              },
            },
            null,
            2,
          ),
        );
        return;
      }
      for (const l of formatSettings(rows)) output.out(l);
      output.out(
        `\nin force: address ${c.temporal.address}, namespace ${c.temporal.namespace}, task queue ${c.taskQueue}, paging ${c.paging.enabled ? `on (${c.paging.format}, min ${c.paging.minSeverity})` : 'off'}`,
      );
    });
}
