#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the tests (initdb in a state dir, loopback port, role and database `osprey`)
# and prints its URL as the last line. Installs Debian's postgresql when missing. Re-runnable: reuses a running one.
#
#   url=$(scripts/postgres-up.sh | tail -1)     # postgres://osprey:osprey@127.0.0.1:54331/osprey
#   scripts/postgres-up.sh stop                  # stops it
#
# Env: OSPREY_PG_STATE_DIR [/var/tmp/osprey-test-postgres], OSPREY_PG_PORT [54331]
set -euo pipefail
STATE=${OSPREY_PG_STATE_DIR:-/var/tmp/osprey-test-postgres}
PORT=${OSPREY_PG_PORT:-54331}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bindir" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "${1:-}" = stop ]; then
  as_pg "$bindir/pg_ctl" -D "$STATE/data" stop -m fast >&2 || true
  exit 0
fi
mkdir -p "$STATE"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$STATE"
data="$STATE/data"
if [ ! -f "$data/PG_VERSION" ]; then
  as_pg "$bindir/initdb" -D "$data" -U postgres -A trust --no-sync >"$STATE/initdb.log" 2>&1 \
    || { echo "initdb failed (see $STATE/initdb.log)" >&2; exit 1; }
fi
if ! as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  as_pg "$bindir/pg_ctl" -D "$data" -l "$STATE/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $PORT -k $STATE -c fsync=on -c max_connections=200" start >&2 \
    || { echo "postgres did not start (see $STATE/server.log)" >&2; exit 1; }
fi
psql_() { as_pg psql -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
[ "$(psql_ -c "select 1 from pg_roles where rolname='osprey'")" = 1 ] || psql_ -c "create role osprey login password 'osprey' createdb"
[ "$(psql_ -c "select 1 from pg_database where datname='osprey'")" = 1 ] || psql_ -c "create database osprey owner osprey"
echo "postgres://osprey:osprey@127.0.0.1:$PORT/osprey"
