/*
 * broadcast.c: the one way muc-core sends the same stanza to a room's
 * occupants (as Prosody's room:broadcast(stanza, cond_func)). The stanza is
 * serialised once and goes to every session of each chosen occupant, in
 * room order: through the host's XEP-0033 service when <multicast> is on
 * (multicast.c), else a copy each, to the session's recipient checked and
 * escaped at its join (occupant.c), so that a copy is written straight
 * into the output buffer without looking at the JID again. A stanza sent on an occupant's behalf
 * (a kind given) passes the DELIVER event for each recipient, where game
 * rooms hold some back. Stanzas that differ per recipient (self-presence
 * with its status codes, each occupant's own destruction notice) are not
 * broadcasts.
 */
#include "muc_internal.h"

int room_broadcast(room_t *r, const pv_el_t *stanza, const pv_prepared_t *prepared,
                   const bcast_t *how)
{
    pv_prepared_t *own = prepared ? NULL : pv_prepare(stanza);
    const pv_prepared_t *p = prepared ? prepared : own;
    if (!p) {
        pv_log(PV_LOG_ERROR, MUC, "room %s: a stanza for its occupants cannot be serialised",
               r->jid);
        return -1;
    }
    /* Whether anybody may hold copies back, asked once, not per occupant. */
    pv_event_t *deliver = how && how->kind ? pv_event(PV_MUC_EVENT_DELIVER) : NULL;
    bool ask = deliver && pv_event_has_subscribers(deliver);
    int n = 0;
    mc_rcpts_t mc = {0}; /* XEP-0033: one stanza through the host (multicast.c) */
    for (occupant_t *o = r->first; o; o = o->next) {
        if (how && how->want && !how->want(o, how->ud))
            continue;
        if (ask && !ext_may_deliver(r, how->sender, o, stanza, how->kind))
            continue;
        for (session_t *s = o->sessions; s; s = s->next, n++) {
            if (mc_rcpts_add(&mc, s->jid->full) == 0)
                continue;
            if ((s->to ? pv_send_prepared_to(p, s->to) : pv_send_prepared(p, s->jid->full)) < 0)
                pv_log(PV_LOG_WARN, MUC, "room %s: a stanza for %s was not sent", r->jid,
                       s->jid->full);
        }
    }
    mc_flush(&mc, stanza, p);
    pv_prepared_free(own);
    return n;
}
