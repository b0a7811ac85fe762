/** The evidence manifest (pure): building, schema, and detecting changed / missing / extra files. */
import { buildManifest, checkManifest, manifestSchema, type ManifestEntry } from '../../src/domain/manifest';

const h = (c: string) => c.repeat(64);
const files: ManifestEntry[] = [
  { path: 'verdict.json', sha256: h('a'), bytes: 10 },
  { path: 'artifacts/ops_slo_events.jsonl', sha256: h('b'), bytes: 20 },
  { path: 'verdict.md', sha256: h('c'), bytes: 30 },
];
const manifest = buildManifest(files, '2026-11-25T00:00:00.000Z', { experimentId: 'e', runId: 'r' });

test('sorted by path, versioned, names its algorithm', () => {
  expect(manifest.files.map((f) => f.path)).toEqual(['artifacts/ops_slo_events.jsonl', 'verdict.json', 'verdict.md']);
  expect(manifest).toMatchObject({ schemaVersion: 1, algorithm: 'sha256', subject: { experimentId: 'e', runId: 'r' } });
});

test('the same files verify', () => {
  expect(checkManifest(manifest, [...files].reverse())).toEqual({ ok: true, changed: [], missing: [], extra: [], verified: 3 });
});

test('a changed file (hash or size), a missing one and an extra one are each reported', () => {
  const actual = [
    { ...files[0]!, sha256: h('d') },
    { ...files[1]!, bytes: 21 },
    { path: 'notes.txt', sha256: h('e'), bytes: 1 },
    { path: 'manifest.json', sha256: h('f'), bytes: 1 },
  ];
  expect(checkManifest(manifest, actual)).toEqual({
    ok: false,
    changed: ['artifacts/ops_slo_events.jsonl', 'verdict.json'],
    missing: ['verdict.md'],
    extra: ['notes.txt'],
    verified: 0,
  });
});

test.each(['../escape', '/abs', 'a//b', './a', 'a\\b', ''])('rejects the path %j', (p) => {
  expect(manifestSchema.safeParse({ ...manifest, files: [{ path: p, sha256: h('a'), bytes: 1 }] }).success).toBe(false);
});

test('rejects duplicates, a listed manifest and bad hashes', () => {
  expect(manifestSchema.safeParse({ ...manifest, files: [files[0], files[0]] }).success).toBe(false);
  expect(manifestSchema.safeParse({ ...manifest, files: [{ path: 'manifest.json', sha256: h('a'), bytes: 1 }] }).success).toBe(false);
  expect(manifestSchema.safeParse({ ...manifest, files: [{ path: 'x', sha256: 'ABC', bytes: 1 }] }).success).toBe(false);
});
