/*
 * tests/muc/probe.c: a test plugin that uses muc-core's SDK (palaver/muc.h)
 * the way history and game-rooms will: it fills the history slot of a join,
 * vetoes a join by nick, annotates or vetoes a broadcast message, takes a
 * message "take" (message_take) and sends it itself with the room's next
 * message (room_broadcast), and reads rooms and occupants through the
 * pv_muc_api() table. Loaded only by tests/muc/test_sdk_events.py.
 */
#include <palaver/muc.h>
#include <palaver/palaver.h>
#include <stdio.h>
#include <string.h>

#define NS_PROBE "urn:palaver:test:probe"

static const pv_muc_api_t *api;
static pv_subscription_t *subs[3];
/* The message taken from its MESSAGE event, sent before the room's next one. */
static pv_el_t *held;
static char held_room[512];

static pv_verdict_t on_history(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_history_event_t *h = payload;
    pv_el_t *m = pv_el_new(NULL, "message");
    if (!m)
        return PV_PASS;
    pv_el_set_attrf(m, "from", "%s/probe", api->room_jid(h->room));
    pv_el_set_attr(m, "to", h->to);
    pv_el_set_attr(m, "type", "groupchat");
    char body[256];
    snprintf(body, sizeof body, "history for %s (%s, %zu here)", api->occupant_nick(h->occupant),
             h->history ? "asked" : "default", api->room_occupant_count(h->room));
    pv_el_add_text_child(m, NULL, "body", body);
    pv_send(m);
    pv_el_free(m);
    return PV_PASS;
}

static pv_verdict_t on_pre_join(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_occupant_event_t *o = payload;
    if (strcmp(o->nick, "vetoed") == 0) {
        o->err_type = "cancel";
        o->err_condition = "not-allowed";
        o->err_text = "vetoed by the probe";
        return PV_ERROR;
    }
    return PV_PASS;
}

static pv_verdict_t on_message(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_message_event_t *m = payload;
    if (held && strcmp(held_room, api->room_jid(m->room)) == 0) {
        api->room_broadcast(m->room, held);
        pv_el_free(held);
        held = NULL;
    }
    const char *body = pv_el_child_text(m->message, PV_NS_STANZA, "body");
    /* "take": muc-core reflects nothing of it; a second take gets NULL */
    const char *again = NULL;
    if (body && strcmp(body, "take") == 0 && !held && (held = api->message_take(m))) {
        snprintf(held_room, sizeof held_room, "%s", api->room_jid(m->room));
        again = api->message_take(m) ? "message" : "null";
    }
    if (body && strcmp(body, "veto") == 0) {
        m->err_type = "modify";
        m->err_condition = "not-acceptable";
        m->err_text = "the probe refuses this message";
        return PV_ERROR;
    }
    if (body && strcmp(body, "only first") == 0)
        for (size_t i = 1; i < m->nrecipients; i++)
            api->message_skip(m, i);
    pv_el_t *p = pv_el_add(m->message, NS_PROBE, "probe");
    if (p) {
        pv_el_set_attr(p, "sender", api->occupant_nick(m->sender));
        pv_el_set_attr(p, "role", api->role_name(api->occupant_role(m->sender)));
        pv_el_set_attr(p, "aff", api->aff_name(api->occupant_affiliation(m->sender)));
        pv_el_set_attr(p, "name", api->room_config(m->room, "muc#roomconfig_roomname"));
        if (again)
            pv_el_set_attr(p, "taken-again", again);
    }
    return PV_PASS;
}

static int probe_init(const pv_config_t *cfg, void **state)
{
    (void)cfg;
    *state = NULL;
    api = pv_muc_api();
    if (!api || api->size < sizeof *api) {
        pv_log(PV_LOG_ERROR, "muc-probe", "muc-core's api table is missing");
        return -1;
    }
    subs[0] =
        pv_event_subscribe(pv_event(PV_MUC_EVENT_SEND_HISTORY), 0, on_history, NULL, "muc-probe");
    subs[1] =
        pv_event_subscribe(pv_event(PV_MUC_EVENT_PRE_JOIN), 0, on_pre_join, NULL, "muc-probe");
    subs[2] = pv_event_subscribe(pv_event(PV_MUC_EVENT_MESSAGE), 0, on_message, NULL, "muc-probe");
    return subs[0] && subs[1] && subs[2] ? 0 : -1;
}

static void probe_shutdown(void *state)
{
    (void)state;
    for (int i = 0; i < 3; i++)
        pv_event_unsubscribe(subs[i]);
    pv_el_free(held);
    held = NULL;
}

static const char *const probe_requires[] = {"muc-core", NULL};

PV_PLUGIN_DEFINE(muc_probe) = {
    .abi_major = PV_ABI_MAJOR,
    .abi_minor = PV_ABI_MINOR,
    .name = "muc-probe",
    .version = "1",
    .requires = probe_requires,
    .init = probe_init,
    .shutdown = probe_shutdown,
};
