/**
 * `drill audit verify`: the runner's hash-chained audit log, re-walked.
 */
import { type Command } from 'commander';
import { auditVerify } from '../commands/audit';
import { type CliContext, examples } from './context';

export function registerAudit(program: Command, ctx: CliContext): void {
  const { output, setExit, cfg } = ctx;
  program
    .command('audit')
    .description("The runner's append-only, hash-chained audit log")
    .command('verify')
    .description(
      'Re-walk the hash chain and check its head against the checkpoint, drill reports and evidence bundles; exit 0 intact, 1 broken (edited, removed, reordered, truncated, wiped or recomputed: named), 2 no log',
    )
    .option('--file <path>', 'audit log (default: <DRILL_RESULTS_DIR>/audit/drill-runner.jsonl)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples('drill audit verify', 'drill audit verify --file /srv/drill/results/audit/drill-runner.jsonl', 'drill audit verify --json'))
    .action(async (o: { file?: string; json?: boolean }) => {
      const r = await auditVerify(o, { resultsDir: cfg().resultsDir });
      if (o.json) {
        output.out(JSON.stringify(r, null, 2));
        if (!r.ok) setExit(1);
      } else if (r.ok) output.out(`audit log intact: ${r.lines} lines, last hash ${r.lastHash}, ${r.anchors} anchor(s) agree (${r.file})`);
      else {
        for (const p of r.problems) output.out(p);
        output.out(`audit log BROKEN: ${r.problems.length} problem(s) in ${r.lines} lines (${r.file})`);
        setExit(1);
      }
    });
}
