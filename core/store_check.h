/*
 * core/store_check.h: the argument rules of the storage interface
 * (palaver/store.h), applied once by the table pv_store() hands out
 * (core/store_timing.c) rather than by every backend.
 *
 * Each function returns NULL when the arguments of that operation are fine,
 * or a static message (never freed) saying what is wrong; the wrapper then
 * answers PV_STORE_EINVAL with it, before the backend is called, so nothing
 * is changed and the message is the same whichever backend is loaded.
 */
#ifndef PV_CORE_STORE_CHECK_H
#define PV_CORE_STORE_CHECK_H

#include <stddef.h>

#include <palaver/store.h>

/* A room name alone: room_load, room_delete, archive_query, archive_delete,
 * archive_trim, occupants_load. */
const char *store_check_room(const char *name);

/* room_put: the name, then the config pairs (no NULL or empty key, no NULL
 * value; the array may be NULL only when n is 0). */
const char *store_check_room_put(const char *name, const pv_kv_t *config, size_t n);

/* affs_set: the room, then each item's jid and affiliation (neither NULL
 * nor empty; the array may be NULL only when n is 0). */
const char *store_check_affs_set(const char *room, const pv_store_aff_t *items, size_t n);

/* reg_set: the room, then the jid (the nick may be NULL: removal). */
const char *store_check_reg_set(const char *room, const char *jid);

/* archive_append: the room, then the message, its id and its xml. */
const char *store_check_append(const char *room, const pv_store_msg_t *msg);

/* archive_replace: the room, the id, the replacement xml. */
const char *store_check_replace(const char *room, const char *id, const char *xml);

/* rooms_list: only known flags (any `after`, stored or not, is fine). */
const char *store_check_rooms_list(unsigned flags);

/* occupant_put: the room, then the nick (data NULL means removal). */
const char *store_check_occupant_put(const char *room, const char *nick);

/* lease_renew: the instance name, then a positive time to live. */
const char *store_check_instance(const char *instance, int ttl_ms);

/* lease_acquire, lease_release and lease_ask: the room, then as
 * store_check_instance (release and ask, which take no time, pass 1). */
const char *store_check_lease(const char *room, const char *instance, int ttl_ms);

#endif
