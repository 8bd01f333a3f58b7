/*
 * voice_request.c: a visitor asks for voice (XEP-0045 §7.13) with a
 * muc#request form; every moderator's sessions get the approval form (its
 * field types those of XEP-0045's muc#request registry); a
 * moderator who submits it back with muc#request_allow true grants the
 * occupant the participant role, which is broadcast.
 */
#include "muc_internal.h"
#include <string.h>

/* The one role a visitor can ask for, offered as the list-single's option
 * so that a client shows the value it is asked to approve. */
static void add_role_field(pv_el_t *x)
{
    pv_el_t *f = pv_form_add_field(x, "muc#role", "list-single", "Requested role", "participant");
    pv_form_add_option(f, "Participant", "participant");
}

static bool is_moderator(const occupant_t *o, void *ud)
{
    (void)ud;
    return o->role == PV_MUC_ROLE_MODERATOR;
}

static void ask_moderators(room_t *r, occupant_t *o)
{
    pv_el_t *m = pv_el_new(PV_NS_STANZA, "message");
    if (!m)
        return;
    pv_el_set_attr(m, "from", r->jid);
    pv_el_t *x = pv_form_new(m, "form", NS_MUC_REQUEST, "Voice request",
                             "To approve this request for voice, select the \"Grant voice to "
                             "this person?\" checkbox and submit this form.");
    if (!x) {
        pv_el_free(m);
        return;
    }
    add_role_field(x);
    pv_form_add_field(x, "muc#jid", "jid-single", "User ID",
                      o->sessions ? o->sessions->jid->full : o->bare);
    pv_form_add_field(x, "muc#roomnick", "text-single", "Room Nickname", o->nick);
    pv_form_add_field(x, "muc#request_allow", "boolean", "Grant voice to this person?", "false");
    room_broadcast(r, m, NULL, &(bcast_t){.want = is_moderator});
    pv_el_free(m);
}

pv_verdict_t voice_request_handle(pv_stanza_ctx_t *ctx, room_t *r, pv_el_t *form)
{
    session_t *s = session_by_full(r, ctx->from->full);
    if (!s)
        return refuse(ctx, "modify", "not-acceptable",
                      "Only occupants may request voice; join the room first");
    occupant_t *o = s->occ;
    const char *type = pv_el_attr(form, "type");
    if (type && !strcmp(type, "submit") && o->role == PV_MUC_ROLE_MODERATOR) {
        if (pv_form_bool(form, "muc#request_allow", 0) != 1)
            return PV_HANDLED; /* denied: nothing to do */
        const char *nick = pv_form_value(form, "muc#roomnick");
        occupant_t *t = nick ? occupant_by_nick(r, nick) : NULL;
        if (!t)
            return refuse(ctx, "cancel", "item-not-found",
                          "The occupant who asked for voice is no longer in the room");
        if (t->role == PV_MUC_ROLE_VISITOR) {
            t->role = PV_MUC_ROLE_PARTICIPANT;
            static const int self110[] = {110, 0};
            pres_opts_t opt = {.self_codes = self110};
            presence_broadcast(t, &opt);
            pv_muc_occupant_event_t ev = {.room = r,
                                          .occupant = t,
                                          .nick = t->nick,
                                          .real_jid = t->sessions ? t->sessions->jid : NULL};
            pv_event_fire(ev_role_changed, &ev);
        }
        return PV_HANDLED;
    }
    if (!may(r, o, PRIV_REQUEST_VOICE))
        return refuse(ctx, "modify", "not-acceptable",
                      o->role == PV_MUC_ROLE_VISITOR ? "This room does not accept voice requests"
                                                     : "You already have voice in this room");
    pv_verdict_t t = throttle_check(ctx, THR_VOICE, r->name); /* LIMIT-1 */
    if (t != PV_PASS)
        return t;
    ask_moderators(r, o);
    return PV_HANDLED;
}
