/*
 * backends/sqlite/ckpt.c: the WAL checkpoints, mostly off the event loop.
 *
 * A checkpoint copies the WAL's frames into the database file and syncs
 * both (synchronous=NORMAL syncs nothing else): with 2,000 frames that is
 * 8 MB written back and two fdatasyncs of several milliseconds each, which
 * on the event loop delay every stanza behind them. A commit's durability
 * against a killed process needs none of it (the frames are in the kernel
 * when the COMMIT returns), so a thread of the store's own, on a connection
 * of its own, runs the PASSIVE checkpoints: they copy the frames committed
 * before them while the loop keeps committing (readers and the writer do
 * not wait for a PASSIVE checkpoint, nor it for them).
 *
 * The WAL only starts over (its next frame at its start instead of its end)
 * when a write transaction begins on a WAL whose every frame was copied.
 * Under a steady load the thread seldom gets there: frames are committed
 * while it copies. When a pass did copy everything, nothing more is needed
 * (the next group starts the WAL over, syncing only its 32-byte header).
 * Otherwise, once the WAL holds SQ_RESTART_PAGES frames, the loop finishes:
 * after a pass of the thread left at most SQ_CATCHUP_PAGES frames, the loop
 * checkpoints those itself between two groups (a short copy, and syncs of
 * little data), and the WAL starts over at the next group; a larger
 * remainder is another pass of the thread first. That is one pause of the
 * loop per SQ_RESTART_PAGES frames instead of a whole checkpoint per
 * SQ_CHECKPOINT_PAGES. Past SQ_WAL_MAX_PAGES the loop waits for a running
 * pass and checkpoints whatever is left itself, so the file stays bounded
 * even when the thread cannot keep up.
 *
 * Threading: SQLite must be built thread-safe (sqlite3_threadsafe()); each
 * connection is used by one thread only (the loop's is opened NOMUTEX, the
 * thread's is opened, used and closed while the loop waits for it or on
 * the thread). The thread's connection uses the default VFS, not walbuf.c's:
 * a checkpoint appends no WAL frame, so it has nothing to gather, and
 * walbuf.c's registration count stays the loop's alone. Both VFSes are
 * SQLite's unix files underneath, whose locks and shared memory are per
 * file in the process, so the two connections see each other as any two
 * connections do. The thread never logs: its result is read by the loop
 * (sq_ckpt_poll), which does.
 *
 * Without a thread (SQLite not thread-safe, or it could not start) the loop
 * checkpoints everything itself, as before: same files, same safety, only
 * slower.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <palaver/log.h>

#include "sqlite.h"

struct sq_ckpt {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sqlite3 *db; /* the thread's connection */
    /* Under mu: */
    bool want;    /* a pass is asked for */
    bool running; /* a pass runs */
    bool stop;    /* the thread returns */
    bool done;    /* a pass ended since the loop last read it */
    int rc;       /* its result, and the frames it saw and copied */
    int log, copied;
    char err[256];
};

static void *ckpt_main(void *arg)
{
    sq_ckpt_t *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->want && !c->stop)
            pthread_cond_wait(&c->cv, &c->mu);
        if (c->stop)
            break;
        c->want = false;
        c->running = true;
        pthread_mutex_unlock(&c->mu);
        int log = -1, copied = -1;
        int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
        pthread_mutex_lock(&c->mu);
        c->running = false;
        c->done = true;
        c->rc = rc;
        c->log = log;
        c->copied = copied;
        if (rc != SQLITE_OK)
            snprintf(c->err, sizeof c->err, "%s", sqlite3_errmsg(c->db));
        pthread_cond_broadcast(&c->cv); /* a loop waiting for the pass (sq_ckpt_poll) */
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* Opens the thread's connection: 0, or -1 after logging. */
static int ckpt_open(sq_ckpt_t *c, const char *path)
{
    int rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    char *msg = NULL;
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(c->db, 5000);
        /* A first read opens the WAL (a checkpoint needs it open). */
        rc = sqlite3_exec(c->db, "PRAGMA synchronous = NORMAL; SELECT count(*) FROM sqlite_schema",
                          NULL, NULL, &msg);
    }
    if (rc != SQLITE_OK) {
        pv_log(PV_LOG_WARN, "sqlite", "%s: checkpoint connection: %s", path,
               msg     ? msg
               : c->db ? sqlite3_errmsg(c->db)
                       : sqlite3_errstr(rc));
        sqlite3_free(msg);
        sqlite3_close(c->db);
        c->db = NULL;
        return -1;
    }
    return 0;
}

sq_ckpt_t *sq_ckpt_start(const char *path)
{
    if (!sqlite3_threadsafe()) {
        pv_log(PV_LOG_INFO, "sqlite", "%s: SQLite is not thread-safe: checkpoints on the loop",
               path);
        return NULL;
    }
    sq_ckpt_t *c = calloc(1, sizeof *c);
    if (!c) {
        pv_log(PV_LOG_WARN, "sqlite", "%s: out of memory: checkpoints on the loop", path);
        return NULL;
    }
    if (ckpt_open(c, path) < 0) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    int err = pthread_create(&c->thread, NULL, ckpt_main, c);
    if (err) {
        pv_log(PV_LOG_WARN, "sqlite", "%s: checkpoint thread: %s: checkpoints on the loop", path,
               strerror(err));
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        sqlite3_close(c->db);
        free(c);
        return NULL;
    }
    return c;
}

void sq_ckpt_stop(sq_ckpt_t *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL); /* a running pass ends first */
    sqlite3_close(c->db);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* The loop's own checkpoint of what is left. */
static void checkpoint_here(sq_store_t *s)
{
    int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        pv_log(PV_LOG_ERROR, "sqlite", "%s: checkpoint: %s", s->path, sqlite3_errmsg(s->db));
    s->ckpt_copied = 0;
    s->ckpt_asked = 0;
}

void sq_ckpt_poll(sq_store_t *s)
{
    int frames = s->wal_pages; /* in the WAL after the last commit */
    sq_ckpt_t *c = s->ckpt;
    if (!c) {
        if (frames >= SQ_CHECKPOINT_PAGES) {
            s->wal_pages = 0;
            checkpoint_here(s);
        }
        return;
    }
    pthread_mutex_lock(&c->mu);
    /* Past SQ_WAL_MAX_PAGES the thread cannot keep up (a slow disk, a busy
     * machine): the loop waits for its pass, then checkpoints what is left
     * itself, so that the WAL stays bounded. A PASSIVE checkpoint waits for
     * no lock, and the loop holds none between groups: the pass ends. */
    while (frames >= SQ_WAL_MAX_PAGES && (c->want || c->running))
        pthread_cond_wait(&c->cv, &c->mu);
    bool busy = c->want || c->running;
    if (c->done) {
        c->done = false;
        if (c->rc == SQLITE_OK)
            s->ckpt_copied = c->copied;
        else if (c->rc != SQLITE_BUSY)
            pv_log(PV_LOG_ERROR, "sqlite", "%s: checkpoint: %s", s->path, c->err);
    }
    pthread_mutex_unlock(&c->mu);
    if (busy)
        return;
    if (frames < s->ckpt_copied) /* the WAL started over since */
        s->ckpt_copied = s->ckpt_asked = 0;
    int left = frames - s->ckpt_copied;
    bool ask = false;
    if (frames >= SQ_WAL_MAX_PAGES) {
        s->wal_pages = 0;
        checkpoint_here(s); /* the thread cannot keep up: whatever is left */
    } else if (s->ckpt_copied > 0 && left == 0) {
        /* all copied: the WAL starts over at the next group */
    } else if (frames >= SQ_RESTART_PAGES) {
        if (s->ckpt_copied > 0 && left <= SQ_CATCHUP_PAGES) {
            s->wal_pages = 0;
            checkpoint_here(s); /* the WAL starts over at the next group */
        } else
            ask = frames > s->ckpt_asked; /* shortens the remainder */
    } else
        ask = left >= SQ_CHECKPOINT_PAGES;
    if (ask) {
        s->ckpt_asked = frames;
        pthread_mutex_lock(&c->mu);
        c->want = true;
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
    }
}
