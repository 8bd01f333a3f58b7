/*
 * tests/unit/test_map.c: the core's hash table (palaver/map.h), which
 * muc-core, the history plugin and the backends all use: insert, lookup,
 * replace, delete; growth from nothing allocated to many buckets with
 * every entry still found; case-insensitive keys (and case-sensitive ones
 * by default, a zeroed table included); iteration that sees each entry
 * once, also while removing the current entry; clear and free giving every
 * value to free_val; keys copied; NULL keys refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <palaver/map.h>

static void test_insert_lookup_replace_delete(void **state)
{
    (void)state;
    pv_map_t m;
    pv_map_init(&m, 0);
    int a = 1, b = 2, c = 3;
    assert_null(pv_map_get(&m, "alice"));
    assert_null(pv_map_del(&m, "alice"));
    assert_int_equal(pv_map_put(&m, "alice", &a), 0);
    assert_int_equal(pv_map_put(&m, "bob", &b), 0);
    assert_ptr_equal(pv_map_get(&m, "alice"), &a);
    assert_ptr_equal(pv_map_get(&m, "bob"), &b);
    assert_null(pv_map_get(&m, "carol"));
    assert_int_equal(pv_map_count(&m), 2);
    assert_int_equal(pv_map_put(&m, "alice", &c), 0); /* replaces, no new entry */
    assert_ptr_equal(pv_map_get(&m, "alice"), &c);
    assert_int_equal(pv_map_count(&m), 2);
    assert_ptr_equal(pv_map_del(&m, "alice"), &c);
    assert_null(pv_map_get(&m, "alice"));
    assert_null(pv_map_del(&m, "alice"));
    assert_int_equal(pv_map_count(&m), 1);
    assert_int_equal(pv_map_put(&m, "", &a), 0); /* the empty key is a key */
    assert_ptr_equal(pv_map_get(&m, ""), &a);
    pv_map_clear(&m, NULL);
    assert_int_equal(pv_map_count(&m), 0);
    assert_null(pv_map_get(&m, "bob"));
}

static void test_keys_are_copied_values_borrowed(void **state)
{
    (void)state;
    pv_map_t m;
    pv_map_init(&m, 0);
    char key[16] = "room1";
    int v = 7;
    assert_int_equal(pv_map_put(&m, key, &v), 0);
    strcpy(key, "room2");
    assert_ptr_equal(pv_map_get(&m, "room1"), &v);
    assert_null(pv_map_get(&m, "room2"));
    size_t i;
    pv_map_entry_t *e = pv_map_first(&m, &i);
    assert_non_null(e);
    assert_string_equal(pv_map_key(e), "room1");
    assert_string_equal(e->key, "room1");
    assert_ptr_equal(e->val, &v);
    pv_map_clear(&m, NULL);
}

static void test_nothing_allocated_until_used(void **state)
{
    (void)state;
    assert_int_equal(sizeof(pv_map_t), 16); /* embedded by the thousand in rooms */
    pv_map_t zero;
    memset(&zero, 0, sizeof zero); /* a zeroed table is a valid empty one */
    assert_null(pv_map_get(&zero, "x"));
    size_t i;
    assert_null(pv_map_first(&zero, &i));
    int v = 1;
    assert_int_equal(pv_map_put(&zero, "X", &v), 0);
    assert_null(pv_map_get(&zero, "x")); /* case-sensitive */
    pv_map_clear(&zero, NULL);
    assert_null(zero.buckets);
    assert_int_equal(zero.nbuckets, 0);
}

static void test_growth_keeps_every_entry(void **state)
{
    (void)state;
    enum { N = 20000 };
    static int vals[N];
    pv_map_t m;
    pv_map_init(&m, 0);
    assert_int_equal(pv_map_put(&m, "first", &vals[0]), 0);
    assert_int_equal(m.nbuckets, 2);
    char key[32];
    for (int k = 0; k < N; k++) {
        snprintf(key, sizeof key, "room-%d@conference.example", k);
        assert_int_equal(pv_map_put(&m, key, &vals[k]), 0);
        assert_true(pv_map_count(&m) <= m.nbuckets); /* load factor at most 1 */
    }
    assert_int_equal(pv_map_count(&m), N + 1);
    assert_true(m.nbuckets >= N && (m.nbuckets & (m.nbuckets - 1)) == 0);
    for (int k = 0; k < N; k++) {
        snprintf(key, sizeof key, "room-%d@conference.example", k);
        assert_ptr_equal(pv_map_get(&m, key), &vals[k]);
    }
    assert_ptr_equal(pv_map_get(&m, "first"), &vals[0]);
    for (int k = 0; k < N; k += 2) {
        snprintf(key, sizeof key, "room-%d@conference.example", k);
        assert_ptr_equal(pv_map_del(&m, key), &vals[k]);
    }
    assert_int_equal(pv_map_count(&m), N / 2 + 1);
    for (int k = 1; k < N; k += 2) {
        snprintf(key, sizeof key, "room-%d@conference.example", k);
        assert_ptr_equal(pv_map_get(&m, key), &vals[k]);
    }
    pv_map_clear(&m, NULL);
}

static void test_case_insensitive_keys(void **state)
{
    (void)state;
    pv_map_t m;
    pv_map_init(&m, PV_MAP_CI);
    int a = 1, b = 2;
    assert_int_equal(pv_map_put(&m, "Alice@Example.org", &a), 0);
    assert_ptr_equal(pv_map_get(&m, "alice@example.org"), &a);
    assert_ptr_equal(pv_map_get(&m, "ALICE@EXAMPLE.ORG"), &a);
    assert_int_equal(pv_map_put(&m, "ALICE@example.ORG", &b), 0); /* the same key */
    assert_int_equal(pv_map_count(&m), 1);
    assert_ptr_equal(pv_map_get(&m, "alice@example.org"), &b);
    size_t i;
    assert_string_equal(pv_map_key(pv_map_first(&m, &i)), "Alice@Example.org"); /* first spelling */
    for (int k = 0; k < 100; k++) { /* growth hashes folded keys too */
        char key[16];
        snprintf(key, sizeof key, "Nick%d", k);
        assert_int_equal(pv_map_put(&m, key, &a), 0);
    }
    assert_ptr_equal(pv_map_get(&m, "nICK57"), &a);
    assert_ptr_equal(pv_map_del(&m, "aLiCe@ExAmPlE.oRg"), &b);
    assert_int_equal(pv_map_count(&m), 100);
    pv_map_clear(&m, NULL);
    assert_int_equal(m.ci, 1); /* cleared, still case-insensitive */
    pv_map_t cs;
    pv_map_init(&cs, 0);
    assert_int_equal(pv_map_put(&cs, "Alice", &a), 0);
    assert_int_equal(pv_map_put(&cs, "alice", &b), 0);
    assert_int_equal(pv_map_count(&cs), 2);
    pv_map_clear(&cs, NULL);
}

static void test_iteration_sees_each_entry_once(void **state)
{
    (void)state;
    enum { N = 500 };
    static int seen[N];
    pv_map_t m;
    pv_map_init(&m, 0);
    char key[16];
    for (int k = 0; k < N; k++) {
        snprintf(key, sizeof key, "k%d", k);
        assert_int_equal(pv_map_put(&m, key, &seen[k]), 0);
    }
    size_t i, n = 0;
    for (pv_map_entry_t *e = pv_map_first(&m, &i); e; e = pv_map_next(&m, e, &i)) {
        int *v = e->val;
        (*v)++;
        assert_ptr_equal(pv_map_get(&m, pv_map_key(e)), v);
        n++;
    }
    assert_int_equal(n, N);
    for (int k = 0; k < N; k++)
        assert_int_equal(seen[k], 1);
    pv_map_clear(&m, NULL);
}

static void test_removing_the_current_entry_while_iterating(void **state)
{
    (void)state;
    enum { N = 300 };
    static int vals[N];
    pv_map_t m;
    pv_map_init(&m, PV_MAP_CI);
    char key[16];
    for (int k = 0; k < N; k++) {
        vals[k] = k;
        snprintf(key, sizeof key, "K%d", k);
        assert_int_equal(pv_map_put(&m, key, &vals[k]), 0);
    }
    size_t i, visited = 0;
    pv_map_entry_t *next;
    for (pv_map_entry_t *e = pv_map_first(&m, &i); e; e = next) {
        next = pv_map_next(&m, e, &i);
        int *v = e->val;
        visited++;
        if (*v % 3 == 0)
            assert_ptr_equal(pv_map_del(&m, pv_map_key(e)), v);
    }
    assert_int_equal(visited, N);
    assert_int_equal(pv_map_count(&m), N - (N + 2) / 3);
    for (int k = 0; k < N; k++) {
        snprintf(key, sizeof key, "k%d", k); /* other case: the table is ci */
        if (k % 3 == 0)
            assert_null(pv_map_get(&m, key));
        else
            assert_ptr_equal(pv_map_get(&m, key), &vals[k]);
    }
    /* removing every entry the same way empties the table */
    for (pv_map_entry_t *e = pv_map_first(&m, &i); e; e = next) {
        next = pv_map_next(&m, e, &i);
        pv_map_del(&m, pv_map_key(e));
    }
    assert_int_equal(pv_map_count(&m), 0);
    assert_null(pv_map_first(&m, &i));
    pv_map_clear(&m, NULL);
}

static int freed;
static void count_free(void *v)
{
    freed++;
    free(v);
}

static void sum_lengths(const char *key, void *val, void *ud)
{
    (void)val;
    *(size_t *)ud += strlen(key);
}

static void test_heap_table_each_and_free_values(void **state)
{
    (void)state;
    pv_map_t *m = pv_map_new(0);
    assert_non_null(m);
    assert_int_equal(pv_map_put(m, "ab", strdup("x")), 0);
    assert_int_equal(pv_map_put(m, "cde", strdup("y")), 0);
    size_t total = 0;
    pv_map_each(m, sum_lengths, &total);
    assert_int_equal(total, 5);
    free(pv_map_del(m, "ab"));
    freed = 0;
    pv_map_free(m, count_free); /* the remaining value goes to free_val */
    assert_int_equal(freed, 1);
    pv_map_free(NULL, count_free);

    pv_map_t e;
    pv_map_init(&e, 0);
    assert_int_equal(pv_map_put(&e, "a", strdup("1")), 0);
    assert_int_equal(pv_map_put(&e, "b", strdup("2")), 0);
    freed = 0;
    pv_map_clear(&e, count_free);
    assert_int_equal(freed, 2);
    assert_int_equal(pv_map_put(&e, "c", NULL), 0); /* usable again */
    assert_int_equal(pv_map_count(&e), 1);
    pv_map_clear(&e, NULL);
}

static void test_null_keys(void **state)
{
    (void)state;
    pv_map_t m;
    pv_map_init(&m, 0);
    int v = 1;
    assert_int_equal(pv_map_put(&m, NULL, &v), -1);
    assert_int_equal(pv_map_count(&m), 0);
    assert_int_equal(pv_map_put(&m, "a", &v), 0);
    assert_null(pv_map_get(&m, NULL));
    assert_null(pv_map_del(&m, NULL));
    assert_int_equal(pv_map_count(&m), 1);
    pv_map_clear(&m, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_lookup_replace_delete),
        cmocka_unit_test(test_keys_are_copied_values_borrowed),
        cmocka_unit_test(test_nothing_allocated_until_used),
        cmocka_unit_test(test_growth_keeps_every_entry),
        cmocka_unit_test(test_case_insensitive_keys),
        cmocka_unit_test(test_iteration_sees_each_entry_once),
        cmocka_unit_test(test_removing_the_current_entry_while_iterating),
        cmocka_unit_test(test_heap_table_each_and_free_values),
        cmocka_unit_test(test_null_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
