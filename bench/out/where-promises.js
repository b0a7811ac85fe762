'use strict';
const v8 = require('node:v8');
const where = new Map();
let on = false;
const orig = v8.promiseHooks.createHook.bind(v8.promiseHooks);
v8.promiseHooks.createHook = (h) => orig({ ...h, init: (p, parent) => {
  if (on && p.constructor !== Promise) {
    const saved = Error.stackTraceLimit; Error.stackTraceLimit = 30;
    const o = {}; const prev = Error.prepareStackTrace; Error.prepareStackTrace = (e, cs) => cs; Error.captureStackTrace(o); const cs = o.stack; Error.prepareStackTrace = prev; Error.stackTraceLimit = saved;
    const fns = cs.slice(1).map((c) => c.getFunctionName() || '?');
    const sdk = ['condition', 'sleep', 'scheduleActivity', 'scheduleLocalActivity', 'doUpdateImpl', 'startWorkflow', 'activate'].find((n) => fns.includes(n)) || 'other';
    const ours = ['acknowledge', 'settleDeliveries', 'queueLifecycle', 'watchLoop', 'startWatching', 'fire', 'run', 'continueAsNewNow'].find((n) => fns.includes(n)) || '-';
    const names = `${ours} / ${sdk}`;
    where.set(names, (where.get(names) || 0) + 1);
  }
  return h.init(p, parent);
} });
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
  await run(1); on = true; await run(1);
  for (const [k, v] of [...where].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(v, k);
})().catch((e) => { console.error(e); process.exit(1); });
