/*
 * status.c: presence updates of an occupant already in the room (XEP-0045
 * §7.7): show/status changes are broadcast to every occupant (subject to
 * muc#roomconfig_presencebroadcast); a repeated join presence (with the muc
 * <x/>) resends the room's state to that session only and reaches the room
 * only when it also changes show or status (then as a status change).
 */
#include "muc_internal.h"
#include <string.h>

static bool same_text(const pv_el_t *a, const pv_el_t *b, const char *name)
{
    const char *x = a ? pv_el_child_text(a, PV_NS_STANZA, name) : NULL;
    const char *y = b ? pv_el_child_text(b, PV_NS_STANZA, name) : NULL;
    return !strcmp(x ? x : "", y ? y : "");
}

pv_verdict_t status_handle(pv_stanza_ctx_t *ctx, room_t *r, session_t *s)
{
    occupant_t *o = s->occ;
    pv_el_t *mucx = pv_el_child(ctx->stanza, NS_MUC, "x");
    static const int self110[] = {110, 0};
    if (mucx) {
        bool changed = !same_text(o->presence, ctx->stanza, "show") ||
                       !same_text(o->presence, ctx->stanza, "status");
        if (changed && !throttle_allow(THR_PRESENCE, r->name, o->bare) &&
            !pv_is_sadmin(o->bare)) /* LIMIT-1: the room hears no more of it for now */
            return throttle_refuse(ctx, THR_PRESENCE);
        if (changed) /* only show, status and the like: never the password */
            occupant_set_presence(o, ctx->stanza);
        enter_resync(r, s, mucx); /* that session: the room's state, its new presence */
        if (changed) {            /* everyone else: a status change (STATUS-1) */
            pres_opts_t opt = {.self_codes = self110, .except = o};
            presence_broadcast(o, &opt);
            for (session_t *t = o->sessions; t; t = t->next)
                if (t != s) {
                    pres_opts_t own = {.self_codes = self110, .self_only = true, .only_session = t};
                    presence_broadcast(o, &own);
                }
        }
        return PV_HANDLED;
    }
    pv_verdict_t t = throttle_check(ctx, THR_PRESENCE, r->name); /* LIMIT-1 */
    if (t != PV_PASS)
        return t;
    occupant_set_presence(o, ctx->stanza); /* logs when out of memory */
    pres_opts_t opt = {.self_codes = self110};
    presence_broadcast(o, &opt);
    return PV_HANDLED;
}
