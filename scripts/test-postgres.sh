#!/usr/bin/env bash
# A private PostgreSQL cluster for the fleet tests: initdb into a temporary
# folder owned by an unprivileged user, listening on 127.0.0.1 only, on a
# free port. Nothing outside the folder is touched.
#
#   eval "$(scripts/test-postgres.sh start)"   # exports TELETOP_TEST_POSTGRES, TELETOP_TEST_PGCTL
#   swift test --filter Postgres
#   scripts/test-postgres.sh stop
#
# The tests stop and start the server themselves (TELETOP_TEST_PGCTL) to
# check that writes resume by themselves.
set -euo pipefail

state=${TELETOP_PG_STATE:-/tmp/teletop-test-postgres}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "test-postgres: no PostgreSQL server (apt-get install postgresql)" >&2; exit 1; }

# initdb refuses to run as root: the cluster belongs to an unprivileged user.
owner=$(id -un)
if [ "$(id -u)" = 0 ]; then
    owner=teletop-pg
    id "$owner" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"
fi
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u "$owner" -- "$@"; else "$@"; fi; }

case "${1:-}" in
start)
    if [ -f "$state/env" ] && as_owner "$bin/pg_ctl" -D "$state/data" status >/dev/null 2>&1; then cat "$state/env"; exit 0; fi
    rm -rf "$state"
    mkdir -p "$state"
    chown "$owner" "$state"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    echo "teletop-secret" > "$state/pw"
    chown "$owner" "$state/pw"
    as_owner "$bin/initdb" -D "$state/data" -U postgres --auth=scram-sha-256 --pwfile="$state/pw" >"$state/initdb.log" 2>&1
    cat >>"$state/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$state'
fsync = on
synchronous_commit = on
max_connections = 50
CONF
    as_owner "$bin/pg_ctl" -D "$state/data" -l "$state/server.log" -w start >/dev/null
    PGPASSWORD=teletop-secret psql -h 127.0.0.1 -p "$port" -U postgres -q -c "CREATE ROLE teletop LOGIN PASSWORD 'teletop-secret' CREATEDB" postgres
    {
        echo "export TELETOP_TEST_POSTGRES=postgres://teletop:teletop-secret@127.0.0.1:$port/postgres?sslmode=disable"
        echo "export TELETOP_TEST_PGCTL='$(cd "$(dirname "$0")" && pwd)/$(basename "$0") ctl'"
    } >"$state/env"
    cat "$state/env"
    ;;
ctl)
    # stop | start, for the tests' outage: a fast shutdown, then a start on the same port.
    case "${2:-}" in
    stop) as_owner "$bin/pg_ctl" -D "$state/data" -m fast -w stop >/dev/null ;;
    start) as_owner "$bin/pg_ctl" -D "$state/data" -l "$state/server.log" -w start >/dev/null ;;
    *) echo "usage: $0 ctl stop|start" >&2; exit 64 ;;
    esac
    ;;
stop)
    [ -d "$state/data" ] && as_owner "$bin/pg_ctl" -D "$state/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$state"
    ;;
*)
    echo "usage: $0 start|stop|ctl stop|ctl start" >&2
    exit 64
    ;;
esac
