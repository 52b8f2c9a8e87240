#!/usr/bin/env bash
# Throwaway PostgreSQL server for tests: trust auth on 127.0.0.1, fsync off, data in a temp dir.
#   scripts/pg-test-server.sh        start (or find running) and print DATABASE_URL=... last
#   scripts/pg-test-server.sh stop   stop it and delete its data
# PGPORT_TEST picks the port (default 54329); everything but the URL goes to stderr.
set -euo pipefail

port="${PGPORT_TEST:-54329}"
dir="/tmp/evidence-pg-$port" # /tmp so that the postgres user can reach it when we are root
data="$dir/data"
url="postgres://postgres@127.0.0.1:$port/evidence_test"

bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$bin/initdb" ] || { echo "pg-test-server: PostgreSQL not found under /usr/lib/postgresql (apt-get install postgresql)" >&2; exit 1; }

# PostgreSQL refuses to run as root, so root runs the server as the postgres user.
# runuser lives in /usr/sbin, which a minimal PATH may lack.
runuser_="$(command -v runuser || echo /usr/sbin/runuser)"
as_pg() { if [ "$(id -u)" = 0 ]; then "$runuser_" -u postgres -- "$@"; else "$@"; fi; }
psql_() { "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }

if [ "${1:-start}" = stop ]; then
  if [ -f "$data/postmaster.pid" ]; then as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >&2; fi
  rm -rf "$dir"
  exit 0
fi

if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  if [ ! -f "$data/PG_VERSION" ]; then
    rm -rf "$dir" && mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
    as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  opts="-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off"
  opts="$opts -c full_page_writes=off -c max_connections=300"
  as_pg "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -o "$opts" -w -t 60 start >&2 \
    || { tail -20 "$dir/server.log" >&2; exit 1; }
fi

if [ -z "$(psql_ -d postgres -tAc "select 1 from pg_database where datname = 'evidence_test'")" ]; then
  psql_ -d postgres -c "create database evidence_test" >&2
fi
echo "DATABASE_URL=$url"
