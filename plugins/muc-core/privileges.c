/*
 * privileges.c: who may do what, as tables (XEP-0045 §5): role x action
 * adjusted by the room's configuration; who may give which role or
 * affiliation to whom (kick, voice, moderator, ban, member, admin, owner);
 * who may read which list. tests/muc/unit_priv.c walks every cell.
 * What concerns an affiliation (who gives it, whom its holders reach, who
 * reads its list, whether its holders count as moderators) is read from its
 * row in affiliations.c; the role tables are here.
 */
#include "muc_internal.h"
#include <string.h>

/* minimal role for each action in the default configuration */
static const pv_muc_role_t min_role[PRIV_COUNT] = {
    [PRIV_SEE_JID] = PV_MUC_ROLE_MODERATOR,
    [PRIV_SEND_GROUPCHAT] = PV_MUC_ROLE_PARTICIPANT, /* visitors have no voice (§5.1.1) */
    [PRIV_CHANGE_SUBJECT] = PV_MUC_ROLE_MODERATOR,   /* changesubject: participant */
    [PRIV_SEND_PM] = PV_MUC_ROLE_VISITOR,            /* allowpm decides */
    [PRIV_INVITE] = PV_MUC_ROLE_MODERATOR,           /* allowinvites: participant */
    [PRIV_CONFIGURE] = PV_MUC_ROLE_NONE,             /* affiliation owner, see below */
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
    return presence_role_listed(room_cfg(r, CF_PRESENCEBROADCAST), role);
}

/* Is the role's name one of the space-separated words of `list`? */
bool presence_role_listed(const char *list, pv_muc_role_t role)
{
    const char *name = role_name(role);
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

/* ---- Changes of roles and affiliations (XEP-0045 §5.1.2, §5.2.1, §8, §9, §10) ----
 * An actor counts as a moderator when its role is moderator or its
 * affiliation is admin or owner (those are moderators whenever present, and
 * may act from outside the room). Lacking the needed position is
 * `forbidden`; a target the actor may not touch is `not-allowed`. */

typedef struct role_rule {
    pv_muc_role_t need_role; /* the actor's (effective) role at least */
    pv_muc_aff_t need_aff;   /* the actor's affiliation at least */
    pv_muc_aff_t protect;    /* targets with this affiliation or above: not-allowed */
    bool not_above_actor;    /* a target ranked above the actor: not-allowed */
    pv_muc_aff_t from_mod;   /* target now a moderator: the actor's affiliation at least */
} role_rule_t;

/* indexed by the requested role */
static const role_rule_t role_rules[4] = {
    /* kick (§8.2): moderators, not admins/owners nor anyone ranked above */
    [PV_MUC_ROLE_NONE] = {PV_MUC_ROLE_MODERATOR, PV_MUC_AFF_OUTCAST, PV_MUC_AFF_ADMIN, true,
                          PV_MUC_AFF_OUTCAST},
    /* revoke voice (§8.4); revoking a moderator's role is an admin's (§9.7) */
    [PV_MUC_ROLE_VISITOR] = {PV_MUC_ROLE_MODERATOR, PV_MUC_AFF_OUTCAST, PV_MUC_AFF_ADMIN, true,
                             PV_MUC_AFF_ADMIN},
    /* grant voice (§8.3); from moderator: revoke moderator (§9.7) */
    [PV_MUC_ROLE_PARTICIPANT] = {PV_MUC_ROLE_MODERATOR, PV_MUC_AFF_OUTCAST, PV_MUC_AFF_ADMIN, false,
                                 PV_MUC_AFF_ADMIN},
    /* grant moderator (§9.6): admins and owners */
    [PV_MUC_ROLE_MODERATOR] = {PV_MUC_ROLE_MODERATOR, PV_MUC_AFF_ADMIN, PV_MUC_AFF_OWNER + 1, false,
                               PV_MUC_AFF_ADMIN},
};

/* The row of a standard affiliation (an actor's or a target's rank), or NULL. */
static const aff_row_t *standard_row(pv_muc_aff_t a)
{
    return (unsigned)a <= PV_MUC_AFF_OWNER ? aff_row((int)a) : NULL;
}

static pv_muc_role_t effective_role(pv_muc_aff_t aff, pv_muc_role_t role)
{
    const aff_row_t *row = standard_row(aff);
    return row && row->moderator ? PV_MUC_ROLE_MODERATOR : role;
}

priv_answer_t priv_role_change(pv_muc_aff_t actor_aff, pv_muc_role_t actor_role,
                               pv_muc_aff_t target_aff, pv_muc_role_t target_role,
                               pv_muc_role_t new_role)
{
    if ((unsigned)new_role > PV_MUC_ROLE_MODERATOR || (unsigned)actor_aff > PV_MUC_AFF_OWNER ||
        (unsigned)target_aff > PV_MUC_AFF_OWNER)
        return PRIV_FORBIDDEN;
    const role_rule_t *rule = &role_rules[new_role];
    if (effective_role(actor_aff, actor_role) < rule->need_role || actor_aff < rule->need_aff)
        return PRIV_FORBIDDEN;
    if (target_aff >= rule->protect)
        return PRIV_NOT_ALLOWED;
    if (rule->not_above_actor && target_aff > actor_aff)
        return PRIV_NOT_ALLOWED;
    if (target_role == PV_MUC_ROLE_MODERATOR && new_role != PV_MUC_ROLE_MODERATOR &&
        actor_aff < rule->from_mod)
        return PRIV_NOT_ALLOWED;
    return PRIV_OK;
}

priv_answer_t priv_aff_change(pv_muc_aff_t actor_aff, pv_muc_role_t actor_role,
                              pv_muc_aff_t target_aff, pv_muc_aff_t new_aff)
{
    (void)actor_role; /* affiliations do not depend on roles (§5.2) */
    const aff_row_t *want = aff_row((int)new_aff), *actor = standard_row(actor_aff);
    if (!want || !actor || (unsigned)target_aff > PV_MUC_AFF_OWNER)
        return PRIV_FORBIDDEN;
    if ((int)actor_aff < want->grant) /* the row given says who gives it */
        return PRIV_FORBIDDEN;
    if (!(actor->reach & AFF_BIT(target_aff))) /* the actor's row says whom it reaches */
        return PRIV_NOT_ALLOWED;
    return PRIV_OK;
}

/* Lists (§8.5 voice list, §9.2 ban list, §9.5 member list, §9.8 moderator
 * list, §10.5/10.8 owner and admin lists): the needed position per list. */
typedef struct list_rule {
    pv_muc_role_t need_role; /* effective role at least, or... */
    pv_muc_aff_t need_aff;   /* ...affiliation at least */
} list_rule_t;

static const list_rule_t role_lists[4] = {
    [PV_MUC_ROLE_NONE] = {PV_MUC_ROLE_MODERATOR + 1, PV_MUC_AFF_OWNER + 1}, /* nobody */
    [PV_MUC_ROLE_VISITOR] = {PV_MUC_ROLE_MODERATOR, PV_MUC_AFF_ADMIN},
    [PV_MUC_ROLE_PARTICIPANT] = {PV_MUC_ROLE_MODERATOR, PV_MUC_AFF_ADMIN},
    [PV_MUC_ROLE_MODERATOR] = {PV_MUC_ROLE_MODERATOR + 1, PV_MUC_AFF_ADMIN},
};

static bool list_ok(const list_rule_t *l, pv_muc_aff_t aff, pv_muc_role_t role)
{
    return effective_role(aff, role) >= l->need_role || aff >= l->need_aff;
}

bool priv_list_role(const room_t *r, pv_muc_aff_t actor_aff, pv_muc_role_t actor_role,
                    pv_muc_role_t role)
{
    (void)r;
    return (unsigned)role <= PV_MUC_ROLE_MODERATOR &&
           list_ok(&role_lists[role], actor_aff, actor_role);
}

/* aff: a row's id, an extra affiliation's too. An affiliation's list is
 * read from its row's `list` affiliation up, and by the roles its
 * `list_cfg` field names (muc#roomconfig_getmemberlist for members). */
bool priv_list_aff(const room_t *r, pv_muc_aff_t actor_aff, pv_muc_role_t actor_role,
                   pv_muc_aff_t aff)
{
    const aff_row_t *row = aff_row((int)aff);
    if (!row)
        return false;
    if ((int)actor_aff >= row->list)
        return true;
    return r && row->list_cfg >= 0 && actor_role != PV_MUC_ROLE_NONE &&
           presence_role_listed(room_cfg(r, row->list_cfg), actor_role);
}

const char *priv_condition(priv_answer_t a)
{
    return a == PRIV_NOT_ALLOWED ? "not-allowed" : "forbidden";
}

bool role_parse(const char *s, pv_muc_role_t *out)
{
    for (int i = PV_MUC_ROLE_NONE; s && i <= PV_MUC_ROLE_MODERATOR; i++)
        if (!strcmp(s, role_name((pv_muc_role_t)i))) {
            *out = (pv_muc_role_t)i;
            return true;
        }
    return false;
}

/* One of the five of XEP-0045 (extra ones: ext_aff_def). */
bool aff_parse(const char *s, pv_muc_aff_t *out)
{
    int id = aff_row_find(s);
    if (id < 0 || id > PV_MUC_AFF_OWNER)
        return false;
    *out = (pv_muc_aff_t)id;
    return true;
}
