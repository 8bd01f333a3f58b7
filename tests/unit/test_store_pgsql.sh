#!/bin/sh
# tests/unit/test_store_pgsql.sh: runs the storage conformance suite
# (tests/unit/test_store) on the pgsql backend against a private PostgreSQL
# server started for the run and stopped on exit.
#
# The server lives in a fresh temporary directory, listens on a free port of
# 127.0.0.1 only and on a unix socket in that directory, trusts local
# connections and runs without fsync (it is thrown away). PostgreSQL refuses
# to run as root, so as root it runs as the `postgres` user (runuser).
# Prints TAP (the suite's own); "1..0 # SKIP reason" when PostgreSQL or the
# pgsql backend is not available.
#
# Environment: PGBIN (default /usr/lib/postgresql/15/bin), PALAVER_BUILDDIR.

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
builddir=${PALAVER_BUILDDIR:-$(pwd)}
suite="$builddir/tests/unit/test_store"

[ -x "$suite" ] || { echo "1..0 # SKIP $suite not built"; exit 0; }
. "$(dirname "$0")/pgsql_server.sh"

PALAVER_PGSQL_CONNINFO="host=127.0.0.1 port=$port dbname=palaver_test user=palaver"
# The suite runs SQL of its own through this (to cut the backend's
# connection, to hold a lock that makes the database slow).
PALAVER_PGSQL_PSQL="'$PGBIN/psql' -q -X -v ON_ERROR_STOP=1 '$PALAVER_PGSQL_CONNINFO'"
export PALAVER_PGSQL_CONNINFO PALAVER_PGSQL_PSQL

"$suite" pgsql
