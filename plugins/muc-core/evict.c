/*
 * evict.c: the room removes an occupant (kick 307, ban 301, loss of
 * membership 321, room made members-only 322; XEP-0045 §8.2, §9.1, §9.4,
 * §10.2). The removed occupant's sessions are told first (unavailable, the
 * code, 110, <actor nick/> and <reason/>), then the remaining occupants once
 * each; then the occupant is freed. Callers hold r->busy while they iterate.
 */
#include "muc_internal.h"

void evict_tell_self(occupant_t *o, int code, const char *actor_nick, const char *reason)
{
    static const int self110[] = {110, 0};
    int codes[2] = {code, 0};
    pv_muc_role_t keep = o->role;
    o->role = PV_MUC_ROLE_NONE;
    pres_opts_t opt = {.type = "unavailable",
                       .codes = codes,
                       .self_codes = self110,
                       .self_only = true,
                       .actor_nick = actor_nick,
                       .reason = reason};
    presence_broadcast(o, &opt);
    o->role = keep;
}

void evict_finish(occupant_t *o, int code, pv_muc_role_t old_role, const char *actor_nick,
                  const char *reason)
{
    room_t *r = o->room;
    int codes[2] = {code, 0};
    o->left_role = old_role;
    o->role = PV_MUC_ROLE_NONE;
    pres_opts_t opt = {.type = "unavailable",
                       .codes = codes,
                       .except = o,
                       .filter_set = true,
                       .filter_role = old_role,
                       .actor_nick = actor_nick,
                       .reason = reason};
    presence_broadcast(o, &opt);
    pv_muc_occupant_event_t ev = {.room = r,
                                  .occupant = o,
                                  .nick = o->nick,
                                  .real_jid = o->sessions ? o->sessions->jid : NULL};
    pv_event_fire(ev_left, &ev);
    pv_log(PV_LOG_INFO, MUC, "%s removed from %s (status %d)", o->nick, r->jid, code);
    occupant_remove(o);
}
