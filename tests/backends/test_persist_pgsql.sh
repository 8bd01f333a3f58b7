#!/bin/sh
# tests/backends/test_persist_pgsql.sh: a persistent room (configuration,
# bans, registered nicks) survives a restart of the daemon on the pgsql
# backend. Starts a private PostgreSQL server the way
# tests/unit/test_store_pgsql.sh does (fresh temporary directory, a free port
# of 127.0.0.1, trust authentication, no fsync; as root it runs as the
# `postgres` user), then runs tests/backends/persist_pgsql.py through the
# fake router with <backend><type>pgsql</type><conninfo>...</conninfo>.
# Prints TAP; "1..0 # SKIP reason" only when the PostgreSQL binaries or the
# pgsql backend are absent.
#
# Environment: PGBIN (default /usr/lib/postgresql/15/bin), PALAVER_BUILDDIR,
# PALAVER_SRCDIR.

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
builddir=${PALAVER_BUILDDIR:-$(pwd)}
srcdir=${PALAVER_SRCDIR:-$(dirname "$0")/../..}

skip() {
    echo "1..0 # SKIP $*"
    exit 0
}

for b in initdb pg_ctl psql createdb; do
    [ -x "$PGBIN/$b" ] || skip "PostgreSQL server binaries not found ($PGBIN/$b; apt-get install postgresql)"
done
[ -f "$builddir/backends/pgsql/pgsql.la" ] || skip "pgsql backend not built (configure did not find libpq)"
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || skip "running as root and there is no postgres user to run the server"
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pv-pgsql-XXXXXX") || { echo "Bail out! mktemp failed"; exit 1; }
[ "$(id -u)" = 0 ] && chown postgres "$tmp"
chmod 700 "$tmp"

stop() {
    if [ -f "$tmp/data/postmaster.pid" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1
    fi
    rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 1' INT TERM HUP

fail() {
    echo "Bail out! $*"
    for f in "$tmp"/*.log; do
        [ -f "$f" ] && sed "s|^|# $(basename "$f"): |" "$f" >&2
    done
    exit 1
}

as_pg "$PGBIN/initdb" -D "$tmp/data" -A trust -U palaver -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$tmp/initdb.log" 2>&1 || fail "initdb failed"

# A free port on 127.0.0.1: try a few random ones until the server starts.
started=
for attempt in 1 2 3 4 5; do
    port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000 ))
    if as_pg "$PGBIN/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=off -c full_page_writes=off" \
        start >"$tmp/pg_ctl.log" 2>&1; then
        started=yes
        break
    fi
done
[ -n "$started" ] || fail "PostgreSQL did not start"

as_pg "$PGBIN/createdb" -h "$tmp" -p "$port" -U palaver palaver_test >"$tmp/createdb.log" 2>&1 ||
    fail "createdb failed"

PALAVER_PGSQL_CONNINFO="host=127.0.0.1 port=$port dbname=palaver_test user=palaver"
PALAVER_PGSQL_PSQL="'$PGBIN/psql' -q -X -v ON_ERROR_STOP=1 '$PALAVER_PGSQL_CONNINFO'"
export PALAVER_PGSQL_CONNINFO PALAVER_PGSQL_PSQL

/usr/bin/python3 "$srcdir/tests/backends/persist_pgsql.py"
