#!/bin/sh
# PostgreSQL 15 in the deploy dir's data/pg (bind mount): made on the first start,
# owned by postgres and 0700 like any cluster; later starts use it as it is.
set -eu
bin=/usr/lib/postgresql/15/bin
data=/var/lib/postgresql/data
if [ ! -s "$data/PG_VERSION" ]; then
  mkdir -p "$data"
  chown postgres:postgres "$data"
  chmod 0700 "$data"
  pwfile="$(mktemp)"
  printf '%s\n' "$PG_PASSWORD" >"$pwfile"
  chown postgres "$pwfile"
  setpriv --reuid=postgres --regid=postgres --init-groups \
    "$bin/initdb" -D "$data" -U postgres --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
fi
# jit=off: the image carries no LLVM. Loopback only; the socket for `docker exec psql`.
exec setpriv --reuid=postgres --regid=postgres --init-groups \
  "$bin/postgres" -D "$data" -c listen_addresses=127.0.0.1 -c port="$PG_PORT" \
  -c unix_socket_directories=/tmp -c jit=off
