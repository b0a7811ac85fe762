/**
 * The promotion gate's activities: gather the evidence (the run's artifacts folded into SLO state,
 * its incidents, the latest drill report) and write the evidence bundle.
 */
import { type Dirent } from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ARTIFACT_FILES, dataQualityLatestSchema } from '../domain/artifacts';
import { summarizeIncidents, type IncidentEvent } from '../domain/incident-events';
import { maintenanceEventSchema, MAINTENANCE_EVENTS_FILE } from '../domain/maintenance-windows';
import {
  experimentIdSchema,
  PROMOTIONS_DIR,
  promotionVerdictSchema,
  type PromotionBundleInfo,
  type PromotionEvidence,
  type PromotionVerdict,
  type RunFileEvidence,
} from '../domain/promotion';
import { DRILL_REPORT_FILE, DRILLS_DIR, drillEvidenceSchema, pickLatestDrill, type FoundDrill } from '../domain/promotion-drill';
import { runIdSchema, targetNameSchema } from '../domain/ids';
import { renderVerdictMarkdown } from '../report/promotion-verdict';
import {
  foldKpiSource,
  initialKpiFold,
  kpiFileName,
  MAX_KPI_FILE_BYTES,
  parseKpiFile,
  type KpiEvidence,
  type KpiFile,
  type KpiFold,
  type KpiSourceFileState,
  type PromotionExtraEvidence,
} from '../domain/promotion-kpi';
import { initialSloState } from '../domain/slo-fold';
import { BUNDLE_AUDIT_HEAD_FILE } from '../io/audit-anchors';
import { readAuditHead } from '../io/audit-log';
import { PathEscapeError, resolveInside } from '../io/files';
import { InvalidRunIdError, runDir } from '../io/run-artifacts';
import { readLatestJson, readNew } from '../io/tail';
import { foldRunArtifacts, type RunArtifactCursors, type RunArtifactFileKey } from '../io/run-artifact-fold';
import { type TargetResolver } from '../io/targets';
import { reviewDrillCalendar } from './calendar';
import { writeBundleAtomically, type BundleEntry } from '../io/evidence-bundle';
import { FAILURE } from '../domain/failure-types';
import { describeIssues } from '../domain/validation-kit';

export interface PromotionActivityDeps {
  runsDir: string;
  /** Holds `drills/` (read) and `promotions/` (written). */
  resultsDir: string;
  /** Target name → config, for the market calendar named by the overdue check (issue 15). */
  targets?: TargetResolver;
  /** Paper KPI criteria files, `<kpiDir>/<experimentId>.json` (`DRILL_KPI_DIR`). */
  kpiDir?: string;
}

export interface GatherKpiEvidenceInput {
  experimentId: string;
  runId: string;
  /** Target whose drills the RTO regression compares; none: no drill history. */
  target?: string;
}

export interface GatherEvidenceInput {
  runId: string;
  target?: string;
}

export interface WriteBundleInput {
  experimentId: string;
  runId: string;
  verdict: PromotionVerdict;
  /** Evaluated bytes per artifact file (from the evidence): the bundle attaches exactly these. */
  files: Record<string, Pick<RunFileEvidence, 'present' | 'bytes'>>;
  /** Drill report path relative to the results folder, when one was found. */
  drillPath?: string;
  /** KPI path: the criteria file's text as evaluated and the run files its sources read (bytes evaluated). */
  kpi?: { raw?: string; files: Record<string, Pick<KpiSourceFileState, 'present' | 'bytes'>> };
}

export type WriteBundleResult = PromotionBundleInfo & { markdown: string };

const JSONL_FILES: Array<[Exclude<RunArtifactFileKey, 'audit'>, string]> = [
  ['orderReconciliation', ARTIFACT_FILES.orderReconciliation],
  ['positionReconciliation', ARTIFACT_FILES.positionReconciliation],
  ['opsSlo', ARTIFACT_FILES.opsSlo],
  ['dataQuality', ARTIFACT_FILES.dataQuality],
  ['incidents', ARTIFACT_FILES.incidents],
];

/** Drill reports are small; a huge one is not a report. */
const MAX_DRILL_REPORT_BYTES = 4 * 1024 * 1024;
/** Bounds one gather: 64 MiB per file per read, this many reads. */
const MAX_FOLD_ROUNDS = 10_000;

function invalid(err: unknown): never {
  if (err instanceof InvalidRunIdError || err instanceof PathEscapeError) throw ApplicationFailure.nonRetryable(err.message, FAILURE.invalidInput);
  throw err;
}

/** The run's folder under `runsDir`; an id that would leave it fails without retry. */
function runFolder(runsDir: string, runId: string): string {
  try {
    return runDir(runsDir, runId);
  } catch (err) {
    invalid(err);
  }
}

function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // Called outside an activity (unit use): nothing to report to.
  }
}

function checkId<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ message: string }> } } },
  value: unknown,
  what: string,
): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw ApplicationFailure.nonRetryable(`${what}: ${r.error.issues[0]?.message ?? 'invalid'}`, FAILURE.invalidInput);
}

/** Every readable drill report under `<resultsDir>/drills/*`, and the ones skipped with why. */
export async function findDrillReports(resultsDir: string): Promise<{ found: FoundDrill[]; problems: Array<{ path: string; problem: string }> }> {
  const root = path.join(resultsDir, DRILLS_DIR);
  const found: FoundDrill[] = [];
  const problems: Array<{ path: string; problem: string }> = [];
  let entries: Dirent[];
  try {
    entries = await fsp.readdir(root, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { found, problems };
    throw err;
  }
  for (const d of entries) {
    if (!d.isDirectory() || d.name.startsWith('.')) continue;
    const rel = `${DRILLS_DIR}/${d.name}/${DRILL_REPORT_FILE}`;
    const file = path.join(root, d.name, DRILL_REPORT_FILE);
    const st = await fsp.stat(file).catch(() => undefined);
    // A drill still running has no report yet: not a problem.
    if (!st) continue;
    if (st.size > MAX_DRILL_REPORT_BYTES) {
      problems.push({ path: rel, problem: `larger than ${MAX_DRILL_REPORT_BYTES} bytes` });
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(await fsp.readFile(file, 'utf8'));
    } catch {
      problems.push({ path: rel, problem: 'not JSON' });
      continue;
    }
    const r = drillEvidenceSchema.safeParse(raw);
    if (!r.success) {
      problems.push({ path: rel, problem: describeIssues(r.error, { root: '(report)', rootWhenBlank: true, max: 3 }) });
      continue;
    }
    found.push({ path: rel, report: r.data });
  }
  return { found, problems };
}

/**
 * The run's closed DR drill maintenance windows (`maintenance_events.jsonl`, issue 9): a drill's own
 * chaos and stop are a test, not the run's operation. A window never closed is not excluded.
 */
async function closedDrillWindows(dir: string): Promise<Array<{ windowId: string; from: string; to: string }>> {
  const r = await readNew(path.join(dir, MAINTENANCE_EVENTS_FILE), undefined, maintenanceEventSchema, { maxRecords: 100_000 });
  const opened = new Map<string, string>();
  const out: Array<{ windowId: string; from: string; to: string }> = [];
  for (const e of r.records) {
    if (e.kind !== 'drill') continue;
    const key = `${e.target}/${e.window_id}`;
    if (e.event_type === 'maintenance_window_open') {
      if (!opened.has(key)) opened.set(key, e.ts);
    } else {
      const from = opened.get(key);
      if (from && !out.some((w) => w.windowId === e.window_id && w.from === from) && Date.parse(e.ts) >= Date.parse(from))
        out.push({ windowId: e.window_id, from, to: e.ts });
    }
  }
  return out;
}

export function createPromotionActivities(deps: PromotionActivityDeps) {
  return {
    /**
     * Reads the whole run folder once (folded with the SLO folds, never held in memory), its
     * incident events, and the latest drill report. Read-only: retry-safe. A run folder that does
     * not exist fails without retry (`RunNotFound`): there is nothing to gate.
     */
    async gatherPromotionEvidence(input: GatherEvidenceInput): Promise<PromotionEvidence> {
      const runId = checkId(runIdSchema, input.runId, 'runId');
      const target = input.target === undefined ? undefined : checkId(targetNameSchema, input.target, 'target');
      const dir = runFolder(deps.runsDir, runId);
      const st = await fsp.stat(dir).catch(() => undefined);
      if (!st?.isDirectory())
        throw ApplicationFailure.nonRetryable(`run ${runId}: folder ${dir} not found (check --run-id and DRILL_RESULTS_DIR)`, FAILURE.runNotFound);

      const files: Record<string, RunFileEvidence> = {};
      for (const [, name] of JSONL_FILES) files[name] = { present: false, bytes: 0, lines: 0, corrupt: 0, problems: [] };
      const windows = await closedDrillWindows(dir);
      let excludedLines = 0;
      let cursors: RunArtifactCursors = {};
      let state = initialSloState();
      const incidentEvents: IncidentEvent[] = [];
      for (let round = 0; round < MAX_FOLD_ROUNDS; round++) {
        const r = await foldRunArtifacts(dir, cursors, state, windows.length ? { excludeWindows: windows } : {});
        excludedLines += r.excluded ?? 0;
        state = r.state;
        cursors = r.cursors;
        incidentEvents.push(...r.incidentEvents);
        for (const [key, name] of JSONL_FILES) {
          const s = r.files[key];
          const f = files[name]!;
          if (!s) continue;
          if (!s.missing) f.present = true;
          f.lines += s.read;
          f.corrupt += s.corrupt;
          for (const p of s.problems) if (f.problems.length < 5) f.problems.push(p);
          f.bytes = cursors[key]?.offset ?? 0;
        }
        heartbeat({ round });
        if (!r.more) break;
      }

      if (windows.length) {
        // The windows are part of the evidence: the bundle carries the file they came from.
        const size = (await fsp.stat(path.join(dir, MAINTENANCE_EVENTS_FILE)).catch(() => undefined))?.size ?? 0;
        files[MAINTENANCE_EVENTS_FILE] = { present: true, bytes: size, lines: windows.length * 2, corrupt: 0, problems: [] };
      }

      const latestPath = path.join(dir, ARTIFACT_FILES.dataQualityLatest);
      const latest = await readLatestJson(latestPath, dataQualityLatestSchema);
      const latestSize = (await fsp.stat(latestPath).catch(() => undefined))?.size ?? 0;
      files[ARTIFACT_FILES.dataQualityLatest] = latest.ok
        ? { present: true, bytes: latestSize, lines: 1, corrupt: 0, problems: [] }
        : {
            present: latest.reason !== 'missing',
            bytes: latestSize,
            lines: 0,
            corrupt: latest.reason === 'missing' ? 0 : 1,
            problems: latest.reason === 'invalid' ? latest.problems.slice(0, 5) : [],
          };

      const drills = await findDrillReports(deps.resultsDir);
      const latestDrill = pickLatestDrill(drills.found, target);
      return {
        runId,
        runDir: dir,
        files,
        slo: state,
        incidents: summarizeIncidents(incidentEvents),
        drill: latestDrill
          ? { status: 'found', path: latestDrill.path, report: latestDrill.report }
          : { status: 'none', searched: path.join(deps.resultsDir, DRILLS_DIR) },
        drillProblems: drills.problems,
        ...(windows.length ? { drillWindows: { windows, excludedLines } } : {}),
        ...(await calendarReviewFor(deps, target ?? latestDrill?.report.target, latestDrill?.report.finishedAt)),
      };
    },

    /** The KPI path's evidence: see {@link gatherKpiEvidence}. */
    async gatherPromotionKpiEvidence(input: GatherKpiEvidenceInput): Promise<PromotionExtraEvidence> {
      return gatherKpiEvidence(deps, input);
    },

    /**
     * Writes `<resultsDir>/promotions/<experimentId>/<runId>/`: verdict.json (schema-checked),
     * verdict.md, the run's artifacts as evaluated (`artifacts/`), the drill report (`drill/`), and
     * manifest.json with the SHA-256 of every file, all at once (see `writeBundleAtomically`). A rerun
     * replaces the whole bundle.
     */
    async writePromotionBundle(input: WriteBundleInput): Promise<WriteBundleResult> {
      const experimentId = checkId(experimentIdSchema, input.experimentId, 'experimentId');
      const runId = checkId(runIdSchema, input.runId, 'runId');
      const verdict = promotionVerdictSchema.safeParse(input.verdict);
      if (!verdict.success)
        throw ApplicationFailure.nonRetryable(
          `verdict does not match its schema: ${describeIssues(verdict.error, { root: '', max: 3 })}`,
          FAILURE.invalidInput,
        );
      let finalDir: string;
      let srcDir: string;
      try {
        finalDir = resolveInside(deps.resultsDir, PROMOTIONS_DIR, experimentId, runId);
        srcDir = runDir(deps.runsDir, runId);
      } catch (err) {
        invalid(err);
      }
      const markdown = renderVerdictMarkdown(verdict.data, { bundleDir: finalDir });
      const entries: BundleEntry[] = [
        { path: 'verdict.json', content: `${JSON.stringify(verdict.data, null, 2)}\n` },
        { path: 'verdict.md', content: markdown },
      ];
      for (const [name, f] of Object.entries(input.files)) {
        if (!f.present || !(Object.values(ARTIFACT_FILES).includes(name as never) || name === MAINTENANCE_EVENTS_FILE)) continue;
        const from = path.join(srcDir, name);
        const size = (await fsp.stat(from).catch(() => undefined))?.size;
        if (size === undefined) continue;
        entries.push({ path: `artifacts/${name}`, copyFrom: from, bytes: Math.min(f.bytes, size) });
      }
      if (input.drillPath) {
        let from: string;
        try {
          from = resolveInside(deps.resultsDir, ...input.drillPath.split('/'));
        } catch (err) {
          invalid(err);
        }
        entries.push({ path: `drill/${DRILL_REPORT_FILE}`, copyFrom: from });
      }
      if (input.kpi) {
        if (input.kpi.raw !== undefined) entries.push({ path: `kpi/${kpiFileName(experimentId)}`, content: input.kpi.raw });
        const attached = new Set(entries.map((e) => e.path));
        for (const [name, f] of Object.entries(input.kpi.files)) {
          if (!f.present || attached.has(`artifacts/${name}`) || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*\.jsonl?$/.test(name)) continue;
          const from = path.join(srcDir, name);
          const size = (await fsp.stat(from).catch(() => undefined))?.size;
          if (size === undefined) continue;
          entries.push({ path: `artifacts/${name}`, copyFrom: from, bytes: Math.min(f.bytes, size) });
        }
      }
      // Anchor the audit log: its head as of now, covered by the manifest (see domain/audit.ts).
      entries.push({ path: BUNDLE_AUDIT_HEAD_FILE, content: `${JSON.stringify(await readAuditHead(deps.resultsDir), null, 2)}\n` });
      // What the bundle is evidence of, hashed with it (subject.json): a verdict cannot be re-labelled.
      const v = verdict.data;
      const subject = {
        experimentId,
        runId,
        result: v.result,
        strict: String(v.strict),
        evaluatedAt: v.evaluatedAt,
        ...(v.target ? { target: v.target } : {}),
        ...(v.workflow ? { workflowId: v.workflow.workflowId, workflowRunId: v.workflow.runId } : {}),
      };
      const written = await writeBundleAtomically(finalDir, entries, v.evaluatedAt, subject, (p) => heartbeat({ writing: p }));
      return { dir: written.dir, files: written.files, manifestSha256: written.manifestSha256, markdown };
    },
  };
}

/** Largest KPI source file read in one gather (run files are bounded by the run, this by the gate). */
const MAX_KPI_SOURCE_BYTES = 256 * 1024 * 1024;

/** The KPI criteria file of `experimentId`: absent, invalid (with why) or parsed with its text. */
async function readKpiFile(
  kpiDir: string,
  experimentId: string,
): Promise<Exclude<KpiEvidence, { status: 'found' }> | { status: 'parsed'; path: string; raw: string; file: KpiFile }> {
  const file = path.join(kpiDir, kpiFileName(experimentId));
  const st = await fsp.stat(file).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' || err.code === 'ENOTDIR' ? undefined : Promise.reject(err)));
  if (!st) return { status: 'none', path: file };
  if (!st.isFile()) return { status: 'invalid', path: file, problems: ['not a file'] };
  if (st.size > MAX_KPI_FILE_BYTES) return { status: 'invalid', path: file, problems: [`larger than ${MAX_KPI_FILE_BYTES} bytes`] };
  const raw = await fsp.readFile(file, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    return { status: 'invalid', path: file, problems: [`not JSON: ${(err as Error).message}`] };
  }
  const parsed = parseKpiFile(json, experimentId);
  return parsed.ok ? { status: 'parsed', path: file, raw, file: parsed.file } : { status: 'invalid', path: file, problems: parsed.problems };
}

/**
 * Folds every KPI source reading `name` over its complete lines (`.jsonl`) or its one record
 * (`.json`). A trailing line without a newline is still being written: not evaluated, not attached.
 */
async function foldKpiFile(
  dir: string,
  name: string,
  sources: Array<{ i: number; source: Parameters<typeof foldKpiSource>[2] }>,
  folds: KpiFold[],
): Promise<KpiSourceFileState> {
  const file = path.join(dir, name);
  const state: KpiSourceFileState = { present: false, bytes: 0, corrupt: 0, problems: [] };
  const st = await fsp.stat(file).catch(() => undefined);
  if (!st?.isFile()) return state;
  state.present = true;
  const take = (text: string, lineNo: number) => {
    if (!text.trim()) return;
    let rec: unknown;
    try {
      rec = JSON.parse(text);
    } catch {
      state.corrupt++;
      if (state.problems.length < 5) state.problems.push(`line ${lineNo}: not JSON`);
      return;
    }
    for (const s of sources) folds[s.i] = foldKpiSource(folds[s.i] as KpiFold, rec, s.source);
  };
  if (name.endsWith('.json')) {
    if (st.size > MAX_KPI_FILE_BYTES * 64) {
      state.problems.push('too large for a single-record .json source');
      return state;
    }
    const text = await fsp.readFile(file, 'utf8');
    take(text, 1);
    state.bytes = Buffer.byteLength(text);
    return state;
  }
  const limit = Math.min(st.size, MAX_KPI_SOURCE_BYTES);
  const fh = await fsp.open(file, 'r');
  try {
    let pending = Buffer.alloc(0);
    let offset = 0;
    let lineNo = 0;
    const buf = Buffer.alloc(1024 * 1024);
    while (offset < limit) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, limit - offset), offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
      pending = Buffer.concat([pending, buf.subarray(0, bytesRead)]);
      let nl: number;
      while ((nl = pending.indexOf(0x0a)) >= 0) {
        take(pending.subarray(0, nl).toString('utf8'), ++lineNo);
        state.bytes += nl + 1;
        pending = pending.subarray(nl + 1);
      }
      heartbeat({ kpiSource: name, offset });
    }
    if (st.size > MAX_KPI_SOURCE_BYTES) state.problems.push(`only the first ${MAX_KPI_SOURCE_BYTES} bytes evaluated`);
  } finally {
    await fh.close();
  }
  return state;
}

/**
 * The gate's KPI path: the experiment's KPI criteria folded over the run, and the drill history of
 * `target` for the RTO regression. Read-only: retry-safe.
 */
export async function gatherKpiEvidence(deps: PromotionActivityDeps, input: GatherKpiEvidenceInput): Promise<PromotionExtraEvidence> {
  const experimentId = checkId(experimentIdSchema, input.experimentId, 'experimentId');
  const runId = checkId(runIdSchema, input.runId, 'runId');
  const target = input.target === undefined ? undefined : checkId(targetNameSchema, input.target, 'target');
  const dir = runFolder(deps.runsDir, runId);
  const kpiDir = deps.kpiDir ?? path.resolve('kpi');
  const read = await readKpiFile(kpiDir, experimentId);
  let kpi: KpiEvidence;
  if (read.status !== 'parsed') kpi = read;
  else {
    const folds = read.file.criteria.map(() => initialKpiFold());
    const byFile = new Map<string, Array<{ i: number; source: (typeof read.file.criteria)[number]['source'] }>>();
    read.file.criteria.forEach((c, i) => byFile.set(c.source.file, [...(byFile.get(c.source.file) ?? []), { i, source: c.source }]));
    const files: Record<string, KpiSourceFileState> = {};
    for (const [name, sources] of byFile) files[name] = await foldKpiFile(dir, name, sources, folds);
    kpi = {
      status: 'found',
      path: read.path,
      raw: read.raw,
      file: read.file,
      folds: read.file.criteria.map((c, i) => ({ metric: c.metric, fold: folds[i] as KpiFold })),
      files,
    };
  }
  const drills = target ? (await findDrillReports(deps.resultsDir)).found.filter((d) => d.report.target === target) : [];
  return {
    kpi,
    drillHistory: {
      target: target ?? null,
      drills: drills.map((d) => ({ drillId: d.report.drillId, finishedAt: d.report.finishedAt, rtoSeconds: d.report.rto.seconds, path: d.path })),
    },
  };
}

/** Market calendar (issue 15): why the target's drill may be overdue; nothing without a calendar. */
async function calendarReviewFor(deps: PromotionActivityDeps, target: string | undefined, lastDrillFinishedAt: string | undefined) {
  if (!deps.targets || !target) return {};
  const review = await reviewDrillCalendar(deps.targets, target, lastDrillFinishedAt, Date.now());
  return review ? { drillCalendar: review } : {};
}
