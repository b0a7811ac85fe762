/**
 * `drill config`: every setting drill-runner reads, with the value in force and where it came from
 * (the environment, a Temporal envconfig profile, or the default). Secrets are never printed: only
 * whether they are set.
 */
import { CONFIG_VARIABLES, type Config, type ConfigVariableRow } from '../config';
import { DEFAULT_ADDRESS, DEFAULT_NAMESPACE } from '../shared';

export type SettingSource = 'env' | 'profile' | 'default';

export interface SettingRow {
  name: string;
  source: SettingSource;
  /** The value in force; `(set, hidden)` for a secret that is set. */
  value: string;
  meaning: string;
}

/** The variables a row covers that are set: its own name, or those its pattern matches. */
function setNames(row: ConfigVariableRow, env: NodeJS.ProcessEnv): string[] {
  const present = (k: string) => env[k] !== undefined && env[k] !== '';
  if (!row.pattern) return present(row.name) ? [row.name] : [];
  return Object.keys(env)
    .filter((k) => row.pattern!.test(k) && present(k))
    .sort();
}

export function describeSettings(env: NodeJS.ProcessEnv, config: Pick<Config, 'temporal'>): SettingRow[] {
  return CONFIG_VARIABLES.map((v) => {
    const set = setNames(v, env);
    if (v.name === 'TEMPORAL_ADDRESS' || v.name === 'TEMPORAL_NAMESPACE') {
      const inForce = v.name === 'TEMPORAL_ADDRESS' ? config.temporal.address : config.temporal.namespace;
      const dflt = v.name === 'TEMPORAL_ADDRESS' ? DEFAULT_ADDRESS : DEFAULT_NAMESPACE;
      const source: SettingSource = set.length ? 'env' : inForce !== dflt ? 'profile' : 'default';
      return { name: v.name, source, value: inForce, meaning: v.meaning };
    }
    if (!set.length) return { name: v.name, source: 'default', value: v.default, meaning: v.meaning };
    const value = v.secret
      ? `(set, hidden)${v.pattern ? `: ${set.join(', ')}` : ''}`
      : v.pattern
        ? set.map((k) => `${k}=${env[k]}`).join(' ')
        : String(env[set[0]!]);
    return { name: v.name, source: 'env', value, meaning: v.meaning };
  });
}

/** One line per setting: name, source, value, meaning. */
export function formatSettings(rows: readonly SettingRow[]): string[] {
  return rows.map((r) => `${r.name.padEnd(40)} ${r.source.padEnd(8)} ${r.value.padEnd(16)} ${r.meaning}`);
}
