/*
 * core/event_internal.h: the core's side of palaver/event.h.
 */
#ifndef PV_CORE_EVENT_INTERNAL_H
#define PV_CORE_EVENT_INTERNAL_H

#include <palaver/event.h>

/* Marks a subscription as made through plugin handle `tag`. */
void event_sub_set_tag(pv_subscription_t *sub, const void *tag);

/* Ends every live subscription marked with `tag` (after its plugin's shutdown). */
void event_remove_tagged(const void *tag);

/* Frees every event handle and subscription (at exit, after plugins shut
 * down; handles obtained before are invalid afterwards). */
void event_cleanup(void);

/* Logs every event's subscribers in calling order (with -v). */
void event_dump(void);

#endif
