/**
 * Runbook "Promotion Readiness (Operational)": the strict promotion gate, run from CI.
 *
 * Gathers the run's evidence (activity), decides with the pure `evaluatePromotion`, writes the
 * evidence bundle (activity) and returns the verdict. A failing gate is a completed workflow with
 * `verdict.result = 'fail'`; the workflow itself fails only on bad input (`InvalidInput`), an unknown
 * run (`RunNotFound`) or evidence that cannot be read or written.
 */
import { ActivityFailure, ApplicationFailure, log, patched, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  evaluatePromotion,
  promotionGateInputSchema,
  resolvePromotionThresholds,
  type PromotionEvidence,
  type PromotionGateInput,
  type PromotionGateResult,
  type PromotionGateStatus,
  type PromotionPhase,
  type PromotionVerdict,
} from '../domain/promotion';
import type { PromotionExtraEvidence } from '../domain/promotion-kpi';
import { SA } from '../search-attributes';
import { evidenceIo } from './activity-profiles';
import { promotionGateStatusQuery } from './definitions';
import { parseOrFail } from './validation';
import { FAILURE } from '../domain/failure-types';

const { gatherPromotionEvidence, gatherPromotionKpiEvidence, writePromotionBundle } = proxyActivities<Activities>(evidenceIo);

/**
 * Issue 13: paper KPI criteria from the experiment's KPI file and the drill RTO regression criterion
 * (one more activity, more criteria, the KPI file in the bundle). Histories from before keep the
 * fixed criteria only.
 */
export const PROMOTION_KPI_PATCH = 'promotion-kpi-criteria';

/** An activity's non-retryable failure, surfaced as the workflow's own with its type kept. */
function surface(err: unknown, what: string): ApplicationFailure {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const type = cause instanceof ApplicationFailure ? (cause.type ?? FAILURE.evidenceError) : FAILURE.evidenceError;
  return ApplicationFailure.create({ message: `${what}: ${errorMessage(err)}`, type, nonRetryable: true, cause: err instanceof Error ? err : undefined });
}

function errorMessage(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}

export async function promotionGateWorkflow(input: PromotionGateInput): Promise<PromotionGateResult> {
  const params = parseOrFail(promotionGateInputSchema, input, 'promotionGateWorkflow input');
  const thresholds = resolvePromotionThresholds(params.thresholds);
  const status: PromotionGateStatus = {
    experimentId: params.experimentId,
    runId: params.runId,
    strict: params.strict,
    ...(params.target ? { target: params.target } : {}),
    phase: 'gathering',
  };
  const phase = (p: PromotionPhase) => {
    status.phase = p;
    upsertSearchAttributes([{ key: SA.state, value: p }]);
  };
  setHandler(promotionGateStatusQuery, () => ({ ...status }), {
    description: 'Phase (gathering / writing / done / failed), and once decided: result, summary, failed and missing criteria, bundle folder.',
  });
  upsertSearchAttributes([
    { key: SA.runId, value: params.runId },
    { key: SA.state, value: status.phase },
    ...(params.target ? [{ key: SA.target, value: params.target }] : []),
  ]);

  let evidence: PromotionEvidence;
  try {
    evidence = await gatherPromotionEvidence({ runId: params.runId, ...(params.target ? { target: params.target } : {}) });
  } catch (err) {
    status.error = errorMessage(err);
    phase('failed');
    throw surface(err, 'gathering evidence');
  }

  let extra: PromotionExtraEvidence | undefined;
  if (patched(PROMOTION_KPI_PATCH)) {
    const regressionTarget = params.target ?? (evidence.drill.status === 'found' ? evidence.drill.report.target : undefined);
    try {
      extra = await gatherPromotionKpiEvidence({
        experimentId: params.experimentId,
        runId: params.runId,
        ...(regressionTarget ? { target: regressionTarget } : {}),
      });
    } catch (err) {
      status.error = errorMessage(err);
      phase('failed');
      throw surface(err, 'gathering KPI evidence');
    }
  }

  const info = workflowInfo();
  let verdict: PromotionVerdict;
  try {
    verdict = evaluatePromotion(
      evidence,
      {
        experimentId: params.experimentId,
        runId: params.runId,
        strict: params.strict,
        ...(params.target ? { target: params.target } : {}),
        thresholds,
        now: new Date(Date.now()).toISOString(),
        workflow: { workflowId: info.workflowId, runId: info.runId },
      },
      extra,
    );
  } catch (err) {
    // A bug, not bad evidence: fail the run instead of retrying the task forever.
    phase('failed');
    throw ApplicationFailure.create({ message: `evaluating the verdict: ${String(err)}`, type: FAILURE.verdictError, nonRetryable: true });
  }
  Object.assign(status, { result: verdict.result, summary: verdict.summary, failed: verdict.failed, missing: verdict.missing });
  upsertSearchAttributes([{ key: SA.result, value: verdict.result }]);
  log.info('promotion verdict', { result: verdict.result, failed: verdict.failed, missing: verdict.missing });

  phase('writing');
  let bundle: Awaited<ReturnType<typeof writePromotionBundle>>;
  try {
    bundle = await writePromotionBundle({
      experimentId: params.experimentId,
      runId: params.runId,
      verdict,
      files: Object.fromEntries(Object.entries(evidence.files).map(([name, f]) => [name, { present: f.present, bytes: f.bytes }])),
      ...(evidence.drill.status === 'found' ? { drillPath: evidence.drill.path } : {}),
      ...(extra ? { kpi: extra.kpi.status === 'found' ? { raw: extra.kpi.raw, files: extra.kpi.files } : { files: {} } } : {}),
    });
  } catch (err) {
    status.error = errorMessage(err);
    phase('failed');
    throw surface(err, 'writing the evidence bundle');
  }
  status.bundleDir = bundle.dir;
  phase('done');
  return { verdict, markdown: bundle.markdown, bundle: { dir: bundle.dir, files: bundle.files, manifestSha256: bundle.manifestSha256 } };
}
