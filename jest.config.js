// One jest project per test kind (DESIGN.md §2), so each kind has its own timeout and setup.
// Type checking is done once by `npm run lint` (tsc --noEmit); jest only transpiles.
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] };

function project(name, timeoutMs, extra = {}) {
  return {
    displayName: name,
    testEnvironment: 'node',
    transform,
    testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
    setupFilesAfterEnv: [`<rootDir>/test/helpers/timeout-${timeoutMs}.ts`],
    ...extra,
  };
}

module.exports = {
  // 2 cores on CI: each workflow/integration file starts its own server and worker.
  maxWorkers: 2,
  projects: [
    project('unit', 10000),
    // Generated hostile input (fast-check, >= 1,000 cases per boundary) against the real parsing code.
    project('hostile', 120000),
    project('activities', 60000),
    project('workflow', 120000),
    project('integration', 180000),
    project('replay', 60000),
    project('e2e', 180000),
  ],
};
