/**
 * `drill evidence export`: every drill of a target in a window, bundled for auditors.
 */
import { type Command } from 'commander';
import { describeEvidenceExport, evidenceExport } from '../commands/evidence';
import { type CliContext, examples } from './context';

export function registerEvidence(program: Command, ctx: CliContext): void {
  const { output, cfg } = ctx;
  program
    .command('evidence')
    .description('Evidence for auditors')
    .command('export')
    .description(
      'Bundle every drill of a target since a date (reports, sign-offs, findings with their re-tests, the audit log with its head and verification) into one folder with a SHA-256 manifest (check: drill verify-bundle). Exit 1 when no drill is in the window',
    )
    .requiredOption('--target <name>', 'target')
    .requiredOption('--since <date>', 'first day (2026-11-01) or an ISO date-time with offset')
    .option('--until <date>', 'end of the window (exclusive; default: now)')
    .option('--out <dir>', 'output folder (default: <DRILL_RESULTS_DIR>/evidence/<target>_<since>_<until>)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      examples(
        'drill evidence export --target paper-1 --since 2026-10-01',
        'drill evidence export --target paper-1 --since 2026-10-01 --until 2027-01-01 --out /tmp/q4-dr-evidence --json',
      ),
    )
    .action(async (o: { target: string; since: string; until?: string; out?: string; json?: boolean }) => {
      const r = await evidenceExport(o, { resultsDir: cfg().resultsDir });
      output.out(o.json ? JSON.stringify(r, null, 2) : describeEvidenceExport(r));
    });
}
