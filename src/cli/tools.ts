/**
 * `drill tools`: the pinned Temporal CLI and time-skipping test server (ensure, where).
 */
import { type Command } from 'commander';
import { describeToolsWhere, toolsEnsure, toolsWhere } from '../commands/tools';
import { type CliContext, examples, JSON_HELP } from './context';

export function registerTools(program: Command, ctx: CliContext): void {
  const { setExit, progressTo, print } = ctx;
  const tools = program.command('tools').description('The pinned Temporal CLI and time-skipping test server');
  tools
    .command('ensure')
    .description('Provision both tools into the per-user cache (skipped when present)')
    .option('--json', `${JSON_HELP}: { cache, tools: [{ tool, path, source, version }] }`)
    .addHelpText('after', examples('drill tools ensure', 'DRILL_RUNNER_CACHE=/opt/drill-cache drill tools ensure', 'drill tools ensure --json'))
    .action(async (o: { json?: boolean }) => {
      const say = progressTo(o.json);
      // Human output is the progress itself: one line per tool.
      print(o.json, await toolsEnsure((l) => say.out(l)), () => []);
    });
  tools
    .command('where')
    .description('Print where each tool is, so you can run the same `temporal` binary (exit 1 when one is not provisioned)')
    .option('--json', `${JSON_HELP}: { cache, tools: [{ tool, provisioned, path, source, version, versionLine }], exitCode }`)
    .addHelpText('after', examples('drill tools where', 'drill tools where --json'))
    .action((o: { json?: boolean }) => {
      const r = toolsWhere();
      print(o.json, r, () => describeToolsWhere(r));
      setExit(r.exitCode);
    });
}
