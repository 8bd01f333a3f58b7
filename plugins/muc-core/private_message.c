/*
 * private_message.c: messages to an occupant JID (XEP-0045 §7.5): delivered
 * to every session of the target from the sender's occupant JID, with an
 * empty muc#user <x/> and the occupant-id; muc#roomconfig_allowpm decides who
 * may send them. Error bounces from an occupant's real JID evict it.
 */
#include "muc_internal.h"
#include <string.h>

pv_verdict_t message_occupant_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    room_t *r = room_of(ctx->to);
    session_t *s = r ? session_by_full(r, ctx->from->full) : NULL;
    if (!strcmp(ctx->type, "error")) {
        if (s) {
            static const int codes[] = {333, 0};
            exit_occupant(s->occ, s, NULL, codes);
        }
        return PV_HANDLED;
    }
    if (!r)
        return refuse(ctx, "cancel", "item-not-found", "No such room");
    if (!strcmp(ctx->type, "groupchat"))
        return refuse(ctx, "modify", "bad-request",
                      "Groupchat messages go to the room JID, not to an occupant");
    if (!s)
        return refuse(ctx, "modify", "not-acceptable",
                      "Only occupants may send private messages; join the room first");
    occupant_t *target = occupant_by_nick(r, ctx->to->resource);
    if (!target)
        return refuse(ctx, "cancel", "item-not-found", "There is no occupant with that nickname");
    if (!may(r, s->occ, PRIV_SEND_PM))
        return refuse(ctx, "auth", "forbidden",
                      "You are not allowed to send private messages in this room");
    if (!flood_allow(s->occ))
        return refuse(ctx, "wait", "resource-constraint",
                      "You are sending messages too fast; wait a moment");
    pv_el_t *m = message_from_occupant(ctx, s->occ);
    if (!m)
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    if (!pv_el_child(m, NS_MUC_USER, "x"))
        pv_el_add(m, NS_MUC_USER, "x");
    pv_prepared_t *p = pv_prepare(m);
    for (session_t *t = target->sessions; p && t; t = t->next)
        session_send(t, p);
    pv_prepared_free(p);
    pv_el_free(m);
    return PV_HANDLED;
}
