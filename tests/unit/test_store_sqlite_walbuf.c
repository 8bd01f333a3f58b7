/*
 * tests/unit/test_store_sqlite_walbuf.c: the SQLite backend writes a
 * commit's WAL frames in one system call (backends/sqlite/walbuf.c). What
 * must hold: a write whose callback ran is in the file, readable by another
 * connection at once (the buffer is written out with the commit frame, not
 * later), and commits of any size, far beyond one system call's 128 KB,
 * arrive whole.
 *
 * Uses the conformance suite's helpers (test_store_util.c).
 */
#include "test_store.h"

#include <sqlite3.h>

static backend_t sqlite_be = {.name = "sqlite", .persistent = 1, .files = 1};

static int setup(void **state)
{
    return temp_store_setup(state, &sqlite_be, "pv-walbuf");
}

static int teardown(void **state)
{
    return temp_store_teardown(state);
}

/* A connection of our own to the store's file (the default VFS). */
static sqlite3 *other_connection(ctx_t *c)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/palaver.db", c->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static int64_t one_int(sqlite3 *db, const char *text)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, text, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* A message text of n bytes that differs from one message to the next. */
static char *message_text(size_t n, unsigned seed)
{
    char *x = malloc(n + 1);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = (char)('a' + (i * 7 + seed) % 26);
    memcpy(x, "<m>", n >= 3 ? 3 : n);
    x[n] = '\0';
    return x;
}

static void test_walbuf_vfs_in_use(void **state)
{
    (void)state;
    assert_non_null(sqlite3_vfs_find("palaver-walbuf"));
}

/* Every answered append is seen by another connection at once, in
 * commits of one row each (the store runs without an event loop between
 * them). */
static void test_commit_visible_at_once(void **state)
{
    ctx_t *c = *state;
    sqlite3 *db = other_connection(c);
    int64_t total = 0;
    for (unsigned i = 0; i < 150; i++) {
        char id[32];
        snprintf(id, sizeof id, "w%u", i);
        size_t n = 10 + (i * 613) % 9000; /* some rows fit a page, some overflow */
        char *x = message_text(n, i);
        assert_int_equal(do_append(c, "room", id, 1000 + i, "n", NULL, x), 0);
        free(x);
        total += (int64_t)n;
        assert_int_equal(one_int(db, "SELECT count(*) FROM archive"), i + 1);
        assert_int_equal(one_int(db, "SELECT sum(length(xml)) FROM archive"), total);
    }
    sqlite3_close(db);
}

/* Commits larger than one system call writes (128 KB) arrive whole. */
static void test_large_commits_whole(void **state)
{
    ctx_t *c = *state;
    static const size_t kb[] = {100, 124, 127, 128, 129, 131, 150, 200, 256, 257, 400, 1100, 2300};
    sqlite3 *db = other_connection(c);
    for (size_t i = 0; i < sizeof kb / sizeof kb[0]; i++) {
        char id[32];
        snprintf(id, sizeof id, "big%zu", i);
        size_t n = kb[i] * 1024 + i;
        char *x = message_text(n, (unsigned)i);
        assert_int_equal(do_append(c, "room", id, 1000 + (int64_t)i, "n", NULL, x), 0);
        sqlite3_stmt *st = NULL;
        assert_int_equal(
            sqlite3_prepare_v2(db, "SELECT xml FROM archive WHERE msg_id = ?1", -1, &st, NULL),
            SQLITE_OK);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_bytes(st, 0), (int)n);
        assert_memory_equal(sqlite3_column_text(st, 0), x, n);
        sqlite3_finalize(st);
        free(x);
    }
    assert_int_equal(one_int(db, "SELECT count(*) FROM archive"), sizeof kb / sizeof kb[0]);
    sqlite3_close(db);
    /* and after a restart, from the store itself */
    close_store(c);
    assert_int_equal(open_store(c), 0);
    res_t r;
    pv_store_query_t q = {.max = 100};
    do_query(c, "room", &q, &r);
    assert_int_equal(r.status, PV_STORE_OK);
    assert_int_equal(r.nmsgs, sizeof kb / sizeof kb[0]);
    for (size_t i = 0; i < r.nmsgs; i++)
        assert_int_equal(strlen(r.msgs[i].xml), kb[i] * 1024 + i);
    res_clear(&r);
}

int main(void)
{
    if (backend_module_load(&sqlite_be) < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_walbuf_vfs_in_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_visible_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_commits_whole, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    backend_module_unload(&sqlite_be);
    return failed ? 1 : 0;
}
