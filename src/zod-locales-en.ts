/**
 * zod's `locales` module as the workflow bundle sees it: English only. Swapped in for zod's own by
 * src/workflow-bundle-options.ts, and registered for Node in place of that module by src/zod-english-only.ts.
 */
export { default as en } from 'zod/v4/locales/en.cjs';
