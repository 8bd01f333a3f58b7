/*
 * voice-requests: a visitor asks for voice (XEP-0045 section 7.13) with a
 * muc#request form; every moderator's sessions get the approval form (its
 * field types those of XEP-0045's muc#request registry); a moderator who
 * submits it back with muc#request_allow true grants the occupant the
 * participant role, which is broadcast. A companion of muc-core: loaded
 * with it unless <plugins> has <voice-requests enabled="false"/>.
 *
 * Whether a room takes requests stays the owner's choice in muc-core's form
 * (muc#roomconfig_allowvoicerequests), and how often one may ask stays
 * muc-core's <throttle><voice-request/> (LIMIT-1), reached through
 * pv_muc_api_t's throttle. Turned off, rooms do not advertise muc#request
 * and a request reaches nobody (muc-core answers it service-unavailable);
 * the rooms' settings stay.
 *
 * The hook runs after muc-core's loading gate (priority 900) and before its
 * handler of messages to the room (0); it takes only messages that carry a
 * muc#request form and leaves the rest, invitations included, to muc-core.
 *
 * It uses muc-core's public API (palaver/muc.h) only.
 */
#include <palaver/muc.h>
#include <palaver/palaver.h>
#include <stddef.h>
#include <string.h>

#define NAME "voice-requests"
#define NS_MUC_REQUEST "http://jabber.org/protocol/muc#request"
#define NS_MUC_USER "http://jabber.org/protocol/muc#user"
#define VAR_ALLOW_REQUESTS "muc#roomconfig_allowvoicerequests"
/* after muc-core's loading gate (900), before its room message handler (0) */
#define HOOK_PRIORITY 100
/* The entries of pv_muc_api_t this plugin calls: all up to throttle. */
#define API_NEEDED (offsetof(pv_muc_api_t, throttle) + sizeof(void (*)(void)))

static const pv_muc_api_t *api;

/* The one role a visitor can ask for, offered as the list-single's option
 * so that a client shows the value it is asked to approve. */
static bool add_role_field(pv_el_t *x)
{
    pv_el_t *f = pv_form_add_field(x, "muc#role", "list-single", "Requested role", "participant");
    return f && pv_form_add_option(f, "Participant", "participant");
}

static void ask_moderators(pv_muc_room_t *r, pv_muc_occupant_t *o)
{
    pv_el_t *m = pv_el_new(PV_NS_STANZA, "message");
    pv_el_t *x = m && pv_el_set_attr(m, "from", api->room_jid(r)) == 0
                     ? pv_form_new(m, "form", NS_MUC_REQUEST, "Voice request",
                                   "To approve this request for voice, select the \"Grant voice "
                                   "to this person?\" checkbox and submit this form.")
                     : NULL;
    if (!x || !add_role_field(x) ||
        !pv_form_add_field(x, "muc#jid", "jid-single", "User ID", api->occupant_full_jid(o)) ||
        !pv_form_add_field(x, "muc#roomnick", "text-single", "Room Nickname",
                           api->occupant_nick(o)) ||
        !pv_form_add_field(x, "muc#request_allow", "boolean", "Grant voice to this person?",
                           "false"))
        pv_log(PV_LOG_ERROR, NAME, "room %s: out of memory asking the moderators for voice",
               api->room_jid(r));
    else
        api->room_broadcast_role(r, m, PV_MUC_ROLE_MODERATOR);
    pv_el_free(m);
}

/* A moderator's approval form: voice for the occupant it names. */
static pv_verdict_t approve(pv_stanza_ctx_t *ctx, pv_muc_room_t *r, const pv_el_t *form)
{
    if (pv_form_bool(form, "muc#request_allow", 0) != 1)
        return PV_HANDLED; /* denied: nothing to do */
    const char *nick = pv_form_value(form, "muc#roomnick");
    pv_muc_occupant_t *t = nick ? api->occupant_by_nick(r, nick) : NULL;
    if (!t)
        return pv_stanza_fail(ctx, "cancel", "item-not-found",
                              "The occupant who asked for voice is no longer in the room");
    if (api->occupant_role(t) == PV_MUC_ROLE_VISITOR &&
        api->occupant_role_set(t, PV_MUC_ROLE_PARTICIPANT) < 0)
        pv_log(PV_LOG_ERROR, NAME, "room %s: voice for %s not granted", api->room_jid(r), nick);
    return PV_HANDLED;
}

static pv_verdict_t request_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    if (!strcmp(ctx->type, "error") || !ctx->to->node)
        return PV_PASS;
    pv_el_t *form = pv_form_find(ctx->stanza, NS_MUC_REQUEST);
    pv_el_t *x = pv_el_child(ctx->stanza, NS_MUC_USER, "x");
    if (!form ||
        (x && (pv_el_child(x, NS_MUC_USER, "invite") || pv_el_child(x, NS_MUC_USER, "decline"))))
        return PV_PASS; /* muc-core's: invitations come first */
    pv_muc_room_t *r = api->room_find(ctx->to->node);
    pv_muc_occupant_t *o = r ? api->occupant_by_jid(r, ctx->from->full) : NULL;
    if (!r || (api->room_locked(r) && !o))
        return PV_PASS; /* muc-core answers: no such room */
    if (!o)
        return pv_stanza_fail(ctx, "modify", "not-acceptable",
                              "Only occupants may request voice; join the room first");
    pv_muc_role_t role = api->occupant_role(o);
    const char *type = pv_el_attr(form, "type");
    if (type && !strcmp(type, "submit") && role == PV_MUC_ROLE_MODERATOR)
        return approve(ctx, r, form);
    if (role != PV_MUC_ROLE_VISITOR || !api->room_config_bool(r, VAR_ALLOW_REQUESTS))
        return pv_stanza_fail(ctx, "modify", "not-acceptable",
                              role == PV_MUC_ROLE_VISITOR
                                  ? "This room does not accept voice requests"
                                  : "You already have voice in this room");
    pv_verdict_t t = api->throttle(ctx, "voice-request", r); /* LIMIT-1 */
    if (t != PV_PASS)
        return t;
    ask_moderators(r, o);
    return PV_HANDLED;
}

/* Rooms advertise muc#request while this plugin is loaded. */
static pv_verdict_t on_disco_feature(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_disco_info_t *info = payload;
    if (info->node || !info->target || !info->target->node || info->target->resource)
        return PV_PASS;
    pv_muc_room_t *r = api->room_find(info->target->node);
    if (r && (void *)r == info->subject)
        pv_disco_query_feature(info->query, NS_MUC_REQUEST);
    return PV_PASS;
}

/* The hook and subscription go with the handle. */
static int voice_start(pv_plugin_handle_t *h, const pv_config_t *cfg, void **state)
{
    (void)cfg;
    *state = NULL;
    api = pv_muc_api();
    if (!api || api->size < API_NEEDED) {
        pv_log(PV_LOG_ERROR, NAME,
               "muc-core is missing or too old (it needs occupant_role_set, "
               "palaver/muc.h's PV_MUC_API_ROLE_SET)");
        return -1;
    }
    pv_event_t *dev = pv_event(PV_EVENT_DISCO_INFO);
    if (!dev ||
        !pv_plugin_hook_stanza(h, PV_KIND_MESSAGE, PV_TO_BARE, NULL, HOOK_PRIORITY, request_handler,
                               NULL) ||
        !pv_plugin_subscribe(h, dev, 10, on_disco_feature, NULL)) {
        pv_log(PV_LOG_ERROR, NAME, "cannot register voice requests (out of memory)");
        return -1;
    }
    return 0;
}

static const char *const requires[] = {"muc-core", NULL};
static const pv_config_key_t config_keys[] = {{.type = PV_KEY_END}};

PV_PLUGIN_DEFINE(voice_requests) = {
    .abi_major = PV_ABI_MAJOR,
    .abi_minor = PV_ABI_MINOR,
    .name = "voice-requests",
    .version = "1.0",
    .requires = requires,
    .config_keys = config_keys,
    .start = voice_start,
};
