'use strict';
// `npm run bench` (issue 12.5): builds, then runs every benchmark in turn, each in its own process —
//   scan          bench/run-all.js       artifact scan (incremental JSONL tail)  → bench/results.md
//   ack-append    bench/ack-append.js    recording an ack stays O(1)              → bench/ack-append.md
//   workflows     bench/workflows.js     throughput, CPU, memory, replay, worker start beside the
//                                        baselines, then open timers (150 / 1,000 / 10,000)
//                                                                                  → bench/workflows.md
//   drill-timing  bench/drill-timing.js  detection lag, overhead and its breakdown, RTO/RPO error
//                                                                                  → bench/drill-timing.md
//   worker-start  bench/worker-start.js  worker start phase by phase, ours beside the baseline's
//                                                                                  → bench/worker-start.md
// — each also writing bench/out/<name>.json; then writes docs/BENCHMARKS.md (machine, every figure's
// median and spread, baseline, ratio, target, met or not and why) and docs/bench-memory.svg (worker
// RSS vs open workflows). Every bench's own env settings pass through (see each script's header);
// BENCH_ONLY=scan,workflows runs a subset, the others' figures then come from their last JSON,
// labelled as such. Exit code 1 only when a bench crashed: missed targets are in the table.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { machine, OUT_DIR } = require('./lib/result');

const ROOT = path.join(__dirname, '..');
const DOC = path.join(ROOT, 'docs', 'BENCHMARKS.md');
const SVG = path.join(ROOT, 'docs', 'bench-memory.svg');
const BENCHES = [
  { name: 'scan', script: 'run-all.js', title: 'Artifact scan' },
  { name: 'ack-append', script: 'ack-append.js', title: 'Ack append' },
  { name: 'workflows', script: 'workflows.js', title: 'Workflows and open timers' },
  { name: 'drill-timing', script: 'drill-timing.js', title: 'Drill timing' },
  { name: 'worker-start', script: 'worker-start.js', title: 'Worker start, phase by phase' },
];
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((s) => s.trim()) : null;
const say = (s) => process.stderr.write(`${s}\n`);

function settingsLine() {
  const keys = Object.keys(process.env).filter((k) => /^BENCH_/.test(k) && k !== 'BENCH_OUT_DIR').concat(process.env.DRILL_MAX_CACHED_WORKFLOWS !== undefined ? ['DRILL_MAX_CACHED_WORKFLOWS'] : []);
  return keys.sort().map((k) => `${k}=${process.env[k]} `).join('');
}

function run() {
  const startedAt = new Date();
  const machineAtStart = machine();
  const runs = [];
  for (const b of BENCHES) {
    if (ONLY && !ONLY.includes(b.name)) {
      runs.push({ ...b, ran: false });
      continue;
    }
    say(`\n=== bench ${b.name} (bench/${b.script}) ===`);
    const t0 = Date.now();
    // The bench's stdout goes to our stderr: this command's output is the report it writes.
    const r = spawnSync(process.execPath, [path.join(__dirname, b.script)], { stdio: ['ignore', 2, 2], env: process.env });
    const seconds = (Date.now() - t0) / 1000;
    const file = path.join(OUT_DIR, `${b.name}.json`);
    const fresh = fs.existsSync(file) && fs.statSync(file).mtimeMs >= t0;
    say(`=== bench ${b.name}: exit ${r.status ?? r.signal}, ${seconds.toFixed(0)} s${fresh ? '' : ', no result written'} ===`);
    runs.push({ ...b, ran: true, status: r.status ?? r.signal, seconds, fresh });
  }
  const results = runs.map((b) => {
    const file = path.join(OUT_DIR, `${b.name}.json`);
    const data = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
    return { ...b, data: b.ran && !b.fresh ? null : data };
  });
  const finishedAt = new Date();
  const md = render({ results, startedAt, finishedAt, machineAtStart, machineAtEnd: machine() });
  const curve = results.find((r) => r.name === 'workflows')?.data?.curves?.find((c) => c.id === 'memory');
  if (curve && curve.series.some((s) => s.points.length)) fs.writeFileSync(SVG, svgPlot(curve));
  fs.writeFileSync(DOC, md);
  say(`\nwrote ${path.relative(ROOT, DOC)}${curve ? ` and ${path.relative(ROOT, SVG)}` : ''} in ${((finishedAt - startedAt) / 1000).toFixed(0)} s`);
  if (results.some((r) => r.ran && !r.fresh)) process.exitCode = 1;
}

// ------------------------------------------------------------------------------------------------
// Markdown

/** A number with as many decimals as its size deserves. */
function num(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  const d = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : a === 0 ? 0 : 3;
  return x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}
const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function verdict(f) {
  if (f.target === null || f.target === undefined) return '—';
  if (f.met === true) return 'met';
  if (f.met === false) return `**not met**: ${f.reason}`;
  return `not measured${f.reason ? ` (${f.reason})` : ''}`;
}

function row(f) {
  const spread = f.samples.length > 1 ? `${num(f.min)}–${num(f.max)}` : '—';
  const base = f.baseline ? `${num(f.baseline.median)} (${f.baseline.label})` : '—';
  const ratio = f.ratio !== undefined ? `${num(f.ratio)}×` : '—';
  const name = f.note ? `${f.name} (${f.note})` : f.name;
  return `| ${cell(name)} | ${f.unit} | ${num(f.median)} | ${spread} | ${f.samples.length} | ${cell(base)} | ${ratio} | ${cell(f.target ?? '—')} | ${cell(verdict(f))} |`;
}

function machineLine(m) {
  return `${m.cores} × ${m.cpuModel} (available parallelism ${m.availableParallelism}), ${m.ramGiB} GiB RAM, Node ${m.node}, ${m.os}`;
}

function render({ results, startedAt, finishedAt, machineAtStart, machineAtEnd }) {
  const figures = results.flatMap((r) => r.data?.figures ?? []);
  const withTarget = figures.filter((f) => f.target);
  const met = withTarget.filter((f) => f.met === true).length;
  const missed = withTarget.filter((f) => f.met === false);
  const unmeasured = withTarget.filter((f) => f.met !== true && f.met !== false).length;
  const curve = results.find((r) => r.name === 'workflows')?.data?.curves?.find((c) => c.id === 'memory');
  const L = [
    '# Benchmarks',
    '',
    `Written by \`${settingsLine()}npm run bench\` (\`npm run build\`, then \`node bench/all.js\`); do not edit by hand.`,
    `Started ${startedAt.toISOString()}, finished ${finishedAt.toISOString()} (${((finishedAt - startedAt) / 60000).toFixed(1)} min).`,
    '',
    `Machine: ${machineLine(machineAtStart)}.`,
    `Load average (1 / 5 / 15 min) at the start ${machineAtStart.loadAvg.join(' / ')}, at the end ${machineAtEnd.loadAvg.join(' / ')}: the machine is shared with other sessions, so absolute times are noisy; ratios are taken against baselines measured in the same run.`,
    '',
    '| bench | command (its own settings) | ran | seconds | its report |',
    '|---|---|---|---|---|',
    ...results.map((r) => {
      const d = r.data;
      const ran = !r.ran ? `no (BENCH_ONLY): figures from ${d ? d.finishedAt : 'no earlier run'}` : r.fresh ? `yes, exit ${r.status}` : `**failed** (exit ${r.status}), no figures`;
      return `| ${r.title} | ${d ? `\`${d.command}\`` : `\`node bench/${r.script}\``} | ${ran} | ${d ? num(d.seconds) : 'n/a'} | ${d?.report ? `[${d.report}](../${d.report})` : '—'} |`;
    }),
    '',
    `Targets (issue 12): ${withTarget.length}; met ${met}, **not met ${missed.length}**, not measured ${unmeasured}. A missed target stays in the table with its reason; targets are never loosened to pass.`,
    '',
    'Median and spread (min–max) are over the samples (n): rounds, drills, or single operations, as the figure says. Baseline: the minimal',
    'baseline measured in the same run (median). Ratio: the median of per-round ratios where rounds pair up, else median / baseline median.',
    '',
    '| figure | unit | median | spread | n | baseline | ratio | target | met |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const fs_ = r.data?.figures ?? [];
    L.push(`| **${r.title}** | | | | | | | | |`);
    if (!fs_.length) L.push(`| ${r.ran ? 'bench failed: no figures (see its output)' : 'not run'} | | | | | | | | |`);
    for (const f of fs_) L.push(row(f));
  }
  L.push('');
  if (curve) {
    L.push('## Worker RSS vs open workflows', '');
    L.push(`![${curve.title}](bench-memory.svg)`, '');
    L.push(`[docs/bench-memory.svg](bench-memory.svg): ${curve.title}, ${curve.note}; dashed: ${curve.limit.label}.`, '');
    L.push('| open | ' + curve.series.map((s) => `${s.label}, MiB`).join(' | ') + ' |');
    L.push('|---|' + curve.series.map(() => '---').join('|') + '|');
    const xs = [...new Set(curve.series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
    for (const x of xs) L.push(`| ${x.toLocaleString('en-US')} | ${curve.series.map((s) => num(s.points.find((p) => p[0] === x)?.[1])).join(' | ')} |`);
    L.push('');
  } else {
    L.push('No open-timer sweep in this run (BENCH_OPEN_COUNTS empty or the workflows bench failed): no memory plot.', '');
  }
  const notes = results.filter((r) => r.data?.notes?.length);
  if (notes.length) {
    L.push('## Settings per bench', '');
    for (const r of notes) L.push(`- ${r.title}: ${r.data.notes.join('; ')}.`);
    L.push('');
  }
  return `${L.join('\n')}\n`;
}

// ------------------------------------------------------------------------------------------------
// SVG: worker RSS vs open workflows, hand-drawn (no plotting dependency)

function svgPlot(curve) {
  const W = 640;
  const H = 380;
  const M = { l: 70, r: 20, t: 40, b: 60 };
  const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const pts = curve.series.flatMap((s) => s.points);
  const xs = pts.map((p) => p[0]);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const log = xMax / Math.max(1, xMin) > 20;
  const tx = (x) => (log ? Math.log10(x) : x);
  const [a, b] = xMin === xMax ? [tx(xMin) - 1, tx(xMax) + 1] : [tx(xMin), tx(xMax)];
  const pad = (b - a) * 0.05;
  const X = (x) => M.l + ((tx(x) - (a - pad)) / (b - a + 2 * pad)) * (W - M.l - M.r);
  const yMax = Math.max(...pts.map((p) => p[1]), curve.limit?.y ?? 0) * 1.1;
  const Y = (y) => H - M.b - (y / yMax) * (H - M.t - M.b);
  const step = [100, 200, 250, 500, 1000, 2000, 5000].find((s) => yMax / s <= 8) ?? 10000;
  const colors = ['#cf222e', '#0969da', '#8250df'];
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(curve.title)}">`,
    '<style>text{font:12px sans-serif;fill:#24292f}.axis{stroke:#57606a}.grid{stroke:#d0d7de;stroke-width:.5}.limit{stroke:#57606a;stroke-dasharray:6 4}</style>',
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" style="font-weight:bold">${esc(curve.title)}</text>`,
  ];
  for (let y = 0; y <= yMax; y += step) {
    out.push(`<line class="grid" x1="${M.l}" x2="${W - M.r}" y1="${Y(y).toFixed(1)}" y2="${Y(y).toFixed(1)}"/>`, `<text x="${M.l - 6}" y="${(Y(y) + 4).toFixed(1)}" text-anchor="end">${y}</text>`);
  }
  for (const x of [...new Set(xs)].sort((p, q) => p - q)) {
    out.push(`<line class="grid" x1="${X(x).toFixed(1)}" x2="${X(x).toFixed(1)}" y1="${M.t}" y2="${H - M.b}"/>`, `<text x="${X(x).toFixed(1)}" y="${H - M.b + 16}" text-anchor="middle">${x.toLocaleString('en-US')}</text>`);
  }
  out.push(
    `<line class="axis" x1="${M.l}" x2="${W - M.r}" y1="${H - M.b}" y2="${H - M.b}"/>`,
    `<line class="axis" x1="${M.l}" x2="${M.l}" y1="${M.t}" y2="${H - M.b}"/>`,
    `<text x="${(M.l + W - M.r) / 2}" y="${H - 22}" text-anchor="middle">${esc(curve.x)}${log ? ' (log scale)' : ''}</text>`,
    `<text transform="translate(16 ${(M.t + H - M.b) / 2}) rotate(-90)" text-anchor="middle">${esc(curve.y)}</text>`,
  );
  if (curve.limit) {
    out.push(`<line class="limit" x1="${M.l}" x2="${W - M.r}" y1="${Y(curve.limit.y).toFixed(1)}" y2="${Y(curve.limit.y).toFixed(1)}"/>`, `<text x="${W - M.r - 4}" y="${(Y(curve.limit.y) - 5).toFixed(1)}" text-anchor="end">${esc(curve.limit.label)}</text>`);
  }
  curve.series.forEach((s, i) => {
    const c = colors[i % colors.length];
    const p = [...s.points].sort((u, v) => u[0] - v[0]);
    if (p.length > 1) out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${p.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of p) out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="4" fill="${c}"><title>${esc(`${s.label}: ${x} open, ${y} MiB`)}</title></circle>`, `<text x="${(X(x) + 6).toFixed(1)}" y="${(Y(y) - 6).toFixed(1)}" fill="${c}" style="fill:${c}">${Math.round(y)}</text>`);
    out.push(`<rect x="${M.l + 12}" y="${M.t + 6 + i * 18}" width="12" height="3" fill="${c}"/>`, `<text x="${M.l + 30}" y="${M.t + 11 + i * 18}">${esc(s.label)}</text>`);
  });
  out.push(`<text x="${W - M.r}" y="${H - 6}" text-anchor="end" style="font-size:10px;fill:#57606a">${esc(curve.note ?? '')}; written by npm run bench</text>`, '</svg>');
  return `${out.join('\n')}\n`;
}

module.exports = { svgPlot, render };

if (require.main === module) {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'workflow-bundle.js'))) throw new Error('dist/ missing: run `npm run bench` (builds first)');
  say(`bench: ${os.cpus().length} CPUs, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  run();
}
