/*
 * backends/common/strmap.h: a string-keyed hash table shared by the
 * in-process backends (memory rooms, per-room archive id indexes, the spool's
 * caches). Lookups, inserts and removals are O(1) on average, so no storage
 * operation needs to walk every room.
 *
 * Ownership: the map copies keys and frees its copies; values belong to the
 * caller, except that strmap_free() passes each remaining value to free_val
 * (when not NULL).
 */
#ifndef PV_BACKENDS_STRMAP_H
#define PV_BACKENDS_STRMAP_H

#include <stddef.h>

typedef struct strmap strmap_t;

/* New empty map, or NULL on allocation failure. Free with strmap_free. */
strmap_t *strmap_new(void);

/* Frees the map and its keys; calls free_val on every value when not NULL. */
void strmap_free(strmap_t *m, void (*free_val)(void *));

/* The value stored under key, or NULL. */
void *strmap_get(const strmap_t *m, const char *key);

/* Stores val under key (replacing any earlier value, which is not freed).
 * Returns 0, or -1 on allocation failure (the map is unchanged). */
int strmap_put(strmap_t *m, const char *key, void *val);

/* Removes key and returns its value (NULL when absent). */
void *strmap_remove(strmap_t *m, const char *key);

/* Number of entries. */
size_t strmap_count(const strmap_t *m);

/* Calls fn for every entry (unspecified order). fn must not modify the map. */
void strmap_each(const strmap_t *m, void (*fn)(const char *key, void *val, void *ud), void *ud);

#endif
