/*
 * tests/unit/test_xml.c: the stanza tree API (core/xml.c) and its arena.
 *
 * Building, reading, editing, and copying trees between arenas: a copy must
 * survive the source being freed (ASan watches the arena memory).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <palaver/xml.h>

#include "arena.h"
#include "test_xml_log.h"

static void arena_alloc_is_zeroed_aligned_and_counted(void **state)
{
    pv_arena_t *a = arena_new();
    assert_non_null(a);
    size_t before = arena_size(a);
    assert_true(before > 0);
    for (int i = 0; i < 1000; i++) {
        size_t sz = (size_t)(i % 37) + 1;
        unsigned char *p = arena_alloc(a, sz);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
        for (size_t j = 0; j < sz; j++)
            assert_int_equal(p[j], 0);
        memset(p, 0xAB, sz);
    }
    /* A large block gets its own chunk. */
    char *big = arena_alloc(a, 1 << 20);
    assert_non_null(big);
    memset(big, 1, 1 << 20);
    assert_true(arena_size(a) >= before + (1 << 20));
    char *s = arena_strndup(a, "hello world", 5);
    assert_string_equal(s, "hello");
    assert_string_equal(arena_strdup(a, "x"), "x");
    assert_null(arena_strdup(a, NULL));
    arena_free(a);
    arena_free(NULL);
}

static void build_and_read(void **state)
{
    pv_el_t *m = pv_el_new(NULL, "message");
    assert_non_null(m);
    assert_string_equal(m->ns, PV_NS_STANZA);
    assert_null(m->parent);
    assert_int_equal(pv_el_set_attr(m, "to", "room@muc.example"), 0);
    assert_int_equal(pv_el_set_attr(m, "type", "groupchat"), 0);
    assert_int_equal(pv_el_set_attr(m, "xml:lang", "en"), 0);
    pv_el_t *body = pv_el_add_text_child(m, NULL, "body", "hello");
    assert_non_null(body);
    assert_string_equal(body->ns, PV_NS_STANZA); /* inherited */
    pv_el_t *x = pv_el_add(m, "http://jabber.org/protocol/muc#user", "x");
    pv_el_t *item = pv_el_add(x, NULL, "item");
    assert_string_equal(item->ns, "http://jabber.org/protocol/muc#user");
    pv_el_set_attrf(item, "count", "%d-%s", 42, "z");

    assert_string_equal(pv_el_attr(m, "to"), "room@muc.example");
    assert_null(pv_el_attr(m, "from"));
    assert_string_equal(pv_el_lang(m), "en");
    assert_string_equal(pv_el_attr(m, "xml:lang"), "en");
    assert_null(pv_el_lang(body));
    assert_ptr_equal(pv_el_child(m, NULL, "body"), body);
    assert_ptr_equal(pv_el_child(m, PV_NS_STANZA, "body"), body);
    assert_null(pv_el_child(m, "urn:other", "body"));
    assert_ptr_equal(pv_el_child(m, "http://jabber.org/protocol/muc#user", NULL), x);
    assert_ptr_equal(pv_el_first_element(m), body);
    assert_ptr_equal(pv_el_next(body, NULL, NULL), x);
    assert_null(pv_el_next(x, NULL, NULL));
    assert_string_equal(pv_el_child_text(m, NULL, "body"), "hello");
    assert_null(pv_el_child_text(m, NULL, "subject"));
    assert_string_equal(pv_el_text(x), "");
    assert_string_equal(pv_el_attr(item, "count"), "42-z");
    assert_true(pv_el_is(m, PV_NS_STANZA, "message"));
    assert_false(pv_el_is(m, PV_NS_CLIENT, "message"));
    assert_false(pv_el_is(m, PV_NS_STANZA, "presence"));
    assert_ptr_equal(item->arena, m->arena);

    /* Replace and remove attributes; order of the others is kept. */
    assert_int_equal(pv_el_set_attr(m, "to", "other@muc.example"), 0);
    assert_string_equal(pv_el_attr(m, "to"), "other@muc.example");
    assert_string_equal(m->attrs->name, "to");
    assert_int_equal(pv_el_set_attr(m, "to", NULL), 0);
    assert_null(pv_el_attr(m, "to"));
    assert_string_equal(m->attrs->name, "type");
    assert_int_equal(pv_el_set_attr(m, "absent", NULL), 0);
    pv_el_free(m);
    pv_el_free(NULL);
}

static void set_attrf_long_value(void **state)
{
    pv_el_t *e = pv_el_new("urn:x", "e");
    char big[1000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(pv_el_set_attrf(e, "v", "<%s>", big), 0);
    const char *v = pv_el_attr(e, "v");
    assert_int_equal(strlen(v), 1001);
    assert_int_equal(v[0], '<');
    assert_int_equal(v[1000], '>');
    pv_el_free(e);
}

static void text_nodes_concatenate(void **state)
{
    pv_el_t *e = pv_el_new(NULL, "body");
    assert_int_equal(pv_el_add_text(e, "ab", 2), 0);
    pv_el_add(e, "urn:x", "sep");
    assert_int_equal(pv_el_add_text(e, "cdef", 3), 0); /* only "cde" */
    assert_string_equal(pv_el_text(e), "abcde");
    assert_int_equal(e->children->kind, PV_EL_TEXT);
    assert_int_equal(e->children->text_len, 2);
    assert_null(e->children->name);
    pv_el_free(e);
}

static void unlink_and_remove_children(void **state)
{
    pv_el_t *r = pv_el_new(NULL, "iq");
    pv_el_t *a = pv_el_add(r, "urn:a", "x");
    pv_el_t *b = pv_el_add(r, "urn:b", "x");
    pv_el_t *c = pv_el_add(r, "urn:a", "y");
    pv_el_t *d = pv_el_add(r, "urn:a", "x");
    pv_el_unlink(d); /* the last child: last_child must move back */
    assert_null(d->parent);
    assert_ptr_equal(r->last_child, c);
    pv_el_t *e = pv_el_add(r, NULL, "z");
    assert_ptr_equal(c->next, e);
    assert_int_equal(pv_el_remove_children(r, "urn:a", "x"), 1);
    assert_ptr_equal(r->children, b);
    assert_int_equal(pv_el_remove_children(r, "urn:a", NULL), 1); /* c */
    assert_ptr_equal(b->next, e);
    assert_int_equal(pv_el_remove_children(r, NULL, NULL), 2);
    assert_null(r->children);
    assert_null(r->last_child);
    (void)a;
    pv_el_free(r);
}

static pv_el_t *sample_tree(void)
{
    pv_el_t *m = pv_el_new(NULL, "message");
    pv_el_set_attr(m, "from", "a@b/c");
    pv_el_set_attr(m, "xml:lang", "fr");
    pv_el_add_text_child(m, NULL, "body", "bonjour & <salut>");
    pv_el_t *x = pv_el_add(m, "urn:ext", "x");
    pv_el_t *y = pv_el_add(x, NULL, "y");
    pv_el_add_text(y, "deep", 4);
    pv_el_set_attr(y, "k", "v");
    return m;
}

static void check_sample(const pv_el_t *m)
{
    assert_true(pv_el_is(m, PV_NS_STANZA, "message"));
    assert_string_equal(pv_el_attr(m, "from"), "a@b/c");
    assert_string_equal(pv_el_lang(m), "fr");
    assert_string_equal(pv_el_child_text(m, NULL, "body"), "bonjour & <salut>");
    pv_el_t *x = pv_el_child(m, "urn:ext", "x");
    assert_non_null(x);
    pv_el_t *y = pv_el_child(x, "urn:ext", "y");
    assert_non_null(y);
    assert_string_equal(pv_el_text(y), "deep");
    assert_string_equal(pv_el_attr(y, "k"), "v");
    assert_ptr_equal(y->parent, x);
}

static void clone_survives_source_free(void **state)
{
    pv_el_t *m = sample_tree();
    pv_el_t *copy = pv_el_clone(m);
    assert_non_null(copy);
    assert_ptr_not_equal(copy->arena, m->arena);
    assert_null(copy->parent);
    pv_el_free(m); /* any pointer left into m's arena is a use-after-free */
    check_sample(copy);
    /* A clone of a subtree is a root of its own. */
    pv_el_t *sub = pv_el_clone(pv_el_child(copy, "urn:ext", "x"));
    assert_null(sub->parent);
    assert_true(pv_el_is(sub, "urn:ext", "x"));
    pv_el_free(copy);
    assert_string_equal(pv_el_child_text(sub, NULL, "y"), "deep");
    pv_el_free(sub);
}

static void copy_into_other_arena(void **state)
{
    pv_el_t *src = sample_tree();
    pv_el_t *dst = pv_el_new(NULL, "forwarded");
    pv_el_t *c = pv_el_copy_into(dst, src);
    assert_non_null(c);
    assert_ptr_equal(c->parent, dst);
    assert_ptr_equal(c->arena, dst->arena);
    assert_ptr_equal(dst->last_child, c);
    pv_el_free(src);
    check_sample(c);
    /* Copying a tree into its own descendant terminates and copies once. */
    pv_el_t *y = pv_el_child(pv_el_child(c, "urn:ext", "x"), NULL, "y");
    pv_el_t *again = pv_el_copy_into(y, dst);
    assert_non_null(again);
    assert_true(pv_el_is(again, PV_NS_STANZA, "forwarded"));
    pv_el_t *inner = pv_el_child(again, NULL, "message");
    assert_non_null(inner);
    assert_null(pv_el_child(pv_el_child(pv_el_child(inner, "urn:ext", "x"), NULL, "y"), NULL,
                            "forwarded"));
    pv_el_free(dst);
}

static void free_of_non_root_is_refused(void **state)
{
    pv_el_t *m = sample_tree();
    log_capture_begin();
    pv_el_free(pv_el_child(m, NULL, "body"));
    char *log = log_capture_end();
    assert_non_null(strstr(log, "body"));
    free(log);
    check_sample(m);
    pv_el_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_alloc_is_zeroed_aligned_and_counted),
        cmocka_unit_test(build_and_read),
        cmocka_unit_test(set_attrf_long_value),
        cmocka_unit_test(text_nodes_concatenate),
        cmocka_unit_test(unlink_and_remove_children),
        cmocka_unit_test(clone_survives_source_free),
        cmocka_unit_test(copy_into_other_arena),
        cmocka_unit_test(free_of_non_root_is_refused),
    };
    return cmocka_run_group_tests_name("xml tree", tests, NULL, NULL);
}
