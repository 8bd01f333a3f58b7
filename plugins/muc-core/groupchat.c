/*
 * groupchat.c: messages to the bare room JID. Dispatches invitations and
 * declines (invite.c), subject changes (subject.c) and bounces, and reflects groupchat messages
 * (XEP-0045 §7.4): from the sender's occupant JID to every occupant's every session, the sender
 * included, keeping the id and every extension, with the occupant-id; serialised once (or sent once
 * through the host's XEP-0033 service when <multicast> is on: the core's fan-out, broadcast.c), and
 * to the absent members who asked for it (offline_delivery.c). Other plugins see (and may veto or
 * filter) each message through the MESSAGE event before it goes out.
 */
#include "muc_internal.h"
#include <stdlib.h>
#include <string.h>

pv_verdict_t message_room_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    room_t *r = room_of(ctx->to);
    if (!strcmp(ctx->type, "error")) {
        session_t *s = r ? session_by_full(r, ctx->from->full) : NULL;
        if (s) {
            static const int codes[] = {333, 0};
            exit_occupant(s->occ, s, NULL, codes);
        }
        return PV_HANDLED;
    }
    if (!r || (r->locked && !session_by_full(r, ctx->from->full)))
        return refuse(ctx, "cancel", "item-not-found", "No such room");
    pv_el_t *x = pv_el_child(ctx->stanza, NS_MUC_USER, "x");
    if (x && (pv_el_child(x, NS_MUC_USER, "invite") || pv_el_child(x, NS_MUC_USER, "decline")))
        return invite_handle(ctx, r, x);
    /* an admin's answer to a registration request (XEP-0045 §9.9) is the
     * registration-approval plugin's, whose hook runs first: here it is not
     * loaded. Refused rather than reflected, since the form names the user. */
    if (pv_form_find(ctx->stanza, NS_MUC_REGISTER))
        return refuse(ctx, "cancel", "service-unavailable",
                      "This service does not take registration approvals at the moment");
    /* likewise a visitor's voice request (XEP-0045 §7.13), the voice-requests
     * plugin's: without it the sender is told, not left waiting */
    if (pv_form_find(ctx->stanza, NS_MUC_REQUEST))
        return refuse(ctx, "cancel", "service-unavailable",
                      "This service does not take voice requests at the moment");
    if (!strcmp(ctx->type, "groupchat"))
        return groupchat_handle(ctx, r);
    return PV_PASS;
}

/* The MESSAGE event's skip[] (by position in the room), as a broadcast filter. */
typedef struct skipping {
    const unsigned char *skip;
    size_t n, i;
    bool any; /* somebody is not skipped */
} skipping_t;

static bool not_skipped(const occupant_t *o, void *ud)
{
    (void)o;
    skipping_t *sk = ud;
    size_t i = sk->i++;
    bool want = !(i < sk->n && sk->skip[i]);
    sk->any |= want;
    return want;
}

/* The MESSAGE event being fired by reflect(), whose message a subscriber may
 * take (api.c's message_take), and whether one did. */
static pv_muc_message_event_t *takeable;
static bool taken;

pv_el_t *message_take(pv_muc_message_event_t *ev)
{
    if (!ev || ev != takeable || taken)
        return NULL;
    taken = true;
    return ev->message;
}

/* True when the MESSAGE event skipped every occupant: nothing to serialise
 * or send now (nor the absent members' copy, which goes with the others). */
static bool all_skipped(const pv_muc_message_event_t *ev, const room_t *r)
{
    if (ev->nrecipients < r->noccupants)
        return false;
    for (size_t i = 0; i < r->noccupants; i++)
        if (!ev->skip[i])
            return false;
    return true;
}

/* Reflects `msg` (from already set) to the room, after the MESSAGE event,
 * and frees it unless a subscriber took it (message_take). */
static pv_verdict_t reflect(pv_stanza_ctx_t *ctx, room_t *r, occupant_t *sender, pv_el_t *msg)
{
    unsigned char *skip = calloc(r->noccupants + 1, 1);
    if (!skip) {
        pv_el_free(msg);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    pv_muc_message_event_t ev = {.room = r,
                                 .sender = sender,
                                 .message = msg,
                                 .real_from = ctx->from,
                                 .skip = skip,
                                 .nrecipients = r->noccupants};
    /* saved and restored: a subscriber may send a message to another room */
    pv_muc_message_event_t *outer = takeable;
    bool outer_taken = taken;
    takeable = &ev;
    taken = false;
    pv_verdict_t v = pv_event_fire(ev_message, &ev);
    bool mine = !taken;
    takeable = outer;
    taken = outer_taken;
    if (v == PV_ERROR) {
        free(skip);
        v = refuse(ctx, ev.err_type ? ev.err_type : "cancel",
                   ev.err_condition ? ev.err_condition : "not-allowed",
                   ev.err_text ? ev.err_text : "The message was refused");
        if (mine)
            pv_el_free(msg);
        return v;
    }
    if (!mine || all_skipped(&ev, r)) { /* a plugin sends it later (api.c's room_broadcast) */
        free(skip);
        if (mine)
            pv_el_free(msg);
        return PV_HANDLED;
    }
    pv_prepared_t *p = pv_prepare(msg);
    if (!p) {
        free(skip);
        pv_log(PV_LOG_ERROR, MUC, "cannot serialise a message from %s in %s", ctx->from->full,
               r->jid);
        pv_el_free(msg);
        return refuse(ctx, "wait", "internal-server-error", "The message could not be sent");
    }
    skipping_t sk = {skip, ev.nrecipients, 0, false};
    room_broadcast(r, msg, p, &(bcast_t){.want = not_skipped, .ud = &sk});
    if (sk.any) /* reflected now (when all were skipped, a plugin sends it later) */
        offline_deliver(r, msg, p); /* the deferred copy: api.c's room_broadcast */
    pv_prepared_free(p);
    free(skip);
    pv_el_free(msg);
    return PV_HANDLED;
}

/*
 * XEP-0045 §8.1: a <subject/> with a <body/> or a <thread/> is an ordinary
 * message (delivered with its subject), never a subject change.
 */
static bool is_subject_change(pv_el_t *m)
{
    return pv_el_child(m, PV_NS_STANZA, "subject") && !pv_el_child(m, PV_NS_STANZA, "body") &&
           !pv_el_child(m, PV_NS_STANZA, "thread");
}

pv_el_t *message_from_occupant(pv_stanza_ctx_t *ctx, const occupant_t *o)
{
    pv_el_t *m = pv_el_clone(ctx->stanza);
    if (!m)
        return NULL;
    pv_el_set_attrf(m, "from", "%s/%s", o->room->jid, o->nick);
    pv_el_set_attr(m, "to", NULL);
    occupant_id_add(m, o);
    return m;
}

pv_verdict_t groupchat_handle(pv_stanza_ctx_t *ctx, room_t *r)
{
    session_t *s = session_by_full(r, ctx->from->full);
    if (!s)
        return refuse(ctx, "modify", "not-acceptable",
                      "Only occupants may send messages to this room; join it first");
    occupant_t *o = s->occ;
    if (is_subject_change(ctx->stanza))
        return subject_handle(ctx, r, o);
    if (!may(r, o, PRIV_SEND_GROUPCHAT))
        return refuse(ctx, "auth", "forbidden",
                      "Visitors may not send messages in this moderated room; request voice");
    if (!flood_allow(o))
        return refuse(ctx, "wait", "resource-constraint",
                      "You are sending messages too fast; wait a moment");
    long max = room_cfg_int(r, CF_MESSAGE_SIZE);
    if (max > 0) {
        const char *body = pv_el_child_text(ctx->stanza, PV_NS_STANZA, "body");
        if (body && (long)strlen(body) > max)
            return refuse(
                ctx, "modify", "not-acceptable",
                errtext("The message is too long: this room accepts at most %ld bytes", max));
    }
    pv_el_t *m = message_from_occupant(ctx, o);
    if (!m)
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    return reflect(ctx, r, o, m); /* frees m, or a plugin took it */
}
