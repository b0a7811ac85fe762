/**
 * The Java fallback for the time-skipping test server, for real: Maven resolves the pinned
 * io.temporal:temporal-test-server with its dependencies into a scratch cache, and the SDK starts the
 * `exec` wrapper as an existing executable, skips a day of time, and tears it down.
 *
 * Needs `mvn` and `java` (17) on PATH and Maven Central reachable (or a warm ~/.m2). Warm: ~1.5 s to
 * provision, ~1.2 s for the JVM to answer gRPC — well inside the SDK's ~5 s wait.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureTool, type ResolvedTool } from '../../src/tools/provision';
import { TOOL_VERSIONS } from '../../src/tools/versions';

const SDK_WAIT_MS = 5000;

function portOpen(address: string): Promise<boolean> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

describe('Java time-skipping test server (Maven route)', () => {
  let cache: string;
  let tool: ResolvedTool;

  beforeAll(async () => {
    for (const cmd of ['mvn', 'java']) {
      const r = spawnSync(cmd, ['-version'], { encoding: 'utf8' });
      if (r.error) throw new Error(`${cmd} is not on PATH: the Java test-server route needs a JDK 17 and Maven`);
    }
    Runtime.install({ logger: new DefaultLogger('WARN') });
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-java-ts-'));
    tool = await ensureTool('test-server', { prefer: 'java', env: { ...process.env, DRILL_RUNNER_CACHE: cache } });
  }, 120_000);

  afterAll(() => {
    if (cache) fs.rmSync(cache, { recursive: true, force: true });
  });

  test('provisions the pinned version behind an exec wrapper', () => {
    const { version } = TOOL_VERSIONS.testServer.maven;
    expect(tool.version).toBe(version);
    expect(tool.path).toBe(path.join(cache, `test-server-java-${version}`, 'temporal-test-server'));
    const wrapper = fs.readFileSync(tool.path, 'utf8');
    expect(wrapper).toMatch(/^#!\/bin\/sh\n/);
    expect(wrapper).toMatch(/^exec java .* io\.temporal\.testserver\.TestServer "\$@"$/m);
    expect(fs.existsSync(path.join(path.dirname(tool.path), 'lib', `temporal-test-server-${version}.jar`))).toBe(true);
  });

  test('the SDK starts it as an existing executable, skips time, and tears it down', async () => {
    const started = Date.now();
    const env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: tool.path } },
    });
    const startMs = Date.now() - started;
    let address = '';
    try {
      address = env.address;
      expect(env.supportsTimeSkipping).toBe(true);
      // Must fit the SDK's wait with room for a loaded CI machine.
      expect(startMs).toBeLessThan(SDK_WAIT_MS);
      const before = await env.currentTimeMs();
      const t = Date.now();
      await env.sleep('1 day');
      const after = await env.currentTimeMs();
      expect(after - before).toBeGreaterThanOrEqual(24 * 3600 * 1000);
      expect(Date.now() - t).toBeLessThan(3000);
    } finally {
      await env.teardown();
    }
    // exec: the JVM was the SDK's direct child, so the kill reached it and the port is closed.
    let open = true;
    for (let i = 0; i < 30 && open; i++) {
      open = await portOpen(address);
      if (open) await new Promise((r) => setTimeout(r, 100));
    }
    expect(open).toBe(false);
    process.stdout.write(`java test server: ready in ${startMs} ms (SDK waits ~${SDK_WAIT_MS} ms)\n`);
  }, 30_000);
});
