/*
 * tests/unit/test_jid.c: JID parsing and normalisation (RFC 7622 with the
 * RFC 3920 stringprep profiles): case folding, node-less JIDs, IPv6
 * literals, limits and everything that must be refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <palaver/jid.h>
#include <stringprep.h>

static void check(const char *in, const char *node, const char *domain, const char *resource,
                  const char *bare, const char *full)
{
    pv_jid_t *j = pv_jid_parse(in);
    if (!j)
        fail_msg("'%s' refused", in);
    if (node)
        assert_string_equal(j->node, node);
    else
        assert_null(j->node);
    assert_string_equal(j->domain, domain);
    if (resource)
        assert_string_equal(j->resource, resource);
    else
        assert_null(j->resource);
    assert_string_equal(j->bare, bare);
    assert_string_equal(j->full, full);
    pv_jid_free(j);
}

static void refused(const char *in)
{
    pv_jid_t *j = pv_jid_parse(in);
    if (j) {
        fail_msg("'%s' accepted as '%s'", in, j->full);
        pv_jid_free(j);
    }
}

static void test_full_bare_and_domain_jids(void **state)
{
    check("user@example.org/res", "user", "example.org", "res", "user@example.org",
          "user@example.org/res");
    check("room@conference.example.org", "room", "conference.example.org", NULL,
          "room@conference.example.org", "room@conference.example.org");
    check("example.org", NULL, "example.org", NULL, "example.org", "example.org");
    check("example.org/admin", NULL, "example.org", "admin", "example.org", "example.org/admin");
}

static void test_node_less_and_dot_less(void **state)
{
    /* jabberd2's session manager writes from='sm'. */
    check("sm", NULL, "sm", NULL, "sm", "sm");
    check("localhost", NULL, "localhost", NULL, "localhost", "localhost");
    check("room@localhost/nick", "room", "localhost", "nick", "room@localhost",
          "room@localhost/nick");
}

static void test_case_folding(void **state)
{
    /* Node and domain fold; the resource keeps its case. */
    check("Room@Conference.EXAMPLE.org/Nick Name", "room", "conference.example.org", "Nick Name",
          "room@conference.example.org", "room@conference.example.org/Nick Name");
    /* Non-ASCII: KÖNIG folds to könig; the German sharp s maps to ss in nodeprep. */
    check("K\xc3\x96NIG@example.org", "k\xc3\xb6nig", "example.org", NULL,
          "k\xc3\xb6nig@example.org", "k\xc3\xb6nig@example.org");
    check("Stra\xc3\x9f"
          "e@example.org",
          "strasse", "example.org", NULL, "strasse@example.org", "strasse@example.org");
    /* A trailing dot on the domain is removed. */
    check("a@example.org.", "a", "example.org", NULL, "a@example.org", "a@example.org");
}

static void test_resource_may_hold_at_and_slash(void **state)
{
    check("room@example.org/a@b/c", "room", "example.org", "a@b/c", "room@example.org",
          "room@example.org/a@b/c");
    check("example.org/x@y", NULL, "example.org", "x@y", "example.org", "example.org/x@y");
}

static void test_ipv6_and_ipv4_domains(void **state)
{
    check("u@[2001:DB8:0:0::1]/r", "u", "[2001:db8::1]", "r", "u@[2001:db8::1]",
          "u@[2001:db8::1]/r");
    check("[::1]", NULL, "[::1]", NULL, "[::1]", "[::1]");
    check("u@192.0.2.1", "u", "192.0.2.1", NULL, "u@192.0.2.1", "u@192.0.2.1");
    refused("u@[2001:db8::zz]");
    refused("u@[2001:db8::1");
    refused("u@[]");
}

static void test_invalid_jids(void **state)
{
    refused("");
    refused("@example.org");
    refused("user@");
    refused("user@example.org/");
    refused("/res");
    refused("a b@example.org"); /* space in the node */
    refused("a\"b@example.org");
    refused("a'b@example.org");
    refused("a<b@example.org");
    refused("a:b@example.org");
    refused("a@b@example.org"); /* '@' in the domain */
    refused("a@exa mple.org");
    refused("a@example..org");
    refused("a@.example.org");
    refused("a@example.org..");
    refused("a@exa<mple.org");
    refused("a@\xff\xfe.org"); /* not UTF-8 */
    refused("\xc3@example.org");
    refused("a@example.org/\x01"); /* control character in the resource */
    assert_null(pv_jid_parse(NULL));
}

static void test_length_limits(void **state)
{
    char buf[3000];
    /* A 1023-byte node is the maximum. */
    memset(buf, 'n', 1023);
    strcpy(buf + 1023, "@example.org");
    pv_jid_t *j = pv_jid_parse(buf);
    assert_non_null(j);
    assert_int_equal(strlen(j->node), 1023);
    pv_jid_free(j);
    memset(buf, 'n', 1024);
    strcpy(buf + 1024, "@example.org");
    refused(buf);
    /* Resource: 1023 fine, 1024 refused. */
    strcpy(buf, "a@example.org/");
    memset(buf + 14, 'r', 1023);
    buf[14 + 1023] = '\0';
    j = pv_jid_parse(buf);
    assert_non_null(j);
    assert_int_equal(strlen(j->resource), 1023);
    pv_jid_free(j);
    memset(buf + 14, 'r', 1024);
    buf[14 + 1024] = '\0';
    refused(buf);
    /* Domain over the limit. */
    memset(buf, 'd', 1100);
    buf[1100] = '\0';
    refused(buf);
}

static void test_make_and_parts(void **state)
{
    pv_jid_t *j = pv_jid_make("Room", "Conference.Example.org", "Nick");
    assert_non_null(j);
    assert_string_equal(j->full, "room@conference.example.org/Nick");
    pv_jid_free(j);
    j = pv_jid_make(NULL, "example.org", NULL);
    assert_non_null(j);
    assert_string_equal(j->full, "example.org");
    assert_null(j->node);
    pv_jid_free(j);
    assert_null(pv_jid_make("a@b", "example.org", NULL));
    assert_null(pv_jid_make("", "example.org", NULL));
    assert_null(pv_jid_make("a", NULL, NULL));
    assert_null(pv_jid_make("a", "example.org", ""));
    /* A resource may contain what a full JID string would split on. */
    j = pv_jid_make("a", "example.org", "x/y@z");
    assert_non_null(j);
    assert_string_equal(j->resource, "x/y@z");
    pv_jid_free(j);

    char *s = pv_nodeprep("ROOM");
    assert_string_equal(s, "room");
    free(s);
    s = pv_nameprep("EXAMPLE.ORG");
    assert_string_equal(s, "example.org");
    free(s);
    s = pv_resourceprep("Nick");
    assert_string_equal(s, "Nick");
    free(s);
    assert_null(pv_nodeprep("a/b"));
    assert_null(pv_nodeprep(""));
    assert_null(pv_resourceprep(""));
    assert_null(pv_nameprep("a b"));
}

static void test_dup_and_equality(void **state)
{
    pv_jid_t *a = pv_jid_parse("Room@Example.org/Nick");
    pv_jid_t *b = pv_jid_parse("room@example.org/Nick");
    pv_jid_t *c = pv_jid_parse("room@example.org/nick");
    pv_jid_t *d = pv_jid_dup(a);
    assert_true(pv_jid_equal(a, b));
    assert_false(pv_jid_equal(a, c));
    assert_true(pv_jid_bare_equal(a, c));
    assert_true(pv_jid_equal(a, d));
    assert_ptr_not_equal(a->full, d->full);
    assert_false(pv_jid_equal(a, NULL));
    assert_false(pv_jid_bare_equal(NULL, NULL));
    assert_null(pv_jid_dup(NULL));
    pv_jid_free(a);
    pv_jid_free(b);
    pv_jid_free(c);
    pv_jid_free(d);
    pv_jid_free(NULL);
}

/* libidn's own answer for s under fn, or NULL when it refuses s. */
static char *reference(const char *s, int (*fn)(char *, size_t))
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    if (fn(buf, sizeof buf) != STRINGPREP_OK || !*buf)
        return NULL;
    return strdup(buf);
}

static int ref_node(char *b, size_t n)
{
    return stringprep_xmpp_nodeprep(b, n);
}

static int ref_resource(char *b, size_t n)
{
    return stringprep_xmpp_resourceprep(b, n);
}

static int ref_name(char *b, size_t n)
{
    return stringprep_nameprep(b, n);
}

static void same_as_libidn(const char *s)
{
    char *mine, *ref;
    mine = pv_nodeprep(s);
    ref = reference(s, ref_node);
    if (!ref != !mine || (ref && strcmp(ref, mine) != 0))
        fail_msg("nodeprep('%s'): '%s' vs libidn '%s'", s, mine ? mine : "(refused)",
                 ref ? ref : "(refused)");
    free(mine);
    free(ref);
    mine = pv_resourceprep(s);
    ref = reference(s, ref_resource);
    if (!ref != !mine || (ref && strcmp(ref, mine) != 0))
        fail_msg("resourceprep('%s'): '%s' vs libidn '%s'", s, mine ? mine : "(refused)",
                 ref ? ref : "(refused)");
    free(mine);
    free(ref);
    /* Domains are stricter than nameprep (host-name characters only), but
     * whatever is accepted must be nameprep's answer. */
    mine = pv_nameprep(s);
    ref = reference(s, ref_name);
    if (mine && (!ref || strcmp(ref, mine) != 0))
        fail_msg("nameprep('%s'): '%s' vs libidn '%s'", s, mine, ref ? ref : "(refused)");
    free(mine);
    free(ref);
}

static void test_ascii_fast_path_matches_libidn(void **state)
{
    /* Every ASCII byte, alone and between letters of both cases. */
    for (int c = 1; c < 128; c++) {
        char s[8];
        snprintf(s, sizeof s, "%c", c);
        same_as_libidn(s);
        snprintf(s, sizeof s, "a%cB", c);
        same_as_libidn(s);
        snprintf(s, sizeof s, "Z%c9", c);
        same_as_libidn(s);
    }
    same_as_libidn("conference.example.org");
    same_as_libidn("Nick Name");
    same_as_libidn("caf\xc3\xa9");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_bare_and_domain_jids),
        cmocka_unit_test(test_node_less_and_dot_less),
        cmocka_unit_test(test_case_folding),
        cmocka_unit_test(test_resource_may_hold_at_and_slash),
        cmocka_unit_test(test_ipv6_and_ipv4_domains),
        cmocka_unit_test(test_invalid_jids),
        cmocka_unit_test(test_length_limits),
        cmocka_unit_test(test_make_and_parts),
        cmocka_unit_test(test_dup_and_equality),
        cmocka_unit_test(test_ascii_fast_path_matches_libidn),
    };
    return cmocka_run_group_tests_name("jid", tests, NULL, NULL);
}
