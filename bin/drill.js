#!/usr/bin/env node
'use strict';
// Entry for the `drill` command: runs the compiled CLI (npm run build).
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('drill: not built yet. Run `npm run build` (or `npm ci`, which builds) first.\n');
  process.exit(2);
}
require(cli).main(process.argv).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`drill: ${err && err.stack ? err.stack : err}\n`);
    process.exit(2);
  },
);
