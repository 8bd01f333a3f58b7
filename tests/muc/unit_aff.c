/*
 * tests/muc/unit_aff.c: the registry of affiliations (affiliations.c). The
 * five of XEP-0045 are rows at the index of their pv_muc_aff_t value; a
 * plugin's extra affiliation (register_affiliation) becomes a row after
 * them, made from its definition; names are unique across both; the places
 * for extra rows are limited and freed by unregistering. What the rows say
 * about privileges is tests/muc/unit_priv.c's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "muc_internal.h"

static void test_standard_rows_at_their_enum_value(void **state)
{
    (void)state;
    static const char *const names[] = {"outcast", "none", "member", "admin", "owner"};
    assert_int_equal(aff_rows_core(), 0);
    assert_int_equal(aff_rows_core(), 0); /* again: nothing added twice */
    for (int a = PV_MUC_AFF_OUTCAST; a <= PV_MUC_AFF_OWNER; a++) {
        const aff_row_t *row = aff_row(a);
        assert_non_null(row);
        assert_int_equal(row->id, a);
        assert_int_equal(row->rank, a);
        assert_string_equal(row->name, names[a]);
        assert_int_equal(aff_row_find(names[a]), a);
        assert_null(aff_row_extra(names[a])); /* not an extra one */
        assert_null(row->role_shown);
    }
    assert_null(aff_row(PV_MUC_AFF_OWNER + 1)); /* no extra one registered */
    assert_null(aff_row(-1));
    assert_null(aff_row(AFF_MAX_ROWS));
    assert_int_equal(aff_row_find("Owner"), -1);
    assert_int_equal(aff_row_find(NULL), -1);
}

static void test_extra_row_made_from_its_definition(void **state)
{
    (void)state;
    const pv_muc_extra_aff_t player = {.name = "player",
                                       .role = "player",
                                       .base_role = PV_MUC_ROLE_PARTICIPANT,
                                       .grantor = PV_MUC_AFF_OWNER};
    const pv_muc_extra_aff_t helper = {.name = "helper",
                                       .role = "helper",
                                       .base_role = PV_MUC_ROLE_VISITOR,
                                       .grantor = PV_MUC_AFF_MEMBER};
    assert_int_equal(ext_api_register_affiliation(&player), 0);
    assert_int_equal(ext_api_register_affiliation(&helper), 0);
    const aff_row_t *p = aff_row_extra("player"), *h = aff_row_extra("helper");
    assert_non_null(p);
    assert_non_null(h);
    assert_true(p->id > PV_MUC_AFF_OWNER && h->id > PV_MUC_AFF_OWNER && p->id != h->id);
    assert_ptr_equal(aff_row(p->id), p);
    assert_int_equal(aff_row_find("player"), p->id);
    /* holders rank as none; given from the grantor up; listed from the
     * grantor up, from admin up at most; enter with the base role, shown
     * with the extra role name; never given to oneself */
    assert_int_equal(p->rank, PV_MUC_AFF_NONE);
    assert_int_equal(p->grant, PV_MUC_AFF_OWNER);
    assert_int_equal(p->list, PV_MUC_AFF_ADMIN);
    assert_int_equal(h->list, PV_MUC_AFF_MEMBER);
    assert_int_equal(p->list_cfg, -1);
    assert_int_equal(p->reach, 0);
    assert_false(p->moderator);
    assert_int_equal(p->join_role, PV_MUC_ROLE_PARTICIPANT);
    assert_int_equal(h->join_moderated, PV_MUC_ROLE_VISITOR);
    assert_string_equal(p->role_shown, "player");
    assert_true(p->not_to_self);
    ext_api_unregister_affiliation(&player);
    ext_api_unregister_affiliation(&helper);
    assert_null(aff_row_extra("player"));
    assert_null(aff_row_extra("helper"));
}

static void test_names_unique_and_definitions_checked(void **state)
{
    (void)state;
    const pv_muc_extra_aff_t owner = {"owner", "owner", PV_MUC_ROLE_MODERATOR, PV_MUC_AFF_OWNER};
    const pv_muc_extra_aff_t a = {"player", "player", PV_MUC_ROLE_PARTICIPANT, PV_MUC_AFF_OWNER};
    const pv_muc_extra_aff_t b = {"player", "gamer", PV_MUC_ROLE_VISITOR, PV_MUC_AFF_ADMIN};
    const pv_muc_extra_aff_t no_role = {"x", NULL, PV_MUC_ROLE_VISITOR, PV_MUC_AFF_OWNER};
    const pv_muc_extra_aff_t no_name = {NULL, "x", PV_MUC_ROLE_VISITOR, PV_MUC_AFF_OWNER};
    assert_int_equal(ext_api_register_affiliation(&owner), -1); /* a standard name */
    assert_int_equal(aff_row_find("owner"), PV_MUC_AFF_OWNER);
    assert_int_equal(ext_api_register_affiliation(&a), 0);
    assert_int_equal(ext_api_register_affiliation(&b), -1); /* registered already */
    assert_string_equal(aff_row_extra("player")->role_shown, "player");
    assert_int_equal(ext_api_register_affiliation(&no_role), -1);
    assert_int_equal(ext_api_register_affiliation(&no_name), -1);
    assert_int_equal(ext_api_register_affiliation(NULL), -1);
    ext_api_unregister_affiliation(&b); /* not registered: nothing */
    assert_non_null(aff_row_extra("player"));
    ext_api_unregister_affiliation(&a);
    assert_null(aff_row_extra("player"));
}

static void test_places_for_extra_rows(void **state)
{
    (void)state;
    char names[AFF_EXTRA_MAX + 1][8];
    pv_muc_extra_aff_t defs[AFF_EXTRA_MAX + 1];
    for (int i = 0; i <= AFF_EXTRA_MAX; i++) {
        snprintf(names[i], sizeof names[i], "x%d", i);
        defs[i] = (pv_muc_extra_aff_t){names[i], names[i], PV_MUC_ROLE_VISITOR, PV_MUC_AFF_OWNER};
    }
    for (int i = 0; i < AFF_EXTRA_MAX; i++)
        assert_int_equal(ext_api_register_affiliation(&defs[i]), 0);
    assert_int_equal(ext_api_register_affiliation(&defs[AFF_EXTRA_MAX]), -1); /* full */
    ext_api_unregister_affiliation(&defs[3]); /* frees its place */
    assert_null(aff_row_extra("x3"));
    assert_int_equal(ext_api_register_affiliation(&defs[AFF_EXTRA_MAX]), 0);
    assert_non_null(aff_row_extra(names[AFF_EXTRA_MAX]));
    for (int i = 0; i <= AFF_EXTRA_MAX; i++)
        ext_api_unregister_affiliation(&defs[i]);
    for (int id = PV_MUC_AFF_OWNER + 1; id < AFF_MAX_ROWS; id++)
        assert_null(aff_row(id));
    assert_non_null(aff_row(PV_MUC_AFF_OWNER)); /* the standard rows stay */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_standard_rows_at_their_enum_value),
        cmocka_unit_test(test_extra_row_made_from_its_definition),
        cmocka_unit_test(test_names_unique_and_definitions_checked),
        cmocka_unit_test(test_places_for_extra_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
