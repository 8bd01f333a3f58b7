/*
 * palaver/disco.h: service discovery contributions (XEP-0030, XEP-0128).
 *
 * The core answers disco#info to the service domain itself, from the
 * identities and features plugins registered here, then fires the
 * PV_EVENT_DISCO_INFO event so plugins can add dynamic content (a data form,
 * XEP-0128). Any plugin that answers disco#info for another JID (muc-core for
 * rooms) calls pv_disco_info_extend() before sending, so the same plugins can
 * extend room answers without knowing who built them.
 */
#ifndef PALAVER_DISCO_H
#define PALAVER_DISCO_H

#include <palaver/event.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Event fired for every disco#info answer being built. Payload: pv_disco_info_t. */
#define PV_EVENT_DISCO_INFO "disco-info"

typedef struct pv_disco_info {
    const pv_jid_t *target;    /* the JID asked about (service, room, ...) */
    const char *node;          /* the node attribute, or NULL */
    const pv_jid_t *requester; /* who asked */
    pv_el_t *query;            /* the <query/> being built: append to it */
    void *subject;             /* publisher-defined object (muc-core: the room), or NULL */
} pv_disco_info_t;

/* Adds an identity to the service's own disco#info. Strings are copied.
 * Returns 0 or -1. Duplicates are ignored. */
int pv_disco_add_identity(const char *category, const char *type, const char *name);

/* Adds a feature var to the service's own disco#info. Copied; duplicates ignored. */
int pv_disco_add_feature(const char *var);

/* Fires PV_EVENT_DISCO_INFO for an answer a plugin is building. */
void pv_disco_info_extend(pv_disco_info_t *info);

/* Appends <feature var=.../> to a query. Returns 0 or -1. */
int pv_disco_query_feature(pv_el_t *query, const char *var);

/* Appends <identity category type [name]/> to a query. Returns 0 or -1. */
int pv_disco_query_identity(pv_el_t *query, const char *category, const char *type,
                            const char *name);

#ifdef __cplusplus
}
#endif
#endif
