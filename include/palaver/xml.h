/*
 * palaver/xml.h: the stanza tree every plugin reads and builds.
 *
 * Palaver does not expose libxml2. A stanza is a small tree of pv_el_t nodes
 * (elements and text), all allocated from one arena owned by the root: freeing
 * the root frees the whole tree in one call, and nodes are never freed one by
 * one. Names and namespaces are compared by URI, never by prefix.
 *
 * Stanzas read from the server in `jabber:client` or `jabber:component:accept`
 * are normalised to PV_NS_STANZA (the component stream's default namespace), so
 * that a plugin tests one namespace and serialisation emits no xmlns for them.
 *
 * Ownership: the router owns every stanza it passes to a hook; handlers borrow
 * it for the duration of the call and copy (pv_el_clone) what they keep.
 */
#ifndef PALAVER_XML_H
#define PALAVER_XML_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PV_NS_STANZA "jabber:component:accept"
#define PV_NS_CLIENT "jabber:client"
#define PV_NS_STREAMS "http://etherx.jabber.org/streams"
#define PV_NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define PV_NS_XML "http://www.w3.org/XML/1998/namespace"
#define PV_NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define PV_NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define PV_NS_DATA "jabber:x:data"

typedef struct pv_arena pv_arena_t;

typedef enum { PV_EL_ELEMENT = 0, PV_EL_TEXT = 1 } pv_el_kind_t;

typedef struct pv_attr {
    const char *name;  /* local name; "xml:lang" for the xml namespace */
    const char *ns;    /* NULL for an unqualified attribute (the usual case) */
    const char *value; /* unescaped UTF-8 */
    struct pv_attr *next;
} pv_attr_t;

typedef struct pv_el {
    pv_el_kind_t kind;
    const char *name; /* element local name; NULL for text nodes */
    const char *ns;   /* namespace URI (never NULL for elements) */
    const char *text; /* text nodes: unescaped UTF-8 content; elements: NULL */
    size_t text_len;  /* text nodes: length of text in bytes */
    pv_attr_t *attrs; /* first attribute, in document order */
    struct pv_el *parent;
    struct pv_el *children; /* first child (element or text) */
    struct pv_el *last_child;
    struct pv_el *next; /* next sibling */
    unsigned line;      /* source line (config files); 0 when unknown */
    pv_arena_t *arena;  /* arena that owns this node; shared by the whole tree */
} pv_el_t;

/* ---- Construction (all strings are copied into the tree's arena) ---- */

/* New root element in a fresh arena. ns NULL means PV_NS_STANZA.
 * Returns NULL only on allocation failure. Caller frees with pv_el_free(). */
pv_el_t *pv_el_new(const char *ns, const char *name);

/* Frees a root element and everything allocated in its arena. NULL is fine.
 * Must only be called on a root (parent == NULL) created by pv_el_new,
 * pv_el_clone or a parser. */
void pv_el_free(pv_el_t *root);

/* Appends a child element. ns NULL inherits the parent's namespace.
 * Returns the child (owned by the tree) or NULL on allocation failure. */
pv_el_t *pv_el_add(pv_el_t *parent, const char *ns, const char *name);

/* Appends a child element holding text (e.g. <body>text</body>). text may be NULL
 * for an empty element. Returns the child or NULL. */
pv_el_t *pv_el_add_text_child(pv_el_t *parent, const char *ns, const char *name, const char *text);

/* Appends a text node to an element. Returns 0, or -1 on allocation failure. */
int pv_el_add_text(pv_el_t *el, const char *text, size_t len);

/* Sets (or replaces) an unqualified attribute. value NULL removes it.
 * Returns 0, or -1 on allocation failure. */
int pv_el_set_attr(pv_el_t *el, const char *name, const char *value);

/* Like pv_el_set_attr with a printf-style value. */
int pv_el_set_attrf(pv_el_t *el, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Deep copy of src (and its subtree) appended as the last child of parent.
 * Returns the copy or NULL. src may belong to another tree. */
pv_el_t *pv_el_copy_into(pv_el_t *parent, const pv_el_t *src);

/* Deep copy of src as a new root in a fresh arena. Caller frees with pv_el_free. */
pv_el_t *pv_el_clone(const pv_el_t *src);

/* Unlinks el from its parent (memory stays in the arena until the root is freed). */
void pv_el_unlink(pv_el_t *el);

/* Removes every child element whose namespace and name match (name NULL: any name
 * in ns). Returns how many were removed. */
int pv_el_remove_children(pv_el_t *el, const char *ns, const char *name);

/* ---- Reading ---- */

/* Value of an unqualified attribute, or NULL. Borrowed from the tree. */
const char *pv_el_attr(const pv_el_t *el, const char *name);

/* xml:lang of the element (own attribute only), or NULL. */
const char *pv_el_lang(const pv_el_t *el);

/* First child element matching ns and name. ns NULL matches any namespace;
 * name NULL matches any name. Returns NULL when absent. */
pv_el_t *pv_el_child(const pv_el_t *el, const char *ns, const char *name);

/* Next sibling element after `after` matching ns and name (same NULL rules),
 * for loops: for (c = pv_el_child(e,ns,n); c; c = pv_el_next(c,ns,n)). */
pv_el_t *pv_el_next(const pv_el_t *after, const char *ns, const char *name);

/* First element child of any name and namespace, or NULL. */
pv_el_t *pv_el_first_element(const pv_el_t *el);

/* Concatenated text of el's direct text children. Never NULL ("" when none).
 * The string lives in el's arena. */
const char *pv_el_text(const pv_el_t *el);

/* Text of the first child element ns/name, or NULL when that child is absent. */
const char *pv_el_child_text(const pv_el_t *el, const char *ns, const char *name);

/* True when el is an element with this namespace and name. */
bool pv_el_is(const pv_el_t *el, const char *ns, const char *name);

/* ---- Serialization ---- */

/* Serializes el and its subtree. The top element gets an xmlns declaration
 * unless its namespace is PV_NS_STANZA; children get one wherever their
 * namespace differs from the parent's. Text and attribute values are escaped.
 * Returns a NUL-terminated malloc'd string (caller frees) and sets *len if
 * non-NULL; returns NULL on allocation failure or when a string in the tree is
 * not valid XML 1.0 UTF-8 (a plugin bug: it is logged, nothing is sent). */
char *pv_el_serialize(const pv_el_t *el, size_t *len);

/* Parses one XML element from a string with the same hostile-input rules as the
 * stream (no DTD, no entities, size and depth limits). Meant for tests and for
 * stored stanzas (archives). Returns a new root (caller frees) or NULL and, if
 * err is non-NULL, a message in err. */
pv_el_t *pv_el_parse(const char *xml, size_t len, char *err, size_t errlen);

/* True when s is valid UTF-8 with no code point XML 1.0 forbids. */
bool pv_xml_text_valid(const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif
