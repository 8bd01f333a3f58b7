/*
 * left_ids.c (BAN-OID-1): a moderator sees an abuser only through the
 * XEP-0421 occupant-id of what they said, often after they left (semi-
 * anonymous rooms never show their JID). So each room remembers, for
 * <remember-left-occupants> seconds (default 86400; 0: not at all), the
 * occupant-ids of those who left and their bare JIDs, and admin.c accepts
 * an <occupant-id/> instead of a jid or nick in an affiliation item: the
 * user can be banned after leaving. The memory is the room's, in memory:
 * it ends when the room leaves memory (a temporary room's end, an unload),
 * and holds at most MAX_PER_ROOM entries (the expired ones go first, then
 * all of them at once).
 */
#include "muc_internal.h"
#include <ev.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PER_ROOM 1000

typedef struct left {
    double at;   /* ev_now when it left */
    char bare[]; /* its real bare JID */
} left_t;

static long remember_s = 86400;

int left_ids_configure(const pv_config_t *cfg)
{
    remember_s = pv_key_int(muc_handle, cfg, "remember-left-occupants");
    return 0;
}

static double now(void)
{
    return pv_loop() ? ev_now(pv_loop()) : 0.;
}

static void drop_expired(room_t *r, bool all)
{
    size_t i;
    double limit = now() - (double)remember_s;
    for (map_entry_t *e = map_first(&r->left_ids, &i); e;) {
        map_entry_t *next = map_next(&r->left_ids, e, &i);
        left_t *l = e->val;
        if (all || l->at < limit)
            free(map_del(&r->left_ids, e->key));
        e = next;
    }
}

void left_ids_note(room_t *r, const occupant_t *o)
{
    if (!remember_s || !o->occupant_id[0] || r->destroying)
        return;
    if (r->left_ids.count >= MAX_PER_ROOM) {
        drop_expired(r, false);
        if (r->left_ids.count >= MAX_PER_ROOM)
            drop_expired(r, true); /* a flood of departures: start again */
    }
    size_t n = strlen(o->bare) + 1;
    left_t *l = malloc(sizeof *l + n);
    if (!l)
        return; /* a ban by this id will not find it: nothing worse */
    l->at = now();
    memcpy(l->bare, o->bare, n);
    free(map_del(&r->left_ids, o->occupant_id));
    if (map_put(&r->left_ids, o->occupant_id, l) < 0)
        free(l);
}

const char *left_ids_find(room_t *r, const char *id)
{
    for (occupant_t *o = r->first; o; o = o->next)
        if (!strcmp(o->occupant_id, id))
            return o->bare; /* still here */
    left_t *l = id ? map_get(&r->left_ids, id) : NULL;
    if (l && l->at < now() - (double)remember_s) {
        free(map_del(&r->left_ids, id));
        l = NULL;
    }
    return l ? l->bare : NULL;
}

void left_ids_free(room_t *r)
{
    drop_expired(r, true);
    map_clear(&r->left_ids);
}
