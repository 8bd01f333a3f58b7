/*
 * plugin.c: disco-extended's descriptor. It subscribes to the core's
 * PV_EVENT_DISCO_INFO, which fires for every disco#info answer being built:
 * for the service itself (subject NULL) it appends the operator's forms
 * (serverinfo.c); for a room answered by muc-core (subject = the room) the
 * muc#roominfo form (roominfo.c). Settings are re-read on SIGHUP; a bad new
 * config keeps the old settings.
 *
 * muc-core is optional: without it only the service's forms exist. Its
 * lookup table is fetched per request (one event fire), so the load order of
 * the two plugins does not matter.
 */
#include <stdlib.h>
#include <string.h>

#include "disco_ext.h"

typedef struct state {
    settings_t *settings;
    pv_plugin_handle_t *h; /* its subscriptions end after dx_shutdown */
} state_t;

/* True when the answer is about the room muc-core handed us as subject. */
static pv_muc_room_t *room_of(const pv_disco_info_t *info, const pv_muc_api_t **api)
{
    if (!info->subject || !info->target || !info->target->node || info->target->resource)
        return NULL;
    *api = pv_muc_api();
    if (!*api)
        return NULL;
    pv_muc_room_t *room = (*api)->room_find(info->target->bare);
    return room == info->subject ? room : NULL;
}

static bool is_service(const pv_disco_info_t *info)
{
    return !info->subject && info->target && !info->target->node &&
           strcmp(info->target->domain, pv_service_domain()) == 0;
}

static pv_verdict_t on_disco_info(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    state_t *st = ud;
    pv_disco_info_t *info = payload;
    if (!info || !info->query || info->node)
        return PV_PASS;
    const pv_muc_api_t *api = NULL;
    pv_muc_room_t *room = NULL;
    int rc = 0;
    const char *what = NULL;
    if (is_service(info)) {
        rc = dx_serverinfo_add(st->settings, info->query);
        what = info->target->bare;
    } else if ((room = room_of(info, &api))) {
        rc = dx_roominfo_add(st->settings, api, room, info->requester, info->query);
        what = api->room_jid(room);
    }
    if (rc < 0)
        pv_log(PV_LOG_ERROR, DX, "out of memory extending the disco#info of %s for %s", what,
               info->requester ? info->requester->full : "(unknown)");
    return PV_PASS;
}

#ifdef PV_MUC_EVENT_DISCO_ITEM
static pv_verdict_t on_disco_item(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    state_t *st = ud;
    pv_muc_disco_item_event_t *it = payload;
    const pv_muc_api_t *api = pv_muc_api();
    if (st->settings->items_form && api && it && it->room && it->item &&
        dx_roominfo_item_form(api, it->room, it->item) < 0)
        pv_log(PV_LOG_ERROR, DX, "out of memory adding the form to the disco#items entry of %s",
               api->room_jid(it->room));
    return PV_PASS;
}
#endif

static void dx_shutdown(void *state);

static int dx_start(pv_plugin_handle_t *h, const pv_config_t *cfg, void **state)
{
    state_t *st = calloc(1, sizeof *st);
    if (!st) {
        pv_log(PV_LOG_ERROR, DX, "out of memory at start-up");
        return -1;
    }
    *state = st;
    st->h = h;
    if (!(st->settings = dx_settings_parse(h, cfg)))
        goto fail;
    pv_event_t *ev = pv_event(PV_EVENT_DISCO_INFO);
    if (!ev || !pv_plugin_subscribe(h, ev, 0, on_disco_info, st)) {
        pv_log(PV_LOG_ERROR, DX, "cannot subscribe to %s", PV_EVENT_DISCO_INFO);
        goto fail;
    }
#ifdef PV_MUC_EVENT_DISCO_ITEM
    ev = pv_event(PV_MUC_EVENT_DISCO_ITEM);
    if (!ev || !pv_plugin_subscribe(h, ev, 0, on_disco_item, st)) {
        pv_log(PV_LOG_ERROR, DX, "cannot subscribe to %s", PV_MUC_EVENT_DISCO_ITEM);
        goto fail;
    }
#else
    if (st->settings->items_form)
        pv_log(PV_LOG_WARN, DX,
               "%s: <items-form> has no effect: this muc-core does not let "
               "plugins extend its disco#items entries",
               pv_config_file());
#endif
    return 0;
fail:
    dx_shutdown(st);
    *state = NULL;
    return -1;
}

static int dx_reconfigure(void *state, const pv_config_t *cfg)
{
    state_t *st = state;
    settings_t *s = dx_settings_parse(st->h, cfg);
    if (!s) {
        pv_log(PV_LOG_ERROR, DX, "keeping the previous settings");
        return -1;
    }
    dx_settings_free(st->settings);
    st->settings = s;
    return 0;
}

static void dx_shutdown(void *state)
{
    state_t *st = state;
    if (!st)
        return;
    dx_settings_free(st->settings);
    free(st);
}

PV_PLUGIN_DEFINE(disco_extended) = {
    .abi_major = PV_ABI_MAJOR,
    .abi_minor = PV_ABI_MINOR,
    .name = "disco-extended",
    .version = "1.0",
    .requires = NULL,
    .reconfigure = dx_reconfigure,
    .connected = NULL,
    .shutdown = dx_shutdown,
    .config_keys = dx_config_keys,
    .start = dx_start,
};
