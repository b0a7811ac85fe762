/**
 * RFC 8785 across languages, generated: any JSON value (deep nesting, doubles of every magnitude,
 * strings of any code point, lone surrogates included) canonicalized by our `rfc8785` and by the
 * Python target's independent canonicalizer (one long-lived `target.py canonical` process) gives the
 * same text and SHA-256, or both refuse it (not I-JSON). This is what makes a Python target's state
 * digest verify in drill-runner.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import crypto from 'node:crypto';
import readline from 'node:readline';
import fc from 'fast-check';
import { CanonicalJsonError, rfc8785 } from '../../src/domain/canonical-json';
import { checkHostile } from '../helpers/hostile';
import { PY_TARGET } from '../helpers/python-target';

let py: ChildProcessWithoutNullStreams;
let answers: AsyncIterator<string>;

beforeAll(() => {
  py = spawn('python3', [PY_TARGET, 'canonical']);
  answers = readline.createInterface({ input: py.stdout })[Symbol.asyncIterator]();
});
afterAll(() => {
  py.stdin.end();
  py.kill();
});

async function python(value: unknown): Promise<{ canonical?: string; sha256?: string; error?: string }> {
  py.stdin.write(`${JSON.stringify(value)}\n`);
  const r = await answers.next();
  if (r.done) throw new Error('the Python canonicalizer exited');
  return JSON.parse(r.value) as { canonical?: string; sha256?: string; error?: string };
}

const doubles = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom(0, -0, 1e21, 1e-7, 1e-6, 5e-324, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, 2 ** 53 + 2, 0.1, 1 / 3, 123456789012345680000),
);
const strings = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('\u2028', '\u007f', '\ufb33', '\ud83d\ude00', '\ud800', '\udc00x'),
);
const { json } = fc.letrec((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    fc.constant(null),
    fc.boolean(),
    doubles,
    strings,
    fc.array(tie('json'), { maxLength: 5 }),
    fc.dictionary(strings, tie('json'), { maxKeys: 5 }),
  ),
}));

test("any JSON value: our RFC 8785 text and SHA-256 equal the Python target's, or both refuse it", async () => {
  await checkHostile({
    boundary: 'canonical-json/rfc8785-vs-python',
    through: 'rfc8785 (src/domain/canonical-json.ts) and target.py canonical (test/targets/python-target)',
    checks: ['same canonical text', 'same SHA-256 of its UTF-8', 'a value one refuses (lone surrogate) the other refuses too'],
    test: 'test/hostile/canonical-json.test.ts',
    arbitrary: json,
    run: async (value) => {
      let ours: string | undefined;
      try {
        ours = rfc8785(value);
      } catch (err) {
        if (!(err instanceof CanonicalJsonError)) throw err;
      }
      const theirs = await python(value);
      if (ours === undefined) {
        if (theirs.error === undefined) throw new Error(`we refused ${JSON.stringify(value)}, Python gave ${theirs.canonical}`);
        return 'refused by both';
      }
      if (theirs.canonical !== ours) throw new Error(`${JSON.stringify(value)}: ours ${ours}, Python's ${theirs.canonical ?? theirs.error}`);
      if (theirs.sha256 !== crypto.createHash('sha256').update(ours, 'utf8').digest('hex')) throw new Error(`${JSON.stringify(value)}: SHA-256 differs`);
      return 'same text and digest';
    },
  });
});
