/*
 * notices.c: the original Palaver's text notices (x-palaver#join, #leave,
 * #rename). When a room's text is non-empty, an occupant entering, leaving
 * or changing nick makes the room send a groupchat message from its bare JID
 * with the body "<nick> <join text>", "<nick> <leave text>" or
 * "<old> <rename text> <new>": to every occupant (the leaver excluded). The
 * notice counts as sent on behalf of that occupant, so each recipient goes
 * through the DELIVER event (kind "notice"), where game rooms hold it back
 * from players. Driven by muc-core's own JOINED, LEFT and NICK_CHANGED events.
 */
#include "muc_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pv_subscription_t *subs[3];

static bool not_except(const occupant_t *o, void *except)
{
    return o != except;
}

/* Sends `body` from the room to every occupant but `except`, each one that
 * the DELIVER event lets receive a notice on behalf of `sender`. */
static void notice_send(room_t *r, occupant_t *sender, const occupant_t *except, const char *body)
{
    pv_el_t *m = pv_el_new(PV_NS_STANZA, "message");
    if (!m || pv_el_set_attr(m, "from", r->jid) < 0 || pv_el_set_attr(m, "type", "groupchat") < 0 ||
        !pv_el_add_text_child(m, PV_NS_STANZA, "body", body)) {
        pv_log(PV_LOG_ERROR, MUC, "room %s: out of memory building a notice", r->jid);
        pv_el_free(m);
        return;
    }
    pv_prepared_t *p = pv_prepare(m);
    if (!p) {
        pv_log(PV_LOG_ERROR, MUC, "room %s: cannot serialise a notice", r->jid);
        pv_el_free(m);
        return;
    }
    room_broadcast(
        r, m, p,
        &(bcast_t){.want = not_except, .ud = (void *)except, .sender = sender, .kind = "notice"});
    pv_prepared_free(p);
    pv_el_free(m);
}

/* "<a> <text>" or, with c, "<a> <text> <c>", sent when the room's text is set. */
static void notice(room_t *r, occupant_t *sender, const occupant_t *except, int field,
                   const char *a, const char *c)
{
    const char *text = room_cfg(r, field);
    if (!text || !*text || !a)
        return;
    size_t len = strlen(a) + 1 + strlen(text) + (c ? 1 + strlen(c) : 0) + 1;
    char *body = malloc(len);
    if (body)
        snprintf(body, len, "%s %s%s%s", a, text, c ? " " : "", c ? c : "");
    if (!body) {
        pv_log(PV_LOG_ERROR, MUC, "room %s: out of memory building a notice", r->jid);
        return;
    }
    notice_send(r, sender, except, body);
    free(body);
}

static pv_verdict_t on_joined(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_occupant_event_t *oe = payload;
    occupant_t *o = oe->occupant;
    if (o)
        notice(o->room, o, NULL, CF_JOIN_TEXT, o->nick, NULL);
    return PV_PASS;
}

static pv_verdict_t on_left(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_occupant_event_t *oe = payload;
    occupant_t *o = oe->occupant;
    if (!o || o->room->destroying) /* a destroyed room says nothing more */
        return PV_PASS;
    /* The leaver's role is none by now: for the DELIVER event (the game
     * rooms' filter) the notice is sent as the role it had in the room.
     * The role is none again before this returns. */
    pv_muc_role_t keep = o->role;
    if (keep == PV_MUC_ROLE_NONE)
        o->role = o->left_role;
    notice(o->room, o, o, CF_LEAVE_TEXT, o->nick, NULL);
    o->role = keep;
    return PV_PASS;
}

static pv_verdict_t on_nick_changed(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_occupant_event_t *oe = payload;
    occupant_t *o = oe->occupant;
    if (o && oe->old_nick)
        notice(o->room, o, NULL, CF_RENAME_TEXT, oe->old_nick, o->nick);
    return PV_PASS;
}

int notices_init(void)
{
    /* after every other subscriber: the notice follows what they send */
    subs[0] = pv_plugin_subscribe(muc_handle, ev_joined, -100, on_joined, NULL);
    subs[1] = pv_plugin_subscribe(muc_handle, ev_left, -100, on_left, NULL);
    subs[2] = pv_plugin_subscribe(muc_handle, ev_nick_changed, -100, on_nick_changed, NULL);
    if (!subs[0] || !subs[1] || !subs[2]) {
        pv_log(PV_LOG_ERROR, MUC, "cannot subscribe the join/leave/rename notices");
        notices_shutdown();
        return -1;
    }
    return 0;
}

void notices_shutdown(void)
{
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        if (subs[i])
            pv_event_unsubscribe(subs[i]);
        subs[i] = NULL;
    }
}
