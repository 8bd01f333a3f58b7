/*
 * core/xmlstream.h: the incremental, hostile-input-safe XML reader.
 *
 * Wraps libxml2's push parser (SAX2, handlers built from zero: no DTD, no
 * entities, no external anything) and turns the component stream into one
 * pv_el_t tree per stanza. It also parses whole documents (the config file,
 * stored stanzas) with the same rules.
 */
#ifndef PV_CORE_XMLSTREAM_H
#define PV_CORE_XMLSTREAM_H

#include <palaver/xml.h>
#include <stddef.h>

typedef struct xs_limits {
    size_t max_stanza_bytes; /* bytes of one stanza (default 256 KiB) */
    unsigned max_depth;      /* element nesting inside a stanza (default 32) */
    unsigned max_attrs;      /* attributes per element (default 64) */
    size_t max_text;         /* bytes of text in one node (default = max_stanza_bytes) */
} xs_limits_t;

/* Fills the defaults above. */
void xs_limits_default(xs_limits_t *lim);

typedef struct xs_callbacks {
    /* The peer's <stream:stream> header arrived. `header` is an element named
     * "stream" (ns PV_NS_STREAMS) with the header's attributes (id, from...);
     * borrowed for the call. */
    void (*open)(void *ud, const pv_el_t *header);
    /* A complete top-level child of the stream (stanza, <handshake/>,
     * <stream:error>). Ownership passes to the callee (pv_el_free it). */
    void (*stanza)(void *ud, pv_el_t *stanza);
    /* The peer closed the stream (</stream:stream>). */
    void (*close)(void *ud);
    /* Local parse failure; condition is the stream error to send:
     * "not-well-formed", "restricted-xml", "policy-violation",
     * "invalid-namespace", "bad-format". Called at most once per parser. */
    void (*error)(void *ud, const char *condition, const char *text);
} xs_callbacks_t;

typedef struct xs_parser xs_parser_t;

/* New stream parser. lim NULL means defaults. Returns NULL on allocation failure. */
xs_parser_t *xs_new(const xs_limits_t *lim, const xs_callbacks_t *cb, void *ud);

/* Feeds bytes (any split). Returns 0, or -1 once the stream is broken: the
 * error callback was called and every later call returns -1 at once. Callbacks
 * run inside xs_feed; they must not free the parser. */
int xs_feed(xs_parser_t *p, const char *data, size_t len);

void xs_free(xs_parser_t *p);

/* Parses a whole document (config file). Comments and the XML declaration are
 * allowed and dropped; DOCTYPE, entities and processing instructions are
 * refused. Every element gets its line number. Returns the root (caller frees)
 * or NULL with a message in err and the line in *errline (0 if unknown). */
pv_el_t *xs_parse_document(const char *buf, size_t len, const xs_limits_t *lim, char *err,
                           size_t errlen, unsigned *errline);

#endif
