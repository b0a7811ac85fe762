#!/bin/sh
# Creates or upgrades Temporal's two PostgreSQL databases (persistence and visibility) with
# `temporal-sql-tool`, the way upstream sets up a `temporalio/server` since the `auto-setup` image
# was deprecated. Runs in the one-shot `temporal-schema` container (the `temporalio/admin-tools`
# image of the same release as the server), and on any host that has the tool:
#   SQL_HOST=127.0.0.1 SQL_PORT=5432 SQL_USER=temporal SQL_PASSWORD=... deploy/setup-schema.sh
#
# Idempotent: `create-database` skips a database that exists, `setup-schema -v 0.0` only stamps a
# fresh one, and `update-schema` applies only the versions newer than the database's. So it is also
# the upgrade step: run it with the new release's tools before starting the new server.
# The schema comes from the tool itself (`--schema-name`), so tool and schema are one release.
#
# Settings (the tool's own variables): SQL_PLUGIN (postgres12), SQL_HOST (postgresql), SQL_PORT
# (5432), SQL_USER, SQL_PASSWORD, TEMPORAL_DB (temporal), TEMPORAL_VISIBILITY_DB (temporal_visibility),
# SCHEMA_WAIT_SECONDS (120: how long to wait for the database to accept connections).
set -eu

export SQL_PLUGIN="${SQL_PLUGIN:-postgres12}"
export SQL_HOST="${SQL_HOST:-postgresql}"
export SQL_PORT="${SQL_PORT:-5432}"
: "${SQL_USER:?SQL_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD is required}"
export SQL_USER SQL_PASSWORD
db="${TEMPORAL_DB:-temporal}"
visibility_db="${TEMPORAL_VISIBILITY_DB:-temporal_visibility}"
wait_seconds="${SCHEMA_WAIT_SECONDS:-120}"
case "$SQL_PLUGIN" in postgres12 | postgres12_pgx) schema_root=postgresql/v12 ;; mysql8) schema_root=mysql/v8 ;; *) echo "setup-schema: unsupported SQL_PLUGIN $SQL_PLUGIN" >&2; exit 2 ;; esac

say() { printf '%s\n' "setup-schema: $*"; }
tool() { temporal-sql-tool --quiet --plugin "$SQL_PLUGIN" --ep "$SQL_HOST" -p "$SQL_PORT" "$@"; }

command -v temporal-sql-tool >/dev/null 2>&1 || { echo "setup-schema: temporal-sql-tool is not on PATH" >&2; exit 2; }

# The database may still be starting: retry the first, harmless step.
start=$(date +%s)
until tool --db "$db" create-database >/dev/null 2>&1; do
  if [ $(( $(date +%s) - start )) -ge "$wait_seconds" ]; then
    tool --db "$db" create-database || true
    echo "setup-schema: $SQL_HOST:$SQL_PORT not ready after ${wait_seconds}s" >&2
    exit 1
  fi
  say "waiting for $SQL_HOST:$SQL_PORT"
  sleep 2
done

for pair in "$db:temporal" "$visibility_db:visibility"; do
  name="${pair%%:*}"
  schema="$schema_root/${pair#*:}"
  say "$name: create-database, setup-schema, update-schema ($schema)"
  tool --db "$name" create-database
  tool --db "$name" setup-schema -v 0.0
  tool --db "$name" update-schema --schema-name "$schema"
done
say "schemas of $db and $visibility_db are current"
