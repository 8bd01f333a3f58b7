# tests/unit/pgsql_server.sh: sourced by the pgsql tests. Starts a private
# PostgreSQL server in a fresh temporary directory ($tmp), listening on a free
# port ($port) of 127.0.0.1 only and on a unix socket in that directory,
# trusting local connections, without fsync (it is thrown away), and creates
# the database palaver_test owned by the role palaver. Stops it and removes
# everything on exit. PostgreSQL refuses to run as root, so as root it runs as
# the `postgres` user (runuser). Skips the whole test ("1..0 # SKIP reason")
# when PostgreSQL or the pgsql backend is not available.
#
# Expects: PGBIN, builddir. Provides: tmp, port, as_pg, fail, skip.

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

