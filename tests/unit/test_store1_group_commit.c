/*
 * tests/unit/test_store1_group_commit.c: STORE-1, the SQLite backend's group
 * commit (backends/sqlite/group.c). Writes issued during one event-loop
 * iteration share one transaction; their callbacks run after its COMMIT, in
 * call order, and nothing of the group is visible to another connection
 * before. A COMMIT that fails (an I/O error injected by a VFS shim that
 * refuses writes to the WAL file on demand) fails every write of the group
 * and stores none; a write that fails on its own (a duplicate id) fails
 * alone.
 *
 * Uses the conformance suite's helpers (test_store_util.c).
 */
#include "test_store.h"

#include <sqlite3.h>

static backend_t sqlite_be = {.name = "sqlite", .persistent = 1, .files = 1};

/* ---- a VFS that fails writes to WAL files while fail_wal is set ---- */

static int fail_wal;
static sqlite3_vfs *real_vfs;
static sqlite3_vfs shim_vfs;

typedef struct shim_file {
    sqlite3_file base;
    int wal;
    sqlite3_file *real; /* follows this struct in the same allocation */
} shim_file_t;

#define REAL(f) (((shim_file_t *)(f))->real)

static int s_close(sqlite3_file *f)
{
    return REAL(f)->pMethods ? REAL(f)->pMethods->xClose(REAL(f)) : SQLITE_OK;
}
static int s_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{
    return REAL(f)->pMethods->xRead(REAL(f), b, n, o);
}
static int s_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
    if (fail_wal && ((shim_file_t *)f)->wal)
        return SQLITE_IOERR_WRITE;
    return REAL(f)->pMethods->xWrite(REAL(f), b, n, o);
}
static int s_truncate(sqlite3_file *f, sqlite3_int64 n)
{
    return REAL(f)->pMethods->xTruncate(REAL(f), n);
}
static int s_sync(sqlite3_file *f, int fl)
{
    return REAL(f)->pMethods->xSync(REAL(f), fl);
}
static int s_size(sqlite3_file *f, sqlite3_int64 *n)
{
    return REAL(f)->pMethods->xFileSize(REAL(f), n);
}
static int s_lock(sqlite3_file *f, int l)
{
    return REAL(f)->pMethods->xLock(REAL(f), l);
}
static int s_unlock(sqlite3_file *f, int l)
{
    return REAL(f)->pMethods->xUnlock(REAL(f), l);
}
static int s_check(sqlite3_file *f, int *r)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), r);
}
static int s_fcntl(sqlite3_file *f, int op, void *a)
{
    return REAL(f)->pMethods->xFileControl(REAL(f), op, a);
}
static int s_sector(sqlite3_file *f)
{
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int s_dev(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int s_shmmap(sqlite3_file *f, int pg, int sz, int ext, void volatile **pp)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, ext, pp);
}
static int s_shmlock(sqlite3_file *f, int off, int n, int fl)
{
    return REAL(f)->pMethods->xShmLock(REAL(f), off, n, fl);
}
static void s_shmbarrier(sqlite3_file *f)
{
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int s_shmunmap(sqlite3_file *f, int del)
{
    return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}
static int s_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **pp)
{
    return REAL(f)->pMethods->xFetch(REAL(f), o, n, pp);
}
static int s_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p)
{
    return REAL(f)->pMethods->xUnfetch(REAL(f), o, p);
}

static const sqlite3_io_methods shim_io = {
    3,       s_close,  s_read,     s_write,      s_truncate, s_sync,    s_size,
    s_lock,  s_unlock, s_check,    s_fcntl,      s_sector,   s_dev,     s_shmmap,
    s_shmlock, s_shmbarrier, s_shmunmap, s_fetch, s_unfetch,
};

static int s_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out)
{
    (void)v;
    shim_file_t *sf = (shim_file_t *)f;
    sf->real = (sqlite3_file *)(sf + 1);
    sf->wal = (flags & SQLITE_OPEN_WAL) != 0;
    sf->base.pMethods = NULL;
    int rc = real_vfs->xOpen(real_vfs, name, sf->real, flags, out);
    if (rc == SQLITE_OK)
        sf->base.pMethods = &shim_io;
    return rc;
}

static void shim_install(void)
{
    real_vfs = sqlite3_vfs_find(NULL);
    assert_non_null(real_vfs);
    shim_vfs = *real_vfs;
    shim_vfs.zName = "store1-shim";
    shim_vfs.szOsFile = (int)sizeof(shim_file_t) + real_vfs->szOsFile;
    shim_vfs.xOpen = s_open;
    assert_int_equal(sqlite3_vfs_register(&shim_vfs, 1), SQLITE_OK);
}

/* ---- fixtures ---- */

static int setup(void **state)
{
    return temp_store_setup(state, &sqlite_be, "pv-group");
}

static int teardown(void **state)
{
    fail_wal = 0;
    return temp_store_teardown(state);
}

/* One write's answer, with the order it came in. */
typedef struct answer {
    int fired, status, order;
} answer_t;

static int answers_seen;

static void answer_cb(int status, const char *error, void *ud)
{
    (void)error;
    answer_t *a = ud;
    a->fired++;
    a->status = status;
    a->order = ++answers_seen;
}

static void append(ctx_t *c, const char *room, const char *id, answer_t *a)
{
    pv_store_msg_t m = {.id = id, .stamp_us = 1000, .nick = "n", .xml = "<message/>"};
    c->st->archive_append(c->h, room, &m, answer_cb, a);
}

/* Messages of `room` another connection sees (committed ones only). */
static int committed_count(ctx_t *c, const char *room)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/palaver.db", c->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, real_vfs->zName), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT count(*) FROM archive a JOIN rooms r"
                                        " ON r.id = a.room_id WHERE r.name = ?1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, room, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void run_once(void)
{
    ev_run(pv_loop(), EVRUN_ONCE);
}

/* ---- tests ---- */

static void test_writes_complete_after_the_commit_in_order(void **state)
{
    ctx_t *c = *state;
    answer_t a[3] = {{0}};
    answer_t put = {0};
    answers_seen = 0;
    append(c, "r", "m1", &a[0]);
    c->st->room_put(c->h, "r", NULL, 0, answer_cb, &put);
    append(c, "r", "m2", &a[1]);
    append(c, "r", "m3", &a[2]);
    /* nothing answered, nothing visible outside before the iteration ends */
    assert_int_equal(a[0].fired + a[1].fired + a[2].fired + put.fired, 0);
    assert_int_equal(committed_count(c, "r"), 0);
    /* the same connection reads the group's writes */
    res_t r = {0};
    do_query(c, "r", NULL, &r);
    assert_int_equal(r.status, 0);
    assert_ids(&r, "m1", "m2", "m3", NULL);
    res_clear(&r);
    run_once();
    assert_int_equal(a[0].fired, 1);
    assert_int_equal(put.fired, 1);
    assert_int_equal(a[2].fired, 1);
    assert_int_equal(a[0].order, 1);
    assert_int_equal(put.order, 2);
    assert_int_equal(a[1].order, 3);
    assert_int_equal(a[2].order, 4);
    assert_int_equal(a[0].status + a[1].status + a[2].status + put.status, 0);
    assert_int_equal(committed_count(c, "r"), 3);
}

static void test_failed_commit_fails_every_write_and_stores_none(void **state)
{
    ctx_t *c = *state;
    assert_int_equal(do_append(c, "r", "before", 1, "n", NULL, "<message/>"), 0);
    answer_t a[3] = {{0}};
    answer_t put = {0};
    answers_seen = 0;
    fail_wal = 1;
    append(c, "r", "m1", &a[0]);
    append(c, "r", "m2", &a[1]);
    const pv_kv_t kv[] = {{"persistent", "1"}};
    c->st->room_put(c->h, "r", kv, 1, answer_cb, &put);
    append(c, "other", "m3", &a[2]);
    run_once();
    fail_wal = 0;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(a[i].fired, 1);
        assert_int_equal(a[i].status, PV_STORE_EIO);
        assert_int_equal(a[i].order, i < 2 ? i + 1 : 4);
    }
    assert_int_equal(put.fired, 1);
    assert_int_equal(put.status, PV_STORE_EIO);
    /* none of it is stored, what was there before is */
    res_t r = {0};
    do_query(c, "r", NULL, &r);
    assert_int_equal(r.status, 0);
    assert_ids(&r, "before", NULL);
    res_clear(&r);
    do_load(c, "r", &r);
    assert_int_equal(r.status, PV_STORE_ENOTFOUND);
    res_clear(&r);
    assert_int_equal(committed_count(c, "other"), 0);
    /* and the store goes on working */
    assert_int_equal(do_append(c, "r", "after", 2, "n", NULL, "<message/>"), 0);
    assert_int_equal(committed_count(c, "r"), 2);
}

static void test_duplicate_fails_alone(void **state)
{
    ctx_t *c = *state;
    answer_t a[3] = {{0}};
    answers_seen = 0;
    append(c, "r", "m1", &a[0]);
    append(c, "r", "m1", &a[1]);
    append(c, "r", "m2", &a[2]);
    run_once();
    assert_int_equal(a[0].status, 0);
    assert_int_equal(a[1].status, PV_STORE_EINVAL);
    assert_int_equal(a[2].status, 0);
    assert_int_equal(a[1].order, 2);
    assert_int_equal(committed_count(c, "r"), 2);
}

static void test_big_group_commits_early(void **state)
{
    ctx_t *c = *state;
    enum { N = 2500 };
    static answer_t a[N];
    memset(a, 0, sizeof a);
    answers_seen = 0;
    char id[32];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "m%d", i);
        append(c, "r", id, &a[i]);
    }
    /* full groups committed on the way: only the last one waits */
    assert_int_equal(a[0].fired, 1);
    assert_int_equal(a[N - 1].fired, 0);
    run_once();
    for (int i = 0; i < N; i++) {
        assert_int_equal(a[i].fired, 1);
        assert_int_equal(a[i].order, i + 1);
    }
    assert_int_equal(committed_count(c, "r"), N);
}

static void test_close_commits_the_open_group(void **state)
{
    ctx_t *c = *state;
    answer_t a = {0};
    append(c, "r", "m1", &a);
    close_store(c);
    assert_int_equal(a.fired, 1);
    assert_int_equal(a.status, 0);
    assert_int_equal(open_store(c), 0);
    assert_int_equal(committed_count(c, "r"), 1);
}

int main(void)
{
    if (backend_module_load(&sqlite_be) < 0)
        return 1;
    shim_install();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_writes_complete_after_the_commit_in_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_failed_commit_fails_every_write_and_stores_none,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_fails_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_group_commits_early, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_commits_the_open_group, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    backend_module_unload(&sqlite_be);
    return failed ? 1 : 0;
}
