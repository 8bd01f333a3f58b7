/*
 * tests/muc/unit_muc.c: unit tests of muc-core's building blocks that need no
 * daemon: the hash table behind every index (case-insensitive nick keys,
 * growth, deletion during use) and the configuration field table's value
 * normalisation (XEP-0045 booleans, list options, numbers).
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

static void test_map_put_get_delete_and_grow(void **state)
{
    (void)state;
    map_t m;
    map_init(&m, false);
    static int vals[1000];
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(map_put(&m, key, &vals[i]), 0);
    }
    assert_int_equal(m.count, 1000);
    assert_true(m.nbuckets >= 1000);
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_ptr_equal(map_get(&m, key), &vals[i]);
    }
    assert_null(map_get(&m, "K1")); /* case-sensitive map */
    assert_ptr_equal(map_del(&m, "k5"), &vals[5]);
    assert_null(map_get(&m, "k5"));
    assert_null(map_del(&m, "k5"));
    assert_int_equal(m.count, 999);
    assert_int_equal(map_put(&m, "k6", &vals[0]), 0); /* replace */
    assert_ptr_equal(map_get(&m, "k6"), &vals[0]);
    assert_int_equal(m.count, 999);
    size_t i, n = 0;
    for (map_entry_t *e = map_first(&m, &i); e; e = map_next(&m, e, &i))
        n++;
    assert_int_equal(n, 999);
    map_clear(&m);
    assert_null(map_get(&m, "k1"));
}

static void test_map_case_insensitive_nicks(void **state)
{
    (void)state;
    map_t m;
    int a, b;
    map_init(&m, true);
    assert_int_equal(map_put(&m, "Alice", &a), 0);
    assert_ptr_equal(map_get(&m, "alice"), &a);
    assert_ptr_equal(map_get(&m, "ALICE"), &a);
    assert_int_equal(map_put(&m, "ALICE", &b), 0); /* same key */
    assert_int_equal(m.count, 1);
    assert_ptr_equal(map_del(&m, "aLiCe"), &b);
    assert_int_equal(m.count, 0);
    map_clear(&m);
}

static void test_nick_keys_fold_unicode_case(void **state)
{
    (void)state;
    map_t m;
    int a;
    map_init(&m, true);
    assert_int_equal(map_put_nick(&m, "\xc3\x84rger", &a), 0); /* Ärger */
    assert_ptr_equal(map_get_nick(&m, "\xc3\xa4rger"), &a);    /* ärger */
    assert_ptr_equal(map_get_nick(&m, "\xc3\x84RGER"), &a);
    assert_null(map_get_nick(&m, "arger"));
    assert_true(nick_equal("\xef\xbc\xa1lice", "alice")); /* fullwidth A */
    assert_false(nick_equal("alice", "alicia"));
    assert_ptr_equal(map_del_nick(&m, "\xc3\xa4RGER"), &a);
    assert_int_equal(m.count, 0);
    map_clear(&m);
}

static char *norm(int f, const char *xml, const char **why)
{
    pv_el_t *el = pv_el_parse(xml, strlen(xml), NULL, 0);
    assert_non_null(el);
    char *v = config_field_normalise(&config_fields[f], el, why);
    pv_el_free(el);
    return v;
}

#define FIELD(v) "<field xmlns='jabber:x:data' var='x'>" v "</field>"

static void test_config_booleans(void **state)
{
    (void)state;
    const char *why;
    const char *yes[] = {"<value>1</value>", "<value>true</value>", "<value>TRUE</value>"};
    const char *no[] = {"<value>0</value>", "<value>false</value>", ""};
    char buf[128];
    for (size_t i = 0; i < 3; i++) {
        snprintf(buf, sizeof buf, "<field xmlns='jabber:x:data' var='x'>%s</field>", yes[i]);
        char *v = norm(CF_PERSISTENT, buf, &why);
        assert_string_equal(v, "1");
        free(v);
        snprintf(buf, sizeof buf, "<field xmlns='jabber:x:data' var='x'>%s</field>", no[i]);
        v = norm(CF_PERSISTENT, buf, &why);
        assert_string_equal(v, "0");
        free(v);
    }
    assert_null(norm(CF_PERSISTENT, FIELD("<value>yes please</value>"), &why));
    assert_non_null(why);
}

static void test_config_lists_and_numbers(void **state)
{
    (void)state;
    const char *why;
    char *v = norm(CF_WHOIS, FIELD("<value>anyone</value>"), &why);
    assert_string_equal(v, "anyone");
    free(v);
    assert_null(norm(CF_WHOIS, FIELD("<value>everyone</value>"), &why));
    v = norm(CF_PRESENCEBROADCAST, FIELD("<value>moderator</value><value>visitor</value>"), &why);
    assert_string_equal(v, "moderator visitor");
    free(v);
    assert_null(
        norm(CF_PRESENCEBROADCAST, FIELD("<value>moderator</value><value>god</value>"), &why));
    v = norm(CF_MAXUSERS, FIELD("<value>42</value>"), &why); /* any number, not only the options */
    assert_string_equal(v, "42");
    free(v);
    assert_null(norm(CF_MAXUSERS, FIELD("<value>-1</value>"), &why));
    assert_null(norm(CF_MESSAGE_SIZE, FIELD("<value>12x</value>"), &why));
    /* text-single, as XEP-0045's registry gives it: one value */
    v = norm(CF_ROOMDESC, FIELD("<value>About things</value>"), &why);
    assert_string_equal(v, "About things");
    free(v);
}

static void test_config_table_is_consistent(void **state)
{
    (void)state;
    for (int i = 0; i < CF_COUNT; i++) {
        assert_non_null(config_fields[i].var);
        assert_non_null(config_fields[i].key);
        assert_non_null(config_fields[i].def);
        assert_int_equal(config_field_index(config_fields[i].var), i);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(config_fields[i].key, config_fields[j].key);
    }
    assert_int_equal(config_field_index("muc#roomconfig_nonsense"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_put_get_delete_and_grow),
        cmocka_unit_test(test_map_case_insensitive_nicks),
        cmocka_unit_test(test_nick_keys_fold_unicode_case),
        cmocka_unit_test(test_config_booleans),
        cmocka_unit_test(test_config_lists_and_numbers),
        cmocka_unit_test(test_config_table_is_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
