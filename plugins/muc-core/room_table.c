/*
 * room_table.c: all rooms in memory, indexed by normalised node. Rooms leave
 * the table when a temporary room empties, a room is destroyed or an unused
 * stored room is unloaded (hibernate.c); the
 * ROOM_DESTROYED event runs before the room is freed so other plugins can drop
 * what they keep about it.
 */
#include "muc_internal.h"
#include <stdlib.h>

room_t *rooms_get(const char *name)
{
    return name ? map_get(&muc->rooms, name) : NULL;
}

int rooms_add(room_t *r)
{
    if (map_put(&muc->rooms, r->name, r) < 0) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory adding room %s", r->jid);
        return -1;
    }
    rooms_absent_forget(r->name); /* room_load.c: it exists now */
    rooms_touch(r);               /* hibernate.c: newest in use */
    rooms_enforce_cap();          /* hibernate.c: r itself is not stored or has stanzas parked */
    return 0;
}

void rooms_remove_and_free(room_t *r, const pv_jid_t *actor)
{
    pv_muc_room_event_t ev = {.room = r, .actor = actor};
    pv_event_fire(ev_room_destroyed, &ev);
    map_del(&muc->rooms, r->name);
    rooms_lru_unlink(r);
    if (r->pins) /* stanzas waiting for its write find it gone (room_load.c) */
        pv_park_release(r->jid);
    pv_log(PV_LOG_DEBUG, MUC, "room %s removed from memory", r->jid);
    room_free(r);
}

void rooms_maybe_destroy(room_t *r)
{
    if (r->noccupants == 0 && r->busy == 0 && !room_cfg_bool(r, CF_PERSISTENT))
        rooms_remove_and_free(r, NULL);
}

void rooms_free_all(void)
{
    size_t i;
    map_entry_t *e;
    while ((e = map_first(&muc->rooms, &i)))
        rooms_remove_and_free(e->val, NULL);
    map_clear(&muc->rooms);
}

/* ---- SDK lookups (palaver/muc.h) ---- */

pv_muc_room_t *api_room_find(const char *s)
{
    if (!s || !muc)
        return NULL;
    pv_jid_t *j = pv_jid_parse(s);
    if (!j)
        return NULL;
    room_t *r = rooms_get(j->node ? j->node : j->domain);
    pv_jid_free(j);
    return r;
}

const char *api_room_jid(const pv_muc_room_t *r)
{
    return r->jid;
}
const char *api_room_name(const pv_muc_room_t *r)
{
    return r->name;
}

const char *api_room_config(const pv_muc_room_t *r, const char *var)
{
    int f = config_field_index(var);
    return f < 0 ? ext_config_get(r, var) : room_cfg(r, f);
}

bool api_room_config_bool(const pv_muc_room_t *r, const char *var)
{
    int f = config_field_index(var);
    if (f < 0)
        return ext_config_bool(r, var);
    return room_cfg_bool(r, f);
}

const char *api_room_subject(const pv_muc_room_t *r)
{
    return r->subject ? r->subject : "";
}
size_t api_room_occupant_count(const pv_muc_room_t *r)
{
    return r->noccupants;
}
bool api_room_locked(const pv_muc_room_t *r)
{
    return r->locked;
}

pv_muc_aff_t api_affiliation(const pv_muc_room_t *r, const char *bare)
{
    return room_aff(r, bare);
}
