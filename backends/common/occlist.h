/*
 * backends/common/occlist.h: one room's live occupant records (palaver/
 * store.h occupant_put / occupants_load) held in memory, in the order they
 * were first put, for the backends that keep them in process (memory, and
 * spool as its cache of a room's occupants file).
 *
 * A room holds few occupants next to its archive, so a put is a linear
 * search by nick: replacing keeps the record's place, removing closes the
 * gap. Every string is owned by the list.
 */
#ifndef PV_BACKENDS_OCCLIST_H
#define PV_BACKENDS_OCCLIST_H

#include <palaver/store.h>

typedef struct occlist {
    pv_kv_t *v; /* key: nick, value: data (both owned) */
    size_t n, cap;
} occlist_t;

/* New empty list, or NULL on allocation failure. */
occlist_t *occlist_new(void);
/* Frees the list and its strings. NULL is fine. */
void occlist_free(occlist_t *l);
/* Replaces nick's data in place, appends a new nick, or (data NULL)
 * removes it. 0, or -1 on allocation failure (the list is unchanged). */
int occlist_put(occlist_t *l, const char *nick, const char *data);

#endif
