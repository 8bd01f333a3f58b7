/*
 * tests/unit/test_store_pgsql_upgrade.c: the pgsql backend's schema version
 * 4 (the archive without a foreign key to rooms, keyed (room_id, seq)) is
 * applied in place to a version 3 database: the archived messages stay,
 * in order, new ones are added after them, and deleting the room still
 * deletes its archive (the trigger on rooms that replaced ON DELETE CASCADE).
 */
#include "test_store.h"

/* Runs psql (PALAVER_PGSQL_PSQL) with one -c command: its status. With out,
 * its output (unaligned, tuples only) goes there, newlines removed. */
static int psql(const char *sql, char *out, size_t outsz)
{
    char cmd[8192];
    snprintf(cmd, sizeof(cmd), "%s -A -t -c \"%s\"", getenv("PALAVER_PGSQL_PSQL"), sql);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = 0;
    int ch;
    while ((ch = fgetc(p)) != EOF)
        if (out && ch != '\n' && n + 1 < outsz)
            out[n++] = (char)ch;
    if (out)
        out[n] = '\0';
    return pclose(p);
}

/* The closed store's archive turned back into version 3's: primary key
 * seq, the (room_id, seq) index, the foreign key with ON DELETE CASCADE, no
 * trigger. */
static const char to_v3[] =
    "DROP TRIGGER rooms_archive ON rooms;"
    " DROP FUNCTION palaver_rooms_deleted();"
    " ALTER TABLE archive DROP CONSTRAINT archive_pkey, ADD PRIMARY KEY (seq),"
    " ADD FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE;"
    " CREATE INDEX archive_room_seq ON archive (room_id, seq);"
    " UPDATE schema_version SET version = 3";

/* Version 4's archive: '0 room_id,seq 4 0' (foreign keys, the primary key's
 * columns, the version, whether archive_room_seq exists). */
static const char shape[] =
    "SELECT (SELECT count(*) FROM pg_constraint WHERE conrelid = 'archive'::regclass"
    " AND contype = 'f') || ' ' || (SELECT string_agg(a.attname, ',' ORDER BY k.n)"
    " FROM pg_constraint c, unnest(c.conkey) WITH ORDINALITY AS k(att, n), pg_attribute a"
    " WHERE c.conrelid = 'archive'::regclass AND c.contype = 'p' AND a.attrelid = c.conrelid"
    " AND a.attnum = k.att) || ' ' || (SELECT max(version) FROM schema_version) || ' '"
    " || (SELECT count(*) FROM pg_class WHERE relname = 'archive_room_seq')";

void test_pgsql_archive_schema_upgrade(void **state)
{
    ctx_t *c = *state;
    assert_int_equal(do_put(c, "lounge", NULL, 0), 0);
    assert_int_equal(do_put(c, "other", NULL, 0), 0);
    assert_int_equal(do_append(c, "lounge", "m1", 1000, "Ann", NULL, "<message id='m1'/>"), 0);
    assert_int_equal(do_append(c, "other", "o1", 1500, "Bob", NULL, "<message id='o1'/>"), 0);
    assert_int_equal(do_append(c, "lounge", "m2", 2000, "Bob", NULL, "<message id='m2'/>"), 0);
    close_store(c);
    char out[256];
    assert_int_equal(psql(to_v3, NULL, 0), 0);
    assert_int_equal(psql(shape, out, sizeof(out)), 0);
    assert_string_equal(out, "1 seq 3 1");

    assert_int_equal(open_store(c), 0);
    assert_int_equal(psql(shape, out, sizeof(out)), 0);
    assert_string_equal(out, "0 room_id,seq 4 0");
    res_t r;
    do_query(c, "lounge", NULL, &r);
    assert_int_equal(r.status, 0);
    assert_ids(&r, "m1", "m2", NULL);
    res_clear(&r);
    assert_int_equal(do_append(c, "lounge", "m3", 3000, "Ann", NULL, "<message id='m3'/>"), 0);
    assert_int_equal(do_append(c, "lounge", "m1", 4000, "Ann", NULL, "<message/>"),
                     PV_STORE_EINVAL);
    pv_store_query_t q = {.after_id = "m1"};
    do_query(c, "lounge", &q, &r);
    assert_ids(&r, "m2", "m3", NULL);
    res_clear(&r);

    /* The room's deletion deletes its archive rows, and only its own. */
    char count[512];
    assert_int_equal(psql("SELECT id FROM rooms WHERE name = 'lounge'", out, sizeof(out)), 0);
    snprintf(count, sizeof(count), "SELECT count(*) FROM archive WHERE room_id = %s", out);
    assert_int_equal(psql(count, out, sizeof(out)), 0);
    assert_string_equal(out, "3");
    assert_int_equal(do_delete(c, "lounge"), 0);
    assert_int_equal(psql(count, out, sizeof(out)), 0);
    assert_string_equal(out, "0");
    do_query(c, "other", NULL, &r);
    assert_ids(&r, "o1", NULL);
    res_clear(&r);

    /* A second open changes nothing more. */
    close_store(c);
    assert_int_equal(open_store(c), 0);
    assert_int_equal(psql(shape, out, sizeof(out)), 0);
    assert_string_equal(out, "0 room_id,seq 4 0");
}
