/*
 * status.c: presence updates of an occupant already in the room (XEP-0045
 * §7.7): show/status changes are broadcast to every occupant (subject to
 * muc#roomconfig_presencebroadcast); a repeated join presence (with the muc
 * <x/>) resends the room's state to that session only, never to the room.
 */
#include "muc_internal.h"
#include <string.h>

pv_verdict_t status_handle(pv_stanza_ctx_t *ctx, room_t *r, session_t *s)
{
    occupant_t *o = s->occ;
    pv_el_t *mucx = pv_el_child(ctx->stanza, NS_MUC, "x");
    if (mucx) {
        enter_resync(r, s, mucx);
        return PV_HANDLED;
    }
    pv_el_t *copy = pv_el_clone(ctx->stanza);
    if (!copy)
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    pv_el_free(o->presence);
    o->presence = copy;
    static const int self110[] = {110, 0};
    pres_opts_t opt = {.self_codes = self110};
    presence_broadcast(o, &opt);
    return PV_HANDLED;
}
