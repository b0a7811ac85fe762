/**
 * A drill report as Markdown (CI summaries) and as a self-contained HTML page with an inline SVG
 * timeline: detection → stop → restart → first clean reconciliation, and RTO/RPO bars against
 * their targets. Pure string building: no I/O, no scripts, every value escaped.
 */
import type { DrillReport } from '../domain/drill-report';

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const fmtS = (s: number | null) => (s === null ? 'not measured' : `${s.toFixed(3)} s`);
const verdict = (ok: boolean) => (ok ? 'ok' : 'FAILED');

const MARKS: Array<{ key: keyof DrillReport['timeline']; label: string }> = [
  { key: 'lastStateSaveAt', label: 'last state save' },
  { key: 'stopRequestedAt', label: 'stop requested' },
  { key: 'detectedAt', label: 'outage detected' },
  { key: 'stoppedAt', label: 'stopped' },
  { key: 'restartStartedAt', label: 'restarted process started' },
  { key: 'restartCompleteAt', label: 'restart complete' },
  { key: 'restoredStateSavedAt', label: 'restored state saved' },
  { key: 'firstSloSnapshotAt', label: 'SLO monitor emitting' },
  { key: 'firstCleanReconciliationAt', label: 'first clean reconciliation' },
];

const metText = (m: boolean | null) => (m === null ? 'not exercised' : m ? 'met' : 'NOT MET');

/** The test record (scope, objectives, preconditions, findings, procedure, sign-off) as Markdown sections. */
function recordMarkdown(r: DrillReport): string[] {
  const rec = r.record;
  if (!rec) return [];
  const cell = (x: string) => x.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const L: string[] = [];
  L.push('## Scope', '', `- ${rec.scope.drillType}`, `- target \`${rec.scope.target}\` (${rec.scope.mode}); scenarios: ${rec.scope.scenarios.join(', ') || 'none'}`, `- systems: ${rec.scope.systems.join('; ')}`, '');
  L.push('## Objectives', '', '| objective | target | measured | |', '|---|---|---|---|');
  for (const o of rec.objectives) L.push(`| ${cell(o.objective)} | ${cell(o.target)} | ${cell(o.measured)} | ${metText(o.met)} |`);
  L.push('', '## Preconditions (preflight)', '', ...rec.preconditions.map((c) => `- ${c.ok ? '✅' : '❌'} ${c.name}: ${c.detail}`), '');
  L.push('## Findings', '');
  if (rec.deficiencies.length) {
    L.push('| id | finding | owner | due | re-test |', '|---|---|---|---|---|');
    for (const f of rec.deficiencies) L.push(`| ${f.id} | ${cell(f.finding)} | ${cell(f.owner)} | ${f.dueAt} | ${cell(f.retest)} |`);
  } else L.push('None.');
  L.push('');
  if (rec.procedure) {
    const pv = rec.procedure;
    L.push('## Procedure version', '', `- ${pv.runbook}`, `- drill-runner ${pv.packageVersion}, commit ${pv.commit ?? 'unknown'}`, `- workflow bundle sha256: ${pv.workflowBundleSha256 ?? 'none (bundled at worker start)'}`, '');
  }
  if (rec.signOff) {
    L.push('## Sign-off', '', `- approver ${rec.signOff.approver}, due ${rec.signOff.dueAt}; backup ${rec.signOff.backupApprover} paged if none by then`, `- \`drill sign-off --target ${r.target} --drill-id ${r.drillId} --by <name> --role <role> --decision accepted\` (workflow \`${rec.signOff.workflowId}\`); the record: \`signoff.json\` beside this report`, '');
  }
  return L;
}

function recordHtml(r: DrillReport, rows: (xs: string[][]) => string): string {
  const rec = r.record;
  if (!rec) return '';
  const pv = rec.procedure;
  return `<h2>Scope</h2><p>${esc(rec.scope.drillType)}.<br>Target <b>${esc(rec.scope.target)}</b> (${esc(rec.scope.mode)}); scenarios: ${esc(rec.scope.scenarios.join(', ') || 'none')}.<br>Systems: ${esc(rec.scope.systems.join('; '))}.</p>
<h2>Objectives</h2><table><tr><th>objective</th><th>target</th><th>measured</th><th>verdict</th></tr>
${rows(rec.objectives.map((o) => [o.objective, o.target, o.measured, metText(o.met)]))}</table>
<h2>Preconditions (preflight)</h2><table>${rows(rec.preconditions.map((c) => [c.ok ? 'ok' : 'NOT MET', c.name, c.detail]))}</table>
<h2>Findings</h2>${rec.deficiencies.length ? `<table><tr><th>id</th><th>finding</th><th>owner</th><th>due</th><th>re-test</th></tr>
${rows(rec.deficiencies.map((f) => [f.id, f.finding, f.owner, f.dueAt, f.retest]))}</table>` : '<p>None.</p>'}
${pv ? `<h2>Procedure version</h2><p>${esc(pv.runbook)}; drill-runner ${esc(pv.packageVersion)}, commit ${esc(pv.commit ?? 'unknown')}; workflow bundle sha256 ${esc(pv.workflowBundleSha256 ?? 'none (bundled at worker start)')}</p>` : ''}
${rec.signOff ? `<h2>Sign-off</h2><p>Approver ${esc(rec.signOff.approver)}, due ${esc(rec.signOff.dueAt)}; backup ${esc(rec.signOff.backupApprover)} is paged if nobody signs by then. Workflow <code>${esc(rec.signOff.workflowId)}</code>; the record is <a href="signoff.json">signoff.json</a> once signed.</p>` : ''}`;
}

export function renderDrillMarkdown(r: DrillReport, files: { json?: string; html?: string } = {}): string {
  const L: string[] = [];
  L.push(`# DR drill ${r.drillId}: ${r.result.toUpperCase()}`, '');
  L.push(`- target: \`${r.target}\` (${r.mode})`, `- started ${r.startedAt}, finished ${r.finishedAt}`);
  L.push(`- RTO: ${fmtS(r.rto.seconds)} (target ≤ ${r.rto.targetSeconds} s) — ${verdict(r.rto.ok)}`);
  L.push(`- RPO: ${fmtS(r.rpo.seconds)} (target ≤ ${r.rpo.targetSeconds} s) — ${verdict(r.rpo.ok)}`);
  if (r.recovery) {
    const b = r.recovery;
    L.push(`- from the outage start${b.outageStartAt ? ` (${b.outageStartAt})` : ''}: detected ${fmtS(b.timeToDetectSeconds)}, restart complete ${fmtS(b.restartCompleteSeconds)}, first clean reconciliation ${fmtS(b.firstCleanReconciliationSeconds)}`);
  }
  if (r.abortReason) L.push(`- aborted: ${r.abortReason}`);
  const v = r.deploymentVersion;
  const how = v?.versioning ? ' (pinned, Worker Deployment Versioning)' : ' (versioning off)';
  if (v) L.push(`- ran on: \`${v.deploymentName}.${v.buildId}\`${how}`);
  if (files.json) L.push(`- report: \`${files.json}\``);
  if (files.html) L.push(`- timeline: \`${files.html}\``);
  L.push('');
  if (r.failures.length) {
    L.push('## Failures', '', ...r.failures.map((f) => `- ${f}`), '');
  }
  L.push('## Timeline', '', '| event | time |', '|---|---|');
  for (const m of MARKS) if (r.timeline[m.key]) L.push(`| ${m.label} | ${r.timeline[m.key]} |`);
  L.push('');
  if (r.recovery) L.push('## Definitions', '', ...Object.values(r.recovery.definitions).map((d) => `- ${d}`), '');
  if (r.steps.length) {
    L.push('## Steps', '', '| # | step | status | started | finished | detail |', '|---|---|---|---|---|---|');
    for (const s of r.steps) L.push(`| ${s.index} | ${s.name} | ${s.status} | ${s.startedAt} | ${s.finishedAt ?? ''} | ${(s.detail ?? '').replace(/\|/g, '\\|')} |`);
    L.push('');
  }
  if (r.chaos.length) {
    L.push('## Chaos drill', '', '| scenario | detected | signal | detection s | recovered |', '|---|---|---|---|---|');
    for (const c of r.chaos) L.push(`| ${c.scenario} | ${c.detected ? 'yes' : 'NO'} | ${c.signal ?? ''} | ${c.detectionSeconds?.toFixed(3) ?? ''} | ${c.recovered === undefined ? '' : c.recovered ? 'yes' : 'NO'} |`);
    L.push('');
  }
  if (r.chaosStatus === 'skipped' || r.chaosSkipped.length) {
    L.push(`Chaos ${r.chaosStatus === 'skipped' ? 'skipped: nothing injected' : 'scenarios not run'}:`, '', ...r.chaosSkipped.map((x) => `- ${x.scenario}: ${x.reason}`), '');
  }
  if (r.incidents && (r.incidents.attributed.length || r.incidents.outlived.length)) {
    L.push(`## Incidents caused by the drill (maintenance window ${r.incidents.windowId})`, '', '| incident | cause | opened | closed by the rollback |', '|---|---|---|---|');
    for (const a of r.incidents.attributed) L.push(`| ${a.incidentId} | ${a.cause} | ${a.openedAt} | ${a.resolvedAt ?? 'yes'} |`);
    for (const a of r.incidents.outlived) L.push(`| ${a.incidentId} | ${a.cause} | ${a.openedAt} | NO: still open after the rollback (real) |`);
    L.push('');
  }
  if (r.checks.length) {
    L.push('## Checks', '', ...r.checks.map((c) => `- ${c.ok ? '✅' : '❌'} ${c.name}: ${c.detail}`), '');
  }
  if (r.rollback.length) L.push('## Rollback', '', ...r.rollback.map((x) => `- ${x}`), '');
  L.push(...recordMarkdown(r));
  return `${L.join('\n')}\n`;
}

/** The timeline picture: events on a time axis, then RTO and RPO bars against their targets. */
export function renderTimelineSvg(r: DrillReport): string {
  const W = 900;
  const pad = 40;
  const marks = MARKS.filter((m) => r.timeline[m.key]).map((m) => ({ ...m, t: Date.parse(r.timeline[m.key]!) }));
  const parts: string[] = [];
  let y = 30;
  parts.push(`<text x="${pad}" y="${y - 12}" class="h">Timeline</text>`);
  if (marks.length) {
    const t0 = Math.min(...marks.map((m) => m.t));
    const t1 = Math.max(...marks.map((m) => m.t), t0 + 1);
    const x = (t: number) => pad + ((t - t0) / (t1 - t0)) * (W - 2 * pad);
    y += 30;
    parts.push(`<line x1="${pad}" y1="${y}" x2="${W - pad}" y2="${y}" class="axis"/>`);
    marks.forEach((m, i) => {
      const cx = x(m.t);
      const ly = y + 20 + (i % 4) * 16;
      parts.push(`<circle cx="${cx.toFixed(1)}" cy="${y}" r="5" class="mark"><title>${esc(m.label)} ${esc(r.timeline[m.key])}</title></circle>`);
      parts.push(`<line x1="${cx.toFixed(1)}" y1="${y}" x2="${cx.toFixed(1)}" y2="${ly - 10}" class="tick"/>`);
      parts.push(`<text x="${cx.toFixed(1)}" y="${ly}" class="lbl" text-anchor="middle">${esc(m.label)} +${((m.t - t0) / 1000).toFixed(2)}s</text>`);
    });
    y += 100;
  } else {
    y += 20;
    parts.push(`<text x="${pad}" y="${y}" class="lbl">no timeline events recorded</text>`);
    y += 20;
  }
  for (const [name, m] of [['RTO', r.rto], ['RPO', r.rpo]] as const) {
    const scale = Math.max(m.targetSeconds, m.seconds ?? 0) * 1.1 || 1;
    const bw = (s: number) => (s / scale) * (W - 2 * pad - 120);
    parts.push(`<text x="${pad}" y="${y + 14}" class="h">${name}</text>`);
    parts.push(`<rect x="${pad + 60}" y="${y}" width="${bw(m.targetSeconds).toFixed(1)}" height="18" class="target"><title>target ${m.targetSeconds} s</title></rect>`);
    if (m.seconds !== null) parts.push(`<rect x="${pad + 60}" y="${y + 4}" width="${Math.max(1, bw(m.seconds)).toFixed(1)}" height="10" class="${m.ok ? 'ok' : 'bad'}"><title>measured ${m.seconds} s</title></rect>`);
    parts.push(`<text x="${pad + 66 + bw(Math.max(m.targetSeconds, m.seconds ?? 0))}" y="${y + 14}" class="lbl">${esc(fmtS(m.seconds))} / target ${m.targetSeconds} s — ${verdict(m.ok)}</text>`);
    y += 34;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 10}" viewBox="0 0 ${W} ${y + 10}" role="img" aria-label="drill timeline">
<style>.axis{stroke:#555;stroke-width:2}.tick{stroke:#aaa}.mark{fill:#1f6feb}.lbl{font:11px sans-serif;fill:#222}.h{font:bold 13px sans-serif}.target{fill:#e6e6e6;stroke:#999}.ok{fill:#2da44e}.bad{fill:#cf222e}</style>
${parts.join('\n')}
</svg>`;
}

export function renderDrillHtml(r: DrillReport): string {
  const rows = (xs: string[][]) => xs.map((c) => `<tr>${c.map((v) => `<td>${esc(v)}</td>`).join('')}</tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DR drill ${esc(r.drillId)}: ${esc(r.result)}</title>
<style>body{font:14px sans-serif;margin:2em;max-width:960px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}.pass{color:#2da44e}.fail,.error,.aborted{color:#cf222e}</style></head>
<body>
<h1>DR drill ${esc(r.drillId)}: <span class="${esc(r.result)}">${esc(r.result.toUpperCase())}</span></h1>
<p>target <b>${esc(r.target)}</b> (${esc(r.mode)}), started ${esc(r.startedAt)}, finished ${esc(r.finishedAt)}${r.abortReason ? `, aborted: ${esc(r.abortReason)}` : ''} · <a href="../index.html">all drills: trend per target</a></p>
${renderTimelineSvg(r)}
${r.failures.length ? `<h2>Failures</h2><ul>${r.failures.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>` : ''}
<h2>Steps</h2><table><tr><th>#</th><th>step</th><th>status</th><th>started</th><th>finished</th><th>detail</th></tr>
${rows(r.steps.map((s) => [String(s.index), s.name, s.status, s.startedAt, s.finishedAt ?? '', s.detail ?? '']))}</table>
${r.chaos.length ? `<h2>Chaos drill</h2><table><tr><th>scenario</th><th>detected</th><th>signal</th><th>detection s</th><th>recovered</th></tr>
${rows(r.chaos.map((c) => [c.scenario, c.detected ? 'yes' : 'NO', c.signal ?? '', c.detectionSeconds?.toFixed(3) ?? '', c.recovered === undefined ? '' : c.recovered ? 'yes' : 'NO']))}</table>` : ''}
${r.chaosStatus === 'skipped' || r.chaosSkipped.length ? `<p>Chaos ${r.chaosStatus === 'skipped' ? 'skipped: nothing injected' : 'scenarios not run'}:</p><ul>${r.chaosSkipped.map((x) => `<li>${esc(x.scenario)}: ${esc(x.reason)}</li>`).join('')}</ul>` : ''}
${r.incidents && (r.incidents.attributed.length || r.incidents.outlived.length) ? `<h2>Incidents caused by the drill</h2><table><tr><th>incident</th><th>cause</th><th>opened</th><th>closed by the rollback</th></tr>
${rows([...r.incidents.attributed.map((a) => [a.incidentId, a.cause, a.openedAt, a.resolvedAt ?? 'yes']), ...r.incidents.outlived.map((a) => [a.incidentId, a.cause, a.openedAt, 'NO: still open after the rollback (real)'])])}</table>` : ''}
${r.checks.length ? `<h2>Checks</h2><table>${rows(r.checks.map((c) => [c.ok ? 'ok' : 'FAILED', c.name, c.detail]))}</table>` : ''}
${r.rollback.length ? `<h2>Rollback</h2><ul>${r.rollback.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : ''}
${recordHtml(r, rows)}
</body></html>
`;
}
