/**
 * The prebuilt workflow bundle (`npm run build` → deploy/bundle-workflows.js) and its staleness guard.
 *
 * On disk, in dist/: `workflow-bundle.js` (code, a `sourceMappingURL` comment naming the external
 * map), `workflow-bundle.js.map`, and `workflow-bundle.json`: a manifest with the sha256 of the
 * bundle, its map, and every file webpack read to build it (the compiled workflow code and the
 * packages it imports), paths relative to the project root.
 *
 * A worker uses the bundle only when every hash still matches; otherwise (a `tsc` without the bundle
 * step, an edited file, a different zod or SDK under node_modules, a missing map) it says why and the
 * caller bundles from source. The check (~50 small files plus the bundle and its map) costs tens of
 * ms at start (bench/workflows.md).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const BUNDLE_FILE = 'workflow-bundle.js';
export const MAP_FILE = 'workflow-bundle.js.map';
export const MANIFEST_FILE = 'workflow-bundle.json';

export interface BundleManifest {
  version: 1;
  createdAt: string;
  bundleSha256: string;
  mapSha256: string;
  /** Every file webpack read (except the SDK's generated entry), relative to the project root. */
  inputs: Array<{ path: string; sha256: string }>;
}

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** The trailer a bundle file carries instead of its inline map. */
export const externalMapTrailer = `\n//# sourceMappingURL=${MAP_FILE}\n`;

/** Splits the SDK's bundle (inline base64 source map) into code with an external-map trailer and the map. */
export function splitInlineSourceMap(code: string): { code: string; map: string } {
  const at = code.lastIndexOf('//# sourceMappingURL=data:');
  const b64 = at >= 0 ? code.indexOf('base64,', at) : -1;
  if (b64 < 0) throw new Error('the workflow bundle has no inline source map to split');
  const map = Buffer.from(code.slice(b64 + 'base64,'.length).trim(), 'base64').toString('utf8');
  return { code: code.slice(0, at).trimEnd() + externalMapTrailer, map };
}

/**
 * The map without `sourcesContent` (about 2 of its 2.9 MiB): a worker maps stack-trace positions and
 * reads sources only with the SDK's `showStackTraceSources`, which drill-runner leaves off. Every
 * worker start inlines, decodes and parses the map, so the smaller map starts it faster.
 */
export function leanSourceMap(map: string): string {
  const parsed = JSON.parse(map) as Record<string, unknown>;
  delete parsed.sourcesContent;
  return JSON.stringify(parsed);
}

/**
 * The code the SDK's `workflowBundle: { code }` accepts: it insists on an inline map (it maps
 * workflow stack traces with it), so the external map is inlined again in memory.
 */
export function joinSourceMap(code: string, map: string): string {
  const body = code.endsWith(externalMapTrailer) ? code.slice(0, -externalMapTrailer.length) : code;
  return `${body}\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(map, 'utf8').toString('base64')}`;
}

export type PrebuiltCheck = { ok: true; code: string; files: number; bundleSha256: string } | { ok: false; reason: string };

function readIfExists(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Checks the prebuilt bundle in `distDir` against its manifest (project root = `distDir/..`).
 * Never throws for a missing or mismatched file: returns the reason.
 */
export function checkPrebuiltBundle(distDir: string): PrebuiltCheck {
  const root = path.dirname(distDir);
  const bundle = readIfExists(path.join(distDir, BUNDLE_FILE));
  if (!bundle) return { ok: false, reason: `no ${BUNDLE_FILE} (run \`npm run build\`)` };
  const manifestRaw = readIfExists(path.join(distDir, MANIFEST_FILE));
  if (!manifestRaw) return { ok: false, reason: `no ${MANIFEST_FILE} beside ${BUNDLE_FILE}` };
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(manifestRaw.toString('utf8')) as BundleManifest;
    if (manifest.version !== 1 || !Array.isArray(manifest.inputs)) throw new Error('unknown manifest version');
  } catch (err) {
    return { ok: false, reason: `unreadable ${MANIFEST_FILE}: ${(err as Error).message}` };
  }
  if (sha256(bundle) !== manifest.bundleSha256) return { ok: false, reason: `${BUNDLE_FILE} does not match its manifest` };
  const map = readIfExists(path.join(distDir, MAP_FILE));
  if (!map || sha256(map) !== manifest.mapSha256) return { ok: false, reason: `${MAP_FILE} missing or does not match its manifest` };
  for (const input of manifest.inputs) {
    const data = readIfExists(path.join(root, input.path));
    if (!data) return { ok: false, reason: `stale: ${input.path} is gone` };
    if (sha256(data) !== input.sha256) return { ok: false, reason: `stale: ${input.path} changed since the bundle was built` };
  }
  return { ok: true, code: joinSourceMap(bundle.toString('utf8'), map.toString('utf8')), files: manifest.inputs.length, bundleSha256: manifest.bundleSha256 };
}
