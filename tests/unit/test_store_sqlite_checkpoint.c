/*
 * tests/unit/test_store_sqlite_checkpoint.c: the SQLite backend checkpoints
 * its WAL on a thread of its own (backends/sqlite/ckpt.c). What must hold:
 * the checkpoints' syncs run off the event loop's thread; during a long
 * burst of commits the WAL still starts over, so its file stays bounded;
 * and a process killed while a checkpoint runs loses none of the writes it
 * answered, before or during that checkpoint.
 *
 * fsync and fdatasync are this program's own (it is linked -export-dynamic,
 * so libsqlite3's calls come here): they count the calls by thread and,
 * in the killed child, tell the parent when the checkpoint thread syncs and
 * hold it there a while, so that the loop commits during the checkpoint.
 *
 * Uses the conformance suite's helpers (test_store_util.c).
 */
#define _GNU_SOURCE
#include "test_store.h"

#include <dlfcn.h>
#include <ev.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static backend_t sqlite_be = {.name = "sqlite", .persistent = 1, .files = 1};

/* backends/sqlite/sqlite.h's thresholds, as the test expects them */
#define CHECKPOINT_PAGES 2000
#define WAL_MAX_PAGES 16000
#define FRAME_BYTES (4096 + 24)

static pthread_t main_thread;
static atomic_int main_syncs, other_syncs;
static int report_fd = -1; /* the child's pipe to the parent, -1: not the child */

/* Another thread syncs: count it, and in the child report it and wait. */
static void on_sync(void)
{
    if (pthread_equal(pthread_self(), main_thread)) {
        atomic_fetch_add(&main_syncs, 1);
        return;
    }
    atomic_fetch_add(&other_syncs, 1);
    if (report_fd >= 0) {
        char rec[5] = {'C', 0, 0, 0, 0};
        if (write(report_fd, rec, sizeof rec) != (ssize_t)sizeof rec)
            _exit(3);
        usleep(300 * 1000);
    }
}

int fdatasync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    on_sync();
    return real(fd);
}

int fsync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    on_sync();
    return real(fd);
}

static int setup(void **state)
{
    main_thread = pthread_self();
    atomic_store(&main_syncs, 0);
    atomic_store(&other_syncs, 0);
    return temp_store_setup(state, &sqlite_be, "pv-ckpt");
}

static int teardown(void **state)
{
    return temp_store_teardown(state);
}

/* A message text of n bytes that differs from one message to the next. */
static char *message_text(size_t n, unsigned seed)
{
    char *x = malloc(n + 1);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = (char)('a' + (i * 7 + seed) % 26);
    memcpy(x, "<m>", 3);
    x[n] = '\0';
    return x;
}

#define TEXT_BYTES(i) (6000 + (i) % 1000) /* two pages each */

static int append_nth(ctx_t *c, unsigned i)
{
    char id[32];
    snprintf(id, sizeof id, "c%u", i);
    char *x = message_text(TEXT_BYTES(i), i);
    int rc = do_append(c, i % 2 ? "room1" : "room2", id, 1000 + (int64_t)i, "n", NULL, x);
    free(x);
    return rc;
}

static off_t file_size(ctx_t *c, const char *name)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/%s", c->dir, name);
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : 0;
}

/* A burst of commits, each its own group, writes more pages than the
 * largest WAL allowed: the checkpoints sync on another thread and the WAL
 * starts over, so its file stays within SQ_WAL_MAX_PAGES frames and a few
 * more. */
static void test_checkpoint_thread_wal_bounded(void **state)
{
    ctx_t *c = *state;
    unsigned n = 14000; /* two pages each and more: 28,000 frames at least */
    off_t largest = 0;
    for (unsigned i = 0; i < n; i++) {
        assert_int_equal(append_nth(c, i), 0);
        off_t size = file_size(c, "palaver.db-wal");
        if (size > largest)
            largest = size;
    }
    print_message("# WAL at most %lld bytes; syncs: %d on the loop's thread, %d on another\n",
                  (long long)largest, atomic_load(&main_syncs), atomic_load(&other_syncs));
    assert_true(atomic_load(&other_syncs) > 0);
    assert_true(largest <= (off_t)(WAL_MAX_PAGES + CHECKPOINT_PAGES) * FRAME_BYTES);
    close_store(c); /* the database now holds every page the WAL had */
    assert_true(file_size(c, "palaver.db") > (off_t)(WAL_MAX_PAGES + CHECKPOINT_PAGES) * 4096);
}

/* The child: appends until killed (or n), reporting each answered append. */
static void child_appends(ctx_t *c, int fd, unsigned n)
{
    ev_loop_fork(pv_loop()); /* the parent's epoll set is not ours */
    main_thread = pthread_self();
    report_fd = fd;
    if (open_store(c) != 0)
        _exit(2);
    for (unsigned i = 0; i < n; i++) {
        if (append_nth(c, i) != 0)
            _exit(2);
        char rec[5] = {'A'};
        memcpy(rec + 1, &i, 4);
        if (write(fd, rec, sizeof rec) != (ssize_t)sizeof rec)
            _exit(3);
    }
    _exit(0);
}

/* kill -9 while the checkpoint thread is inside its second sync (the
 * database file, after the copy), with commits answered during the
 * checkpoint: after a restart every answered message is there, whole. */
static void test_kill_during_checkpoint_loses_nothing(void **state)
{
    ctx_t *c = *state;
    close_store(c);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        child_appends(c, p[1], 8000);
    }
    close(p[1]);
    long acked = -1;
    int syncs = 0, after = 0;
    char rec[5];
    while (read(p[0], rec, sizeof rec) == (ssize_t)sizeof rec) {
        if (rec[0] == 'C')
            syncs++;
        else {
            unsigned i;
            memcpy(&i, rec + 1, 4);
            acked = i;
            if (syncs >= 2)
                after++;
        }
        if (syncs >= 2 && after >= 20)
            break;
    }
    kill(pid, SIGKILL);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    close(p[0]);
    print_message("# killed after %ld answered appends, %d of them during the checkpoint\n",
                  acked + 1, after);
    assert_true(syncs >= 2); /* the checkpoint synced on its own thread */
    assert_true(after >= 20);

    assert_int_equal(open_store(c), 0); /* recovers the WAL */
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/palaver.db", c->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT xml FROM archive WHERE msg_id = ?1", -1, &st, NULL),
        SQLITE_OK);
    for (unsigned i = 0; i <= (unsigned)acked; i++) {
        char id[32];
        snprintf(id, sizeof id, "c%u", i);
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        char *x = message_text(TEXT_BYTES(i), i);
        assert_int_equal(sqlite3_column_bytes(st, 0), (int)TEXT_BYTES(i));
        assert_memory_equal(sqlite3_column_text(st, 0), x, TEXT_BYTES(i));
        free(x);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

int main(void)
{
    if (backend_module_load(&sqlite_be) < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_checkpoint_thread_wal_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_during_checkpoint_loses_nothing, setup,
                                        teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    backend_module_unload(&sqlite_be);
    return failed ? 1 : 0;
}
