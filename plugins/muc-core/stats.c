/*
 * stats.c: muc-core's part of the statistics (palaver/stats.h): the rooms
 * in memory, how many are persistent and how many have occupants, the
 * occupants (one per nick in a room) and their sessions (one per client
 * resource). The core prints them with its own figures in the periodic log
 * line, and the service administrators' get-statistics command (adhoc.c)
 * returns them all.
 */
#include "muc_internal.h"
#include <palaver/stats.h>

static pv_stats_source_t *source;

static void fill(pv_stats_t *st, void *ud)
{
    (void)ud;
    size_t rooms = 0, persistent = 0, occupied = 0, occupants = 0, sessions = 0, i;
    for (map_entry_t *e = muc ? map_first(&muc->rooms, &i) : NULL; e;
         e = map_next(&muc->rooms, e, &i)) {
        room_t *r = e->val;
        rooms++;
        if (room_cfg_bool(r, CF_PERSISTENT))
            persistent++;
        if (r->noccupants)
            occupied++;
        occupants += r->noccupants;
        for (occupant_t *o = r->first; o; o = o->next)
            sessions += o->nsessions;
    }
    pv_stats_add(st, "rooms", "Rooms loaded", "%zu", rooms);
    pv_stats_add(st, "rooms-persistent", "Persistent rooms loaded", "%zu", persistent);
    pv_stats_add(st, "rooms-loads", "Stored rooms loaded since start", "%zu", room_loads_total());
    pv_stats_add(st, "rooms-unloads", "Unused rooms unloaded since start", "%zu",
                 room_unloads_total());
    pv_stats_add(st, "rooms-occupied", "Rooms with occupants", "%zu", occupied);
    pv_stats_add(st, "occupants", "Occupants (nicks in rooms)", "%zu", occupants);
    pv_stats_add(st, "occupant-sessions", "Occupant sessions (client resources)", "%zu", sessions);
    cluster_stats(st);
}

int muc_stats_init(void)
{
    source = pv_stats_register(MUC, fill, NULL);
    return source ? 0 : -1;
}

void muc_stats_shutdown(void)
{
    pv_stats_unregister(source);
    source = NULL;
}
