/*
 * core/disco_internal.h: the core's side of palaver/disco.h (the registry of
 * the service's own identities and features).
 */
#ifndef PV_CORE_DISCO_INTERNAL_H
#define PV_CORE_DISCO_INTERNAL_H

#include <palaver/xml.h>

/* Appends the registered identities, then the registered features, in
 * registration order, to a disco#info <query/>. When no identity was
 * registered, appends component/generic "Palaver" (XEP-0030 requires one).
 * Returns 0, or -1 on allocation failure. */
int disco_fill_service(pv_el_t *query);

/* Forgets every registered identity and feature (at exit). */
void disco_cleanup(void);

#endif
