/**
 * `results/drills/index.html` (issue 13): every drill on disk per target as a trend — RTO and RPO
 * against their targets over time (inline SVG, no script), each drill's verdict, and a link to its
 * report. Regenerated after every drill and by `drill report index`. Pure: reports in, HTML out.
 */
import type { DrillReport } from '../domain/drill-report';

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const num = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toFixed(3));

/** A short axis label: "950 s", "0.3 s", "12 s". */
const tick = (v: number) => `${v >= 10 ? Math.round(v) : Number(v.toPrecision(2))} s`;

const W = 720;
const H = 200;
const PAD = { left: 56, right: 16, top: 16, bottom: 28 };

/** One target's drills, oldest first: RTO and RPO lines, their targets dashed, a verdict dot per drill. */
export function trendSvg(drills: readonly DrillReport[]): string {
  const n = drills.length;
  const values = drills
    .flatMap((d) => [d.rto.seconds, d.rpo.seconds, d.rto.targetSeconds, d.rpo.targetSeconds])
    .filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  // Both scales visible: a log scale when the figures span more than two decades.
  const max = Math.max(1, ...values);
  const min = Math.max(0.01, Math.min(...values.filter((x) => x > 0), max));
  const log = max / min > 100;
  const y = (v: number) => {
    const f = log ? (Math.log10(Math.max(v, min)) - Math.log10(min)) / (Math.log10(max) - Math.log10(min) || 1) : v / max;
    return PAD.top + (1 - f) * (H - PAD.top - PAD.bottom);
  };
  const x = (i: number) => PAD.left + (n === 1 ? 0.5 : i / (n - 1)) * (W - PAD.left - PAD.right);
  const line = (pick: (d: DrillReport) => number | null, cls: string) => {
    const pts = drills.map((d, i) => [i, pick(d)] as const).filter((p): p is readonly [number, number] => p[1] !== null);
    return pts.length ? `<polyline class="${cls}" fill="none" points="${pts.map(([i, v]) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>` : '';
  };
  const last = drills[n - 1]!;
  // Target labels inside the chart at its right end: the higher line's label above it, the lower
  // line's below it, so the two never collide however close the targets are.
  const rtoHigher = last.rto.targetSeconds >= last.rpo.targetSeconds;
  const target = (v: number, cls: string, label: string, above: boolean) =>
    `<line class="${cls}" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text x="${W - PAD.right - 2}" y="${(above ? y(v) - 4 : y(v) + 12).toFixed(1)}" text-anchor="end">${esc(label)}</text>`;
  const dots = drills
    .map(
      (d, i) =>
        `<a href="${esc(d.drillId)}/report.html"><circle class="v-${esc(d.result)}" cx="${x(i).toFixed(1)}" cy="${y(d.rto.seconds ?? d.rto.targetSeconds).toFixed(1)}" r="4"><title>${esc(`${d.drillId}: ${d.result.toUpperCase()}, RTO ${num(d.rto.seconds)} s, RPO ${num(d.rpo.seconds)} s`)}</title></circle></a>`,
    )
    .join('');
  return `<svg class="trend" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="RTO and RPO per drill${log ? ' (log scale)' : ''}">
<line class="axis" x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${H - PAD.bottom}"/>
<text x="${PAD.left - 4}" y="${(y(max) + 4).toFixed(1)}" text-anchor="end">${esc(tick(max))}</text><text x="${PAD.left - 4}" y="${(y(log ? min : 0) + 4).toFixed(1)}" text-anchor="end">${esc(tick(log ? min : 0))}</text>
${target(last.rto.targetSeconds, 'rto-target', `RTO ≤ ${last.rto.targetSeconds} s`, rtoHigher)}
${target(last.rpo.targetSeconds, 'rpo-target', `RPO ≤ ${last.rpo.targetSeconds} s`, !rtoHigher)}
${line((d) => d.rto.seconds, 'rto')}${line((d) => d.rpo.seconds, 'rpo')}${dots}
<text x="${PAD.left}" y="${H - 8}">${esc(drills[0]!.finishedAt.slice(0, 10))}</text><text x="${W - PAD.right}" y="${H - 8}" text-anchor="end">${esc(last.finishedAt.slice(0, 10))}${log ? ' · log scale' : ''}</text>
</svg>`;
}

export function renderDrillIndex(reports: readonly DrillReport[], generatedAt: string): string {
  const byTarget = new Map<string, DrillReport[]>();
  for (const r of [...reports].sort((a, b) => a.finishedAt.localeCompare(b.finishedAt))) byTarget.set(r.target, [...(byTarget.get(r.target) ?? []), r]);
  const sections = [...byTarget.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([target, drills]) => {
      const passed = drills.filter((d) => d.result === 'pass').length;
      const rows = [...drills]
        .reverse()
        .map(
          (d) =>
            `<tr><td>${esc(d.finishedAt)}</td><td><a href="${esc(d.drillId)}/report.html">${esc(d.drillId)}</a></td><td class="v-${esc(d.result)}">${esc(d.result.toUpperCase())}</td><td>${num(d.rto.seconds)}</td><td>${d.rto.targetSeconds}</td><td>${num(d.rpo.seconds)}</td><td>${d.rpo.targetSeconds}</td></tr>`,
        )
        .join('\n');
      return `<section><h2>${esc(target)}</h2><p>${drills.length} drill(s), ${passed} passed; latest ${esc(drills.at(-1)!.result.toUpperCase())} at ${esc(drills.at(-1)!.finishedAt)}</p>
${trendSvg(drills)}
<table><tr><th>finished</th><th>drill</th><th>verdict</th><th>RTO s</th><th>RTO target</th><th>RPO s</th><th>RPO target</th></tr>
${rows}</table></section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DR drills: trend per target</title>
<style>body{font:14px sans-serif;margin:2em;max-width:960px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
.v-pass{color:#2da44e;fill:#2da44e}.v-fail,.v-error,.v-aborted{color:#cf222e;fill:#cf222e}.rto{stroke:#0969da;stroke-width:2}.rpo{stroke:#8250df;stroke-width:2}
.rto-target{stroke:#0969da;stroke-dasharray:4 3}.rpo-target{stroke:#8250df;stroke-dasharray:4 3}.axis{stroke:#888}svg text{font:11px sans-serif;fill:#444}</style></head>
<body><h1>DR drills: trend per target</h1>
<p>Generated ${esc(generatedAt)} from ${reports.length} report(s) under this folder. Lines: RTO (blue) and RPO (purple) per drill, dashed: their targets; a dot per drill in its verdict's colour, linked to its report.</p>
${sections || '<p>No drill reports yet.</p>'}
</body></html>
`;
}
