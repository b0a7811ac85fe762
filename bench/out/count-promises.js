'use strict';
const v8 = require('node:v8');
let count = 0;
const orig = v8.promiseHooks.createHook.bind(v8.promiseHooks);
v8.promiseHooks.createHook = (h) => orig({ ...h, init: (p, parent) => { if (p.constructor !== Promise) count++; return h.init(p, parent); } });
const fs = require('node:fs');
const path = require('node:path');
const { Runtime, DefaultLogger, Worker } = require('@temporalio/worker');
const { historyFromJSON } = require('@temporalio/common/lib/proto-utils');
(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const [bundleArg, historyFile] = process.argv.slice(2);
  const code = bundleArg === 'prebuilt' ? require('../../dist/prebuilt-bundle').checkPrebuiltBundle(path.join(__dirname, '../../dist')).code : fs.readFileSync(bundleArg, 'utf8');
  const history = historyFromJSON(JSON.parse(fs.readFileSync(historyFile, 'utf8')));
  const run = async (n) => { for await (const r of Worker.runReplayHistories({ workflowBundle: { code }, debugMode: true }, Array.from({ length: n }, (_, i) => ({ workflowId: 'r' + i, history })))) if (r.error) throw r.error; };
  await run(1); const c0 = count; await run(1); const c1 = count; await run(11);
  console.log(JSON.stringify({ file: path.basename(historyFile), promisesPerReplay: (count - c1) / 11, oneRun: c1 - c0 }));
})().catch((e) => { console.error(e); process.exit(1); });
