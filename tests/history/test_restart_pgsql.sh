#!/bin/sh
# tests/history/test_restart_pgsql.sh: discussion history and the archive of a
# logging persistent room survive a restart of the daemon on the pgsql
# backend. Starts a private PostgreSQL server (tests/unit/pgsql_server.sh),
# then runs tests/history/restart_pgsql.py through the fake router with
# <backend><type>pgsql</type><conninfo>...</conninfo>.
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
export PALAVER_PGSQL_CONNINFO

/usr/bin/python3 "$srcdir/tests/history/restart_pgsql.py"
