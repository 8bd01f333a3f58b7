/*
 * plugins/history/room_retention.c (RETAIN-1): each room's owners choose
 * how long its history is kept, within the service's limit. The plugin adds
 * the field FIELD_VAR to the room's configuration form: a number of days,
 * 0 for no history at all, empty for as long as the service keeps it
 * (<max-age>, which also caps any longer value).
 *
 * - 0: the room's messages are neither archived (no MAM, no private join
 *   history) nor kept in the ring: nobody joining gets any history. They
 *   still get their stanza-id, and the disk logs (a separate, operator's
 *   choice) are not affected.
 * - N days: the join history sends nothing older; the room's archive is
 *   trimmed of older messages when the room comes into memory (or, for the
 *   rooms muc-core loaded before this plugin started, at their first join
 *   or archive query), when its configuration changes, and at most once an
 *   hour while people talk in it
 *   (the service-wide trimming of retention.c goes on as before).
 * A value that is not a number of days counts as empty (logged once per
 * room load at debug level).
 */
#include "history.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD_VAR "x-history#retention-days"
#define TRIM_EVERY_US (3600LL * 1000000) /* while messages come in */

static const pv_muc_extra_field_t field = {
    FIELD_VAR, "text-single",
    "Days the room's history is kept (0: none; empty: as long as the service keeps it)", ""};
static bool registered;
static long service_max_s; /* <max-age>: 0, no limit */
static pv_subscription_t *loaded_sub, *configured_sub;

long long room_retention_s(const pv_muc_room_t *room)
{
    const char *v = registered ? muc_api->room_config(room, FIELD_VAR) : NULL;
    long long keep = -1;
    if (v && *v) {
        char *end;
        errno = 0;
        long days = strtol(v, &end, 10);
        if (!*end && !errno && days >= 0 && days <= 36500)
            keep = (long long)days * 86400;
    }
    if (service_max_s && (keep < 0 || keep > service_max_s))
        keep = service_max_s;
    return keep;
}

static void trimmed(int status, const char *error, void *ud)
{
    char *name = ud;
    if (status != PV_STORE_OK && status != PV_STORE_ENOTFOUND)
        pv_log(PV_LOG_WARN, HIST, "room %s: trimming its history to its retention failed: %s", name,
               error ? error : "unknown error");
    free(name);
}

void room_retention_trim(const pv_muc_room_t *room)
{
    long long keep = room_retention_s(room);
    void *h;
    const pv_store_t *st = pv_store(&h);
    if (keep < 0 || !PV_STORE_HAS(st, archive_trim))
        return;
    char buf[STORE_NAME_MAX];
    const char *name = muc_api->room_name(room);
    int n = snprintf(buf, sizeof buf, "%s%s", name, RECENT_SUFFIX);
    const char *stores[2] = {name, n > 0 && (size_t)n < sizeof buf ? buf : NULL};
    /* keep 0: everything goes (before now + 1 s) */
    int64_t before = pv_now_us() - (int64_t)keep * 1000000 + (keep ? 0 : 1000000);
    for (int i = 0; i < 2; i++) {
        char *ud = stores[i] ? strdup(stores[i]) : NULL;
        if (ud)
            st->archive_trim(h, stores[i], before, 0, trimmed, ud);
    }
}

void room_retention_note_message(recent_t *r, const pv_muc_room_t *room)
{
    int64_t now = pv_now_us();
    if (!r || room_retention_s(room) <= 0 || now - r->retention_trimmed_us < TRIM_EVERY_US)
        return;
    r->retention_trimmed_us = now;
    room_retention_trim(room);
}

void room_retention_first_use(const pv_muc_room_t *room)
{
    recent_t *r = recent_get(muc_api->room_jid(room), true);
    if (!r || r->retention_trimmed_us || room_retention_s(room) < 0)
        return;
    r->retention_trimmed_us = pv_now_us();
    room_retention_trim(room); /* before the read that follows, on the same connection */
}

static pv_verdict_t on_room(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    const pv_muc_room_event_t *re = payload;
    if (re->room && room_retention_s(re->room) >= 0) {
        recent_t *r = recent_get(muc_api->room_jid(re->room), false);
        if (r)
            r->retention_trimmed_us = pv_now_us();
        room_retention_trim(re->room);
        if (room_retention_s(re->room) == 0)
            recent_drop(muc_api->room_jid(re->room)); /* nothing kept in memory either */
    }
    return PV_PASS;
}

int room_retention_start(long max_age_s)
{
    service_max_s = max_age_s;
    if (muc_api->register_config_field(&field) < 0) {
        pv_log(PV_LOG_ERROR, HIST, "cannot add the room's history retention field");
        return -1;
    }
    registered = true;
    loaded_sub = pv_event_subscribe(pv_event(PV_MUC_EVENT_ROOM_LOADED), 0, on_room, NULL, HIST);
    configured_sub =
        pv_event_subscribe(pv_event(PV_MUC_EVENT_ROOM_CONFIGURED), 0, on_room, NULL, HIST);
    if (!loaded_sub || !configured_sub) {
        pv_log(PV_LOG_ERROR, HIST, "cannot follow rooms for their history retention");
        return -1;
    }
    return 0;
}

void room_retention_stop(void)
{
    pv_event_unsubscribe(loaded_sub);
    pv_event_unsubscribe(configured_sub);
    loaded_sub = configured_sub = NULL;
    if (registered && muc_api)
        muc_api->unregister_config_field(&field);
    registered = false;
}
