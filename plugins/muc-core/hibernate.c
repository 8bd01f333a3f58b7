/*
 * hibernate.c (LAZY-1): stored rooms nobody is in leave memory again, so a
 * service's memory follows the rooms in use, not the rooms stored. Rooms are
 * kept in a list by last use (the room gate touches a room at each stanza;
 * newest first). A timer walks it from the oldest end: a stored, persistent
 * room without occupants, not locked, with no storage write in flight
 * (pinned) and no stanzas parked for it, unused for <hibernate-after>
 * seconds (default 300; 0: never), is unloaded: ROOM_UNLOADED fires, then
 * ROOM_DESTROYED with actor NULL, and it is freed; it stays stored and its
 * next stanza loads it again (room_load.c). <max-loaded-rooms> (default 0:
 * no cap) unloads the least recently used such rooms at once when a load or
 * a new room takes the count beyond it (and at the next tick for rooms
 * emptied meanwhile). Temporary rooms are never unloaded: they end
 * when their last occupant leaves. A room the walk finds busy (occupied,
 * pinned) counts as used now and goes back to the newest end, so each walk
 * stops at the first room that is recent enough.
 */
#include "muc_internal.h"
#include <ev.h>
#ifdef __GLIBC__
#include <malloc.h> /* malloc_trim */
#endif
#include <stdlib.h>

#define WALK_MAX 100000         /* rooms looked at per timer tick or cap check */
#define TRIM_AFTER_UNLOADS 1000 /* unloads after which free pages go back */

static room_t *head, *tail; /* newest, oldest */
static pv_timer_t *sweep;   /* the plugin's (muc_handle); NULL: off */
static bool held;
static size_t unloads_total;

size_t room_unloads_total(void)
{
    return unloads_total;
}

static double now(void)
{
    struct ev_loop *loop = pv_loop();
    return loop ? ev_now(loop) : 0.;
}

void rooms_lru_unlink(room_t *r)
{
    if (r->lru_prev)
        r->lru_prev->lru_next = r->lru_next;
    else if (head == r)
        head = r->lru_next;
    if (r->lru_next)
        r->lru_next->lru_prev = r->lru_prev;
    else if (tail == r)
        tail = r->lru_prev;
    r->lru_prev = r->lru_next = NULL;
}

void rooms_touch(room_t *r)
{
    r->last_used = now();
    if (head == r)
        return;
    rooms_lru_unlink(r);
    r->lru_next = head;
    if (head)
        head->lru_prev = r;
    head = r;
    if (!tail)
        tail = r;
}

void room_pin(room_t *r)
{
    r->pins++;
}

void room_unpin(const char *name)
{
    room_t *r = muc ? rooms_get(name) : NULL;
    if (r && r->pins && --r->pins == 0)
        pv_park_release(r->jid); /* what waited for the write goes on (room_load.c) */
}

static bool unloadable(const room_t *r)
{
    return r->stored && r->noccupants == 0 && !r->locked && !r->busy && !r->destroying &&
           !r->pins && room_cfg_bool(r, CF_PERSISTENT) && !pv_park_busy(NULL, r->jid);
}

static void unload(room_t *r)
{
    pv_muc_room_event_t ev = {.room = r};
    pv_event_fire(ev_room_unloaded, &ev);
    pv_log(PV_LOG_DEBUG, MUC, "room %s unloaded (unused)", r->jid);
    unloads_total++;
    rooms_remove_and_free(r, NULL); /* ROOM_DESTROYED, actor NULL: it stays stored */
}

static void trim(size_t unloaded)
{
    static size_t since; /* unloads since the last trim, over several walks */
    since += unloaded;
    if (since < TRIM_AFTER_UNLOADS)
        return;
    since = 0;
#ifdef __GLIBC__
    /* many rooms' small blocks went back to malloc: give the free pages to the system */
    malloc_trim(0);
#endif
}

/* Unloads from the oldest end while more(): rooms that cannot go are
 * touched (in use) and the walk goes on. Returns how many were unloaded. */
static size_t walk(bool (*more)(const room_t *oldest, double t), double t)
{
    size_t unloaded = 0;
    for (size_t steps = 0; tail && steps < WALK_MAX && more(tail, t); steps++) {
        room_t *r = tail;
        if (unloadable(r)) {
            unload(r);
            unloaded++;
        } else {
            rooms_touch(r);
        }
    }
    return unloaded;
}

static bool idle_since(const room_t *oldest, double t)
{
    return oldest->last_used <= t;
}

static bool over_cap(const room_t *oldest, double t)
{
    (void)oldest;
    (void)t;
    return muc->max_loaded > 0 && muc->rooms.count > (size_t)muc->max_loaded;
}

void rooms_enforce_cap(void)
{
    if (!muc || held || muc->max_loaded <= 0 || muc->rooms.count <= (size_t)muc->max_loaded)
        return;
    trim(walk(over_cap, 0.));
}

void rooms_hold(bool hold)
{
    held = hold;
    if (!hold)
        rooms_enforce_cap();
}

static void sweep_cb(pv_timer_t *t, void *ud)
{
    (void)t;
    (void)ud;
    if (!muc || held)
        return;
    if (muc->hibernate_after > 0)
        trim(walk(idle_since, now() - (double)muc->hibernate_after));
    rooms_enforce_cap(); /* rooms emptied since the last load may go now */
}

static void sweep_stop(void)
{
    pv_timer_cancel(sweep);
    sweep = NULL;
}

int hibernate_configure(const pv_config_t *cfg)
{
    long after = pv_key_int(muc_handle, cfg, "hibernate-after");
    long cap = pv_key_int(muc_handle, cfg, "max-loaded-rooms");
    muc->hibernate_after = after;
    muc->max_loaded = cap;
    sweep_stop();
    if (after > 0 || cap > 0) {
        /* a room goes at most a quarter of hibernate-after late; with only a
         * cap, the rooms emptied since the last load go within a second */
        double every = after > 0 ? (double)after / 4. : 1.;
        every = every < 0.25 ? 0.25 : every > 60. ? 60. : every;
        sweep = pv_plugin_timer(muc_handle, every, every, sweep_cb, NULL);
        if (!sweep)
            return -1;
    }
    rooms_enforce_cap();
    return 0;
}

void hibernate_shutdown(void)
{
    sweep_stop();
    head = tail = NULL; /* the rooms themselves are freed by rooms_free_all */
    held = false;
}
