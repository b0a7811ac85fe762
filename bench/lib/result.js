'use strict';
// Machine-readable bench results (issue 12.5): every bench script writes bench/out/<name>.json with
// one entry per figure; bench/all.js (`npm run bench`) reads them and writes docs/BENCHMARKS.md.
//
// A figure: { name, unit, samples[], median, min, max, baseline?: { label, samples[], median },
// ratio?, ratioSamples?, target (text, or null), met (true / false / null: no target or not run),
// reason (why not met, or why not run), note? }. Targets are the issue's, written in the scripts
// that measure them; nothing here changes one.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const OUT_DIR = process.env.BENCH_OUT_DIR ?? path.join(__dirname, '..', 'out');

function median(xs) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Nearest-rank percentile (p in 0..100); null for no samples. */
function pct(xs, p) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

const finite = (xs) => xs.filter((x) => typeof x === 'number' && Number.isFinite(x));

/**
 * One figure. `baseline`: { label, samples } of the minimal baseline measured in the same run.
 * `ratioSamples`: per-round ratios (their median is the ratio); else median / baseline median.
 * `met`: true / false against `target`; null when there is no target or it was not measured.
 */
function figure({ name, unit, samples, baseline, ratioSamples, target = null, met = null, reason, note, group }) {
  const xs = finite(samples ?? []);
  const f = { name, unit, samples: xs, median: median(xs), min: xs.length ? Math.min(...xs) : null, max: xs.length ? Math.max(...xs) : null };
  if (group) f.group = group;
  if (baseline) {
    const bs = finite(baseline.samples ?? []);
    f.baseline = { label: baseline.label, samples: bs, median: median(bs), min: bs.length ? Math.min(...bs) : null, max: bs.length ? Math.max(...bs) : null };
    const rs = finite(ratioSamples ?? []);
    if (rs.length) {
      f.ratioSamples = rs;
      f.ratio = median(rs);
    } else if (f.median !== null && f.baseline.median) {
      f.ratio = f.median / f.baseline.median;
    }
  }
  f.target = target;
  f.met = target === null ? null : met;
  if (f.met === false && !reason) throw new Error(`figure "${name}": a missed target needs its reason`);
  if (reason) f.reason = reason;
  if (note) f.note = note;
  return f;
}

function machine() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    availableParallelism: os.availableParallelism?.() ?? cpus.length,
    ramGiB: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
    node: process.version,
    os: `${os.platform()} ${os.release()}`,
    loadAvg: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

/** Env settings (the ones named) that were set, as `K=V ` prefixes for the command line. */
function settingsOf(keys) {
  return Object.fromEntries(keys.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
}

/**
 * Writes bench/out/<name>.json. `data`: { title, command, settings, startedAt (ms), figures, curves?,
 * report? (the .md it also wrote), notes? }.
 */
function writeResult(name, data) {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `${name}.json`);
  const out = {
    name,
    title: data.title,
    command: data.command,
    settings: data.settings ?? {},
    startedAt: new Date(data.startedAt).toISOString(),
    finishedAt: new Date().toISOString(),
    seconds: Number(((Date.now() - data.startedAt) / 1000).toFixed(1)),
    machine: machine(),
    ...(data.report ? { report: data.report } : {}),
    ...(data.notes ? { notes: data.notes } : {}),
    figures: data.figures,
    ...(data.curves ? { curves: data.curves } : {}),
  };
  fs.writeFileSync(file, `${JSON.stringify(out, null, 1)}\n`);
  return file;
}

module.exports = { figure, median, pct, machine, settingsOf, writeResult, OUT_DIR };
