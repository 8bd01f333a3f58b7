/*
 * core/event_internal.h: the core's side of palaver/event.h.
 */
#ifndef PV_CORE_EVENT_INTERNAL_H
#define PV_CORE_EVENT_INTERNAL_H

/* Frees every event handle and subscription (at exit, after plugins shut
 * down; handles obtained before are invalid afterwards). */
void event_cleanup(void);

/* Logs every event's subscribers in calling order (with -v). */
void event_dump(void);

#endif
