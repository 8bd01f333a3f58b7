/*
 * room_load.c (LAZY-1): stored rooms come into memory when they are used,
 * not at start-up, so a service with a million stored rooms starts at once
 * and keeps in memory only the rooms people use.
 *
 * A gate hook runs ahead of every other handler for stanzas to a room or an
 * occupant JID. A room in memory passes at once (and counts as used, for
 * hibernate.c). Otherwise the stanza is parked under the room's bare JID
 * (palaver/router.h) and the room is read with the backend's room_load:
 * when it arrives it is built completely (persist_room_from_store), added
 * to the table, ROOM_LOADED and ROOM_CREATED fire, and the core replays the
 * parked stanzas in their order. A name the store does not have is
 * remembered as absent for ABSENT_SECONDS so that the replay, and what
 * follows, see no room as before (a join creates it, unless the
 * room-tombstones plugin, whose hook runs after this gate, answers that the
 * room was destroyed). A failed read answers every parked stanza with
 * internal-server-error (wait) and leaves nothing behind: the next stanza
 * reads again. Stanzas of type error and IQ results never cause a read.
 *
 * The same parking keeps a room's order while one of its changes is being
 * stored (the room is pinned, hibernate.c: a configuration, affiliation or
 * registration write, or its deletion): the stanzas that follow wait until
 * the backend answered and the change was applied (or refused), so they
 * see the room as its owner was told it is. With a backend that answers at
 * once (memory, spool, sqlite) nothing ever waits.
 *
 * With <cluster> (cluster.c) the room's lease is taken before it is read,
 * and its stored live occupants are put back before its stanzas go on.
 *
 * Ownership: a load_t belongs to its backend callback (the backend calls it
 * exactly once per room_load, possibly after muc-core shut down); the loads
 * table only borrows it.
 */
#include "muc_internal.h"
#include <ev.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ABSENT_SECONDS 60 /* how long a name the store lacks is believed absent */
#define ABSENT_MAX 10000  /* names remembered at most (then forgotten at once) */

typedef struct load {
    char *name; /* the room node */
    char *key;  /* its bare JID: the park key */
} load_t;

static map_t loads;  /* node -> load_t (borrowed): reads in flight */
static map_t absent; /* node -> (intptr_t) time() after which it is asked again */
static bool ready;
static size_t loads_total;

static void tables_init(void)
{
    if (!ready) {
        map_init(&loads, false);
        map_init(&absent, false);
        ready = true;
    }
}

size_t room_loads_total(void)
{
    return loads_total;
}

static bool absent_has(const char *name)
{
    intptr_t until = ready ? (intptr_t)map_get(&absent, name) : 0;
    if (!until)
        return false;
    if (until > (intptr_t)time(NULL))
        return true;
    map_del(&absent, name);
    return false;
}

static void absent_add(const char *name)
{
    if (absent.count >= ABSENT_MAX)
        map_clear(&absent); /* a flood of names: simply ask the store again */
    if (map_put(&absent, name, (void *)(intptr_t)(time(NULL) + ABSENT_SECONDS)) < 0)
        pv_log(PV_LOG_WARN, MUC, "out of memory remembering that room %s is not stored", name);
}

bool rooms_known_absent(const char *name)
{
    return absent_has(name);
}

bool rooms_loading(const char *name)
{
    return ready && map_get(&loads, name) != NULL;
}

void rooms_absent_forget(const char *name)
{
    if (ready && absent.count)
        map_del(&absent, name);
}

static void load_free(load_t *l)
{
    free(l->name);
    free(l->key);
    free(l);
}

/* The read ended: the table forgets it, the parked stanzas go on. */
static void load_end(load_t *l, bool failed)
{
    if (muc && ready && map_get(&loads, l->name) == l)
        map_del(&loads, l->name);
    if (failed)
        pv_park_fail(l->key, "wait", "internal-server-error",
                     "The room could not be loaded; try again later");
    else
        pv_park_release(l->key);
    load_free(l);
}

static void loaded(int status, const char *error, const pv_store_room_t *sr, void *ud);
static void read_row(load_t *l);

/* cluster_restore finished: the room's stanzas go on. */
static void occupants_back(void *ud)
{
    load_t *l = ud;
    if (!muc || !ready) {
        load_free(l);
        return;
    }
    room_t *r = rooms_get(l->name);
    if (r && r->pins)
        r->pins--; /* load_end releases what waits */
    load_end(l, false);
    rooms_enforce_cap();
}

/* cluster_acquire answered: the room is ours to read, or not to be had. */
static void lease_taken(bool ok, void *ud)
{
    load_t *l = ud;
    if (!muc || !ready) {
        load_free(l);
        return;
    }
    if (ok)
        read_row(l);
    else
        load_end(l, true);
}

static void read_row(load_t *l)
{
    void *h;
    const pv_store_t *st = pv_store(&h);
    if (!st) {
        absent_add(l->name); /* no storage: no stored rooms */
        load_end(l, false);
        return;
    }
    st->room_load(h, l->name, loaded, l);
}

/* The room is complete: into the table, announced, then its stanzas. */
static bool room_arrived(load_t *l, const pv_store_room_t *sr)
{
    bool owners_back;
    room_t *r = persist_room_from_store(sr, &owners_back);
    if (!r)
        return false;
    if (strcmp(r->name, l->name) != 0 || rooms_get(r->name)) {
        pv_log(PV_LOG_ERROR, MUC, "the store answered %s for room %s: ignored", r->name, l->key);
        room_free(r);
        return false;
    }
    if (rooms_add(r) < 0) {
        room_free(r);
        return false;
    }
    pv_muc_room_event_t ev = {.room = r};
    pv_event_fire(ev_room_loaded, &ev);
    pv_event_fire(ev_room_created, &ev);
    if (owners_back)
        persist_owners_write_back(r);
    loads_total++; /* rooms that came into memory, not names looked up */
    pv_log(PV_LOG_DEBUG, MUC, "room %s loaded", r->jid);
    return true;
}

static void loaded(int status, const char *error, const pv_store_room_t *sr, void *ud)
{
    load_t *l = ud;
    if (!muc || !ready) { /* answered after muc-core shut down */
        load_free(l);
        return;
    }
    if (status == PV_STORE_ENOTFOUND || (status == PV_STORE_OK && !sr)) {
        absent_add(l->name);
        if (cluster_on())
            cluster_forget_absent(l->name); /* live occupants of an ended temporary room */
        load_end(l, false);
        return;
    }
    if (status != PV_STORE_OK) {
        pv_log(PV_LOG_ERROR, MUC, "loading room %s failed: %s", l->key,
               error ? error : "unknown error");
        load_end(l, true);
        return;
    }
    bool ok = room_arrived(l, sr);
    if (ok && cluster_on()) { /* its live occupants first (CLUSTER-1) */
        room_t *r = rooms_get(l->name);
        room_pin(r); /* stays in memory meanwhile */
        cluster_restore(r, occupants_back, l);
        return;
    }
    load_end(l, !ok);
    if (ok)
        rooms_enforce_cap();
}

/* Starts reading `name` (park key `key`, its bare JID) unless it is in
 * memory, being read or known absent. */
static void load_start(const char *name, const char *key)
{
    tables_init();
    if (rooms_get(name) || map_get(&loads, name) || absent_has(name))
        return;
    load_t *l = calloc(1, sizeof *l);
    if (!l || !(l->name = xstrdup(name)) || !(l->key = xstrdup(key)) ||
        map_put(&loads, name, l) < 0) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory loading room %s", key);
        if (l)
            load_free(l);
        pv_park_fail(key, "wait", "internal-server-error", "Out of memory");
        return;
    }
    if (cluster_on())
        cluster_acquire(name, lease_taken, l); /* CLUSTER-1: ours before it is read */
    else
        read_row(l);
}

/* name@service into buf; false when it does not fit (no such room then). */
static bool room_key(char *buf, size_t size, const char *name)
{
    int n = snprintf(buf, size, "%s@%s", name, pv_service_domain());
    return n > 0 && (size_t)n < size;
}

/* Parks ctx's stanza under key and makes sure the room is being read. */
static pv_verdict_t park_for(pv_stanza_ctx_t *ctx, const char *name, const char *key)
{
    pv_verdict_t v = pv_stanza_park(ctx, key);
    if (v == PV_AGAIN)
        load_start(name, key); /* may complete (and release) at once: the replay waits */
    return v;
}

/* Presence, IQ sets and messages other than groupchat (voice approvals,
 * bounces) may change who is in the room, or their role or presence. */
static bool may_change_occupants(const pv_stanza_ctx_t *ctx)
{
    if (ctx->kind == PV_KIND_PRESENCE)
        return true;
    if (ctx->kind == PV_KIND_IQ)
        return !strcmp(ctx->type, "set");
    return strcmp(ctx->type, "groupchat") != 0;
}

pv_verdict_t room_gate_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    const char *name = ctx->to->node;
    if (!name || !muc)
        return PV_PASS;
    room_t *r = rooms_get(name);
    if (cluster_on() && may_change_occupants(ctx))
        cluster_mark(name); /* its live occupants are stored after the handlers ran */
    bool busy = pv_park_busy(ctx, ctx->to->bare); /* stanzas ahead: wait behind them */
    if (r && !busy && !r->pins) {
        rooms_touch(r);
        return PV_PASS;
    }
    if (!busy &&
        (!strcmp(ctx->type, "error") || (ctx->kind == PV_KIND_IQ && !strcmp(ctx->type, "result"))))
        return PV_PASS; /* nothing to answer and nobody to tell: no read for it */
    if (r && !busy)     /* a change of the room is being stored: what follows sees it done */
        return pv_stanza_park(ctx, ctx->to->bare);
    if (!busy && absent_has(name))
        return PV_PASS;
    return park_for(ctx, name, ctx->to->bare);
}

pv_verdict_t rooms_need(pv_stanza_ctx_t *ctx, const char *name, room_t **out)
{
    *out = NULL;
    if (!name || !muc)
        return PV_PASS;
    char key[3072];
    if (!room_key(key, sizeof key, name))
        return PV_PASS; /* longer than any JID: no such room */
    room_t *r = rooms_get(name);
    bool busy = pv_park_busy(ctx, key);
    if (!busy && (r || absent_has(name))) {
        if (r)
            rooms_touch(r);
        *out = r;
        return PV_PASS;
    }
    return park_for(ctx, name, key);
}

static void wait_expired(pv_timer_t *t, void *ud)
{
    (void)t;
    *(bool *)ud = true;
}

void rooms_load_wait(const char *const *names, size_t n, double timeout)
{
    char key[3072];
    for (size_t i = 0; i < n; i++)
        if (room_key(key, sizeof key, names[i]))
            load_start(names[i], key);
    struct ev_loop *loop = pv_loop();
    if (!loop || !loads.count)
        return;
    bool expired = false;
    pv_timer_t *t = pv_plugin_timer(muc_handle, timeout, 0., wait_expired, &expired);
    while (t && loads.count && !expired && muc) /* no timer (out of memory): no wait */
        ev_run(loop, EVRUN_ONCE);
    pv_timer_cancel(t);
    if (loads.count)
        pv_log(PV_LOG_ERROR, MUC,
               "the storage backend did not deliver the rooms of the restored occupants within "
               "%.0f s: those occupants are not restored",
               timeout);
}

void room_load_shutdown(void)
{
    if (!ready)
        return;
    map_clear(&loads); /* the load_t's are their callbacks' (freed when they answer) */
    map_clear(&absent);
    ready = false;
}
