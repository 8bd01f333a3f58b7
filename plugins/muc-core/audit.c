/*
 * audit.c: the INFO lines that tell an operator who did what in a room:
 * kicks, bans, role and affiliation changes (admin.c), configuration changes
 * (create.c's submit) and destruction (destroy.c). Each is one line naming
 * the room, the actor (bare JID, and nick when the actor is in the room) and
 * what changed (target, old -> new, the reason when one was given; for a
 * configuration, the names of the fields that changed, never their values:
 * a room secret stays out of the log).
 */
#include "muc_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *audit_actor(char *buf, size_t size, const char *bare, const char *nick)
{
    if (!bare)
        snprintf(buf, size, "the service");
    else if (nick)
        snprintf(buf, size, "%s (nick '%s')", bare, nick);
    else
        snprintf(buf, size, "%s", bare);
    return buf;
}

/* ", reason: '...'" or "" */
static const char *reason_part(char *buf, size_t size, const char *reason)
{
    if (!reason || !*reason)
        return "";
    snprintf(buf, size, ", reason: '%s'", reason);
    return buf;
}

void audit_role(const room_t *r, const char *actor, const char *nick, pv_muc_role_t from,
                pv_muc_role_t to, const char *reason)
{
    char why[600];
    const char *rp = reason_part(why, sizeof why, reason);
    if (to == PV_MUC_ROLE_NONE)
        pv_log(PV_LOG_INFO, MUC, "room %s: %s kicked '%s' (role %s -> none)%s", r->jid, actor, nick,
               role_name(from), rp);
    else
        pv_log(PV_LOG_INFO, MUC, "room %s: %s changed the role of '%s': %s -> %s%s", r->jid, actor,
               nick, role_name(from), role_name(to), rp);
}

void audit_aff(const room_t *r, const char *actor, const char *jid, pv_muc_aff_t from,
               pv_muc_aff_t to, const char *reason)
{
    char why[600];
    const char *rp = reason_part(why, sizeof why, reason);
    if (to == PV_MUC_AFF_OUTCAST && from != PV_MUC_AFF_OUTCAST)
        pv_log(PV_LOG_INFO, MUC, "room %s: %s banned %s (affiliation %s -> outcast)%s", r->jid,
               actor, jid, aff_name(from), rp);
    else
        pv_log(PV_LOG_INFO, MUC, "room %s: %s changed the affiliation of %s: %s -> %s%s", r->jid,
               actor, jid, aff_name(from), aff_name(to), rp);
}

/* Appends ", name" (or "name" first) to the list in buf; "..." once full. */
static void list_add(char *buf, size_t size, size_t *len, const char *name)
{
    if (*len >= size - 1)
        return;
    int n = snprintf(buf + *len, size - *len, "%s%s", *len ? ", " : "", name);
    if (n < 0 || (size_t)n >= size - *len) {
        snprintf(buf + (size - 5), 5, "...");
        *len = size - 1;
        return;
    }
    *len += (size_t)n;
}

void audit_config(const room_t *r, const pv_el_t *iq, char *const old[CF_COUNT], pv_el_t *x)
{
    if (!pv_log_enabled(PV_LOG_INFO))
        return;
    const char *from = pv_el_attr(iq, "from");
    pv_jid_t *j = from ? pv_jid_parse(from) : NULL;
    session_t *s = j ? session_by_full(r, j->full) : NULL;
    char who[400];
    audit_actor(who, sizeof who, j ? j->bare : from, s ? s->occ->nick : NULL);
    char fields[2048] = "";
    size_t len = 0;
    for (int f = 0; f < CF_COUNT; f++)
        if (!old[f] || strcmp(old[f], room_cfg(r, f)))
            list_add(fields, sizeof fields, &len, config_fields[f].var);
    /* the owner and admin lists of the form: one line per affiliation change */
    pv_store_aff_t *items = NULL;
    size_t n = 0;
    if (x && config_lists_changes(r, x, &items, &n) == 0) {
        bool owners = false, admins = false;
        for (size_t i = 0; i < n; i++) {
            pv_muc_aff_t was = room_aff(r, items[i].jid), now;
            if (!aff_parse(items[i].affiliation, &now))
                continue;
            owners |= was == PV_MUC_AFF_OWNER || now == PV_MUC_AFF_OWNER;
            admins |= was == PV_MUC_AFF_ADMIN || now == PV_MUC_AFF_ADMIN;
            audit_aff(r, who, items[i].jid, was, now, NULL);
        }
        config_lists_free(items, n);
        if (admins)
            list_add(fields, sizeof fields, &len, "muc#roomconfig_roomadmins");
        if (owners)
            list_add(fields, sizeof fields, &len, "muc#roomconfig_roomowners");
    }
    pv_log(PV_LOG_INFO, MUC, "room %s: %s configured the room: %s%s", r->jid, who,
           len ? "changed " : "nothing changed", fields);
    pv_jid_free(j);
}
