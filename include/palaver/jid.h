/*
 * palaver/jid.h: JIDs, parsed and normalised once.
 *
 * A pv_jid_t holds the three parts after stringprep (nodeprep, nameprep,
 * resourceprep via libidn) plus ready-made bare and full strings, so that hot
 * paths compare strings instead of re-parsing. A JID may lack a node (a
 * domain, or jabberd2's `sm`) and the domain need not contain a dot.
 */
#ifndef PALAVER_JID_H
#define PALAVER_JID_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pv_jid {
    const char *node;     /* NULL when absent */
    const char *domain;   /* never NULL */
    const char *resource; /* NULL when absent */
    const char *bare;     /* node@domain or domain */
    const char *full;     /* bare[/resource] */
} pv_jid_t;

/* Parses and normalises s. Returns a new JID (one allocation; free with
 * pv_jid_free) or NULL when s is not a valid JID (empty part, part longer than
 * 1023 bytes, stringprep failure). */
pv_jid_t *pv_jid_parse(const char *s);

/* Builds node@domain/resource from parts (node and resource may be NULL) with
 * the same normalisation. Returns NULL when invalid. Free with pv_jid_free. */
pv_jid_t *pv_jid_make(const char *node, const char *domain, const char *resource);

/* Copy of a JID. Free with pv_jid_free. */
pv_jid_t *pv_jid_dup(const pv_jid_t *jid);

void pv_jid_free(pv_jid_t *jid);

/* Normalises a single part. Each returns a malloc'd string (caller frees) or
 * NULL when the input is not valid for that part. */
char *pv_nodeprep(const char *s);
char *pv_nameprep(const char *s);
char *pv_resourceprep(const char *s);

/* True when both are non-NULL and equal as full JIDs / as bare JIDs. */
bool pv_jid_equal(const pv_jid_t *a, const pv_jid_t *b);
bool pv_jid_bare_equal(const pv_jid_t *a, const pv_jid_t *b);

#ifdef __cplusplus
}
#endif
#endif
