/**
 * Environment → typed, frozen config. Parsed once at start-up; a bad value stops start-up with a
 * message that names the variable and the form it expects.
 *
 * The Temporal connection is read the ecosystem's way, through `@temporalio/envconfig`
 * (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS*`, `TEMPORAL_PROFILE`,
 * `TEMPORAL_CONFIG_FILE`); the rest are drill-runner's own names and the runbook's `SLO_*`.
 *
 * This is the one list of variables: {@link CONFIG_VARIABLES} (`drill config`, the README's table)
 * is derived from the schema, and code that reads a variable where the config is not at hand (the
 * targets file, the sandbox config, `SLO_*` thresholds with an injected environment, the tools)
 * reads it through {@link readVariable} or {@link sloThresholdsFromEnv}, checked by the same schema.
 */
import './zod-english-only';
import path from 'node:path';
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import { z } from 'zod';
import { DEFAULT_ADDRESS, DEFAULT_DEPLOYMENT_NAME, DEFAULT_NAMESPACE, DEFAULT_TASK_QUEUE } from './shared';
import { severitySchema } from './domain/severity';
import { envAllowVariableSchema } from './domain/target-env';
import { PAGE_FORMATS, type PageFormat } from './domain/paging';
import { DEFAULT_THRESHOLDS, sloThresholdsSchema, type SloThresholds } from './domain/slo';

/** The targets file when `DRILL_TARGETS_FILE` is not set (relative to the working directory). */
export const DEFAULT_TARGETS_FILE = 'targets.json';

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

/** What `drill config` (and the README's table) says about a variable. */
export interface VariableDoc {
  /** The default as shown (`—`: unset). */
  default: string;
  meaning: string;
  /** Never printed or echoed in an error, only whether it is set. */
  secret?: boolean;
}

/** The docs of the variables, keyed by their schema (zod's registry: the schema carries its doc). */
const variableDocs = z.registry<VariableDoc>();
function documented<T extends z.ZodType>(schema: T, doc: VariableDoc): T {
  variableDocs.add(schema as z.ZodType, doc);
  return schema;
}

/** Set-or-not strings whose meaning is elsewhere (envconfig, the tools): the schema only declares them. */
const anyString = () => z.string();

/**
 * An envconfig profile name. envconfig looks the name up as `profile[name]` on the parsed TOML and then
 * writes the environment's values onto what it found, so `__proto__` (or `constructor`, `toString`…)
 * would write `address`, `namespace`, `api_key`… onto `Object.prototype` of the whole process. A name
 * every object inherits is refused here, before envconfig sees it.
 */
const profileName = () =>
  z.string().refine((name) => !(name in Object.prototype), {
    error: (i) => `${JSON.stringify(i.input)} is not a profile name (every object has it): name the profile's own table, e.g. "default"`,
  });

/**
 * An `SLO_*` threshold: a number (a rate also as a percentage, `99.5%`), checked by the threshold's
 * own rule in `sloThresholdsSchema`. Blank is unset.
 */
function sloThreshold(key: keyof SloThresholds, meaning: string) {
  const rate = RATE_KEYS.has(key);
  const number = z
    .string()
    .transform((raw, ctx) => {
      const pct = rate && raw.endsWith('%');
      const n = Number(pct ? raw.slice(0, -1) : raw);
      if (Number.isFinite(n)) return pct ? n / 100 : n;
      ctx.addIssue({ code: 'custom', message: `expected a number${rate ? ' (0.995 or 99.5%)' : ''}` });
      return z.NEVER;
    })
    .pipe(sloThresholdsSchema.shape[key]);
  return documented(
    z.preprocess((v) => (typeof v === 'string' ? v.trim() || undefined : v), number.optional()),
    {
      default: String(DEFAULT_THRESHOLDS[key]),
      meaning,
    },
  );
}
const RATE_KEYS = new Set<keyof SloThresholds>(['minReconciliationPassRate', 'maxOperationalErrorRate']);

/** The `SLO_*` threshold variables and the threshold each sets. */
export const SLO_THRESHOLD_VARIABLES = {
  SLO_MAX_CONSECUTIVE_MISMATCH_RUNS: 'maxConsecutiveMismatchRuns',
  SLO_MAX_DATA_QUALITY_ERRORS: 'maxDataQualityErrorsPerCycle',
  SLO_MAX_STALE_WARNINGS: 'maxStaleWarningsPerCycle',
  SLO_ACK_SLA_SECONDS: 'ackSlaSeconds',
  SLO_MIN_RECONCILIATION_PASS_RATE: 'minReconciliationPassRate',
  SLO_MAX_OPERATIONAL_ERROR_RATE: 'maxOperationalErrorRate',
  SLO_RTO_SECONDS: 'rtoSeconds',
  SLO_RPO_SECONDS: 'rpoSeconds',
} as const satisfies Record<string, keyof SloThresholds>;
type SloVariable = keyof typeof SLO_THRESHOLD_VARIABLES;

const sloShape = {
  SLO_MAX_CONSECUTIVE_MISMATCH_RUNS: sloThreshold('maxConsecutiveMismatchRuns', 'breach when the order mismatch streak reaches it (runbook)'),
  SLO_MAX_DATA_QUALITY_ERRORS: sloThreshold('maxDataQualityErrorsPerCycle', 'data quality errors allowed per cycle (runbook)'),
  SLO_MAX_STALE_WARNINGS: sloThreshold('maxStaleWarningsPerCycle', 'stale warnings allowed per cycle (runbook)'),
  SLO_ACK_SLA_SECONDS: sloThreshold('ackSlaSeconds', 'critical incident ack SLA, seconds (runbook)'),
  SLO_MIN_RECONCILIATION_PASS_RATE: sloThreshold('minReconciliationPassRate', 'minimum reconciliation pass rate, 0.995 or 99.5% (runbook)'),
  SLO_MAX_OPERATIONAL_ERROR_RATE: sloThreshold('maxOperationalErrorRate', 'maximum operational error rate, 0.02 or 2% (runbook)'),
  SLO_RTO_SECONDS: sloThreshold('rtoSeconds', 'recovery time objective, seconds (runbook)'),
  SLO_RPO_SECONDS: sloThreshold('rpoSeconds', 'recovery point objective (runtime state age), seconds (runbook)'),
} satisfies Record<SloVariable, z.ZodType>;

/**
 * The one list of variables drill-runner reads: each key is the variable's own name (so an issue's
 * path is the variable), each schema checks it and carries its doc. `drill config`, the README's
 * table (held to it by test/unit/config-variables.test.ts) and every read outside this file
 * ({@link readVariable}) come from here.
 */
const envShape = {
  TEMPORAL_ADDRESS: documented(hostPort.optional(), { default: DEFAULT_ADDRESS, meaning: 'Temporal frontend host:port (envconfig)' }),
  TEMPORAL_NAMESPACE: documented(z.string().min(1, { error: 'must not be empty' }).optional(), {
    default: DEFAULT_NAMESPACE,
    meaning: 'Temporal namespace (envconfig)',
  }),
  TEMPORAL_API_KEY: documented(anyString().optional(), { default: '—', meaning: 'API key, e.g. Temporal Cloud (envconfig; secret)', secret: true }),
  TEMPORAL_TLS: documented(anyString().optional(), { default: '—', meaning: 'mTLS on (envconfig)' }),
  TEMPORAL_TLS_CLIENT_CERT_PATH: documented(anyString().optional(), { default: '—', meaning: 'mTLS client certificate (envconfig)' }),
  TEMPORAL_TLS_CLIENT_KEY_PATH: documented(anyString().optional(), { default: '—', meaning: 'mTLS client key (envconfig)' }),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: documented(anyString().optional(), { default: '—', meaning: 'mTLS server CA (envconfig)' }),
  TEMPORAL_PROFILE: documented(profileName().optional(), { default: '—', meaning: 'envconfig TOML profile' }),
  TEMPORAL_CONFIG_FILE: documented(anyString().optional(), { default: '—', meaning: 'envconfig TOML file' }),
  DRILL_TASK_QUEUE: documented(
    z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,200}$/, { error: 'expected letters, digits, . _ - (at most 200)' })
      .default(DEFAULT_TASK_QUEUE),
    { default: DEFAULT_TASK_QUEUE, meaning: 'task queue of the worker fleet' },
  ),
  DRILL_LOG_LEVEL: documented(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), {
    default: 'info',
    meaning: 'pino level',
  }),
  DRILL_LOG_PRETTY: documented(boolFromEnv.optional(), {
    default: 'on a TTY',
    meaning: 'pretty logs (on stderr) instead of JSON lines; colour unless NO_COLOR is set',
  }),
  DRILL_METRICS_ADDRESS: documented(hostPort.optional(), { default: '—', meaning: "host:port for the worker's Prometheus metrics" }),
  DRILL_HEALTH_ADDRESS: documented(hostPort.optional(), { default: '—', meaning: "host:port for the worker's GET /healthz" }),
  DRILL_WORKER_VERSIONING: documented(boolFromEnv.default(false), { default: 'false', meaning: 'Worker Deployment Versioning (pinned drills)' }),
  DRILL_DEPLOYMENT_NAME: documented(deploymentPart.default(DEFAULT_DEPLOYMENT_NAME), {
    default: DEFAULT_DEPLOYMENT_NAME,
    meaning: 'Worker Deployment name (versioning)',
  }),
  DRILL_BUILD_ID: documented(deploymentPart.optional(), { default: '—', meaning: "build id of this worker's code; required with versioning" }),
  DRILL_STATE_DIR: documented(z.string().min(1).default('.drill-runner'), {
    default: '.drill-runner',
    meaning: 'dev server SQLite, local state; shared by a fleet',
  }),
  DRILL_RESULTS_DIR: documented(z.string().min(1).default('results'), { default: 'results', meaning: 'run artifacts (`runs/<run_id>/`) and evidence' }),
  DRILL_KPI_DIR: documented(z.string().min(1).default('kpi'), {
    default: 'kpi',
    meaning: 'paper KPI criteria of the promotion gate (`<experiment>.json`, docs/promotion-gate.md)',
  }),
  DRILL_TARGETS_FILE: documented(z.string().trim().optional(), { default: DEFAULT_TARGETS_FILE, meaning: 'named targets (docs/target-contract.md)' }),
  DRILL_SANDBOX_CONFIG: documented(anyString().optional(), { default: '<state>/sandbox/config.json', meaning: 'config of the paper-trading sandbox' }),
  DRILL_UI_PORT: documented(port.default(8233), { default: '8233', meaning: 'Web UI port of the embedded dev server' }),
  DRILL_MAX_CACHED_WORKFLOWS: documented(
    z.coerce
      .number({ error: 'expected a whole number' })
      .int({ error: 'expected a whole number' })
      .refine((n) => n === 0 || (n >= 2 && n <= 100_000), { error: 'expected 0 (no cache) or 2..100000' })
      .default(DEFAULT_MAX_CACHED_WORKFLOWS),
    { default: String(DEFAULT_MAX_CACHED_WORKFLOWS), meaning: "workflow runs cached per worker (0: none); bounds the worker's memory" },
  ),
  DRILL_COMMIT: documented(anyString().optional(), {
    default: '$GITHUB_SHA, else git',
    meaning: 'commit recorded in drill reports (a container build sets it)',
  }),
  SLO_PAGING_ENABLED: documented(boolFromEnv.default(false), { default: 'false', meaning: 'page the webhook on escalation (runbook)' }),
  SLO_PAGING_WEBHOOK_URL: documented(webhookUrlSchema.optional(), { default: '—', meaning: 'paging webhook (runbook; secret)', secret: true }),
  SLO_PAGING_MIN_SEVERITY: documented(severitySchema.default('critical'), { default: 'critical', meaning: 'critical or warning (runbook)' }),
  SLO_PAGING_FORMAT: documented(pageFormatSchema.default('json'), {
    default: 'json',
    meaning: 'json, pagerduty (Events API v2) or slack (incoming webhook)',
  }),
  SLO_PAGING_ROUTING_KEY: documented(z.string().min(1).optional(), { default: '—', meaning: 'PagerDuty routing key (secret)', secret: true }),
  SLO_PAGING_TIMEOUT_MS: documented(z.coerce.number({ error: 'expected milliseconds' }).int().min(100).max(120000).default(10000), {
    default: '10000',
    meaning: 'timeout of one webhook POST',
  }),
  ...sloShape,
  DRILL_TARGET_ENV_ALLOW: documented(envAllowVariableSchema.optional(), {
    default: '—',
    meaning: 'extra variables target commands get (names or PREFIX*; docs/target-contract.md)',
  }),
  DRILL_RUNNER_CACHE: documented(anyString().optional(), { default: '~/.cache/drill-runner', meaning: 'where the pinned Temporal tools are cached' }),
  TEMPORAL_CLI_PATH: documented(anyString().optional(), { default: '—', meaning: 'use this Temporal CLI instead of the cache' }),
  TEMPORAL_TEST_SERVER_PATH: documented(anyString().optional(), { default: '—', meaning: 'use this time-skipping test server instead of the cache' }),
};
export type ConfigVariable = keyof typeof envShape;

/** Variables named by a pattern (`<n>`), read by their own parser below; documented beside the shape. */
const PATTERN_VARIABLES: ReadonlyArray<VariableDoc & { name: string; pattern: RegExp; after: ConfigVariable }> = [
  {
    name: 'SLO_PAGING_LEVEL_<n>_WEBHOOK_URL, _ROUTING_KEY, _FORMAT',
    pattern: /^SLO_PAGING_LEVEL_\d+_/,
    after: 'SLO_PAGING_ROUTING_KEY',
    default: 'the default route',
    meaning: 'where escalation level n (1..20) pages (secrets)',
    secret: true,
  },
];

const envSchema = z.object(envShape).superRefine((v, ctx) => {
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
  /** The `SLO_*` thresholds that are set (the rest are the runbook's, `DEFAULT_THRESHOLDS`). */
  sloOverrides: Partial<SloThresholds>;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment. Throws {@link ConfigError} listing every bad variable by name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Readonly<Config> {
  const raw = presentValues(env);
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(problemLines(parsed.error, raw));
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
    sloOverrides: sloOverridesOf(v),
  };
  return deepFreeze(config);
}

/** The variables that are set and not empty. */
function presentValues(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string>;
}

/** One line per issue, the variable first: `DRILL_UI_PORT: expected a port number (got "x")`; a secret's value is never shown. */
function problemLines(error: z.ZodError, raw: Readonly<Record<string, string>>, name?: string): string[] {
  return error.issues.map((i) => {
    const variable = String(i.path[0] ?? name ?? '(environment)');
    const value = raw[variable];
    const shown = value === undefined || /KEY|URL|SECRET|TOKEN/.test(variable) ? '' : ` (got "${value}")`;
    return `${variable}: ${i.message}${shown}`;
  });
}

/**
 * One variable, checked by its schema: for code that reads it where the loaded config is not at hand
 * (the environment is injected in tests). Empty is unset. Throws {@link ConfigError} naming it.
 */
export function readVariable<K extends ConfigVariable>(
  name: K,
  env: Readonly<Record<string, string | undefined>> = process.env,
): z.output<(typeof envShape)[K]> {
  const raw = presentValues({ [name]: env[name] });
  const r = envShape[name].safeParse(raw[name]);
  if (!r.success) throw new ConfigError(problemLines(r.error, raw, name));
  return r.data as z.output<(typeof envShape)[K]>;
}

const sloSchema = z.object(sloShape);

function sloOverridesOf(v: Partial<Record<SloVariable, number | undefined>>): Partial<SloThresholds> {
  const out: Partial<SloThresholds> = {};
  for (const [name, key] of Object.entries(SLO_THRESHOLD_VARIABLES) as Array<[SloVariable, keyof SloThresholds]>) {
    const n = v[name];
    if (n !== undefined) out[key] = n;
  }
  return out;
}

/** The `SLO_*` thresholds that are set in `env`; throws {@link ConfigError} naming every bad one. */
export function sloOverridesFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): Partial<SloThresholds> {
  const raw = presentValues(Object.fromEntries(Object.keys(SLO_THRESHOLD_VARIABLES).map((k) => [k, env[k]])));
  const r = sloSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(problemLines(r.error, raw));
  return sloOverridesOf(r.data);
}

/** The runbook thresholds (or `base`) with the `SLO_*` variables set in `env` applied. */
export function sloThresholdsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env, base: SloThresholds = DEFAULT_THRESHOLDS): SloThresholds {
  return { ...base, ...sloOverridesFromEnv(env) };
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

/** A row of `drill config` and of the README's table: one variable, or a pattern of them. */
export interface ConfigVariableRow extends VariableDoc {
  name: string;
  /** For a pattern row: the variables it stands for. */
  pattern?: RegExp;
}

/** The variables `drill config` documents (and the README's table mirrors), derived from the schema. */
export const CONFIG_VARIABLES: readonly ConfigVariableRow[] = (Object.keys(envShape) as ConfigVariable[]).flatMap((name) => {
  const doc = variableDocs.get(envShape[name]);
  if (!doc) throw new Error(`config: ${name} has no doc`);
  const row: ConfigVariableRow = { name, ...doc };
  return [row, ...PATTERN_VARIABLES.filter((p) => p.after === name).map(({ after: _after, ...p }) => p)];
});

/** The names the schema declares (pattern rows by their pattern). */
export const CONFIG_VARIABLE_NAMES: readonly ConfigVariable[] = Object.keys(envShape) as ConfigVariable[];
