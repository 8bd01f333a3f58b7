/*
 * palaver/map.h: the one string-keyed hash table of Palaver, for the core,
 * plugins and backends alike (rooms by name, occupants by nick or JID,
 * archives by room, history rings by room...).
 *
 * Separate chaining over a power-of-two bucket array that doubles when the
 * table holds as many entries as buckets, so lookups, inserts and removals
 * stay O(1) on average whatever the size; it never shrinks. Hashing is
 * FNV-1a (pv_hash_str, or pv_hash_str_ci for a case-insensitive table):
 * keys are names and ids nobody chooses to collide, and the worst case is
 * only slower, never wrong.
 *
 * Memory: a pv_map_t is 16 bytes and can be embedded in its owner; nothing
 * is allocated until the first put (a zeroed pv_map_t is an empty
 * case-sensitive table, as after pv_map_init(m, 0)). Each entry is one
 * allocation holding its key: the table copies keys and frees its copies.
 * Values are the caller's: the table never frees one, except through the
 * free_val callback given to pv_map_clear or pv_map_free.
 *
 * The fields below are shown so that a table can be embedded; read them
 * only through these functions (count: pv_map_count). Not thread-safe (the
 * daemon is single-threaded).
 */
#ifndef PALAVER_MAP_H
#define PALAVER_MAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One entry: its value and, in C, its key (NUL-terminated, in the entry's
 * own allocation; C++ callers use pv_map_key). Both stay valid until the
 * entry is removed or the table cleared. */
typedef struct pv_map_entry {
    void *val;
    struct pv_map_entry *next; /* private: the bucket's chain */
#ifndef __cplusplus
    char key[];
#endif
} pv_map_entry_t;

typedef struct pv_map {
    pv_map_entry_t **buckets; /* nbuckets (a power of two) of them, NULL while never used */
    uint32_t count;           /* entries */
    unsigned nbuckets : 31;
    unsigned ci : 1; /* keys compared ASCII case-insensitively */
} pv_map_t;

/* pv_map_init / pv_map_new flags. */
#define PV_MAP_CI 1u /* keys compared ASCII case-insensitively ("Alice" is "alice") */

/* Makes *m an empty table (allocates nothing). flags: 0 or PV_MAP_CI. */
void pv_map_init(pv_map_t *m, unsigned flags);

/* Removes every entry, calling free_val on each value when free_val is not
 * NULL, and frees the buckets: *m is then empty, as after pv_map_init with
 * its flags, and may be used again. */
void pv_map_clear(pv_map_t *m, void (*free_val)(void *));

/* A new empty table on the heap (flags as pv_map_init), or NULL when out of
 * memory. Free it with pv_map_free. */
pv_map_t *pv_map_new(unsigned flags);

/* pv_map_clear, then frees m itself. m may be NULL. */
void pv_map_free(pv_map_t *m, void (*free_val)(void *));

/* The value stored under key, or NULL (also for a NULL key). */
void *pv_map_get(const pv_map_t *m, const char *key);

/* Stores val under key, replacing (not freeing) the value already there.
 * The key is copied. Returns 0, or -1 when out of memory (the table is then
 * unchanged). */
int pv_map_put(pv_map_t *m, const char *key, void *val);

/* Removes key and returns its value (NULL when absent or key is NULL). */
void *pv_map_del(pv_map_t *m, const char *key);

/* The number of entries. */
size_t pv_map_count(const pv_map_t *m);

/* Iteration, in no particular order:
 *     size_t i;
 *     for (pv_map_entry_t *e = pv_map_first(m, &i); e; e = pv_map_next(m, e, &i))
 * i is the iteration's cursor. The table must not gain entries meanwhile (a
 * put may move every entry). To remove entries while iterating, take the
 * next entry first, then remove the current one:
 *     for (e = pv_map_first(m, &i); e; e = next) {
 *         next = pv_map_next(m, e, &i);
 *         pv_map_del(m, pv_map_key(e));
 *     }
 * (removing any other entry than the current one is not allowed). */
pv_map_entry_t *pv_map_first(const pv_map_t *m, size_t *i);
pv_map_entry_t *pv_map_next(const pv_map_t *m, const pv_map_entry_t *e, size_t *i);

/* An entry's key (the table's copy). */
const char *pv_map_key(const pv_map_entry_t *e);

/* Calls fn(key, value, ud) for every entry, in no particular order. fn must
 * not change the table. */
void pv_map_each(const pv_map_t *m, void (*fn)(const char *key, void *val, void *ud), void *ud);

#ifdef __cplusplus
}
#endif
#endif
