/*
 * exit.c: leaving a room (XEP-0045 §7.14): the leaver's sessions and every
 * other occupant get the unavailable presence (the leaver's with 110), with
 * the status text relayed; a temporary room is freed when its last occupant
 * leaves. Also used for ghost eviction after a bounce (EXIT-3, code 333):
 * everyone gets 333, the removed occupant too (with 110, as in XEP-0045's
 * example for 333), in case its client is still there to learn it is out.
 */
#include "muc_internal.h"
#include <string.h>

void exit_occupant(occupant_t *o, session_t *s, const char *status_text, const int *codes)
{
    room_t *r = o->room;
    static const int self110[] = {110, 0};
    bool bounce = codes != NULL;
    if (o->nsessions > 1) {
        /* another session stays: only this one is told it left */
        pres_opts_t opt = {.type = "unavailable",
                           .self_codes = self110,
                           .self_only = true,
                           .only_session = s,
                           .status_text = status_text};
        pv_muc_role_t keep = o->role;
        o->role = PV_MUC_ROLE_NONE;
        if (!bounce)
            presence_broadcast(o, &opt);
        o->role = keep;
        occupant_remove_session(o, s);
        return;
    }
    pv_muc_role_t old = o->role;
    o->left_role = old;
    o->role = PV_MUC_ROLE_NONE;
    pres_opts_t opt = {.type = "unavailable",
                       .codes = codes,
                       .self_codes = self110,
                       .status_text = status_text,
                       .filter_set = true,
                       .filter_role = old};
    r->busy++;
    presence_broadcast(o, &opt);
    pv_muc_occupant_event_t ev = {.room = r, .occupant = o, .nick = o->nick, .real_jid = s->jid};
    pv_event_fire(ev_left, &ev);
    pv_log(PV_LOG_DEBUG, MUC, "%s left %s", o->nick, r->jid);
    occupant_remove(o);
    r->busy--;
    rooms_maybe_destroy(r);
}

pv_verdict_t exit_handle(pv_stanza_ctx_t *ctx, room_t *r, session_t *s)
{
    (void)r;
    const char *status = pv_el_child_text(ctx->stanza, PV_NS_STANZA, "status");
    exit_occupant(s->occ, s, status, NULL);
    return PV_HANDLED;
}
