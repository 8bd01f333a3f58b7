/*
 * backends/memory/occupants.c: live occupants (palaver/store.h minor 3) in
 * a table of room name -> occlist_t (common/occlist.c); a room whose last
 * occupant is removed leaves the table. Like the rest of the memory
 * backend, nothing survives the process.
 */
#include <stdlib.h>

#include "memory.h"
#include "occlist.h"

void mem_occupant_put(void *h, const char *room, const char *nick, const char *data,
                      pv_store_done_fn cb, void *ud)
{
    mem_store_t *s = h;
    occlist_t *l = pv_map_get(s->occupants, room);
    if (!l && !data) {
        cb(PV_STORE_OK, NULL, ud);
        return;
    }
    int fresh = !l;
    if (fresh && (!(l = occlist_new()) || pv_map_put(s->occupants, room, l) < 0)) {
        occlist_free(l);
        cb(PV_STORE_ENOMEM, "out of memory storing an occupant", ud);
        return;
    }
    if (occlist_put(l, nick, data) < 0) {
        if (fresh)
            occlist_free(pv_map_del(s->occupants, room));
        cb(PV_STORE_ENOMEM, "out of memory storing an occupant", ud);
        return;
    }
    if (l->n == 0)
        occlist_free(pv_map_del(s->occupants, room));
    cb(PV_STORE_OK, NULL, ud);
}

void mem_occupants_load(void *h, const char *room,
                        void (*cb)(int status, const char *error, const pv_kv_t *occupants,
                                   size_t n, void *ud),
                        void *ud)
{
    mem_store_t *s = h;
    const occlist_t *l = pv_map_get(s->occupants, room);
    cb(PV_STORE_OK, NULL, l ? l->v : NULL, l ? l->n : 0, ud);
}
