#!/usr/bin/env node
// Writes docs/workflows.md from the built generator (`npm run docs:workflows` builds first).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import generator from '../dist/tools/workflow-docs.js';

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'workflows.md');
const tmp = `${file}.tmp-${process.pid}`;
fs.writeFileSync(tmp, generator.renderWorkflowsDoc());
fs.renameSync(tmp, file);
process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
