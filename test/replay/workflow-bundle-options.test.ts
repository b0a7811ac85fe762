/**
 * src/workflow-bundle-options.ts: workflow bundles carry zod's English messages only. Bundles a small CommonJS
 * zod-only workflow module with and without the options and reads which zod locale modules went in.
 * That zod still answers in English from the prebuilt bundle: test/e2e/worker.test.ts (the production
 * worker refuses bad workflow input with zod's own message).
 */
import path from 'node:path';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { isZodLocalesIndex, workflowWebpackConfig } from '../../src/workflow-bundle-options';
import { installTestRuntime } from '../helpers/temporal';

const WORKFLOWS = path.resolve(__dirname, '../fixtures/workflows/zod-only.js');

/** The zod locale modules a bundle holds, by file name (`en.cjs`, `de.cjs`, `index.cjs`, …). */
export function zodLocaleModules(code: string): string[] {
  const ids = code.match(/"\.\/node_modules\/zod\/v4\/locales\/[^"]+"/g) ?? [];
  return [...new Set(ids.map((id) => path.basename(id.slice(1, -1))))].sort();
}

beforeAll(() => installTestRuntime());

test('a bundle built with the options holds zod English locale and nothing else of zod locales', async () => {
  const logger = new DefaultLogger('WARN');
  const [plain, trimmed] = await Promise.all([
    bundleWorkflowCode({ workflowsPath: WORKFLOWS, logger }),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS, logger, webpackConfigHook: workflowWebpackConfig }),
  ]);
  // Without the options zod brings every language it ships (and their index).
  expect(zodLocaleModules(plain.code)).toEqual(expect.arrayContaining(['de.cjs', 'en.cjs', 'index.cjs', 'ja.cjs']));
  expect(zodLocaleModules(plain.code).length).toBeGreaterThan(40);
  expect(zodLocaleModules(trimmed.code)).toEqual(['en.cjs']);
  expect(trimmed.code).toContain('zod-locales-en');
  expect(trimmed.code.length).toBeLessThan(plain.code.length - 300_000);
});

test('only a relative request for zod locales index is replaced', () => {
  const zodCore = path.dirname(require.resolve('zod/v4/core'));
  expect(isZodLocalesIndex(zodCore, '../locales/index.cjs')).toBe(true);
  expect(isZodLocalesIndex(zodCore, '../locales/index.js')).toBe(true);
  expect(isZodLocalesIndex(zodCore, '../locales/en.cjs')).toBe(false);
  expect(isZodLocalesIndex(zodCore, './index.cjs')).toBe(false);
  expect(isZodLocalesIndex(zodCore, 'zod/v4/locales')).toBe(false);
  expect(isZodLocalesIndex(__dirname, '../locales/index.cjs')).toBe(false);
});
