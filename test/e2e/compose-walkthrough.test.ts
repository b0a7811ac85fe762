/**
 * docs/deploy.md's walkthrough, from a running stack to a passing drill, without Docker: the compose
 * worker (its environment, its image's build id, the demo target files of deploy/targets/ with the
 * container paths moved to test folders) as a real `node dist/worker.js` process, then each
 * `docker compose -p drill-runner exec worker …` line of the page's walkthrough block run as the same
 * command with the same environment, and the compose healthcheck command against the worker.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { drillReportSchema } from '../../src/domain/drill-report';
import { killSandbox } from '../../src/sandbox/control';
import { composeWorkerEnv, fleetMounts, spawnWorker, startFleetServer, type FleetServer, type FleetWorker } from '../helpers/fleet';
import { freePort } from '../helpers/process';

const ROOT = path.resolve(__dirname, '..', '..');
const EXEC = 'docker compose -p drill-runner exec worker ';

let server: FleetServer;
let worker: FleetWorker | undefined;
let dir: string;
let mounts: Record<string, string>;
let sandboxConfig: string;

/** The `exec worker` lines of the block after the walkthrough marker. */
function walkthroughCommands(): string[] {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'deploy.md'), 'utf8');
  const at = doc.indexOf('<!-- walkthrough:');
  if (at < 0) throw new Error('docs/deploy.md has no walkthrough marker');
  const block = /```sh\n([\s\S]*?)```/.exec(doc.slice(at));
  const lines = (block?.[1] ?? '').split('\n').filter((l) => l.startsWith(EXEC));
  if (!lines.length) throw new Error('the walkthrough block has no `exec worker` line');
  return lines.map((l) => l.slice(EXEC.length));
}

/** Container paths → test folders, the demo's fixed port → a free one. */
function mapPaths(text: string, port: number): string {
  let out = text;
  for (const [container, host] of Object.entries(mounts)) out = out.split(container).join(host);
  return out.split(':8710').join(`:${port}`).split('"port": 8710').join(`"port": ${port}`);
}

function run(command: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('sh', ['-c', command], {
      cwd: ROOT,
      env: { ...process.env, ...env, DRILL_LOG_PRETTY: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.once('exit', (code) => resolve({ code, out }));
  });
}

beforeAll(async () => {
  server = await startFleetServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'walkthrough-'));
  mounts = fleetMounts(dir);
  const port = await freePort();
  // The shipped demo target, as mounted: deploy/targets → /config/targets.
  for (const f of fs.readdirSync(path.join(ROOT, 'deploy', 'targets'))) {
    fs.writeFileSync(path.join(mounts['/config/targets']!, f), mapPaths(fs.readFileSync(path.join(ROOT, 'deploy', 'targets', f), 'utf8'), port));
  }
  sandboxConfig = path.join(mounts['/config/targets']!, 'demo-sandbox.json');
}, 120_000);

afterAll(async () => {
  if (sandboxConfig) {
    try {
      killSandbox({ configFile: sandboxConfig });
    } catch {
      // not started
    }
  }
  await worker?.stop();
  await server?.stop();
  if (dir && !process.env.KEEP_SANDBOX_DIRS) fs.rmSync(dir, { recursive: true, force: true });
});

test('the walkthrough of docs/deploy.md ends in a passing drill with its evidence on the results mount', async () => {
  // The image's build id (Dockerfile ARG default), as the compose worker has it.
  const buildId = /^ARG DRILL_BUILD_ID=(\S+)$/m.exec(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
  expect(buildId).toBeDefined();
  const env = await composeWorkerEnv({ server, mounts, extra: { DRILL_BUILD_ID: buildId!, DRILL_LOG_LEVEL: 'warn' } });
  worker = await spawnWorker('compose-worker', env);
  expect(await worker.healthcheck()).toBe(0);
  const metrics = await (await fetch(`http://${env.DRILL_METRICS_ADDRESS}/metrics`)).text();
  expect(metrics).toMatch(/temporal_/);

  const port = Number(
    new URL(JSON.parse(fs.readFileSync(path.join(mounts['/config/targets']!, 'targets.json'), 'utf8')).targets['demo-sandbox'].gatewayUrl).port,
  );
  for (const command of walkthroughCommands()) {
    const r = await run(mapPaths(command, port), env);
    expect({ command, code: r.code, tail: r.code === 0 ? '' : r.out.slice(-3000) }).toEqual({
      command,
      code: 0,
      tail: '',
    });
  }

  const drills = path.join(mounts['/data/results']!, 'drills');
  // One drill folder, beside the trend page the drill regenerated.
  const ids = fs.readdirSync(drills).filter((n) => n !== 'index.html');
  expect(fs.existsSync(path.join(drills, 'index.html'))).toBe(true);
  expect(ids).toHaveLength(1);
  const report = drillReportSchema.parse(JSON.parse(fs.readFileSync(path.join(drills, ids[0]!, 'report.json'), 'utf8')));
  expect(report).toMatchObject({
    target: 'demo-sandbox',
    result: 'pass',
    deploymentVersion: { deploymentName: 'drill-runner', buildId, versioning: false },
  });
  expect(fs.readFileSync(path.join(drills, ids[0]!, 'report.md'), 'utf8')).toContain(`ran on: \`drill-runner.${buildId}\``);
  expect(fs.existsSync(path.join(mounts['/data/results']!, 'chaos_drill_latest.json'))).toBe(true);
  expect(fs.readFileSync(path.join(mounts['/data/results']!, 'audit', 'drill-runner.jsonl'), 'utf8')).toContain(report.drillId);
  // The demo target's artifacts are on the results mount, where the page says.
  expect(fs.existsSync(path.join(mounts['/data/results']!, 'runs', 'demo-paper'))).toBe(true);
}, 180_000);
