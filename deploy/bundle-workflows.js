#!/usr/bin/env node
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS script run by node in the Dockerfile */
// Prebuilds the workflow bundle for production workers (the Dockerfile runs it after `npm run build`):
// src/worker.ts loads dist/workflow-bundle.js when it exists instead of bundling at start-up.
//   node deploy/bundle-workflows.js [OUT]      (OUT defaults to dist/workflow-bundle.js)
const fs = require('node:fs');
const path = require('node:path');
const { bundleWorkflowCode } = require('@temporalio/worker');

async function main() {
  const root = path.resolve(__dirname, '..');
  const out = path.resolve(process.argv[2] || path.join(root, 'dist', 'workflow-bundle.js'));
  const workflowsPath = require.resolve(path.join(root, 'dist', 'workflows'));
  const started = Date.now();
  // The same payload converter as src/worker.ts (PAYLOAD_CONVERTER_PATH): it must be built into the bundle.
  const payloadConverterPath = require.resolve(path.join(root, 'dist', 'payload-converter'));
  const { code } = await bundleWorkflowCode({ workflowsPath, payloadConverterPath });
  const tmp = `${out}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, code);
  fs.renameSync(tmp, out);
  process.stdout.write(`workflow bundle: ${out} (${(code.length / 1048576).toFixed(1)} MiB, ${Date.now() - started} ms)\n`);
}

main().catch((err) => {
  process.stderr.write(`bundle-workflows: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
