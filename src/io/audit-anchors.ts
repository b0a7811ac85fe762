/**
 * The audit log's anchors outside the log (besides its checkpoint): `auditHead` in every drill report
 * (`drills/<id>/report.json`) and `audit-head.json` in every promotion evidence bundle
 * (`promotions/<experiment>/<run>/`). Read with their own small schema, not the whole report's.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { recordedAuditHeadSchema, type AuditAnchor } from '../domain/audit';
import { DRILL_REPORT_FILE, DRILLS_DIR } from '../domain/drill-report';
import { PROMOTIONS_DIR } from '../domain/promotion';
import { describeIssues } from '../domain/validation-kit';

/** The evidence bundle's copy of the head, covered by its manifest. */
export const BUNDLE_AUDIT_HEAD_FILE = 'audit-head.json';

async function dirs(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export async function collectAuditAnchors(resultsDir: string): Promise<{ anchors: AuditAnchor[]; problems: string[] }> {
  const anchors: AuditAnchor[] = [];
  const problems: string[] = [];
  const take = (rel: string, value: unknown) => {
    const r = recordedAuditHeadSchema.safeParse(value);
    if (r.success) anchors.push({ source: rel, length: r.data.length, hash: r.data.hash });
    else problems.push(`${rel}: the recorded audit head is malformed (${describeIssues(r.error, { root: '(head)', rootWhenBlank: true })})`);
  };
  for (const id of await dirs(path.join(resultsDir, DRILLS_DIR))) {
    const rel = `${DRILLS_DIR}/${id}/${DRILL_REPORT_FILE}`;
    const report = await readJson(path.join(resultsDir, rel));
    // A report that cannot be read is the drill's problem, not the log's; a report without a head predates anchoring.
    if (typeof report === 'object' && report !== null && 'auditHead' in report) take(rel, (report as { auditHead: unknown }).auditHead);
  }
  for (const experiment of await dirs(path.join(resultsDir, PROMOTIONS_DIR))) {
    for (const run of await dirs(path.join(resultsDir, PROMOTIONS_DIR, experiment))) {
      const rel = `${PROMOTIONS_DIR}/${experiment}/${run}/${BUNDLE_AUDIT_HEAD_FILE}`;
      const file = path.join(resultsDir, rel);
      const exists = await fs.stat(file).then(
        () => true,
        () => false,
      );
      if (exists) take(rel, await readJson(file));
    }
  }
  return { anchors, problems };
}
