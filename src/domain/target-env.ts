/**
 * Least privilege toward targets: the environment a target command (the `shell` process adapter's
 * stop/start/health commands, and the sandbox the worker spawns) runs with. It gets only the
 * variables on an allow-list, never the whole worker environment: the worker holds the Temporal API
 * key, the paging webhook URL and the PagerDuty routing key, and a target's command (or anything it
 * logs its environment to) has no business with them.
 *
 * The allow-list is the defaults below, plus `DRILL_TARGET_ENV_ALLOW` (every target), plus the
 * target's own `process.envAllow` in the targets file. An entry is a variable name or a prefix
 * ending in `*` (`LC_*`). The runner's own secrets (`TEMPORAL_*`, `SLO_PAGING_*`) are never passed,
 * whatever the list says; naming one is refused as a configuration error.
 *
 * Pure: the parent environment is a parameter.
 */
import { z } from 'zod';

/** What a shell, systemctl, docker and kubectl need to find their tools, home, locale and socket. */
export const DEFAULT_TARGET_ENV_ALLOW: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'LC_*',
  'TZ',
  'TMPDIR',
  'TERM',
  // systemctl --user
  'XDG_RUNTIME_DIR',
  'DBUS_SESSION_BUS_ADDRESS',
  // docker / kubectl find their daemon and config through these (paths and addresses, not keys)
  'DOCKER_HOST',
  'DOCKER_CONTEXT',
  'DOCKER_CONFIG',
  'KUBECONFIG',
];

/** The runner's own credentials and settings: never handed to a target. */
export const NEVER_PASSED_TO_TARGETS: readonly string[] = ['TEMPORAL_*', 'SLO_PAGING_*'];

const ENTRY = /^[A-Za-z_][A-Za-z0-9_]*\*?$/;

function matches(name: string, entry: string): boolean {
  return entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : name === entry;
}

/** True when every variable `entry` can match is one of the runner's secrets (a useless, dangerous entry). */
function onlySecrets(entry: string): boolean {
  const prefix = entry.endsWith('*') ? entry.slice(0, -1) : entry;
  return NEVER_PASSED_TO_TARGETS.some((s) => matches(prefix, s) && (!entry.endsWith('*') || prefix.length >= s.length - 1));
}

/** One allow-list entry: `NAME` or `PREFIX*` (a non-empty prefix), not one of the runner's secrets. */
export const envAllowEntrySchema = z
  .string()
  .regex(ENTRY, { error: (i) => `${JSON.stringify(i.input)}: expected a variable name or a prefix ending in * (letters, digits, _; e.g. KUBECONFIG or AWS_*)` })
  .refine((e) => !onlySecrets(e), {
    error: (i) => `${JSON.stringify(i.input)} names the runner's own secrets (TEMPORAL_*, SLO_PAGING_*), which are never passed to target commands`,
  });

export const envAllowListSchema = z.array(envAllowEntrySchema).max(200);

/** `DRILL_TARGET_ENV_ALLOW`: entries separated by commas and/or whitespace. */
export const envAllowVariableSchema = z
  .string()
  .transform((v) => v.split(/[\s,]+/).filter(Boolean))
  .pipe(envAllowListSchema);

/**
 * The environment for a target command: the variables of `parent` that an entry of
 * {@link DEFAULT_TARGET_ENV_ALLOW} or `allow` names, minus {@link NEVER_PASSED_TO_TARGETS}.
 */
export function targetCommandEnv(parent: Readonly<Record<string, string | undefined>>, allow: readonly string[] = []): Record<string, string> {
  const entries = [...DEFAULT_TARGET_ENV_ALLOW, ...allow];
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined) continue;
    if (NEVER_PASSED_TO_TARGETS.some((s) => matches(name, s))) continue;
    if (entries.some((e) => matches(name, e))) env[name] = value;
  }
  return env;
}
