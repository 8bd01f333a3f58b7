/*
 * core/router_internal.h: the core's side of the router (palaver/router.h is
 * the plugins' side).
 */
#ifndef PV_CORE_ROUTER_INTERNAL_H
#define PV_CORE_ROUTER_INTERNAL_H

#include <palaver/xml.h>

/* Sets the component domain (normalised copy kept). Returns 0 or -1. */
int router_set_domain(const char *domain);

/* Classifies a stanza and runs the hook chain. Takes ownership of stanza
 * (frees it). Anything other than message/presence/iq is logged and dropped. */
void router_dispatch(pv_el_t *stanza);

/* Logs every chain's order (with -v). */
void router_dump_chains(void);

/* Frees all hooks and events (at exit, after plugins shut down). */
void router_cleanup(void);

/* Registers the core's own handlers: service disco#info/#items fallback,
 * XEP-0092 version, XEP-0199 ping to the service. */
int core_services_init(void);

/* Called by pv_send() for every stanza sent: lets the router notice that a
 * handler already answered the stanza being dispatched (a result or an error
 * back to its sender, with the same id), so that the core never adds a
 * second answer (PV_ERROR or the IQ fallback after a reply is then only
 * logged). The stanza is borrowed for the call. */
void router_note_sent(const pv_el_t *stanza);

#endif
