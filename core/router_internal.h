/*
 * core/router_internal.h: the core's side of the router (palaver/router.h is
 * the plugins' side).
 */
#ifndef PV_CORE_ROUTER_INTERNAL_H
#define PV_CORE_ROUTER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <palaver/router.h>
#include <palaver/xml.h>

/* Sets the component domain (normalised copy kept). Returns 0 or -1. */
int router_set_domain(const char *domain);

/* Classifies a stanza and runs the hook chain. Takes ownership of stanza
 * (frees it). Anything other than message/presence/iq is logged and dropped. */
void router_dispatch(pv_el_t *stanza);

/* Logs every chain's order (with -v). */
void router_dump_chains(void);

/* Marks a hook as made through plugin handle `tag` (plugin_handle.c). */
void router_hook_set_tag(pv_hook_t *hook, const void *tag);

/* Removes every live hook marked with `tag` (a plugin's, after its shutdown). */
void router_remove_tagged(const void *tag);

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

/* ---- Parking (core/park.c; the SDK side is in palaver/router.h) ---- */

#define PARK_MAX_QUEUED_DEFAULT 100 /* stanzas waiting under one key */
#define PARK_TIMEOUT_DEFAULT 10.0   /* seconds a key's stanzas wait for a release */

/* Sets the per-key limit (>= 1) and the wait before a key's stanzas are
 * answered internal-server-error (> 0 s). Returns 0, or -1 when out of range
 * (nothing changed). Queues already waiting keep their timer. park_cleanup
 * restores the defaults. */
int park_set_limits(size_t max_queued, double timeout_s);

/* One key's queue. Opaque outside park.c. */
typedef struct park_queue park_queue_t;

/* The queue side of pv_stanza_park(): finds or creates key's queue and counts
 * one stanza about to join it (its handler has not returned yet). at_head: a
 * stanza replayed from this key going back to the front (never refused for
 * the limit). *gen receives the queue's release count, for park_commit.
 * Returns NULL with *condition and *text set (the limit, out of memory). */
park_queue_t *park_reserve(const char *key, bool at_head, unsigned *gen, const char **condition,
                           const char **text);

/* The handler returned PV_AGAIN: q takes ownership of stanza. at_head and gen
 * as given to and returned by park_reserve: a stanza going back to the front
 * makes the queue wait for a new release unless one came meanwhile. */
void park_commit(park_queue_t *q, pv_el_t *stanza, bool at_head, unsigned gen);

/* The handler parked but returned another verdict: the reservation is undone
 * (an empty queue nobody waits in is dropped). */
void park_cancel(park_queue_t *q);

/* True when key has a queue (stanzas parked, being parked or replayed). */
bool park_exists(const char *key);

/* Replays the released queues. Does nothing while a stanza is being
 * dispatched or a replay is running (they call it again when done). */
void park_run_ready(void);

/* Frees every parked stanza unanswered and stops the timers (at exit). */
void park_cleanup(void);

/* ---- The router's services to park.c ---- */

/* True while router_dispatch is running (at any depth). */
bool router_dispatching(void);

/* Dispatches a parked stanza again (ownership as router_dispatch); key: the
 * queue it comes from. Returns true when the stanza went back to the front
 * of that queue (parked again under the same key). */
bool router_replay(pv_el_t *stanza, const char *key);

/* Answers the stanzas whose handler parked them in q and is still running
 * (they return PV_AGAIN next) with this error, and detaches them from q. */
void router_park_settle(const park_queue_t *q, const char *type, const char *condition,
                        const char *text);

/* Sends this error in answer to a parked stanza (nothing for errors and IQ
 * results). Returns true when an error was sent. */
bool router_reply_parked(const pv_el_t *stanza, const char *type, const char *condition,
                         const char *text);

#endif
