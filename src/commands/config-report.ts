/**
 * `drill config`: every setting drill-runner reads, with the value in force and where it came from
 * (the environment, a Temporal envconfig profile, or the default). Secrets are never printed: only
 * whether they are set.
 */
import { CONFIG_VARIABLES, type Config } from '../config';
import { DEFAULT_ADDRESS, DEFAULT_NAMESPACE } from '../shared';

export type SettingSource = 'env' | 'profile' | 'default';

export interface SettingRow {
  name: string;
  source: SettingSource;
  /** The value in force; `(set, hidden)` for a secret that is set. */
  value: string;
  meaning: string;
}

/** Environment variables a row covers: `A, B` lists several; `<n>` stands for a number. */
function matchingNames(name: string, env: NodeJS.ProcessEnv): string[] {
  const present = (k: string) => env[k] !== undefined && env[k] !== '';
  return name.split(/,\s*/).flatMap((part) => {
    if (!part.includes('<n>')) return present(part) ? [part] : [];
    // "SLO_PAGING_LEVEL_<n>_WEBHOOK_URL" also stands for its siblings listed after it ("_ROUTING_KEY").
    const prefix = part.slice(0, part.indexOf('<n>'));
    return Object.keys(env)
      .filter((k) => k.startsWith(prefix) && /^\d+_/.test(k.slice(prefix.length)) && present(k))
      .sort();
  });
}

export function describeSettings(env: NodeJS.ProcessEnv, config: Pick<Config, 'temporal'>): SettingRow[] {
  return CONFIG_VARIABLES.map((v) => {
    const secret = /secret/.test(v.meaning);
    const set = matchingNames(v.name, env);
    if (v.name === 'TEMPORAL_ADDRESS' || v.name === 'TEMPORAL_NAMESPACE') {
      const inForce = v.name === 'TEMPORAL_ADDRESS' ? config.temporal.address : config.temporal.namespace;
      const dflt = v.name === 'TEMPORAL_ADDRESS' ? DEFAULT_ADDRESS : DEFAULT_NAMESPACE;
      const source: SettingSource = set.length ? 'env' : inForce !== dflt ? 'profile' : 'default';
      return { name: v.name, source, value: inForce, meaning: v.meaning };
    }
    if (!set.length) return { name: v.name, source: 'default', value: v.default, meaning: v.meaning };
    const value = secret
      ? `(set, hidden)${set.length > 1 || v.name.includes(',') || v.name.includes('<n>') ? `: ${set.join(', ')}` : ''}`
      : set.length === 1 && !v.name.includes(',') && !v.name.includes('<n>')
        ? String(env[set[0]!])
        : set.map((k) => `${k}=${env[k]}`).join(' ');
    return { name: v.name, source: 'env', value, meaning: v.meaning };
  });
}

/** One line per setting: name, source, value, meaning. */
export function formatSettings(rows: readonly SettingRow[]): string[] {
  return rows.map((r) => `${r.name.padEnd(40)} ${r.source.padEnd(8)} ${r.value.padEnd(16)} ${r.meaning}`);
}
