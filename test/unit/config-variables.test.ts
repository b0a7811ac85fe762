/**
 * One list of variables (issue 16): the schema in `src/config.ts`. No code outside it reads a
 * variable the schema does not declare, or reads a declared one past the schema; every declared
 * variable is in `drill config` and in the README's table, and the table names nothing else.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describeSettings } from '../../src/commands/config-report';
import { CONFIG_VARIABLE_NAMES, CONFIG_VARIABLES, ConfigError, loadConfig, readVariable } from '../../src/config';

const ROOT = path.join(__dirname, '..', '..');

/** Variables read directly on purpose: not drill-runner's configuration. */
const NOT_CONFIGURATION: Record<string, string> = {
  NO_COLOR: 'the cross-tool convention (no-color.org), read by the log formatter',
  PATH: "the OS's; where tools are looked up",
  XDG_CACHE_HOME: "the OS's; the base of the tools cache when DRILL_RUNNER_CACHE is unset",
  GITHUB_SHA: 'set by GitHub Actions: the commit, when DRILL_COMMIT is unset',
  GITHUB_STEP_SUMMARY: 'set by GitHub Actions: where a job summary is appended',
  GITHUB_RUN_ID: 'set by GitHub Actions: named in the promotion evidence',
  GITHUB_REPOSITORY: 'set by GitHub Actions: named in the promotion evidence',
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** `process.env.X`, `env.X`, `env?.X`, `(deps.env ?? process.env).X`, `env['X']`. */
const DIRECT_READ = /(?:\benv|Env|process\.env\))\??\.([A-Z][A-Z0-9_]+)\b|\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]/g;

test('no code outside src/config.ts reads a variable past the schema', () => {
  const declared = new Set<string>(CONFIG_VARIABLE_NAMES);
  const found: string[] = [];
  for (const file of sourceFiles(path.join(ROOT, 'src'))) {
    if (file === path.join(ROOT, 'src', 'config.ts')) continue;
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(DIRECT_READ)) {
      const name = (m[1] ?? m[2])!;
      const where = `${path.relative(ROOT, file)}: ${name}`;
      if (declared.has(name)) found.push(`${where} is declared: read it with readVariable (src/config.ts)`);
      else if (!(name in NOT_CONFIGURATION)) found.push(`${where} is not declared: add it to the schema in src/config.ts (or to NOT_CONFIGURATION with why)`);
    }
  }
  expect(found).toEqual([]);
});

test('every declared variable is a row of drill config, with its doc', () => {
  const rows = describeSettings({}, loadConfig({}, '/tmp'));
  for (const name of CONFIG_VARIABLE_NAMES) {
    const row = rows.find((r) => r.name === name);
    expect(row).toMatchObject({ source: 'default' });
    expect(row!.meaning.length).toBeGreaterThan(0);
  }
});

/** The backticked variable names of the first column of the README's configuration table. */
function readmeTableNames(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
  return section
    .split('\n')
    .filter((l) => /^\| `/.test(l))
    .flatMap((l) => [...l.split('|')[1]!.matchAll(/`([A-Z_<>a-z]+)`/g)].map((m) => m[1]!));
}

test("the README's table names every declared variable, and nothing else", () => {
  const inReadme = readmeTableNames();
  expect(CONFIG_VARIABLE_NAMES.filter((n) => !inReadme.includes(n))).toEqual([]);
  const patterns = CONFIG_VARIABLES.filter((r) => r.pattern);
  const undeclared = inReadme.filter(
    (n) => !(CONFIG_VARIABLE_NAMES as readonly string[]).includes(n) && !patterns.some((p) => p.name.includes(n)) && !n.startsWith('_'),
  );
  expect(undeclared).toEqual([]);
});

test('drill config shows the SLO thresholds, the targets file and the sandbox config with their source', () => {
  const env = { SLO_ACK_SLA_SECONDS: '600', DRILL_TARGETS_FILE: 'ops/targets.json', DRILL_SANDBOX_CONFIG: 'sbx.json' };
  const config = loadConfig(env, '/tmp');
  expect(config.sloOverrides).toEqual({ ackSlaSeconds: 600 });
  const rows = describeSettings(env, config);
  expect(rows.find((r) => r.name === 'SLO_ACK_SLA_SECONDS')).toMatchObject({ source: 'env', value: '600' });
  expect(rows.find((r) => r.name === 'SLO_RTO_SECONDS')).toMatchObject({ source: 'default', value: '900' });
  expect(rows.find((r) => r.name === 'DRILL_TARGETS_FILE')).toMatchObject({ source: 'env', value: 'ops/targets.json' });
  expect(rows.find((r) => r.name === 'DRILL_SANDBOX_CONFIG')).toMatchObject({ source: 'env', value: 'sbx.json' });
});

test('a bad SLO_* value stops loading with one message naming the variable', () => {
  expect(() => loadConfig({ SLO_MIN_RECONCILIATION_PASS_RATE: 'lots' }, '/tmp')).toThrow(
    new ConfigError(['SLO_MIN_RECONCILIATION_PASS_RATE: expected a number (0.995 or 99.5%) (got "lots")']),
  );
  expect(() => loadConfig({ SLO_MIN_RECONCILIATION_PASS_RATE: '150%' }, '/tmp')).toThrow(
    /^Invalid configuration:\n {2}- SLO_MIN_RECONCILIATION_PASS_RATE: .*\(got "150%"\)$/,
  );
});

test('readVariable: the schema checks the one variable; empty is unset', () => {
  expect(readVariable('DRILL_TARGETS_FILE', { DRILL_TARGETS_FILE: '  ops/t.json ' })).toBe('ops/t.json');
  expect(readVariable('DRILL_SANDBOX_CONFIG', { DRILL_SANDBOX_CONFIG: '' })).toBeUndefined();
  expect(readVariable('SLO_RTO_SECONDS', { SLO_RTO_SECONDS: '120' })).toBe(120);
  expect(() => readVariable('DRILL_UI_PORT', { DRILL_UI_PORT: 'x' })).toThrow(
    /^Invalid configuration:\n {2}- DRILL_UI_PORT: expected a port number \(got "x"\)$/,
  );
});
