#!/usr/bin/env bash
# Validates docker-compose.yml with a real Compose parser; no Docker engine needed.
# Uses `docker compose` (v2 plugin) when present, else Debian's `docker-compose` (1.29.x), which it
# installs with apt-get when missing (CI runs as root). `config -q` parses the file, interpolates
# the environment, checks it against the Compose schema (unknown keys, wrong types, depends_on on an
# undefined service, bad healthcheck/port syntax) and exits non-zero on any error.
#   scripts/check-compose.sh [FILE]        (default: docker-compose.yml beside this script's parent)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
file="${1:-$root/docker-compose.yml}"

[ -f "$file" ] || { echo "check-compose: no such file: $file" >&2; exit 2; }

parser=()
if docker compose version >/dev/null 2>&1; then
  parser=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  parser=(docker-compose)
else
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "check-compose: no Compose parser: install docker-compose (apt-get install docker-compose) or the docker compose plugin" >&2
    exit 2
  fi
  echo "check-compose: installing Debian's docker-compose" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q docker-compose >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q docker-compose >/dev/null; }
  parser=(docker-compose)
fi

# Interpolation must not depend on the caller's environment: unset every variable the file reads,
# so the defaults (${VAR:-default}) are what is checked.
vars=$(grep -o '\${[A-Za-z_][A-Za-z0-9_]*' "$file" | cut -c3- | sort -u || true)
# shellcheck disable=SC2086
env_clean=(env $(for v in $vars; do printf -- '-u %s ' "$v"; done))

cd "$(dirname "$file")"
"${env_clean[@]}" "${parser[@]}" -f "$(basename "$file")" config -q
echo "check-compose: $(basename "$file") is valid ($("${parser[@]}" version --short 2>/dev/null || echo "${parser[*]}"))"
