/*
 * nick.c: changing nickname (XEP-0045 §7.6): refused with conflict when the
 * nick is taken or reserved by someone else, not-acceptable when the room
 * forbids changes; otherwise everyone gets unavailable from the old nick with
 * 303 and the new nick (the changer also 110), then the presence under the
 * new nick. The error comes from the new occupant JID the user addressed.
 */
#include "muc_internal.h"
#include <stdio.h>
#include <string.h>

pv_verdict_t nick_handle(pv_stanza_ctx_t *ctx, room_t *r, session_t *s, const char *nick)
{
    occupant_t *o = s->occ;
    occupant_t *other = occupant_by_nick(r, nick);
    if (other && other != o)
        return refuse(ctx, "cancel", "conflict",
                      "That nickname is already in use by another occupant");
    const char *owner = room_reg_owner(r, nick);
    if (owner && strcmp(owner, o->bare) != 0)
        return refuse(ctx, "cancel", "conflict",
                      "That nickname is registered by another user of this room");
    if (!room_cfg_bool(r, CF_CHANGENICK))
        return refuse(ctx, "modify", "not-acceptable",
                      "This room does not allow changing nicknames");
    pv_verdict_t t = throttle_check(ctx, THR_NICK, r->name); /* LIMIT-1 */
    if (t != PV_PASS)
        return t;
    static const int c303[] = {303, 0};
    static const int self110[] = {110, 0};
    pv_muc_role_t role = o->role;
    pres_opts_t out = {.type = "unavailable",
                       .codes = c303,
                       .self_codes = self110,
                       .new_nick = nick,
                       .filter_set = true,
                       .filter_role = role};
    presence_broadcast(o, &out);
    char old[1024];
    snprintf(old, sizeof old, "%s", o->nick);
    if (occupant_rename(o, nick) < 0)
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    occupant_set_presence(o, ctx->stanza);
    pres_opts_t in = {.self_codes = self110};
    presence_broadcast(o, &in);
    pv_muc_occupant_event_t ev = {.room = r,
                                  .occupant = o,
                                  .nick = o->nick,
                                  .old_nick = old,
                                  .real_jid = s->jid,
                                  .presence = ctx->stanza};
    pv_event_fire(ev_nick_changed, &ev);
    return PV_HANDLED;
}
