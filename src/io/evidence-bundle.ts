/**
 * Evidence bundles on disk: written whole into a temp folder and renamed into place, with a
 * `manifest.json` holding the SHA-256 of every other file — the subject (`subject.json`: what the
 * bundle is evidence of) included; and verified against that manifest and, when given, against a
 * pinned SHA-256 of the manifest itself (printed by `drill promote`): a bundle whose verdict was
 * flipped and whose manifest was re-hashed still verifies against itself, never against the pin.
 * Used by the promotion gate's activity and by `drill verify-bundle`.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import {
  buildManifest,
  checkManifest,
  MANIFEST_FILE,
  manifestSchema,
  SUBJECT_FILE,
  subjectText,
  type Manifest,
  type ManifestCheck,
  type ManifestEntry,
} from '../domain/manifest';
import { describeIssues } from '../domain/validation-kit';

/** One file of a bundle: literal content, or (a prefix of) a file copied in. */
export type BundleEntry =
  | { path: string; content: string | Uint8Array }
  | { path: string; copyFrom: string; /** Copy only the first `bytes` bytes (what was evaluated). */ bytes?: number };

export interface WrittenBundle {
  dir: string;
  /** Bundle-relative paths, manifest included, sorted. */
  files: string[];
  manifest: Manifest;
  manifestSha256: string;
}

/** SHA-256 and size of a file, streamed. */
export async function hashFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Every regular file under `dir`, bundle-relative with `/` separators, sorted. Symlinks count as files to flag, not follow. */
export async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await fsp.readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${d.name}` : d.name;
    if (d.isDirectory()) out.push(...(await listFiles(path.join(dir, d.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

async function hashEntries(dir: string): Promise<ManifestEntry[]> {
  const files = (await listFiles(dir)).filter((f) => f !== MANIFEST_FILE);
  return Promise.all(files.map(async (p) => ({ path: p, ...(await hashFile(path.join(dir, ...p.split('/')))) })));
}

async function fsyncPath(p: string): Promise<void> {
  const h = await fsp.open(p, 'r');
  try {
    await h.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  } finally {
    await h.close();
  }
}

/** Writes one entry into `root` and returns its manifest line (hash of the bytes written). */
async function writeEntry(root: string, entry: BundleEntry): Promise<ManifestEntry> {
  const target = path.join(root, ...entry.path.split('/'));
  await fsp.mkdir(path.dirname(target), { recursive: true });
  const hash = createHash('sha256');
  let bytes = 0;
  if ('content' in entry) {
    const data = typeof entry.content === 'string' ? Buffer.from(entry.content, 'utf8') : entry.content;
    hash.update(data);
    bytes = data.length;
    const h = await fsp.open(target, 'w', 0o644);
    try {
      await h.writeFile(data);
      await h.sync();
    } finally {
      await h.close();
    }
  } else {
    const limit = entry.bytes;
    if (limit === 0) {
      await fsp.writeFile(target, '');
    } else {
      const tap = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          bytes += chunk.length;
          cb(null, chunk);
        },
      });
      await pipeline(
        fs.createReadStream(entry.copyFrom, limit !== undefined ? { start: 0, end: limit - 1 } : {}),
        tap,
        fs.createWriteStream(target, { mode: 0o644 }),
      );
      await fsyncPath(target);
    }
  }
  return { path: entry.path, sha256: hash.digest('hex'), bytes };
}

/**
 * Writes the bundle into a sibling temp folder (files fsynced, `manifest.json` last), then renames
 * it into place; an existing bundle is renamed aside first and removed after. A reader sees the old
 * bundle, the new one, or (for the instant between the two renames) none: never a mix. Leftovers of
 * an interrupted earlier attempt are removed first, so a retry or a rerun starts clean.
 */
export async function writeBundleAtomically(
  finalDir: string,
  entries: readonly BundleEntry[],
  createdAt: string,
  subject: Record<string, string> = {},
  onEntry: (path: string) => void = () => undefined,
): Promise<WrittenBundle> {
  const parent = path.dirname(finalDir);
  const base = path.basename(finalDir);
  await fsp.mkdir(parent, { recursive: true });
  for (const name of await fsp.readdir(parent)) {
    if (name.startsWith(`.${base}.tmp-`) || name.startsWith(`.${base}.old-`)) await fsp.rm(path.join(parent, name), { recursive: true, force: true });
  }
  const suffix = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const tmp = path.join(parent, `.${base}.tmp-${suffix}`);
  const old = path.join(parent, `.${base}.old-${suffix}`);
  await fsp.mkdir(tmp);
  try {
    const lines: ManifestEntry[] = [];
    // The subject is a file like any other, so the manifest's hashes cover it.
    const all: BundleEntry[] = Object.keys(subject).length ? [...entries, { path: SUBJECT_FILE, content: subjectText(subject) }] : [...entries];
    for (const e of all) {
      onEntry(e.path);
      lines.push(await writeEntry(tmp, e));
    }
    const manifest = buildManifest(lines, createdAt, subject);
    const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
    const m = await writeEntry(tmp, { path: MANIFEST_FILE, content: manifestText });
    await fsyncPath(tmp);
    const hadOld = await fsp.rename(finalDir, old).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return false;
        throw err;
      },
    );
    await fsp.rename(tmp, finalDir);
    await fsyncPath(parent);
    if (hadOld) await fsp.rm(old, { recursive: true, force: true });
    return { dir: finalDir, files: [...lines.map((l) => l.path), MANIFEST_FILE].sort(), manifest, manifestSha256: m.sha256 };
  } catch (err) {
    await fsp.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

export type BundleVerification =
  | ({
      ok: boolean;
      dir: string;
      manifestSha256: string;
      subject: Record<string, string>;
      /** `subject.json` is listed in the manifest (bundles written before it was are not covered). */
      subjectCovered: boolean;
      /** The manifest's `subject` differs from the hashed `subject.json`. */
      subjectMismatch: boolean;
      /** The pinned manifest hash, when one was given, and whether it matches. */
      pinned?: { expected: string; ok: boolean };
    } & ManifestCheck)
  | { ok: false; dir: string; error: string };

/**
 * Checks every file of a bundle against its manifest (changed, missing and extra files), the
 * manifest's subject against the hashed `subject.json`, and the manifest itself against a pinned hash.
 */
export async function verifyBundle(dir: string, opts: { expectHash?: string } = {}): Promise<BundleVerification> {
  const manifestPath = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await fsp.readFile(manifestPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      ok: false,
      dir,
      error: code === 'ENOENT' ? `${manifestPath} not found: not an evidence bundle` : `cannot read ${manifestPath}: ${(err as Error).message}`,
    };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, dir, error: `${manifestPath} is not JSON` };
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, dir, error: `${manifestPath} is not a valid manifest: ${describeIssues(parsed.error, { root: '(manifest)', rootWhenBlank: true })}` };
  }
  const check = checkManifest(parsed.data, await hashEntries(dir));
  const manifestSha256 = createHash('sha256').update(text).digest('hex');
  const subjectCovered = parsed.data.files.some((f) => f.path === SUBJECT_FILE);
  let subjectMismatch = false;
  if (subjectCovered) {
    const onDisk = await fsp.readFile(path.join(dir, SUBJECT_FILE), 'utf8').catch(() => undefined);
    subjectMismatch = onDisk === undefined || onDisk !== subjectText(parsed.data.subject);
  }
  const pinned = opts.expectHash ? { expected: opts.expectHash, ok: opts.expectHash === manifestSha256 } : undefined;
  const ok = check.ok && !subjectMismatch && (pinned?.ok ?? true);
  return { ...check, ok, dir, manifestSha256, subject: parsed.data.subject, subjectCovered, subjectMismatch, ...(pinned ? { pinned } : {}) };
}
