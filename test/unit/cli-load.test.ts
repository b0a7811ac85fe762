/**
 * What the `drill` command loads before it knows which subcommand runs (checked in a plain `node` on
 * the compiled CLI; `npm test` builds first). The worker SDK and the test server's package are
 * ~0.3 s of a cold start and only `drill dev`, `drill worker` and `drill rehearse` need them: those
 * load them when they run.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

function packagesLoadedBy(script: string): string[] {
  const report = `
    const names = new Set();
    for (const f of Object.keys(require.cache)) {
      const m = f.match(/node_modules[\\\\/](@temporalio[\\\\/][^\\\\/]+|pino|zod)[\\\\/]/);
      if (m) names.add(m[1].replace('\\\\', '/'));
    }
    process.stdout.write(JSON.stringify([...names].sort()));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', `${script}\n${report}`], { cwd: ROOT, encoding: 'utf8' })) as string[];
}

test('loading the CLI loads the client, not the worker SDK or the test server', () => {
  const loaded = packagesLoadedBy("require('./dist/cli.js');");
  expect(loaded).toEqual(expect.arrayContaining(['@temporalio/client', 'pino', 'zod']));
  expect(loaded).not.toContain('@temporalio/worker');
  expect(loaded).not.toContain('@temporalio/testing');
});

test('the commands that need the worker SDK still load it when they run', () => {
  const loaded = packagesLoadedBy("require('./dist/worker.js'); require('./dist/commands/rehearse.js');");
  expect(loaded).toEqual(expect.arrayContaining(['@temporalio/worker', '@temporalio/testing']));
});

test('`drill --version` answers without a server, a worker or the test server', () => {
  const out = execFileSync(process.execPath, [path.join(ROOT, 'bin', 'drill.js'), '--version'], { cwd: ROOT, encoding: 'utf8' });
  expect(out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
});
