/**
 * zod in English only for drill-runner's Node processes (src/zod-english-only.ts), checked in real
 * Node processes on the compiled entry points (`npm test` builds first): Jest keeps a module cache of
 * its own, so only a plain `node` shows what Node loads.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

interface Loaded {
  /** zod locale files in Node's module cache, by file name. */
  localeFiles: string[];
  en: string;
  de: string;
  message: string;
  registered?: boolean;
}

/** Runs `script` in a fresh `node` in the project root, then reports what zod loaded and says. */
function inNode(script: string): Loaded {
  const report = `
    const z = require('zod');
    const localeFiles = Object.keys(require.cache).filter((k) => /zod[\\\\/]v4[\\\\/]locales[\\\\/]/.test(k)).map((k) => k.split(/[\\\\/]/).pop()).sort();
    const r = z.string().safeParse(1);
    out.localeFiles = localeFiles; out.en = typeof z.locales.en; out.de = typeof z.locales.de; out.message = r.error.issues[0].message;
    process.stdout.write(JSON.stringify(out));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', `const out = {};\n${script}\n${report}`], { cwd: ROOT, encoding: 'utf8' })) as Loaded;
}

test.each(['dist/cli.js', 'dist/worker.js', 'dist/config.js'])('%s: zod loads English and no other language, and still speaks English', (entry) => {
  const loaded = inNode(`require('./${entry}');`);
  expect(loaded.localeFiles).toEqual(['en.cjs', 'index.cjs']);
  expect(loaded).toMatchObject({ en: 'function', de: 'undefined', message: 'Invalid input: expected string, received number' });
});

test('without it, zod loads every language it ships (what the entry points are spared)', () => {
  const loaded = inNode('');
  expect(loaded.localeFiles.length).toBeGreaterThan(40);
  expect(loaded.localeFiles).toEqual(expect.arrayContaining(['de.cjs', 'en.cjs', 'index.cjs']));
  expect(loaded).toMatchObject({ en: 'function', de: 'function' });
});

test('zod loaded first: nothing changes and nothing breaks', () => {
  const loaded = inNode(`require('zod'); out.registered = require('./dist/zod-english-only').registerEnglishOnlyZodLocales();`);
  expect(loaded.registered).toBe(false);
  expect(loaded).toMatchObject({ en: 'function', de: 'function', message: 'Invalid input: expected string, received number' });
});
