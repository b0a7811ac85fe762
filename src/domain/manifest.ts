/**
 * The evidence bundle's manifest: the SHA-256 of every file in the bundle (except the manifest
 * itself), and the pure comparison of a manifest against what is on disk. Hashing and listing are
 * I/O and live in `io/evidence-bundle.ts`.
 */
import { z } from 'zod';

export const MANIFEST_FILE = 'manifest.json';
/** The subject as a file of the bundle: hashed in the manifest like every other file. */
export const SUBJECT_FILE = 'subject.json';

/** The subject's bytes: keys sorted, so the same subject always hashes the same. */
export function subjectText(subject: Record<string, string>): string {
  return `${JSON.stringify(
    Object.fromEntries(
      Object.keys(subject)
        .sort()
        .map((k) => [k, subject[k]]),
    ),
    null,
    2,
  )}\n`;
}

/**
 * A bundle-relative path: `/`-separated, no empty, `.` or `..` segment, not absolute. A manifest
 * naming anything else is rejected (it could point a verifier outside the bundle).
 */
export const bundlePathSchema = z
  .string()
  .min(1)
  .max(1024)
  .refine((p) => !p.startsWith('/') && !p.includes('\\') && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'), {
    error: 'expected a relative path inside the bundle (no "..", no leading "/")',
  });

export const manifestEntrySchema = z.object({
  path: bundlePathSchema,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'expected 64 lowercase hex digits' }),
  bytes: z.number().int().nonnegative(),
});
export type ManifestEntry = z.infer<typeof manifestEntrySchema>;

export const manifestSchema = z.object({
  schemaVersion: z.literal(1),
  algorithm: z.literal('sha256'),
  createdAt: z.iso.datetime({ offset: true }),
  /** What the bundle is evidence of (free-form, e.g. `{ experimentId, runId }`). */
  subject: z.record(z.string(), z.string()).default({}),
  files: z.array(manifestEntrySchema).superRefine((files, ctx) => {
    const seen = new Set<string>();
    files.forEach((f, i) => {
      if (f.path === MANIFEST_FILE) ctx.addIssue({ code: 'custom', path: [i, 'path'], message: 'the manifest does not list itself' });
      if (seen.has(f.path)) ctx.addIssue({ code: 'custom', path: [i, 'path'], message: `duplicate path ${f.path}` });
      seen.add(f.path);
    });
  }),
});
export type Manifest = z.infer<typeof manifestSchema>;

/** A manifest over `files`, sorted by path so the same bundle always gives the same manifest. */
export function buildManifest(files: readonly ManifestEntry[], createdAt: string, subject: Record<string, string> = {}): Manifest {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return manifestSchema.parse({ schemaVersion: 1, algorithm: 'sha256', createdAt, subject, files: sorted });
}

export interface ManifestCheck {
  ok: boolean;
  /** Listed, present, different content (hash or size). */
  changed: string[];
  /** Listed, not present. */
  missing: string[];
  /** Present, not listed. */
  extra: string[];
  /** Listed and matching. */
  verified: number;
}

/** Compares a manifest with the files actually found (manifest.json itself excluded by the caller). */
export function checkManifest(manifest: Manifest, actual: readonly ManifestEntry[]): ManifestCheck {
  const byPath = new Map(actual.map((a) => [a.path, a]));
  const changed: string[] = [];
  const missing: string[] = [];
  let verified = 0;
  for (const f of manifest.files) {
    const a = byPath.get(f.path);
    if (!a) missing.push(f.path);
    else if (a.sha256 !== f.sha256 || a.bytes !== f.bytes) changed.push(f.path);
    else verified++;
  }
  const listed = new Set(manifest.files.map((f) => f.path));
  const extra = actual
    .filter((a) => !listed.has(a.path) && a.path !== MANIFEST_FILE)
    .map((a) => a.path)
    .sort();
  return { ok: changed.length === 0 && missing.length === 0 && extra.length === 0, changed, missing, extra, verified };
}
