#!/usr/bin/env bash
# The fleet tests (scale-out, versioning) and the compose walkthrough against the Temporal server on PostgreSQL, run the way
# docker-compose.yml runs it but without Docker: Debian's PostgreSQL, the server release pinned in
# src/tools/versions.ts built from the Go module proxy, deploy/setup-schema.sh with that release's
# temporal-sql-tool, the server's embedded config template, deploy/setup-temporal.sh.
#   npm run test:postgres        (or: bash scripts/test-postgres.sh [extra jest args])
# Needs: Go >= the server's go.mod (1.26.8 for v1.32.1) the first time (build cached in
# ~/.cache/drill-runner, or DRILL_RUNNER_CACHE); PostgreSQL server binaries (installed with apt-get
# when missing and running as root).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS=0

npm run build --silent
node bin/drill.js tools ensure >/dev/null

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "test-postgres: PostgreSQL server binaries missing: apt-get install postgresql" >&2
    exit 2
  fi
  echo "test-postgres: installing Debian's postgresql" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q postgresql >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null; }
fi
echo "== postgresql: $(ls -d /usr/lib/postgresql/*/bin | tail -1) (${SECONDS}s)"

version=$(node -p "require('./dist/tools/versions').TOOL_VERSIONS.temporalServer.go.version")
module=$(node -p "require('./dist/tools/versions').TOOL_VERSIONS.temporalServer.go.module")
bin="${DRILL_RUNNER_CACHE:-$HOME/.cache/drill-runner}/temporal-server-go-${version}/bin"
if [ ! -x "$bin/server" ] || [ ! -x "$bin/sql" ]; then
  command -v go >/dev/null 2>&1 || { echo "test-postgres: go is needed once to build $module@$version (or fill $bin)" >&2; exit 2; }
  echo "test-postgres: building $module@$version (server, temporal-sql-tool) with $(go version); minutes on 2 cores" >&2
  tmp="$bin.tmp-$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # A module download cut off by the network (a reset connection to the proxy) fails the build; what
  # was downloaded stays in Go's module cache, so a second attempt fetches only the rest.
  for attempt in 1 2 3; do
    if GOBIN="$tmp" GOTOOLCHAIN=local GOFLAGS=-buildvcs=false go install "$module/cmd/server@$version" "$module/cmd/tools/sql@$version"; then
      break
    fi
    if [ "$attempt" = 3 ]; then
      echo "test-postgres: building $module@$version failed 3 times" >&2
      rm -rf "$tmp"
      exit 1
    fi
    echo "test-postgres: building $module@$version failed (attempt $attempt of 3); trying again in 15 s" >&2
    sleep 15
  done
  rm -rf "$bin"
  mv "$tmp" "$bin"
fi
echo "== temporal server $version: $bin ($("$bin/server" --version 2>/dev/null | tail -1)) (${SECONDS}s)"

DRILL_TEST_TEMPORAL=postgres npx jest --selectProjects integration e2e --runInBand "$@" -- \
  test/integration/scale-out.test.ts test/integration/versioning.test.ts test/e2e/compose-walkthrough.test.ts
echo "== test:postgres finished in ${SECONDS}s"
