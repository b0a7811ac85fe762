#!/bin/sh
# One-shot setup of a running Temporal server for drill-runner: waits for the frontend, creates the
# namespace when it is missing (what `auto-setup` used to do), then registers drill-runner's search
# attributes (register-search-attributes.sh, with this script's arguments). Idempotent.
#
#   setup-temporal.sh NAME=Type [NAME=Type ...]
#
# Connection: the `temporal` CLI's own environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API key).
# TEMPORAL_NAMESPACE_RETENTION (default 30d) applies to a namespace this script creates.
set -eu

ns="${TEMPORAL_NAMESPACE:-default}"
retention="${TEMPORAL_NAMESPACE_RETENTION:-30d}"
wait_seconds="${REGISTER_WAIT_SECONDS:-180}"
export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:7233}"
say() { printf '%s\n' "setup-temporal: $*"; }

command -v temporal >/dev/null 2>&1 || { echo "setup-temporal: the temporal CLI is not on PATH" >&2; exit 1; }

start=$(date +%s)
until temporal operator cluster health >/dev/null 2>&1; do
  if [ $(( $(date +%s) - start )) -ge "$wait_seconds" ]; then
    temporal operator cluster health >&2 || true
    echo "setup-temporal: $TEMPORAL_ADDRESS not serving after ${wait_seconds}s" >&2
    exit 1
  fi
  say "waiting for $TEMPORAL_ADDRESS"
  sleep 2
done

if temporal operator namespace describe --namespace "$ns" >/dev/null 2>&1; then
  say "namespace '$ns' exists"
else
  say "creating namespace '$ns' (retention $retention)"
  temporal operator namespace create --namespace "$ns" --retention "$retention" ||
    temporal operator namespace describe --namespace "$ns" >/dev/null
fi

exec /bin/sh "$(dirname "$0")/register-search-attributes.sh" "$@"
