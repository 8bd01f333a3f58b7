/*
 * plugins/history/loading.c: muc-core keeps in memory only the rooms in use,
 * loading a stored room on its first use and unloading it once idle
 * (palaver/muc.h's ROOM_LOADED and ROOM_UNLOADED). The discussion history
 * follows: when a room that logs is loaded its ring is filled from the
 * archive (archive_load_recent, one query); when it is unloaded its ring and
 * the room's other in-memory state go, the archive stays.
 *
 * Why joins are parked: sqlite, memory and spool answer the archive query
 * inside the call, so the ring is full before the stanza that made muc-core
 * load the room is handled. pgsql answers later, and the join muc-core
 * replays right after the load would find the ring still empty and get no
 * history. So while a ring's load is under way, a join to its room is parked
 * (palaver/router.h) under history_park_key(), by a hook that runs after
 * muc-core's room gate (900, which loads the room) and before its handlers
 * (0..10), and released when the query answers (a failed query releases too:
 * the join then gets no history, and the failure is logged). A join to a
 * logging room whose ring was never filled (muc-core loaded the rooms of
 * the occupants it restored at start before this plugin subscribed; or the
 * last load failed) starts the load the same way. Otherwise the hook costs
 * one lookup per available presence and returns.
 */
#include "history.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARK_PREFIX "history:"
#define PARK_PRIORITY 800 /* below muc-core's gate (900), above its handlers */

static pv_subscription_t *loaded_sub, *unloaded_sub;
static pv_hook_t *join_hook;

char *history_park_key(const char *room_jid)
{
    size_t len = sizeof PARK_PREFIX + strlen(room_jid);
    char *key = malloc(len);
    if (!key) {
        pv_log(PV_LOG_ERROR, HIST, "room %s: out of memory holding joins for its history",
               room_jid);
        return NULL;
    }
    snprintf(key, len, "%s%s", PARK_PREFIX, room_jid);
    return key;
}

void history_unpark(recent_t *r)
{
    r->parked = false;
    char *key = history_park_key(r->room);
    if (key) /* out of memory: the core answers them after its 10 s wait */
        pv_park_release(key);
    free(key);
}

/* Starts filling the ring of a room that logs from the archive, unless that
 * was done since the room came into memory. The ring, or NULL when the room
 * does not log (nothing archived: its ring is made by messages to come). */
static recent_t *fill_ring(const pv_muc_room_t *room)
{
    char buf[STORE_NAME_MAX];
    if (!archive_store_name(room, buf, sizeof buf))
        return NULL;
    recent_t *r = recent_get(muc_api->room_jid(room), true);
    size_t cap = history_room_length(room);
    if (!r || (r->cap < cap && recent_set_cap(r, cap) < 0))
        return NULL;
    if (!r->loaded)
        archive_load_recent(r, room, r->cap);
    return r;
}

/* A room that logs gets its ring filled now, before anyone joins. */
static pv_verdict_t on_room_loaded(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_room_event_t *re = payload;
    fill_ring(re->room);
    return PV_PASS;
}

/* The room leaves memory but stays stored: so does its archive. The
 * ROOM_DESTROYED that follows (actor NULL, persistent room) keeps it too. */
static pv_verdict_t on_room_unloaded(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_room_event_t *re = payload;
    recent_drop(muc_api->room_jid(re->room));
    retention_forget_room(muc_api->room_name(re->room));
    return PV_PASS;
}

/* An available presence from a session that is not in the room yet. */
static bool is_join(const pv_stanza_ctx_t *ctx, const pv_muc_room_t *room)
{
    return !*ctx->type && (!room || !muc_api->occupant_by_jid(room, ctx->from->full));
}

/* A join to a logging room whose ring was not filled since the room came
 * into memory: muc-core loaded it before this plugin followed the loads (the
 * rooms of the occupants restored at start), or the last load failed. The
 * load starts now; the ring, or NULL. */
static recent_t *fill_missed(const pv_stanza_ctx_t *ctx)
{
    pv_muc_room_t *room = muc_api->room_find(ctx->to->bare);
    if (!room || !is_join(ctx, room))
        return NULL;
    return fill_ring(room);
}

/* Joins wait while the room's ring loads; any presence to the room waits
 * behind parked ones, to keep the order in which they came. */
static pv_verdict_t park_join(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    bool available = !*ctx->type;
    if (!ctx->to->node || (!available && !archive_loads_pending()))
        return PV_PASS;
    recent_t *r = recent_get(ctx->to->bare, false);
    if ((!r || !r->loaded) && available)
        r = fill_missed(ctx);
    bool loading = r && r->loading;
    if (!loading && !(r && r->parked))
        return PV_PASS;
    char *key = history_park_key(ctx->to->bare);
    if (!key)
        return PV_PASS; /* the join goes on, without the history still loading */
    pv_verdict_t v = PV_PASS;
    if (pv_park_busy(ctx, key) || (loading && is_join(ctx, muc_api->room_find(ctx->to->bare)))) {
        v = pv_stanza_park(ctx, key);
        if (v == PV_AGAIN)
            r->parked = true;
    }
    free(key);
    return v;
}

int loading_start(void)
{
    pv_event_t *lev = pv_event(PV_MUC_EVENT_ROOM_LOADED);
    pv_event_t *uev = pv_event(PV_MUC_EVENT_ROOM_UNLOADED);
    loaded_sub = lev ? pv_event_subscribe(lev, 0, on_room_loaded, NULL, HIST) : NULL;
    unloaded_sub = uev ? pv_event_subscribe(uev, 0, on_room_unloaded, NULL, HIST) : NULL;
    join_hook =
        pv_hook_stanza(PV_KIND_PRESENCE, PV_TO_FULL, NULL, PARK_PRIORITY, park_join, NULL, HIST);
    if (!loaded_sub || !unloaded_sub || !join_hook) {
        pv_log(PV_LOG_ERROR, HIST, "cannot follow rooms being loaded (out of memory)");
        loading_stop();
        return -1;
    }
    return 0;
}

void loading_stop(void)
{
    if (loaded_sub)
        pv_event_unsubscribe(loaded_sub);
    if (unloaded_sub)
        pv_event_unsubscribe(unloaded_sub);
    pv_hook_remove(join_hook);
    loaded_sub = unloaded_sub = NULL;
    join_hook = NULL;
}
