/*
 * tests/unit/test_store_rooms.c: conformance tests for rooms, affiliations
 * and registrations: put/load/list/delete, the cascade on delete,
 * all-or-nothing affs_set, and EINVAL for caller bugs.
 */
#include "test_store.h"

/* ---- Rooms ---- */

void test_room_put_load(void **state)
{
    ctx_t *c = *state;
    const pv_kv_t kv[] = {{"title", "The Lounge"}, {"persistent", "1"}, {"a", ""}};
    assert_int_equal(do_put(c, "lounge", kv, 3), 0);
    res_t r;
    do_load(c, "lounge", &r);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.rname, "lounge");
    assert_int_equal(r.nconfig, 3);
    for (size_t i = 0; i < 3; i++) { /* order kept */
        assert_string_equal(r.config[i].key, kv[i].key);
        assert_string_equal(r.config[i].value, kv[i].value);
    }
    assert_int_equal(r.naffs, 0);
    assert_int_equal(r.nregs, 0);
    res_clear(&r);

    /* A second put replaces the whole config and keeps affiliations. */
    const pv_store_aff_t a[] = {{"o@example.org", "owner", NULL}};
    assert_int_equal(do_affs(c, "lounge", a, 1), 0);
    assert_int_equal(do_reg(c, "lounge", "o@example.org", "Olga"), 0);
    const pv_kv_t kv2[] = {{"title", "Renamed"}};
    assert_int_equal(do_put(c, "lounge", kv2, 1), 0);
    do_load(c, "lounge", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nconfig, 1);
    assert_string_equal(r.config[0].value, "Renamed");
    assert_int_equal(r.naffs, 1);
    assert_string_equal(find_aff(&r, "o@example.org")->affiliation, "owner");
    assert_string_equal(find_reg(&r, "o@example.org"), "Olga");
    res_clear(&r);

    /* An empty config is a valid room. */
    assert_int_equal(do_put(c, "kitchen", NULL, 0), 0);
    do_load(c, "kitchen", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nconfig, 0);
    res_clear(&r);
}

void test_room_missing_is_enotfound(void **state)
{
    ctx_t *c = *state;
    res_t r;
    do_load(c, "attic", &r);
    assert_int_equal(r.status, PV_STORE_ENOTFOUND);
    assert_int_equal(r.has_room, 0);
    res_clear(&r);
    assert_int_equal(do_delete(c, "attic"), PV_STORE_ENOTFOUND);
    const pv_store_aff_t a[] = {{"x@example.org", "member", NULL}};
    assert_int_equal(do_affs(c, "attic", a, 1), PV_STORE_ENOTFOUND);
    assert_int_equal(do_reg(c, "attic", "x@example.org", "X"), PV_STORE_ENOTFOUND);
    assert_int_equal(do_replace(c, "attic", "nope", "<message/>"), PV_STORE_ENOTFOUND);
}

void test_room_list(void **state)
{
    ctx_t *c = *state;
    res_t r;
    do_list(c, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nnames, 0);
    res_clear(&r);
    assert_int_equal(do_put(c, "lounge", NULL, 0), 0);
    assert_int_equal(do_put(c, "kitchen", NULL, 0), 0);
    assert_int_equal(do_put(c, "attic", NULL, 0), 0);
    assert_int_equal(do_put(c, "kitchen", NULL, 0), 0); /* no duplicate */
    /* An archive alone does not make a stored room. */
    assert_int_equal(do_append(c, "temp", "m1", 1, "n", NULL, "<message/>"), 0);
    do_list(c, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nnames, 3);
    assert_true(has_name(&r, "lounge") && has_name(&r, "kitchen") && has_name(&r, "attic"));
    assert_false(has_name(&r, "temp"));
    res_clear(&r);
    assert_int_equal(do_delete(c, "kitchen"), 0);
    do_list(c, &r);
    assert_int_equal(r.nnames, 2);
    assert_false(has_name(&r, "kitchen"));
    res_clear(&r);
}

void test_room_delete_cascades(void **state)
{
    ctx_t *c = *state;
    const pv_kv_t kv[] = {{"title", "T"}};
    assert_int_equal(do_put(c, "lounge", kv, 1), 0);
    assert_int_equal(do_put(c, "other", kv, 1), 0);
    const pv_store_aff_t a[] = {{"a@example.org", "admin", "trusted"}};
    assert_int_equal(do_affs(c, "lounge", a, 1), 0);
    assert_int_equal(do_affs(c, "other", a, 1), 0);
    assert_int_equal(do_reg(c, "lounge", "a@example.org", "Ann"), 0);
    assert_int_equal(do_append(c, "lounge", "m1", 10, "Ann", "a@example.org", "<message/>"), 0);
    assert_int_equal(do_append(c, "other", "m1", 10, "Ann", "a@example.org", "<message/>"), 0);

    assert_int_equal(do_delete(c, "lounge"), 0);
    res_t r;
    do_load(c, "lounge", &r);
    assert_int_equal(r.status, PV_STORE_ENOTFOUND);
    res_clear(&r);
    do_query(c, "lounge", NULL, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nmsgs, 0);
    res_clear(&r);
    assert_int_equal(do_delete(c, "lounge"), PV_STORE_ENOTFOUND);

    /* Re-creating it starts from nothing. */
    assert_int_equal(do_put(c, "lounge", NULL, 0), 0);
    do_load(c, "lounge", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.nconfig, 0);
    assert_int_equal(r.naffs, 0);
    assert_int_equal(r.nregs, 0);
    res_clear(&r);

    /* The other room lost nothing. */
    do_load(c, "other", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.naffs, 1);
    res_clear(&r);
    do_query(c, "other", NULL, &r);
    assert_int_equal(r.nmsgs, 1);
    res_clear(&r);
}

/* ---- Affiliations and registrations ---- */

void test_affs_set(void **state)
{
    ctx_t *c = *state;
    assert_int_equal(do_put(c, "lounge", NULL, 0), 0);
    const pv_store_aff_t a[] = {
        {"owner@example.org", "owner", NULL},
        {"m1@example.org", "member", "friend"},
        {"m2@example.org", "member", NULL},
        {"evil.example", "outcast", "spam domain"},
    };
    assert_int_equal(do_affs(c, "lounge", a, 4), 0);
    res_t r;
    do_load(c, "lounge", &r);
    assert_int_equal(r.naffs, 4);
    assert_string_equal(find_aff(&r, "owner@example.org")->affiliation, "owner");
    assert_null(find_aff(&r, "owner@example.org")->reason);
    assert_string_equal(find_aff(&r, "m1@example.org")->reason, "friend");
    assert_string_equal(find_aff(&r, "evil.example")->affiliation, "outcast");
    res_clear(&r);

    /* Replace one, remove one, remove an absent one; order within a batch counts. */
    const pv_store_aff_t b[] = {
        {"m1@example.org", "admin", "promoted"}, {"m2@example.org", "none", NULL},
        {"ghost@example.org", "none", NULL},     {"p@example.org", "member", NULL},
        {"p@example.org", "player", NULL},
    };
    assert_int_equal(do_affs(c, "lounge", b, 5), 0);
    do_load(c, "lounge", &r);
    assert_int_equal(r.naffs, 4);
    assert_string_equal(find_aff(&r, "m1@example.org")->affiliation, "admin");
    assert_string_equal(find_aff(&r, "m1@example.org")->reason, "promoted");
    assert_null(find_aff(&r, "m2@example.org"));
    assert_null(find_aff(&r, "ghost@example.org"));
    assert_string_equal(find_aff(&r, "p@example.org")->affiliation, "player");
    res_clear(&r);

    /* An empty batch changes nothing and succeeds. */
    assert_int_equal(do_affs(c, "lounge", NULL, 0), 0);
}

void test_affs_set_is_atomic(void **state)
{
    ctx_t *c = *state;
    assert_int_equal(do_put(c, "lounge", NULL, 0), 0);
    const pv_store_aff_t a[] = {{"keep@example.org", "admin", "r"}};
    assert_int_equal(do_affs(c, "lounge", a, 1), 0);

    const pv_store_aff_t bad_jid[] = {
        {"new@example.org", "member", NULL},
        {"keep@example.org", "none", NULL},
        {NULL, "member", NULL},
    };
    res_t r = {0};
    c->st->affs_set(c->h, "lounge", bad_jid, 3, done_cb, &r);
    wait_for(&r.fired);
    assert_int_equal(r.status, PV_STORE_EINVAL);
    assert_true(strlen(r.err) > 0);
    const pv_store_aff_t bad_aff[] = {
        {"new@example.org", "member", NULL},
        {"x@example.org", NULL, NULL},
    };
    assert_int_equal(do_affs(c, "lounge", bad_aff, 2), PV_STORE_EINVAL);
    const pv_store_aff_t empty_jid[] = {{"new@example.org", "member", NULL}, {"", "member", NULL}};
    assert_int_equal(do_affs(c, "lounge", empty_jid, 2), PV_STORE_EINVAL);

    do_load(c, "lounge", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.naffs, 1);
    assert_string_equal(r.affs[0].jid, "keep@example.org");
    assert_string_equal(r.affs[0].affiliation, "admin");
    assert_string_equal(r.affs[0].reason, "r");
    res_clear(&r);
}

void test_reg_set(void **state)
{
    ctx_t *c = *state;
    assert_int_equal(do_put(c, "lounge", NULL, 0), 0);
    assert_int_equal(do_reg(c, "lounge", "a@example.org", "Ann"), 0);
    assert_int_equal(do_reg(c, "lounge", "b@example.org", "Bob"), 0);
    assert_int_equal(do_reg(c, "lounge", "a@example.org", "Annie"), 0);
    res_t r;
    do_load(c, "lounge", &r);
    assert_int_equal(r.nregs, 2);
    assert_string_equal(find_reg(&r, "a@example.org"), "Annie");
    assert_string_equal(find_reg(&r, "b@example.org"), "Bob");
    res_clear(&r);
    assert_int_equal(do_reg(c, "lounge", "b@example.org", NULL), 0);
    assert_int_equal(do_reg(c, "lounge", "nobody@example.org", NULL), 0);
    assert_int_equal(do_reg(c, "lounge", NULL, "X"), PV_STORE_EINVAL);
    do_load(c, "lounge", &r);
    assert_int_equal(r.nregs, 1);
    assert_null(find_reg(&r, "b@example.org"));
    res_clear(&r);
}

void test_invalid_arguments(void **state)
{
    ctx_t *c = *state;
    const pv_kv_t badkv[] = {{NULL, "v"}};
    assert_int_equal(do_put(c, NULL, NULL, 0), PV_STORE_EINVAL);
    assert_int_equal(do_put(c, "", NULL, 0), PV_STORE_EINVAL);
    assert_int_equal(do_put(c, "lounge", badkv, 1), PV_STORE_EINVAL);
    res_t r;
    do_load(c, "lounge", &r); /* the bad put stored nothing */
    assert_int_equal(r.status, PV_STORE_ENOTFOUND);
    res_clear(&r);
    assert_int_equal(do_append(c, "lounge", NULL, 1, "n", NULL, "<m/>"), PV_STORE_EINVAL);
    assert_int_equal(do_append(c, "lounge", "i", 1, "n", NULL, NULL), PV_STORE_EINVAL);
    assert_int_equal(do_append(c, NULL, "i", 1, "n", NULL, "<m/>"), PV_STORE_EINVAL);
    assert_int_equal(do_replace(c, "lounge", "i", NULL), PV_STORE_EINVAL);
}
