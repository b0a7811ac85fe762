/**
 * Environment → typed, frozen config. Parsed once at start-up; a bad value stops start-up with a
 * message that names the variable and the form it expects.
 *
 * The Temporal connection is read the ecosystem's way, through `@temporalio/envconfig`
 * (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS*`, `TEMPORAL_PROFILE`,
 * `TEMPORAL_CONFIG_FILE`); the rest are drill-runner's own names and the runbook's `SLO_PAGING_*`.
 */
import path from 'node:path';
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import { z } from 'zod';
import { DEFAULT_ADDRESS, DEFAULT_DEPLOYMENT_NAME, DEFAULT_NAMESPACE, DEFAULT_TASK_QUEUE } from './shared';
import { severitySchema } from './domain/severity';
import { envAllowVariableSchema } from './domain/target-env';
import { PAGE_FORMATS, type PageFormat } from './domain/paging';

const boolFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { error: 'expected host:port, e.g. 127.0.0.1:7233' })
  .refine(
    (v) => {
      const port = Number(v.slice(v.lastIndexOf(':') + 1));
      return port > 0 && port < 65536;
    },
    { error: 'port must be between 1 and 65535', abort: true, when: (p) => p.issues.length === 0 },
  );

const port = z.coerce.number({ error: 'expected a port number' }).int().min(1).max(65535);

/** A Worker Deployment name or build id: the server joins them as `<name>.<buildId>`, so no `.` in the name. */
const deploymentPart = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.:+-]{0,99}$/, { error: 'expected letters, digits and _ . : + - (at most 100)' });

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * A paging webhook URL. Credentials in it (`https://user:password@host/...`) are sent as HTTP Basic
 * auth (fetch refuses URLs with credentials, so the adapter moves them to a header); over plain http
 * they would cross the network in clear text, so only https or a loopback host may carry them.
 */
export const webhookUrlSchema = httpUrl.superRefine((v, ctx) => {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return; // already reported as not a URL
  }
  if (!u.username && !u.password) return;
  try {
    decodeURIComponent(u.username);
    decodeURIComponent(u.password);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'the user:password in the URL must be percent-encoded' });
    return;
  }
  if (u.protocol === 'http:' && !LOOPBACK_HOSTS.has(u.hostname)) {
    ctx.addIssue({ code: 'custom', message: 'credentials (user:password@) in an http:// URL would be sent in clear text: use https://, or no credentials' });
  }
});

const pageFormatSchema = z.enum(PAGE_FORMATS, { error: 'expected json, pagerduty or slack' });

/** `SLO_PAGING_LEVEL_<n>_WEBHOOK_URL|ROUTING_KEY|FORMAT`: the route of escalation level n (1..20). */
const LEVEL_VARIABLE = /^SLO_PAGING_LEVEL_(\d+)_(WEBHOOK_URL|ROUTING_KEY|FORMAT)$/;
const MAX_PAGING_LEVELS = 20;

/**
 * Workflow runs a worker keeps cached (the SDK's default, sized from the heap, is ~2,300 here: at
 * ~2.6 MiB a run that is past the heap). Memory per cached run and the cost of replaying an evicted
 * one are in bench/workflows.md; docs/decisions.md says why this number.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 500;

/** Each key is the environment variable's own name, so an issue's path is the variable. */
const envSchema = z
  .object({
    TEMPORAL_ADDRESS: hostPort.optional(),
    TEMPORAL_NAMESPACE: z.string().min(1, { error: 'must not be empty' }).optional(),
    DRILL_TASK_QUEUE: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,200}$/, { error: 'expected letters, digits, . _ - (at most 200)' })
      .default(DEFAULT_TASK_QUEUE),
    DRILL_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DRILL_LOG_PRETTY: boolFromEnv.optional(),
    DRILL_METRICS_ADDRESS: hostPort.optional(),
    DRILL_HEALTH_ADDRESS: hostPort.optional(),
    DRILL_WORKER_VERSIONING: boolFromEnv.default(false),
    DRILL_DEPLOYMENT_NAME: deploymentPart.default(DEFAULT_DEPLOYMENT_NAME),
    DRILL_BUILD_ID: deploymentPart.optional(),
    DRILL_STATE_DIR: z.string().min(1).default('.drill-runner'),
    DRILL_RESULTS_DIR: z.string().min(1).default('results'),
    DRILL_KPI_DIR: z.string().min(1).default('kpi'),
    DRILL_UI_PORT: port.default(8233),
    DRILL_MAX_CACHED_WORKFLOWS: z.coerce
      .number({ error: 'expected a whole number' })
      .int({ error: 'expected a whole number' })
      .refine((n) => n === 0 || (n >= 2 && n <= 100_000), { error: 'expected 0 (no cache) or 2..100000' })
      .default(DEFAULT_MAX_CACHED_WORKFLOWS),
    SLO_PAGING_ENABLED: boolFromEnv.default(false),
    SLO_PAGING_WEBHOOK_URL: webhookUrlSchema.optional(),
    SLO_PAGING_MIN_SEVERITY: severitySchema.default('critical'),
    SLO_PAGING_FORMAT: pageFormatSchema.default('json'),
    SLO_PAGING_ROUTING_KEY: z.string().min(1).optional(),
    SLO_PAGING_TIMEOUT_MS: z.coerce.number({ error: 'expected milliseconds' }).int().min(100).max(120000).default(10000),
    DRILL_TARGET_ENV_ALLOW: envAllowVariableSchema.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.SLO_PAGING_ENABLED && !v.SLO_PAGING_WEBHOOK_URL) {
      ctx.addIssue({ code: 'custom', path: ['SLO_PAGING_WEBHOOK_URL'], message: 'required when SLO_PAGING_ENABLED=true' });
    }
    if (v.DRILL_WORKER_VERSIONING && !v.DRILL_BUILD_ID) {
      const message = "required when DRILL_WORKER_VERSIONING=true (the build id of this worker's code)";
      ctx.addIssue({ code: 'custom', path: ['DRILL_BUILD_ID'], message });
    }
    if (v.DRILL_DEPLOYMENT_NAME.includes('.')) {
      const message = 'must not contain "." (the server joins name and build id with it)';
      ctx.addIssue({ code: 'custom', path: ['DRILL_DEPLOYMENT_NAME'], message });
    }
    if (v.SLO_PAGING_ENABLED && v.SLO_PAGING_FORMAT === 'pagerduty' && !v.SLO_PAGING_ROUTING_KEY) {
      ctx.addIssue({ code: 'custom', path: ['SLO_PAGING_ROUTING_KEY'], message: 'required when SLO_PAGING_FORMAT=pagerduty' });
    }
  });

/** Where one escalation level pages; unset fields fall back to the default route. */
export interface PagingRoute {
  /** Secret: never logged. */
  webhookUrl?: string;
  /** Secret: PagerDuty integration key. */
  routingKey?: string;
  format?: PageFormat;
}

export interface PagingConfig {
  enabled: boolean;
  /** Secret: never logged (see logger redaction). */
  webhookUrl?: string;
  minSeverity: 'critical' | 'warning';
  format: PageFormat;
  /** Secret: PagerDuty integration key. */
  routingKey?: string;
  timeoutMs: number;
  /** Per escalation level (1-based): its own webhook, routing key or format. */
  levels?: Readonly<Record<number, PagingRoute>>;
}

/**
 * Worker Deployment Versioning (docs/deploy.md "Rollouts"). Off by default: the worker polls as an
 * unversioned worker, as before. `version` is set whenever `DRILL_BUILD_ID` is, so reports name the
 * build that wrote them even without versioning.
 */
export interface DeploymentConfig {
  versioning: boolean;
  version?: { deploymentName: string; buildId: string };
}

export interface Config {
  temporal: ClientConnectConfig & { namespace: string; address: string };
  taskQueue: string;
  log: { level: string; pretty: boolean };
  metricsAddress?: string;
  /** host:port of the worker's `GET /healthz` (the container healthcheck); unset: no endpoint. */
  healthAddress?: string;
  deployment: DeploymentConfig;
  stateDir: string;
  resultsDir: string;
  /** `results/runs`: where run artifacts live (the runbook's `results/runs/<run_id>/`). */
  runsDir: string;
  /** Paper KPI criteria of the promotion gate, `<kpiDir>/<experimentId>.json`. */
  kpiDir: string;
  uiPort: number;
  /** Workflow runs a worker keeps in memory (sticky cache); an evicted run replays its history on its next task. */
  maxCachedWorkflows?: number;
  paging: PagingConfig;
  /** Variables passed to target commands beyond the defaults (`domain/target-env.ts`). */
  targetEnvAllow: readonly string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment. Throws {@link ConfigError} listing every bad variable by name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Readonly<Config> {
  const raw = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string>;
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = String(i.path[0] ?? '(environment)');
        const value = raw[name];
        const shown = value === undefined || /KEY|URL|SECRET|TOKEN/.test(name) ? '' : ` (got "${value}")`;
        return `${name}: ${i.message}${shown}`;
      }),
    );
  }
  const v = parsed.data;
  const levels = parsePagingLevels(raw, v.SLO_PAGING_FORMAT, v.SLO_PAGING_ENABLED);
  let connect: ClientConnectConfig;
  try {
    connect = loadEnvconfig(raw);
  } catch (err) {
    throw new ConfigError([`TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE / TEMPORAL_TLS*: ${(err as Error).message}`]);
  }
  const address = connect.connectionOptions.address ?? v.TEMPORAL_ADDRESS ?? DEFAULT_ADDRESS;
  const resultsDir = path.resolve(cwd, v.DRILL_RESULTS_DIR);
  const config: Config = {
    temporal: {
      ...connect,
      connectionOptions: { ...connect.connectionOptions, address },
      namespace: connect.namespace ?? v.TEMPORAL_NAMESPACE ?? DEFAULT_NAMESPACE,
      address,
    },
    taskQueue: v.DRILL_TASK_QUEUE,
    log: { level: v.DRILL_LOG_LEVEL, pretty: v.DRILL_LOG_PRETTY ?? Boolean(process.stderr.isTTY) },
    metricsAddress: v.DRILL_METRICS_ADDRESS,
    healthAddress: v.DRILL_HEALTH_ADDRESS,
    deployment: {
      versioning: v.DRILL_WORKER_VERSIONING,
      ...(v.DRILL_BUILD_ID ? { version: { deploymentName: v.DRILL_DEPLOYMENT_NAME, buildId: v.DRILL_BUILD_ID } } : {}),
    },
    stateDir: path.resolve(cwd, v.DRILL_STATE_DIR),
    resultsDir,
    runsDir: path.join(resultsDir, 'runs'),
    kpiDir: path.resolve(cwd, v.DRILL_KPI_DIR),
    uiPort: v.DRILL_UI_PORT,
    maxCachedWorkflows: v.DRILL_MAX_CACHED_WORKFLOWS,
    paging: {
      enabled: v.SLO_PAGING_ENABLED,
      webhookUrl: v.SLO_PAGING_WEBHOOK_URL,
      minSeverity: v.SLO_PAGING_MIN_SEVERITY,
      format: v.SLO_PAGING_FORMAT,
      routingKey: v.SLO_PAGING_ROUTING_KEY,
      timeoutMs: v.SLO_PAGING_TIMEOUT_MS,
      ...(Object.keys(levels).length ? { levels } : {}),
    },
    targetEnvAllow: v.DRILL_TARGET_ENV_ALLOW ?? [],
  };
  return deepFreeze(config);
}

/** Reads `SLO_PAGING_LEVEL_<n>_*`; every bad one is reported by name (the URL and key are never echoed). */
function parsePagingLevels(raw: Record<string, string>, defaultFormat: PageFormat, enabled: boolean): Record<number, PagingRoute> {
  const levels: Record<number, PagingRoute> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (!name.startsWith('SLO_PAGING_LEVEL_')) continue;
    const m = LEVEL_VARIABLE.exec(name);
    const n = m ? Number(m[1]) : NaN;
    if (!m || !(n >= 1 && n <= MAX_PAGING_LEVELS)) {
      problems.push(`${name}: unknown variable (expected SLO_PAGING_LEVEL_<1..${MAX_PAGING_LEVELS}>_WEBHOOK_URL, _ROUTING_KEY or _FORMAT)`);
      continue;
    }
    const route = (levels[n] ??= {});
    if (m[2] === 'WEBHOOK_URL') {
      const r = webhookUrlSchema.safeParse(value);
      if (r.success) route.webhookUrl = r.data;
      else problems.push(`${name}: ${r.error.issues[0]?.message}`);
    } else if (m[2] === 'ROUTING_KEY') {
      route.routingKey = value;
    } else {
      const r = pageFormatSchema.safeParse(value);
      if (r.success) route.format = r.data;
      else problems.push(`${name}: ${r.error.issues[0]?.message} (got "${value}")`);
    }
  }
  for (const [n, route] of Object.entries(levels)) {
    if (enabled && (route.format ?? defaultFormat) === 'pagerduty' && !route.routingKey && !raw.SLO_PAGING_ROUTING_KEY) {
      problems.push(`SLO_PAGING_LEVEL_${n}_ROUTING_KEY: required when level ${n} pages in the pagerduty format`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return levels;
}

/** envconfig, but an unreadable default profile file (not one the user named) is skipped. */
function loadEnvconfig(raw: Record<string, string>): ClientConnectConfig {
  try {
    return loadClientConnectConfig({ overrideEnvVars: raw });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!raw.TEMPORAL_CONFIG_FILE && (code === 'EACCES' || code === 'EISDIR')) return loadClientConnectConfig({ overrideEnvVars: raw, disableFile: true });
    throw err;
  }
}

function deepFreeze<T>(o: T): T {
  // Typed arrays (TLS certificates and keys read by envconfig) cannot be frozen: leave them as they are.
  if (o && typeof o === 'object' && !Object.isFrozen(o) && !ArrayBuffer.isView(o)) {
    Object.freeze(o);
    for (const value of Object.values(o as object)) deepFreeze(value);
  }
  return o;
}

/** The variables `drill config` documents (and the README's table mirrors). */
export const CONFIG_VARIABLES: ReadonlyArray<{ name: string; default: string; meaning: string }> = [
  { name: 'TEMPORAL_ADDRESS', default: DEFAULT_ADDRESS, meaning: 'Temporal frontend host:port (envconfig)' },
  { name: 'TEMPORAL_NAMESPACE', default: DEFAULT_NAMESPACE, meaning: 'Temporal namespace (envconfig)' },
  { name: 'TEMPORAL_API_KEY', default: '—', meaning: 'API key, e.g. Temporal Cloud (envconfig; secret)' },
  {
    name: 'TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH',
    default: '—',
    meaning: 'mTLS (envconfig)',
  },
  { name: 'TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE', default: '—', meaning: 'envconfig TOML profile' },
  { name: 'DRILL_TASK_QUEUE', default: DEFAULT_TASK_QUEUE, meaning: 'task queue of the worker fleet' },
  { name: 'DRILL_LOG_LEVEL', default: 'info', meaning: 'pino level' },
  { name: 'DRILL_LOG_PRETTY', default: 'on a TTY', meaning: 'pretty logs (on stderr) instead of JSON lines; colour unless NO_COLOR is set' },
  { name: 'DRILL_METRICS_ADDRESS', default: '—', meaning: "host:port for the worker's Prometheus metrics" },
  { name: 'DRILL_HEALTH_ADDRESS', default: '—', meaning: "host:port for the worker's GET /healthz" },
  { name: 'DRILL_WORKER_VERSIONING', default: 'false', meaning: 'Worker Deployment Versioning (pinned drills)' },
  { name: 'DRILL_DEPLOYMENT_NAME', default: DEFAULT_DEPLOYMENT_NAME, meaning: 'Worker Deployment name (versioning)' },
  { name: 'DRILL_BUILD_ID', default: '—', meaning: "build id of this worker's code; required with versioning" },
  { name: 'DRILL_STATE_DIR', default: '.drill-runner', meaning: 'dev server SQLite, local state; shared by a fleet' },
  { name: 'DRILL_RESULTS_DIR', default: 'results', meaning: 'run artifacts (`runs/<run_id>/`) and evidence' },
  { name: 'DRILL_KPI_DIR', default: 'kpi', meaning: 'paper KPI criteria of the promotion gate (`<experiment>.json`, docs/promotion-gate.md)' },
  { name: 'DRILL_TARGETS_FILE', default: 'targets.json', meaning: 'named targets (docs/target-contract.md)' },
  { name: 'DRILL_SANDBOX_CONFIG', default: '<state>/sandbox/config.json', meaning: 'config of the paper-trading sandbox' },
  { name: 'DRILL_UI_PORT', default: '8233', meaning: 'Web UI port of the embedded dev server' },
  {
    name: 'DRILL_MAX_CACHED_WORKFLOWS',
    default: String(DEFAULT_MAX_CACHED_WORKFLOWS),
    meaning: "workflow runs cached per worker (0: none); bounds the worker's memory",
  },
  { name: 'SLO_PAGING_ENABLED', default: 'false', meaning: 'page the webhook on escalation (runbook)' },
  { name: 'SLO_PAGING_WEBHOOK_URL', default: '—', meaning: 'paging webhook (runbook; secret)' },
  { name: 'SLO_PAGING_MIN_SEVERITY', default: 'critical', meaning: 'critical or warning (runbook)' },
  { name: 'SLO_PAGING_FORMAT', default: 'json', meaning: 'json, pagerduty (Events API v2) or slack (incoming webhook)' },
  { name: 'SLO_PAGING_ROUTING_KEY', default: '—', meaning: 'PagerDuty routing key (secret)' },
  {
    name: 'SLO_PAGING_LEVEL_<n>_WEBHOOK_URL, _ROUTING_KEY, _FORMAT',
    default: 'the default route',
    meaning: 'where escalation level n (1..20) pages (secrets)',
  },
  { name: 'SLO_PAGING_TIMEOUT_MS', default: '10000', meaning: 'timeout of one webhook POST' },
  { name: 'DRILL_TARGET_ENV_ALLOW', default: '—', meaning: 'extra variables target commands get (names or PREFIX*; docs/target-contract.md)' },
];
