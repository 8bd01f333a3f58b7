/*
 * cluster.c (CLUSTER-1): several Palaver instances serve one MUC domain,
 * sharing one PostgreSQL database; every room in memory has exactly one
 * owner instance at a time, so a room's occupants, order and state never
 * split between two processes, and a dead instance's rooms move to another
 * one with their occupants.
 *
 * Design note: ownership is a lease row per room (owner, epoch, expiry on
 * the database server's clock) renewed by one heartbeat statement for all
 * of an instance's rooms, not a session advisory lock. An advisory lock
 * dies with its database session: a network blip or a PostgreSQL restart
 * would free every room at once while the instance still serves them, and
 * nothing could tell it when; a row survives the session, is renewed over
 * any connection, can be read by the others (who holds it, until when) and
 * carries an epoch that grows at every change of hands, which the backend
 * binds to every write of the room (fencing: a write of a holder that
 * lost the room fails and changes nothing). The cost is one UPDATE per
 * heartbeat for all leases, and one statement per room taken.
 *
 * The life of a lease here:
 * - Taken when a stanza needs a room not in memory (room_load.c calls
 *   cluster_acquire before reading the room). Held by another live instance:
 *   that one is asked to give the room up (NOTIFY) and the acquire is tried
 *   again every RETRY_S until the holder released it or its lease expired
 *   (lease time + two heartbeats at most); the stanzas wait parked.
 * - Kept while the room is in memory, or while its name is remembered as
 *   absent (so that nobody else creates a room of that name meanwhile).
 * - Renewed every <heartbeat> seconds. Rooms another instance took after
 *   our lease expired are dropped at once; when renewing fails for longer
 *   than <lease-time> minus one heartbeat, every room is dropped before its
 *   lease can expire (stop serving first: no two owners, ever).
 * - Given back when the room leaves memory (hibernation, a temporary room
 *   ending, destruction), when it is asked for (after its occupants were
 *   stored), and for every room at a clean shutdown.
 * "Dropped" means taken out of memory silently: its occupants stay stored,
 * for the next owner.
 *
 * Slots (<slots>N</slots>, for servers that route a domain to N fixed
 * connections, as ejabberd's domain_balancing does): an instance connects
 * only once it holds one of N slot leases (named ":slot:K", a name no room
 * can have), so N instances are active and the others wait, trying every
 * heartbeat; when an active one dies its slot lease expires, a waiting
 * instance takes it, connects, and the server gives it the free place with
 * exactly the dead one's rooms. Without <slots> an instance connects at once
 * (Prosody refuses a second connection: the others retry as hot standbys).
 *
 * Live occupants are stored as they change (join, leave, nick, role,
 * presence): a stanza that may change them marks its room (the room gate,
 * and occupant_remove for the departures of timers); at the end of the
 * event-loop iteration each marked room's occupants are compared with
 * what is stored (restart.c's occupant record, as text) and the
 * differences are written (occupant_put). A room loaded here gets its
 * stored occupants back (cluster_restore) before any stanza reaches it, and
 * their sessions are pinged (restart_check.c) to drop those gone meanwhile.
 *
 * Ownership: acq_t belongs to the backend callback or the retry timer that
 * holds it; held leases are in `held` (name -> lease_t, owned); occupant
 * records in `recs` (name -> croom_t, owned). The timers (heartbeat,
 * deadline, each acquire's retry) are muc-core's (muc_handle): the core
 * takes back any left after the plugin's shutdown.
 */
#include "muc_internal.h"
#include <ev.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRY_S 0.2    /* between two tries of a lease another instance holds */
#define ASK_EVERY 5    /* tries between two asks */
#define SAFE_PART 0.75 /* of a lease's time: past it without a renewal, rooms are dropped */

typedef struct lease {
    int64_t epoch;
} lease_t;

typedef struct acq {
    char *name;
    void (*done)(bool ok, void *ud);
    void *ud;
    double deadline; /* ev_now after which it gives up */
    unsigned tries;
    pv_timer_t *retry;       /* while waiting on it; none while the backend has the acquire */
    struct acq *prev, *next; /* waiting on the retry timer */
} acq_t;

typedef struct croom {
    map_t recs;  /* nick -> char * (owned): the record as stored */
    bool marked; /* in the flush list */
    bool forget; /* dropped from memory: keep its records, write nothing */
    char name[]; /* the room node */
} croom_t;

static struct {
    bool on, started;
    char *instance;
    long lease_s, heartbeat_s;
    map_t held;       /* name -> lease_t */
    map_t crooms;     /* name -> croom_t */
    croom_t **marked; /* rooms to flush at the end of the iteration */
    size_t nmarked, cap;
    acq_t *waiting; /* acquires waiting to try again */
    pv_timer_t *beat;
    pv_timer_t *deadline; /* SAFE_PART of a lease after the last good renewal */
    bool deadline_armed;  /* started by the first lease, until it fires */
    ev_prepare flush;
    bool renewing;
    double renew_sent, last_ok; /* ev_now of the renew in flight, of the last good one's send */
    bool failing;
    size_t takeovers, lost, asked;
    long slots;        /* <slots>: 0, connect at once */
    long slot;         /* the slot held (1..slots), 0: none yet */
    bool slot_trying;  /* an acquire of a slot in flight */
    bool slot_waiting; /* "waiting for a slot" was logged */
} cl;

static const char *const known[] = {"instance", "lease-time", "heartbeat", "slots", NULL};

bool cluster_on(void)
{
    return cl.on;
}

static double now(void)
{
    return pv_loop() ? ev_now(pv_loop()) : 0.;
}

static const pv_store_t *store(void **h)
{
    const pv_store_t *st = pv_store(h);
    return st && PV_STORE_HAS(st, lease_acquire) && PV_STORE_HAS(st, occupants_load) ? st : NULL;
}

/* ---- configuration ---- */

static const char *backend_type(void)
{
    const pv_config_t *root = pv_config_root();
    const pv_config_t *b = root ? pv_el_child(root, NULL, "backend") : NULL;
    return b ? pv_config_str(b, "type", "sqlite") : "sqlite";
}

int cluster_configure(const pv_config_t *cfg)
{
    const pv_config_t *c = cfg ? pv_el_child(cfg, NULL, "cluster") : NULL;
    if (!c)
        return 0;
    if (pv_config_check_known(c, known, MUC) > 0)
        return -1;
    const char *inst = pv_config_str(c, "instance", NULL);
    if (!inst || !*inst || strlen(inst) > 200)
        return pv_config_error(c, MUC,
                               "<cluster> needs <instance>: a name (at most 200 bytes) unique "
                               "among the instances that share the database, e.g. "
                               "<instance>muc1</instance>");
    long lease = 0, beat = 0, slots = 0;
    if (pv_config_int(c, "slots", 0, 0, 1000, MUC, &slots) < 0 ||
        pv_config_int(c, "lease-time", 10, 2, 3600, MUC, &lease) < 0 ||
        pv_config_int(c, "heartbeat", lease / 3 > 0 ? lease / 3 : 1, 1, 1200, MUC, &beat) < 0)
        return -1;
    if (beat * 2 > lease)
        return pv_config_error(pv_el_child(c, NULL, "heartbeat"), MUC,
                               "<heartbeat> (%ld s) must be at most half of <lease-time> (%ld s), "
                               "so that a lease is renewed before it can expire",
                               beat, lease);
    void *h;
    if (!store(&h))
        return pv_config_error(c, MUC,
                               "<cluster> needs the pgsql backend (the instances share their "
                               "rooms through PostgreSQL), not '%s': set "
                               "<backend><type>pgsql</type>...</backend> or remove <cluster>",
                               backend_type());
    if (!(cl.instance = xstrdup(inst))) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory reading <cluster>");
        return -1;
    }
    cl.lease_s = lease;
    cl.heartbeat_s = beat;
    cl.slots = slots;
    if (slots)
        pv_connect_hold(); /* until a slot is ours (slot_try) */
    cl.on = true;
    map_init(&cl.held, false);
    map_init(&cl.crooms, false);
    return 0;
}

/* ---- occupant records ---- */

/* The writes of one flush. What was sent before them (a join's presences,
 * say) is held back until every one completed: durable before visible. */
typedef struct batch {
    uint64_t hold;    /* pv_output_hold's token, 0: none */
    unsigned pending; /* writes in flight, +1 while they are being issued */
} batch_t;

typedef struct put_ctx {
    batch_t *batch; /* shared, freed by the last one */
    char what[];    /* room/nick, for the log */
} put_ctx_t;

static void batch_unref(batch_t *b)
{
    if (b && --b->pending == 0) {
        pv_output_release(b->hold);
        free(b);
    }
}

static void put_done(int status, const char *error, void *ud)
{
    put_ctx_t *p = ud;
    if (status != PV_STORE_OK && cl.on)
        pv_log(status == PV_STORE_EBUSY ? PV_LOG_INFO : PV_LOG_WARN, MUC,
               "storing the live occupant %s failed: %s", p->what,
               status == PV_STORE_EBUSY ? "the room moved to another instance"
                                        : (error ? error : "unknown error"));
    batch_unref(p->batch);
    free(p);
}

/* Stores (text) or removes (NULL) the record of room/nick, as part of batch b
 * (may be NULL). */
static void put(batch_t *b, const char *room, const char *nick, const char *text)
{
    void *h;
    const pv_store_t *st = store(&h);
    size_t n = strlen(room) + strlen(nick) + 2;
    put_ctx_t *p = st ? malloc(sizeof *p + n) : NULL;
    if (!p) {
        if (st)
            pv_log(PV_LOG_ERROR, MUC, "out of memory storing occupant %s/%s", room, nick);
        return;
    }
    snprintf(p->what, n, "%s/%s", room, nick);
    p->batch = b;
    if (b)
        b->pending++;
    st->occupant_put(h, room, nick, text, put_done, p);
}

static void croom_free(croom_t *c)
{
    size_t i;
    for (map_entry_t *e = map_first(&c->recs, &i); e; e = map_next(&c->recs, e, &i))
        free(e->val);
    map_clear(&c->recs);
    free(c);
}

static croom_t *croom_get(const char *name, bool make)
{
    croom_t *c = map_get(&cl.crooms, name);
    if (c || !make)
        return c;
    size_t n = strlen(name) + 1;
    c = calloc(1, sizeof *c + n);
    if (!c)
        return NULL;
    memcpy(c->name, name, n);
    map_init(&c->recs, false);
    if (map_put(&cl.crooms, c->name, c) < 0) {
        free(c);
        return NULL;
    }
    return c;
}

/* The record of o as text (malloc'd), or NULL when out of memory. */
static char *record_text(const occupant_t *o)
{
    pv_el_t *e = restart_occupant_record(o);
    char *text = e ? pv_el_serialize(e, NULL) : NULL;
    pv_el_free(e);
    return text;
}

/* Writes what changed in c's room since its last flush. */
static void flush_room(croom_t *c, batch_t *b)
{
    room_t *r = c->forget ? NULL : rooms_get(c->name);
    size_t i;
    if (r) {
        for (occupant_t *o = r->first; o; o = o->next) {
            char *text = record_text(o);
            if (!text) {
                pv_log(PV_LOG_ERROR, MUC, "out of memory storing occupant %s/%s", r->jid, o->nick);
                continue;
            }
            char *old = map_get(&c->recs, o->nick);
            if (old && !strcmp(old, text)) {
                free(text);
                continue;
            }
            if (map_put(&c->recs, o->nick, text) < 0) {
                free(text);
                continue;
            }
            free(old);
            put(b, c->name, o->nick, text);
        }
    }
    /* records of nicks no longer in the room (all of them when it ended) */
    for (map_entry_t *e = map_first(&c->recs, &i); e;) {
        map_entry_t *next = map_next(&c->recs, e, &i);
        occupant_t *o = r ? occupant_by_nick(r, e->key) : NULL;
        if (!c->forget && (!o || strcmp(o->nick, e->key) != 0)) {
            put(b, c->name, e->key, NULL);
            free(map_del(&c->recs, e->key));
        }
        e = next;
    }
}

static void flush_all(void)
{
    batch_t *b = calloc(1, sizeof *b);
    if (b) {
        b->pending = 1;             /* until every write was issued */
        b->hold = pv_output_hold(); /* this iteration's stanzas wait for the writes */
    }
    for (size_t k = 0; k < cl.nmarked; k++) {
        croom_t *c = cl.marked[k];
        c->marked = false;
        flush_room(c, b);
        if (c->forget || !c->recs.count) {
            map_del(&cl.crooms, c->name);
            croom_free(c);
        }
    }
    cl.nmarked = 0;
    batch_unref(b); /* nothing written: what was held goes at once */
}

static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    if (cl.nmarked)
        flush_all();
}

void cluster_mark(const char *name)
{
    if (!cl.on || !cl.started || !name)
        return;
    croom_t *c = croom_get(name, true);
    if (!c || c->marked)
        return;
    if (cl.nmarked == cl.cap) {
        size_t cap = cl.cap ? cl.cap * 2 : 64;
        croom_t **m = realloc(cl.marked, cap * sizeof *m);
        if (!m) {
            pv_log(PV_LOG_ERROR, MUC, "out of memory: occupants of %s not stored", name);
            return;
        }
        cl.marked = m;
        cl.cap = cap;
    }
    c->marked = true;
    cl.marked[cl.nmarked++] = c;
}

/* The room leaves memory without its occupants leaving: nothing is written
 * for it any more (its records stay for the next owner). */
static void forget_records(const char *name)
{
    croom_t *c = croom_get(name, false);
    if (!c)
        return;
    if (c->marked) {
        c->forget = true; /* freed by the flush that has it in its list */
        return;
    }
    map_del(&cl.crooms, c->name);
    croom_free(c);
}

/* ---- restoring a room's occupants ---- */

typedef struct restore {
    char *name;
    void (*done)(void *ud);
    void *ud;
} restore_t;

static void restored(int status, const char *error, const pv_kv_t *occ, size_t n, void *ud)
{
    restore_t *rs = ud;
    room_t *r = muc && cl.on ? rooms_get(rs->name) : NULL;
    if (status != PV_STORE_OK) {
        pv_log(PV_LOG_WARN, MUC,
               "the live occupants of room %s could not be read (%s): they "
               "rejoin after XEP-0410 self-ping",
               rs->name, error ? error : "unknown error");
    } else if (r) {
        croom_t *c = croom_get(r->name, true);
        size_t back = 0;
        for (size_t i = 0; i < n; i++) {
            pv_el_t *e = pv_el_parse(occ[i].value, strlen(occ[i].value), NULL, 0);
            occupant_t *o = e ? restart_occupant_restore(r, e) : NULL;
            pv_el_free(e);
            char *copy = o && c ? xstrdup(occ[i].value) : NULL;
            if (copy && map_put(&c->recs, o->nick, copy) < 0)
                free(copy);
            back += o != NULL;
            if (!o || !copy)
                cluster_mark(r->name); /* the bad or stale record goes at the flush */
        }
        if (c && !c->recs.count && !c->marked) {
            map_del(&cl.crooms, c->name);
            croom_free(c);
        }
        if (n)
            pv_log(PV_LOG_INFO, MUC, "room %s: %zu of %zu live occupants restored", r->jid, back,
                   n);
        if (back)
            restart_check_connected(); /* are their clients still there? */
    }
    rs->done(rs->ud);
    free(rs->name);
    free(rs);
}

void cluster_restore(room_t *r, void (*done)(void *ud), void *ud)
{
    void *h;
    const pv_store_t *st = cl.on ? store(&h) : NULL;
    restore_t *rs = st ? calloc(1, sizeof *rs) : NULL;
    if (!rs || !(rs->name = xstrdup(r->name))) {
        free(rs);
        done(ud);
        return;
    }
    rs->done = done;
    rs->ud = ud;
    st->occupants_load(h, r->name, restored, rs);
}

static void stale_loaded(int status, const char *error, const pv_kv_t *occ, size_t n, void *ud)
{
    (void)error;
    char *name = ud;
    if (status == PV_STORE_OK && cl.on && muc && !rooms_get(name))
        for (size_t i = 0; i < n; i++)
            put(NULL, name, occ[i].key, NULL);
    free(name);
}

void cluster_forget_absent(const char *name)
{
    void *h;
    const pv_store_t *st = cl.on ? store(&h) : NULL;
    char *copy = st ? xstrdup(name) : NULL;
    if (copy) /* a temporary room of that name ended with its last owner */
        st->occupants_load(h, name, stale_loaded, copy);
}

/* ---- leases ---- */

static void released(int status, const char *error, void *ud)
{
    char *name = ud;
    if (status != PV_STORE_OK && cl.on)
        pv_log(PV_LOG_INFO, MUC, "giving room %s back failed (%s): it expires", name,
               error ? error : "unknown error");
    free(name);
}

static void release(const char *name)
{
    void *h;
    const pv_store_t *st = store(&h);
    char *copy = xstrdup(name); /* name may be the held entry's own key */
    free(map_del(&cl.held, name));
    if (st && copy)
        st->lease_release(h, copy, cl.instance, released, copy);
    else
        free(copy);
}

/* Takes the room out of memory without its occupants leaving, and gives
 * its lease back. */
static void drop(const char *name, const char *why)
{
    room_t *r = rooms_get(name);
    forget_records(name);
    rooms_absent_forget(name);
    if (r) {
        pv_log(PV_LOG_WARN, MUC, "room %s is no longer served here: %s", r->jid, why);
        pv_muc_room_event_t ev = {.room = r};
        pv_event_fire(ev_room_unloaded, &ev);
        rooms_remove_and_free(r, NULL);
    }
    release(name);
}

static void acq_unwait(acq_t *a)
{
    if (a->prev)
        a->prev->next = a->next;
    else if (cl.waiting == a)
        cl.waiting = a->next;
    if (a->next)
        a->next->prev = a->prev;
    a->prev = a->next = NULL;
}

static void acq_end(acq_t *a, bool ok)
{
    pv_timer_cancel(a->retry);
    a->done(ok, a->ud);
    free(a->name);
    free(a);
}

static void try_acquire(acq_t *a);

static void on_retry(pv_timer_t *t, void *ud)
{
    (void)t;
    acq_t *a = ud;
    acq_unwait(a);
    pv_timer_cancel(a->retry);
    a->retry = NULL;
    try_acquire(a);
}

static void asked_done(int status, const char *error, void *ud)
{
    (void)status;
    (void)error;
    (void)ud;
}

static void acquired(int status, const char *error, int64_t epoch, const char *holder, void *ud)
{
    acq_t *a = ud;
    if (!cl.on || !muc) {
        acq_end(a, false);
        return;
    }
    if (status == PV_STORE_OK) {
        lease_t *l = map_get(&cl.held, a->name);
        if (!l && (l = calloc(1, sizeof *l)) && map_put(&cl.held, a->name, l) < 0) {
            free(l);
            l = NULL;
        }
        if (!l) {
            pv_log(PV_LOG_ERROR, MUC, "out of memory holding room %s", a->name);
            acq_end(a, false);
            return;
        }
        if (a->tries > 1)
            cl.takeovers++;
        l->epoch = epoch;
        if (!cl.deadline_armed) { /* the first lease, or the first since a drop */
            pv_timer_set(cl.deadline, SAFE_PART * (double)cl.lease_s, 0.);
            cl.deadline_armed = true;
        }
        pv_log(PV_LOG_DEBUG, MUC, "room %s: lease taken (epoch %" PRId64 ")", a->name, epoch);
        acq_end(a, true);
        return;
    }
    if (status != PV_STORE_EBUSY || now() >= a->deadline) {
        pv_log(PV_LOG_WARN, MUC, "room %s cannot be served here: %s", a->name,
               status == PV_STORE_EBUSY ? "another instance still holds it"
                                        : (error ? error : "the lease could not be taken"));
        acq_end(a, false);
        return;
    }
    void *h;
    const pv_store_t *st = store(&h);
    if (st && holder && (a->tries - 1) % ASK_EVERY == 0) {
        pv_log(PV_LOG_INFO, MUC, "room %s is held by instance %s: asking for it", a->name, holder);
        st->lease_ask(h, a->name, holder, asked_done, NULL);
    }
    if (!(a->retry = pv_plugin_timer(muc_handle, RETRY_S, 0., on_retry, a))) {
        acq_end(a, false); /* out of memory (logged): as a lease that cannot be taken */
        return;
    }
    a->next = cl.waiting;
    if (cl.waiting)
        cl.waiting->prev = a;
    cl.waiting = a;
}

static void try_acquire(acq_t *a)
{
    void *h;
    const pv_store_t *st = store(&h);
    if (!st) {
        acq_end(a, false);
        return;
    }
    a->tries++;
    st->lease_acquire(h, a->name, cl.instance, (int)(cl.lease_s * 1000), acquired, a);
}

void cluster_acquire(const char *name, void (*done)(bool ok, void *ud), void *ud)
{
    if (!cl.on || map_get(&cl.held, name)) {
        done(true, ud);
        return;
    }
    acq_t *a = calloc(1, sizeof *a);
    if (!a || !(a->name = xstrdup(name))) {
        free(a);
        pv_log(PV_LOG_ERROR, MUC, "out of memory taking room %s", name);
        done(false, ud);
        return;
    }
    a->done = done;
    a->ud = ud;
    a->deadline = now() + (double)(cl.lease_s + 2 * cl.heartbeat_s);
    try_acquire(a);
}

/* ---- slots ---- */

static void slot_name(char *buf, size_t size, long k)
{
    snprintf(buf, size, ":slot:%ld", k);
}

static void slot_try_from(long k);

static void slot_answer(int status, const char *error, int64_t epoch, const char *holder, void *ud)
{
    (void)epoch;
    long k = (long)(intptr_t)ud;
    if (!cl.on || !muc)
        return;
    if (status == PV_STORE_OK) {
        cl.slot_trying = false;
        cl.slot = k;
        cl.slot_waiting = false;
        pv_log(PV_LOG_INFO, MUC, "cluster instance %s holds slot %ld of %ld: connecting",
               cl.instance, k, cl.slots);
        pv_connect_release();
        return;
    }
    if (status != PV_STORE_EBUSY) {
        cl.slot_trying = false;
        pv_log(PV_LOG_WARN, MUC, "taking a slot failed: %s", error ? error : "unknown error");
        return;
    }
    if (k < cl.slots) {
        slot_try_from(k + 1);
        return;
    }
    cl.slot_trying = false;
    if (!cl.slot_waiting)
        pv_log(PV_LOG_INFO, MUC,
               "cluster instance %s: all %ld slots are held (the last by %s): waiting as a "
               "standby",
               cl.instance, cl.slots, holder ? holder : "another instance");
    cl.slot_waiting = true;
}

static void slot_try_from(long k)
{
    void *h;
    const pv_store_t *st = store(&h);
    char name[32];
    if (!st)
        return;
    slot_name(name, sizeof name, k);
    cl.slot_trying = true;
    st->lease_acquire(h, name, cl.instance, (int)(cl.lease_s * 1000), slot_answer,
                      (void *)(intptr_t)k);
}

/* A lease the renewal lists as lost: our slot's, or a room's. */
static bool slot_lost(const char *name)
{
    char mine[32];
    if (!cl.slot)
        return false;
    slot_name(mine, sizeof mine, cl.slot);
    if (strcmp(name, mine) != 0)
        return name[0] == ':'; /* an older slot of ours: nothing to do */
    pv_log(PV_LOG_ERROR, MUC,
           "slot %ld went to another instance while this one was connected (our lease "
           "expired): two connections may now claim it; restart this instance",
           cl.slot);
    cl.slot = 0;
    return true;
}

/* ---- the heartbeat ---- */

static void drop_all(const char *why)
{
    size_t i;
    map_entry_t *e;
    while ((e = map_first(&cl.held, &i)))
        drop(e->key, why);
}

static void renewed(int status, const char *error, const char *const *lost, size_t nlost, void *ud)
{
    (void)ud;
    if (!cl.on || !muc)
        return;
    cl.renewing = false;
    if (status != PV_STORE_OK) {
        if (!cl.failing)
            pv_log(PV_LOG_WARN, MUC, "renewing the room leases failed: %s",
                   error ? error : "unknown error");
        cl.failing = true;
        return;
    }
    if (cl.failing)
        pv_log(PV_LOG_INFO, MUC, "room leases renewed again");
    cl.failing = false;
    cl.last_ok = cl.renew_sent;
    double left = cl.last_ok + SAFE_PART * (double)cl.lease_s - now();
    pv_timer_set(cl.deadline, left > 0. ? left : 0., 0.);
    cl.deadline_armed = true;
    for (size_t i = 0; i < nlost; i++) {
        if (slot_lost(lost[i]))
            continue;
        cl.lost++;
        drop(lost[i], "another instance took it after its lease expired");
    }
}

/* Leases of names neither in memory, nor being read, nor remembered absent
 * go back. */
static void release_unused(void)
{
    size_t i;
    for (map_entry_t *e = map_first(&cl.held, &i); e;) {
        map_entry_t *next = map_next(&cl.held, e, &i);
        if (!rooms_get(e->key) && !rooms_loading(e->key) && !rooms_known_absent(e->key))
            release(e->key);
        e = next;
    }
}

/* No renewal came through for SAFE_PART of a lease: the leases may expire
 * before we learn otherwise, so this instance stops serving first. */
static void on_deadline(pv_timer_t *t, void *ud)
{
    (void)t;
    (void)ud;
    cl.deadline_armed = false;
    drop_all("its lease could not be renewed in time (is PostgreSQL reachable?)");
}

static void on_beat(pv_timer_t *timer, void *ud)
{
    (void)timer;
    (void)ud;
    double t = now();
    release_unused();
    if (cl.slots && !cl.slot && !cl.slot_trying)
        slot_try_from(1); /* a standby: is a place free now? */
    void *h;
    const pv_store_t *st = store(&h);
    if (st && !cl.renewing) {
        cl.renewing = true;
        cl.renew_sent = t;
        st->lease_renew(h, cl.instance, (int)(cl.lease_s * 1000), renewed, NULL);
    }
}

/* Another instance wants the room: its occupants are stored, then it goes. */
static void on_asked(const char *name, void *ud)
{
    (void)ud;
    if (!cl.on || !muc || !map_get(&cl.held, name))
        return;
    room_t *r = rooms_get(name);
    if (rooms_loading(name) || (r && (r->pins || r->busy || pv_park_busy(NULL, r->jid))))
        return; /* busy now: the asker asks again */
    cl.asked++;
    croom_t *c = croom_get(name, false);
    if (c && c->marked)
        flush_room(c, NULL); /* written before the release, on the same connection */
    drop(name, "another instance asked for it");
}

int cluster_start(void)
{
    if (!cl.on)
        return 0;
    struct ev_loop *loop = pv_loop();
    void *h;
    const pv_store_t *st = store(&h);
    if (!loop || !st)
        return 0; /* a tool's run: no loop, nobody to serve */
    cl.last_ok = ev_now(loop);
    double every = (double)cl.heartbeat_s;
    cl.beat = pv_plugin_timer(muc_handle, every, every, on_beat, NULL);
    cl.deadline = pv_plugin_timer(muc_handle, -1., 0., on_deadline, NULL); /* see acquired */
    if (!cl.beat || !cl.deadline) {
        pv_timer_cancel(cl.beat);
        pv_timer_cancel(cl.deadline);
        cl.beat = cl.deadline = NULL;
        return -1; /* out of memory (logged) */
    }
    ev_prepare_init(&cl.flush, on_prepare);
    ev_prepare_start(loop, &cl.flush);
    st->lease_watch(h, cl.instance, on_asked, NULL);
    cl.started = true;
    if (cl.slots)
        slot_try_from(1);
    pv_log(PV_LOG_INFO, MUC, "cluster instance %s: leases of %ld s renewed every %ld s",
           cl.instance, cl.lease_s, cl.heartbeat_s);
    return 0;
}

void cluster_stats(pv_stats_t *st)
{
    if (!cl.on)
        return;
    pv_stats_add(st, "cluster-leases", NULL, "%u", cl.held.count);
    pv_stats_add(st, "cluster-takeovers", NULL, "%zu", cl.takeovers);
    pv_stats_add(st, "cluster-rooms-lost", NULL, "%zu", cl.lost);
    pv_stats_add(st, "cluster-rooms-given", NULL, "%zu", cl.asked);
}

void cluster_shutdown(void)
{
    if (!cl.on)
        return;
    struct ev_loop *loop = pv_loop();
    pv_timer_cancel(cl.beat);
    pv_timer_cancel(cl.deadline);
    if (cl.started && loop)
        ev_prepare_stop(loop, &cl.flush);
    flush_all(); /* the latest occupant state, for whoever serves the rooms next */
    cl.started = false;
    while (cl.waiting) {
        acq_t *a = cl.waiting;
        acq_unwait(a);
        acq_end(a, false);
    }
    /* every room goes back at once; its occupants stay stored (RESTART-1) */
    size_t i;
    map_entry_t *e;
    while ((e = map_first(&cl.crooms, &i))) {
        croom_t *c = e->val;
        map_del(&cl.crooms, c->name);
        croom_free(c);
    }
    while ((e = map_first(&cl.held, &i)))
        release(e->key);
    if (cl.slot) { /* a standby can take our place at once */
        char name[32];
        slot_name(name, sizeof name, cl.slot);
        release(name);
    }
    map_clear(&cl.held);
    map_clear(&cl.crooms);
    free(cl.marked);
    free(cl.instance);
    memset(&cl, 0, sizeof cl);
}
