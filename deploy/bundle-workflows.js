#!/usr/bin/env node
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS script run by node (npm run build, Dockerfile) */
// Prebuilds the workflow bundle for every worker entry (`npm run build` runs it after tsc):
// src/worker.ts loads it instead of bundling at start-up when its manifest still matches.
//   node deploy/bundle-workflows.js [DIST]     (DIST defaults to dist/)
// Writes DIST/workflow-bundle.js (source map external: DIST/workflow-bundle.js.map) and
// DIST/workflow-bundle.json, the manifest: sha256 of the bundle, the map and every file webpack
// read, so a worker can tell a stale bundle (src/prebuilt-bundle.ts). Each file is written atomically.
const fs = require('node:fs');
const path = require('node:path');
const { bundleWorkflowCode, DefaultLogger } = require('@temporalio/worker');

function writeAtomic(file, data) {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/**
 * Which of webpack's inputs the manifest guards: the compiled code it bundled (not the TypeScript
 * sources and .map files source-map-loader read: a production image has no src/), and of each
 * package under node_modules its package.json (its version; hashing all of zod and the SDK would
 * cost start time for nothing an install does not also change). The project's own package.json
 * (scripts, not code) is left out.
 */
function packageJsonOf(file) {
  const parts = file.split(path.sep);
  const nm = parts.lastIndexOf('node_modules');
  if (nm < 0) return file;
  const pkg = parts.slice(0, nm + (parts[nm + 1]?.startsWith('@') ? 3 : 2));
  return [...pkg, 'package.json'].join(path.sep);
}

function guarded(root, file) {
  const rel = path.relative(root, file).split(path.sep);
  const nm = rel.lastIndexOf('node_modules');
  if (nm >= 0) return rel[rel.length - 1] === 'package.json';
  if (rel.length === 1 && rel[0] === 'package.json') return false;
  return /\.(c|m)?js$/.test(file) || file.endsWith('.json');
}

async function main() {
  const root = path.resolve(__dirname, '..');
  const dist = path.resolve(process.argv[2] || path.join(root, 'dist'));
  const { BUNDLE_FILE, MAP_FILE, MANIFEST_FILE, sha256, splitInlineSourceMap, leanSourceMap } = require(path.join(dist, 'prebuilt-bundle'));
  const { workflowWebpackConfig } = require(path.join(dist, 'workflow-bundle-options'));
  const workflowsPath = require.resolve(path.join(dist, 'workflows'));
  // The same payload converter as src/worker.ts (PAYLOAD_CONVERTER_PATH): it must be built into the bundle.
  const payloadConverterPath = require.resolve(path.join(dist, 'payload-converter'));
  const started = Date.now();
  let inputs = [];
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    payloadConverterPath,
    logger: new DefaultLogger('WARN'),
    // drill-runner's settings for every workflow bundle (src/workflow-bundle-options.ts), then the inputs listener.
    webpackConfigHook: (sdkConfig) => {
      const config = workflowWebpackConfig(sdkConfig);
      const inputsListener = {
        apply(compiler) {
          compiler.hooks.done.tap('drill-bundle-inputs', (stats) => {
            inputs = [...stats.compilation.fileDependencies];
          });
        },
      };
      return { ...config, plugins: [...(config.plugins ?? []), inputsListener] };
    },
  });
  const whole = splitInlineSourceMap(code);
  const split = { code: whole.code, map: leanSourceMap(whole.map) };
  // The webpack options shape the bundle too, so they are guarded like webpack's inputs.
  const guardedInputs = [...inputs, require.resolve(path.join(dist, 'workflow-bundle-options'))];
  const manifest = {
    version: 1,
    createdAt: new Date().toISOString(),
    bundleSha256: sha256(split.code),
    mapSha256: sha256(split.map),
    inputs: [...new Set(guardedInputs.filter((f) => path.isAbsolute(f)).map(packageJsonOf))]
      .filter((f) => fs.existsSync(f) && fs.statSync(f).isFile() && guarded(root, f))
      .map((f) => ({ path: path.relative(root, f).split(path.sep).join('/'), sha256: sha256(fs.readFileSync(f)) }))
      .sort((a, b) => a.path.localeCompare(b.path)),
  };
  if (!manifest.inputs.some((i) => i.path.endsWith('workflows/index.js'))) throw new Error('webpack reported no workflow inputs: cannot guard the bundle');
  // Bundle and map first, manifest last: a crash in between leaves a mismatch, never a false match.
  writeAtomic(path.join(dist, BUNDLE_FILE), split.code);
  writeAtomic(path.join(dist, MAP_FILE), split.map);
  writeAtomic(path.join(dist, MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
  const mib = (s) => (Buffer.byteLength(s) / 1048576).toFixed(2);
  process.stdout.write(
    `workflow bundle: ${path.relative(process.cwd(), path.join(dist, BUNDLE_FILE))} ${mib(split.code)} MiB + map ${mib(split.map)} MiB, ` +
      `${manifest.inputs.length} inputs guarded, ${Date.now() - started} ms\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`bundle-workflows: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
