/**
 * The prebuilt workflow bundle's staleness guard (src/prebuilt-bundle.ts) on real files in a temp
 * project: the build script's output shape (bundle + external map + manifest), then every way a
 * bundle can go stale or be damaged.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BUNDLE_FILE,
  MANIFEST_FILE,
  MAP_FILE,
  checkPrebuiltBundle,
  externalMapTrailer,
  joinSourceMap,
  leanSourceMap,
  sha256,
  splitInlineSourceMap,
  type BundleManifest,
} from '../../src/prebuilt-bundle';

const MAP = JSON.stringify({ version: 3, file: 'main.js', sources: ['a.ts'], names: [], mappings: 'AAAA' });
const INLINE = `var x = 1;\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(MAP).toString('base64')}`;

let root: string;
let dist: string;

/** What deploy/bundle-workflows.js writes: split bundle, map, manifest over two inputs. */
function writeProject(): void {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'prebuilt-'));
  dist = path.join(root, 'dist');
  fs.mkdirSync(path.join(dist, 'workflows'), { recursive: true });
  fs.mkdirSync(path.join(root, 'node_modules', 'zod'), { recursive: true });
  fs.writeFileSync(path.join(dist, 'workflows', 'index.js'), 'exports.a = 1;\n');
  fs.writeFileSync(path.join(root, 'node_modules', 'zod', 'package.json'), '{"version":"4.0.0"}\n');
  const split = splitInlineSourceMap(INLINE);
  fs.writeFileSync(path.join(dist, BUNDLE_FILE), split.code);
  fs.writeFileSync(path.join(dist, MAP_FILE), split.map);
  const inputs = ['dist/workflows/index.js', 'node_modules/zod/package.json'].map((p) => ({ path: p, sha256: sha256(fs.readFileSync(path.join(root, p))) }));
  const manifest: BundleManifest = { version: 1, createdAt: new Date().toISOString(), bundleSha256: sha256(split.code), mapSha256: sha256(split.map), inputs };
  fs.writeFileSync(path.join(dist, MANIFEST_FILE), JSON.stringify(manifest));
}

beforeEach(writeProject);
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

test('split keeps the map out of the bundle file; join gives back the inline form the SDK reads', () => {
  const split = splitInlineSourceMap(INLINE);
  expect(split.code).toBe(`var x = 1;${externalMapTrailer}`);
  expect(split.code).not.toContain('base64');
  expect(split.map).toBe(MAP);
  expect(joinSourceMap(split.code, split.map)).toBe(INLINE);
  expect(() => splitInlineSourceMap('var x = 1;\n')).toThrow(/no inline source map/);
});

test('the lean map keeps every position and drops the sources text a worker never reads', () => {
  const map = JSON.stringify({ version: 3, file: 'b.js', sources: ['a.ts'], sourcesContent: ['const a = 1;'], names: ['a'], mappings: 'AAAA' });
  expect(JSON.parse(leanSourceMap(map))).toEqual({ version: 3, file: 'b.js', sources: ['a.ts'], names: ['a'], mappings: 'AAAA' });
});

test('a current bundle is used, with its map inlined again in memory', () => {
  const r = checkPrebuiltBundle(dist);
  expect(r).toEqual({ ok: true, code: INLINE, files: 2, bundleSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
});

test('a changed input (a tsc without the bundle step) makes the bundle stale', () => {
  fs.writeFileSync(path.join(dist, 'workflows', 'index.js'), 'exports.a = 2;\n');
  expect(checkPrebuiltBundle(dist)).toEqual({ ok: false, reason: 'stale: dist/workflows/index.js changed since the bundle was built' });
});

test('another package version under node_modules makes the bundle stale', () => {
  fs.writeFileSync(path.join(root, 'node_modules', 'zod', 'package.json'), '{"version":"4.1.0"}\n');
  expect(checkPrebuiltBundle(dist)).toMatchObject({ ok: false, reason: expect.stringMatching(/node_modules\/zod\/package\.json changed/) });
});

test('a removed input makes the bundle stale', () => {
  fs.rmSync(path.join(dist, 'workflows', 'index.js'));
  expect(checkPrebuiltBundle(dist)).toEqual({ ok: false, reason: 'stale: dist/workflows/index.js is gone' });
});

test('missing, damaged or foreign files are refused with the reason', () => {
  fs.appendFileSync(path.join(dist, BUNDLE_FILE), '// edited\n');
  expect(checkPrebuiltBundle(dist)).toMatchObject({ ok: false, reason: `${BUNDLE_FILE} does not match its manifest` });
  writeProject();
  fs.writeFileSync(path.join(dist, MAP_FILE), '{}');
  expect(checkPrebuiltBundle(dist)).toMatchObject({ ok: false, reason: `${MAP_FILE} missing or does not match its manifest` });
  writeProject();
  fs.writeFileSync(path.join(dist, MANIFEST_FILE), '{"version":1');
  expect(checkPrebuiltBundle(dist)).toMatchObject({ ok: false, reason: expect.stringMatching(/^unreadable workflow-bundle\.json/) });
  writeProject();
  fs.rmSync(path.join(dist, MANIFEST_FILE));
  expect(checkPrebuiltBundle(dist)).toMatchObject({ ok: false, reason: `no ${MANIFEST_FILE} beside ${BUNDLE_FILE}` });
  fs.rmSync(path.join(dist, BUNDLE_FILE));
  expect(checkPrebuiltBundle(dist)).toMatchObject({ ok: false, reason: expect.stringMatching(/^no workflow-bundle\.js/) });
});
