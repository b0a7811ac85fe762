/**
 * zod in English only, for drill-runner's Node processes (the `drill` command, the worker).
 *
 * `require('zod')` loads zod's `locales` module, which requires its error messages in every language
 * zod ships (49 modules): about 25 ms of every cold start, for messages nothing here shows (zod
 * configures English itself, from `locales/en`, and no code of ours asks for another language).
 * Imported first by each entry point, this module registers src/zod-locales-en.ts (`en` only) under
 * the file name of zod's locales index in Node's module cache, so zod finds it there and loads no
 * other language. Adding an entry to `require.cache` is documented Node behaviour.
 *
 * The workflow bundle gets the same swap from webpack (src/workflow-bundle-options.ts). If zod is
 * already loaded when this runs (an entry that imported it first), nothing changes: the start is
 * slower, nothing breaks. Under Jest the module cache is Jest's own, so this does nothing there.
 */
import Module from 'node:module';
import * as englishOnly from './zod-locales-en';

/** The file Node resolves zod's `../locales/index.cjs` to (from zod's classic, mini and core alike). */
export const ZOD_LOCALES_INDEX = require.resolve('zod/v4/locales');

/** True when it registered English only; false when zod's locales index was loaded (or registered) before. */
export function registerEnglishOnlyZodLocales(): boolean {
  if (require.cache[ZOD_LOCALES_INDEX]) return false;
  const entry = new Module(ZOD_LOCALES_INDEX, module);
  entry.filename = ZOD_LOCALES_INDEX;
  entry.exports = englishOnly;
  entry.loaded = true;
  require.cache[ZOD_LOCALES_INDEX] = entry;
  return true;
}

registerEnglishOnlyZodLocales();
