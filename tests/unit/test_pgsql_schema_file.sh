#!/bin/sh
# tests/unit/test_pgsql_schema_file.sh: the shipped backends/pgsql/palaver-pgsql.sql
# (for operators who create the database by hand) is current with the schema
# the pgsql backend creates itself, and a database created from it is one the
# backend accepts without changing anything.
#
# Environment: PGBIN (default /usr/lib/postgresql/15/bin), PALAVER_BUILDDIR,
# PALAVER_SRCDIR, PALAVER_BIN, PALAVER_MODULE_DIR.

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
builddir=${PALAVER_BUILDDIR:-$(pwd)}
srcdir=${PALAVER_SRCDIR:-$(dirname "$0")/../..}
sql="$srcdir/backends/pgsql/palaver-pgsql.sql"
. "$(dirname "$0")/pgsql_server.sh"

echo "1..3"

# 1. The file is what tools/pgsql-schema.py makes of schema.c today.
if /usr/bin/python3 "$srcdir/tools/pgsql-schema.py" "$srcdir/backends/pgsql/schema.c" |
    cmp -s - "$sql"; then
    echo "ok 1 - palaver-pgsql.sql is generated from the current schema.c"
else
    echo "not ok 1 - palaver-pgsql.sql is out of date: run tools/pgsql-schema.py backends/pgsql/schema.c > backends/pgsql/palaver-pgsql.sql"
fi

psql() { "$PGBIN/psql" -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U palaver "$@"; }
# pg_dump marks its output with a random \restrict key: leave those lines out.
dump() { as_pg "$PGBIN/pg_dump" -s -h 127.0.0.1 -p "$port" -U palaver palaver_test | grep -v -e '^\\restrict ' -e '^\\unrestrict '; }

# 2. It applies cleanly to an empty database.
if psql -d palaver_test -f "$sql" >"$tmp/apply.log" 2>&1; then
    echo "ok 2 - palaver-pgsql.sql creates the schema in an empty database"
else
    echo "not ok 2 - psql -f palaver-pgsql.sql failed"
    sed 's/^/# /' "$tmp/apply.log"
fi

# 3. palaver opens that database and finds nothing to add or change.
dump >"$tmp/before.sql" 2>"$tmp/dump.log"
cat >"$tmp/palaver.xml" <<XML
<palaver>
  <name>muc.localhost</name>
  <secret>x</secret>
  <backend><type>pgsql</type>
    <conninfo>host=127.0.0.1 port=$port dbname=palaver_test user=palaver</conninfo></backend>
  <plugins/>
</palaver>
XML
if "${PALAVER_BIN:-$builddir/palaver}" --check-config -c "$tmp/palaver.xml" \
        ${PALAVER_MODULE_DIR:+--moduledir "$PALAVER_MODULE_DIR"} >"$tmp/check.log" 2>&1 &&
   dump >"$tmp/after.sql" 2>>"$tmp/dump.log" && cmp -s "$tmp/before.sql" "$tmp/after.sql"; then
    echo "ok 3 - the pgsql backend accepts a database made from palaver-pgsql.sql unchanged"
else
    echo "not ok 3 - the backend refused or changed a database made from palaver-pgsql.sql"
    sed 's/^/# /' "$tmp/check.log" "$tmp/dump.log"
    diff "$tmp/before.sql" "$tmp/after.sql" | head -40 | sed 's/^/# /'
fi
