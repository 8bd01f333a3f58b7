/*
 * broadcast.c: the one way muc-core sends the same stanza to a room's
 * occupants (as Prosody's room:broadcast(stanza, cond_func)). The stanza is
 * serialised once and every session of each chosen occupant goes, in room
 * order, into one batch of the core's fan-out (pv_fanout_send): its
 * recipient, checked and escaped at its join (occupant.c), is copied
 * straight into the output buffer, the room reserved once for the whole
 * batch; or, when <multicast> is on, the core sends the batch through the
 * host's XEP-0033 service. A stanza sent on an occupant's behalf (a kind
 * given) passes the DELIVER event for each recipient, where game rooms
 * hold some back. Stanzas that differ per recipient (self-presence with
 * its status codes, each occupant's own destruction notice) are not
 * broadcasts.
 */
#include "muc_internal.h"

/* A batch kept from one broadcast to the next (its array grown once); a
 * broadcast made while another is collecting (from a DELIVER subscriber)
 * gets its own. */
static pv_fanout_t *spare;

void broadcast_shutdown(void)
{
    pv_fanout_free(spare);
    spare = NULL;
}

/* Sends the batch (and empties it). */
static void flush_batch(const room_t *r, pv_fanout_t *b, const pv_el_t *stanza,
                        const pv_prepared_t *p)
{
    size_t want = pv_fanout_count(b);
    long sent = pv_fanout_send(b, stanza, p);
    if (sent < 0 || (size_t)sent < want)
        pv_log(PV_LOG_WARN, MUC, "room %s: %zu of %zu copies of a stanza were not sent", r->jid,
               want - (sent < 0 ? 0 : (size_t)sent), want);
}

/* The batch so far, then the session that has no kept recipient by its
 * JID, so that the order stays the room's. */
static void send_unkept(const room_t *r, pv_fanout_t *b, const pv_el_t *stanza,
                        const pv_prepared_t *p, const session_t *s)
{
    flush_batch(r, b, stanza, p);
    if (pv_send_prepared(p, s->jid->full) < 0)
        pv_log(PV_LOG_WARN, MUC, "room %s: a stanza for %s was not sent", r->jid, s->jid->full);
}

int room_broadcast(room_t *r, const pv_el_t *stanza, const pv_prepared_t *prepared,
                   const bcast_t *how)
{
    pv_prepared_t *own = prepared ? NULL : pv_prepare(stanza);
    const pv_prepared_t *p = prepared ? prepared : own;
    pv_fanout_t *b = !p ? NULL : spare ? spare : pv_fanout_new();
    spare = b == spare ? NULL : spare;
    if (!b) {
        pv_log(PV_LOG_ERROR, MUC, "room %s: a stanza for its occupants cannot be serialised",
               r->jid);
        pv_prepared_free(own);
        return -1;
    }
    /* Whether anybody may hold copies back, asked once, not per occupant. */
    pv_event_t *deliver = how && how->kind ? pv_event(PV_MUC_EVENT_DELIVER) : NULL;
    bool ask = deliver && pv_event_has_subscribers(deliver);
    int n = 0;
    for (occupant_t *o = r->first; o; o = o->next) {
        if (how && how->want && !how->want(o, how->ud))
            continue;
        if (ask && !ext_may_deliver(r, how->sender, o, stanza, how->kind))
            continue;
        for (session_t *s = o->sessions; s; s = s->next, n++)
            if (!s->to || pv_fanout_add(b, s->to) < 0)
                send_unkept(r, b, stanza, p, s);
    }
    flush_batch(r, b, stanza, p);
    if (spare)
        pv_fanout_free(b);
    else
        spare = b;
    pv_prepared_free(own);
    return n;
}
