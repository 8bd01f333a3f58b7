/*
 * tests/disco/roominfo-contrib.c: a plugin that contributes to the
 * muc#roominfo form through palaver/disco_extended.h, as game-rooms or a
 * site plugin would. Built out of tree by test_roominfo.py. It adds a field
 * of its own (the room's node, read through muc-core's lookups) and
 * replaces the standard muc#roominfo_lang field.
 */
#include <palaver/disco_extended.h>
#include <palaver/muc.h>
#include <palaver/palaver.h>

static pv_subscription_t *sub;

static pv_verdict_t add_fields(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_roominfo_event_t *ri = payload;
    const pv_muc_api_t *api = pv_muc_api();
    if (!api || !pv_dataform_add(ri->form, "x-example#node", "text-single", "Room node",
                                 api->room_name(ri->room)))
        pv_log(PV_LOG_ERROR, "roominfo-contrib", "cannot add x-example#node");
    if (!pv_dataform_set(ri->form, "muc#roominfo_lang", "text-single", NULL, "tlh"))
        pv_log(PV_LOG_ERROR, "roominfo-contrib", "cannot replace muc#roominfo_lang");
    return PV_PASS;
}

static int init(const pv_config_t *cfg, void **state)
{
    (void)cfg;
    *state = NULL;
    pv_event_t *ev = pv_event(PV_DISCO_EXT_EVENT_ROOMINFO);
    sub = ev ? pv_event_subscribe(ev, 0, add_fields, NULL, "roominfo-contrib") : NULL;
    return sub ? 0 : -1;
}

static void shutdown_(void *state)
{
    (void)state;
    pv_event_unsubscribe(sub);
}

static const char *const requires[] = {"muc-core", NULL};

PV_PLUGIN_DEFINE(roominfo_contrib) = {
    .abi_major = PV_ABI_MAJOR,
    .abi_minor = PV_ABI_MINOR,
    .name = "roominfo-contrib",
    .version = "1.0",
    .requires = requires,
    .init = init,
    .shutdown = shutdown_,
};
