/**
 * Canonical JSON is RFC 8785 (JCS), checked three ways: against the RFC's own published examples,
 * against the test vectors (`test/fixtures/rfc8785-vectors.json`, the same list the contract
 * doc shows) and against the Python target's independent canonicalizer. Also: every "§N" in the
 * contract doc names a section that exists.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CanonicalJsonError, canonicalJson, rfc8785 } from '../../src/domain/canonical-json';
import { sha256Hex } from '../../src/domain/sha256';
import { stateDigest } from '../../src/io/runtime-state-file';

const ROOT = path.resolve(__dirname, '..', '..');
const DOC = fs.readFileSync(path.join(ROOT, 'docs', 'target-contract.md'), 'utf8');
const PY_TARGET = path.join(ROOT, 'test', 'targets', 'python-target', 'target.py');

interface Vector {
  name: string;
  input: string;
  canonical: string;
  sha256: string;
}
const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'rfc8785-vectors.json'), 'utf8')) as { standard: string; vectors: Vector[] };

const sha = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest('hex');

test('the RFC 8785 published examples (§3.2.2 values, §3.2.3 sorting) come out as the RFC prints them', () => {
  const values = JSON.parse(
    '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
  );
  expect(rfc8785(values)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  const sorting = JSON.parse('{"\\u20ac": 1, "\\r": 2, "\\ufb33": 3, "1": 4, "\\ud83d\\ude00": 5, "\\u0080": 6, "\\u00f6": 7}') as Record<string, number>;
  // RFC 8785 §3.2.3: \r, 1, U+0080, U+00F6, U+20AC, U+1F600, U+FB33 (UTF-16 code units: the emoji's high surrogate D83D < FB33).
  expect(rfc8785(sorting)).toBe('{"\\r":2,"1":4,"\u0080":6,"\u00f6":7,"\u20ac":1,"\ud83d\ude00":5,"\ufb33":3}');
});

test('numbers are written as ECMAScript Number.prototype.toString writes the double', () => {
  const cases: Array<[number, string]> = [
    [0, '0'],
    [-0, '0'],
    [1e21, '1e+21'],
    [1e20, '100000000000000000000'],
    [1e-7, '1e-7'],
    [1e-6, '0.000001'],
    [5e-324, '5e-324'],
    [0.1 + 0.2, '0.30000000000000004'],
    [-1.5e-8, '-1.5e-8'],
    [2 ** 53 + 1, '9007199254740992'],
  ];
  for (const [n, text] of cases) expect(rfc8785(n)).toBe(text);
});

test.each(fixture.vectors.map((v) => [v.name, v] as const))('vector %s: canonical text and SHA-256 match', (_name, v) => {
  const text = rfc8785(JSON.parse(v.input));
  expect(text).toBe(v.canonical);
  expect(sha(text)).toBe(v.sha256);
  expect(sha256Hex(text)).toBe(v.sha256); // the pure implementation workflow code uses
  expect(canonicalJson(JSON.parse(v.input))).toBe(v.canonical); // the lenient one agrees on JSON values
});

test('the vectors in docs/target-contract.md are exactly the fixture file', () => {
  const m = /<!-- rfc8785-vectors:begin -->\n```json\n([\s\S]*?)\n```\n<!-- rfc8785-vectors:end -->/.exec(DOC);
  expect(m).not.toBeNull();
  expect(JSON.parse(m![1]!)).toEqual(fixture.vectors);
  expect(fixture.vectors.length).toBeGreaterThanOrEqual(7);
});

test('the Python target canonicalizes every vector to the same text and SHA-256 (an independent implementation)', () => {
  const r = spawnSync('python3', [PY_TARGET, 'canonical'], { input: fixture.vectors.map((v) => v.input.replace(/\n/g, ' ')).join('\n'), encoding: 'utf8' });
  expect(r.status).toBe(0);
  const out = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { canonical: string; sha256: string });
  expect(out).toEqual(fixture.vectors.map((v) => ({ canonical: v.canonical, sha256: v.sha256 })));
});

test('the state digest is sha256: + SHA-256 of the RFC 8785 text; what is not I-JSON is refused, not hashed', () => {
  const body = JSON.parse(fixture.vectors.at(-1)!.input) as Record<string, unknown>;
  expect(stateDigest(body)).toBe(`sha256:${fixture.vectors.at(-1)!.sha256}`);
  expect(() => rfc8785({ a: '\ud800' })).toThrow(CanonicalJsonError);
  expect(() => rfc8785({ a: [1, Number.NaN] })).toThrow(/a\[1\]: NaN is not a JSON number/);
  expect(() => rfc8785({ a: undefined })).toThrow(/a: undefined is not a JSON value/);
  expect(() => stateDigest({ x: Infinity })).toThrow(CanonicalJsonError);
});

test('canonicalJson keeps JSON.stringify choices for values JSON has no text for (audit hashes stay as they were)', () => {
  expect(canonicalJson({ b: undefined, a: Number.NaN, c: [undefined, Infinity], d: '\ud800' })).toBe('{"a":null,"c":[null,null],"d":"\\ud800"}');
  expect(canonicalJson({ b: undefined, a: Number.NaN, c: [undefined, Infinity], d: '\ud800' })).toBe(JSON.stringify({ a: null, c: [null, null], d: '\ud800' }));
});

test('every §N reference in the contract doc names a section that exists', () => {
  const headings = new Set<string>();
  for (const m of DOC.matchAll(/^#{2,3} (\d+(?:\.\d+)*)\.? /gm)) headings.add(m[1]!);
  expect(headings.has('5.1')).toBe(true);
  // References to the RFC's own sections ("RFC 8785 §3.2.2") are not ours.
  const refs = [...DOC.matchAll(/(?<!RFC 8785 )§ ?(\d+(?:\.\d+)*)/g)].map((m) => m[1]!);
  expect(refs.length).toBeGreaterThan(5);
  expect(refs.filter((r) => !headings.has(r))).toEqual([]);
  // The targets table points each field at its section.
  expect(DOC).toMatch(/\| `gatewayUrl` \|[^\n]*\(§4\)/);
  expect(DOC).toMatch(/\| `process` \|[^\n]*\(§7\)/);
  expect(DOC).toMatch(/\| `stateFile` \|[^\n]*\(§5\)/);
  expect(DOC).toMatch(/## 4\. Gateway/);
  expect(DOC).toMatch(/## 7\. Process control/);
  expect(DOC).toMatch(/## 5\. Runtime state/);
  // Other documents citing the contract by section.
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  for (const m of readme.matchAll(/target-contract\.md\)? §(\d+(?:\.\d+)*)/g)) expect(headings).toContain(m[1]!);
});
