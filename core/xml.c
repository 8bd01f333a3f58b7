/*
 * core/xml.c: the stanza tree (pv_el_t) that every plugin reads and builds.
 *
 * A tree lives in one arena owned by its root: nodes and strings are bump
 * allocated and die together in pv_el_free(). Editing never frees: a replaced
 * attribute value or an unlinked child stays in the arena until the root
 * goes, which is fine for short-lived stanzas. Copies between trees
 * (pv_el_copy_into, pv_el_clone) copy every string, so a copy never points
 * into another tree's arena.
 *
 * Namespaces are compared by URI with strcmp; the well-known constants of
 * palaver/xml.h may be stored as they are (static storage) instead of being
 * copied, since nobody frees strings one by one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <palaver/log.h>
#include <palaver/xml.h>

#include "arena.h"

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Known namespaces are stored as the static constant; others are copied. */
static const char *ns_known(const char *ns)
{
    static const char *const known[] = {
        PV_NS_STANZA,      PV_NS_CLIENT, PV_NS_STREAMS,
        PV_NS_STANZAS,     PV_NS_XML,    PV_NS_DISCO_INFO,
        PV_NS_DISCO_ITEMS, PV_NS_DATA,   "",
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(ns, known[i]) == 0)
            return known[i];
    return NULL;
}

static const char *ns_store(pv_arena_t *a, const char *ns, const char *inherit)
{
    if (inherit && str_eq(ns, inherit))
        return inherit;
    const char *k = ns_known(ns);
    return k ? k : arena_strdup(a, ns);
}

static pv_el_t *el_alloc(pv_arena_t *a, pv_el_kind_t kind)
{
    pv_el_t *el = arena_alloc(a, sizeof *el);
    if (!el)
        return NULL;
    el->kind = kind;
    el->arena = a;
    return el;
}

static void append_child(pv_el_t *parent, pv_el_t *child)
{
    child->parent = parent;
    child->next = NULL;
    if (parent->last_child)
        parent->last_child->next = child;
    else
        parent->children = child;
    parent->last_child = child;
}

pv_el_t *pv_el_new(const char *ns, const char *name)
{
    if (!name) {
        pv_log(PV_LOG_ERROR, "core", "pv_el_new: element without a name");
        return NULL;
    }
    pv_arena_t *a = arena_new();
    if (!a) {
        pv_log(PV_LOG_ERROR, "core", "out of memory creating <%s/>", name);
        return NULL;
    }
    pv_el_t *el = el_alloc(a, PV_EL_ELEMENT);
    if (el) {
        el->name = arena_strdup(a, name);
        el->ns = ns_store(a, ns ? ns : PV_NS_STANZA, NULL);
    }
    if (!el || !el->name || !el->ns) {
        pv_log(PV_LOG_ERROR, "core", "out of memory creating <%s/>", name);
        arena_free(a);
        return NULL;
    }
    return el;
}

void pv_el_free(pv_el_t *root)
{
    if (!root)
        return;
    if (root->parent) {
        /* Freeing the arena here would free the whole tree under the
         * parent's feet: refuse loudly instead. */
        pv_log(PV_LOG_ERROR, "core", "pv_el_free called on non-root <%s/>: ignored",
               root->name ? root->name : "#text");
        return;
    }
    arena_free(root->arena);
}

pv_el_t *pv_el_add(pv_el_t *parent, const char *ns, const char *name)
{
    if (!parent || parent->kind != PV_EL_ELEMENT || !name)
        return NULL;
    pv_arena_t *a = parent->arena;
    pv_el_t *el = el_alloc(a, PV_EL_ELEMENT);
    if (!el)
        goto oom;
    el->name = arena_strdup(a, name);
    el->ns = ns ? ns_store(a, ns, parent->ns) : parent->ns;
    if (!el->name || !el->ns)
        goto oom;
    append_child(parent, el);
    return el;
oom:
    pv_log(PV_LOG_ERROR, "core", "out of memory adding <%s/> to <%s/>", name, parent->name);
    return NULL;
}

pv_el_t *pv_el_add_text_child(pv_el_t *parent, const char *ns, const char *name, const char *text)
{
    pv_el_t *el = pv_el_add(parent, ns, name);
    if (!el)
        return NULL;
    if (text && *text && pv_el_add_text(el, text, strlen(text)) < 0)
        return NULL;
    return el;
}

int pv_el_add_text(pv_el_t *el, const char *text, size_t len)
{
    if (!el || el->kind != PV_EL_ELEMENT || (!text && len))
        return -1;
    pv_el_t *t = el_alloc(el->arena, PV_EL_TEXT);
    if (t)
        t->text = arena_strndup(el->arena, text ? text : "", len);
    if (!t || !t->text) {
        pv_log(PV_LOG_ERROR, "core", "out of memory adding %zu bytes of text to <%s/>", len,
               el->name);
        return -1;
    }
    t->text_len = len;
    append_child(el, t);
    return 0;
}

static pv_attr_t *attr_find(const pv_el_t *el, const char *name)
{
    if (!el || !name)
        return NULL;
    bool xml_attr = strncmp(name, "xml:", 4) == 0;
    for (pv_attr_t *a = el->attrs; a; a = a->next)
        if (strcmp(a->name, name) == 0 && (!a->ns || (xml_attr && str_eq(a->ns, PV_NS_XML))))
            return a;
    return NULL;
}

int pv_el_set_attr(pv_el_t *el, const char *name, const char *value)
{
    if (!el || el->kind != PV_EL_ELEMENT || !name)
        return -1;
    pv_attr_t *found = attr_find(el, name);
    if (!value) {
        if (!found)
            return 0;
        pv_attr_t **pp = &el->attrs;
        while (*pp != found)
            pp = &(*pp)->next;
        *pp = found->next;
        return 0;
    }
    char *v = arena_strdup(el->arena, value);
    if (!v)
        goto oom;
    if (found) {
        found->value = v;
        return 0;
    }
    pv_attr_t *a = arena_alloc(el->arena, sizeof *a);
    if (!a || !(a->name = arena_strdup(el->arena, name)))
        goto oom;
    /* "xml:lang" and friends live in the xml namespace (see palaver/xml.h). */
    a->ns = strncmp(name, "xml:", 4) == 0 ? PV_NS_XML : NULL;
    a->value = v;
    pv_attr_t **tail = &el->attrs;
    while (*tail)
        tail = &(*tail)->next;
    *tail = a;
    return 0;
oom:
    pv_log(PV_LOG_ERROR, "core", "out of memory setting %s on <%s/>", name, el->name);
    return -1;
}

int pv_el_set_attrf(pv_el_t *el, const char *name, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        pv_log(PV_LOG_ERROR, "core", "cannot format attribute %s of <%s/>", name,
               el && el->name ? el->name : "?");
        return -1;
    }
    if ((size_t)n < sizeof small)
        return pv_el_set_attr(el, name, small);
    char *big = malloc((size_t)n + 1);
    if (!big) {
        pv_log(PV_LOG_ERROR, "core", "out of memory formatting attribute %s", name);
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = pv_el_set_attr(el, name, big);
    free(big);
    return rc;
}

/* Copies src and its subtree into arena a, detached (parent NULL). Copying
 * detached first makes pv_el_copy_into(x, ancestor-of-x) safe: the source
 * list is not growing while it is walked. */
static pv_el_t *copy_tree(pv_arena_t *a, const pv_el_t *src, const char *parent_ns)
{
    pv_el_t *el = el_alloc(a, src->kind);
    if (!el)
        return NULL;
    el->line = src->line;
    if (src->kind == PV_EL_TEXT) {
        el->text = arena_strndup(a, src->text ? src->text : "", src->text_len);
        el->text_len = src->text_len;
        return el->text ? el : NULL;
    }
    el->name = arena_strdup(a, src->name);
    el->ns = ns_store(a, src->ns ? src->ns : PV_NS_STANZA, parent_ns);
    if (!el->name || !el->ns)
        return NULL;
    pv_attr_t **tail = &el->attrs;
    for (const pv_attr_t *sa = src->attrs; sa; sa = sa->next) {
        pv_attr_t *da = arena_alloc(a, sizeof *da);
        if (!da || !(da->name = arena_strdup(a, sa->name)) ||
            !(da->value = arena_strdup(a, sa->value ? sa->value : "")))
            return NULL;
        if (sa->ns && !(da->ns = ns_store(a, sa->ns, NULL)))
            return NULL;
        *tail = da;
        tail = &da->next;
    }
    for (const pv_el_t *c = src->children; c; c = c->next) {
        pv_el_t *dc = copy_tree(a, c, el->ns);
        if (!dc)
            return NULL;
        append_child(el, dc);
    }
    return el;
}

pv_el_t *pv_el_copy_into(pv_el_t *parent, const pv_el_t *src)
{
    if (!parent || parent->kind != PV_EL_ELEMENT || !src)
        return NULL;
    pv_el_t *copy = copy_tree(parent->arena, src, parent->ns);
    if (!copy) {
        pv_log(PV_LOG_ERROR, "core", "out of memory copying <%s/> into <%s/>",
               src->name ? src->name : "#text", parent->name);
        return NULL;
    }
    append_child(parent, copy);
    return copy;
}

/* Known namespaces cost nothing in a copy (see ns_store). */
static size_t ns_need(const char *ns, const char *inherit)
{
    if (inherit && str_eq(ns, inherit))
        return 0;
    if (ns_known(ns))
        return 0;
    return arena_need(strlen(ns) + 1);
}

/* The arena bytes copy_tree(a, src, parent_ns) takes, request by request. */
static size_t tree_need(const pv_el_t *src, const char *parent_ns)
{
    size_t n = arena_need(sizeof(pv_el_t));
    if (src->kind == PV_EL_TEXT)
        return n + arena_need(src->text_len + 1);
    const char *ns = src->ns ? src->ns : PV_NS_STANZA;
    n += arena_need(strlen(src->name) + 1) + ns_need(ns, parent_ns);
    for (const pv_attr_t *sa = src->attrs; sa; sa = sa->next) {
        n += arena_need(sizeof(pv_attr_t)) + arena_need(strlen(sa->name) + 1) +
             arena_need((sa->value ? strlen(sa->value) : 0) + 1);
        if (sa->ns)
            n += ns_need(sa->ns, NULL);
    }
    /* children inherit the copy's namespace, which equals ns by value */
    for (const pv_el_t *c = src->children; c; c = c->next)
        n += tree_need(c, ns);
    return n;
}

/* The copy lives in an arena of exactly its size: a kept clone (an
 * occupant's presence, a stored history message) holds no empty chunk;
 * a clone that is changed afterwards grows in small chunks. */
pv_el_t *pv_el_clone(const pv_el_t *src)
{
    if (!src)
        return NULL;
    pv_arena_t *a = arena_new_sized(tree_need(src, NULL));
    pv_el_t *copy = a ? copy_tree(a, src, NULL) : NULL;
    if (!copy) {
        pv_log(PV_LOG_ERROR, "core", "out of memory cloning <%s/>",
               src->name ? src->name : "#text");
        arena_free(a);
        return NULL;
    }
    return copy;
}

void pv_el_unlink(pv_el_t *el)
{
    if (!el || !el->parent)
        return;
    pv_el_t *parent = el->parent, *prev = NULL;
    for (pv_el_t *c = parent->children; c; prev = c, c = c->next) {
        if (c != el)
            continue;
        if (prev)
            prev->next = c->next;
        else
            parent->children = c->next;
        if (parent->last_child == c)
            parent->last_child = prev;
        break;
    }
    el->parent = NULL;
    el->next = NULL;
}

static bool el_matches(const pv_el_t *c, const char *ns, const char *name)
{
    return c->kind == PV_EL_ELEMENT && (!ns || str_eq(c->ns, ns)) &&
           (!name || str_eq(c->name, name));
}

int pv_el_remove_children(pv_el_t *el, const char *ns, const char *name)
{
    if (!el)
        return 0;
    int n = 0;
    pv_el_t *c = el->children;
    while (c) {
        pv_el_t *next = c->next;
        if (el_matches(c, ns, name)) {
            pv_el_unlink(c);
            n++;
        }
        c = next;
    }
    return n;
}

const char *pv_el_attr(const pv_el_t *el, const char *name)
{
    const pv_attr_t *a = attr_find(el, name);
    return a ? a->value : NULL;
}

const char *pv_el_lang(const pv_el_t *el)
{
    return pv_el_attr(el, "xml:lang");
}

/* The first node from c on, along its siblings, that el_matches, or NULL. */
static pv_el_t *first_match_from(pv_el_t *c, const char *ns, const char *name)
{
    for (; c; c = c->next)
        if (el_matches(c, ns, name))
            return c;
    return NULL;
}

pv_el_t *pv_el_child(const pv_el_t *el, const char *ns, const char *name)
{
    return el ? first_match_from(el->children, ns, name) : NULL;
}

pv_el_t *pv_el_next(const pv_el_t *after, const char *ns, const char *name)
{
    return after ? first_match_from(after->next, ns, name) : NULL;
}

pv_el_t *pv_el_first_element(const pv_el_t *el)
{
    return pv_el_child(el, NULL, NULL);
}

const char *pv_el_text(const pv_el_t *el)
{
    if (!el)
        return "";
    if (el->kind == PV_EL_TEXT)
        return el->text ? el->text : "";
    size_t total = 0, count = 0;
    const pv_el_t *only = NULL;
    for (const pv_el_t *c = el->children; c; c = c->next) {
        if (c->kind != PV_EL_TEXT)
            continue;
        total += c->text_len;
        count++;
        only = c;
    }
    if (count == 0)
        return "";
    if (count == 1)
        return only->text;
    /* Several text nodes (built by hand, or split by child elements). */
    char *buf = arena_alloc(el->arena, total + 1);
    if (!buf) {
        pv_log(PV_LOG_ERROR, "core", "out of memory reading the text of <%s/>", el->name);
        return "";
    }
    size_t off = 0;
    for (const pv_el_t *c = el->children; c; c = c->next) {
        if (c->kind != PV_EL_TEXT)
            continue;
        memcpy(buf + off, c->text, c->text_len);
        off += c->text_len;
    }
    buf[off] = '\0';
    return buf;
}

const char *pv_el_child_text(const pv_el_t *el, const char *ns, const char *name)
{
    pv_el_t *c = pv_el_child(el, ns, name);
    return c ? pv_el_text(c) : NULL;
}

bool pv_el_is(const pv_el_t *el, const char *ns, const char *name)
{
    /* NULL ns or name matches any, as in pv_el_child. */
    return el && el_matches(el, ns, name);
}
