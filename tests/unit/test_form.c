/*
 * tests/unit/test_form.c: the data forms SDK (palaver/form.h, core/form.c).
 *
 * Each function is checked on a form it built and on one parsed from XML as a
 * client would send it, then with NULL, absent and invalid input; the
 * allocation failures come from malloc itself (linked with --wrap=malloc):
 * with malloc failing, every builder must return NULL or -1 once the tree's
 * arena is full, never crash or write past it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <palaver/form.h>

/* ---- malloc failure injection ---- */

void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);
static bool malloc_fails;

void *__wrap_malloc(size_t n)
{
    return malloc_fails ? NULL : __real_malloc(n);
}

static pv_el_t *parse(const char *xml)
{
    char err[128];
    pv_el_t *el = pv_el_parse(xml, strlen(xml), err, sizeof err);
    assert_non_null(el);
    return el;
}

/* The element serialised, for exact comparisons. Caller frees. */
static char *str(const pv_el_t *el)
{
    char *s = pv_el_serialize(el, NULL);
    assert_non_null(s);
    return s;
}

static void assert_xml(const pv_el_t *el, const char *want)
{
    char *s = str(el);
    assert_string_equal(s, want);
    free(s);
}

/* ---- building ---- */

static void test_new_with_everything(void **state)
{
    (void)state;
    pv_el_t *q = pv_el_new("urn:q", "query");
    pv_el_t *x = pv_form_new(q, "form", "urn:example", "A title", "Fill it in");
    assert_non_null(x);
    assert_ptr_equal(x->parent, q);
    assert_xml(x, "<x xmlns='jabber:x:data' type='form'><title>A title</title>"
                  "<instructions>Fill it in</instructions>"
                  "<field var='FORM_TYPE' type='hidden'><value>urn:example</value></field></x>");
    pv_el_free(q);
}

static void test_new_minimal_and_null(void **state)
{
    (void)state;
    pv_el_t *q = pv_el_new("urn:q", "query");
    pv_el_t *x = pv_form_new(q, NULL, NULL, NULL, NULL);
    assert_non_null(x);
    assert_xml(x, "<x xmlns='jabber:x:data'/>");
    assert_xml(pv_form_new(q, "result", NULL, "T", NULL),
               "<x xmlns='jabber:x:data' type='result'><title>T</title></x>");
    assert_null(pv_form_new(NULL, "form", "urn:example", "T", "I"));
    pv_el_free(q);
}

static void test_add_field(void **state)
{
    (void)state;
    pv_el_t *x = pv_el_new(PV_NS_DATA, "x");
    pv_el_t *f = pv_form_add_field(x, "color", "list-single", "Color", "red");
    assert_non_null(f);
    assert_ptr_equal(f->parent, x);
    assert_xml(f, "<field xmlns='jabber:x:data' var='color' type='list-single' label='Color'>"
                  "<value>red</value></field>");
    /* NULL var, type, label, value: the attribute or <value/> is left out */
    f = pv_form_add_field(x, NULL, "fixed", NULL, "Some text");
    assert_xml(f, "<field xmlns='jabber:x:data' type='fixed'><value>Some text</value></field>");
    f = pv_form_add_field(x, "empty", NULL, NULL, NULL);
    assert_xml(f, "<field xmlns='jabber:x:data' var='empty'/>");
    /* "" is a value, unlike NULL */
    f = pv_form_add_field(x, "blank", NULL, NULL, "");
    assert_xml(f, "<field xmlns='jabber:x:data' var='blank'><value/></field>");
    assert_null(pv_form_add_field(NULL, "v", "text-single", "L", "x"));
    pv_el_free(x);
}

static void test_add_value_option_required(void **state)
{
    (void)state;
    pv_el_t *x = pv_el_new(PV_NS_DATA, "x");
    pv_el_t *f = pv_form_add_field(x, "rooms", "jid-multi", NULL, NULL);
    assert_int_equal(pv_form_add_value(f, "a@b"), 0);
    assert_int_equal(pv_form_add_value(f, NULL), 0); /* an empty <value/> */
    assert_int_equal(pv_form_add_value(NULL, "a@b"), -1);
    assert_int_equal(pv_form_set_required(f), 0);
    assert_int_equal(pv_form_set_required(NULL), -1);
    assert_xml(f, "<field xmlns='jabber:x:data' var='rooms' type='jid-multi'>"
                  "<value>a@b</value><value/><required/></field>");

    pv_el_t *l = pv_form_add_field(x, "aff", "list-single", NULL, "member");
    pv_el_t *o = pv_form_add_option(l, "Member", "member");
    assert_non_null(o);
    assert_ptr_equal(o->parent, l);
    assert_non_null(pv_form_add_option(l, NULL, "none"));
    assert_null(pv_form_add_option(l, "No value", NULL));
    assert_null(pv_form_add_option(NULL, "L", "v"));
    assert_xml(l, "<field xmlns='jabber:x:data' var='aff' type='list-single'>"
                  "<value>member</value><option label='Member'><value>member</value></option>"
                  "<option><value>none</value></option></field>");
    pv_el_free(x);
}

static void test_set_field_replaces(void **state)
{
    (void)state;
    pv_el_t *q = pv_el_new("urn:q", "query");
    pv_el_t *x = pv_form_new(q, "result", "urn:example", NULL, NULL);
    pv_form_add_field(x, "lang", "text-single", NULL, "en");
    pv_form_add_field(x, "other", NULL, NULL, "1");
    pv_form_add_field(x, "lang", "text-single", NULL, "fr");
    pv_el_t *f = pv_form_set_field(x, "lang", "text-single", "Language", "tlh");
    assert_non_null(f);
    assert_string_equal(pv_form_value(x, "lang"), "tlh");
    assert_xml(x, "<x xmlns='jabber:x:data' type='result'>"
                  "<field var='FORM_TYPE' type='hidden'><value>urn:example</value></field>"
                  "<field var='other'><value>1</value></field>"
                  "<field var='lang' type='text-single' label='Language'><value>tlh</value>"
                  "</field></x>");
    /* a var the form lacks: just added */
    assert_non_null(pv_form_set_field(x, "new", NULL, NULL, "v"));
    assert_string_equal(pv_form_value(x, "new"), "v");
    assert_null(pv_form_set_field(NULL, "lang", NULL, NULL, "x"));
    assert_null(pv_form_set_field(x, NULL, NULL, NULL, "x"));
    assert_string_equal(pv_form_value(x, "lang"), "tlh");
    pv_el_free(q);
}

/* ---- reading ---- */

static const char *SUBMITTED =
    "<command xmlns='http://jabber.org/protocol/commands'>"
    "<x xmlns='urn:other' type='submit'/>"
    "<x xmlns='jabber:x:data' type='result'>"
    "<field var='FORM_TYPE'><value>urn:first</value></field></x>"
    "<x xmlns='jabber:x:data' type='submit'>"
    "<field var='FORM_TYPE' type='hidden'><value>urn:second</value></field>"
    "<field var='nick'><value>alice</value><value>ignored</value></field>"
    "<field var='nick'><value>second</value></field>"
    "<field var='novalue'/>"
    "<field><value>no var</value></field>"
    "<field var='yes1'><value>1</value></field>"
    "<field var='yes2'><value>true</value></field>"
    "<field var='no1'><value>0</value></field>"
    "<field var='no2'><value>false</value></field>"
    "<field var='bad'><value>yes</value></field>"
    "<field var='empty'><value/></field>"
    "<field var='lines'><value>one</value><value></value><value>three</value></field>"
    "</x>"
    "<x xmlns='jabber:x:data'><field var='FORM_TYPE'><value>urn:third</value></field></x>"
    "</command>";

static void test_find_and_submitted(void **state)
{
    (void)state;
    pv_el_t *c = parse(SUBMITTED);
    pv_el_t *first = pv_form_find(c, NULL);
    assert_non_null(first);
    assert_string_equal(pv_el_attr(first, "type"), "result");
    pv_el_t *second = pv_form_find(c, "urn:second");
    assert_non_null(second);
    assert_string_equal(pv_el_attr(second, "type"), "submit");
    assert_non_null(pv_form_find(c, "urn:third"));
    assert_null(pv_form_find(c, "urn:missing"));
    assert_null(pv_form_find(NULL, NULL));
    assert_null(pv_form_find(NULL, "urn:first"));

    /* submitted: the form found, when its type is submit */
    assert_null(pv_form_submitted(c, NULL)); /* the first form is a result */
    assert_null(pv_form_submitted(c, "urn:first"));
    assert_ptr_equal(pv_form_submitted(c, "urn:second"), second);
    assert_null(pv_form_submitted(c, "urn:third")); /* no type */
    assert_null(pv_form_submitted(c, "urn:missing"));
    assert_null(pv_form_submitted(NULL, NULL));

    pv_el_t *none = parse("<query xmlns='urn:q'><x xmlns='urn:not-data' type='submit'/></query>");
    assert_null(pv_form_find(none, NULL));
    assert_null(pv_form_submitted(none, NULL));
    pv_el_free(none);
    pv_el_free(c);
}

static void test_field_and_value(void **state)
{
    (void)state;
    pv_el_t *c = parse(SUBMITTED);
    pv_el_t *x = pv_form_find(c, "urn:second");
    pv_el_t *f = pv_form_field(x, "nick");
    assert_non_null(f);
    assert_string_equal(pv_form_value(x, "nick"), "alice"); /* first field, first value */
    assert_string_equal(pv_form_value(x, "FORM_TYPE"), "urn:second");
    assert_non_null(pv_form_field(x, "novalue"));
    assert_null(pv_form_value(x, "novalue"));
    assert_string_equal(pv_form_value(x, "empty"), "");
    assert_null(pv_form_field(x, "missing"));
    assert_null(pv_form_value(x, "missing"));
    assert_null(pv_form_field(x, NULL));
    assert_null(pv_form_value(x, NULL));
    assert_null(pv_form_field(NULL, "nick"));
    assert_null(pv_form_value(NULL, "nick"));
    pv_el_free(c);
}

static void test_bool(void **state)
{
    (void)state;
    pv_el_t *c = parse(SUBMITTED);
    pv_el_t *x = pv_form_find(c, "urn:second");
    assert_int_equal(pv_form_bool(x, "yes1", 0), 1);
    assert_int_equal(pv_form_bool(x, "yes2", 0), 1);
    assert_int_equal(pv_form_bool(x, "no1", 1), 0);
    assert_int_equal(pv_form_bool(x, "no2", 1), 0);
    assert_int_equal(pv_form_bool(x, "bad", 0), -1);
    assert_int_equal(pv_form_bool(x, "empty", 1), -1);
    assert_int_equal(pv_form_bool(x, "novalue", 1), 1); /* absent value: the default */
    assert_int_equal(pv_form_bool(x, "missing", 0), 0);
    assert_int_equal(pv_form_bool(x, "missing", 1), 1);
    assert_int_equal(pv_form_bool(x, NULL, 1), 1);
    assert_int_equal(pv_form_bool(NULL, "yes1", 0), 0);
    pv_el_free(c);
}

static void test_values_and_lines(void **state)
{
    (void)state;
    pv_el_t *c = parse(SUBMITTED);
    pv_el_t *x = pv_form_find(c, "urn:second");
    const char *want[] = {"one", "", "three"};
    size_t n = 0;
    for (pv_el_t *v = pv_form_first_value(pv_form_field(x, "lines")); v; v = pv_form_next_value(v))
        assert_string_equal(pv_el_text(v), want[n++]);
    assert_int_equal(n, 3);
    assert_null(pv_form_first_value(NULL));
    assert_null(pv_form_first_value(pv_form_field(x, "novalue")));
    assert_null(pv_form_next_value(NULL));

    char *s = pv_form_lines(x, "lines");
    assert_string_equal(s, "one\n\nthree");
    free(s);
    s = pv_form_lines(x, "nick"); /* the first such field only */
    assert_string_equal(s, "alice\nignored");
    free(s);
    s = pv_form_lines(x, "empty");
    assert_string_equal(s, "");
    free(s);
    assert_null(pv_form_lines(x, "novalue"));
    assert_null(pv_form_lines(x, "missing"));
    assert_null(pv_form_lines(x, NULL));
    assert_null(pv_form_lines(NULL, "lines"));

    /* a value whose text is split over several nodes is joined */
    pv_el_t *f = pv_form_add_field(x, "split", NULL, NULL, NULL);
    pv_el_t *v = pv_el_add(f, PV_NS_DATA, "value");
    assert_int_equal(pv_el_add_text(v, "ab", 2), 0);
    assert_int_equal(pv_el_add_text(v, "cd", 2), 0);
    assert_int_equal(pv_form_add_value(f, "e"), 0);
    s = pv_form_lines(x, "split");
    assert_string_equal(s, "abcd\ne");
    free(s);
    pv_el_free(c);
}

/* A form built with the functions reads back with them. */
static void test_round_trip(void **state)
{
    (void)state;
    pv_el_t *m = pv_el_new(NULL, "message");
    pv_el_t *x = pv_form_new(m, "submit", "urn:rt", NULL, NULL);
    pv_form_add_field(x, "allow", "boolean", NULL, "true");
    pv_el_t *f = pv_form_add_field(x, "ids", "text-multi", NULL, "a");
    pv_form_add_value(f, "b");
    char *s = str(m);
    pv_el_t *back = parse(s);
    free(s);
    pv_el_t *y = pv_form_submitted(back, "urn:rt");
    assert_non_null(y);
    assert_int_equal(pv_form_bool(y, "allow", 0), 1);
    s = pv_form_lines(y, "ids");
    assert_string_equal(s, "a\nb");
    free(s);
    pv_el_free(back);
    pv_el_free(m);
}

/* ---- allocation failure ---- */

/* With malloc failing, fill(x) is called until it fails: it must, and
 * neither crash nor corrupt the tree (ASan watches the arena). */
static void until_oom(pv_el_t *x, int (*fill)(pv_el_t *x, const char *big))
{
    static char big[8192];
    memset(big, 'a', sizeof big - 1);
    int i;
    malloc_fails = true;
    for (i = 0; i < 10000 && fill(x, i % 7 ? "v" : big) == 0; i++)
        ;
    malloc_fails = false;
    assert_true(i < 10000);
}

static int fill_new(pv_el_t *x, const char *s)
{
    return pv_form_new(x, "form", s, s, s) ? 0 : -1;
}

static int fill_field(pv_el_t *x, const char *s)
{
    return pv_form_add_field(x, s, "text-single", s, s) ? 0 : -1;
}

static int fill_set_field(pv_el_t *x, const char *s)
{
    return pv_form_set_field(x, "v", "text-single", s, s) && pv_form_set_field(x, s, NULL, NULL, s)
               ? 0
               : -1;
}

static int fill_value(pv_el_t *x, const char *s)
{
    return pv_form_add_value(x, s);
}

static int fill_option(pv_el_t *x, const char *s)
{
    return pv_form_add_option(x, s, s) ? 0 : -1;
}

static int fill_required(pv_el_t *x, const char *s)
{
    (void)s;
    return pv_form_set_required(x);
}

static void test_allocation_failure(void **state)
{
    (void)state;
    int (*fills[])(pv_el_t *, const char *) = {fill_new,    fill_field,  fill_set_field,
                                               fill_value,  fill_option, fill_required};
    for (size_t k = 0; k < sizeof fills / sizeof fills[0]; k++) {
        pv_el_t *x = pv_el_new(PV_NS_DATA, "x");
        pv_el_t *f = pv_form_add_field(x, "f", "list-multi", NULL, "first");
        assert_non_null(f);
        until_oom(k >= 3 ? f : x, fills[k]);
        /* what was built before stays readable */
        assert_string_equal(pv_form_value(x, "f"), "first");
        pv_el_free(x);
    }
    /* pv_form_lines: its own malloc fails */
    pv_el_t *x = pv_el_new(PV_NS_DATA, "x");
    assert_non_null(pv_form_add_field(x, "l", NULL, NULL, "line"));
    malloc_fails = true;
    char *s = pv_form_lines(x, "l");
    malloc_fails = false;
    assert_null(s);
    pv_el_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_with_everything),
        cmocka_unit_test(test_new_minimal_and_null),
        cmocka_unit_test(test_add_field),
        cmocka_unit_test(test_add_value_option_required),
        cmocka_unit_test(test_set_field_replaces),
        cmocka_unit_test(test_find_and_submitted),
        cmocka_unit_test(test_field_and_value),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_values_and_lines),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
