/*
 * backends/pgsql/lease.c: room leases for several instances sharing one
 * database (palaver/store.h, minor 3), and the fencing of writes.
 *
 * Why a lease row with an expiry and a heartbeat, not session advisory
 * locks. An advisory lock belongs to a server session: it is held exactly
 * as long as the server believes that connection is alive. A connection
 * stuck behind a network partition (or an instance frozen by SIGSTOP, swap
 * or a long GC-like pause of its host) keeps its locks until the server's
 * TCP keepalive gives up, minutes later by default, and the instance itself
 * cannot tell it is about to lose them: the lock's lifetime is set by
 * somebody else's timeout. Advisory locks also carry no number, so an
 * instance that lost one and got it back, or a write sent just before the
 * loss and executed after, cannot be told apart from a current owner. A
 * row in `leases` (room, holder, epoch, expires) fixes both: the expiry is
 * explicit, on the server's clock (clock_timestamp(): the instances' clocks
 * never matter), and known to the holder, which renews it with a heartbeat
 * and stops serving a room before its lease can expire when a renewal does
 * not come back; the epoch grows every time the lease changes hands, which
 * is what fencing needs. It survives reconnections (a new session does not
 * lose anything) and works through connection poolers, which session
 * locks do not. The price is that a dead instance's rooms wait for its
 * leases to expire (the lease time), unless it released them.
 *
 * Fencing. This handle remembers, per room, the holder and epoch of the
 * lease it acquired (s->leases). Every write for a room (room_put,
 * affs_set, reg_set, room_delete, archive_append/replace/delete/trim,
 * occupant_put) carries two extra parameters, filled here just before the
 * statement is sent (pg_fence_bind, so a write queued behind an acquire is
 * fenced by it): the holder and epoch when this handle holds the room's
 * lease, else NULL. The statement is gated by palaver_fence(room, holder,
 * epoch) (schema.c), which lets NULL pass (rooms without a lease are
 * written as before: single-instance deployments pay one function call)
 * and otherwise requires the lease row to have that holder and epoch,
 * locking it FOR SHARE until the statement's transaction ends, so a
 * takeover cannot slip in between the check and the write. A mismatch
 * raises SQLSTATE PV001: the statement changes nothing and the caller gets
 * PV_STORE_EBUSY. A lost lease (lease_renew found it taken over) stays
 * remembered, so its writes keep failing until the caller releases or
 * re-acquires it.
 *
 * Asks go through one channel, palaver_lease, with the payload
 * "<octet length of holder>:<holder><room>" (names may hold any
 * character); every watching handle gets every ask and keeps those for its
 * instance. LISTEN is issued again after each reconnection.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <palaver/log.h>

#include "pgsql.h"

#define CHANNEL "palaver_lease"

typedef void (*acquire_fn)(int status, const char *error, int64_t epoch, const char *holder,
                           void *ud);
typedef void (*renew_fn)(int status, const char *error, const char *const *lost, size_t nlost,
                         void *ud);

/* One lease this handle holds (or held and lost). */
typedef struct pg_lease {
    char *holder; /* owned */
    int64_t epoch;
    int lost; /* lease_renew found it taken over */
} pg_lease_t;

static void lease_free(void *p)
{
    pg_lease_t *l = p;
    if (l)
        free(l->holder);
    free(l);
}

int pg_lease_init(pg_store_t *s)
{
    s->leases = pv_map_new(0);
    return s->leases ? 0 : -1;
}

void pg_lease_free(pg_store_t *s)
{
    pv_map_free(s->leases, lease_free);
    s->leases = NULL;
    free(s->watch_instance);
    s->watch_instance = NULL;
}

/* Remembers holder/epoch for room (replacing an earlier entry). 0 or -1. */
static int remember(pg_store_t *s, const char *room, const char *holder, int64_t epoch)
{
    pg_lease_t *l = calloc(1, sizeof(*l));
    if (!l || !(l->holder = strdup(holder))) {
        free(l);
        return -1;
    }
    l->epoch = epoch;
    pg_lease_t *old = pv_map_get(s->leases, room);
    if (pv_map_put(s->leases, room, l) < 0) {
        lease_free(l);
        return -1;
    }
    lease_free(old);
    return 0;
}

int pg_fence_bind(pg_store_t *s, pg_op_t *op)
{
    if (!op->fence || !op->room)
        return 0;
    int i = op->fence;
    free(op->params[i]);
    free(op->params[i + 1]);
    op->params[i] = op->params[i + 1] = NULL;
    const pg_lease_t *l = pv_map_get(s->leases, op->room);
    if (!l)
        return 0;
    char epoch[24];
    snprintf(epoch, sizeof(epoch), "%" PRId64, l->epoch);
    if (!(op->params[i] = strdup(l->holder)) || !(op->params[i + 1] = strdup(epoch)))
        return -1;
    return 0;
}

/* A PG_CUSTOM operation: params copied, room and arg (may be NULL) too. */
static pg_op_t *custom_op(pg_store_t *s, const char *sql, int nparams, const char *const *params,
                          const char *room, const char *arg)
{
    pg_op_t *op = pg_op_new(PG_CUSTOM, sql, nparams, params);
    if (op && ((room && !(op->room = strdup(room))) || (arg && !(op->arg = strdup(arg))))) {
        pg_op_free(op);
        op = NULL;
    }
    if (!op) {
        snprintf(s->err, sizeof(s->err), "out of memory queueing a lease operation");
        pv_log(PV_LOG_ERROR, "pgsql", "%s", s->err);
        return NULL;
    }
    op->store = s;
    return op;
}

/* ---- lease_acquire ---- */

static void acquire_fail(pg_op_t *op, int status, const char *msg)
{
    ((acquire_fn)op->user_cb)(status, msg, 0, NULL, op->ud);
}

/* One row (r_ok, r_epoch, r_holder). */
static void acquire_result(pg_op_t *op, const PGresult *r)
{
    pg_store_t *s = op->store;
    acquire_fn cb = (acquire_fn)op->user_cb;
    if (PQntuples(r) != 1 || PQgetisnull(r, 0, 1)) {
        cb(PV_STORE_EIO, "palaver_lease_acquire returned no row", 0, NULL, op->ud);
        return;
    }
    int64_t epoch = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    const char *holder = PQgetvalue(r, 0, 2);
    if (strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
        snprintf(s->err, sizeof(s->err), "room %s: the lease is held by %s (epoch %" PRId64 ")",
                 op->room, holder, epoch);
        cb(PV_STORE_EBUSY, s->err, epoch, holder, op->ud);
        return;
    }
    if (remember(s, op->room, holder, epoch) < 0) {
        /* Held in the database, but its writes could not be fenced: give
         * the caller an error; the lease expires unless acquired again. */
        snprintf(s->err, sizeof(s->err), "room %s: out of memory recording the lease", op->room);
        pv_log(PV_LOG_ERROR, "pgsql", "%s", s->err);
        cb(PV_STORE_ENOMEM, s->err, 0, NULL, op->ud);
        return;
    }
    cb(PV_STORE_OK, NULL, epoch, holder, op->ud);
}

void pg_lease_acquire(void *h, const char *room, const char *instance, int ttl_ms, acquire_fn cb,
                      void *ud)
{
    pg_store_t *s = h;
    char ttl[16];
    snprintf(ttl, sizeof(ttl), "%d", ttl_ms);
    pg_op_t *op = custom_op(s, "SELECT * FROM palaver_lease_acquire($1, $2, $3)", 3,
                            (const char *const[]){room, instance, ttl}, room, NULL);
    if (!op) {
        cb(PV_STORE_ENOMEM, s->err, 0, NULL, ud);
        return;
    }
    op->on_result = acquire_result;
    op->on_fail = acquire_fail;
    op->user_cb = (void (*)(void))cb;
    op->ud = ud;
    pg_submit(s, op);
}

/* ---- lease_renew ---- */

typedef struct held {
    const char *holder;
    const char **rooms;
    char **epochs;
    size_t n;
    int oom;
} held_t;

static void collect(const char *room, void *val, void *ud)
{
    held_t *h = ud;
    pg_lease_t *l = val;
    if (strcmp(l->holder, h->holder) != 0)
        return;
    char epoch[24];
    snprintf(epoch, sizeof(epoch), "%" PRId64, l->epoch);
    h->rooms[h->n] = room;
    if (!(h->epochs[h->n] = strdup(epoch)))
        h->oom = 1;
    h->n++;
}

static const char *held_room(const void *arr, size_t i)
{
    return ((const char *const *)arr)[i];
}

static void renew_fail(pg_op_t *op, int status, const char *msg)
{
    ((renew_fn)op->user_cb)(status, msg, NULL, 0, op->ud);
}

/* Rows (r_room, r_epoch): the leases sent that are no longer ours. Those
 * still remembered at that epoch are marked lost and reported. */
static void renew_result(pg_op_t *op, const PGresult *r)
{
    pg_store_t *s = op->store;
    int n = PQntuples(r);
    const char **lost = calloc((size_t)n + 1, sizeof(*lost));
    if (!lost) {
        ((renew_fn)op->user_cb)(PV_STORE_ENOMEM, "out of memory", NULL, 0, op->ud);
        return;
    }
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        pg_lease_t *l = pv_map_get(s->leases, PQgetvalue(r, i, 0));
        if (!l || l->epoch != strtoll(PQgetvalue(r, i, 1), NULL, 10) ||
            strcmp(l->holder, op->arg) != 0)
            continue; /* released or acquired again meanwhile */
        if (!l->lost)
            pv_log(PV_LOG_WARN, "pgsql", "room %s: %s lost its lease (epoch %" PRId64 ")",
                   PQgetvalue(r, i, 0), l->holder, l->epoch);
        l->lost = 1;
        lost[k++] = PQgetvalue(r, i, 0);
    }
    ((renew_fn)op->user_cb)(PV_STORE_OK, NULL, lost, k, op->ud);
    free(lost);
}

void pg_lease_renew(void *h, const char *instance, int ttl_ms, renew_fn cb, void *ud)
{
    pg_store_t *s = h;
    size_t cap = pv_map_count(s->leases);
    held_t held = {instance, calloc(cap + 1, sizeof(char *)), calloc(cap + 1, sizeof(char *)), 0,
                   0};
    char *rooms = NULL, *epochs = NULL;
    pg_op_t *op = NULL;
    if (held.rooms && held.epochs) {
        pv_map_each(s->leases, collect, &held);
        rooms = pg_text_array(held.n, held_room, held.rooms);
        epochs = pg_text_array(held.n, held_room, held.epochs);
    }
    char ttl[16];
    snprintf(ttl, sizeof(ttl), "%d", ttl_ms);
    if (rooms && epochs && !held.oom)
        op = custom_op(s, "SELECT * FROM palaver_lease_renew($1, $2, $3::text[], $4::bigint[])", 4,
                       (const char *const[]){instance, ttl, rooms, epochs}, NULL, instance);
    for (size_t i = 0; i < held.n; i++)
        free(held.epochs[i]);
    free(held.rooms);
    free(held.epochs);
    free(rooms);
    free(epochs);
    if (!op) {
        cb(PV_STORE_ENOMEM, "out of memory renewing leases", NULL, 0, ud);
        return;
    }
    op->on_result = renew_result;
    op->on_fail = renew_fail;
    op->user_cb = (void (*)(void))cb;
    op->ud = ud;
    pg_submit(s, op);
}

/* ---- lease_release ---- */

/* Forgets the room's lease once the release ran (or failed: the caller
 * gave the room up either way; the row then expires). */
static void forget(pg_op_t *op)
{
    pg_store_t *s = op->store;
    pg_lease_t *l = pv_map_get(s->leases, op->room);
    if (l && strcmp(l->holder, op->arg) == 0)
        lease_free(pv_map_del(s->leases, op->room));
}

static void release_fail(pg_op_t *op, int status, const char *msg)
{
    forget(op);
    ((pv_store_done_fn)op->user_cb)(status, msg, op->ud);
}

static void release_result(pg_op_t *op, const PGresult *r)
{
    (void)r;
    forget(op);
    ((pv_store_done_fn)op->user_cb)(PV_STORE_OK, NULL, op->ud);
}

void pg_lease_release(void *h, const char *room, const char *instance, pv_store_done_fn cb,
                      void *ud)
{
    pg_store_t *s = h;
    pg_op_t *op = custom_op(s,
                            "UPDATE leases SET holder = NULL, expires = clock_timestamp()"
                            " WHERE room = $1 AND holder = $2",
                            2, (const char *const[]){room, instance}, room, instance);
    if (!op) {
        cb(PV_STORE_ENOMEM, s->err, ud);
        return;
    }
    op->on_result = release_result;
    op->on_fail = release_fail;
    op->user_cb = (void (*)(void))cb;
    op->ud = ud;
    pg_submit(s, op);
}

/* ---- lease_ask, lease_watch ---- */

static void done_fail(pg_op_t *op, int status, const char *msg)
{
    ((pv_store_done_fn)op->user_cb)(status, msg, op->ud);
}

static void done_result(pg_op_t *op, const PGresult *r)
{
    (void)r;
    ((pv_store_done_fn)op->user_cb)(PV_STORE_OK, NULL, op->ud);
}

void pg_lease_ask(void *h, const char *room, const char *holder, pv_store_done_fn cb, void *ud)
{
    pg_store_t *s = h;
    pg_op_t *op = custom_op(s,
                            "SELECT pg_notify('" CHANNEL "',"
                            " octet_length($2::text) || ':' || $2 || $1)",
                            2, (const char *const[]){room, holder}, room, NULL);
    if (!op) {
        cb(PV_STORE_ENOMEM, s->err, ud);
        return;
    }
    op->on_result = done_result;
    op->on_fail = done_fail;
    op->user_cb = (void (*)(void))cb;
    op->ud = ud;
    pg_submit(s, op);
}

static void listen_done(int status, const char *error, void *ud)
{
    (void)ud;
    if (status != PV_STORE_OK)
        pv_log(PV_LOG_ERROR, "pgsql", "cannot listen for lease asks: %s", error);
}

/* Queues LISTEN (the connection must be up). */
static void listen_now(pg_store_t *s)
{
    pg_op_t *op = custom_op(s, "LISTEN " CHANNEL, 0, NULL, NULL, NULL);
    if (!op)
        return;
    op->on_result = done_result;
    op->on_fail = done_fail;
    op->user_cb = (void (*)(void))listen_done;
    pg_submit(s, op);
}

void pg_lease_watch(void *h, const char *instance, void (*asked)(const char *room, void *ud),
                    void *ud)
{
    pg_store_t *s = h;
    char *copy = instance && *instance && asked ? strdup(instance) : NULL;
    if (!copy) {
        pv_log(PV_LOG_ERROR, "pgsql", "lease_watch: %s",
               instance && *instance && asked ? "out of memory" : "no instance or callback");
        return;
    }
    int was = s->watch_instance != NULL;
    free(s->watch_instance);
    s->watch_instance = copy;
    s->watch_asked = asked;
    s->watch_ud = ud;
    if (!was && s->conn && !s->connecting)
        listen_now(s);
}

void pg_lease_reconnected(pg_store_t *s)
{
    if (s->watch_instance && s->conn && !s->connecting)
        listen_now(s);
}

/* Splits "<len>:<holder><room>": 0 and the parts, or -1. */
static int parse_ask(const char *payload, const char **holder, size_t *hlen, const char **room)
{
    char *end = NULL;
    unsigned long n = strtoul(payload, &end, 10);
    if (end == payload || *end != ':' || strlen(end + 1) <= n)
        return -1;
    *holder = end + 1;
    *hlen = n;
    *room = end + 1 + n;
    return 0;
}

void pg_lease_notifies(pg_store_t *s)
{
    PGnotify *n;
    while (s->conn && (n = PQnotifies(s->conn))) {
        const char *holder, *room;
        size_t hlen;
        if (strcmp(n->relname, CHANNEL) == 0 && s->watch_instance &&
            parse_ask(n->extra, &holder, &hlen, &room) == 0 && strlen(s->watch_instance) == hlen &&
            memcmp(s->watch_instance, holder, hlen) == 0)
            s->watch_asked(room, s->watch_ud);
        PQfreemem(n);
    }
}
