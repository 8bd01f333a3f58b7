/*
 * core/xmlstream.c: the hostile-input-safe XML reader (libxml2 push parser).
 *
 * The component stream is one endless XML document written by a server we
 * do not fully trust (it relays what clients send). libxml2 2.9.14 is safe
 * only when used narrowly, so (see STYLE.md, "XML safety"):
 *   - the SAX2 handler is built from zero: element, text and error handlers,
 *     and refusers for everything DTD-related, comments (stream only) and
 *     processing instructions; the default SAX2 handlers, which resolve
 *     external entities, are never installed;
 *   - user data is our own struct, never the parser context (libxml2 falls
 *     back to its own entity lookup when they are equal);
 *   - options are NOENT | NONET (no entity can be declared, so NOENT only
 *     makes character references in attributes decode exactly once) plus
 *     IGNORE_ENC (XMPP is UTF-8; an encoding declaration must not switch the
 *     decoder); never HUGE;
 *   - depth, attributes per element, text per node and bytes per stanza are
 *     counted here, since 2.9.14 does not bound them for SAX2 push parsing.
 *
 * Bytes per stanza: xs_feed hands libxml2 at most FEED_PIECE bytes at a time
 * and adds each piece to a counter that is reset after a piece in which a
 * stanza ended (depth back to 1). The counter therefore bounds the bytes of
 * one stanza to max_stanza_bytes + FEED_PIECE, checked before libxml2 sees
 * them, so a huge stanza is refused without being buffered.
 *
 * libxml2 keeps every name it has seen in a dictionary that slows down as
 * it grows; a context whose dictionary is large is replaced between stanzas
 * (see do_recycle), so element line numbers in stream mode restart then
 * (they only matter for documents).
 *
 * After the first error the parser is dead: libxml2 is stopped, the error
 * callback has run once (after xmlParseChunk returned), every later xs_feed
 * returns -1 at once.
 *
 * The same machinery parses whole documents (the config file, stored
 * stanzas) with comments dropped instead of refused.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include <palaver/log.h>
#include <palaver/xml.h>

#include "arena.h"
#include "xmlstream.h"

#define FEED_PIECE 4096

typedef enum {
    MODE_STREAM,   /* <stream:stream> and its stanzas */
    MODE_DOCUMENT, /* config file: elements without a namespace get "" */
    MODE_ELEMENT,  /* pv_el_parse: elements without a namespace get PV_NS_STANZA */
} xs_mode_t;

struct xs_parser {
    xmlParserCtxtPtr ctxt;
    xs_mode_t mode;
    xs_limits_t lim;
    xs_callbacks_t cb;
    void *ud;

    unsigned depth;     /* open elements, the stream root included */
    size_t piece_bytes; /* bytes fed since the last stanza ended (see top) */
    bool stanza_ended;  /* a stanza ended during the current piece */
    bool closed;        /* </stream:stream> or the document's end seen */
    bool recycling;     /* replaying the stream header into a new context */
    char *header;       /* "<stream:stream xmlns...>" to replay (malloc'd) */
    size_t header_len;
    char *carry; /* unparsed bytes moving to a fresh context (malloc'd) */
    size_t carry_len;

    pv_el_t *root; /* stanza (stream) or document root being built */
    pv_el_t *cur;  /* innermost open element of root */

    char *text; /* pending character data (malloc'd, reused) */
    size_t text_len, text_cap;

    bool failed;           /* an error was recorded; libxml2 is stopped */
    bool reported;         /* the error callback ran */
    const char *condition; /* stream error condition (static string) */
    char message[256];
    unsigned err_line;
};

void xs_limits_default(xs_limits_t *lim)
{
    lim->max_stanza_bytes = 256 * 1024;
    lim->max_depth = 32;
    lim->max_attrs = 64;
    lim->max_text = lim->max_stanza_bytes;
}

static unsigned current_line(const xs_parser_t *p)
{
    if (p->ctxt && p->ctxt->input && p->ctxt->input->line > 0)
        return (unsigned)p->ctxt->input->line;
    return 0;
}

/* Records the first error and stops libxml2. The callback runs later, from
 * xs_feed, once libxml2 has returned. */
static void fail(xs_parser_t *p, const char *condition, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(xs_parser_t *p, const char *condition, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    p->condition = condition;
    p->err_line = current_line(p);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->message, sizeof p->message, fmt, ap);
    va_end(ap);
    if (p->ctxt)
        xmlStopParser(p->ctxt);
}

static void plan_recycle(xs_parser_t *p);

/* ---- building the tree ---- */

static bool is_stanza_ns(const char *uri)
{
    return uri && (strcmp(uri, PV_NS_CLIENT) == 0 || strcmp(uri, PV_NS_STANZA) == 0);
}

static const char *element_ns(const xs_parser_t *p, const char *uri)
{
    if (is_stanza_ns(uri))
        return PV_NS_STANZA;
    if (!uri)
        return p->mode == MODE_DOCUMENT ? "" : (p->mode == MODE_ELEMENT ? PV_NS_STANZA : "");
    return uri;
}

static int flush_text(xs_parser_t *p)
{
    if (p->text_len == 0)
        return 0;
    size_t len = p->text_len;
    p->text_len = 0;
    if (!p->cur)
        return 0; /* white space between stanzas (keepalives) */
    /* libxml2 2.9.14 lets overlong UTF-8 through in CDATA sections. */
    if (!pv_xml_text_valid(p->text, len)) {
        fail(p, "not-well-formed", "invalid UTF-8 in the text of <%s/>", p->cur->name);
        return -1;
    }
    if (pv_el_add_text(p->cur, p->text, len) < 0) {
        fail(p, "internal-server-error", "out of memory storing text");
        return -1;
    }
    return 0;
}

static int add_attrs(xs_parser_t *p, pv_el_t *el, int nb, const xmlChar **attrs)
{
    pv_arena_t *a = el->arena;
    pv_attr_t **tail = &el->attrs;
    for (int i = 0; i < nb; i++) {
        const char *local = (const char *)attrs[i * 5];
        const char *prefix = (const char *)attrs[i * 5 + 1];
        const char *uri = (const char *)attrs[i * 5 + 2];
        const char *vstart = (const char *)attrs[i * 5 + 3];
        const char *vend = (const char *)attrs[i * 5 + 4];
        size_t vlen = (size_t)(vend - vstart);
        if (vlen > p->lim.max_text) {
            fail(p, "policy-violation", "attribute %s of <%s/> exceeds %zu bytes", local, el->name,
                 p->lim.max_text);
            return -1;
        }
        if (!pv_xml_text_valid(vstart, vlen)) {
            fail(p, "not-well-formed", "invalid UTF-8 in attribute %s of <%s/>", local, el->name);
            return -1;
        }
        pv_attr_t *at = arena_alloc(a, sizeof *at);
        if (!at)
            goto oom;
        if (uri && strcmp(uri, PV_NS_XML) == 0) {
            size_t ll = strlen(local);
            char *n = arena_alloc(a, ll + 5);
            if (!n)
                goto oom;
            memcpy(n, "xml:", 4);
            memcpy(n + 4, local, ll + 1);
            at->name = n;
            at->ns = PV_NS_XML;
        } else {
            at->name = arena_strdup(a, local);
            at->ns = uri ? arena_strdup(a, uri) : NULL;
            if (uri && !at->ns)
                goto oom;
        }
        at->value = arena_strndup(a, vstart, vlen);
        if (!at->name || !at->value)
            goto oom;
        (void)prefix;
        *tail = at;
        tail = &at->next;
    }
    return 0;
oom:
    fail(p, "internal-server-error", "out of memory storing attributes of <%s/>", el->name);
    return -1;
}

/* Keeps the namespace declarations of the stream header, to replay them
 * into a fresh libxml2 context (do_recycle). */
static int record_header(xs_parser_t *p, const char *prefix, int nb, const xmlChar **ns)
{
    size_t cap = 32 + (prefix ? strlen(prefix) : 0);
    for (int i = 0; i < nb; i++)
        cap += 16 + (ns[2 * i] ? strlen((const char *)ns[2 * i]) : 0) +
               6 * strlen((const char *)ns[2 * i + 1]);
    char *h = malloc(cap);
    if (!h) {
        fail(p, "internal-server-error", "out of memory reading the stream header");
        return -1;
    }
    size_t o = (size_t)snprintf(h, cap, "<%s%sstream", prefix ? prefix : "", prefix ? ":" : "");
    for (int i = 0; i < nb; i++) {
        const char *pfx = (const char *)ns[2 * i], *uri = (const char *)ns[2 * i + 1];
        o += (size_t)snprintf(h + o, cap - o, " xmlns%s%s='", pfx ? ":" : "", pfx ? pfx : "");
        for (const char *c = uri; *c; c++) {
            const char *r = *c == '&' ? "&amp;" : *c == '<' ? "&lt;" : *c == '\'' ? "&apos;" : NULL;
            if (r)
                o += (size_t)snprintf(h + o, cap - o, "%s", r);
            else
                h[o++] = *c;
        }
        h[o++] = '\'';
    }
    h[o++] = '>';
    free(p->header);
    p->header = h;
    p->header_len = o;
    return 0;
}

static void on_start(void *ud, const xmlChar *localname, const xmlChar *prefix, const xmlChar *URI,
                     int nb_namespaces, const xmlChar **namespaces, int nb_attributes,
                     int nb_defaulted, const xmlChar **attributes)
{
    xs_parser_t *p = ud;
    const char *name = (const char *)localname, *uri = (const char *)URI;
    if (p->failed || flush_text(p) < 0)
        return;
    p->depth++;
    unsigned inner = p->mode == MODE_STREAM ? p->depth - 1 : p->depth;
    if (inner > p->lim.max_depth) {
        fail(p, "policy-violation", "elements nested deeper than %u", p->lim.max_depth);
        return;
    }
    if ((unsigned)nb_attributes > p->lim.max_attrs) {
        fail(p, "policy-violation", "<%s/> has more than %u attributes", name, p->lim.max_attrs);
        return;
    }
    if (p->mode == MODE_STREAM && p->depth == 1) {
        if (strcmp(name, "stream") != 0 || !uri || strcmp(uri, PV_NS_STREAMS) != 0) {
            fail(p, "invalid-namespace", "the stream root must be <stream:stream> in %s",
                 PV_NS_STREAMS);
            return;
        }
        if (p->recycling)
            return; /* our own replay of the header (see do_recycle) */
        if (record_header(p, (const char *)prefix, nb_namespaces, namespaces) < 0)
            return;
        pv_el_t *hdr = pv_el_new(PV_NS_STREAMS, "stream");
        if (!hdr || add_attrs(p, hdr, nb_attributes, attributes) < 0) {
            pv_el_free(hdr);
            fail(p, "internal-server-error", "out of memory reading the stream header");
            return;
        }
        p->stanza_ended = true;
        if (p->cb.open)
            p->cb.open(p->ud, hdr);
        pv_el_free(hdr);
        return;
    }
    const char *ns = element_ns(p, uri);
    pv_el_t *el = p->cur ? pv_el_add(p->cur, ns, name) : pv_el_new(ns, name);
    if (!el) {
        fail(p, "internal-server-error", "out of memory building <%s/>", name);
        return;
    }
    if (!p->cur)
        p->root = el;
    p->cur = el;
    el->line = current_line(p);
    add_attrs(p, el, nb_attributes, attributes);
}

static void on_end(void *ud, const xmlChar *localname, const xmlChar *prefix, const xmlChar *URI)
{
    xs_parser_t *p = ud;
    if (p->failed || flush_text(p) < 0)
        return;
    if (p->depth == 0)
        return;
    p->depth--;
    if (p->mode == MODE_STREAM && p->depth == 0) {
        p->closed = true;
        if (p->cb.close)
            p->cb.close(p->ud);
        return;
    }
    if (!p->cur)
        return;
    p->cur = p->cur->parent;
    if (p->cur)
        return;
    if (p->mode == MODE_STREAM) {
        pv_el_t *stanza = p->root;
        p->root = NULL;
        p->stanza_ended = true;
        if (p->cb.stanza)
            p->cb.stanza(p->ud, stanza);
        else
            pv_el_free(stanza);
        plan_recycle(p);
    } else {
        p->closed = true; /* the document's root: p->root is the result */
    }
}

static void on_characters(void *ud, const xmlChar *ch, int len)
{
    xs_parser_t *p = ud;
    if (p->failed || len <= 0)
        return;
    size_t n = (size_t)len;
    if (!p->cur) {
        /* Between stanzas: only white space is expected; keep nothing. */
        return;
    }
    if (n > p->lim.max_text || p->text_len > p->lim.max_text - n) {
        fail(p, "policy-violation", "text in <%s/> exceeds %zu bytes", p->cur->name,
             p->lim.max_text);
        return;
    }
    if (p->text_cap - p->text_len < n) {
        size_t cap = p->text_cap ? p->text_cap : 256;
        while (cap - p->text_len < n)
            cap *= 2;
        char *t = realloc(p->text, cap);
        if (!t) {
            fail(p, "internal-server-error", "out of memory storing text");
            return;
        }
        p->text = t;
        p->text_cap = cap;
    }
    memcpy(p->text + p->text_len, ch, n);
    p->text_len += n;
}

/* ---- refusers ---- */

static void refuse_subset(void *ud, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
    fail(ud, "restricted-xml", "DOCTYPE is not allowed");
}

static void refuse_entity_decl(void *ud, const xmlChar *name, int type, const xmlChar *pub,
                               const xmlChar *sys, xmlChar *content)
{
    fail(ud, "restricted-xml", "entity declarations are not allowed");
}

static xmlEntityPtr refuse_get_entity(void *ud, const xmlChar *name)
{
    fail(ud, "restricted-xml", "entity reference &%s; is not allowed", (const char *)name);
    return NULL;
}

static void refuse_reference(void *ud, const xmlChar *name)
{
    fail(ud, "restricted-xml", "entity reference &%s; is not allowed", (const char *)name);
}

static void on_comment(void *ud, const xmlChar *value)
{
    xs_parser_t *p = ud;
    if (p->mode == MODE_STREAM)
        fail(p, "restricted-xml", "comments are not allowed in the stream");
    /* Documents: dropped; text around it keeps accumulating into one node. */
}

static void refuse_pi(void *ud, const xmlChar *target, const xmlChar *data)
{
    fail(ud, "restricted-xml", "processing instruction <?%s?> is not allowed",
         (const char *)target);
}

static bool restricted_code(int code)
{
    switch (code) {
    case XML_ERR_ENTITYREF_AT_EOF:
    case XML_ERR_ENTITYREF_IN_PROLOG:
    case XML_ERR_ENTITYREF_IN_EPILOG:
    case XML_ERR_ENTITYREF_IN_DTD:
    case XML_ERR_PEREF_AT_EOF:
    case XML_ERR_PEREF_IN_PROLOG:
    case XML_ERR_PEREF_IN_EPILOG:
    case XML_ERR_PEREF_IN_INT_SUBSET:
    case XML_ERR_UNDECLARED_ENTITY:
    case XML_WAR_UNDECLARED_ENTITY:
    case XML_ERR_ENTITY_IS_EXTERNAL:
    case XML_ERR_ENTITY_IS_PARAMETER:
    case XML_ERR_ENTITY_LOOP:
    case XML_ERR_ENTITY_PE_INTERNAL:
    case XML_ERR_ENTITY_PROCESSING:
        return true;
    default:
        return false;
    }
}

/* Structured errors: quiet (nothing printed by libxml2). */
static void on_error(void *ud, xmlErrorPtr err)
{
    xs_parser_t *p = ud;
    if (!p || !err || p->failed || err->code == XML_ERR_USER_STOP)
        return;
    if (p->closed && p->mode == MODE_STREAM)
        return; /* whatever follows </stream:stream> is ignored */
    bool restricted = restricted_code(err->code);
    if (err->level == XML_ERR_WARNING && !restricted)
        return;
    char msg[200];
    snprintf(msg, sizeof msg, "%s", err->message ? err->message : "XML error");
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    fail(p, restricted ? "restricted-xml" : "not-well-formed", "%s", msg);
    if (err->line > 0)
        p->err_line = (unsigned)err->line;
}

/* ---- parser life cycle ---- */

/* A libxml2 push context with our handlers, user data p (never the
 * context itself: see the top of the file). NULL on failure (logged). */
static xmlParserCtxtPtr new_context(xs_parser_t *p)
{
    xmlSAXHandler sax;
    memset(&sax, 0, sizeof sax);
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = on_start;
    sax.endElementNs = on_end;
    sax.characters = on_characters;
    sax.cdataBlock = on_characters;
    sax.serror = on_error;
    sax.internalSubset = refuse_subset;
    sax.externalSubset = refuse_subset;
    sax.entityDecl = refuse_entity_decl;
    sax.getEntity = refuse_get_entity;
    sax.getParameterEntity = refuse_get_entity;
    sax.reference = refuse_reference;
    sax.comment = on_comment;
    sax.processingInstruction = refuse_pi;

    xmlInitParser();
    xmlParserCtxtPtr ctxt = xmlCreatePushParserCtxt(&sax, p, NULL, 0, NULL);
    if (!ctxt) {
        pv_log(PV_LOG_ERROR, "core", "cannot create a libxml2 push parser");
        return NULL;
    }
    xmlCtxtUseOptions(ctxt, XML_PARSE_NOENT | XML_PARSE_NONET | XML_PARSE_IGNORE_ENC);
    return ctxt;
}

static xs_parser_t *parser_new(xs_mode_t mode, const xs_limits_t *lim, const xs_callbacks_t *cb,
                               void *ud)
{
    xs_parser_t *p = calloc(1, sizeof *p);
    if (!p) {
        pv_log(PV_LOG_ERROR, "core", "out of memory creating an XML parser");
        return NULL;
    }
    p->mode = mode;
    if (lim)
        p->lim = *lim;
    else
        xs_limits_default(&p->lim);
    if (cb)
        p->cb = *cb;
    p->ud = ud;

    p->ctxt = new_context(p);
    if (!p->ctxt) {
        free(p);
        return NULL;
    }
    return p;
}

xs_parser_t *xs_new(const xs_limits_t *lim, const xs_callbacks_t *cb, void *ud)
{
    return parser_new(MODE_STREAM, lim, cb, ud);
}

void xs_free(xs_parser_t *p)
{
    if (!p)
        return;
    if (p->ctxt)
        xmlFreeParserCtxt(p->ctxt);
    pv_el_free(p->root);
    free(p->text);
    free(p->header);
    free(p->carry);
    free(p);
}

/* Runs the error callback once, after libxml2 has returned. */
static int report(xs_parser_t *p)
{
    if (!p->reported) {
        p->reported = true;
        if (p->cb.error)
            p->cb.error(p->ud, p->condition, p->message);
    }
    return -1;
}

/*
 * libxml2 interns every element and attribute name in a dictionary that
 * lives as long as the context, and its lookups slow down sharply as it
 * grows (measured: 2 M stanzas with ever new names took 90 s and 130 MB,
 * then the dictionary limit killed the stream). A peer relaying such
 * stanzas from clients could stall the loop. So when a stanza ends and the
 * dictionary is large, the context is replaced: the bytes libxml2 has not
 * parsed yet (they follow the stanza's end tag, at a token boundary) are
 * kept, libxml2 is stopped, and after it returns a fresh context gets the
 * recorded stream header (replayed silently) and then those bytes. Only
 * done while no decoder is in use, so that the kept bytes are raw input.
 */
#define DICT_RECYCLE 20000

/* Called at the end of a stanza, inside libxml2. */
static void plan_recycle(xs_parser_t *p)
{
    xmlParserCtxtPtr c = p->ctxt;
    if (p->failed || !p->header || xmlDictSize(c->dict) < DICT_RECYCLE)
        return;
    if (!c->input || !c->input->buf || c->input->buf->encoder || c->inputNr != 1)
        return;
    size_t rest = (size_t)(c->input->end - c->input->cur);
    char *carry = malloc(rest ? rest : 1);
    if (!carry)
        return; /* keep the old context; try again at the next stanza */
    memcpy(carry, c->input->cur, rest);
    p->carry = carry;
    p->carry_len = rest;
    xmlStopParser(c);
}

/* Called after xmlParseChunk returned: swaps in a fresh context. */
static int do_recycle(xs_parser_t *p)
{
    while (p->carry && !p->failed) {
        char *carry = p->carry;
        size_t len = p->carry_len;
        p->carry = NULL;
        xmlParserCtxtPtr fresh = new_context(p);
        if (!fresh) {
            free(carry);
            fail(p, "internal-server-error", "cannot renew the XML parser");
            break;
        }
        xmlFreeParserCtxt(p->ctxt);
        p->ctxt = fresh;
        p->depth = 0;
        p->recycling = true;
        int rc = xmlParseChunk(fresh, p->header, (int)p->header_len, 0);
        p->recycling = false;
        if (!p->failed && (rc != 0 || p->depth != 1))
            fail(p, "internal-server-error", "cannot renew the XML parser");
        if (!p->failed && len) {
            rc = xmlParseChunk(fresh, carry, (int)len, 0);
            if (!p->failed && !p->carry && rc != 0)
                fail(p, "not-well-formed", "XML error %d", rc);
        }
        free(carry);
    }
    return p->failed ? -1 : 0;
}

/* Feeds one piece to libxml2, enforcing the per-stanza byte limit first. */
static int feed_piece(xs_parser_t *p, const char *data, size_t n, int terminate)
{
    if (n > 0) {
        p->piece_bytes += n;
        if (p->piece_bytes > p->lim.max_stanza_bytes) {
            fail(p, "policy-violation", "stanza exceeds %zu bytes", p->lim.max_stanza_bytes);
            return -1;
        }
    }
    p->stanza_ended = false;
    int rc = xmlParseChunk(p->ctxt, data, (int)n, terminate);
    if (p->failed)
        return -1;
    if (p->carry) {
        if (do_recycle(p) < 0)
            return -1;
        rc = 0;
    }
    if (rc != 0 || (p->ctxt->wellFormed == 0 && !p->closed)) {
        fail(p, "not-well-formed", "XML error %d", rc);
        return -1;
    }
    if (p->stanza_ended)
        p->piece_bytes = 0;
    return 0;
}

int xs_feed(xs_parser_t *p, const char *data, size_t len)
{
    if (!p)
        return -1;
    if (p->failed)
        return report(p);
    if (p->closed)
        return 0; /* nothing may follow </stream:stream>: ignored */
    if (!data && len)
        return -1;
    while (len > 0 && !p->closed) {
        size_t n = len < FEED_PIECE ? len : FEED_PIECE;
        if (feed_piece(p, data, n, 0) < 0)
            return report(p);
        data += n;
        len -= n;
    }
    return 0;
}

/* Shared by xs_parse_document and pv_el_parse. */
static pv_el_t *parse_whole(xs_mode_t mode, const char *buf, size_t len, const xs_limits_t *lim,
                            char *err, size_t errlen, unsigned *errline)
{
    if (errline)
        *errline = 0;
    if (err && errlen)
        err[0] = '\0';
    xs_parser_t *p = parser_new(mode, lim, NULL, NULL);
    if (!p) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!buf && len)
        fail(p, "bad-format", "no input");
    /* The whole document is one "stanza" for the byte limit. */
    while (!p->failed && len > 0) {
        size_t n = len < FEED_PIECE ? len : FEED_PIECE;
        if (feed_piece(p, buf, n, 0) < 0)
            break;
        buf += n;
        len -= n;
    }
    if (!p->failed)
        feed_piece(p, NULL, 0, 1);
    if (!p->failed && (!p->closed || !p->root))
        fail(p, "not-well-formed", "no complete root element");
    pv_el_t *root = NULL;
    if (p->failed) {
        if (err && errlen)
            snprintf(err, errlen, "%s", p->message);
        if (errline)
            *errline = p->err_line;
    } else {
        root = p->root;
        p->root = NULL;
    }
    xs_free(p);
    return root;
}

pv_el_t *xs_parse_document(const char *buf, size_t len, const xs_limits_t *lim, char *err,
                           size_t errlen, unsigned *errline)
{
    return parse_whole(MODE_DOCUMENT, buf, len, lim, err, errlen, errline);
}

pv_el_t *pv_el_parse(const char *xml, size_t len, char *err, size_t errlen)
{
    return parse_whole(MODE_ELEMENT, xml, len, NULL, err, errlen, NULL);
}
