/*
 * backends/sqlite/group.c: group commit. Every write issued during one
 * event-loop iteration (archive appends, room, affiliation, registration and
 * occupant changes) runs inside one transaction, opened (BEGIN IMMEDIATE) by
 * the first of them and committed at the end of the iteration by an ev_check
 * watcher, or at once when GROUP_MAX writes wait. A commit costs about as
 * much as seven single-row inserts, so one per iteration instead of one per
 * message is most of what a persistent room pays for its archive.
 *
 * Durable before visible: a write's completion callback runs only after the
 * COMMIT that made it durable, in call order; what the caller releases from
 * there (the reflected copies of a message, an IQ result) cannot reach
 * anybody before the data is on disk. A failed COMMIT rolls everything back
 * and calls every callback of the group with PV_STORE_EIO. A write that fails
 * on its own (a duplicate id) rolls back only itself (statements are atomic;
 * the multi-statement ones use a savepoint, stmt.c) and gets its own error
 * after the commit, in order. A failure that makes SQLite roll the whole
 * transaction back (disk full, I/O error) fails the group at once.
 *
 * Reads run on the same connection, so they see the group's writes. While a
 * group is open an ev_idle watcher keeps the loop from blocking, so the check
 * watcher commits in the same iteration even when nothing else happens.
 * Without an event loop (tools, pv_loop() NULL) every write commits on its
 * own before returning, as before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <palaver/log.h>
#include <palaver/util.h>

#include "sqlite.h"

#define GROUP_MAX 1000 /* writes in one transaction before it commits anyway */

typedef struct sq_pending {
    pv_store_done_fn cb;
    void *ud;
    int status;
    char *err; /* owned, NULL when none */
} sq_pending_t;

/* What a grouped write reported (its callback runs inside the call). */
typedef struct capture {
    int fired, status;
    char err[512];
} capture_t;

static void capture(int status, const char *error, void *ud)
{
    capture_t *c = ud;
    c->fired = 1;
    c->status = status;
    snprintf(c->err, sizeof c->err, "%s", error ? error : "");
}

static void checkpoint(sq_store_t *s);

static void watchers_stop(sq_store_t *s)
{
    if (!s->loop)
        return;
    ev_check_stop(s->loop, &s->commit_w);
    ev_idle_stop(s->loop, &s->awake_w);
}

/* Calls the callbacks of q[0..n), each with its own status, or with
 * `status`/`err` when that is an error (the group failed), and frees q. */
static void complete(sq_pending_t *q, size_t n, int status, const char *err)
{
    for (size_t i = 0; i < n; i++) {
        int st = status ? status : q[i].status;
        const char *e = status ? err : q[i].err;
        q[i].cb(st, e, q[i].ud);
        free(q[i].err);
    }
    free(q);
}

/* Takes the group's queue out of s (callbacks may open the next group). */
static sq_pending_t *take_queue(sq_store_t *s, size_t *n)
{
    sq_pending_t *q = s->q;
    *n = s->nq;
    s->q = NULL;
    s->nq = s->capq = 0;
    return q;
}

/* The open transaction is gone (SQLite rolled it back after an error):
 * every write of the group fails. */
static void group_lost(sq_store_t *s, const char *why)
{
    char err[600];
    snprintf(err, sizeof err, "the transaction of this write was rolled back: %s", why);
    pv_log(PV_LOG_ERROR, "sqlite", "%s: %s", s->path, err);
    sq_room_ids_clear(s); /* rooms added by the group are gone */
    s->wtx = false;
    s->sp = 0;
    size_t n;
    sq_pending_t *q = take_queue(s, &n);
    complete(q, n, PV_STORE_EIO, err);
}

/* A checkpoint copies the WAL's pages into the database (ckpt.c); run
 * inside a COMMIT (SQLite's default) it would delay the group's callbacks,
 * and with them the reflections. A larger WAL also copies a page written by
 * many groups (an index leaf, the table's last page) once instead of once
 * per checkpoint. */
int sq_wal_hook(void *ud, sqlite3 *db, const char *name, int pages)
{
    sq_store_t *s = ud;
    s->wal_pages = pages;
    if (!s->grouping)
        checkpoint(s);
    (void)db;
    (void)name;
    return SQLITE_OK;
}

static void checkpoint(sq_store_t *s)
{
    if (s->wtx || s->batch)
        return;
    sq_ckpt_poll(s);
}

static int commit_group(sq_store_t *s)
{
    s->grouping = true;
    int rc = sq_exec(s, ST_COMMIT);
    s->grouping = false;
    return rc;
}

/* Commits the open group and runs its callbacks; once more while they
 * opened another. */
void sq_group_flush(sq_store_t *s)
{
    while (s->wtx) {
        size_t n;
        sq_pending_t *q = take_queue(s, &n);
        s->wtx = false;
        s->sp = 0;
        int status = PV_STORE_OK;
        char err[600] = "";
        if (sqlite3_get_autocommit(s->db)) { /* rolled back by SQLite meanwhile */
            status = PV_STORE_EIO;
            snprintf(err, sizeof err, "the transaction was rolled back");
        } else if (!sq_stmt(s, ST_COMMIT) || commit_group(s) != SQLITE_DONE) {
            status = PV_STORE_EIO;
            snprintf(err, sizeof err, "%s", sq_error(s, NULL, "committing a group of writes"));
            if (!sqlite3_get_autocommit(s->db) &&
                (!sq_stmt(s, ST_ROLLBACK) || sq_exec(s, ST_ROLLBACK) != SQLITE_DONE))
                pv_log(PV_LOG_ERROR, "sqlite", "%s: rolling back: %s", s->path,
                       sqlite3_errmsg(s->db));
        }
        if (status) {
            sq_room_ids_clear(s); /* rooms added by the group are gone */
            pv_log(PV_LOG_ERROR, "sqlite", "%s: %zu write(s) failed with their group", s->path, n);
        }
        complete(q, n, status, err);
    }
    watchers_stop(s);
    checkpoint(s);
}

static void on_check(struct ev_loop *loop, ev_check *w, int revents)
{
    (void)loop;
    (void)revents;
    sq_group_flush(w->data);
}

static void on_idle(struct ev_loop *loop, ev_idle *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents; /* only there so that the loop does not block */
}

void sq_group_stop(sq_store_t *s)
{
    sq_group_flush(s);
    watchers_stop(s);
}

/* Before a grouped write: 1 the group is open (the write joins it), 0 no
 * event loop (the write commits on its own), -1 BEGIN failed (s->err). */
static int group_enter(sq_store_t *s)
{
    struct ev_loop *loop = pv_loop();
    if (!loop)
        return 0;
    if (s->wtx)
        return 1;
    sq_batch_end(s); /* room_list's read transaction ends first */
    if (!sq_stmt(s, ST_BEGIN) || sq_exec(s, ST_BEGIN) != SQLITE_DONE) {
        sq_error(s, NULL, "starting a group of writes");
        return -1;
    }
    s->wtx = true;
    s->sp = 0;
    if (s->loop != loop) {
        s->loop = loop;
        ev_check_init(&s->commit_w, on_check);
        ev_idle_init(&s->awake_w, on_idle);
        s->commit_w.data = s->awake_w.data = s;
    }
    ev_check_start(loop, &s->commit_w);
    ev_idle_start(loop, &s->awake_w);
    return 1;
}

/* After a grouped write: queues its completion; commits when the group is
 * full; fails the group when SQLite rolled it back. */
static void group_add(sq_store_t *s, pv_store_done_fn cb, void *ud, const capture_t *c)
{
    if (s->nq == s->capq) {
        size_t cap = s->capq ? s->capq * 2 : 64;
        sq_pending_t *q = realloc(s->q, cap * sizeof *q);
        if (!q) { /* cannot wait for the commit: make it now */
            sq_group_flush(s);
            cb(c->status, c->status ? c->err : NULL, ud);
            return;
        }
        s->q = q;
        s->capq = cap;
    }
    sq_pending_t *p = &s->q[s->nq++];
    p->cb = cb;
    p->ud = ud;
    p->status = c->status;
    p->err = c->status ? strdup(c->err) : NULL;
    if (c->status && !p->err)
        p->status = PV_STORE_ENOMEM;
    if (sqlite3_get_autocommit(s->db))
        group_lost(s, c->status ? c->err : "unknown error");
    else if (s->nq >= GROUP_MAX)
        sq_group_flush(s);
}

/* The grouped entries: run the write inside the group, queue its callback. */
#define GROUPED(call, cb, ud)                                                                      \
    do {                                                                                           \
        sq_store_t *s_ = h;                                                                        \
        int in_ = group_enter(s_);                                                                 \
        if (in_ < 0) {                                                                             \
            cb(PV_STORE_EIO, s_->err, ud);                                                         \
            return;                                                                                \
        }                                                                                          \
        if (in_ == 0) {                                                                            \
            call(cb, ud);                                                                          \
            return;                                                                                \
        }                                                                                          \
        capture_t c_ = {0};                                                                        \
        call(capture, &c_);                                                                        \
        group_add(s_, cb, ud, &c_);                                                                \
    } while (0)

void sqg_room_put(void *h, const char *name, const pv_kv_t *config, size_t n, pv_store_done_fn cb,
                  void *ud)
{
#define CALL(f, u) sq_room_put(h, name, config, n, f, u)
    GROUPED(CALL, cb, ud);
#undef CALL
}

void sqg_room_delete(void *h, const char *name, pv_store_done_fn cb, void *ud)
{
#define CALL(f, u) sq_room_delete(h, name, f, u)
    GROUPED(CALL, cb, ud);
#undef CALL
}

void sqg_affs_set(void *h, const char *room, const pv_store_aff_t *items, size_t n,
                  pv_store_done_fn cb, void *ud)
{
#define CALL(f, u) sq_affs_set(h, room, items, n, f, u)
    GROUPED(CALL, cb, ud);
#undef CALL
}

void sqg_reg_set(void *h, const char *room, const char *jid, const char *nick, pv_store_done_fn cb,
                 void *ud)
{
#define CALL(f, u) sq_reg_set(h, room, jid, nick, f, u)
    GROUPED(CALL, cb, ud);
#undef CALL
}

void sqg_archive_append(void *h, const char *room, const pv_store_msg_t *msg, pv_store_done_fn cb,
                        void *ud)
{
#define CALL(f, u) sq_archive_append(h, room, msg, f, u)
    GROUPED(CALL, cb, ud);
#undef CALL
}

void sqg_archive_replace(void *h, const char *room, const char *id, const char *xml,
                         pv_store_done_fn cb, void *ud)
{
#define CALL(f, u) sq_archive_replace(h, room, id, xml, f, u)
    GROUPED(CALL, cb, ud);
#undef CALL
}

void sqg_archive_delete(void *h, const char *room, pv_store_done_fn cb, void *ud)
{
#define CALL(f, u) sq_archive_delete(h, room, f, u)
    GROUPED(CALL, cb, ud);
#undef CALL
}

void sqg_archive_trim(void *h, const char *room, int64_t before_us, size_t keep_newest,
                      pv_store_done_fn cb, void *ud)
{
#define CALL(f, u) sq_archive_trim(h, room, before_us, keep_newest, f, u)
    GROUPED(CALL, cb, ud);
#undef CALL
}

void sqg_occupant_put(void *h, const char *room, const char *nick, const char *data,
                      pv_store_done_fn cb, void *ud)
{
#define CALL(f, u) sq_occupant_put(h, room, nick, data, f, u)
    GROUPED(CALL, cb, ud);
#undef CALL
}
