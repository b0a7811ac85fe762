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
import { SA, searchAttributeCliArgs } from '../../src/search-attributes';

const root = path.resolve(__dirname, '..', '..');
const composeFile = path.join(root, 'docker-compose.yml');
const checkScript = path.join(root, 'scripts', 'check-compose.sh');

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string } | string;
  environment?: Record<string, string> | string[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] | string; interval?: string; retries?: number };
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

const compose = parse(fs.readFileSync(composeFile, 'utf8')) as Compose;
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

  test('has the services of a real deployment', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['postgresql', 'temporal', 'temporal-setup', 'temporal-ui', 'worker']);
  });

  test('every image is pinned to an exact version tag', () => {
    const expected: Record<string, RegExp> = {
      postgresql: /^postgres:\d+\.\d+(-[a-z0-9.]+)?$/,
      temporal: /^temporalio\/auto-setup:\d+\.\d+\.\d+$/,
      'temporal-setup': /^temporalio\/admin-tools:\d+\.\d+\.\d+(-[a-z0-9.-]+)?$/,
      'temporal-ui': /^temporalio\/ui:\d+\.\d+\.\d+$/,
    };
    for (const [name, re] of Object.entries(expected)) expect(svc(name).image).toMatch(re);
    for (const s of Object.values(compose.services)) {
      if (s.image) expect(s.image).toMatch(/:(?!latest$)[^:]+$/);
    }
    // The Temporal server and its admin tools are the same release.
    const server = svc('temporal').image!.split(':')[1] ?? '';
    expect(svc('temporal-setup').image!.split(':')[1]).toMatch(new RegExp(`^${server.replace(/\./g, '\\.')}(-|$)`));
  });

  test('the Dockerfile pins its base image', () => {
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20\.\d+\.\d+-bookworm-slim$/m);
  });

  test('start order is gated on health: postgres → temporal → setup → worker', () => {
    const pg = svc('postgresql');
    expect(pg.healthcheck?.test).toEqual(expect.arrayContaining([expect.stringMatching(/pg_isready/)]));
    const temporal = svc('temporal');
    expect(temporal.depends_on).toEqual({ postgresql: { condition: 'service_healthy' } });
    expect(temporal.healthcheck?.test).toEqual(expect.arrayContaining([expect.stringMatching(/operator cluster health/)]));
    expect(envOf(temporal).DB).toBe('postgres12');
    expect(envOf(temporal).POSTGRES_SEEDS).toBe('postgresql');
    expect(svc('temporal-setup').depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
    expect(svc('temporal-ui').depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
    expect(svc('worker').depends_on).toEqual({
      temporal: { condition: 'service_healthy' },
      'temporal-setup': { condition: 'service_completed_successfully' },
    });
  });

  test('the setup container registers exactly src/search-attributes.ts', () => {
    const setup = svc('temporal-setup');
    expect(setup.entrypoint).toEqual(['/bin/sh', '/deploy/register-search-attributes.sh']);
    expect(setup.volumes).toContain('./deploy:/deploy:ro');
    expect(setup.restart).toBe('no');
    expect(envOf(setup).TEMPORAL_ADDRESS).toBe('temporal:7233');
    const registered = setup.command as string[];
    expect(registered).toEqual(searchAttributeCliArgs());
    // And every SA key is there by name, whatever the order.
    for (const key of Object.values(SA)) expect(registered.some((r) => r.startsWith(`${key.name}=`))).toBe(true);
    expect(fs.statSync(path.join(root, 'deploy', 'register-search-attributes.sh')).isFile()).toBe(true);
    // auto-setup's test attributes would eat SQL visibility's per-type slots.
    expect(envOf(svc('temporal')).SKIP_ADD_CUSTOM_SEARCH_ATTRIBUTES).toBe('true');
  });

  test('the worker is built from the Dockerfile and reaches Temporal through TEMPORAL_ADDRESS', () => {
    const worker = svc('worker');
    expect(worker.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
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

  test('runs node dist/worker.js as the non-root user', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^CMD \["node", "dist\/worker\.js"\]$/m);
    expect(fs.existsSync(path.join(root, 'src', 'worker.ts'))).toBe(true);
  });

  test('.dockerignore keeps local state and build output out of the context', () => {
    const ignored = fs.readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.git', 'results', '.drill-runner']) expect(ignored).toContain(entry);
    for (const needed of ['src', 'bin', 'deploy', 'package.json', 'package-lock.json']) expect(ignored).not.toContain(needed);
  });
});
