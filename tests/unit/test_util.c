/*
 * tests/unit/test_util.c: hashing (against published test vectors), random
 * ids, XEP-0082 time stamps, string hashes and the event loop accessor.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include <ev.h>
#include <palaver/util.h>

static void test_sha1_vectors(void **state)
{
    char out[41];
    assert_int_equal(pv_sha1_hex("abc", 3, out), 0);
    assert_string_equal(out, "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_int_equal(pv_sha1_hex("", 0, out), 0);
    assert_string_equal(out, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    /* The XEP-0114 handshake: SHA-1 of stream id + secret. */
    assert_int_equal(pv_sha1_hex("3BF96D32secret", 14, out), 0);
    assert_int_equal(strlen(out), 40);
}

static void test_hmac_sha256_vectors(void **state)
{
    char out[65];
    /* RFC 4231 test case 2. */
    const char *data = "what do ya want for nothing?";
    assert_int_equal(pv_hmac_sha256_hex("Jefe", 4, data, strlen(data), out), 0);
    assert_string_equal(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* RFC 4231 test case 1: key = 20 x 0x0b, data "Hi There". */
    unsigned char key[20];
    memset(key, 0x0b, sizeof key);
    assert_int_equal(pv_hmac_sha256_hex(key, sizeof key, "Hi There", 8, out), 0);
    assert_string_equal(out, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    /* Empty key and data (a well-known value). */
    assert_int_equal(pv_hmac_sha256_hex("", 0, "", 0, out), 0);
    assert_string_equal(out, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void test_random_ids(void **state)
{
    char a[33], b[33];
    pv_random_id(a, 32);
    pv_random_id(b, 32);
    assert_int_equal(strlen(a), 32);
    assert_string_not_equal(a, b);
    for (const char *p = a; *p; p++)
        assert_non_null(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
    char big[201];
    pv_random_id(big, 200);
    assert_int_equal(strlen(big), 200);
    char empty[1] = {'x'};
    pv_random_id(empty, 0);
    assert_int_equal(empty[0], '\0');
}

static void test_timestamps(void **state)
{
    char out[32];
    pv_timestamp(0, -1, out);
    assert_string_equal(out, "1970-01-01T00:00:00Z");
    pv_timestamp(1700000000, 42, out);
    assert_string_equal(out, "2023-11-14T22:13:20.042Z");
    time_t t;
    assert_int_equal(pv_timestamp_parse("2023-11-14T22:13:20Z", &t), 0);
    assert_int_equal(t, 1700000000);
    assert_int_equal(pv_timestamp_parse("2023-11-14T22:13:20.123456Z", &t), 0);
    assert_int_equal(t, 1700000000);
    assert_int_equal(pv_timestamp_parse("2023-11-15T00:13:20+02:00", &t), 0);
    assert_int_equal(t, 1700000000);
    assert_int_equal(pv_timestamp_parse("2023-11-14T20:43:20-01:30", &t), 0);
    assert_int_equal(t, 1700000000);
    assert_int_equal(pv_timestamp_parse("2024-02-29T00:00:00Z", &t), 0);
    assert_int_equal(pv_timestamp_parse("1970-01-01T00:00:00Z", &t), 0);
    assert_int_equal(t, 0);
    const char *bad[] = {"",
                         "2023-11-14",
                         "2023-11-14T22:13:20",
                         "2023-13-01T00:00:00Z",
                         "2023-02-29T00:00:00Z",
                         "2023-11-14T24:00:00Z",
                         "2023-11-14T22:13:20.Z",
                         "2023-11-14T22:13:20Zjunk",
                         "2023-11-14 22:13:20Z",
                         "20231114T221320Z",
                         "2023-11-14T22:13:20+2:00"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (pv_timestamp_parse(bad[i], &t) != -1)
            fail_msg("accepted '%s'", bad[i]);
    assert_int_equal(pv_timestamp_parse(NULL, &t), -1);
}

static void test_now_and_hashes(void **state)
{
    int64_t now = pv_now_us();
    assert_true(now > INT64_C(1600000000) * 1000000);
    assert_true(pv_now_us() >= now);
    /* FNV-1a 32-bit reference values. */
    assert_int_equal(pv_hash_str(""), 0x811c9dc5u);
    assert_int_equal(pv_hash_str("a"), 0xe40c292cu);
    assert_int_equal(pv_hash_str("foobar"), 0xbf9cf968u);
    assert_int_equal(pv_hash_str_ci("FooBar"), pv_hash_str("foobar"));
    assert_int_not_equal(pv_hash_str("FooBar"), pv_hash_str("foobar"));
}

static void test_loop_is_the_default_loop(void **state)
{
    assert_non_null(pv_loop());
    assert_ptr_equal(pv_loop(), ev_default_loop(0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha1_vectors),   cmocka_unit_test(test_hmac_sha256_vectors),
        cmocka_unit_test(test_random_ids),     cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_now_and_hashes), cmocka_unit_test(test_loop_is_the_default_loop),
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
