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

/** The target's mode, unless the preflight never read it (an unknown or unreachable target). */
const modeText = (r: DrillReport) =>
  r.record && r.record.preconditions.length === 1 && r.record.preconditions[0]!.name === 'preflight' && !r.record.preconditions[0]!.ok
    ? 'mode unknown: the preflight did not run'
    : r.mode;
const metText = (m: boolean | null) => (m === null ? 'not exercised' : m ? 'met' : 'NOT MET');

/** The test record (scope, objectives, preconditions, findings, procedure, sign-off) as Markdown sections. */
function recordMarkdown(r: DrillReport): string[] {
  const rec = r.record;
  if (!rec) return [];
  const cell = (x: string) => x.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const L: string[] = [];
  L.push(
    '## Scope',
    '',
    `- ${rec.scope.drillType}`,
    `- target \`${rec.scope.target}\` (${rec.scope.mode}); scenarios: ${rec.scope.scenarios.join(', ') || 'none'}`,
    `- systems: ${rec.scope.systems.join('; ')}`,
    '',
  );
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
    L.push(
      '## Procedure version',
      '',
      `- ${pv.runbook}`,
      `- drill-runner ${pv.packageVersion}, commit ${pv.commit ?? 'unknown'}`,
      `- workflow bundle sha256: ${pv.workflowBundleSha256 ?? 'none (bundled at worker start)'}`,
      '',
    );
  }
  if (rec.signOff) {
    L.push(
      '## Sign-off',
      '',
      `- approver ${rec.signOff.approver}, due ${rec.signOff.dueAt}; backup ${rec.signOff.backupApprover} paged if none by then`,
      `- \`drill sign-off --target ${r.target} --drill-id ${r.drillId} --by <name> --role <role> --decision accepted\` (workflow \`${rec.signOff.workflowId}\`); the record: \`signoff.json\` beside this report`,
      '',
    );
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
<h2>Findings</h2>${
    rec.deficiencies.length
      ? `<table><tr><th>id</th><th>finding</th><th>owner</th><th>due</th><th>re-test</th></tr>
${rows(rec.deficiencies.map((f) => [f.id, f.finding, f.owner, f.dueAt, f.retest]))}</table>`
      : '<p>None.</p>'
  }
${pv ? `<h2>Procedure version</h2><p>${esc(pv.runbook)}; drill-runner ${esc(pv.packageVersion)}, commit ${esc(pv.commit ?? 'unknown')}; workflow bundle sha256 ${esc(pv.workflowBundleSha256 ?? 'none (bundled at worker start)')}</p>` : ''}
${rec.signOff ? `<h2>Sign-off</h2><p>Approver ${esc(rec.signOff.approver)}, due ${esc(rec.signOff.dueAt)}; backup ${esc(rec.signOff.backupApprover)} is paged if nobody signs by then. Workflow <code>${esc(rec.signOff.workflowId)}</code>; the record is <a href="signoff.json">signoff.json</a> once signed.</p>` : ''}`;
}

export function renderDrillMarkdown(r: DrillReport, files: { json?: string; html?: string } = {}): string {
  const L: string[] = [];
  L.push(`# DR drill ${r.drillId}: ${r.result.toUpperCase()}`, '');
  L.push(`- target: \`${r.target}\` (${modeText(r)})`, `- started ${r.startedAt}, finished ${r.finishedAt}`);
  L.push(`- RTO: ${fmtS(r.rto.seconds)} (target ≤ ${r.rto.targetSeconds} s) — ${verdict(r.rto.ok)}`);
  L.push(`- RPO: ${fmtS(r.rpo.seconds)} (target ≤ ${r.rpo.targetSeconds} s) — ${verdict(r.rpo.ok)}`);
  if (r.recovery) {
    const b = r.recovery;
    L.push(
      `- from the outage start${b.outageStartAt ? ` (${b.outageStartAt})` : ''}: detected ${fmtS(b.timeToDetectSeconds)}, restart complete ${fmtS(b.restartCompleteSeconds)}, first clean reconciliation ${fmtS(b.firstCleanReconciliationSeconds)}`,
    );
  }
  if (r.abortReason) L.push(`- aborted: ${r.abortReason}`);
  const v = r.deploymentVersion;
  const how = v?.versioning ? ' (pinned, Worker Deployment Versioning)' : ' (versioning off)';
  if (v) L.push(`- ran on: \`${v.deploymentName}.${v.buildId}\`${how}`);
  // Relative to report.md (it sits beside them): the links work wherever the folder is copied.
  if (files.json) L.push(`- report: [${files.json}](${files.json})`);
  if (files.html) L.push(`- timeline: [${files.html}](${files.html})`);
  L.push('');
  if (r.failures.length) {
    L.push('## Failures', '', ...r.failures.map((f) => `- ${f}`), '');
  }
  L.push('## Timeline', '', '| event | time |', '|---|---|');
  // In the order they happened (ties in the order of the drill's steps).
  const seen = MARKS.filter((m) => r.timeline[m.key]).map((m, i) => ({ ...m, i, t: Date.parse(r.timeline[m.key]!) }));
  for (const m of seen.sort((a, b) => a.t - b.t || a.i - b.i)) L.push(`| ${m.label} | ${r.timeline[m.key]} |`);
  L.push('');
  if (r.recovery) L.push('## Definitions', '', ...Object.values(r.recovery.definitions).map((d) => `- ${d}`), '');
  if (r.steps.length) {
    L.push('## Steps', '', '| # | step | status | started | finished | detail |', '|---|---|---|---|---|---|');
    for (const s of r.steps)
      L.push(`| ${s.index} | ${s.name} | ${s.status} | ${s.startedAt} | ${s.finishedAt ?? ''} | ${(s.detail ?? '').replace(/\|/g, '\\|')} |`);
    L.push('');
  }
  if (r.chaos.length) {
    L.push('## Chaos drill', '', '| scenario | detected | signal | detection s | recovered |', '|---|---|---|---|---|');
    for (const c of r.chaos)
      L.push(
        `| ${c.scenario} | ${c.detected ? 'yes' : 'NO'} | ${c.signal ?? ''} | ${c.detectionSeconds?.toFixed(3) ?? ''} | ${c.recovered === undefined ? '' : c.recovered ? 'yes' : 'NO'} |`,
      );
    L.push('');
  }
  if (r.chaosStatus === 'skipped' || r.chaosSkipped.length) {
    L.push(
      `Chaos ${r.chaosStatus === 'skipped' ? 'skipped: nothing injected' : 'scenarios not run'}:`,
      '',
      ...r.chaosSkipped.map((x) => `- ${x.scenario}: ${x.reason}`),
      '',
    );
  }
  if (r.incidents && (r.incidents.attributed.length || r.incidents.outlived.length)) {
    L.push(
      `## Incidents caused by the drill (maintenance window ${r.incidents.windowId})`,
      '',
      '| incident | cause | opened | closed by the rollback |',
      '|---|---|---|---|',
    );
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

/** Width of a label at 11 px sans-serif, a little generous (the layout only needs an upper bound). */
const textWidth = (s: string) => s.length * 6.6;

/** The outage's phases as bands between two timeline marks. */
const PHASES: Array<{ from: keyof DrillReport['timeline']; to: keyof DrillReport['timeline']; label: string; cls: string }> = [
  { from: 'lastStateSaveAt', to: 'stopRequestedAt', label: 'data at risk (RPO)', cls: 'p-rpo' },
  { from: 'stopRequestedAt', to: 'stoppedAt', label: 'graceful drain', cls: 'p-drain' },
  { from: 'stoppedAt', to: 'restartCompleteAt', label: 'down', cls: 'p-down' },
  { from: 'restartCompleteAt', to: 'firstCleanReconciliationAt', label: 'verification', cls: 'p-verify' },
];

/**
 * Labels in rows: each goes to the first row where it clears the previous label by `gap`, its box
 * clamped inside [lo, hi]. Returns each label's left edge and row.
 */
export function placeLabels(items: ReadonlyArray<{ x: number; width: number }>, lo: number, hi: number, gap = 8): Array<{ left: number; row: number }> {
  const rowsRight: number[] = [];
  const order = items.map((it, i) => ({ ...it, i })).sort((a, b) => a.x - b.x || a.i - b.i);
  const out: Array<{ left: number; row: number }> = new Array(items.length);
  for (const it of order) {
    const left = Math.min(Math.max(it.x - it.width / 2, lo), Math.max(lo, hi - it.width));
    let row = rowsRight.findIndex((r) => r + gap <= left);
    if (row < 0) {
      row = rowsRight.length;
      rowsRight.push(0);
    }
    rowsRight[row] = left + it.width;
    out[it.i] = { left, row };
  }
  return out;
}

/**
 * Blocks of label lines beside their leaders: right of `x` when they fit, else left of it; each at the
 * first height (from `top`) where its box touches no other block and no leader line crosses a block
 * (its own leader runs from the axis down to its first line). Returns left and top of each.
 */
export function placeBlocks(
  items: ReadonlyArray<{ x: number; width: number; height: number }>,
  o: { lo: number; hi: number; top: number; gap: number },
): Array<{ left: number; top: number }> {
  const placed: Array<{ x: number; left: number; top: number; right: number; bottom: number }> = [];
  return items.map((it) => {
    const left = it.x + 6 + it.width <= o.hi ? it.x + 6 : Math.max(o.lo, it.x - 6 - it.width);
    const right = left + it.width;
    const boxesTouch = (top: number) =>
      placed.some((p) => left < p.right + o.gap && p.left < right + o.gap && top < p.bottom + o.gap && p.top < top + it.height + o.gap);
    const leadersCross = (top: number) =>
      placed.some(
        (p) =>
          // this leader through a block above this one's first line
          (it.x >= p.left - 2 && it.x <= p.right + 2 && p.top < top) ||
          // another block's leader through this block
          (p.x >= left - 2 && p.x <= right + 2 && p.top > top),
      );
    const candidates = [o.top, ...placed.map((p) => p.bottom + o.gap)].sort((a, b) => a - b);
    const top =
      candidates.find((c) => !boxesTouch(c) && !leadersCross(c)) ?? candidates.find((c) => !boxesTouch(c)) ?? Math.max(...placed.map((p) => p.bottom + o.gap));
    placed.push({ x: it.x, left, top, right, bottom: top + it.height });
    return { left, top };
  });
}

/** A scale for one measure against its target: linear, or logarithmic when they differ by more than 20×. */
export function measureScale(values: readonly number[], width: number): { log: boolean; pos: (v: number) => number; ticks: Array<{ v: number; x: number }> } {
  const positive = values.filter((v) => v > 0);
  const max = Math.max(...values, 1e-9);
  const min = positive.length ? Math.min(...positive) : max;
  if (max / min <= 20) return { log: false, pos: (v) => (Math.max(0, v) / (max * 1.1)) * width, ticks: [] };
  const lo = Math.floor(Math.log10(min));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
  const pos = (v: number) => (v <= 0 ? 0 : Math.min(1, Math.max(0, (Math.log10(v) - lo) / (hi - lo))) * width);
  const ticks: Array<{ v: number; x: number }> = [];
  for (let e = lo; e <= hi; e++) ticks.push({ v: 10 ** e, x: pos(10 ** e) });
  return { log: true, pos, ticks };
}

const tickText = (v: number) => `${v >= 1 ? v.toFixed(0) : Number(v.toPrecision(1))} s`;

/**
 * The timeline picture: the outage's phases as bands with a legend, each event as a dot on a time axis
 * with its label in the first row where it does not touch another (never clipped at the edges), then
 * RTO and RPO against their targets, each on its own scale (log when they differ by more than 20×).
 */
export function renderTimelineSvg(r: DrillReport): string {
  const W = 900;
  const pad = 40;
  const marks = MARKS.filter((m) => r.timeline[m.key]).map((m) => ({ ...m, t: Date.parse(r.timeline[m.key]!) }));
  const parts: string[] = [];
  parts.push(`<text x="${pad}" y="18" class="h">Timeline</text>`);
  let y = 34;
  if (marks.length) {
    const t0 = Math.min(...marks.map((m) => m.t));
    const t1 = Math.max(...marks.map((m) => m.t), t0 + 1);
    const x = (t: number) => pad + ((t - t0) / (t1 - t0)) * (W - 2 * pad);
    // Phases: bands above the axis, named in a legend (a band can be too thin for its name).
    const phases = PHASES.filter((ph) => r.timeline[ph.from] && r.timeline[ph.to]).map((ph) => ({
      ...ph,
      a: Date.parse(r.timeline[ph.from]!),
      b: Date.parse(r.timeline[ph.to]!),
    }));
    for (const ph of phases) {
      const x1 = x(Math.min(ph.a, ph.b));
      const w = Math.max(2, Math.abs(x(ph.b) - x(ph.a)));
      parts.push(
        `<rect x="${x1.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="14" class="band ${ph.cls}"><title>${esc(ph.label)}: ${((ph.b - ph.a) / 1000).toFixed(2)} s</title></rect>`,
      );
    }
    const axis = y + 24;
    parts.push(`<line x1="${pad}" y1="${axis}" x2="${W - pad}" y2="${axis}" class="axis"/>`);
    // Events at (nearly) the same instant share one dot and one block of lines; each block sits beside
    // its leader (right of it, or left near the right edge), at the first height where it touches no other.
    const groups: Array<{ x: number; lines: string[]; titles: string[] }> = [];
    for (const m of [...marks].sort((a, b) => a.t - b.t)) {
      const gx = x(m.t);
      const text = `${m.label} +${((m.t - t0) / 1000).toFixed(2)}s`;
      const last = groups.at(-1);
      if (last && gx - last.x < 2) {
        last.lines.push(text);
        last.titles.push(`${m.label} ${r.timeline[m.key]}`);
      } else groups.push({ x: gx, lines: [text], titles: [`${m.label} ${r.timeline[m.key]}`] });
    }
    const LINE = 15;
    const blocks = placeBlocks(
      groups.map((g) => ({ x: g.x, width: Math.max(...g.lines.map(textWidth)), height: g.lines.length * LINE })),
      { lo: 4, hi: W - 4, top: axis + 12, gap: 4 },
    );
    let bottom = axis + 12;
    groups.forEach((g, i) => {
      const b = blocks[i]!;
      parts.push(`<line x1="${g.x.toFixed(1)}" y1="${axis}" x2="${g.x.toFixed(1)}" y2="${(b.top + LINE - 4).toFixed(1)}" class="tick"/>`);
      parts.push(`<circle cx="${g.x.toFixed(1)}" cy="${axis}" r="5" class="mark"><title>${esc(g.titles.join('; '))}</title></circle>`);
      g.lines.forEach((l, k) => parts.push(`<text x="${b.left.toFixed(1)}" y="${(b.top + (k + 1) * LINE - 4).toFixed(1)}" class="lbl">${esc(l)}</text>`));
      bottom = Math.max(bottom, b.top + g.lines.length * LINE);
    });
    y = bottom + 8;
    if (phases.length) {
      // Legend: one entry per phase with its length, wrapped inside the width.
      let lx = pad;
      y += 6;
      for (const ph of phases) {
        const text = `${ph.label}: ${((ph.b - ph.a) / 1000).toFixed(2)} s`;
        const w = 16 + textWidth(text);
        if (lx + w > W - 4) {
          lx = pad;
          y += 18;
        }
        parts.push(`<rect x="${lx}" y="${y - 9}" width="10" height="10" class="band ${ph.cls}"/>`);
        parts.push(`<text x="${lx + 14}" y="${y}" class="lbl">${esc(text)}</text>`);
        lx += w + 18;
      }
      y += 12;
    }
    y += 16;
  } else {
    parts.push(`<text x="${pad}" y="${y + 6}" class="lbl">no timeline events recorded</text>`);
    y += 30;
  }
  // RTO and RPO: a bar each against its target, on its own scale; the figures in a column to the right.
  const barX = pad + 50;
  const BW = 420;
  const textX = barX + BW + 14;
  for (const [name, m] of [
    ['RTO', r.rto],
    ['RPO', r.rpo],
  ] as const) {
    const sc = measureScale([m.targetSeconds, ...(m.seconds !== null ? [m.seconds] : [])], BW);
    parts.push(`<text x="${pad}" y="${y + 14}" class="h">${name}</text>`);
    parts.push(
      `<rect x="${barX}" y="${y}" width="${sc.pos(m.targetSeconds).toFixed(1)}" height="18" class="target"><title>target ${m.targetSeconds} s</title></rect>`,
    );
    parts.push(
      `<line x1="${(barX + sc.pos(m.targetSeconds)).toFixed(1)}" y1="${y - 3}" x2="${(barX + sc.pos(m.targetSeconds)).toFixed(1)}" y2="${y + 21}" class="limit"/>`,
    );
    if (m.seconds !== null)
      parts.push(
        `<rect x="${barX}" y="${y + 4}" width="${Math.max(2, sc.pos(m.seconds)).toFixed(1)}" height="10" class="${m.ok ? 'ok' : 'bad'}"><title>measured ${m.seconds} s</title></rect>`,
      );
    parts.push(
      `<text x="${textX}" y="${y + 14}" class="lbl">${esc(fmtS(m.seconds))} / target ${m.targetSeconds} s — ${verdict(m.ok)}${sc.log ? ' (log scale)' : ''}</text>`,
    );
    if (sc.log) {
      const ticks = placeLabels(
        sc.ticks.map((t) => ({ x: barX + t.x, width: textWidth(tickText(t.v)) })),
        4,
        textX - 8,
        4,
      );
      sc.ticks.forEach((t, i) => {
        if (ticks[i]!.row > 0) return; // no room: the decade is still drawn as a tick
        parts.push(`<line x1="${(barX + t.x).toFixed(1)}" y1="${y + 18}" x2="${(barX + t.x).toFixed(1)}" y2="${y + 22}" class="tick"/>`);
        parts.push(`<text x="${ticks[i]!.left.toFixed(1)}" y="${y + 33}" class="sm">${tickText(t.v)}</text>`);
      });
      y += 46;
    } else y += 32;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${W}" height="${y + 8}" viewBox="0 0 ${W} ${y + 8}" role="img" aria-label="drill timeline">
<style>.axis{stroke:#555;stroke-width:2}.tick{stroke:#aaa}.mark{fill:#1f6feb}.lbl{font:11px sans-serif;fill:#222}.sm{font:10px sans-serif;fill:#555}.h{font:bold 13px sans-serif}.target{fill:#e6e6e6;stroke:#999}.limit{stroke:#333;stroke-dasharray:3 2}.ok{fill:#2da44e}.bad{fill:#cf222e}.band{opacity:.8}.p-rpo{fill:#f2cc60}.p-drain{fill:#a5d6ff}.p-down{fill:#ff8182}.p-verify{fill:#aceebb}</style>
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
<p>target <b>${esc(r.target)}</b> (${esc(modeText(r))}), started ${esc(r.startedAt)}, finished ${esc(r.finishedAt)}${r.abortReason ? `, aborted: ${esc(r.abortReason)}` : ''} · <a href="../index.html">all drills: trend per target</a></p>
${renderTimelineSvg(r)}
${r.failures.length ? `<h2>Failures</h2><ul>${r.failures.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>` : ''}
<h2>Steps</h2><table><tr><th>#</th><th>step</th><th>status</th><th>started</th><th>finished</th><th>detail</th></tr>
${rows(r.steps.map((s) => [String(s.index), s.name, s.status, s.startedAt, s.finishedAt ?? '', s.detail ?? '']))}</table>
${
  r.chaos.length
    ? `<h2>Chaos drill</h2><table><tr><th>scenario</th><th>detected</th><th>signal</th><th>detection s</th><th>recovered</th></tr>
${rows(r.chaos.map((c) => [c.scenario, c.detected ? 'yes' : 'NO', c.signal ?? '', c.detectionSeconds?.toFixed(3) ?? '', c.recovered === undefined ? '' : c.recovered ? 'yes' : 'NO']))}</table>`
    : ''
}
${r.chaosStatus === 'skipped' || r.chaosSkipped.length ? `<p>Chaos ${r.chaosStatus === 'skipped' ? 'skipped: nothing injected' : 'scenarios not run'}:</p><ul>${r.chaosSkipped.map((x) => `<li>${esc(x.scenario)}: ${esc(x.reason)}</li>`).join('')}</ul>` : ''}
${
  r.incidents && (r.incidents.attributed.length || r.incidents.outlived.length)
    ? `<h2>Incidents caused by the drill</h2><table><tr><th>incident</th><th>cause</th><th>opened</th><th>closed by the rollback</th></tr>
${rows([...r.incidents.attributed.map((a) => [a.incidentId, a.cause, a.openedAt, a.resolvedAt ?? 'yes']), ...r.incidents.outlived.map((a) => [a.incidentId, a.cause, a.openedAt, 'NO: still open after the rollback (real)'])])}</table>`
    : ''
}
${r.checks.length ? `<h2>Checks</h2><table>${rows(r.checks.map((c) => [c.ok ? 'ok' : 'FAILED', c.name, c.detail]))}</table>` : ''}
${r.rollback.length ? `<h2>Rollback</h2><ul>${r.rollback.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : ''}
${recordHtml(r, rows)}
</body></html>
`;
}
