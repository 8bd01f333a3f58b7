#!/bin/sh
# tests/backends/test_cluster_pgsql.sh: several instances on one domain
# (CLUSTER-1) share a private PostgreSQL server (tests/unit/pgsql_server.sh);
# runs tests/backends/cluster_pgsql.py through fake routers. Prints TAP;
# "1..0 # SKIP reason" only when the PostgreSQL binaries or the pgsql backend
# are absent.
#
# Environment: PGBIN (default /usr/lib/postgresql/15/bin), PALAVER_BUILDDIR,
# PALAVER_SRCDIR.

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
builddir=${PALAVER_BUILDDIR:-$(pwd)}
srcdir=${PALAVER_SRCDIR:-$(dirname "$0")/../..}

. "$srcdir/tests/unit/pgsql_server.sh"

PALAVER_PGSQL_CONNINFO="host=127.0.0.1 port=$port dbname=palaver_test user=palaver"
export PALAVER_PGSQL_CONNINFO

/usr/bin/python3 "$srcdir/tests/backends/cluster_pgsql.py"
