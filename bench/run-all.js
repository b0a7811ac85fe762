'use strict';
// Benchmark of the artifact tailer (issue 3). Run: `npm run bench` (builds, then this file).
// Writes bench/results.md. Not a timed test: numbers depend on the machine, which is reported.
//
// 1. Generates a 1 GiB order_reconciliation_events.jsonl in a temp dir (deleted at the end).
// 2. Scans it, each reader in its own child process (so peak RSS is per reader), interleaved
//    rounds (raw, naive, tail, tail-full, raw, ...), median per reader:
//    raw       - fs stream, 64 KiB chunks, count newlines, no parse: the ceiling
//    naive     - readline + JSON.parse, no validation: the baseline
//    tail      - foldRunArtifacts: our reader + light validation of what the SLO fold uses + fold
//    tail-full - our reader + the full zod artifact schema per line (for comparison)
// 3. One incremental watcher cycle after 1 MiB is appended to files of 10 MB, 100 MB and 1 GiB.
// Env: BENCH_ROUNDS (default 3), BENCH_GIB (file size in GiB, default 1), BENCH_KEEP=1 keeps files.
// Also writes bench/out/scan.json (the figures for docs/BENCHMARKS.md). `npm run bench:scan` runs this alone.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { writeFile } = require('./gen');
const { figure, writeResult, settingsOf } = require('./lib/result');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const GIB = Number(process.env.BENCH_GIB ?? 1);
const MB = 1e6;
const MODES = ['raw', 'naive', 'tail', 'tail-full'];
const TARGETS = { mbPerSec: 100, ratioToNaive: 0.7, peakRssMb: 150 };

function node(script, args) {
  const out = execFileSync(process.execPath, [path.join(__dirname, script), ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop());
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n, d = 0) => n.toFixed(d);
const yes = (ok) => (ok ? 'yes' : '**no**');

function main() {
  const started = Date.now();
  if (!fs.existsSync(path.join(__dirname, '..', 'dist', 'io', 'tail.js'))) throw new Error('dist/ missing: run `npm run bench` (builds first)');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-bench-'));
  try {
    const bigDir = path.join(root, 'big');
    fs.mkdirSync(bigDir);
    const big = path.join(bigDir, 'order_reconciliation_events.jsonl');
    let t0 = Date.now();
    const bigNext = writeFile(big, Math.round(GIB * 1024 ** 3));
    const bigBytes = fs.statSync(big).size;
    console.error(`generated ${fmt(bigBytes / MB)} MB in ${fmt((Date.now() - t0) / 1000, 1)} s`);

    // Warm the page cache once so every reader sees the same (cached) file.
    node('scan.js', ['raw', big]);
    const runs = Object.fromEntries(MODES.map((m) => [m, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const m of MODES) {
        const res = node('scan.js', [m, big]);
        runs[m].push(res);
        console.error(`round ${r + 1} ${m}: ${fmt(res.mbPerSec)} MB/s, peak RSS ${fmt(res.peakRssMb)} MB`);
      }
    }
    const lines = new Set(MODES.map((m) => runs[m][0].lines));
    if (lines.size !== 1) throw new Error(`readers disagree on the line count: ${[...lines].join(', ')}`);
    const summary = Object.fromEntries(
      MODES.map((m) => [m, { mbPerSec: median(runs[m].map((x) => x.mbPerSec)), seconds: median(runs[m].map((x) => x.seconds)), peakRssMb: Math.max(...runs[m].map((x) => x.peakRssMb)), all: runs[m].map((x) => x.mbPerSec) }]),
    );
    // Ratio per round (same conditions), then the median of the ratios.
    const ratioRounds = runs.tail.map((x, i) => x.mbPerSec / runs.naive[i].mbPerSec);
    const ratio = median(ratioRounds);

    // Incremental cycle: separate 10 MB and 100 MB files, and the 1 GiB one.
    const dirs = [];
    for (const [name, bytes] of [['10mb', 10 * MB], ['100mb', 100 * MB]]) {
      const d = path.join(root, name);
      fs.mkdirSync(d);
      const next = writeFile(path.join(d, 'order_reconciliation_events.jsonl'), bytes);
      dirs.push(`${d}=${next}`);
    }
    dirs.push(`${bigDir}=${bigNext}`);
    t0 = Date.now();
    const inc = node('incremental.js', ['7', ...dirs]);
    console.error(`incremental: ${inc.results.map((r) => `${fmt(r.fileBytes / MB)} MB → ${fmt(r.medianMs, 1)} ms`).join(', ')}`);

    const slowest = Math.max(...inc.results.map((r) => r.medianMs));
    const fastest = Math.min(...inc.results.map((r) => r.medianMs));
    const flat = slowest <= fastest * 2 + 5;
    const tail = summary.tail;
    const cpus = os.cpus();
    const md = `# Benchmark: incremental JSONL tail of run artifacts

Reproduce: \`npm run bench:scan\` (= \`npm run build && node bench/run-all.js\`; \`npm run bench\` runs it too). Written by \`bench/run-all.js\`;
do not edit by hand. Rounds: ${ROUNDS}, interleaved; each reader in its own child process.

Machine: ${os.cpus().length} CPUs (\`nproc\` ${os.availableParallelism?.() ?? cpus.length}), ${cpus[0]?.model ?? 'unknown CPU'},
${fmt(os.totalmem() / 1024 ** 3, 1)} GiB RAM, ${os.platform()} ${os.release()}, Node ${process.version}.
Date: ${new Date().toISOString()}. Total bench time: ${fmt((Date.now() - started) / 1000)} s.

File: synthetic \`order_reconciliation_events.jsonl\`, ${fmt(bigBytes / MB)} MB, ${runs.tail[0].lines.toLocaleString('en-US')} lines
(~${fmt(bigBytes / runs.tail[0].lines)} bytes each), read from the page cache (warmed by one untimed raw pass):
this measures CPU cost, not the disk.

## Full scan

| reader | MB/s (median) | all rounds | seconds | peak RSS MB |
|---|---:|---|---:|---:|
| raw: stream 64 KiB chunks, count newlines | ${fmt(summary.raw.mbPerSec)} | ${summary.raw.all.map((x) => fmt(x)).join(', ')} | ${fmt(summary.raw.seconds, 2)} | ${fmt(summary.raw.peakRssMb)} |
| naive: \`readline\` + \`JSON.parse\`, no validation | ${fmt(summary.naive.mbPerSec)} | ${summary.naive.all.map((x) => fmt(x)).join(', ')} | ${fmt(summary.naive.seconds, 2)} | ${fmt(summary.naive.peakRssMb)} |
| **tail**: \`foldRunArtifacts\` (light validation of cycle/status + SLO fold) | **${fmt(tail.mbPerSec)}** | ${tail.all.map((x) => fmt(x)).join(', ')} | ${fmt(tail.seconds, 2)} | ${fmt(tail.peakRssMb)} |
| tail-full: same reader, full zod artifact schema per line | ${fmt(summary['tail-full'].mbPerSec)} | ${summary['tail-full'].all.map((x) => fmt(x)).join(', ')} | ${fmt(summary['tail-full'].seconds, 2)} | ${fmt(summary['tail-full'].peakRssMb)} |

| target | measured | met |
|---|---:|:---:|
| tail >= ${TARGETS.mbPerSec} MB/s while validating | ${fmt(tail.mbPerSec)} MB/s | ${yes(tail.mbPerSec >= TARGETS.mbPerSec)} |
| tail >= ${TARGETS.ratioToNaive}x naive (median of per-round ratios: ${ratioRounds.map((x) => fmt(x, 2)).join(', ')}) | ${fmt(ratio, 2)}x | ${yes(ratio >= TARGETS.ratioToNaive)} |
| peak RSS <= ${TARGETS.peakRssMb} MB (tail) | ${fmt(tail.peakRssMb)} MB | ${yes(tail.peakRssMb <= TARGETS.peakRssMb)} |

## One incremental cycle after 1 MiB is appended

The cursor starts at the end of the file (a watcher that has caught up); each of ${inc.results[0].rounds} rounds appends
1 MiB of new lines and times one \`foldRunArtifacts\` call (what the \`tailRunArtifacts\` activity does per cycle).

| file size at the first timed append | median ms | min ms | max ms | records read per cycle |
|---:|---:|---:|---:|---:|
${inc.results.map((r) => `| ${fmt(r.fileBytes / MB)} MB | ${fmt(r.medianMs, 1)} | ${fmt(r.minMs, 1)} | ${fmt(r.maxMs, 1)} | ${fmt(r.recordsPerRound)} |`).join('\n')}

The first file measured (the smallest) still carries some JIT warm-up.
Flat (slowest median <= 2x fastest + 5 ms, i.e. no rescan): ${yes(flat)}. Peak RSS of that process (which also generates the appended lines): ${fmt(inc.peakRssMb)} MB.
`;
    fs.writeFileSync(path.join(__dirname, 'results.md'), md);
    const settings = settingsOf(['BENCH_ROUNDS', 'BENCH_GIB']);
    const why = (ok, text) => (ok ? undefined : text);
    const figures = [
      figure({
        group: 'artifact scan', name: `full scan of a ${fmt(bigBytes / MB)} MB run file: tail reader (light validation + SLO fold)`, unit: 'MB/s',
        samples: runs.tail.map((x) => x.mbPerSec), baseline: { label: 'naive readline + JSON.parse', samples: runs.naive.map((x) => x.mbPerSec) }, ratioSamples: ratioRounds,
        target: `≥ ${TARGETS.mbPerSec} MB/s and ≥ ${TARGETS.ratioToNaive}× naive`, met: tail.mbPerSec >= TARGETS.mbPerSec && ratio >= TARGETS.ratioToNaive,
        reason: why(tail.mbPerSec >= TARGETS.mbPerSec && ratio >= TARGETS.ratioToNaive, `median ${fmt(tail.mbPerSec)} MB/s, ${fmt(ratio, 2)}× naive`),
      }),
      figure({ group: 'artifact scan', name: 'full scan: raw newline count (the ceiling, no parse)', unit: 'MB/s', samples: runs.raw.map((x) => x.mbPerSec) }),
      figure({ group: 'artifact scan', name: 'full scan: tail reader with the full zod schema per line', unit: 'MB/s', samples: runs['tail-full'].map((x) => x.mbPerSec), baseline: { label: 'naive readline + JSON.parse', samples: runs.naive.map((x) => x.mbPerSec) }, ratioSamples: runs['tail-full'].map((x, i) => x.mbPerSec / runs.naive[i].mbPerSec) }),
      figure({
        group: 'artifact scan', name: 'full scan: tail reader peak RSS', unit: 'MB', samples: runs.tail.map((x) => x.peakRssMb), baseline: { label: 'naive', samples: runs.naive.map((x) => x.peakRssMb) },
        target: `≤ ${TARGETS.peakRssMb} MB`, met: tail.peakRssMb <= TARGETS.peakRssMb, reason: why(tail.peakRssMb <= TARGETS.peakRssMb, `peak ${fmt(tail.peakRssMb)} MB`),
      }),
      ...inc.results.map((r) => {
        // The target sits on the largest file (the 1 GiB one by default; smaller with BENCH_GIB < 0.1).
        const last = r.fileBytes === Math.max(...inc.results.map((x) => x.fileBytes));
        return figure({
          group: 'artifact scan', name: `one incremental cycle after 1 MiB appended to a ${fmt(r.fileBytes / MB)} MB file`, unit: 'ms', samples: r.samples,
          ...(last ? { baseline: { label: `same cycle on the ${fmt(inc.results[0].fileBytes / MB)} MB file`, samples: inc.results[0].samples } } : {}),
          target: last ? 'flat in the file size: slowest median ≤ 2× fastest + 5 ms' : null, met: last ? flat : null,
          reason: last ? why(flat, `medians ${inc.results.map((x) => fmt(x.medianMs, 1)).join(' / ')} ms`) : undefined,
        });
      }),
    ];
    writeResult('scan', { title: 'Artifact scan (incremental JSONL tail)', command: `${Object.entries(settings).map(([k, v]) => `${k}=${v} `).join('')}npm run bench:scan`, settings, startedAt: started, report: 'bench/results.md', figures });
    console.error(md);
    const ok = tail.mbPerSec >= TARGETS.mbPerSec && ratio >= TARGETS.ratioToNaive && tail.peakRssMb <= TARGETS.peakRssMb && flat;
    if (!ok) process.exitCode = 1;
  } finally {
    if (process.env.BENCH_KEEP === '1') console.error(`kept ${root}`);
    else fs.rmSync(root, { recursive: true, force: true });
  }
}

main();
