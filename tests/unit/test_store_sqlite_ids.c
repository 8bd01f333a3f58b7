/*
 * tests/unit/test_store_sqlite_ids.c: how the SQLite backend finds archived
 * messages by id since schema 4 (backends/sqlite/archive.c). A message whose
 * id starts with its own time (the history plugin's stanza-ids) is stored
 * under that time as its seq and has no entry in an index of ids; every
 * other id is indexed. These tests check that a database of schema 3 (random
 * ids, UNIQUE (room_id, msg_id)) is upgraded with its archive readable (MAM
 * pages after and before old ids, replacing, duplicates refused), that new
 * ids take the short path and old and odd ids the indexed one, in archive
 * order either way, and that a seq written meanwhile by another program
 * does not lose the message.
 *
 * Uses the conformance suite's helpers (test_store_util.c).
 */
#include "test_store.h"

#include <sqlite3.h>

static backend_t sqlite_be = {.name = "sqlite", .persistent = 1, .files = 1};

/* An id as the history plugin makes it (plugins/history/stanza_id.c): the
 * time in 9 sortable characters, then 11 others. */
static void time_id(int64_t stamp_us, const char *tail, char out[21])
{
    static const char sorted[] = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
    uint64_t t = (uint64_t)stamp_us;
    for (int i = 8; i >= 0; i--) {
        out[i] = sorted[t & 63];
        t >>= 6;
    }
    snprintf(out + 9, 12, "%-11.11s", tail);
}

#define T0 1796000000000000LL /* a time in 2026, in microseconds */

static int setup(void **state)
{
    return temp_store_setup(state, &sqlite_be, "pv-ids");
}

static int teardown(void **state)
{
    return temp_store_teardown(state);
}

/* Runs sql on the (closed, or idle) store's file with a connection of our
 * own; fails the test on error. */
static void sql(ctx_t *c, const char *text)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/palaver.db", c->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char *err = NULL;
    int rc = sqlite3_exec(db, text, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        printf("# %s: %s\n", text, err ? err : "?");
    sqlite3_free(err);
    sqlite3_close(db);
    assert_int_equal(rc, SQLITE_OK);
}

/* One integer from the store's file. */
static int64_t sql_int(ctx_t *c, const char *text)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/palaver.db", c->dir);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, text, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void query_ids(ctx_t *c, const char *room, const char *after, const char *before, res_t *r)
{
    pv_store_query_t q = {.after_id = after, .before_id = before};
    do_query(c, room, &q, r);
    assert_int_equal(r->status, PV_STORE_OK);
}

/* A schema 3 database (the archive as it was: random ids, one UNIQUE index
 * of them) is upgraded on open; its messages are found by their ids as
 * before, and new messages go after them. */
static void test_schema3_archive_upgraded(void **state)
{
    ctx_t *c = *state;
    pv_kv_t kv[] = {{"title", "kept"}};
    assert_int_equal(do_put(c, "lounge", kv, 1), 0);
    close_store(c);
    sql(c,
        "DROP TABLE archive;"
        "CREATE TABLE archive ("
        "  seq INTEGER PRIMARY KEY,"
        "  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
        "  msg_id TEXT NOT NULL,"
        "  stamp_us INTEGER NOT NULL,"
        "  nick TEXT,"
        "  jid TEXT,"
        "  xml TEXT NOT NULL,"
        "  UNIQUE (room_id, msg_id));"
        "CREATE INDEX archive_room_seq ON archive (room_id, seq);"
        "INSERT INTO archive (room_id, msg_id, stamp_us, nick, jid, xml)"
        "  SELECT r.id, v.column1, v.column2, 'Ann', NULL, '<message id=''' || v.column1 || '''/>'"
        "  FROM rooms r, (VALUES ('Zq3xR0aLkPe9-vW_2bYc', 1000), ('old-two', 2000),"
        "    ('AAAAAAAAAAAAAAAAAAAA', 3000), ('-----', 4000), ('0lD5ix8ZkXe1BAyQmT7n', 5000)) v"
        "  WHERE r.name = 'lounge';"
        "UPDATE schema_version SET version = 3;");
    assert_int_equal(open_store(c), 0);

    res_t r;
    query_ids(c, "lounge", NULL, NULL, &r);
    assert_ids(&r, "Zq3xR0aLkPe9-vW_2bYc", "old-two", "AAAAAAAAAAAAAAAAAAAA", "-----",
               "0lD5ix8ZkXe1BAyQmT7n", NULL);
    res_clear(&r);
    query_ids(c, "lounge", "old-two", "0lD5ix8ZkXe1BAyQmT7n", &r);
    assert_ids(&r, "AAAAAAAAAAAAAAAAAAAA", "-----", NULL);
    res_clear(&r);
    query_ids(c, "lounge", "Zq3xR0aLkPe9-vW_2bYc", "-----", &r);
    assert_ids(&r, "old-two", "AAAAAAAAAAAAAAAAAAAA", NULL);
    res_clear(&r);

    char fresh[21];
    time_id(T0, "fresh000001", fresh);
    assert_int_equal(do_append(c, "lounge", fresh, T0, "Bob", NULL, "<message id='new'/>"), 0);
    query_ids(c, "lounge", "0lD5ix8ZkXe1BAyQmT7n", NULL, &r);
    assert_ids(&r, fresh, NULL);
    res_clear(&r);
    query_ids(c, "lounge", "AAAAAAAAAAAAAAAAAAAA", fresh, &r);
    assert_ids(&r, "-----", "0lD5ix8ZkXe1BAyQmT7n", NULL);
    res_clear(&r);

    /* duplicates are still refused, old and new */
    assert_int_equal(do_append(c, "lounge", "old-two", T0 + 1, "n", NULL, "<b/>"), PV_STORE_EINVAL);
    assert_int_equal(do_append(c, "lounge", fresh, T0, "n", NULL, "<b/>"), PV_STORE_EINVAL);
    /* replacing finds both kinds */
    assert_int_equal(do_replace(c, "lounge", "AAAAAAAAAAAAAAAAAAAA", "<gone-old/>"), 0);
    assert_int_equal(do_replace(c, "lounge", fresh, "<gone-new/>"), 0);
    assert_int_equal(do_replace(c, "lounge", "nope", "<x/>"), PV_STORE_ENOTFOUND);
    query_ids(c, "lounge", "old-two", NULL, &r);
    assert_int_equal(r.nmsgs, 4);
    assert_string_equal(r.msgs[0].xml, "<gone-old/>");
    assert_string_equal(r.msgs[3].xml, "<gone-new/>");
    res_clear(&r);
    do_load(c, "lounge", &r);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.config[0].value, "kept");
    res_clear(&r);
    close_store(c);

    assert_int_equal(sql_int(c, "SELECT max(version) FROM schema_version"), 4);
    assert_int_equal(sql_int(c, "SELECT count(*) FROM archive WHERE by_id = 1"), 5);
    /* the new message is stored under its time, outside the index of ids */
    char q[200];
    snprintf(q, sizeof q, "SELECT by_id = 0 AND stamp_us = %lld FROM archive WHERE seq = %lld",
             (long long)T0, (long long)T0);
    assert_int_equal(sql_int(c, q), 1);
    assert_int_equal(open_store(c), 0);
}

/* Ids that do not start with their own time, or with a time not after the
 * last stored message, take the next seq and are indexed; all are found,
 * in the order they were appended, and only in their own room. */
static void test_odd_ids_take_the_next_seq(void **state)
{
    ctx_t *c = *state;
    char a[21], b[21], back[21], other[21];
    time_id(T0 + 10, "aaaaaaaaaaa", a);
    time_id(T0 + 20, "bbbbbbbbbbb", b);
    time_id(T0 + 5, "ccccccccccc", back); /* the clock went back */
    time_id(T0 + 99, "ddddddddddd", other);
    assert_int_equal(do_append(c, "r1", a, T0 + 10, "n", NULL, "<a/>"), 0);
    assert_int_equal(do_append(c, "r1", "imported-1", T0 + 11, "n", NULL, "<i/>"), 0);
    assert_int_equal(do_append(c, "r1", b, T0 + 20, "n", NULL, "<b/>"), 0);
    assert_int_equal(do_append(c, "r1", back, T0 + 5, "n", NULL, "<c/>"), 0);
    assert_int_equal(do_append(c, "r1", other, T0 + 30, "n", NULL, "<o/>"), 0); /* not its time */
    /* the same id in another room is another message */
    assert_int_equal(do_append(c, "r2", a, T0 + 10, "n", NULL, "<a2/>"), 0);
    res_t r;
    query_ids(c, "r1", NULL, NULL, &r);
    assert_ids(&r, a, "imported-1", b, back, other, NULL);
    res_clear(&r);
    query_ids(c, "r1", "imported-1", other, &r);
    assert_ids(&r, b, back, NULL);
    res_clear(&r);
    query_ids(c, "r1", back, NULL, &r);
    assert_ids(&r, other, NULL);
    res_clear(&r);
    query_ids(c, "r2", NULL, NULL, &r);
    assert_ids(&r, a, NULL);
    res_clear(&r);
    pv_store_query_t q = {.after_id = b};
    do_query(c, "r2", &q, &r);
    assert_int_equal(r.status, PV_STORE_ENOTFOUND);
    res_clear(&r);
    assert_int_equal(do_replace(c, "r2", b, "<x/>"), PV_STORE_ENOTFOUND);
    assert_int_equal(do_replace(c, "r2", a, "<a2-replaced/>"), 0);
    query_ids(c, "r1", NULL, b, &r);
    assert_string_equal(r.msgs[0].xml, "<a/>");
    res_clear(&r);
    close_store(c);
    assert_int_equal(sql_int(c, "SELECT count(*) FROM archive WHERE by_id = 0"), 2);
    assert_int_equal(open_store(c), 0);
}

/* A seq written by another program after the backend read the last one: the
 * message whose id names it is stored all the same, after it. */
static void test_seq_taken_meanwhile(void **state)
{
    ctx_t *c = *state;
    char a[21], b[21];
    time_id(T0 + 1, "aaaaaaaaaaa", a);
    time_id(T0 + 2, "bbbbbbbbbbb", b);
    assert_int_equal(do_append(c, "r1", a, T0 + 1, "n", NULL, "<a/>"), 0);
    sql(c, "INSERT INTO archive (seq, room_id, msg_id, stamp_us, xml)"
           " SELECT 1796000000000002, id, 'elsewhere', 1, '<e/>' FROM rooms WHERE name = 'r1'");
    assert_int_equal(do_append(c, "r1", b, T0 + 2, "n", NULL, "<b/>"), 0);
    res_t r;
    query_ids(c, "r1", a, NULL, &r);
    assert_ids(&r, "elsewhere", b, NULL);
    res_clear(&r);
}

int main(void)
{
    if (backend_module_load(&sqlite_be) < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_schema3_archive_upgraded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_odd_ids_take_the_next_seq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seq_taken_meanwhile, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    backend_module_unload(&sqlite_be);
    return failed ? 1 : 0;
}
