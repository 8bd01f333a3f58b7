/*
 * backends/common/listing.h: what rooms_list needs from a room's config
 * (its public flag and display name, palaver/store.h PV_STORE_KEY_*), and
 * the page rules for backends that walk all their rooms (memory, spool):
 * sort candidates by name, keep those after `after`, cut at `max`.
 */
#ifndef PV_BACKENDS_LISTING_H
#define PV_BACKENDS_LISTING_H

#include <palaver/store.h>

/* Default page size when rooms_list gets max 0. */
#define LIST_DEFAULT_MAX 100

/* The value of the last pair with this key, or NULL. */
const char *config_value(const pv_kv_t *config, size_t n, const char *key);
/* Nonzero when the room is stored as public (PV_STORE_KEY_PUBLIC is "1"). */
int config_public(const pv_kv_t *config, size_t n);
/* The display name (PV_STORE_KEY_TITLE), NULL when absent or empty. */
const char *config_title(const pv_kv_t *config, size_t n);

/* The effective page size. */
size_t list_max(size_t max);

/* Sorts v[0..n) by name (strcmp order) and returns the index of the first
 * entry strictly after `after` (0 for NULL). */
size_t list_sort_after(pv_store_room_entry_t *v, size_t n, const char *after);

#endif
