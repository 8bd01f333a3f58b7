/*
 * core/arena.h: bump allocator behind every stanza tree.
 *
 * A stanza is built from many tiny allocations (nodes, names, attribute
 * values) that all die together when the router is done with it. An arena
 * makes that one malloc per few KiB and one free per stanza.
 */
#ifndef PV_CORE_ARENA_H
#define PV_CORE_ARENA_H

#include <palaver/xml.h>
#include <stddef.h>

/* New empty arena, or NULL on allocation failure. Free with arena_free. */
pv_arena_t *arena_new(void);
/* New arena whose first chunk holds exactly `first` bytes of allocations
 * (sum of arena_need() of each request), for trees that are built once and
 * kept (a cloned presence): one malloc of the right size. Later requests
 * that do not fit go to small chunks, starting at ARENA_SMALL_CHUNK bytes.
 * NULL on allocation failure. Free with arena_free. */
pv_arena_t *arena_new_sized(size_t first);
#define ARENA_SMALL_CHUNK 512
/* The bytes one arena_alloc/arena_strndup request of n bytes takes
 * (alignment included); for sizing arena_new_sized. */
size_t arena_need(size_t n);
void arena_free(pv_arena_t *a);
/* Zeroed, suitably aligned memory that lives until arena_free; NULL on failure. */
void *arena_alloc(pv_arena_t *a, size_t size);
/* Copies (NUL-terminated) into the arena; NULL on failure or when s is NULL. */
char *arena_strdup(pv_arena_t *a, const char *s);
char *arena_strndup(pv_arena_t *a, const char *s, size_t n);
/* Bytes currently held (for limits and statistics). */
size_t arena_size(const pv_arena_t *a);

#endif
