/**
 * How every workflow bundle is built: the prebuilt one (`npm run build` → deploy/bundle-workflows.js),
 * a worker's own at start when the prebuilt one is missing or stale (src/worker.ts), and the tests'.
 *
 * zod's `locales` module requires zod's error messages in every language it ships: 49 modules, 409 KiB
 * of a 2.0 MiB bundle. zod configures English itself, from `locales/en`, and no workflow reads another
 * language, so in the bundle that module is replaced by src/zod-locales-en.ts (`en` only): 2.02 → 1.60
 * MiB. A worker parses the bundle twice at start (the SDK's check on the main thread, then the workflow
 * thread), so it starts sooner; replays did not measurably change (docs/decisions.md, issue 12).
 */
import path from 'node:path';
import type { BundleOptions } from '@temporalio/worker';

type WebpackConfig = Parameters<NonNullable<BundleOptions['webpackConfigHook']>>[0];
type WebpackPlugin = NonNullable<WebpackConfig['plugins']>[number];

/** zod's locales directory and the module that replaces its index in workflow bundles. */
const ZOD_LOCALES_DIR = path.dirname(require.resolve('zod/v4/locales'));
const ZOD_LOCALES_EN_ONLY = require.resolve('./zod-locales-en');

/** True for a request that names zod's locales index (`../locales/index.cjs` from zod's core or classic). */
export function isZodLocalesIndex(context: string, request: string): boolean {
  if (!request.startsWith('.')) return false;
  const target = path.resolve(context, request);
  return path.dirname(target) === ZOD_LOCALES_DIR && /^index(\.c?js)?$/.test(path.basename(target));
}

const zodEnglishOnly: WebpackPlugin = {
  apply(compiler) {
    compiler.hooks.normalModuleFactory.tap('drill-zod-english-only', (factory) => {
      factory.hooks.beforeResolve.tap('drill-zod-english-only', (data) => {
        if (isZodLocalesIndex(data.context, data.request)) data.request = ZOD_LOCALES_EN_ONLY;
      });
    });
  },
};

/** The SDK's webpack configuration with drill-runner's changes (`webpackConfigHook`). */
export function workflowWebpackConfig(config: WebpackConfig): WebpackConfig {
  return { ...config, plugins: [...(config.plugins ?? []), zodEnglishOnly] };
}
