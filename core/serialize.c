/*
 * core/serialize.c: pv_el_t trees to bytes for the component stream.
 *
 * Everything Palaver sends goes through here, and one bad byte makes the
 * server drop the whole component stream (every room at once). So every
 * name, namespace, attribute value and text is checked to be valid XML 1.0
 * UTF-8 before it is written; a tree that fails is refused (NULL, logged
 * with the element's name) rather than sent.
 *
 * Output form: attributes single-quoted; in text & < > (and CR, which a
 * parser would otherwise turn into LF) are escaped; in attribute values
 * & < ' " and tab, LF, CR become references, so values survive attribute
 * normalisation. An element gets xmlns='...' where its namespace differs
 * from its parent's; the top element omits it for PV_NS_STANZA, the stream's
 * default. Namespaced attributes (other than xml:*) get a generated prefix
 * declared on the same element.
 *
 * Fan-out (pv_prepare / pv_send_prepared): a room message goes to every
 * occupant with only `to` changing. It is serialized once, split around the
 * value of `to`: prefix "<message to='", suffix "' from=...>...</message>",
 * and its metrics kind is found once. pv_send_prepared checks and escapes
 * the recipient on each call (into a stack buffer when it needs escaping);
 * a recipient made once with pv_recipient_new (muc-core: at the join) is
 * checked and escaped already, so pv_send_prepared_to writes the three
 * parts with output_writev() and nothing else per copy. Many kept
 * recipients at once: fanout.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <palaver/log.h>
#include <palaver/router.h>
#include <palaver/xml.h>

#include "metrics.h"
#include "output.h"
#include "prepared.h"
#include "textbuf.h"

#define MAX_SERIALIZE_DEPTH 1000

bool pv_xml_text_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    if (!s)
        return len == 0;
    while (p < end) {
        unsigned c = *p;
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                return false;
            p++;
            continue;
        }
        uint32_t cp;
        size_t n;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false; /* continuation byte, overlong lead C0/C1, or > U+10FFFF */
        }
        if ((size_t)(end - p) <= n)
            return false;
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false; /* overlong or out of range */
        if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
            return false;
        p += n + 1;
    }
    return true;
}

/* Decodes one code point of valid UTF-8 (checked by the caller). */
static uint32_t utf8_next(const unsigned char **pp)
{
    const unsigned char *p = *pp;
    uint32_t c = p[0];
    size_t n = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    if (n)
        c &= 0x3F >> n;
    for (size_t i = 1; i <= n; i++)
        c = (c << 6) | (p[i] & 0x3F);
    *pp = p + n + 1;
    return c;
}

/* XML 1.0 (fifth edition) NameStartChar, without ':' (we write no prefixes
 * of our own choosing except xml:). */
static bool name_start_char(uint32_t c)
{
    return (c >= 'A' && c <= 'Z') || c == '_' || (c >= 'a' && c <= 'z') ||
           (c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xF6) || (c >= 0xF8 && c <= 0x2FF) ||
           (c >= 0x370 && c <= 0x37D) || (c >= 0x37F && c <= 0x1FFF) ||
           (c >= 0x200C && c <= 0x200D) || (c >= 0x2070 && c <= 0x218F) ||
           (c >= 0x2C00 && c <= 0x2FEF) || (c >= 0x3001 && c <= 0xD7FF) ||
           (c >= 0xF900 && c <= 0xFDCF) || (c >= 0xFDF0 && c <= 0xFFFD) ||
           (c >= 0x10000 && c <= 0xEFFFF);
}

static bool name_char(uint32_t c)
{
    return name_start_char(c) || c == '-' || c == '.' || (c >= '0' && c <= '9') || c == 0xB7 ||
           (c >= 0x300 && c <= 0x36F) || (c >= 0x203F && c <= 0x2040);
}

/* An XML Name we can write as is; ':' only where allow_colon (xml:lang),
 * and then not first. */
static bool name_valid(const char *s, bool allow_colon)
{
    if (!s || !*s)
        return false;
    if (!pv_xml_text_valid(s, strlen(s)))
        return false;
    const unsigned char *p = (const unsigned char *)s;
    if (!name_start_char(utf8_next(&p)))
        return false;
    while (*p) {
        uint32_t c = utf8_next(&p);
        if (!name_char(c) && !(c == ':' && allow_colon))
            return false;
    }
    return true;
}

/* Reference for a byte that must be escaped, or NULL when it is safe. */
static const char *text_ref(unsigned char c)
{
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '\r':
        return "&#13;";
    default:
        return NULL;
    }
}

static const char *attr_ref(unsigned char c)
{
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '\'':
        return "&apos;";
    case '"':
        return "&quot;";
    case '\t':
        return "&#9;";
    case '\n':
        return "&#10;";
    case '\r':
        return "&#13;";
    default:
        return NULL;
    }
}

/* Copies runs of safe bytes in one memcpy each. */
static void put_escaped(textbuf_t *b, const char *s, size_t n, const char *(*ref)(unsigned char))
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *r = ref((unsigned char)s[i]);
        if (!r)
            continue;
        textbuf_put(b, s + run, i - run);
        textbuf_puts(b, r);
        run = i + 1;
    }
    textbuf_put(b, s + run, n - run);
}

/* ---- the tree walk ---- */

typedef struct ser {
    textbuf_t out;
    bool slot;       /* fan-out: leave a slot for the top element's `to` */
    size_t slot_off; /* where the value of `to` goes */
} ser_t;

/* Printable ASCII copy of a name for logs (other bytes as \xNN). */
static const char *log_name(const char *name, char *buf, size_t size)
{
    size_t o = 0;
    if (!name)
        return "(no name)";
    for (const unsigned char *p = (const unsigned char *)name; *p && o + 5 < size; p++) {
        if (*p >= 0x21 && *p < 0x7F && *p != '\\')
            buf[o++] = (char)*p;
        else
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", *p);
    }
    buf[o] = '\0';
    return buf;
}

/* Logs why a tree is refused, naming the element concerned. Returns -1. */
static int refuse(const pv_el_t *el, const pv_el_t *parent, const char *what)
{
    char nb[96];
    if (el && el->kind == PV_EL_ELEMENT)
        pv_log(PV_LOG_ERROR, "core", "refusing to serialize <%s/>: %s is not valid XML 1.0",
               log_name(el->name, nb, sizeof nb), what);
    else if (parent)
        pv_log(PV_LOG_ERROR, "core", "refusing to serialize <%s/>: %s is not valid XML 1.0",
               log_name(parent->name, nb, sizeof nb), what);
    else
        pv_log(PV_LOG_ERROR, "core", "refusing to serialize a stanza: %s is not valid XML 1.0",
               what);
    return -1;
}

static int put_attr(ser_t *s, const pv_el_t *el, const pv_attr_t *a)
{
    const char *value = a->value ? a->value : "";
    size_t vlen = strlen(value);
    bool xml_ns = a->ns && strcmp(a->ns, PV_NS_XML) == 0;
    if (!name_valid(a->name, xml_ns))
        return refuse(el, NULL, "an attribute name");
    if (!pv_xml_text_valid(value, vlen))
        return refuse(el, NULL, "the value of an attribute");
    textbuf_puts(&s->out, " ");
    if (!a->ns) {
        textbuf_puts(&s->out, a->name);
    } else if (xml_ns) {
        const char *local = strncmp(a->name, "xml:", 4) == 0 ? a->name + 4 : a->name;
        if (!name_valid(local, false))
            return refuse(el, NULL, "an xml: attribute name");
        textbuf_puts(&s->out, "xml:");
        textbuf_puts(&s->out, local);
    } else {
        if (strchr(a->name, ':'))
            return refuse(el, NULL, "a namespaced attribute name");
        if (!pv_xml_text_valid(a->ns, strlen(a->ns)))
            return refuse(el, NULL, "an attribute namespace");
        /* Same namespace as an earlier attribute of this element: same prefix. */
        unsigned idx = 0;
        bool declared = false;
        for (const pv_attr_t *p = el->attrs; p != a; p = p->next) {
            if (!p->ns || strcmp(p->ns, PV_NS_XML) == 0)
                continue;
            bool seen_before = false;
            for (const pv_attr_t *q = el->attrs; q != p; q = q->next)
                if (q->ns && strcmp(q->ns, p->ns) == 0)
                    seen_before = true;
            if (seen_before)
                continue;
            if (strcmp(p->ns, a->ns) == 0) {
                declared = true;
                break;
            }
            idx++;
        }
        char prefix[16];
        int plen = snprintf(prefix, sizeof prefix, "a%u", idx);
        if (!declared) {
            textbuf_puts(&s->out, "xmlns:");
            textbuf_put(&s->out, prefix, (size_t)plen);
            textbuf_puts(&s->out, "='");
            put_escaped(&s->out, a->ns, strlen(a->ns), attr_ref);
            textbuf_puts(&s->out, "' ");
        }
        textbuf_put(&s->out, prefix, (size_t)plen);
        textbuf_puts(&s->out, ":");
        textbuf_puts(&s->out, a->name);
    }
    textbuf_puts(&s->out, "='");
    put_escaped(&s->out, value, vlen, attr_ref);
    textbuf_puts(&s->out, "'");
    return 0;
}

static int put_el(ser_t *s, const pv_el_t *el, const pv_el_t *parent, unsigned depth)
{
    if (el->kind == PV_EL_TEXT) {
        const char *t = el->text ? el->text : "";
        if (!pv_xml_text_valid(t, el->text_len))
            return refuse(NULL, parent, "its text");
        put_escaped(&s->out, t, el->text_len, text_ref);
        return 0;
    }
    if (depth > MAX_SERIALIZE_DEPTH)
        return refuse(el, parent, "the nesting depth");
    if (!name_valid(el->name, false))
        return refuse(el, parent, "the element name");
    const char *ns = el->ns ? el->ns : (parent ? parent->ns : PV_NS_STANZA);
    const char *parent_ns = parent ? (parent->ns ? parent->ns : PV_NS_STANZA) : PV_NS_STANZA;
    if (!ns)
        ns = PV_NS_STANZA;
    if (!pv_xml_text_valid(ns, strlen(ns)))
        return refuse(el, parent, "the namespace");
    textbuf_puts(&s->out, "<");
    textbuf_puts(&s->out, el->name);
    if (ns != parent_ns && strcmp(ns, parent_ns) != 0) {
        textbuf_puts(&s->out, " xmlns='");
        put_escaped(&s->out, ns, strlen(ns), attr_ref);
        textbuf_puts(&s->out, "'");
    }
    bool top_slot = s->slot && depth == 0;
    if (top_slot) {
        textbuf_puts(&s->out, " to='");
        s->slot_off = s->out.len;
        textbuf_puts(&s->out, "'");
    }
    for (const pv_attr_t *a = el->attrs; a; a = a->next) {
        if (top_slot && !a->ns && strcmp(a->name, "to") == 0)
            continue;
        if (put_attr(s, el, a) < 0)
            return -1;
    }
    if (!el->children) {
        textbuf_puts(&s->out, "/>");
        return 0;
    }
    textbuf_puts(&s->out, ">");
    /* Children compare against this element's effective namespace. */
    pv_el_t self = *el;
    self.ns = ns;
    for (const pv_el_t *c = el->children; c; c = c->next)
        if (put_el(s, c, &self, depth + 1) < 0)
            return -1;
    textbuf_puts(&s->out, "</");
    textbuf_puts(&s->out, el->name);
    textbuf_puts(&s->out, ">");
    return 0;
}

/* Runs the walk; returns the NUL-terminated buffer (caller frees) or NULL. */
static char *serialize(ser_t *s, const pv_el_t *el, size_t *len)
{
    if (!el) {
        pv_log(PV_LOG_ERROR, "core", "refusing to serialize a NULL stanza");
        return NULL;
    }
    if (put_el(s, el, NULL, 0) < 0) {
        free(s->out.buf);
        return NULL;
    }
    size_t n = s->out.len;
    /* A prepared stanza has its prefix again after it (prepared.h). */
    if (s->slot && textbuf_reserve(&s->out, s->slot_off)) {
        memcpy(s->out.buf + n, s->out.buf, s->slot_off);
        s->out.len += s->slot_off;
    }
    textbuf_put(&s->out, "", 1);
    if (s->out.failed) {
        pv_log(PV_LOG_ERROR, "core", "out of memory serializing <%s/>",
               el->name ? el->name : "#text");
        free(s->out.buf);
        return NULL;
    }
    if (len)
        *len = n;
    return s->out.buf;
}

char *pv_el_serialize(const pv_el_t *el, size_t *len)
{
    ser_t s = {0};
    return serialize(&s, el, len);
}

/* ---- fan-out ---- */

/* struct pv_prepared and struct pv_recipient: prepared.h */

pv_prepared_t *pv_prepare(const pv_el_t *stanza)
{
    if (!stanza || stanza->kind != PV_EL_ELEMENT) {
        pv_log(PV_LOG_ERROR, "core", "pv_prepare: not an element");
        return NULL;
    }
    pv_prepared_t *p = malloc(sizeof *p);
    if (!p) {
        pv_log(PV_LOG_ERROR, "core", "out of memory preparing <%s/>", stanza->name);
        return NULL;
    }
    ser_t s = {.slot = true};
    p->buf = serialize(&s, stanza, &p->len);
    if (!p->buf) {
        free(p);
        return NULL;
    }
    p->slot = s.slot_off; /* and the prefix again at buf + len (serialize) */
    /* The serialization starts "<" + the element's name, which has no
     * prefix (name_valid refuses ':'): the kind metrics_stanza_out would
     * read from it. */
    p->kind = metrics_kind(stanza->name);
    snprintf(p->name, sizeof p->name, "%s", stanza->name);
    return p;
}

/* The length of `to` (tolen bytes) escaped as an attribute value. */
static size_t escaped_len(const char *to, size_t tolen)
{
    size_t n = 0;
    for (size_t i = 0; i < tolen; i++) {
        const char *r = attr_ref((unsigned char)to[i]);
        n += r ? strlen(r) : 1;
    }
    return n;
}

/* Writes `to` escaped into esc (escaped_len bytes). */
static void escape_into(char *esc, const char *to, size_t tolen)
{
    size_t off = 0;
    for (size_t i = 0; i < tolen; i++) {
        const char *r = attr_ref((unsigned char)to[i]);
        if (r) {
            size_t rl = strlen(r);
            memcpy(esc + off, r, rl);
            off += rl;
        } else {
            esc[off++] = to[i];
        }
    }
}

/* Queues prefix, the escaped recipient (esc, esc_len) and suffix as one
 * stanza; `to` names the recipient in the log. */
static int send_copy(const pv_prepared_t *p, const char *esc, size_t esc_len, const char *to)
{
    const char *parts[3] = {p->buf, esc, p->buf + p->slot};
    size_t lens[3] = {p->slot, esc_len, p->len - p->slot};
    if (output_writev(parts, lens, 3, p->kind) < 0) {
        pv_log(PV_LOG_DEBUG, "core",
               "output refused <%s/> to %s (disconnected or over the high-water mark)", p->name,
               to);
        return -1;
    }
    return 0;
}

int pv_send_prepared(const pv_prepared_t *p, const char *to)
{
    if (!p || !to) {
        pv_log(PV_LOG_ERROR, "core", "pv_send_prepared: %s", p ? "no recipient" : "no stanza");
        return -1;
    }
    /* The common recipient, printable ASCII with nothing to escape, goes
     * as it is: one pass, no copy. */
    size_t tolen = 0;
    for (unsigned char c; (c = (unsigned char)to[tolen]) >= 0x20 && c < 0x7f && c != '&' &&
                          c != '<' && c != '\'' && c != '"';)
        tolen++;
    if (tolen && !to[tolen])
        return send_copy(p, to, tolen, to);
    tolen += strlen(to + tolen);
    if (tolen == 0 || !pv_xml_text_valid(to, tolen)) {
        pv_log(PV_LOG_ERROR, "core", "refusing to send <%s/>: the recipient is not valid XML 1.0",
               p->name);
        return -1;
    }
    size_t esc_len = escaped_len(to, tolen);
    char stackbuf[1024];
    char *esc = esc_len <= sizeof stackbuf ? stackbuf : malloc(esc_len);
    if (!esc) {
        pv_log(PV_LOG_ERROR, "core", "out of memory sending <%s/> to %s", p->name, to);
        return -1;
    }
    escape_into(esc, to, tolen);
    int rc = send_copy(p, esc, esc_len, to);
    if (esc != stackbuf)
        free(esc);
    return rc;
}

pv_recipient_t *pv_recipient_new(const char *to)
{
    size_t tolen = to ? strlen(to) : 0;
    if (tolen == 0 || !pv_xml_text_valid(to, tolen)) {
        pv_log(PV_LOG_ERROR, "core", "refusing a recipient: %s",
               to ? "it is not valid XML 1.0" : "none given");
        return NULL;
    }
    size_t esc_len = escaped_len(to, tolen);
    pv_recipient_t *r = malloc(sizeof *r + esc_len + 1 + tolen + 1);
    if (!r) {
        pv_log(PV_LOG_ERROR, "core", "out of memory keeping the recipient %s", to);
        return NULL;
    }
    escape_into(r->esc, to, tolen);
    r->esc[esc_len] = '\0';
    r->len = esc_len;
    r->jid = memcpy(r->esc + esc_len + 1, to, tolen + 1);
    return r;
}

void pv_recipient_free(pv_recipient_t *r)
{
    free(r);
}

int pv_send_prepared_to(const pv_prepared_t *p, const pv_recipient_t *to)
{
    if (!p || !to) {
        pv_log(PV_LOG_ERROR, "core", "pv_send_prepared_to: %s", p ? "no recipient" : "no stanza");
        return -1;
    }
    return send_copy(p, to->esc, to->len, to->esc);
}

void pv_prepared_free(pv_prepared_t *p)
{
    if (!p)
        return;
    free(p->buf);
    free(p);
}
