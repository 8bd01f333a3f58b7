/*
 * presence_in.c: where every presence addressed to a room or occupant JID
 * starts. It decides, from the sender's session and the addressed nick,
 * whether the presence is a join (enter.c), a status change (status.c), a
 * nick change (nick.c), an exit (exit.c) or a bounce that evicts a ghost
 * (exit.c), and refuses available presence to the bare room JID (XEP-0045
 * §7.2.1). Unavailable presence to the bare room JID from an occupant is a
 * leave, as if sent to its occupant JID: some clients (aioxmpp's
 * Room.leave()) leave that way, and Prosody accepts it.
 * A join to a destroyed room whose tombstone lasts gets `gone` from the
 * room-tombstones plugin before it comes here.
 */
#include "muc_internal.h"
#include <string.h>

static bool is_type(const pv_stanza_ctx_t *ctx, const char *t)
{
    return strcmp(ctx->type, t) == 0;
}

static pv_verdict_t bounce(pv_stanza_ctx_t *ctx, room_t *r)
{
    session_t *s = r ? session_by_full(r, ctx->from->full) : NULL;
    if (!s)
        return PV_HANDLED;
    static const int codes[] = {333, 0};
    pv_log(PV_LOG_INFO, MUC, "%s bounced a stanza from %s: removing it", ctx->from->full, r->jid);
    exit_occupant(s->occ, s, NULL, codes);
    return PV_HANDLED;
}

pv_verdict_t presence_bare_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    room_t *r = room_of(ctx->to);
    if (is_type(ctx, "error"))
        return bounce(ctx, r);
    if (is_type(ctx, "unavailable")) {
        session_t *s = r ? session_by_full(r, ctx->from->full) : NULL;
        return s ? exit_handle(ctx, r, s) : PV_HANDLED;
    }
    if (*ctx->type)
        return PV_HANDLED; /* probe, subscriptions: nothing to do */
    return refuse(ctx, "modify", "jid-malformed",
                  "Join a room by sending presence to room@service/nick: the nickname is missing");
}

pv_verdict_t presence_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    room_t *r = room_of(ctx->to);
    const char *nick = ctx->to->resource;
    if (!ctx->to->node || !nick)
        return refuse(ctx, "modify", "jid-malformed", "The address is not a valid occupant JID");
    if (is_type(ctx, "error"))
        return bounce(ctx, r);
    session_t *s = r ? session_by_full(r, ctx->from->full) : NULL;
    if (is_type(ctx, "unavailable"))
        return s ? exit_handle(ctx, r, s) : PV_HANDLED;
    if (*ctx->type)
        return PV_HANDLED; /* probe, subscribe...: ignored, as Prosody does */
    if (!s)
        return enter_handle(ctx, r, nick, NULL);
    if (strcmp(s->occ->nick, nick) == 0)
        return status_handle(ctx, r, s);
    return nick_handle(ctx, r, s, nick);
}
