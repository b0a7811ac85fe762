/**
 * `drill promote` and `drill verify-bundle`: the promotion gate and the check of its evidence bundle.
 */
import { type Command } from 'commander';
import { describeVerification, promoteCommand, verifyBundleCommand } from '../commands/promote';
import { renderVerdictTable } from '../report/promotion-verdict';
import { type CliContext, numberArg, examples } from './context';

export function registerPromote(program: Command, ctx: CliContext): void {
  const { output, setExit, cfg } = ctx;
  program
    .command('promote')
    .description(
      'Run the promotion gate (runbook "Promotion Readiness"): criteria table, evidence bundle under results/promotions/<experiment>/<run_id>/, Markdown to $GITHUB_STEP_SUMMARY when set; exit 0 pass, 1 fail, 2 error. Thresholds: SLO_* variables (drill config)',
    )
    .requiredOption('--experiment <id>', 'experiment (strategy) being promoted')
    .requiredOption('--run-id <run_id>', 'paper run whose artifacts are the evidence (results/runs/<run_id>/)')
    .option('--strict', 'missing evidence fails the gate (default)')
    .option('--no-strict', 'lenient: missing evidence is reported, not enforced')
    .option('--target <name>', 'target whose latest weekly drill counts (default: latest drill of any target)')
    .option('--drill-max-age <days>', 'maximum age of the latest drill in days (default 7)', numberArg)
    .option('--rto-regression-factor <x>', 'the latest drill RTO may be at most x times the median of earlier drills (default 1.5)', numberArg)
    .option('--rto-regression-window <n>', 'how many earlier drills of the target that median covers (default 5)', numberArg)
    .option('--timeout <seconds>', 'how long to wait for the verdict', numberArg, 600)
    .option('--json', 'print the verdict as JSON instead of the table')
    .option('--out <file>', 'also write { verdict, bundle } as JSON to this local file (e.g. a CI artifact)')
    .addHelpText(
      'after',
      examples(
        'drill promote --experiment momentum-v3 --run-id paper-2026-11-25',
        'drill promote --experiment momentum-v3 --run-id paper-2026-11-25 --no-strict --target paper-sandbox',
        'SLO_MIN_RECONCILIATION_PASS_RATE=99.9% drill promote --experiment momentum-v3 --run-id paper-2026-11-25 --json',
      ),
    )
    .action(
      async (o: {
        experiment: string;
        runId: string;
        strict?: boolean;
        target?: string;
        drillMaxAge?: number;
        rtoRegressionFactor?: number;
        rtoRegressionWindow?: number;
        timeout: number;
        json?: boolean;
        out?: string;
      }) => {
        const r = await promoteCommand(
          {
            experiment: o.experiment,
            runId: o.runId,
            strict: o.strict,
            target: o.target,
            drillMaxAgeDays: o.drillMaxAge,
            rtoRegressionFactor: o.rtoRegressionFactor,
            rtoRegressionWindow: o.rtoRegressionWindow,
            timeoutSeconds: o.timeout,
            out: o.out,
          },
          { config: cfg(), output },
        );
        if (o.json) {
          output.out(JSON.stringify(r.result.verdict, null, 2));
          output.err(`evidence bundle: ${r.result.bundle.dir}\nmanifest sha256: ${r.result.bundle.manifestSha256}`);
        } else {
          output.out(renderVerdictTable(r.result.verdict));
          output.out(`evidence bundle: ${r.result.bundle.dir}`);
          output.out(
            `manifest sha256: ${r.result.bundle.manifestSha256}  (pin it: drill verify-bundle ${r.result.bundle.dir} --expect-hash ${r.result.bundle.manifestSha256})`,
          );
          output.out(`workflow: ${r.workflowId} (run ${r.workflowRunId})`);
        }
        setExit(r.exitCode);
      },
    );

  program
    .command('verify-bundle')
    .description(
      'Check an evidence bundle against its manifest.json (SHA-256 of every file, the subject included) and, with --expect-hash, the manifest against the hash drill promote printed: exit 0 verified, 1 a file changed, missing or extra, a re-labelled subject or not the pinned bundle, 2 not a bundle',
    )
    .argument('<dir>', 'bundle folder, e.g. results/promotions/<experiment>/<run_id>')
    .option('--expect-hash <sha256>', "the manifest's SHA-256 as drill promote printed it (step summary): proves this is the bundle the gate wrote")
    .option('--json', 'print the verification as JSON')
    .addHelpText(
      'after',
      examples(
        'drill verify-bundle results/promotions/momentum-v3/paper-2026-11-25',
        'drill verify-bundle results/promotions/momentum-v3/paper-2026-11-25 --expect-hash 3f2a…(64 hex)',
        'drill verify-bundle results/promotions/momentum-v3/paper-2026-11-25 --json',
      ),
    )
    .action(async (dir: string, o: { expectHash?: string; json?: boolean }) => {
      const r = await verifyBundleCommand(dir, { expectHash: o.expectHash });
      if (o.json) {
        output.out(JSON.stringify(r.verification, null, 2));
        setExit(r.exitCode);
        return;
      }
      output.out(describeVerification(r.verification));
      setExit(r.exitCode);
    });
}
