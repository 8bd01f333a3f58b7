/*
 * palaver/event.h: named events between plugins.
 *
 * The core knows nothing of MUC, yet history must hear that a message was
 * broadcast and game-rooms must see a join before it happens. A plugin that
 * publishes an event documents its name and payload struct in its own SDK
 * header (see palaver/muc.h); subscribers cast the payload. Event names are
 * interned once into a handle, so firing is a pointer walk, no string work.
 *
 * Subscribers run in priority order (higher first; ties in subscription
 * order). Each returns PV_PASS to let the next run, or PV_HANDLED / PV_ERROR to
 * stop the chain (the meaning of a stop, e.g. a veto, is the publisher's).
 */
#ifndef PALAVER_EVENT_H
#define PALAVER_EVENT_H

#include <palaver/router.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pv_event pv_event_t;
typedef struct pv_subscription pv_subscription_t;

typedef pv_verdict_t (*pv_event_fn)(const pv_event_t *ev, void *payload, void *ud);

/* Returns the handle for an event name, creating it on first use. The handle
 * lives until the process exits. NULL only on allocation failure. */
pv_event_t *pv_event(const char *name);

/* The event's name. */
const char *pv_event_name(const pv_event_t *ev);

/* Subscribes fn to ev. `owner` names the plugin (for logs). Returns a handle
 * for pv_event_unsubscribe, or NULL on allocation failure. */
pv_subscription_t *pv_event_subscribe(pv_event_t *ev, int priority, pv_event_fn fn, void *ud,
                                      const char *owner);

void pv_event_unsubscribe(pv_subscription_t *sub);

/* Calls the subscribers in order until one returns something other than
 * PV_PASS; returns that verdict, or PV_PASS when all passed (or none exist). */
pv_verdict_t pv_event_fire(const pv_event_t *ev, void *payload);

/* True when at least one subscriber exists (skip building costly payloads). */
int pv_event_has_subscribers(const pv_event_t *ev);

#ifdef __cplusplus
}
#endif
#endif
