/*
 * tests/unit/test_serialize.c: pv_el_serialize, pv_xml_text_valid and the
 * prepared fan-out (pv_prepare / pv_send_prepared).
 *
 * Exact output strings are asserted where the form matters (escaping,
 * xmlns placement); everything else is checked by parsing the output back
 * and comparing trees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <palaver/router.h>
#include <palaver/xml.h>

#include "output.h"
#include "test_xml_log.h"

static bool trees_equal(const pv_el_t *a, const pv_el_t *b)
{
    if (a->kind != b->kind)
        return false;
    if (a->kind == PV_EL_TEXT)
        return a->text_len == b->text_len && memcmp(a->text, b->text, a->text_len) == 0;
    if (strcmp(a->name, b->name) != 0 || strcmp(a->ns, b->ns) != 0)
        return false;
    const pv_attr_t *x = a->attrs, *y = b->attrs;
    for (; x && y; x = x->next, y = y->next) {
        if (strcmp(x->name, y->name) != 0 || strcmp(x->value, y->value) != 0)
            return false;
        if ((x->ns == NULL) != (y->ns == NULL) || (x->ns && strcmp(x->ns, y->ns) != 0))
            return false;
    }
    if (x || y)
        return false;
    const pv_el_t *c = a->children, *d = b->children;
    for (; c && d; c = c->next, d = d->next)
        if (!trees_equal(c, d))
            return false;
    return !c && !d;
}

static char *ser(const pv_el_t *el)
{
    size_t len = 0;
    char *s = pv_el_serialize(el, &len);
    if (s)
        assert_int_equal(len, strlen(s));
    return s;
}

static void assert_serializes_to(const pv_el_t *el, const char *expected)
{
    char *s = ser(el);
    assert_non_null(s);
    assert_string_equal(s, expected);
    free(s);
}

/* Serializes, parses back, and checks the tree is unchanged. */
static void assert_round_trip(const pv_el_t *el)
{
    size_t len;
    char *s = pv_el_serialize(el, &len);
    assert_non_null(s);
    char err[256];
    pv_el_t *back = pv_el_parse(s, len, err, sizeof err);
    if (!back)
        fail_msg("parse of %s failed: %s", s, err);
    if (!trees_equal(el, back))
        fail_msg("round trip changed the tree: %s", s);
    free(s);
    pv_el_free(back);
}

static void simple_stanza(void **state)
{
    pv_el_t *m = pv_el_new(NULL, "message");
    pv_el_set_attr(m, "to", "a@b");
    pv_el_set_attr(m, "type", "chat");
    pv_el_add_text_child(m, NULL, "body", "hi");
    pv_el_add(m, NULL, "empty");
    assert_serializes_to(m, "<message to='a@b' type='chat'><body>hi</body><empty/></message>");
    assert_round_trip(m);
    pv_el_free(m);
}

static void text_escaping(void **state)
{
    pv_el_t *b = pv_el_new(NULL, "body");
    const char *t = "a&b<c>d\"e'f\tg\nh\ri]]>j";
    pv_el_add_text(b, t, strlen(t));
    assert_serializes_to(b, "<body>a&amp;b&lt;c&gt;d\"e'f\tg\nh&#13;i]]&gt;j</body>");
    assert_round_trip(b);
    pv_el_free(b);
}

static void attribute_escaping(void **state)
{
    pv_el_t *e = pv_el_new(NULL, "x");
    pv_el_set_attr(e, "v", "&<>'\"\t\n\r end");
    assert_serializes_to(e, "<x v='&amp;&lt;>&apos;&quot;&#9;&#10;&#13; end'/>");
    assert_round_trip(e);
    /* The literal text of a reference must come back as typed, not decoded twice. */
    pv_el_set_attr(e, "v", "1 &#38; 2 &amp; 3");
    pv_el_add_text(e, "&lt;", 4);
    assert_serializes_to(e, "<x v='1 &amp;#38; 2 &amp;amp; 3'>&amp;lt;</x>");
    assert_round_trip(e);
    pv_el_free(e);
}

static void utf8_round_trip(void **state)
{
    pv_el_t *m = pv_el_new(NULL, "message");
    pv_el_add(m, "urn:x", "caf\xC3\xA9_\xE4\xB8\xAD.n-1\xC2\xB7");
    pv_el_set_attr(m, "from", "caf\xC3\xA9@x/\xE2\x82\xAC");
    pv_el_add_text_child(m, NULL, "body", "\xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF \xEF\xBF\xBD");
    assert_round_trip(m);
    pv_el_free(m);
}

static void namespaces(void **state)
{
    pv_el_t *iq = pv_el_new(PV_NS_STANZA, "iq");
    pv_el_t *q = pv_el_add(iq, PV_NS_DISCO_INFO, "query");
    pv_el_add(q, NULL, "feature");                       /* same ns: no xmlns */
    pv_el_t *x = pv_el_add(q, PV_NS_DATA, "x");
    pv_el_add(x, PV_NS_STANZA, "back");                  /* differs from parent */
    assert_serializes_to(iq, "<iq><query xmlns='http://jabber.org/protocol/disco#info'><feature/>"
                             "<x xmlns='jabber:x:data'><back xmlns='jabber:component:accept'/>"
                             "</x></query></iq>");
    assert_round_trip(iq);
    /* A top element outside the stanza namespace declares its own. */
    assert_serializes_to(q, "<query xmlns='http://jabber.org/protocol/disco#info'><feature/>"
                            "<x xmlns='jabber:x:data'><back xmlns='jabber:component:accept'/>"
                            "</x></query>");
    pv_el_free(iq);
}

static void namespaced_attributes(void **state)
{
    pv_el_t *e = pv_el_new(NULL, "message");
    pv_el_set_attr(e, "xml:lang", "de");
    pv_el_set_attr(e, "id", "1");
    /* Namespaced attributes are built by hand: the SDK setter makes unqualified ones. */
    pv_attr_t a2 = {.name = "b", .ns = "urn:two", .value = "2"};
    pv_attr_t a1 = {.name = "a", .ns = "urn:one", .value = "1", .next = &a2};
    pv_attr_t a3 = {.name = "c", .ns = "urn:one", .value = "3"};
    a2.next = &a3;
    e->attrs->next->next = &a1;
    assert_serializes_to(e, "<message xml:lang='de' id='1' xmlns:a0='urn:one' a0:a='1' "
                            "xmlns:a1='urn:two' a1:b='2' a0:c='3'/>");
    assert_round_trip(e);
    pv_el_free(e);
}

static void valid_text_table(void **state)
{
    static const char *const good[] = {
        "", "abc", "tab\tlf\ncr\r", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
        "\xF4\x8F\xBF\xBF", "\xEF\xBF\xBD", "\xED\x9F\xBF" /* U+D7FF */, "\xEE\x80\x80", /* U+E000 */
    };
    static const char *const bad[] = {
        "\x01", "a\x1f", "\x7f\x80", "\xC3\x28", "\xC0\xAF" /* overlong '/' */,
        "\xC1\xBF", "\xE0\x80\xAF" /* overlong */, "\xF0\x80\x80\xAF" /* overlong */,
        "\xED\xA0\x80" /* surrogate */, "\xED\xBF\xBF", "\xEF\xBF\xBE" /* U+FFFE */,
        "\xEF\xBF\xBF" /* U+FFFF */, "\xF4\x90\x80\x80" /* > U+10FFFF */, "\xF5\x80\x80\x80",
        "\xFF", "\xC3" /* truncated */, "\xE2\x82", "\xF0\x9F\x98", "\x80",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!pv_xml_text_valid(good[i], strlen(good[i])))
            fail_msg("good[%zu] refused", i);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (pv_xml_text_valid(bad[i], strlen(bad[i])))
            fail_msg("bad[%zu] accepted", i);
    assert_false(pv_xml_text_valid("a\0b", 3)); /* NUL */
    assert_true(pv_xml_text_valid(NULL, 0));
}

/* The tree is refused, nothing returned, and the log names the element. */
static void assert_refused(const pv_el_t *el, const char *logged_name)
{
    log_capture_begin();
    size_t len = 99;
    char *s = pv_el_serialize(el, &len);
    char *log = log_capture_end();
    assert_null(s);
    if (!strstr(log, logged_name))
        fail_msg("log does not name <%s>: %s", logged_name, log);
    free(log);
    log_capture_begin();
    pv_prepared_t *p = pv_prepare(el);
    free(log_capture_end());
    assert_null(p);
}

static void invalid_strings_are_refused(void **state)
{
    static const char *const bad[] = {"\x01", "\xC3\x28", "\xC0\xAF", "\xED\xA0\x80",
                                      "\xEF\xBF\xBF", "\xF4\x90\x80\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        pv_el_t *m = pv_el_new(NULL, "message");
        pv_el_t *body = pv_el_add(m, NULL, "body");
        pv_el_add_text(body, bad[i], strlen(bad[i]));
        assert_refused(m, "body");
        pv_el_free(m);

        m = pv_el_new(NULL, "presence");
        pv_el_t *item = pv_el_add(m, "urn:x", "item");
        pv_el_set_attr(item, "nick", bad[i]);
        assert_refused(m, "item");
        pv_el_free(m);
    }
    pv_el_t *m = pv_el_new(NULL, "message");
    pv_el_add(m, NULL, "bad name");
    assert_refused(m, "bad\\x20name");
    pv_el_free(m);
    m = pv_el_new(NULL, "message");
    pv_el_set_attr(m, "x='1'", "v");
    assert_refused(m, "message");
    pv_el_free(m);
    m = pv_el_new(NULL, "message");
    pv_el_add(m, NULL, "\xC2\xA0nbsp"); /* valid UTF-8, not a name */
    assert_refused(m, "\\xc2\\xa0nbsp");
    pv_el_free(m);
    m = pv_el_new(NULL, "message");
    pv_el_add(m, NULL, "1digit");
    assert_refused(m, "<1digit/>");
    pv_el_free(m);
    m = pv_el_new(NULL, "caf\xC3\xA9-\xE2\x80\x80"); /* U+2000 is no NameChar */
    assert_refused(m, "caf\\xc3\\xa9-\\xe2\\x80\\x80");
    pv_el_free(m);
    m = pv_el_new("urn:\x01", "message");
    assert_refused(m, "message");
    pv_el_free(m);
}

/* ---- fan-out ---- */

static char sink_buf[65536];
static size_t sink_len;
static int sink_calls;
static int sink_answer;

static int capture_sink(const char *buf, size_t len, void *ud)
{
    assert_ptr_equal(ud, &sink_calls);
    sink_calls++;
    assert_true(len < sizeof sink_buf);
    memcpy(sink_buf, buf, len);
    sink_buf[len] = '\0';
    sink_len = len;
    return sink_answer;
}

static void prepared_fan_out(void **state)
{
    pv_el_t *m = pv_el_new(NULL, "message");
    pv_el_set_attr(m, "from", "room@muc/nick");
    pv_el_set_attr(m, "to", "ignored@x");
    pv_el_set_attr(m, "type", "groupchat");
    pv_el_add_text_child(m, NULL, "body", "a & b");
    pv_prepared_t *p = pv_prepare(m);
    assert_non_null(p);
    output_set_sink(capture_sink, &sink_calls);
    sink_answer = 0;
    sink_calls = 0;

    static const char *const rcpt[] = {"u1@x/r", "u2@y/with space", "o'brien&co@x/\xC3\xA9<"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(pv_send_prepared(p, rcpt[i]), 0);
        assert_int_equal(sink_calls, (int)i + 1);
        /* Same bytes as serializing a copy addressed to that recipient. */
        pv_el_t *c = pv_el_clone(m);
        pv_el_set_attr(c, "to", NULL);
        pv_el_set_attr(c, "from", NULL);
        pv_el_set_attr(c, "type", NULL);
        pv_el_set_attr(c, "to", rcpt[i]);
        pv_el_set_attr(c, "from", "room@muc/nick");
        pv_el_set_attr(c, "type", "groupchat");
        char *want = ser(c);
        assert_string_equal(sink_buf, want);
        free(want);
        pv_el_t *back = pv_el_parse(sink_buf, sink_len, NULL, 0);
        assert_non_null(back);
        assert_string_equal(pv_el_attr(back, "to"), rcpt[i]);
        assert_true(trees_equal(back, c));
        pv_el_free(back);
        pv_el_free(c);
    }
    assert_string_equal(sink_buf, "<message to='o&apos;brien&amp;co@x/\xC3\xA9&lt;' "
                                  "from='room@muc/nick' type='groupchat'><body>a &amp; b</body></message>");

    /* A recipient longer than the stack buffer. */
    char longto[3000];
    memset(longto, '&', sizeof longto - 1);
    longto[sizeof longto - 1] = '\0';
    assert_int_equal(pv_send_prepared(p, longto), 0);
    pv_el_t *back = pv_el_parse(sink_buf, sink_len, NULL, 0);
    assert_string_equal(pv_el_attr(back, "to"), longto);
    pv_el_free(back);

    /* Refusals. */
    int calls = sink_calls;
    log_capture_begin();
    assert_int_equal(pv_send_prepared(p, "bad\x01@x"), -1);
    assert_int_equal(pv_send_prepared(p, "\xC3\x28@x"), -1);
    assert_int_equal(pv_send_prepared(p, ""), -1);
    assert_int_equal(pv_send_prepared(p, NULL), -1);
    assert_int_equal(pv_send_prepared(NULL, "a@b"), -1);
    free(log_capture_end());
    assert_int_equal(sink_calls, calls);
    sink_answer = -1; /* over the high-water mark */
    assert_int_equal(pv_send_prepared(p, "u1@x"), -1);
    output_set_sink(NULL, NULL); /* disconnected */
    assert_int_equal(pv_send_prepared(p, "u1@x"), -1);
    pv_prepared_free(p);
    pv_prepared_free(NULL);

    /* A stanza with no children and no other attributes. */
    pv_el_t *pr = pv_el_new(NULL, "presence");
    p = pv_prepare(pr);
    output_set_sink(capture_sink, &sink_calls);
    sink_answer = 0;
    assert_int_equal(pv_send_prepared(p, "z@z"), 0);
    assert_string_equal(sink_buf, "<presence to='z@z'/>");
    output_set_sink(NULL, NULL);
    pv_prepared_free(p);
    pv_el_free(pr);
    pv_el_free(m);
}

/* A recipient kept with pv_recipient_new gets exactly the bytes that
 * pv_send_prepared writes for the same JID, escaping included. */
static void kept_recipients(void **state)
{
    (void)state;
    pv_el_t *m = pv_el_new(NULL, "message");
    pv_el_set_attr(m, "from", "room@muc/nick");
    pv_el_set_attr(m, "type", "groupchat");
    pv_el_add_text_child(m, NULL, "body", "x");
    pv_prepared_t *p = pv_prepare(m);
    assert_non_null(p);
    output_set_sink(capture_sink, &sink_calls);
    sink_answer = 0;

    char longto[3000];
    memset(longto, '"', sizeof longto - 1);
    longto[sizeof longto - 1] = '\0';
    const char *const rcpt[] = {"u1@x/r", "o'brien&co@x/\xC3\xA9<\t\n\r\"", "u2@y/with space",
                                longto};
    for (size_t i = 0; i < sizeof rcpt / sizeof *rcpt; i++) {
        assert_int_equal(pv_send_prepared(p, rcpt[i]), 0);
        char *want = strdup(sink_buf);
        assert_non_null(want);
        pv_recipient_t *r = pv_recipient_new(rcpt[i]);
        assert_non_null(r);
        sink_calls = 0;
        assert_int_equal(pv_send_prepared_to(p, r), 0);
        assert_int_equal(sink_calls, 1);
        assert_string_equal(sink_buf, want);
        pv_el_t *back = pv_el_parse(sink_buf, sink_len, NULL, 0);
        assert_non_null(back);
        assert_string_equal(pv_el_attr(back, "to"), rcpt[i]);
        pv_el_free(back);
        free(want);
        if (i == 1)
            assert_string_equal(sink_buf,
                                "<message to='o&apos;brien&amp;co@x/\xC3\xA9&lt;&#9;&#10;&#13;"
                                "&quot;' from='room@muc/nick' type='groupchat'><body>x</body>"
                                "</message>");
        sink_answer = -1; /* over the high-water mark */
        assert_int_equal(pv_send_prepared_to(p, r), -1);
        sink_answer = 0;
        pv_recipient_free(r);
    }

    /* What cannot be written is refused when the recipient is made. */
    log_capture_begin();
    assert_null(pv_recipient_new("bad\x01@x"));
    assert_null(pv_recipient_new("\xC3\x28@x"));
    assert_null(pv_recipient_new(""));
    assert_null(pv_recipient_new(NULL));
    pv_recipient_t *r = pv_recipient_new("a@b");
    sink_calls = 0;
    assert_int_equal(pv_send_prepared_to(NULL, r), -1);
    assert_int_equal(pv_send_prepared_to(p, NULL), -1);
    free(log_capture_end());
    assert_int_equal(sink_calls, 0);
    output_set_sink(NULL, NULL); /* disconnected */
    assert_int_equal(pv_send_prepared_to(p, r), -1);
    pv_recipient_free(r);
    pv_recipient_free(NULL);
    pv_prepared_free(p);
    pv_el_free(m);
}

/* Every copy a sink takes, one after the other; the call number `refuse`
 * (1-based, 0: none) and every one after it at intervals of `refuse` are
 * refused, as over the high-water mark. */
static char all_buf[65536];
static size_t all_len;
static int all_calls, all_refuse;

static int append_sink(const char *buf, size_t len, void *ud)
{
    (void)ud;
    all_calls++;
    if (all_refuse && all_calls % all_refuse == 0)
        return -1;
    assert_true(all_len + len < sizeof all_buf);
    memcpy(all_buf + all_len, buf, len);
    all_len += len;
    all_buf[all_len] = '\0';
    return 0;
}

static void all_reset(int refuse)
{
    all_len = 0;
    all_buf[0] = '\0';
    all_calls = 0;
    all_refuse = refuse;
}

/* The output's form for many copies at once: called once per batch. */
static size_t copies_calls, copies_n;
static size_t copies_sink(const pv_prepared_t *p, const pv_recipient_t *const *to, size_t n,
                          size_t esc_bytes, void *ud)
{
    (void)p, (void)to, (void)ud, (void)esc_bytes;
    copies_calls++;
    copies_n += n;
    return n;
}

/* One prepared stanza to many kept recipients, as an array
 * (pv_send_prepared_many) and as a batch (pv_fanout_*): the same bytes, in
 * the same order, as a pv_send_prepared_to per recipient, escaping
 * included; refused copies are counted, NULL recipients skipped. */
static void fan_out_to_many(void **state)
{
    (void)state;
    pv_el_t *m = pv_el_new(NULL, "message");
    pv_el_set_attr(m, "from", "room@muc/nick");
    pv_el_set_attr(m, "type", "groupchat");
    pv_el_add_text_child(m, NULL, "body", "x & <y>");
    pv_prepared_t *p = pv_prepare(m);
    assert_non_null(p);
    char longto[1500];
    memset(longto, '"', sizeof longto - 1);
    longto[sizeof longto - 1] = '\0';
    const char *const jids[] = {"u1@x/r",          "o'brien&co@x/\xC3\xA9<\t\n\r\"",
                                "u2@y/with space", longto,
                                "dave@localhost/o'brien & <co> \"x\"", "u3@z"};
    enum { N = sizeof jids / sizeof *jids };
    pv_recipient_t *r[N];
    for (size_t i = 0; i < N; i++)
        assert_non_null(r[i] = pv_recipient_new(jids[i]));

    output_set_sink(append_sink, NULL);
    all_reset(0);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(pv_send_prepared_to(p, r[i]), 0);
    char *want = strdup(all_buf);
    assert_non_null(want);
    assert_non_null(strstr(want, "<message to='dave@localhost/o&apos;brien &amp; &lt;co> "
                                 "&quot;x&quot;' from='room@muc/nick'"));

    all_reset(0);
    assert_int_equal(pv_send_prepared_many(p, (const pv_recipient_t *const *)r, N), N);
    assert_int_equal(all_calls, N);
    assert_string_equal(all_buf, want);

    pv_fanout_t *b = pv_fanout_new();
    assert_non_null(b);
    for (int round = 0; round < 2; round++) { /* a batch is reused */
        all_reset(0);
        for (size_t i = 0; i < N; i++)
            assert_int_equal(pv_fanout_add(b, r[i]), 0);
        assert_int_equal(pv_fanout_count(b), N);
        assert_int_equal(pv_fanout_send(b, m, p), N); /* multicast is off */
        assert_int_equal(pv_fanout_count(b), 0);
        assert_string_equal(all_buf, want);
    }

    /* Every second copy refused: counted, the others sent. */
    all_reset(2);
    assert_int_equal(pv_send_prepared_many(p, (const pv_recipient_t *const *)r, N), N / 2);
    assert_int_equal(all_calls, N);

    /* A NULL recipient is skipped, the others go in order. */
    log_capture_begin();
    const pv_recipient_t *holes[] = {r[0], NULL, r[1]};
    all_reset(0);
    assert_int_equal(pv_send_prepared_many(p, holes, 3), 2);
    free(log_capture_end());
    all_reset(0);
    assert_int_equal(pv_send_prepared_to(p, r[0]), 0);
    assert_int_equal(pv_send_prepared_to(p, r[1]), 0);
    char *two = strdup(all_buf);
    all_reset(0);
    pv_send_prepared_many(p, holes + 0, 1);
    pv_send_prepared_many(p, holes + 2, 1);
    assert_string_equal(all_buf, two);
    free(two);

    /* An output with a form for copies gets the batch in one call. */
    output_set_sink_copies(copies_sink);
    all_reset(0);
    for (size_t i = 0; i < N; i++)
        pv_fanout_add(b, r[i]);
    assert_int_equal(pv_fanout_send(b, m, p), N);
    assert_int_equal(copies_calls, 1);
    assert_int_equal(copies_n, N);
    assert_int_equal(all_calls, 0);

    /* Errors. */
    log_capture_begin();
    assert_int_equal(pv_send_prepared_many(NULL, (const pv_recipient_t *const *)r, N), -1);
    assert_int_equal(pv_send_prepared_many(p, NULL, 1), -1);
    assert_int_equal(pv_send_prepared_many(p, NULL, 0), 0);
    assert_int_equal(pv_fanout_add(NULL, r[0]), -1);
    assert_int_equal(pv_fanout_add(b, NULL), -1);
    assert_int_equal(pv_fanout_send(NULL, m, p), -1);
    pv_fanout_add(b, r[0]);
    assert_int_equal(pv_fanout_send(b, m, NULL), -1);
    assert_int_equal(pv_fanout_count(b), 0);
    free(log_capture_end());
    assert_int_equal(pv_fanout_count(NULL), 0);
    output_set_sink(NULL, NULL); /* disconnected: the copies' form goes too */
    pv_fanout_add(b, r[0]);
    assert_int_equal(pv_fanout_send(b, m, p), 0);
    assert_int_equal(copies_calls, 1);

    pv_fanout_free(b);
    pv_fanout_free(NULL);
    for (size_t i = 0; i < N; i++)
        pv_recipient_free(r[i]);
    free(want);
    pv_prepared_free(p);
    pv_el_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(simple_stanza),
        cmocka_unit_test(text_escaping),
        cmocka_unit_test(attribute_escaping),
        cmocka_unit_test(utf8_round_trip),
        cmocka_unit_test(namespaces),
        cmocka_unit_test(namespaced_attributes),
        cmocka_unit_test(valid_text_table),
        cmocka_unit_test(invalid_strings_are_refused),
        cmocka_unit_test(prepared_fan_out),
        cmocka_unit_test(kept_recipients),
        cmocka_unit_test(fan_out_to_many),
    };
    return cmocka_run_group_tests_name("serialize", tests, NULL, NULL);
}
