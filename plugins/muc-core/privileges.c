/*
 * privileges.c: who may do what, as a table of role x action (XEP-0045 §5.1.1
 * and §5.2.1) adjusted by the room's configuration. Later parts (kick, ban,
 * voice, configuration lists) add rows here rather than branches elsewhere.
 */
#include "muc_internal.h"
#include <string.h>

/* minimal role for each action in the default configuration */
static const pv_muc_role_t min_role[PRIV_COUNT] = {
    [PRIV_SEE_JID] = PV_MUC_ROLE_MODERATOR,
    [PRIV_SEND_GROUPCHAT] = PV_MUC_ROLE_VISITOR,   /* moderated rooms: participant */
    [PRIV_CHANGE_SUBJECT] = PV_MUC_ROLE_MODERATOR, /* changesubject: participant */
    [PRIV_SEND_PM] = PV_MUC_ROLE_VISITOR,          /* allowpm decides */
    [PRIV_INVITE] = PV_MUC_ROLE_MODERATOR,         /* allowinvites: participant */
    [PRIV_CONFIGURE] = PV_MUC_ROLE_NONE,           /* affiliation owner, see below */
    [PRIV_REQUEST_VOICE] = PV_MUC_ROLE_VISITOR,
    [PRIV_GRANT_VOICE] = PV_MUC_ROLE_MODERATOR,
};

bool may(const room_t *r, const occupant_t *o, priv_t what)
{
    pv_muc_role_t need = min_role[what];
    pv_muc_role_t have = o ? o->role : PV_MUC_ROLE_NONE;
    switch (what) {
    case PRIV_SEE_JID:
        if (room_whois_anyone(r))
            need = PV_MUC_ROLE_VISITOR;
        break;
    case PRIV_SEND_GROUPCHAT:
        if (room_cfg_bool(r, CF_MODERATED))
            need = PV_MUC_ROLE_PARTICIPANT;
        break;
    case PRIV_CHANGE_SUBJECT:
        if (room_cfg_bool(r, CF_CHANGESUBJECT))
            need = PV_MUC_ROLE_PARTICIPANT;
        break;
    case PRIV_INVITE:
        if (room_cfg_bool(r, CF_ALLOWINVITES))
            need = PV_MUC_ROLE_PARTICIPANT;
        /* members-only rooms without allowinvites: admins and owners only */
        if (!room_cfg_bool(r, CF_ALLOWINVITES) && room_cfg_bool(r, CF_MEMBERSONLY))
            return o && occupant_aff(o) >= PV_MUC_AFF_ADMIN;
        break;
    case PRIV_SEND_PM: {
        const char *pm = room_cfg(r, CF_ALLOWPM);
        if (!strcmp(pm, "none"))
            return false;
        if (!strcmp(pm, "moderators"))
            need = PV_MUC_ROLE_MODERATOR;
        else if (!strcmp(pm, "participants"))
            need = PV_MUC_ROLE_PARTICIPANT;
        break;
    }
    case PRIV_CONFIGURE:
        return o && occupant_aff(o) == PV_MUC_AFF_OWNER;
    case PRIV_REQUEST_VOICE:
        return have == PV_MUC_ROLE_VISITOR && room_cfg_bool(r, CF_VOICEREQUESTS);
    default:
        break;
    }
    return o && have >= need && have != PV_MUC_ROLE_NONE;
}

bool may_see_jid(const room_t *r, const occupant_t *viewer)
{
    return may(r, viewer, PRIV_SEE_JID);
}

bool presence_broadcast_for(const room_t *r, pv_muc_role_t role)
{
    const char *list = room_cfg(r, CF_PRESENCEBROADCAST);
    const char *name = role_name(role);
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}
