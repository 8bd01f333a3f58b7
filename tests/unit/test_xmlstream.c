/*
 * tests/unit/test_xmlstream.c: the stream parser against honest and hostile
 * input.
 *
 * Every hostile input must end in exactly one error callback with the right
 * stream condition, a dead parser (-1 from then on), nothing read from disk,
 * bounded memory, and a NEW parser that works normally afterwards. Honest
 * input must give the same trees however it is split.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <palaver/xml.h>

#include "xmlstream.h"
#include "test_xml_log.h"

#define STREAM_HDR                                                                 \
    "<stream:stream xmlns='jabber:component:accept' "                               \
    "xmlns:stream='http://etherx.jabber.org/streams' from='muc.example' id='s1'>"

#define MAX_STANZAS 32768

typedef struct rec {
    int opens, closes, errors;
    char header_from[64], header_id[64];
    pv_el_t *stanzas[MAX_STANZAS];
    int nstanzas;
    char cond[64];
    char text[256];
} rec_t;

static void on_open(void *ud, const pv_el_t *h)
{
    rec_t *r = ud;
    r->opens++;
    assert_true(pv_el_is(h, PV_NS_STREAMS, "stream"));
    snprintf(r->header_from, sizeof r->header_from, "%s",
             pv_el_attr(h, "from") ? pv_el_attr(h, "from") : "");
    snprintf(r->header_id, sizeof r->header_id, "%s", pv_el_attr(h, "id") ? pv_el_attr(h, "id") : "");
}

static void on_stanza(void *ud, pv_el_t *st)
{
    rec_t *r = ud;
    assert_null(st->parent);
    if (r->nstanzas < MAX_STANZAS)
        r->stanzas[r->nstanzas++] = st;
    else
        pv_el_free(st);
}

static void on_close(void *ud)
{
    ((rec_t *)ud)->closes++;
}

static void on_error(void *ud, const char *cond, const char *text)
{
    rec_t *r = ud;
    r->errors++;
    snprintf(r->cond, sizeof r->cond, "%s", cond);
    snprintf(r->text, sizeof r->text, "%s", text ? text : "");
}

static const xs_callbacks_t cbs = {on_open, on_stanza, on_close, on_error};

static rec_t *rec_new(void)
{
    rec_t *r = calloc(1, sizeof *r);
    assert_non_null(r);
    return r;
}

static void rec_free(rec_t *r)
{
    for (int i = 0; i < r->nstanzas; i++)
        pv_el_free(r->stanzas[i]);
    free(r);
}

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

static int count_text_nodes(const pv_el_t *el)
{
    int n = 0;
    for (const pv_el_t *c = el->children; c; c = c->next)
        n += c->kind == PV_EL_TEXT;
    return n;
}

/* Feeds a whole string; returns xs_feed's answer. */
static int feed_str(xs_parser_t *p, const char *s)
{
    return xs_feed(p, s, strlen(s));
}

/* A normal session on a NEW parser: run after every hostile input. */
static void assert_new_parser_works(void)
{
    rec_t *r = rec_new();
    xs_parser_t *p = xs_new(NULL, &cbs, r);
    assert_non_null(p);
    assert_int_equal(feed_str(p, STREAM_HDR "<message to='a@b'><body>ok</body></message>"), 0);
    assert_int_equal(r->opens, 1);
    assert_int_equal(r->nstanzas, 1);
    assert_string_equal(pv_el_child_text(r->stanzas[0], PV_NS_STANZA, "body"), "ok");
    assert_int_equal(feed_str(p, "</stream:stream>"), 0);
    assert_int_equal(r->closes, 1);
    assert_int_equal(r->errors, 0);
    xs_free(p);
    rec_free(r);
}

/* Feeds hostile input (in pieces of `chunk` bytes) and checks the outcome. */
static void assert_refused_with(const char *input, size_t chunk, const char *cond,
                                const xs_limits_t *lim)
{
    rec_t *r = rec_new();
    xs_parser_t *p = xs_new(lim, &cbs, r);
    size_t len = strlen(input), off = 0;
    int rc = 0;
    while (off < len && rc == 0) {
        size_t n = len - off < chunk ? len - off : chunk;
        rc = xs_feed(p, input + off, n);
        off += n;
    }
    if (rc != -1)
        fail_msg("input accepted (expected %s): ...%s", cond,
                 len > 120 ? input + len - 120 : input);
    assert_int_equal(r->errors, 1);
    assert_string_equal(r->cond, cond);
    /* Dead from now on, without a second callback. */
    assert_int_equal(feed_str(p, "<message/>"), -1);
    assert_int_equal(feed_str(p, "</stream:stream>"), -1);
    assert_int_equal(xs_feed(p, "", 0), -1);
    assert_int_equal(r->errors, 1);
    assert_int_equal(r->closes, 0);
    for (int i = 0; i < r->nstanzas; i++) /* nothing from a file may have leaked in */
        assert_false(r->stanzas[i]->children && strstr(pv_el_text(r->stanzas[i]), "root:"));
    xs_free(p);
    rec_free(r);
    assert_new_parser_works();
}

static void honest_stream(void **state)
{
    rec_t *r = rec_new();
    xs_parser_t *p = xs_new(NULL, &cbs, r);
    assert_int_equal(feed_str(p, "<?xml version='1.0' encoding='UTF-8'?>" STREAM_HDR), 0);
    assert_int_equal(r->opens, 1);
    assert_string_equal(r->header_from, "muc.example");
    assert_string_equal(r->header_id, "s1");
    assert_int_equal(feed_str(p, "<handshake/>\n  "
                                 "<message from='u@x/r' to='room@muc' xml:lang='en' "
                                 "a='1 &amp; 2' b='1 &#38; 2' c='&lt;&gt;&apos;&quot;&#x41;'>"
                                 "<body>1 &amp; 2 &lt; 3 &#38; &#x263A; caf\xC3\xA9 <![CDATA[<&>]]> end</body>"
                                 "<x xmlns='http://jabber.org/protocol/muc#user'><item role='none'/></x>"
                                 "</message>"),
                     0);
    assert_int_equal(r->nstanzas, 2);
    assert_true(pv_el_is(r->stanzas[0], PV_NS_STANZA, "handshake"));
    pv_el_t *m = r->stanzas[1];
    assert_true(pv_el_is(m, PV_NS_STANZA, "message"));
    assert_string_equal(pv_el_lang(m), "en");
    assert_string_equal(m->attrs->next->next->name, "xml:lang");
    assert_string_equal(m->attrs->next->next->ns, PV_NS_XML);
    assert_string_equal(pv_el_attr(m, "a"), "1 & 2");
    assert_string_equal(pv_el_attr(m, "b"), "1 & 2"); /* decoded exactly once */
    assert_string_equal(pv_el_attr(m, "c"), "<>'\"A");
    pv_el_t *body = pv_el_child(m, PV_NS_STANZA, "body");
    assert_string_equal(pv_el_text(body), "1 & 2 < 3 & \xE2\x98\xBA caf\xC3\xA9 <&> end");
    assert_int_equal(count_text_nodes(body), 1);
    pv_el_t *x = pv_el_child(m, "http://jabber.org/protocol/muc#user", "x");
    assert_non_null(x);
    assert_string_equal(pv_el_attr(pv_el_child(x, NULL, "item"), "role"), "none");
    assert_int_equal(feed_str(p, "</stream:stream>"), 0);
    assert_int_equal(r->closes, 1);
    assert_int_equal(feed_str(p, "<late/>"), 0); /* ignored after the close */
    assert_int_equal(r->errors, 0);
    xs_free(p);
    rec_free(r);
}

static void jabber_client_is_normalised(void **state)
{
    rec_t *r = rec_new();
    xs_parser_t *p = xs_new(NULL, &cbs, r);
    assert_int_equal(feed_str(p, "<stream:stream xmlns='jabber:client' "
                                 "xmlns:stream='http://etherx.jabber.org/streams'>"
                                 "<iq type='get' id='1'><query xmlns='http://jabber.org/protocol/disco#info'>"
                                 "<x xmlns='jabber:client'/></query><error/></iq>"
                                 "<c:presence xmlns:c='jabber:client'><c:status>hi</c:status></c:presence>"
                                 "<message xmlns='urn:other'/>"
                                 "<message><x xmlns='relative-uri'/><y xmlns=''/></message>"),
                     0);
    assert_int_equal(r->errors, 0);
    assert_int_equal(r->nstanzas, 4);
    /* A relative namespace URI is only a warning; xmlns='' is "no namespace". */
    assert_non_null(pv_el_child(r->stanzas[3], "relative-uri", "x"));
    assert_non_null(pv_el_child(r->stanzas[3], "", "y"));
    pv_el_t *iq = r->stanzas[0];
    assert_true(pv_el_is(iq, PV_NS_STANZA, "iq"));
    pv_el_t *q = pv_el_child(iq, PV_NS_DISCO_INFO, "query");
    assert_non_null(q);
    assert_non_null(pv_el_child(q, PV_NS_STANZA, "x"));
    assert_non_null(pv_el_child(iq, PV_NS_STANZA, "error"));
    /* Prefixes do not matter, URIs do. */
    assert_true(pv_el_is(r->stanzas[1], PV_NS_STANZA, "presence"));
    assert_string_equal(pv_el_child_text(r->stanzas[1], PV_NS_STANZA, "status"), "hi");
    assert_true(pv_el_is(r->stanzas[2], "urn:other", "message"));
    xs_free(p);
    rec_free(r);
}

static void text_split_into_many_calls_is_one_node(void **state)
{
    rec_t *r = rec_new();
    xs_parser_t *p = xs_new(NULL, &cbs, r);
    assert_int_equal(feed_str(p, STREAM_HDR "<message><body>"), 0);
    char big[20000];
    for (size_t i = 0; i < sizeof big - 1; i++)
        big[i] = (char)('a' + i % 26);
    big[sizeof big - 1] = '\0';
    for (size_t i = 0; i < sizeof big - 1; i++)
        assert_int_equal(xs_feed(p, big + i, 1), 0);
    assert_int_equal(feed_str(p, "&amp;<![CDATA[x]]>&#65;</body></message>"), 0);
    assert_int_equal(r->nstanzas, 1);
    pv_el_t *body = pv_el_child(r->stanzas[0], NULL, "body");
    assert_int_equal(count_text_nodes(body), 1);
    assert_int_equal(strlen(pv_el_text(body)), sizeof big - 1 + 3);
    assert_memory_equal(pv_el_text(body), big, sizeof big - 1);
    assert_string_equal(pv_el_text(body) + sizeof big - 1, "&xA");
    xs_free(p);
    rec_free(r);
}

static const char split_input[] =
    "<?xml version='1.0'?>" STREAM_HDR
    "<message to='r@m' from='u@x/\xC3\xA9' type='groupchat' xml:lang='fr'>"
    "<body>caf\xC3\xA9 &amp; \xF0\x9F\x98\x80 &#x263A; &lt;tag&gt;</body>"
    "<x xmlns='urn:x' a='&#38;&apos;'><y><z>deep</z></y></x></message>\n"
    "<presence to='r@m/nick'><x xmlns='http://jabber.org/protocol/muc'/></presence> "
    "<iq type='get' id='a&amp;b'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"
    "<message><body><![CDATA[a<b]]>c</body></message>"
    "</stream:stream>";

static void split_at_every_byte_gives_the_same_trees(void **state)
{
    size_t len = strlen(split_input);
    rec_t *ref = rec_new();
    xs_parser_t *p = xs_new(NULL, &cbs, ref);
    assert_int_equal(xs_feed(p, split_input, len), 0);
    xs_free(p);
    assert_int_equal(ref->nstanzas, 4);
    assert_int_equal(ref->opens, 1);
    assert_int_equal(ref->closes, 1);
    for (size_t cut = 0; cut <= len; cut++) {
        rec_t *r = rec_new();
        p = xs_new(NULL, &cbs, r);
        assert_int_equal(xs_feed(p, split_input, cut), 0);
        assert_int_equal(xs_feed(p, split_input + cut, len - cut), 0);
        xs_free(p);
        if (r->nstanzas != ref->nstanzas || r->opens != 1 || r->closes != 1 || r->errors)
            fail_msg("split at %zu: %d stanzas, %d errors (%s)", cut, r->nstanzas, r->errors, r->cond);
        for (int i = 0; i < r->nstanzas; i++)
            if (!trees_equal(r->stanzas[i], ref->stanzas[i]))
                fail_msg("split at %zu: stanza %d differs", cut, i);
        rec_free(r);
    }
    /* And one byte at a time. */
    rec_t *r = rec_new();
    p = xs_new(NULL, &cbs, r);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(xs_feed(p, split_input + i, 1), 0);
    xs_free(p);
    assert_int_equal(r->nstanzas, 4);
    for (int i = 0; i < r->nstanzas; i++)
        assert_true(trees_equal(r->stanzas[i], ref->stanzas[i]));
    rec_free(r);
    rec_free(ref);
}

static void many_stanzas_beyond_the_stanza_limit_in_total(void **state)
{
    /* The byte counter is per stanza: 2 MB of small stanzas must pass,
     * whether fed at once or in odd pieces. */
    const char *st = "<message to='r@m'><body>0123456789012345678901234567890123456789</body></message>";
    size_t stlen = strlen(st), n = 2 * 1024 * 1024 / stlen;
    char *buf = malloc(n * stlen);
    for (size_t i = 0; i < n; i++)
        memcpy(buf + i * stlen, st, stlen);
    for (size_t piece = 7; piece <= n * stlen; piece *= 97) {
        size_t count = 0;
        rec_t *r = rec_new();
        xs_parser_t *p = xs_new(NULL, &cbs, r);
        assert_int_equal(feed_str(p, STREAM_HDR), 0);
        for (size_t off = 0; off < n * stlen; off += piece) {
            size_t k = n * stlen - off < piece ? n * stlen - off : piece;
            if (xs_feed(p, buf + off, k) != 0)
                fail_msg("refused at %zu (%s: %s)", off, r->cond, r->text);
            count += (size_t)r->nstanzas;
            for (int i = 0; i < r->nstanzas; i++)
                pv_el_free(r->stanzas[i]);
            r->nstanzas = 0;
        }
        assert_int_equal(count, n);
        xs_free(p);
        rec_free(r);
    }
    free(buf);
}

/* Stanzas with ever new names make libxml2's name dictionary grow; the
 * parser renews its libxml2 context between stanzas when it is large. The
 * renewal is visible in line numbers (a new context counts from 1 again);
 * no stanza may be lost, duplicated or changed, whatever the feed sizes. */
static void unique_names_renew_the_context_without_loss(void **state)
{
    const char *hdr = "<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:client' "
                      "xmlns:e='urn:extra' from='x'>\n";
    size_t n = 30000, cap = n * 96 + 256, len = 0;
    char *buf = malloc(cap);
    len += (size_t)snprintf(buf + len, cap - len, "%s", hdr);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len,
                                "<message id='%zu'><n%zu xmlns='urn:%zu' a%zu='v'/><e:x/></message>\n",
                                i, i, i, i);
    static const size_t feeds[] = {1 << 30, 997, 61};
    for (size_t f = 0; f < sizeof feeds / sizeof *feeds; f++) {
        rec_t *r = rec_new();
        xs_parser_t *p = xs_new(NULL, &cbs, r);
        size_t got = 0;
        bool renewed = false;
        for (size_t off = 0; off < len; off += feeds[f]) {
            size_t k = len - off < feeds[f] ? len - off : feeds[f];
            assert_int_equal(xs_feed(p, buf + off, k), 0);
            for (int i = 0; i < r->nstanzas; i++, got++) {
                pv_el_t *m = r->stanzas[i];
                char name[32], ns[32], attr[32], id[32];
                snprintf(name, sizeof name, "n%zu", got);
                snprintf(ns, sizeof ns, "urn:%zu", got);
                snprintf(attr, sizeof attr, "a%zu", got);
                snprintf(id, sizeof id, "%zu", got);
                assert_true(pv_el_is(m, PV_NS_STANZA, "message"));
                assert_string_equal(pv_el_attr(m, "id"), id);
                pv_el_t *c = pv_el_child(m, ns, name);
                if (!c)
                    fail_msg("feed %zu: stanza %zu lost its child", feeds[f], got);
                assert_string_equal(pv_el_attr(c, attr), "v");
                assert_non_null(pv_el_child(m, "urn:extra", "x"));
                if (m->line < got + 2)
                    renewed = true;
                pv_el_free(m);
            }
            r->nstanzas = 0;
        }
        assert_int_equal(got, n);
        assert_int_equal(r->opens, 1);
        assert_int_equal(r->errors, 0);
        assert_true(renewed);
        assert_int_equal(feed_str(p, "</s:stream>"), 0);
        assert_int_equal(r->closes, 1);
        xs_free(p);
        rec_free(r);
    }
    free(buf);
}

static void billion_laughs(void **state)
{
    const char *doc =
        "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
        "<!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
        "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>"
        "<!ENTITY lol4 '&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;'>"
        "<!ENTITY lol9 '&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;'>]>"
        STREAM_HDR "<message><body>&lol9;</body></message>";
    assert_refused_with(doc, 1 << 20, "restricted-xml", NULL);
    assert_refused_with(doc, 3, "restricted-xml", NULL);
    char err[256];
    assert_null(pv_el_parse(strstr(doc, "<!DOCTYPE"), strlen(strstr(doc, "<!DOCTYPE")), err, sizeof err));
}

static void external_entity_is_never_read(void **state)
{
    const char *xxe = "<?xml version='1.0'?><!DOCTYPE foo [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>"
                      STREAM_HDR "<message><body>&xxe;</body></message>";
    assert_refused_with(xxe, 1 << 20, "restricted-xml", NULL);
    const char *ext = "<!DOCTYPE stream:stream SYSTEM 'file:///etc/passwd'>" STREAM_HDR "<message/>";
    assert_refused_with(ext, 1 << 20, "restricted-xml", NULL);
    const char *pe = "<!DOCTYPE foo [<!ENTITY % p SYSTEM 'file:///etc/passwd'> %p;]>" STREAM_HDR;
    assert_refused_with(pe, 1 << 20, "restricted-xml", NULL);
    /* Same through the document and element parsers. */
    const char *doc = "<!DOCTYPE muc [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]><muc>&xxe;</muc>";
    char err[256];
    unsigned line = 99;
    assert_null(xs_parse_document(doc, strlen(doc), NULL, err, sizeof err, &line));
    assert_null(strstr(err, "root:"));
    assert_int_equal(line, 1);
    assert_null(pv_el_parse(doc, strlen(doc), err, sizeof err));
}

static void dtd_and_entities_are_refused(void **state)
{
    assert_refused_with("<!DOCTYPE stream:stream>" STREAM_HDR, 64, "restricted-xml", NULL);
    assert_refused_with("<!DOCTYPE s [<!ELEMENT s ANY><!ATTLIST s a CDATA 'x'>]>" STREAM_HDR, 64,
                        "restricted-xml", NULL);
    assert_refused_with(STREAM_HDR "<message><body>&foo;</body></message>", 64, "restricted-xml", NULL);
    assert_refused_with(STREAM_HDR "<message to='&foo;'/>", 64, "restricted-xml", NULL);
    assert_refused_with(STREAM_HDR "<message><body>&amp;&foo;</body></message>", 1, "restricted-xml",
                        NULL);
}

static void processing_instruction_and_comment_are_refused(void **state)
{
    assert_refused_with(STREAM_HDR "<?php echo 1; ?>", 64, "restricted-xml", NULL);
    assert_refused_with(STREAM_HDR "<message><?pi x?></message>", 64, "restricted-xml", NULL);
    assert_refused_with("<?xml-stylesheet href='x'?>" STREAM_HDR, 64, "restricted-xml", NULL);
    assert_refused_with(STREAM_HDR "<!-- hello -->", 64, "restricted-xml", NULL);
    assert_refused_with(STREAM_HDR "<message><body>a<!-- x -->b</body></message>", 5, "restricted-xml",
                        NULL);
}

static void wrong_stream_namespace(void **state)
{
    assert_refused_with("<stream:stream xmlns:stream='urn:not-streams' xmlns='jabber:component:accept'>",
                        64, "invalid-namespace", NULL);
    assert_refused_with("<stream xmlns='jabber:component:accept'>", 64, "invalid-namespace", NULL);
    assert_refused_with("<stream:features xmlns:stream='http://etherx.jabber.org/streams'>", 64,
                        "invalid-namespace", NULL);
}

static void broken_xml(void **state)
{
    assert_refused_with(STREAM_HDR "<message><body></message>", 64, "not-well-formed", NULL);
    assert_refused_with(STREAM_HDR "<message a='1' a='2'/>", 64, "not-well-formed", NULL);
    assert_refused_with(STREAM_HDR "<message a=1/>", 64, "not-well-formed", NULL);
    assert_refused_with(STREAM_HDR "<p:message/>", 64, "not-well-formed", NULL); /* unbound prefix */
    assert_refused_with(STREAM_HDR "<message>&#1;</message>", 64, "not-well-formed", NULL);
    assert_refused_with(STREAM_HDR "<message>\x01</message>", 64, "not-well-formed", NULL);
    /* libxml2 waits for a ';' after '&' before it judges the reference. */
    assert_refused_with(STREAM_HDR "<message>a & b</message><message>;</message>", 64,
                        "not-well-formed", NULL);
}

static void invalid_utf8(void **state)
{
    static const char *const bad[] = {"\xC3\x28", "\xFF", "\xC0\xAF", "\xED\xA0\x80",
                                      "\xEF\xBF\xBE", "\xF4\x90\x80\x80", "\x80"};
    char buf[512];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(buf, sizeof buf, STREAM_HDR "<message><body>a%sb</body></message>", bad[i]);
        assert_refused_with(buf, 1 << 20, "not-well-formed", NULL);
        assert_refused_with(buf, 1, "not-well-formed", NULL);
        snprintf(buf, sizeof buf, STREAM_HDR "<message><body><![CDATA[a%sb]]></body></message>",
                 bad[i]);
        assert_refused_with(buf, 1 << 20, "not-well-formed", NULL);
        assert_refused_with(buf, 7, "not-well-formed", NULL);
        snprintf(buf, sizeof buf, STREAM_HDR "<message to='a%sb'/>", bad[i]);
        assert_refused_with(buf, 1 << 20, "not-well-formed", NULL);
        snprintf(buf, sizeof buf, STREAM_HDR "<mess%sage/>", bad[i]);
        assert_refused_with(buf, 1 << 20, "not-well-formed", NULL);
    }
}

/* Feeds `unit` repeatedly (up to 100 MB) after `head`; returns the bytes
 * consumed before the parser refused (fails the test if it never does). */
static size_t bytes_until_refused(const char *head, const char *unit, const char *cond)
{
    rec_t *r = rec_new();
    xs_parser_t *p = xs_new(NULL, &cbs, r);
    assert_int_equal(feed_str(p, STREAM_HDR), 0);
    size_t consumed = 0;
    int rc = feed_str(p, head);
    consumed += strlen(head);
    size_t ulen = strlen(unit);
    static char chunk[16 * 1024];
    size_t per = sizeof chunk / ulen;
    for (size_t i = 0; i < per; i++)
        memcpy(chunk + i * ulen, unit, ulen);
    while (rc == 0 && consumed < 100u * 1024 * 1024) {
        rc = xs_feed(p, chunk, per * ulen);
        consumed += per * ulen;
    }
    assert_int_equal(rc, -1);
    assert_int_equal(r->errors, 1);
    assert_string_equal(r->cond, cond);
    assert_int_equal(r->nstanzas, 0);
    xs_free(p);
    rec_free(r);
    assert_new_parser_works();
    return consumed;
}

static void hundred_megabyte_stanza_is_refused_early(void **state)
{
    /* In text, in an attribute value (the start tag never ends), and in
     * white space between attributes. */
    size_t n = bytes_until_refused("<message><body>", "a", "policy-violation");
    assert_true(n < 300 * 1024);
    n = bytes_until_refused("<message to='", "b", "policy-violation");
    assert_true(n < 300 * 1024);
    n = bytes_until_refused("<message ", " ", "policy-violation");
    assert_true(n < 300 * 1024);
    n = bytes_until_refused("<message>", "<a/>", "policy-violation");
    assert_true(n < 300 * 1024);
    /* A bare '&' makes libxml2 buffer until a ';': still bounded. */
    n = bytes_until_refused("<message>a & b</message>", "<message/>", "policy-violation");
    assert_true(n < 300 * 1024);
    /* In 1 KiB pieces, nothing buffered beyond the limit. */
    rec_t *r = rec_new();
    xs_parser_t *p = xs_new(NULL, &cbs, r);
    feed_str(p, STREAM_HDR "<message><body>");
    char kib[1024];
    memset(kib, 'z', sizeof kib);
    size_t fed = 0;
    while (xs_feed(p, kib, sizeof kib) == 0)
        fed += sizeof kib;
    assert_true(fed <= 256 * 1024 + 4096);
    assert_true(fed >= 250 * 1024);
    assert_string_equal(r->cond, "policy-violation");
    xs_free(p);
    rec_free(r);
}

static void custom_limits(void **state)
{
    xs_limits_t lim;
    xs_limits_default(&lim);
    assert_int_equal(lim.max_stanza_bytes, 256 * 1024);
    assert_int_equal(lim.max_depth, 32);
    assert_int_equal(lim.max_attrs, 64);
    assert_int_equal(lim.max_text, lim.max_stanza_bytes);
    lim.max_text = 100;
    char buf[1024];
    char text[200];
    memset(text, 't', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    snprintf(buf, sizeof buf, STREAM_HDR "<message><body>%s</body></message>", text);
    assert_refused_with(buf, 1 << 20, "policy-violation", &lim);
    snprintf(buf, sizeof buf, STREAM_HDR "<message to='%s'/>", text);
    assert_refused_with(buf, 1 << 20, "policy-violation", &lim);
    /* At the limit it passes. */
    rec_t *r = rec_new();
    xs_parser_t *p = xs_new(&lim, &cbs, r);
    text[100] = '\0';
    snprintf(buf, sizeof buf, STREAM_HDR "<message to='%s'><body>%s</body></message>", text, text);
    assert_int_equal(feed_str(p, buf), 0);
    assert_int_equal(r->nstanzas, 1);
    xs_free(p);
    rec_free(r);
}

static void depth_bomb(void **state)
{
    size_t n = 100000;
    char *bomb = malloc(sizeof STREAM_HDR + 3 * n);
    strcpy(bomb, STREAM_HDR);
    for (size_t i = 0; i < n; i++)
        memcpy(bomb + sizeof STREAM_HDR - 1 + 3 * i, "<a>", 3);
    bomb[sizeof STREAM_HDR - 1 + 3 * n] = '\0';
    assert_refused_with(bomb, 1 << 20, "policy-violation", NULL);
    assert_refused_with(bomb, 4096, "policy-violation", NULL);
    free(bomb);
    /* 32 levels inside a stanza are fine, 33 are not. */
    char buf[1024];
    strcpy(buf, STREAM_HDR);
    for (int i = 0; i < 32; i++)
        strcat(buf, "<a>");
    strcat(buf, "x");
    for (int i = 0; i < 32; i++)
        strcat(buf, "</a>");
    rec_t *r = rec_new();
    xs_parser_t *p = xs_new(NULL, &cbs, r);
    assert_int_equal(feed_str(p, buf), 0);
    assert_int_equal(r->nstanzas, 1);
    xs_free(p);
    rec_free(r);
    strcpy(buf, STREAM_HDR);
    for (int i = 0; i < 33; i++)
        strcat(buf, "<a>");
    assert_refused_with(buf, 1 << 20, "policy-violation", NULL);
}

static void too_many_attributes(void **state)
{
    char buf[4096];
    for (int count = 64; count <= 65; count++) {
        strcpy(buf, STREAM_HDR "<message");
        for (int i = 0; i < count; i++)
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " a%d='%d'", i, i);
        strcat(buf, "/>");
        if (count == 65) {
            assert_refused_with(buf, 1 << 20, "policy-violation", NULL);
            continue;
        }
        rec_t *r = rec_new();
        xs_parser_t *p = xs_new(NULL, &cbs, r);
        assert_int_equal(feed_str(p, buf), 0);
        assert_int_equal(r->nstanzas, 1);
        assert_string_equal(pv_el_attr(r->stanzas[0], "a63"), "63");
        xs_free(p);
        rec_free(r);
    }
}

static void stream_errors_pass_through(void **state)
{
    rec_t *r = rec_new();
    xs_parser_t *p = xs_new(NULL, &cbs, r);
    assert_int_equal(feed_str(p, STREAM_HDR "<stream:error><not-authorized "
                                 "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"),
                     0);
    assert_int_equal(r->nstanzas, 1);
    assert_true(pv_el_is(r->stanzas[0], PV_NS_STREAMS, "error"));
    assert_non_null(pv_el_child(r->stanzas[0], "urn:ietf:params:xml:ns:xmpp-streams", "not-authorized"));
    xs_free(p); /* a half-read stanza is freed with the parser */
    rec_free(r);
    r = rec_new();
    p = xs_new(NULL, &cbs, r);
    assert_int_equal(feed_str(p, STREAM_HDR "<message><body>half"), 0);
    xs_free(p);
    rec_free(r);
}

static void document_mode(void **state)
{
    const char *doc = "<?xml version='1.0'?>\n"
                      "<!-- Palaver configuration -->\n"
                      "<muc>\n"
                      "  <name>conf<!-- inline -->erence</name>\n"
                      "  <port>5347</port>\n"
                      "  <x xmlns='urn:x' v='a&amp;b'/>\n"
                      "</muc>\n";
    char err[256];
    unsigned line = 7;
    pv_el_t *root = xs_parse_document(doc, strlen(doc), NULL, err, sizeof err, &line);
    assert_non_null(root);
    assert_int_equal(line, 0);
    assert_true(pv_el_is(root, "", "muc"));
    assert_int_equal(root->line, 3);
    pv_el_t *name = pv_el_child(root, NULL, "name");
    assert_int_equal(name->line, 4);
    assert_string_equal(pv_el_text(name), "conference");
    assert_int_equal(count_text_nodes(name), 1);
    assert_int_equal(pv_el_child(root, NULL, "port")->line, 5);
    pv_el_t *x = pv_el_child(root, "urn:x", "x");
    assert_int_equal(x->line, 6);
    assert_string_equal(pv_el_attr(x, "v"), "a&b");
    pv_el_free(root);

    const char *bad = "<muc>\n<a>\n</b>\n</muc>";
    assert_null(xs_parse_document(bad, strlen(bad), NULL, err, sizeof err, &line));
    assert_int_equal(line, 3);
    assert_true(strlen(err) > 0);
    const char *pi = "<muc>\n<?pi?></muc>";
    assert_null(xs_parse_document(pi, strlen(pi), NULL, err, sizeof err, &line));
    assert_int_equal(line, 2);
    assert_null(xs_parse_document("", 0, NULL, err, sizeof err, &line));
    assert_null(xs_parse_document("<muc>", 5, NULL, err, sizeof err, &line));
    assert_null(xs_parse_document("<a/><b/>", 8, NULL, err, sizeof err, NULL));
    xs_limits_t lim;
    xs_limits_default(&lim);
    lim.max_stanza_bytes = 10;
    assert_null(xs_parse_document("<muc>      </muc>", 17, &lim, err, sizeof err, NULL));
}

static void element_parse(void **state)
{
    char err[256];
    const char *s = "<message xmlns='jabber:client' to='a@b'><body>x &amp; y</body></message>";
    pv_el_t *m = pv_el_parse(s, strlen(s), err, sizeof err);
    assert_non_null(m);
    assert_true(pv_el_is(m, PV_NS_STANZA, "message"));
    assert_string_equal(pv_el_child_text(m, PV_NS_STANZA, "body"), "x & y");
    pv_el_free(m);
    /* No namespace (as pv_el_serialize writes a stanza) means the stanza namespace. */
    m = pv_el_parse("<presence/>", 11, err, sizeof err);
    assert_true(pv_el_is(m, PV_NS_STANZA, "presence"));
    pv_el_free(m);
    err[0] = 'x';
    assert_null(pv_el_parse("<a><b></a>", 10, err, sizeof err));
    assert_true(strlen(err) > 0);
    assert_null(pv_el_parse("<a>&x;</a>", 10, NULL, 0));
    assert_null(pv_el_parse(NULL, 0, err, sizeof err));
}

static void utf16_and_encoding_declarations_do_not_crash(void **state)
{
    static const char utf16[] = "\xFF\xFE<\0s\0/\0>\0";
    rec_t *r = rec_new();
    xs_parser_t *p = xs_new(NULL, &cbs, r);
    xs_feed(p, utf16, sizeof utf16 - 1);
    xs_free(p);
    rec_free(r);
    /* An encoding declaration does not switch away from UTF-8. */
    r = rec_new();
    p = xs_new(NULL, &cbs, r);
    assert_int_equal(feed_str(p, "<?xml version='1.0' encoding='ISO-8859-1'?>" STREAM_HDR
                                 "<message><body>caf\xC3\xA9</body></message>"),
                     0);
    assert_int_equal(r->nstanzas, 1);
    assert_string_equal(pv_el_child_text(r->stanzas[0], NULL, "body"), "caf\xC3\xA9");
    xs_free(p);
    rec_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(honest_stream),
        cmocka_unit_test(jabber_client_is_normalised),
        cmocka_unit_test(text_split_into_many_calls_is_one_node),
        cmocka_unit_test(split_at_every_byte_gives_the_same_trees),
        cmocka_unit_test(many_stanzas_beyond_the_stanza_limit_in_total),
        cmocka_unit_test(unique_names_renew_the_context_without_loss),
        cmocka_unit_test(billion_laughs),
        cmocka_unit_test(external_entity_is_never_read),
        cmocka_unit_test(dtd_and_entities_are_refused),
        cmocka_unit_test(processing_instruction_and_comment_are_refused),
        cmocka_unit_test(wrong_stream_namespace),
        cmocka_unit_test(broken_xml),
        cmocka_unit_test(invalid_utf8),
        cmocka_unit_test(hundred_megabyte_stanza_is_refused_early),
        cmocka_unit_test(custom_limits),
        cmocka_unit_test(depth_bomb),
        cmocka_unit_test(too_many_attributes),
        cmocka_unit_test(stream_errors_pass_through),
        cmocka_unit_test(document_mode),
        cmocka_unit_test(element_parse),
        cmocka_unit_test(utf16_and_encoding_declarations_do_not_crash),
    };
    return cmocka_run_group_tests_name("xmlstream", tests, NULL, NULL);
}
