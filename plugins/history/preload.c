/*
 * plugins/history/preload.c: at start-up, before the component serves, fills
 * the in-memory history of every stored room that logs from the archive (one
 * archive_query per room, newest first), so that the first join after a
 * restart gets the history even when the backend answers asynchronously
 * (pgsql). muc-core has loaded the stored rooms in its init, which runs
 * before ours. Rooms the load misses are still refilled lazily at their first
 * join (history_request.c). Nothing here owns memory beyond the rings, which
 * recent.c owns.
 */
#include "history.h"
#include <ev.h>

static bool listing;

static void listed(int status, const char *error, const char *const *names, size_t n, void *ud)
{
    (void)ud;
    listing = false;
    if (status != PV_STORE_OK) {
        pv_log(PV_LOG_WARN, HIST, "listing stored rooms to preload their history failed: %s",
               error ? error : "unknown error");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        pv_muc_room_t *room = muc_api->room_find(names[i]);
        if (!room || !muc_api->room_config_bool(room, "muc#roomconfig_enablelogging"))
            continue;
        recent_t *r = recent_get(muc_api->room_jid(room), true);
        size_t cap = history_room_length(room);
        if (!r || (r->cap < cap && recent_set_cap(r, cap) < 0) || r->loaded)
            continue;
        archive_load_recent(r, room, r->cap);
    }
}

static void expired_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    *(bool *)w->data = true;
}

void history_preload(double timeout)
{
    void *h;
    const pv_store_t *st = pv_store(&h);
    if (!st || !st->room_list || !st->archive_query)
        return;
    listing = true;
    st->room_list(h, listed, NULL);
    struct ev_loop *loop = pv_loop();
    if (!loop)
        return;
    bool expired = false;
    ev_timer t;
    ev_timer_init(&t, expired_cb, timeout, 0.);
    t.data = &expired;
    ev_timer_start(loop, &t);
    while ((listing || recent_any_loading()) && !expired)
        ev_run(loop, EVRUN_ONCE);
    ev_timer_stop(loop, &t);
    if (expired)
        pv_log(PV_LOG_WARN, HIST,
               "the archive did not deliver the rooms' history within %.0f s; "
               "the rest loads at each room's first join",
               timeout);
}
