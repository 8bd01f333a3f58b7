/*
 * tests/muc/unit_priv.c: the privilege tables of XEP-0045 §5 (privileges.c)
 * walked exhaustively: for every actor affiliation, actor role, target
 * affiliation, target role and requested change (four roles, five
 * affiliations) the answer must be the one the XEP's rules give, written
 * here independently as the XEP states them; plus hand-picked cells and the
 * list permissions. privileges.c is linked alone with small stand-ins for the
 * room accessors it reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "muc_internal.h"

/* ---- stand-ins for what privileges.c reads from a room ---- */
static pv_muc_aff_t fake_aff;

const char *room_cfg(const room_t *r, int f)
{
    return r->cfg[f] ? r->cfg[f] : "";
}
bool room_cfg_bool(const room_t *r, int f)
{
    return strcmp(room_cfg(r, f), "1") == 0;
}
bool room_whois_anyone(const room_t *r)
{
    return strcmp(room_cfg(r, CF_WHOIS), "anyone") == 0;
}
pv_muc_aff_t occupant_aff(const occupant_t *o)
{
    (void)o;
    return fake_aff;
}
const char *role_name(pv_muc_role_t r)
{
    static const char *const n[] = {"none", "visitor", "participant", "moderator"};
    return (unsigned)r < 4 ? n[r] : "none";
}
const char *aff_name(pv_muc_aff_t a)
{
    static const char *const n[] = {"outcast", "none", "member", "admin", "owner"};
    return (unsigned)a < 5 ? n[a] : "none";
}

/* ---- the XEP's rules, stated independently ---- */

/* §8.2 kick, §8.3/8.4 voice, §9.6/9.7 moderator role */
static priv_answer_t xep_role(pv_muc_aff_t aa, pv_muc_role_t ar, pv_muc_aff_t ta, pv_muc_role_t tr,
                              pv_muc_role_t want)
{
    bool is_mod = ar == PV_MUC_ROLE_MODERATOR || aa >= PV_MUC_AFF_ADMIN;
    if (want == PV_MUC_ROLE_MODERATOR) /* only admins and owners name moderators */
        return aa >= PV_MUC_AFF_ADMIN ? PRIV_OK : PRIV_FORBIDDEN;
    if (!is_mod) /* only moderators kick and change voice */
        return PRIV_FORBIDDEN;
    if (ta >= PV_MUC_AFF_ADMIN) /* admins and owners cannot be kicked, silenced or demoted */
        return PRIV_NOT_ALLOWED;
    if ((want == PV_MUC_ROLE_NONE || want == PV_MUC_ROLE_VISITOR) && ta > aa)
        return PRIV_NOT_ALLOWED; /* not by a moderator of lower affiliation */
    if (tr == PV_MUC_ROLE_MODERATOR && want != PV_MUC_ROLE_NONE && aa < PV_MUC_AFF_ADMIN)
        return PRIV_NOT_ALLOWED; /* revoking the moderator role is an admin's */
    return PRIV_OK;
}

/* §5.2.1, §9, §10: admins manage outcasts and members; owners everything */
static priv_answer_t xep_aff(pv_muc_aff_t aa, pv_muc_aff_t ta, pv_muc_aff_t want)
{
    if (aa < PV_MUC_AFF_ADMIN)
        return PRIV_FORBIDDEN;
    if (want >= PV_MUC_AFF_ADMIN && aa < PV_MUC_AFF_OWNER)
        return PRIV_FORBIDDEN;
    if (aa == PV_MUC_AFF_ADMIN && ta >= PV_MUC_AFF_ADMIN)
        return PRIV_NOT_ALLOWED; /* ADMIN-6 */
    return PRIV_OK;
}

static const char *an(priv_answer_t a)
{
    return a == PRIV_OK ? "ok" : a == PRIV_FORBIDDEN ? "forbidden" : "not-allowed";
}

static void test_every_cell_of_the_change_tables(void **state)
{
    (void)state;
    size_t cells = 0, bad = 0;
    for (int aa = 0; aa <= PV_MUC_AFF_OWNER; aa++)
        for (int ar = 0; ar <= PV_MUC_ROLE_MODERATOR; ar++)
            for (int ta = 0; ta <= PV_MUC_AFF_OWNER; ta++)
                for (int tr = 0; tr <= PV_MUC_ROLE_MODERATOR; tr++) {
                    for (int want = 0; want <= PV_MUC_ROLE_MODERATOR; want++, cells++) {
                        priv_answer_t got = priv_role_change(aa, ar, ta, tr, want);
                        priv_answer_t exp = xep_role(aa, ar, ta, tr, want);
                        if (got != exp) {
                            bad++;
                            printf("# role: actor %s/%s target %s/%s -> %s: %s, expected %s\n",
                                   aff_name(aa), role_name(ar), aff_name(ta), role_name(tr),
                                   role_name(want), an(got), an(exp));
                        }
                    }
                    for (int want = 0; want <= PV_MUC_AFF_OWNER; want++, cells++) {
                        priv_answer_t got = priv_aff_change(aa, ar, ta, want);
                        priv_answer_t exp = xep_aff(aa, ta, want);
                        if (got != exp) {
                            bad++;
                            printf("# aff: actor %s/%s target %s -> %s: %s, expected %s\n",
                                   aff_name(aa), role_name(ar), aff_name(ta), aff_name(want),
                                   an(got), an(exp));
                        }
                    }
                }
    printf("# %zu cells checked\n", cells);
    assert_int_equal(cells, 5 * 4 * 5 * 4 * 9);
    assert_int_equal(bad, 0);
}

/* Cells named in XEP-0045 and FEATURES.md, written out. */
static void test_named_cells(void **state)
{
    (void)state;
    const pv_muc_aff_t N = PV_MUC_AFF_NONE, M = PV_MUC_AFF_MEMBER, AD = PV_MUC_AFF_ADMIN,
                       OW = PV_MUC_AFF_OWNER, OC = PV_MUC_AFF_OUTCAST;
    const pv_muc_role_t RN = PV_MUC_ROLE_NONE, RV = PV_MUC_ROLE_VISITOR,
                        RP = PV_MUC_ROLE_PARTICIPANT, RM = PV_MUC_ROLE_MODERATOR;
    /* MOD-1: a moderator (no affiliation) kicks a participant; not an admin or owner */
    assert_int_equal(priv_role_change(N, RM, N, RP, RN), PRIV_OK);
    assert_int_equal(priv_role_change(N, RM, AD, RM, RN), PRIV_NOT_ALLOWED);
    assert_int_equal(priv_role_change(M, RM, OW, RM, RN), PRIV_NOT_ALLOWED);
    assert_int_equal(priv_role_change(N, RP, N, RP, RN), PRIV_FORBIDDEN);
    /* the original needed admin to kick: a plain moderator may */
    assert_int_equal(priv_role_change(M, RM, M, RP, RN), PRIV_OK);
    /* a moderator without affiliation cannot kick a member (ranked above it) */
    assert_int_equal(priv_role_change(N, RM, M, RP, RN), PRIV_NOT_ALLOWED);
    /* MOD-2: voice */
    assert_int_equal(priv_role_change(N, RM, N, RV, RP), PRIV_OK);
    assert_int_equal(priv_role_change(N, RM, N, RP, RV), PRIV_OK);
    assert_int_equal(priv_role_change(N, RV, N, RV, RP), PRIV_FORBIDDEN);
    /* ADMIN-4: moderator role */
    assert_int_equal(priv_role_change(AD, RM, N, RP, RM), PRIV_OK);
    assert_int_equal(priv_role_change(N, RM, N, RP, RM), PRIV_FORBIDDEN);
    assert_int_equal(priv_role_change(AD, RM, N, RM, RP), PRIV_OK);
    assert_int_equal(priv_role_change(M, RM, N, RM, RP), PRIV_NOT_ALLOWED);
    assert_int_equal(priv_role_change(OW, RN, AD, RM, RP), PRIV_NOT_ALLOWED);
    /* ADMIN-1, ADMIN-6 */
    assert_int_equal(priv_aff_change(AD, RM, N, OC), PRIV_OK);
    assert_int_equal(priv_aff_change(AD, RM, M, OC), PRIV_OK);
    assert_int_equal(priv_aff_change(AD, RM, AD, OC), PRIV_NOT_ALLOWED);
    assert_int_equal(priv_aff_change(AD, RM, OW, M), PRIV_NOT_ALLOWED);
    assert_int_equal(priv_aff_change(AD, RM, OW, N), PRIV_NOT_ALLOWED);
    assert_int_equal(priv_aff_change(AD, RM, N, AD), PRIV_FORBIDDEN);
    assert_int_equal(priv_aff_change(M, RM, N, OC), PRIV_FORBIDDEN);
    assert_int_equal(priv_aff_change(N, RM, N, M), PRIV_FORBIDDEN);
    /* OWNER-5: owners change anyone (the last owner is the caller's check) */
    assert_int_equal(priv_aff_change(OW, RN, OW, N), PRIV_OK);
    assert_int_equal(priv_aff_change(OW, RM, AD, OC), PRIV_OK);
    assert_int_equal(priv_aff_change(OW, RM, N, OW), PRIV_OK);
    /* out of range values are refused, not read past the tables */
    assert_int_equal(priv_role_change(OW, RM, N, RP, (pv_muc_role_t)7), PRIV_FORBIDDEN);
    assert_int_equal(priv_aff_change(OW, RM, N, (pv_muc_aff_t)9), PRIV_FORBIDDEN);
}

static void test_lists(void **state)
{
    (void)state;
    room_t r;
    memset(&r, 0, sizeof r);
    r.cfg[CF_GETMEMBERLIST] = "moderator";
    for (int aa = 0; aa <= PV_MUC_AFF_OWNER; aa++)
        for (int ar = 0; ar <= PV_MUC_ROLE_MODERATOR; ar++) {
            bool mod = ar == PV_MUC_ROLE_MODERATOR || aa >= PV_MUC_AFF_ADMIN;
            /* §8.5 voice list: moderators; §9.8 moderator list: admins */
            assert_int_equal(priv_list_role(&r, aa, ar, PV_MUC_ROLE_PARTICIPANT), mod);
            assert_int_equal(priv_list_role(&r, aa, ar, PV_MUC_ROLE_VISITOR), mod);
            assert_int_equal(priv_list_role(&r, aa, ar, PV_MUC_ROLE_MODERATOR),
                             aa >= PV_MUC_AFF_ADMIN);
            assert_false(priv_list_role(&r, aa, ar, PV_MUC_ROLE_NONE));
            /* §9.2 ban list, §9.5 member list: admins; §10.5, §10.8: owners */
            assert_int_equal(priv_list_aff(&r, aa, ar, PV_MUC_AFF_OUTCAST), aa >= PV_MUC_AFF_ADMIN);
            assert_int_equal(priv_list_aff(&r, aa, ar, PV_MUC_AFF_MEMBER),
                             aa >= PV_MUC_AFF_ADMIN || ar == PV_MUC_ROLE_MODERATOR);
            assert_int_equal(priv_list_aff(&r, aa, ar, PV_MUC_AFF_ADMIN), aa == PV_MUC_AFF_OWNER);
            assert_int_equal(priv_list_aff(&r, aa, ar, PV_MUC_AFF_OWNER), aa == PV_MUC_AFF_OWNER);
            assert_false(priv_list_aff(&r, aa, ar, PV_MUC_AFF_NONE));
        }
    /* getmemberlist names participants: they may read the member list */
    r.cfg[CF_GETMEMBERLIST] = "moderator participant";
    assert_true(priv_list_aff(&r, PV_MUC_AFF_NONE, PV_MUC_ROLE_PARTICIPANT, PV_MUC_AFF_MEMBER));
    assert_false(priv_list_aff(&r, PV_MUC_AFF_NONE, PV_MUC_ROLE_VISITOR, PV_MUC_AFF_MEMBER));
    assert_false(priv_list_aff(&r, PV_MUC_AFF_NONE, PV_MUC_ROLE_NONE, PV_MUC_AFF_MEMBER));
}

static void test_names(void **state)
{
    (void)state;
    pv_muc_role_t role;
    pv_muc_aff_t aff;
    assert_true(role_parse("visitor", &role) && role == PV_MUC_ROLE_VISITOR);
    assert_true(aff_parse("outcast", &aff) && aff == PV_MUC_AFF_OUTCAST);
    assert_false(role_parse("player", &role));
    assert_false(aff_parse("Owner", &aff));
    assert_false(aff_parse(NULL, &aff));
    assert_string_equal(priv_condition(PRIV_NOT_ALLOWED), "not-allowed");
    assert_string_equal(priv_condition(PRIV_FORBIDDEN), "forbidden");
}

/* groupchat needs voice (visitors never speak); moderated rooms make newcomers visitors */
static void test_send_groupchat_needs_voice(void **state)
{
    (void)state;
    room_t r;
    occupant_t o;
    memset(&r, 0, sizeof r);
    memset(&o, 0, sizeof o);
    fake_aff = PV_MUC_AFF_NONE;
    for (int moderated = 0; moderated < 2; moderated++) {
        r.cfg[CF_MODERATED] = moderated ? "1" : "0";
        o.role = PV_MUC_ROLE_VISITOR;
        assert_false(may(&r, &o, PRIV_SEND_GROUPCHAT));
        o.role = PV_MUC_ROLE_PARTICIPANT;
        assert_true(may(&r, &o, PRIV_SEND_GROUPCHAT));
    }
    assert_false(may(&r, NULL, PRIV_SEND_GROUPCHAT));
}

/* An extra affiliation (here given from admin up) replaces the target's
 * standard one, so the actor must also reach the target: an admin may not
 * make an owner or another admin a holder of it, as it may not make them
 * members. */
static void test_extra_affiliation_grant(void **state)
{
    (void)state;
    const pv_muc_extra_aff_t helper = {.name = "helper",
                                       .role = "helper",
                                       .base_role = PV_MUC_ROLE_PARTICIPANT,
                                       .grantor = PV_MUC_AFF_ADMIN};
    assert_int_equal(ext_api_register_affiliation(&helper), 0);
    const aff_row_t *h = aff_row_extra("helper");
    assert_non_null(h);
    const pv_muc_role_t P = PV_MUC_ROLE_PARTICIPANT;
    pv_muc_aff_t id = (pv_muc_aff_t)h->id;
    assert_int_equal(priv_aff_change(PV_MUC_AFF_ADMIN, P, PV_MUC_AFF_NONE, id), PRIV_OK);
    assert_int_equal(priv_aff_change(PV_MUC_AFF_ADMIN, P, PV_MUC_AFF_MEMBER, id), PRIV_OK);
    assert_int_equal(priv_aff_change(PV_MUC_AFF_ADMIN, P, PV_MUC_AFF_OUTCAST, id), PRIV_OK);
    assert_int_equal(priv_aff_change(PV_MUC_AFF_ADMIN, P, PV_MUC_AFF_ADMIN, id), PRIV_NOT_ALLOWED);
    assert_int_equal(priv_aff_change(PV_MUC_AFF_ADMIN, P, PV_MUC_AFF_OWNER, id), PRIV_NOT_ALLOWED);
    assert_int_equal(priv_aff_change(PV_MUC_AFF_OWNER, P, PV_MUC_AFF_OWNER, id), PRIV_OK);
    assert_int_equal(priv_aff_change(PV_MUC_AFF_OWNER, P, PV_MUC_AFF_ADMIN, id), PRIV_OK);
    assert_int_equal(priv_aff_change(PV_MUC_AFF_MEMBER, P, PV_MUC_AFF_NONE, id), PRIV_FORBIDDEN);
    ext_api_unregister_affiliation(&helper);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_cell_of_the_change_tables),
        cmocka_unit_test(test_named_cells),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_send_groupchat_needs_voice),
        cmocka_unit_test(test_extra_affiliation_grant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
