/**
 * zod's `locales` module as the workflow bundle sees it: English only. Swapped in for zod's own by
 * src/workflow-bundle-options.ts; never loaded by Node itself.
 */
export { default as en } from 'zod/v4/locales/en.cjs';
