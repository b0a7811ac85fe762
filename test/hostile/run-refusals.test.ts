/**
 * `drill run weekly` refuses, before any workflow starts (issue 9): a target the targets file does
 * not name (a typo must not start a workflow, write evidence or page), no targets file at all, and
 * an `--input` that is valid JSON but not an object (`[1,2]`, `null`, a number, a string). Through
 * the real CLI entry (`main` of src/cli.ts): exit 2, a message naming the problem, no connection to
 * the Temporal address (a loopback listener counts them), no file created or changed.
 */
import path from 'node:path';
import fc from 'fast-check';
import { checkHostile } from '../helpers/hostile';
import { startOfflineCli, type OfflineCli } from '../helpers/offline-cli';

let cli: OfflineCli;

beforeAll(async () => {
  cli = await startOfflineCli('run-refusals-');
});

afterAll(async () => {
  await cli?.close();
});

/** Runs the CLI; checks exit 2, no connection, no file change; returns the error text. */
async function refused(args: string[]): Promise<string> {
  const r = await cli.runTouchingNothing(args);
  if (r.code !== 2) throw new Error(`drill ${args.join(' ')}: exit ${r.code}, expected 2\n${r.err}\n${r.out}`);
  return r.err;
}

test('an unknown target is refused naming it and the targets the file has', async () => {
  const text = await refused(['run', 'weekly', '--target', 'paper-2', '--drill-id', 'd1']);
  expect(text).toMatch(/--target: unknown target "paper-2": .*targets\.json names paper-1\. Nothing was started\./);
});

test('without any targets file, a named target is refused (it cannot be checked)', async () => {
  const file = process.env.DRILL_TARGETS_FILE;
  process.env.DRILL_TARGETS_FILE = path.join(cli.dir, 'missing.json');
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
