#!/bin/sh
# tests/backends/test_persist_pgsql.sh: a persistent room (configuration,
# bans, registered nicks) survives a restart of the daemon on the pgsql
# backend. Starts a private PostgreSQL server (tests/unit/pgsql_server.sh),
# then runs tests/backends/persist_pgsql.py through the
# fake router with <backend><type>pgsql</type><conninfo>...</conninfo>.
# Prints TAP; "1..0 # SKIP reason" only when the PostgreSQL binaries or the
# pgsql backend are absent.
#
# Environment: PGBIN (default /usr/lib/postgresql/15/bin), PALAVER_BUILDDIR,
# PALAVER_SRCDIR.

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
builddir=${PALAVER_BUILDDIR:-$(pwd)}
srcdir=${PALAVER_SRCDIR:-$(dirname "$0")/../..}

. "$srcdir/tests/unit/pgsql_server.sh"

PALAVER_PGSQL_CONNINFO="host=127.0.0.1 port=$port dbname=palaver_test user=palaver"
PALAVER_PGSQL_PSQL="'$PGBIN/psql' -q -X -v ON_ERROR_STOP=1 '$PALAVER_PGSQL_CONNINFO'"
export PALAVER_PGSQL_CONNINFO PALAVER_PGSQL_PSQL

/usr/bin/python3 "$srcdir/tests/backends/persist_pgsql.py"
