/*
 * room-notices: the original Palaver's text notices (x-palaver#join, #leave,
 * #rename), a companion of muc-core: loaded with it unless <plugins> has
 * <room-notices enabled="false"/>. When a room's text is non-empty, an
 * occupant entering, leaving or changing nick makes the room send a
 * groupchat message from its bare JID with the body "<nick> <join text>",
 * "<nick> <leave text>" or "<old> <rename text> <new>": to every occupant
 * (the leaver excluded). The notice counts as sent on behalf of that
 * occupant, so each recipient goes through the DELIVER event (kind
 * "notice"), where game rooms hold it back from players. The three texts are
 * this plugin's rows of the owner's form, after x-palaver#privacy, stored
 * with the room under the keys join, leave and rename; turned off, the
 * stored texts stay and come back when it is turned on again.
 *
 * It uses muc-core's public API (palaver/muc.h) only.
 */
#include <palaver/muc.h>
#include <palaver/palaver.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "room-notices"
#define VAR_JOIN "x-palaver#join"
#define VAR_LEAVE "x-palaver#leave"
#define VAR_RENAME "x-palaver#rename"
/* The entries of pv_muc_api_t this plugin calls: all up to room_destroying. */
#define API_NEEDED (offsetof(pv_muc_api_t, room_destroying) + sizeof(void (*)(void)))

static const pv_muc_api_t *api;

static const pv_muc_config_row_t rows[] = {
    {.field = {.var = VAR_JOIN,
               .type = "text-single",
               .label = "Message for Users Joining the Room",
               .def = ""},
     .key = "join",
     .after = "x-palaver#privacy"},
    {.field = {.var = VAR_LEAVE,
               .type = "text-single",
               .label = "Message for Users Leaving the Room",
               .def = ""},
     .key = "leave",
     .after = VAR_JOIN},
    {.field = {.var = VAR_RENAME,
               .type = "text-single",
               .label = "Message for Users Changing Nickname",
               .def = ""},
     .key = "rename",
     .after = VAR_LEAVE},
};
#define NROWS (sizeof rows / sizeof rows[0])
static bool registered[NROWS];

/* "<a> <text>" or, with c, "<a> <text> <c>", sent from the room when its
 * text `var` is set, on behalf of `sender`, to everyone but `except`. */
static void notice(pv_muc_room_t *r, pv_muc_occupant_t *sender, const pv_muc_occupant_t *except,
                   const char *var, const char *a, const char *c)
{
    const char *text = api->room_config(r, var);
    if (!text || !*text || !a)
        return;
    size_t len = strlen(a) + 1 + strlen(text) + (c ? 1 + strlen(c) : 0) + 1;
    char *body = malloc(len);
    pv_el_t *m = body ? pv_el_new(PV_NS_STANZA, "message") : NULL;
    if (body)
        snprintf(body, len, "%s %s%s%s", a, text, c ? " " : "", c ? c : "");
    if (!m || pv_el_set_attr(m, "from", api->room_jid(r)) < 0 ||
        pv_el_set_attr(m, "type", "groupchat") < 0 ||
        !pv_el_add_text_child(m, PV_NS_STANZA, "body", body))
        pv_log(PV_LOG_ERROR, NAME, "room %s: out of memory building a notice", api->room_jid(r));
    else
        api->room_notice(r, m, sender, except);
    pv_el_free(m);
    free(body);
}

static pv_verdict_t on_joined(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_occupant_event_t *oe = payload;
    pv_muc_occupant_t *o = oe->occupant;
    if (o)
        notice(oe->room, o, NULL, VAR_JOIN, api->occupant_nick(o), NULL);
    return PV_PASS;
}

static pv_verdict_t on_left(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_occupant_event_t *oe = payload;
    pv_muc_occupant_t *o = oe->occupant;
    if (!o || api->room_destroying(oe->room)) /* a destroyed room says nothing more */
        return PV_PASS;
    notice(oe->room, o, o, VAR_LEAVE, api->occupant_nick(o), NULL);
    return PV_PASS;
}

static pv_verdict_t on_nick_changed(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_occupant_event_t *oe = payload;
    pv_muc_occupant_t *o = oe->occupant;
    if (o && oe->old_nick)
        notice(oe->room, o, NULL, VAR_RENAME, oe->old_nick, api->occupant_nick(o));
    return PV_PASS;
}

static void notices_shutdown(void *state)
{
    (void)state;
    for (size_t i = 0; i < NROWS; i++)
        if (registered[i] && api)
            api->unregister_config_field(&rows[i].field);
    memset(registered, 0, sizeof registered);
}

/* The subscriptions go with the handle. */
static int notices_start(pv_plugin_handle_t *h, const pv_config_t *cfg, void **state)
{
    (void)cfg;
    *state = NULL;
    api = pv_muc_api();
    if (!api || api->size < API_NEEDED) {
        pv_log(PV_LOG_ERROR, NAME,
               "muc-core is missing or too old (it needs room_notice, "
               "palaver/muc.h's PV_MUC_API_ROOM_NOTICE)");
        return -1;
    }
    for (size_t i = 0; i < NROWS; i++) {
        if (api->register_config_row(&rows[i], sizeof rows[i]) < 0) {
            notices_shutdown(NULL);
            return -1;
        }
        registered[i] = true;
    }
    pv_event_t *jev = pv_event(PV_MUC_EVENT_JOINED), *lev = pv_event(PV_MUC_EVENT_LEFT),
               *nev = pv_event(PV_MUC_EVENT_NICK_CHANGED);
    /* after every other subscriber: the notice follows what they send */
    if (!jev || !lev || !nev || !pv_plugin_subscribe(h, jev, -100, on_joined, NULL) ||
        !pv_plugin_subscribe(h, lev, -100, on_left, NULL) ||
        !pv_plugin_subscribe(h, nev, -100, on_nick_changed, NULL)) {
        pv_log(PV_LOG_ERROR, NAME, "cannot subscribe the join/leave/rename notices");
        notices_shutdown(NULL);
        return -1;
    }
    return 0;
}

static const char *const requires[] = {"muc-core", NULL};
static const pv_config_key_t config_keys[] = {{.type = PV_KEY_END}};

PV_PLUGIN_DEFINE(room_notices) = {
    .abi_major = PV_ABI_MAJOR,
    .abi_minor = PV_ABI_MINOR,
    .name = "room-notices",
    .version = "1.0",
    .requires = requires,
    .shutdown = notices_shutdown,
    .config_keys = config_keys,
    .start = notices_start,
};
