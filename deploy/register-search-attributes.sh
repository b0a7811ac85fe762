#!/bin/sh
# Registers drill-runner's custom search attributes on a Temporal namespace. Idempotent: attributes
# that already exist with the same type are left alone; one that exists with another type is an error.
#
#   register-search-attributes.sh NAME=Type [NAME=Type ...]
#
# docker-compose.yml runs it in the one-shot `temporal-setup` container with the list from
# src/search-attributes.ts. On any other cluster, run it where the `temporal` CLI is installed:
#   deploy/register-search-attributes.sh $(node -p "require('./dist/search-attributes').searchAttributeCliArgs().join(' ')")
#
# Connection: the `temporal` CLI's own environment — TEMPORAL_ADDRESS (default 127.0.0.1:7233),
# TEMPORAL_NAMESPACE (default "default"), TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE,
# TEMPORAL_CONFIG_FILE. REGISTER_WAIT_SECONDS (default 180) bounds the wait for the namespace.
set -eu

ns="${TEMPORAL_NAMESPACE:-default}"
wait_seconds="${REGISTER_WAIT_SECONDS:-180}"
export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:7233}"

say() { printf '%s\n' "register-search-attributes: $*"; }
die() { printf '%s\n' "register-search-attributes: $*" >&2; exit 1; }

[ "$#" -gt 0 ] || die "usage: $0 NAME=Type [NAME=Type ...] (Type: Keyword, Text, Int, Double, Bool, Datetime, KeywordList)"
command -v temporal >/dev/null 2>&1 || die "the temporal CLI is not on PATH"

wanted="$*"
for pair do
  name="${pair%%=*}"
  type="${pair#*=}"
  case "$name" in '' | *[!A-Za-z0-9_]*) die "bad search attribute name in '$pair'" ;; esac
  case "$type" in Keyword | Text | Int | Double | Bool | Datetime | KeywordList) ;; *) die "bad type in '$pair'" ;; esac
done

# The server may still be creating the namespace (auto-setup does it after the frontend is up).
start=$(date +%s)
until temporal operator search-attribute list --namespace "$ns" >/dev/null 2>&1; do
  if [ $(( $(date +%s) - start )) -ge "$wait_seconds" ]; then
    temporal operator search-attribute list --namespace "$ns" >&2 || true
    die "namespace '$ns' at $TEMPORAL_ADDRESS not ready after ${wait_seconds}s"
  fi
  say "waiting for namespace '$ns' at $TEMPORAL_ADDRESS"
  sleep 2
done

existing=$(temporal operator search-attribute list --namespace "$ns")
# Keep only the attributes that are missing; a type clash stops here with a clear message.
for pair do
  shift
  name="${pair%%=*}"
  type="${pair#*=}"
  row=$(printf '%s\n' "$existing" | awk -v n="$name" '$1 == n { print $2; exit }')
  if [ -z "$row" ]; then
    set -- "$@" --name "$name" --type "$type"
  elif [ "$row" = "$type" ]; then
    say "$name ($type) already registered"
  else
    die "$name is already registered as $row, not $type: pick another name or another namespace"
  fi
done

if [ "$#" -gt 0 ]; then
  tries=0
  until temporal operator search-attribute create --namespace "$ns" "$@"; do
    tries=$((tries + 1))
    [ "$tries" -lt 5 ] || die "could not create the search attributes on '$ns'"
    say "create failed, retrying in 2s ($tries/5)"
    sleep 2
  done
fi

# Check the result rather than trust it.
existing=$(temporal operator search-attribute list --namespace "$ns")
for pair in $wanted; do
  name="${pair%%=*}"
  type="${pair#*=}"
  row=$(printf '%s\n' "$existing" | awk -v n="$name" '$1 == n { print $2; exit }')
  [ "$row" = "$type" ] || die "$name is not registered as $type after create (found '${row:-nothing}')"
done
say "namespace '$ns' at $TEMPORAL_ADDRESS has: $wanted"
