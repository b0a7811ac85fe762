/**
 * Drill evidence under the results folder: `drills/<drillId>/report.{json,md,html}` written
 * atomically (the JSON validated against `drillReportSchema` first: nothing half-written), the
 * chaos drill's `chaos_drill_latest.json`, the runner's audit event (append-only, hash-chained,
 * one per drill id), and listing reports for the overdue check and the gate.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import type { DeploymentConfig } from '../config';
import type { ChaosDrillReport } from '../domain/drill';
import { DRILL_REPORT_FILE, DRILLS_DIR, drillReportSchema, type DrillReport, type DrillReportInput } from '../domain/drill-report';
import { drillIdSchema } from '../domain/ids';
import { SIGN_OFF_FILE, signOffRecordSchema, type SignOffRecord, type SignOffRecordInput } from '../domain/drill-signoff';
import { sha256 } from '../prebuilt-bundle';
import { procedureVersion } from '../io/procedure-version';
import { appendAuditEvent, AuditChainBrokenError, readAuditHead, type AuditAppendResult } from '../io/audit-log';
import { resolveInside, writeFileAtomic } from '../io/files';
import { renderDrillIndex } from '../report/drill-index';
import { renderDrillHtml, renderDrillMarkdown } from '../report/drill-report';
import { FAILURE } from '../domain/failure-types';
import { describeIssues } from '../domain/validation-kit';

export const CHAOS_LATEST_FILE = 'chaos_drill_latest.json';

export interface DrillReportPaths {
  dir: string;
  json: string;
  markdown: string;
  html: string;
}

export function drillReportPaths(resultsDir: string, drillId: string): DrillReportPaths {
  const id = drillIdSchema.parse(drillId);
  const dir = resolveInside(resultsDir, DRILLS_DIR, id);
  return { dir, json: path.join(dir, DRILL_REPORT_FILE), markdown: path.join(dir, 'report.md'), html: path.join(dir, 'report.html') };
}

/** Validates and writes the three files. Same input, same files: a retry is harmless. */
export async function writeDrillReportFiles(resultsDir: string, input: DrillReportInput): Promise<DrillReportPaths & { report: DrillReport }> {
  // Anchor the audit log: its head as of now goes into the report (see domain/audit.ts).
  const auditHead = await readAuditHead(resultsDir);
  const r = drillReportSchema.safeParse({ ...input, auditHead });
  if (!r.success)
    throw ApplicationFailure.nonRetryable(`drill report does not match its schema: ${describeIssues(r.error, { root: '' })}`, FAILURE.invalidInput);
  const p = drillReportPaths(resultsDir, r.data.drillId);
  await fs.mkdir(p.dir, { recursive: true });
  // The HTML and Markdown first: report.json appearing means the evidence is complete.
  await writeFileAtomic(p.html, renderDrillHtml(r.data));
  await writeFileAtomic(p.markdown, renderDrillMarkdown(r.data, { json: path.basename(p.json), html: path.basename(p.html) }));
  await writeFileAtomic(p.json, `${JSON.stringify(r.data, null, 2)}\n`);
  return { ...p, report: r.data };
}

/** The trend page of every drill on disk, per target: `drills/index.html`. */
export const DRILL_INDEX_FILE = 'index.html';

/** (Re)writes `drills/index.html` from every readable report (unreadable ones are listed, never fatal). */
export async function writeDrillIndex(resultsDir: string, now: Date = new Date()): Promise<{ path: string; reports: number; problems: string[] }> {
  const { reports, problems } = await listDrillReports(resultsDir);
  const file = path.join(resultsDir, DRILLS_DIR, DRILL_INDEX_FILE);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(
    file,
    renderDrillIndex(
      reports.map((r) => r.report),
      now.toISOString(),
    ),
  );
  return { path: file, reports: reports.length, problems };
}

export interface FoundDrillReport {
  path: string;
  report: DrillReport;
}

/** Every readable `drills/*\/report.json`; unreadable ones are listed in `problems`, never fatal. */
export async function listDrillReports(resultsDir: string): Promise<{ reports: FoundDrillReport[]; problems: string[] }> {
  const root = path.join(resultsDir, DRILLS_DIR);
  const names = await fs.readdir(root).catch(() => [] as string[]);
  const reports: FoundDrillReport[] = [];
  const problems: string[] = [];
  for (const n of names.sort()) {
    const file = path.join(root, n, DRILL_REPORT_FILE);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      continue;
    }
    try {
      const r = drillReportSchema.safeParse(JSON.parse(text));
      if (r.success) reports.push({ path: file, report: r.data });
      else problems.push(`${file}: ${describeIssues(r.error, { root: '' })}`);
    } catch (err) {
      problems.push(`${file}: not JSON (${(err as Error).message})`);
    }
  }
  return { reports, problems };
}

/**
 * The report's `deploymentVersion`: this worker's Worker Deployment Version. With versioning on, a
 * pinned drill's activities run on its own version's workers, so this is the version that ran it.
 */
export function reportDeploymentVersion(d: DeploymentConfig | undefined): Pick<DrillReportInput, 'deploymentVersion'> {
  if (!d?.version) return {};
  return { deploymentVersion: { ...d.version, versioning: d.versioning } };
}

/** The report's test record with the procedure version that ran stamped in (the worker's facts). */
function withProcedure(report: DrillReportInput, workflowBundleSha256: string | undefined): DrillReportInput {
  return report.record ? { ...report, record: { ...report.record, procedure: procedureVersion(workflowBundleSha256) } } : report;
}

/**
 * `drills/<drillId>/signoff.json`: the sign-off (or its expiry) with the SHA-256 of report.json as it
 * is now, and its audit event (once per drill). A retry writes the same record again.
 */
export async function writeSignOffRecord(resultsDir: string, input: SignOffRecordInput): Promise<{ record: SignOffRecord; path: string }> {
  const p = drillReportPaths(resultsDir, input.drillId);
  const report = await fs.readFile(p.json).catch(() => undefined);
  const parsed = signOffRecordSchema.safeParse({ schemaVersion: 1, ...input, reportSha256: report ? sha256(report) : null });
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(`sign-off record does not match its schema: ${describeIssues(parsed.error, { root: '' })}`, FAILURE.invalidInput);
  const record = parsed.data;
  const file = path.join(p.dir, SIGN_OFF_FILE);
  await fs.mkdir(p.dir, { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
  try {
    await appendAuditEvent(resultsDir, `drill-signoff:${record.drillId}`, {
      event_type: record.state === 'signed' ? 'dr_drill_signed_off' : 'dr_drill_signoff_expired',
      drill_id: record.drillId,
      target: record.target,
      drill_result: record.drillResult,
      decision: record.signOff?.decision ?? null,
      by: record.signOff?.by ?? null,
      role: record.signOff?.role ?? null,
      signed_at: record.signOff?.signedAt ?? null,
      late: record.late,
      report_sha256: record.reportSha256,
    });
  } catch (err) {
    if (err instanceof AuditChainBrokenError) throw ApplicationFailure.nonRetryable(err.message, FAILURE.auditChainBroken);
    throw err;
  }
  return { record, path: file };
}

export function createReportActivities(resultsDir: string, deployment?: DeploymentConfig, workflowBundleSha256?: string) {
  return {
    /** Step 5: report.json (schema-validated), report.md, report.html under drills/<drillId>/. */
    async writeDrillReport(input: { report: DrillReportInput }): Promise<DrillReportPaths> {
      const report = { ...withProcedure(input.report, workflowBundleSha256), ...reportDeploymentVersion(deployment) };
      const { report: _r, ...paths } = await writeDrillReportFiles(resultsDir, report);
      // The trend page follows every report; it is regenerated from disk, so a failure here loses nothing.
      await writeDrillIndex(resultsDir).catch(() => undefined);
      return paths;
    },
    /** `results/chaos_drill_latest.json` (the runbook's path), and a copy beside the drill's report. */
    async writeChaosReport(input: { report: ChaosDrillReport }): Promise<{ path: string; copy?: string }> {
      const text = `${JSON.stringify(input.report, null, 2)}\n`;
      const file = path.join(resultsDir, CHAOS_LATEST_FILE);
      await writeFileAtomic(file, text);
      if (!input.report.drillId) return { path: file };
      const copy = path.join(drillReportPaths(resultsDir, input.report.drillId).dir, 'chaos_drill.json');
      await writeFileAtomic(copy, text);
      return { path: file, copy };
    },
    /** The runner's audit event for a finished drill (once per drill id). */
    async appendDrillAudit(input: { drillId: string; event: Record<string, unknown> }): Promise<AuditAppendResult> {
      try {
        return await appendAuditEvent(resultsDir, `drill:${input.drillId}`, { event_type: 'dr_drill_completed', drill_id: input.drillId, ...input.event });
      } catch (err) {
        // Retrying cannot repair a log that contradicts its checkpoint: an operator must look.
        if (err instanceof AuditChainBrokenError) throw ApplicationFailure.nonRetryable(err.message, FAILURE.auditChainBroken);
        throw err;
      }
    },
    /** The drill's sign-off record and audit event (drillSignOffWorkflow). */
    async writeDrillSignOff(input: { record: SignOffRecordInput }): Promise<{ record: SignOffRecord; path: string }> {
      return writeSignOffRecord(resultsDir, input.record);
    },
  };
}
