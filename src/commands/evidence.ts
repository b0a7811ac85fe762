/**
 * `drill evidence export --target T --since D`: one folder an auditor can take away — every drill of
 * the target in the window with its reports and sign-off, the findings with the drill that re-tested
 * each, the audit log with its head and its verification at export time, an index, and a
 * manifest.json with the SHA-256 of every file (check it with `drill verify-bundle <dir>`). Written
 * all at once: a half-written export never exists under its name.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { listDrillReports } from '../activities/reports';
import { writeBundleAtomically, type BundleEntry } from '../io/evidence-bundle';
import { DRILLS_DIR, type DrillReport } from '../domain/drill-report';
import { trackFindings, type TrackedFinding } from '../domain/drill-record';
import { SIGN_OFF_FILE, signOffRecordSchema, type SignOffRecord } from '../domain/drill-signoff';
import { targetNameSchema } from '../domain/ids';
import { collectAuditAnchors } from '../io/audit-anchors';
import { AUDIT_FILE, auditCheckpointFile, readAuditHead, verifyAuditLog } from '../io/audit-log';
import { resolveInside } from '../io/files';
import { CommandError } from './output';

/** The files of a drill folder an export carries (those present). */
const DRILL_FILES = ['report.json', 'report.md', 'report.html', 'chaos_drill.json', SIGN_OFF_FILE] as const;

export interface EvidenceExportOptions {
  target: string;
  since: string;
  until?: string;
  out?: string;
}

export interface EvidenceExportResult {
  dir: string;
  manifestSha256: string;
  files: number;
  drills: Array<{ drillId: string; result: string; startedAt: string; signOff: string }>;
  findings: Record<TrackedFinding['state'], number>;
  audit: { lines: number; ok: boolean; problems: string[] };
}

/** `YYYY-MM-DD` (midnight UTC) or an ISO date-time with offset, as epoch ms. */
export function parseSince(value: string, flag: string): number {
  const v = value.trim();
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : /^\d{4}-\d{2}-\d{2}T.+(Z|[+-]\d{2}:\d{2})$/.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(ms))
    throw new CommandError(`${flag}: expected a date (2026-11-01) or an ISO date-time with offset (2026-11-01T00:00:00Z), got ${JSON.stringify(value)}`);
  return ms;
}

async function readSignOff(file: string): Promise<SignOffRecord | undefined> {
  try {
    const r = signOffRecordSchema.safeParse(JSON.parse(await fs.readFile(file, 'utf8')));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

function signOffText(s: SignOffRecord | undefined): string {
  if (!s) return 'not signed (no record)';
  if (!s.signOff) return 'expired unsigned';
  return `${s.signOff.decision} by ${s.signOff.by} (${s.signOff.role})${s.late ? ', late' : ''}`;
}

function indexMarkdown(
  o: { target: string; since: string; until?: string; exportedAt: string },
  drills: Array<{ r: DrillReport; s: SignOffRecord | undefined }>,
  findings: TrackedFinding[],
  audit: { lines: number; ok: boolean; problems: string[] },
): string {
  const L = [
    `# DR drill evidence: ${o.target}`,
    '',
    `- window: ${o.since} → ${o.until ?? o.exportedAt} (exported ${o.exportedAt})`,
    `- drills: ${drills.length}; audit log: ${audit.lines} line(s), chain ${audit.ok ? 'intact' : `BROKEN: ${audit.problems.join('; ')}`}`,
    '- every file is listed with its SHA-256 in `manifest.json`: `drill verify-bundle <this folder>`',
    '',
    '| drill | started | result | RTO s | RPO s | sign-off | findings |',
    '|---|---|---|---|---|---|---|',
    ...drills.map(
      ({ r, s }) =>
        `| [${r.drillId}](${DRILLS_DIR}/${r.drillId}/report.md) | ${r.startedAt} | ${r.result} | ${r.rto.seconds ?? 'n/a'} | ${r.rpo.seconds ?? 'n/a'} | ${signOffText(s)} | ${r.record?.deficiencies.length ?? r.failures.length} |`,
    ),
    '',
    '## Findings',
    '',
  ];
  if (!findings.length) L.push('None.');
  else {
    L.push('| id | finding | owner | due | state | re-tested by |', '|---|---|---|---|---|---|');
    for (const f of findings)
      L.push(
        `| ${f.id} | ${f.finding.replace(/\|/g, '\\|')} | ${f.owner} | ${f.dueAt} | ${f.state} | ${f.retestedBy ? `${f.retestedBy.drillId} (${f.retestedBy.result})` : ''} |`,
      );
  }
  return `${L.join('\n')}\n`;
}

export async function evidenceExport(o: EvidenceExportOptions, deps: { resultsDir: string; now?: Date }): Promise<EvidenceExportResult> {
  const t = targetNameSchema.safeParse(o.target);
  if (!t.success) throw new CommandError(`--target: ${t.error.issues[0]?.message ?? 'invalid'}`);
  const target = t.data;
  const since = parseSince(o.since, '--since');
  const until = o.until !== undefined ? parseSince(o.until, '--until') : undefined;
  if (until !== undefined && until <= since) throw new CommandError('--until must be after --since');
  const now = deps.now ?? new Date();
  const exportedAt = now.toISOString();

  const { reports, problems } = await listDrillReports(deps.resultsDir);
  const ofTarget = reports.map((x) => x.report).filter((r) => r.target === target);
  const inWindow = ofTarget
    .filter((r) => Date.parse(r.startedAt) >= since && (until === undefined || Date.parse(r.startedAt) < until))
    .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt) || (a.drillId < b.drillId ? -1 : 1));
  if (!inWindow.length)
    throw new CommandError(
      `no drill report of ${target} started since ${new Date(since).toISOString()}${until !== undefined ? ` and before ${new Date(until).toISOString()}` : ''} under ${path.join(deps.resultsDir, DRILLS_DIR)}${problems.length ? ` (${problems.length} unreadable report(s))` : ''}`,
      1,
    );

  const entries: BundleEntry[] = [];
  const drills: Array<{ r: DrillReport; s: SignOffRecord | undefined }> = [];
  for (const r of inWindow) {
    const dir = resolveInside(deps.resultsDir, DRILLS_DIR, r.drillId);
    for (const name of DRILL_FILES) {
      const from = path.join(dir, name);
      if (
        await fs.stat(from).then(
          (st) => st.isFile(),
          () => false,
        )
      )
        entries.push({ path: `${DRILLS_DIR}/${r.drillId}/${name}`, copyFrom: from });
    }
    drills.push({ r, s: await readSignOff(path.join(dir, SIGN_OFF_FILE)) });
  }
  // Re-tests may come after the window: the target's later drills decide each finding's state.
  const exported = new Set(inWindow.map((r) => r.drillId));
  const findings = trackFindings(ofTarget, exportedAt).filter((f) => exported.has(f.drillId));
  entries.push({ path: 'findings.json', content: `${JSON.stringify(findings, null, 2)}\n` });

  // The audit log as of now (whole lines only), its checkpoint, its head, and its verification.
  const logFile = path.join(deps.resultsDir, AUDIT_FILE);
  const logText = await fs.readFile(logFile, 'utf8').catch(() => '');
  const whole = logText.slice(0, logText.lastIndexOf('\n') + 1);
  if (whole) entries.push({ path: 'audit/drill-runner.jsonl', content: whole });
  const checkpoint = await fs.readFile(auditCheckpointFile(logFile), 'utf8').catch(() => undefined);
  if (checkpoint !== undefined) entries.push({ path: `audit/${path.basename(auditCheckpointFile(logFile))}`, content: checkpoint });
  entries.push({ path: 'audit/audit-head.json', content: `${JSON.stringify(await readAuditHead(deps.resultsDir), null, 2)}\n` });
  const anchors = await collectAuditAnchors(deps.resultsDir);
  const verified = await verifyAuditLog(logFile, anchors.anchors);
  const audit = { lines: verified.lines, ok: verified.ok && anchors.problems.length === 0, problems: [...verified.problems, ...anchors.problems] };
  entries.push({
    path: 'audit/verification.json',
    content: `${JSON.stringify({ verifiedAt: exportedAt, ...verified, problems: audit.problems, ok: audit.ok }, null, 2)}\n`,
  });
  entries.push({
    path: 'index.md',
    content: indexMarkdown(
      { target, since: new Date(since).toISOString(), ...(until !== undefined ? { until: new Date(until).toISOString() } : {}), exportedAt },
      drills,
      findings,
      audit,
    ),
  });

  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const out = path.resolve(o.out ?? path.join(deps.resultsDir, 'evidence', `${target}_${day(since)}_${day(until ?? now.getTime())}`));
  const subject = {
    kind: 'dr-drill-evidence',
    target,
    since: new Date(since).toISOString(),
    until: until !== undefined ? new Date(until).toISOString() : exportedAt,
    drills: String(inWindow.length),
  };
  const written = await writeBundleAtomically(out, entries, exportedAt, subject);
  const count = (state: TrackedFinding['state']) => findings.filter((f) => f.state === state).length;
  return {
    dir: written.dir,
    manifestSha256: written.manifestSha256,
    files: written.files.length,
    drills: drills.map(({ r, s }) => ({ drillId: r.drillId, result: r.result, startedAt: r.startedAt, signOff: signOffText(s) })),
    findings: { open: count('open'), overdue: count('overdue'), closed: count('closed'), 'still failing': count('still failing') },
    audit,
  };
}

export function describeEvidenceExport(r: EvidenceExportResult): string {
  return [
    `${r.dir}: ${r.drills.length} drill(s), ${r.files} file(s); manifest sha256 ${r.manifestSha256}`,
    ...r.drills.map((d) => `  ${d.drillId} ${d.startedAt} ${d.result.toUpperCase()} — ${d.signOff}`),
    `findings: ${Object.entries(r.findings)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}`,
    `audit log: ${r.audit.lines} line(s), ${r.audit.ok ? 'chain intact' : `BROKEN: ${r.audit.problems.join('; ')}`}`,
    `check it: drill verify-bundle ${r.dir} --expect-hash ${r.manifestSha256}`,
  ].join('\n');
}
