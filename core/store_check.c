/*
 * core/store_check.c: the argument rules of palaver/store.h, in one place.
 *
 * A caller bug (a NULL room name, a config pair without a key, a message
 * without an id...) gets PV_STORE_EINVAL with the same message whichever
 * backend is loaded, before anything is changed: the wrapper pv_store()
 * hands out (core/store_timing.c) calls these before the backend, so a
 * backend, ours or a site's, can take its arguments as valid. What only
 * the stored data can tell (a duplicate message id, an unknown room) stays
 * the backend's to answer.
 */
#include "store_check.h"

const char *store_check_room(const char *name)
{
    if (!name || !*name)
        return "room name is NULL or empty";
    return NULL;
}

static const char *check_config(const pv_kv_t *config, size_t n)
{
    if (n && !config)
        return "config array is NULL";
    for (size_t i = 0; i < n; i++)
        if (!config[i].key || !*config[i].key || !config[i].value)
            return "config item with a NULL or empty key or a NULL value";
    return NULL;
}

const char *store_check_room_put(const char *name, const pv_kv_t *config, size_t n)
{
    const char *bad = store_check_room(name);
    return bad ? bad : check_config(config, n);
}

static const char *check_affs(const pv_store_aff_t *items, size_t n)
{
    if (n && !items)
        return "affiliation array is NULL";
    for (size_t i = 0; i < n; i++) {
        if (!items[i].jid || !*items[i].jid)
            return "affiliation item with a NULL or empty jid";
        if (!items[i].affiliation || !*items[i].affiliation)
            return "affiliation item with a NULL or empty affiliation";
    }
    return NULL;
}

const char *store_check_affs_set(const char *room, const pv_store_aff_t *items, size_t n)
{
    const char *bad = store_check_room(room);
    return bad ? bad : check_affs(items, n);
}

const char *store_check_reg_set(const char *room, const char *jid)
{
    const char *bad = store_check_room(room);
    if (!bad && (!jid || !*jid))
        bad = "registration with a NULL or empty jid";
    return bad;
}

static const char *check_id(const char *id)
{
    if (!id || !*id)
        return "message id is NULL or empty";
    return NULL;
}

const char *store_check_append(const char *room, const pv_store_msg_t *msg)
{
    const char *bad = store_check_room(room);
    if (bad)
        return bad;
    if (!msg)
        return "message is NULL";
    if ((bad = check_id(msg->id)))
        return bad;
    if (!msg->xml)
        return "message xml is NULL";
    return NULL;
}

const char *store_check_replace(const char *room, const char *id, const char *xml)
{
    const char *bad = store_check_room(room);
    if (!bad)
        bad = check_id(id);
    if (!bad && !xml)
        bad = "replacement xml is NULL";
    return bad;
}

const char *store_check_rooms_list(unsigned flags)
{
    if (flags & ~(PV_STORE_LIST_PUBLIC | PV_STORE_LIST_COUNT))
        return "unknown rooms_list flags";
    return NULL;
}

const char *store_check_occupant_put(const char *room, const char *nick)
{
    const char *bad = store_check_room(room);
    if (!bad && (!nick || !*nick))
        bad = "occupant nick is NULL or empty";
    return bad;
}

const char *store_check_instance(const char *instance, int ttl_ms)
{
    if (!instance || !*instance)
        return "instance name is NULL or empty";
    if (ttl_ms <= 0)
        return "lease time must be positive";
    return NULL;
}

const char *store_check_lease(const char *room, const char *instance, int ttl_ms)
{
    const char *bad = store_check_room(room);
    return bad ? bad : store_check_instance(instance, ttl_ms);
}
