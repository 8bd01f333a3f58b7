/*
 * affiliations.c: the one registry of affiliations. An affiliation is a row
 * (aff_row_t): its name, the rank its holders have in every standard check,
 * who may give it, whose affiliation its holders may change, who may read
 * its list, the role its holders enter with and the role they are shown
 * with. privileges.c's change and list checks, role_for's join role,
 * aff_name and aff_parse read the rows; nothing else keeps a table of
 * affiliations.
 *
 * The five of XEP-0045 are muc-core's own rows (standard[] below), added at
 * start (aff_rows_core, from muc_start) at the index of their pv_muc_aff_t
 * value, so that the enum stays their id and their rank and the rank
 * comparisons elsewhere stay valid. The extra affiliations other plugins
 * register (palaver/muc.h, pv_muc_extra_aff_t) go through the same aff_row_add
 * and take the places after them: they rank as none, are given from their
 * grantor up, are listed from their grantor up (from admin up at most),
 * enter with their base role and are shown with their own role name while
 * they have it. extensions.c keeps who holds them, per room, by name.
 *
 * The registry also adds muc-core's rows on first use, so that the privilege
 * code linked alone (tests/muc/unit_priv.c) reads the same rows.
 *
 * Ownership: muc-core's rows are static; a plugin's row is made from its
 * definition, whose strings are borrowed until it unregisters it.
 */
#include "muc_internal.h"
#include <string.h>

#define B(a) AFF_BIT(PV_MUC_AFF_##a)

/* XEP-0045 §5.2 and §9-10: admins give outcast, none and member and change
 * those; owners give and change every affiliation (the last owner is the
 * caller's check); admins and owners are moderators whenever present. The
 * ban, member, admin and owner lists are read from admin, admin, owner and
 * owner up; muc#roomconfig_getmemberlist names the roles that may read the
 * member list too; nobody lists "none". */
static const aff_row_t standard[] = {
    [PV_MUC_AFF_OUTCAST] = {.name = "outcast",
                            .rank = PV_MUC_AFF_OUTCAST,
                            .grant = PV_MUC_AFF_ADMIN,
                            .list = PV_MUC_AFF_ADMIN,
                            .list_cfg = -1,
                            .join_role = PV_MUC_ROLE_NONE,
                            .join_moderated = PV_MUC_ROLE_NONE},
    [PV_MUC_AFF_NONE] = {.name = "none",
                         .rank = PV_MUC_AFF_NONE,
                         .grant = PV_MUC_AFF_ADMIN,
                         .list = AFF_NOBODY,
                         .list_cfg = -1,
                         .join_role = PV_MUC_ROLE_PARTICIPANT,
                         .join_moderated = PV_MUC_ROLE_VISITOR},
    [PV_MUC_AFF_MEMBER] = {.name = "member",
                           .rank = PV_MUC_AFF_MEMBER,
                           .grant = PV_MUC_AFF_ADMIN,
                           .list = PV_MUC_AFF_ADMIN,
                           .list_cfg = CF_GETMEMBERLIST,
                           .join_role = PV_MUC_ROLE_PARTICIPANT,
                           .join_moderated = PV_MUC_ROLE_PARTICIPANT},
    [PV_MUC_AFF_ADMIN] = {.name = "admin",
                          .rank = PV_MUC_AFF_ADMIN,
                          .grant = PV_MUC_AFF_OWNER,
                          .reach = B(OUTCAST) | B(NONE) | B(MEMBER), /* not admins (ADMIN-6) */
                          .moderator = true,
                          .list = PV_MUC_AFF_OWNER,
                          .list_cfg = -1,
                          .join_role = PV_MUC_ROLE_MODERATOR,
                          .join_moderated = PV_MUC_ROLE_MODERATOR},
    [PV_MUC_AFF_OWNER] = {.name = "owner",
                          .rank = PV_MUC_AFF_OWNER,
                          .grant = PV_MUC_AFF_OWNER,
                          .reach = B(OUTCAST) | B(NONE) | B(MEMBER) | B(ADMIN) | B(OWNER),
                          .moderator = true,
                          .list = PV_MUC_AFF_OWNER,
                          .list_cfg = -1,
                          .join_role = PV_MUC_ROLE_MODERATOR,
                          .join_moderated = PV_MUC_ROLE_MODERATOR},
};

/* A place of the registry: who added the row (muc-core's standard[] entry
 * or the plugin's definition, to unregister it by) and the row. */
typedef struct aff_place {
    const void *owner; /* NULL: a free place */
    aff_row_t row;
} aff_place_t;

static aff_place_t places[AFF_MAX_ROWS];

/* The index of the row named `name`, or -1. */
static int find(const char *name)
{
    for (int i = 0; name && i < AFF_MAX_ROWS; i++)
        if (places[i].owner && !strcmp(places[i].row.name, name))
            return i;
    return -1;
}

/* Adds a row at the first free index in [lo, hi), its name unique. 0, or -1 logged. */
static int aff_row_add(const void *owner, const aff_row_t *row, int lo, int hi)
{
    int known = find(row->name);
    if (known >= 0) {
        pv_log(PV_LOG_ERROR, MUC, "affiliation %s refused: %s", row->name,
               known <= PV_MUC_AFF_OWNER ? "a standard one" : "registered already");
        return -1;
    }
    for (int i = lo; i < hi; i++)
        if (!places[i].owner) {
            places[i] = (aff_place_t){owner, *row};
            places[i].row.id = i;
            return 0;
        }
    pv_log(PV_LOG_ERROR, MUC, "affiliation %s refused: at most %d extra ones", row->name,
           AFF_EXTRA_MAX);
    return -1;
}

int aff_rows_core(void)
{
    for (int a = PV_MUC_AFF_OUTCAST; a <= PV_MUC_AFF_OWNER; a++)
        if (!places[a].owner && aff_row_add(&standard[a], &standard[a], a, a + 1) < 0)
            return -1;
    return 0;
}

/* muc-core's rows, added on first use when muc_start has not run (a test
 * program linking the privilege code alone). */
static void core_rows(void)
{
    if (!places[PV_MUC_AFF_OWNER].owner && aff_rows_core() < 0)
        pv_log(PV_LOG_ERROR, MUC, "the standard affiliations cannot be registered");
}

const aff_row_t *aff_row(int id)
{
    core_rows();
    return id >= 0 && id < AFF_MAX_ROWS && places[id].owner ? &places[id].row : NULL;
}

int aff_row_find(const char *name)
{
    core_rows();
    return find(name);
}

const aff_row_t *aff_row_extra(const char *name)
{
    int id = aff_row_find(name);
    return id > PV_MUC_AFF_OWNER ? aff_row(id) : NULL;
}

/* ---- plugins' affiliations (palaver/muc.h, register_affiliation) ---- */

int ext_api_register_affiliation(const pv_muc_extra_aff_t *d)
{
    if (!d || !d->name || !d->role) {
        pv_log(PV_LOG_ERROR, MUC, "extra affiliation %s refused (invalid)",
               d && d->name ? d->name : "(null)");
        return -1;
    }
    core_rows();
    aff_row_t row = {.name = d->name,
                     .rank = PV_MUC_AFF_NONE,
                     .grant = (int)d->grantor,
                     .list = d->grantor < PV_MUC_AFF_ADMIN ? (int)d->grantor : PV_MUC_AFF_ADMIN,
                     .list_cfg = -1,
                     .join_role = d->base_role,
                     .join_moderated = d->base_role,
                     .role_shown = d->role,
                     .not_to_self = true};
    return aff_row_add(d, &row, PV_MUC_AFF_OWNER + 1, AFF_MAX_ROWS);
}

void ext_api_unregister_affiliation(const pv_muc_extra_aff_t *d)
{
    for (int i = PV_MUC_AFF_OWNER + 1; d && i < AFF_MAX_ROWS; i++)
        if (places[i].owner == d)
            places[i] = (aff_place_t){0};
}
