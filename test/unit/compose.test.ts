/**
 * docker-compose.yml: checked by a real Compose parser (scripts/check-compose.sh, no engine needed)
 * and read here as YAML for what the parser cannot know: pinned images, health-gated start order,
 * the worker's environment, and search attributes that match src/search-attributes.ts exactly.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { parseTargets } from '../../src/io/targets';
import { SA, searchAttributeCliArgs } from '../../src/search-attributes';
import { TOOL_VERSIONS } from '../../src/tools/versions';

const root = path.resolve(__dirname, '..', '..');
const composeFile = path.join(root, 'docker-compose.yml');
const checkScript = path.join(root, 'scripts', 'check-compose.sh');

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string } | string;
  environment?: Record<string, string> | string[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] | string; interval?: string; retries?: number };
  profiles?: string[];
  entrypoint?: string[] | string;
  command?: string[] | string;
  volumes?: string[];
  ports?: string[];
  user?: string;
  restart?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

// `merge`: the worker services share one definition through a YAML anchor (`<<: *worker`).
const compose = parse(fs.readFileSync(composeFile, 'utf8'), { merge: true }) as Compose;
const svc = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
};
const envOf = (s: Service): Record<string, string> =>
  Array.isArray(s.environment)
    ? Object.fromEntries(s.environment.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
    : (s.environment ?? {});

function runCheck(file?: string): { status: number | null; out: string } {
  const r = spawnSync('bash', [checkScript, ...(file ? [file] : [])], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}` };
}

describe('docker-compose.yml', () => {
  test('a real Compose parser accepts it (scripts/check-compose.sh)', () => {
    const r = runCheck();
    if (r.status !== 0) {
      throw new Error(
        `scripts/check-compose.sh failed (exit ${r.status}). It needs a Compose parser: Debian's docker-compose ` +
          `(apt-get install -y docker-compose) or the docker compose plugin.\n${r.out}`,
      );
    }
    expect(r.out).toMatch(/is valid/);
  }, 120_000);

  test('the parser rejects a broken variant (the check is not a no-op)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-check-'));
    try {
      const broken = fs
        .readFileSync(composeFile, 'utf8')
        .replace('    healthcheck:\n', '    helthcheck:\n')
        .replace('condition: service_healthy', 'condition: service_happy');
      const file = path.join(dir, 'docker-compose.yml');
      fs.writeFileSync(file, broken);
      fs.mkdirSync(path.join(dir, 'deploy'));
      const r = runCheck(file);
      expect(r.status).not.toBe(0);
      expect(r.out).toMatch(/helthcheck|service_happy|invalid/i);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  test('has the services of a real deployment (worker-next only in the rollout profile, Prometheus and Grafana in the monitoring one)', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'grafana',
      'postgresql',
      'prometheus',
      'temporal',
      'temporal-schema',
      'temporal-setup',
      'temporal-ui',
      'worker',
      'worker-next',
    ]);
    const profiled = Object.entries(compose.services)
      .filter(([, s]) => s.profiles)
      .map(([n, s]) => [n, s.profiles]);
    expect(profiled.sort()).toEqual([
      ['grafana', ['monitoring']],
      ['prometheus', ['monitoring']],
      ['worker-next', ['rollout']],
    ]);
  });

  test('every image is pinned to an exact version tag', () => {
    const expected: Record<string, RegExp> = {
      postgresql: /^postgres:\d+\.\d+(-[a-z0-9.]+)?$/,
      temporal: /^temporalio\/server:\d+\.\d+\.\d+$/,
      'temporal-schema': /^temporalio\/admin-tools:\d+\.\d+\.\d+$/,
      'temporal-setup': /^temporalio\/admin-tools:\d+\.\d+\.\d+$/,
      'temporal-ui': /^temporalio\/ui:\d+\.\d+\.\d+$/,
    };
    for (const [name, re] of Object.entries(expected)) expect(svc(name).image).toMatch(re);
    for (const s of Object.values(compose.services)) {
      if (s.image) expect(s.image).toMatch(/:(?!latest$)[^:]+$/);
    }
    // No deprecated auto-setup image; the server and its admin tools are the same release.
    expect(fs.readFileSync(composeFile, 'utf8')).not.toMatch(/image:\s*temporalio\/auto-setup/);
    const tag = (name: string) => svc(name).image!.split(':')[1];
    expect(tag('temporal-schema')).toBe(tag('temporal'));
    expect(tag('temporal-setup')).toBe(tag('temporal'));
  });

  test('images match the servers the tests run against (dev server of the pinned CLI, test:postgres build)', () => {
    const server = TOOL_VERSIONS.temporalServer.go.version.replace(/^v/, '');
    expect(svc('temporal').image).toBe(`temporalio/server:${server}`);
    // The dev server of Temporal CLI 1.9.1 reports server 1.32.x and UI 2.54.x (`drill tools where`).
    expect(server).toMatch(/^1\.32\./);
    expect(svc('temporal-ui').image).toMatch(/^temporalio\/ui:2\.54\./);
  });

  test('the Dockerfile pins its base image', () => {
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20\.\d+\.\d+-bookworm-slim$/m);
  });

  test('start order is gated on health: postgres → schema → temporal → setup → worker', () => {
    const pg = svc('postgresql');
    expect(pg.healthcheck?.test).toEqual(expect.arrayContaining([expect.stringMatching(/pg_isready/)]));
    const schema = svc('temporal-schema');
    expect(schema.depends_on).toEqual({ postgresql: { condition: 'service_healthy' } });
    expect(schema.entrypoint).toEqual(['/bin/sh', '/deploy/setup-schema.sh']);
    expect(schema.restart).toBe('no');
    expect(envOf(schema)).toMatchObject({ SQL_PLUGIN: 'postgres12', SQL_HOST: 'postgresql' });
    const temporal = svc('temporal');
    expect(temporal.depends_on).toEqual({ postgresql: { condition: 'service_healthy' }, 'temporal-schema': { condition: 'service_completed_successfully' } });
    expect(temporal.healthcheck?.test).toEqual(expect.arrayContaining([expect.stringMatching(/\/api\/v1\/cluster-info/)]));
    expect(envOf(temporal).DB).toBe('postgres12');
    expect(envOf(temporal).POSTGRES_SEEDS).toBe('postgresql');
    expect(envOf(temporal).DYNAMIC_CONFIG_FILE_PATH).toBe('/etc/temporal/config/dynamicconfig/drill-runner.yaml');
    expect(temporal.volumes).toContain('./deploy/dynamicconfig:/etc/temporal/config/dynamicconfig:ro');
    expect(fs.existsSync(path.join(root, 'deploy', 'dynamicconfig', 'drill-runner.yaml'))).toBe(true);
    expect(svc('temporal-setup').depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
    expect(svc('temporal-ui').depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
    expect(svc('worker').depends_on).toEqual({
      temporal: { condition: 'service_healthy' },
      'temporal-setup': { condition: 'service_completed_successfully' },
    });
  });

  test('the setup container registers exactly src/search-attributes.ts', () => {
    const setup = svc('temporal-setup');
    expect(setup.entrypoint).toEqual(['/bin/sh', '/deploy/setup-temporal.sh']);
    expect(setup.volumes).toContain('./deploy:/deploy:ro');
    expect(setup.restart).toBe('no');
    expect(envOf(setup).TEMPORAL_ADDRESS).toBe('temporal:7233');
    const registered = setup.command as string[];
    expect(registered).toEqual(searchAttributeCliArgs());
    // And every SA key is there by name, whatever the order.
    for (const key of Object.values(SA)) expect(registered.some((r) => r.startsWith(`${key.name}=`))).toBe(true);
    for (const f of ['setup-temporal.sh', 'register-search-attributes.sh', 'setup-schema.sh']) {
      expect(fs.statSync(path.join(root, 'deploy', f)).isFile()).toBe(true);
    }
    // The namespace is created there (auto-setup used to), with the configured retention.
    expect(envOf(setup).TEMPORAL_NAMESPACE_RETENTION).toBe('${TEMPORAL_NAMESPACE_RETENTION:-30d}');
  });

  test('the worker is built from the Dockerfile and reaches Temporal through TEMPORAL_ADDRESS', () => {
    const worker = svc('worker');
    expect(worker.build).toEqual({ context: '.', dockerfile: 'Dockerfile', args: { DRILL_BUILD_ID: '${DRILL_BUILD_ID:-0.1.0}' } });
    const env = envOf(worker);
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(env.TEMPORAL_NAMESPACE).toBe('${TEMPORAL_NAMESPACE:-default}');
    expect(env.DRILL_TASK_QUEUE).toMatch(/^\$\{DRILL_TASK_QUEUE:-[A-Za-z0-9._-]+\}$/);
    // The runbook's paging variables pass through from the host.
    for (const name of ['SLO_PAGING_ENABLED', 'SLO_PAGING_WEBHOOK_URL', 'SLO_PAGING_MIN_SEVERITY']) {
      expect(env[name]).toBe(`\${${name}:-}`);
    }
    expect(worker.user).not.toMatch(/^(root|0)(:|$)/);
  });

  test('the worker has its targets file, artifact / audit / state paths, a healthcheck and metrics', () => {
    for (const name of ['worker', 'worker-next']) {
      const worker = svc(name);
      const env = envOf(worker);
      const mounts = new Map(
        (worker.volumes ?? []).map((v) => {
          const [src, dst, mode] = v.split(':').reduce<string[]>((acc, part) => {
            // `${VAR:-default}` holds a colon: rejoin it.
            if (acc.length && /\$\{[^}]*$/.test(acc[acc.length - 1]!)) acc[acc.length - 1] += `:${part}`;
            else acc.push(part);
            return acc;
          }, []);
          return [dst!, { src: src!, mode }];
        }),
      );
      const mountOf = (file: string) => [...mounts.keys()].find((dst) => file === dst || file.startsWith(`${dst}/`));
      // Every path the worker reads from its environment lies on a mount.
      for (const v of ['DRILL_TARGETS_FILE', 'DRILL_RESULTS_DIR', 'DRILL_STATE_DIR'])
        expect({ v, mount: mountOf(env[v]!) }).toEqual({ v, mount: expect.any(String) });
      expect(mounts.get('/config/targets')).toEqual({ src: '${DRILL_TARGETS_HOST_DIR:-./deploy/targets}', mode: 'ro' });
      expect(mounts.get('/data/results')?.mode).toBeUndefined();
      expect(mounts.get('/data/audit_logs')?.mode).toBe('ro');
      expect(mounts.get('/data/target-state')?.mode).toBe('ro');
      expect(mounts.get('/data/state')?.src).toBe('worker-state');
      expect(env.DRILL_METRICS_ADDRESS).toMatch(/^0\.0\.0\.0:\d+$/);
      expect(worker.ports).toEqual([`127.0.0.1::${env.DRILL_METRICS_ADDRESS!.split(':')[1]}`]);
      expect(env.DRILL_HEALTH_ADDRESS).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(worker.healthcheck?.test).toEqual(['CMD', 'node', '-e', expect.stringContaining('process.env.DRILL_HEALTH_ADDRESS')]);
      expect(env.DRILL_WORKER_VERSIONING).toBe('${DRILL_WORKER_VERSIONING:-false}');
    }
    // The default targets folder holds a valid targets file whose demo target's files are on the mounts.
    const targets = parseTargets(JSON.parse(fs.readFileSync(path.join(root, 'deploy', 'targets', 'targets.json'), 'utf8')), '/config/targets');
    for (const t of Object.values(targets.targets)) {
      for (const p of [t.artifactsRoot, t.auditLogsDir, t.stateFile]) expect(p).toMatch(/^\/data\/(results|state)\//);
    }
  });

  test('rollouts: each worker image carries its own build id; worker-next is the same worker with the next one', () => {
    const next = svc('worker-next');
    expect(next.build).toEqual({ context: '.', dockerfile: 'Dockerfile', args: { DRILL_BUILD_ID: '${DRILL_NEXT_BUILD_ID:-next}' } });
    expect(next.image).toBe('drill-runner-worker:${DRILL_NEXT_BUILD_ID:-next}');
    expect(svc('worker').image).toBe('drill-runner-worker:${DRILL_BUILD_ID:-0.1.0}');
    expect(envOf(next)).toEqual(envOf(svc('worker')));
    expect(envOf(next).DRILL_BUILD_ID).toBeUndefined();
  });

  test('ports are published on loopback only (the UI has no login)', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const p of s.ports ?? []) expect({ name, port: p }).toEqual({ name, port: expect.stringMatching(/^127\.0\.0\.1:/) });
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const stages = [...dockerfile.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)$/gm)].map((m) => m[1]);

  test('multi-stage: npm ci, npm run build, production dependencies only in the runtime stage', () => {
    expect(stages).toEqual(['build', 'deps', 'runtime']);
    expect(dockerfile).toMatch(/RUN npm ci\b/);
    expect(dockerfile).toMatch(/npm run build/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/deploy\/bundle-workflows\.js/);
  });

  test('runs node dist/worker.js as the non-root user, with its build id and a healthcheck', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^ARG DRILL_BUILD_ID=/m);
    expect(runtime).toMatch(/DRILL_BUILD_ID=\$\{DRILL_BUILD_ID\}/);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n\s+CMD \["node", "-e", ".*\/healthz/m);
    expect(runtime).toMatch(/^CMD \["node", "dist\/worker\.js"\]$/m);
    expect(fs.existsSync(path.join(root, 'src', 'worker.ts'))).toBe(true);
  });

  test('.dockerignore keeps local state and build output out of the context', () => {
    const ignored = fs
      .readFileSync(path.join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.git', 'results', '.drill-runner']) expect(ignored).toContain(entry);
    for (const needed of ['src', 'bin', 'deploy', 'package.json', 'package-lock.json']) expect(ignored).not.toContain(needed);
  });
});
