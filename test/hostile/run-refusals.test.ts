/**
 * `drill run weekly` refuses, before any workflow starts (issue 9): a target the targets file does
 * not name (a typo must not start a workflow, write evidence or page), no targets file at all, and
 * an `--input` that is valid JSON but not an object (`[1,2]`, `null`, a number, a string). Through
 * the real CLI entry (`main` of src/cli.ts): exit 2, a message naming the problem, no connection to
 * the Temporal address (a loopback listener counts them), no file created or changed.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { main } from '../../src/cli';
import { checkHostile, writeUnreachableTargetsFile } from '../helpers/hostile';

let dir: string;
let server: net.Server;
let connections = 0;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'run-refusals-'));
  server = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  fs.mkdirSync(path.join(dir, 'results'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'state'), { recursive: true });
  writeUnreachableTargetsFile(dir, port);
  const env: Record<string, string | undefined> = {
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    TEMPORAL_NAMESPACE: 'default',
    DRILL_RESULTS_DIR: path.join(dir, 'results'),
    DRILL_STATE_DIR: path.join(dir, 'state'),
    DRILL_TARGETS_FILE: path.join(dir, 'targets.json'),
    DRILL_SANDBOX_CONFIG: undefined,
    DRILL_LOG_LEVEL: 'silent',
    DRILL_LOG_PRETTY: 'false',
    GITHUB_STEP_SUMMARY: undefined,
    TEMPORAL_API_KEY: undefined,
    TEMPORAL_PROFILE: undefined,
    TEMPORAL_CONFIG_FILE: path.join(dir, 'no-such-profile.toml'),
  };
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await new Promise((resolve) => server?.close(resolve));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function snapshot(root: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        out.push(`${p}/`);
        walk(p);
      } else {
        const st = fs.statSync(p);
        out.push(`${p} ${st.size} ${st.mtimeMs}`);
      }
    }
  };
  walk(root);
  return out.sort().join('\n');
}

/** Runs the CLI; checks exit 2, no connection, no file change; returns the error text. */
async function refused(args: string[]): Promise<string> {
  const out: string[] = [];
  const err: string[] = [];
  const conns = connections;
  const before = snapshot(dir);
  const code = await main(['node', 'drill', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  const text = err.join('\n');
  if (code !== 2) throw new Error(`drill ${args.join(' ')}: exit ${code}, expected 2\n${text}\n${out.join('\n')}`);
  if (connections !== conns) throw new Error(`drill ${args.join(' ')}: connected to Temporal before refusing`);
  if (snapshot(dir) !== before) throw new Error(`drill ${args.join(' ')}: files changed`);
  return text;
}

test('an unknown target is refused naming it and the targets the file has', async () => {
  const text = await refused(['run', 'weekly', '--target', 'paper-2', '--drill-id', 'd1']);
  expect(text).toMatch(/--target: unknown target "paper-2": .*targets\.json names paper-1\. Nothing was started\./);
});

test('without any targets file, a named target is refused (it cannot be checked)', async () => {
  const file = process.env.DRILL_TARGETS_FILE;
  process.env.DRILL_TARGETS_FILE = path.join(dir, 'missing.json');
  try {
    expect(await refused(['run', 'weekly', '--target', 'paper-1'])).toMatch(/unknown target "paper-1": no targets file found/);
  } finally {
    process.env.DRILL_TARGETS_FILE = file;
  }
});

test.each([
  ['[1,2]', 'an array'],
  ['[]', 'an array'],
  ['null', 'null'],
  ['42', 'a number'],
  ['"weekly"', 'a string'],
  ['true', 'a boolean'],
])('--input %s is refused (%s), before the target is looked at', async (input, kind) => {
  // The input is checked first: nothing else is looked at for a malformed drill input.
  const text = await refused(['run', 'weekly', '--target', 'paper-1', `--input=${input}`]);
  expect(text).toContain(`--input: expected a JSON object, got ${kind}`);
});

test('generated target names the file does not have: every one refused before any connection', async () => {
  const safeId = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,40}$/).filter((s) => s !== 'paper-1');
  await checkHostile({
    boundary: 'cli-run-weekly/unknown-target',
    through: 'main() of src/cli.ts → runWeeklyCommand (refuseUnknownTarget)',
    checks: ['exit code 2', 'the error names the unknown target', 'no connection to the Temporal address', 'no file created or changed'],
    test: 'test/hostile/run-refusals.test.ts',
    arbitrary: safeId,
    run: async (name) => {
      const text = await refused(['run', 'weekly', `--target=${name}`]);
      if (!text.includes(`unknown target ${JSON.stringify(name)}`)) throw new Error(`the error does not name ${name}: ${text}`);
      return 'refused';
    },
  });
});
