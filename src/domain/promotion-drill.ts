/**
 * The weekly drill's report as the promotion gate reads it: only the fields the gate needs, loose
 * (extra fields pass through). The drill module owns the full schema (`drillReportSchema` in
 * `domain/drill-report.ts`) and the file layout; the gate deliberately validates less, so a report
 * written by a newer drill (more fields, richer timeline) still counts as evidence.
 */
import { z } from 'zod';
import { DRILL_REPORT_FILE, DRILL_RESULTS, DRILLS_DIR } from './drill-report';

export { DRILL_REPORT_FILE, DRILL_RESULTS, DRILLS_DIR };

const iso = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time' });

const recoveryMeasure = z.looseObject({
  seconds: z.number().nonnegative().nullable(),
  targetSeconds: z.number().positive(),
  ok: z.boolean(),
});

/** `<resultsDir>/drills/<drillId>/report.json`, the fields the gate reads. */
export const drillEvidenceSchema = z.looseObject({
  schemaVersion: z.literal(1),
  drillId: z.string().min(1),
  target: z.string().min(1),
  mode: z.string().min(1),
  startedAt: iso,
  finishedAt: iso,
  result: z.enum(DRILL_RESULTS),
  rto: recoveryMeasure,
  rpo: recoveryMeasure,
  timeline: z.record(z.string(), z.unknown()),
  failures: z.array(z.string()),
});
export type DrillEvidence = z.infer<typeof drillEvidenceSchema>;

/** One report found on disk, parsed, with its path relative to the results folder. */
export interface FoundDrill {
  /** `drills/<drillId>/report.json`. */
  path: string;
  report: DrillEvidence;
}

/**
 * The latest drill (by `finishedAt`, then `drillId`) among `found`, for `target` when given. Any
 * result counts: a newer failed or aborted drill hides an older pass.
 */
export function pickLatestDrill(found: readonly FoundDrill[], target?: string): FoundDrill | undefined {
  let best: FoundDrill | undefined;
  for (const d of found) {
    if (target !== undefined && d.report.target !== target) continue;
    if (!best) {
      best = d;
      continue;
    }
    const a = Date.parse(d.report.finishedAt);
    const b = Date.parse(best.report.finishedAt);
    if (a > b || (a === b && d.report.drillId > best.report.drillId)) best = d;
  }
  return best;
}
