/*
 * core/store_timing.c: the storage backend as plugins see it, its arguments
 * checked and its operations timed.
 *
 * pv_store() hands plugins a copy of the backend's table in which each
 * operation first checks its arguments (core/store_check.c: a caller bug is
 * answered PV_STORE_EINVAL at once, untimed, without calling the backend,
 * so no backend repeats those checks), then records the time from the call
 * to its completion callback (stats_backend_time), then calls the plugin's
 * callback unchanged. That is the latency a plugin waits for, whether the backend answers before
 * returning (memory, spool, sqlite) or later from the event loop (pgsql).
 * open and close are the backend's own (only the core calls them). When a
 * timing record cannot be allocated the call goes through untimed. Records
 * of calls the backend never answered (a backend stopped mid-operation) are
 * freed by stats_store_forget once the backend is closed. Each latency also
 * goes to the metrics' histogram of its operation (metrics_backend_call).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "stats.h"
#include "store_check.h"

static const pv_store_t *real;
static pv_store_t timed;

typedef struct pending {
    struct pending *prev, *next; /* in `inflight` */
    double t0;
    const char *op; /* the operation's name (static), for its histogram */
    void *ud;
    union {
        pv_store_done_fn done;
        pv_store_names_fn names;
        pv_store_room_fn room;
        pv_store_msgs_fn msgs;
        pv_store_entries_fn entries;
        void (*acquired)(int, const char *, int64_t, const char *, void *);
        void (*renewed)(int, const char *, const char *const *, size_t, void *);
        void (*occupants)(int, const char *, const pv_kv_t *, size_t, void *);
    } cb;
} pending_t;

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Every record whose callback has not run yet (owned here). */
static pending_t *inflight;

/* A record for one call, or NULL (the call then goes through untimed). */
static pending_t *start(void *ud, const char *op)
{
    pending_t *p = malloc(sizeof *p);
    if (p) {
        p->ud = ud;
        p->op = op;
        p->t0 = mono();
        p->prev = NULL;
        p->next = inflight;
        if (inflight)
            inflight->prev = p;
        inflight = p;
    }
    return p;
}

/* Records the latency and takes p off the in-flight list; returns the
 * caller's ud (the caller frees p). */
static void *finish(pending_t *p)
{
    double seconds = mono() - p->t0;
    stats_backend_time(seconds);
    metrics_backend_call(p->op, seconds);
    if (p->prev)
        p->prev->next = p->next;
    else
        inflight = p->next;
    if (p->next)
        p->next->prev = p->prev;
    return p->ud;
}

void stats_store_forget(void)
{
    while (inflight) {
        pending_t *p = inflight;
        inflight = p->next;
        free(p);
    }
}

static void done_cb(int status, const char *error, void *ud)
{
    pending_t *p = ud;
    pv_store_done_fn cb = p->cb.done;
    void *cud = finish(p);
    free(p);
    if (cb)
        cb(status, error, cud);
}

static void names_cb(int status, const char *error, const char *const *names, size_t n, void *ud)
{
    pending_t *p = ud;
    pv_store_names_fn cb = p->cb.names;
    void *cud = finish(p);
    free(p);
    if (cb)
        cb(status, error, names, n, cud);
}

static void room_cb(int status, const char *error, const pv_store_room_t *room, void *ud)
{
    pending_t *p = ud;
    pv_store_room_fn cb = p->cb.room;
    void *cud = finish(p);
    free(p);
    if (cb)
        cb(status, error, room, cud);
}

static void msgs_cb(int status, const char *error, const pv_store_msg_t *msgs, size_t n,
                    int complete, void *ud)
{
    pending_t *p = ud;
    pv_store_msgs_fn cb = p->cb.msgs;
    void *cud = finish(p);
    free(p);
    if (cb)
        cb(status, error, msgs, n, complete, cud);
}

static void entries_cb(int status, const char *error, const pv_store_room_entry_t *rooms, size_t n,
                       long long count, void *ud)
{
    pending_t *p = ud;
    pv_store_entries_fn cb = p->cb.entries;
    void *cud = finish(p);
    free(p);
    if (cb)
        cb(status, error, rooms, n, count, cud);
}

static void acquired_cb(int status, const char *error, int64_t epoch, const char *holder, void *ud)
{
    pending_t *p = ud;
    void (*cb)(int, const char *, int64_t, const char *, void *) = p->cb.acquired;
    void *cud = finish(p);
    free(p);
    if (cb)
        cb(status, error, epoch, holder, cud);
}

static void renewed_cb(int status, const char *error, const char *const *lost, size_t nlost,
                       void *ud)
{
    pending_t *p = ud;
    void (*cb)(int, const char *, const char *const *, size_t, void *) = p->cb.renewed;
    void *cud = finish(p);
    free(p);
    if (cb)
        cb(status, error, lost, nlost, cud);
}

static void occupants_cb(int status, const char *error, const pv_kv_t *occupants, size_t n,
                         void *ud)
{
    pending_t *p = ud;
    void (*cb)(int, const char *, const pv_kv_t *, size_t, void *) = p->cb.occupants;
    void *cud = finish(p);
    free(p);
    if (cb)
        cb(status, error, occupants, n, cud);
}

/* Answers a caller bug (bad: the message, or NULL when the arguments are
 * fine) with PV_STORE_EINVAL and the callback's other arguments empty; the
 * wrapper then returns without calling the backend. */
#define REFUSE_IF(bad, ...)                                                                        \
    do {                                                                                           \
        const char *why_ = (bad);                                                                  \
        if (why_) {                                                                                \
            if (cb)                                                                                \
                cb(PV_STORE_EINVAL, why_, __VA_ARGS__);                                            \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Each wrapper: a record, then the backend's operation with our callback. */
#define TIMED(field, kind, wrapcb, ...)                                                            \
    pending_t *p = start(ud, #field);                                                              \
    if (!p) {                                                                                      \
        real->field(__VA_ARGS__, cb, ud);                                                          \
        return;                                                                                    \
    }                                                                                              \
    p->cb.kind = cb;                                                                               \
    real->field(__VA_ARGS__, wrapcb, p)

static void t_room_list(void *h, pv_store_names_fn cb, void *ud)
{
    TIMED(room_list, names, names_cb, h);
}

static void t_room_load(void *h, const char *name, pv_store_room_fn cb, void *ud)
{
    REFUSE_IF(store_check_room(name), NULL, ud);
    TIMED(room_load, room, room_cb, h, name);
}

static void t_room_put(void *h, const char *name, const pv_kv_t *config, size_t n,
                       pv_store_done_fn cb, void *ud)
{
    REFUSE_IF(store_check_room_put(name, config, n), ud);
    TIMED(room_put, done, done_cb, h, name, config, n);
}

static void t_room_delete(void *h, const char *name, pv_store_done_fn cb, void *ud)
{
    REFUSE_IF(store_check_room(name), ud);
    TIMED(room_delete, done, done_cb, h, name);
}

static void t_affs_set(void *h, const char *room, const pv_store_aff_t *items, size_t n,
                       pv_store_done_fn cb, void *ud)
{
    REFUSE_IF(store_check_affs_set(room, items, n), ud);
    TIMED(affs_set, done, done_cb, h, room, items, n);
}

static void t_reg_set(void *h, const char *room, const char *jid, const char *nick,
                      pv_store_done_fn cb, void *ud)
{
    REFUSE_IF(store_check_reg_set(room, jid), ud);
    TIMED(reg_set, done, done_cb, h, room, jid, nick);
}

static void t_archive_append(void *h, const char *room, const pv_store_msg_t *msg,
                             pv_store_done_fn cb, void *ud)
{
    REFUSE_IF(store_check_append(room, msg), ud);
    TIMED(archive_append, done, done_cb, h, room, msg);
}

static void t_archive_query(void *h, const char *room, const pv_store_query_t *q,
                            pv_store_msgs_fn cb, void *ud)
{
    REFUSE_IF(store_check_room(room), NULL, 0, 0, ud);
    TIMED(archive_query, msgs, msgs_cb, h, room, q);
}

static void t_archive_replace(void *h, const char *room, const char *id, const char *xml,
                              pv_store_done_fn cb, void *ud)
{
    REFUSE_IF(store_check_replace(room, id, xml), ud);
    TIMED(archive_replace, done, done_cb, h, room, id, xml);
}

static void t_archive_delete(void *h, const char *room, pv_store_done_fn cb, void *ud)
{
    REFUSE_IF(store_check_room(room), ud);
    TIMED(archive_delete, done, done_cb, h, room);
}

static void t_archive_trim(void *h, const char *room, int64_t before_us, size_t keep_newest,
                           pv_store_done_fn cb, void *ud)
{
    REFUSE_IF(store_check_room(room), ud);
    TIMED(archive_trim, done, done_cb, h, room, before_us, keep_newest);
}

static void t_rooms_list(void *h, const char *after, size_t max, unsigned flags,
                         pv_store_entries_fn cb, void *ud)
{
    REFUSE_IF(store_check_rooms_list(flags), NULL, 0, -1, ud);
    TIMED(rooms_list, entries, entries_cb, h, after, max, flags);
}

static void t_lease_acquire(void *h, const char *room, const char *instance, int ttl_ms,
                            void (*cb)(int, const char *, int64_t, const char *, void *), void *ud)
{
    REFUSE_IF(store_check_lease(room, instance, ttl_ms), 0, NULL, ud);
    TIMED(lease_acquire, acquired, acquired_cb, h, room, instance, ttl_ms);
}

static void t_lease_renew(void *h, const char *instance, int ttl_ms,
                          void (*cb)(int, const char *, const char *const *, size_t, void *),
                          void *ud)
{
    REFUSE_IF(store_check_instance(instance, ttl_ms), NULL, 0, ud);
    TIMED(lease_renew, renewed, renewed_cb, h, instance, ttl_ms);
}

static void t_lease_release(void *h, const char *room, const char *instance, pv_store_done_fn cb,
                            void *ud)
{
    REFUSE_IF(store_check_lease(room, instance, 1), ud);
    TIMED(lease_release, done, done_cb, h, room, instance);
}

static void t_lease_ask(void *h, const char *room, const char *holder, pv_store_done_fn cb,
                        void *ud)
{
    REFUSE_IF(store_check_lease(room, holder, 1), ud);
    TIMED(lease_ask, done, done_cb, h, room, holder);
}

static void t_occupant_put(void *h, const char *room, const char *nick, const char *data,
                           pv_store_done_fn cb, void *ud)
{
    REFUSE_IF(store_check_occupant_put(room, nick), ud);
    TIMED(occupant_put, done, done_cb, h, room, nick, data);
}

static void t_occupants_load(void *h, const char *room,
                             void (*cb)(int, const char *, const pv_kv_t *, size_t, void *),
                             void *ud)
{
    REFUSE_IF(store_check_room(room), NULL, 0, ud);
    TIMED(occupants_load, occupants, occupants_cb, h, room);
}

/* True when the backend's table (built with its own sizeof) has this entry. */
#define HAS(r, field) ((r)->size >= offsetof(pv_store_t, field) + sizeof((r)->field) && (r)->field)

const pv_store_t *stats_store_wrap(const pv_store_t *r)
{
    if (!r)
        return NULL;
    if (r == real)
        return &timed;
    real = r;
    memset(&timed, 0, sizeof timed);
    size_t n = r->size < sizeof timed ? r->size : sizeof timed;
    memcpy(&timed, r, n); /* identity, open, close: the backend's own */
    timed.size = n;
    if (HAS(r, room_list))
        timed.room_list = t_room_list;
    if (HAS(r, room_load))
        timed.room_load = t_room_load;
    if (HAS(r, room_put))
        timed.room_put = t_room_put;
    if (HAS(r, room_delete))
        timed.room_delete = t_room_delete;
    if (HAS(r, affs_set))
        timed.affs_set = t_affs_set;
    if (HAS(r, reg_set))
        timed.reg_set = t_reg_set;
    if (HAS(r, archive_append))
        timed.archive_append = t_archive_append;
    if (HAS(r, archive_query))
        timed.archive_query = t_archive_query;
    if (HAS(r, archive_replace))
        timed.archive_replace = t_archive_replace;
    if (HAS(r, archive_delete))
        timed.archive_delete = t_archive_delete;
    if (HAS(r, archive_trim))
        timed.archive_trim = t_archive_trim;
    if (HAS(r, rooms_list))
        timed.rooms_list = t_rooms_list;
    /* lease_watch registers a callback for later asks: not a call to time. */
    if (HAS(r, lease_acquire))
        timed.lease_acquire = t_lease_acquire;
    if (HAS(r, lease_renew))
        timed.lease_renew = t_lease_renew;
    if (HAS(r, lease_release))
        timed.lease_release = t_lease_release;
    if (HAS(r, lease_ask))
        timed.lease_ask = t_lease_ask;
    if (HAS(r, occupant_put))
        timed.occupant_put = t_occupant_put;
    if (HAS(r, occupants_load))
        timed.occupants_load = t_occupants_load;
    return &timed;
}
