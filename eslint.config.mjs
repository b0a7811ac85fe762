// Lint: type-aware basics everywhere, plus the determinism rules for code that runs inside the
// workflow sandbox (src/workflows) or is imported by it (src/domain): no Node built-ins, no I/O.
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'fs', 'fs/promises', 'path', 'os', 'child_process', 'http', 'https', 'net', 'crypto', 'process',
  'stream', 'timers', 'worker_threads', 'dns', 'url', 'readline', 'util', 'events',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bin/**', '*.config.js', '*.config.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The benchmarks (`npm run bench`): plain CommonJS scripts run by node.
    files: ['bench/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/workflows/**/*.ts', 'src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins.flatMap((m) => [
          { name: m, message: 'Workflow and domain code must be deterministic: no Node built-ins.' },
          { name: `node:${m}`, message: 'Workflow and domain code must be deterministic: no Node built-ins.' },
        ]),
        patterns: [
          { group: ['**/activities/**', '**/activities'], allowTypeImports: true, message: 'Workflows reach activities only as types.' },
          { group: ['@temporalio/client', '@temporalio/worker', 'pino', 'ws'], message: 'Not allowed in deterministic code.' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'Use sleep() / condition() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() in a loop from @temporalio/workflow.' },
        { name: 'fetch', message: 'I/O belongs in activities.' },
        { name: 'process', message: 'Read config in the worker, pass it as input.' },
      ],
    },
  },
);
