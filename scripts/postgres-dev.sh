#!/usr/bin/env bash
# A private PostgreSQL server for crm's tests, benchmarks and demos: in a temporary
# directory, on loopback, stopped when you are done. CI uses it too (.ci/run).
#
#   scripts/postgres-dev.sh run -- cargo test --workspace --all-features
#       starts a server, runs the command with CRM_POSTGRES_URL set, stops the server
#   eval "$(scripts/postgres-dev.sh start)"
#       starts one and prints the exports for your shell (CRM_POSTGRES_URL, CRM_PG_DIR)
#   scripts/postgres-dev.sh stop [DIR]
#       stops the server started in DIR (default: $CRM_PG_DIR) and removes DIR
#
# Needs the PostgreSQL server programs (initdb, pg_ctl): on Debian `apt-get install
# postgresql`; their directory is found on PATH or under /usr/lib/postgresql. PostgreSQL
# refuses to run as root, so as root the server runs as the `postgres` user.
set -euo pipefail

port=${CRM_PG_PORT:-54329}

# The first port from $port up that nothing listens on: a second server (a newcomer's own,
# beside CI's) must not collide with the first.
free_port() {
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    port=$((port + 1))
  done
}

find_bin() {
  if command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
    return
  fi
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$found" ] && [ -x "$found/initdb" ]; then
    echo "$found"
    return
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "initdb not found: installing Debian's postgresql package" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    find_bin
    return
  fi
  echo "initdb not found: install the PostgreSQL server (Debian: apt-get install postgresql)" >&2
  exit 1
}

# Runs a server program as the user that owns the data directory.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  local bin dir
  bin=$(find_bin)
  free_port
  dir=$(mktemp -d "${TMPDIR:-/tmp}/crm-pg.XXXXXX")
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$dir"
  fi
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  # Tests open many small pools; fsync stays on, so benchmarks measure durable commits.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null ||
    { cat "$dir/server.log" >&2; exit 1; }
  as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt \
    -c "CREATE DATABASE crm" >/dev/null
  echo "export CRM_PG_DIR=$dir"
  echo "export CRM_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/crm"
}

stop() {
  local dir=${1:-${CRM_PG_DIR:-}}
  [ -n "$dir" ] && [ -d "$dir/data" ] || { echo "no server directory to stop" >&2; return 0; }
  local bin
  bin=$(find_bin)
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  run)
    shift
    [ "${1:-}" = "--" ] && shift
    eval "$(start)"
    trap 'stop "$CRM_PG_DIR"' EXIT
    export CRM_POSTGRES_URL
    "$@"
    ;;
  *)
    sed -n '2,14p' "$0" >&2
    exit 2
    ;;
esac
