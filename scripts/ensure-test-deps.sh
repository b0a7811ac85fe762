#!/usr/bin/env bash
# System packages the test suite drives for real: Debian's chromium (the Web UI test) and
# docker-compose (the compose file is checked by a real parser). Installed with apt-get when missing
# and we are root (CI is); otherwise one line says what to install. Skipped when present.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || [ -n "${CHROMIUM_PATH:-}" ] || need+=(chromium)
docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
if [ ${#need[@]} -eq 0 ]; then
  echo "test deps: chromium and a compose parser present, nothing to do"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test deps: missing ${need[*]}: install them (e.g. sudo apt-get install ${need[*]}) or set CHROMIUM_PATH" >&2
  exit 2
fi
echo "test deps: installing ${need[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "${need[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null; }
echo "test deps: installed ${need[*]}"
