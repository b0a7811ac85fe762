// The fault suite's full matrix (`npm run test:faults`, also run by .ci/run): kill -9 of the worker on
// both sides of every activity boundary of every workflow, and kill -9 + restart of the dev server
// mid-drill, mid-recovery and mid-timer. Its fast subset is in test/integration/faults-fast.test.ts
// (`npm test`). Each file has its own dev server; inside a file, cases run FAULT_CONCURRENCY at a time
// (default 4; each case has its own task queue, worker process and target, so they cannot interfere).
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] };

module.exports = {
  maxWorkers: 2,
  projects: [
    {
      displayName: 'faults',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/faults/**/*.test.ts'],
      // A matrix is one test (its kill points come from the baseline run): minutes, not seconds.
      setupFilesAfterEnv: ['<rootDir>/test/helpers/timeout-1800000.ts'],
    },
  ],
};
