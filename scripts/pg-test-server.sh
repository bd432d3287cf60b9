#!/usr/bin/env bash
# Start a throw-away PostgreSQL server for the SQL-source tests and print the connection URL.
#   eval "$(scripts/pg-test-server.sh)"   # exports GROUPSPARSE_PG_URL
# Data directory and socket live under $PGTEST_DIR (default /tmp/groupsparse-pg); the server runs
# as the `postgres` user on port $PGTEST_PORT (default 55432) with trust authentication on
# localhost only. Stop it with: pg_ctl -D "$PGTEST_DIR/data" stop (as postgres).
set -euo pipefail
DIR=${PGTEST_DIR:-/tmp/groupsparse-pg}
PORT=${PGTEST_PORT:-55432}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$BIN" ] || { echo "pg-test-server: no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql)" >&2; exit 1; }
AS_PG=()
if [ "$(id -u)" -eq 0 ]; then AS_PG=(runuser -u postgres --); fi
mkdir -p "$DIR"
[ "$(id -u)" -eq 0 ] && chown postgres "$DIR"
if [ ! -f "$DIR/data/PG_VERSION" ]; then
  "${AS_PG[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C >"$DIR/initdb.log" 2>&1
fi
if ! "${AS_PG[@]}" "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
  "${AS_PG[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_parallel_workers_per_gather=2" start >&2
fi
if ! "${AS_PG[@]}" "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'groupsparse_test'" | grep -q 1; then
  "${AS_PG[@]}" "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres groupsparse_test
fi
echo "export GROUPSPARSE_PG_URL=postgres://postgres@127.0.0.1:$PORT/groupsparse_test"
