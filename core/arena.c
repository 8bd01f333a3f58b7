/*
 * core/arena.c: the bump allocator behind every stanza tree.
 *
 * A stanza is dozens of tiny allocations (nodes, names, attribute values)
 * that all die together once the router is done with it. The arena hands
 * them out from a few chunks: the first chunk lives in the same malloc as
 * the arena header, so a small stanza costs one malloc and one free. Later
 * chunks double in size (up to CHUNK_MAX); a request larger than a quarter
 * of a chunk gets a chunk of its own, linked behind the current one so the
 * free space of the current chunk is not wasted. A tree that is kept for a
 * long time (a cloned presence) gets an arena sized to fit it exactly
 * (arena_new_sized), so it does not hold a mostly empty 2 KiB chunk.
 *
 * Ownership: arena_new() returns an arena the caller frees with arena_free();
 * every pointer handed out dies with it. Nothing is freed one by one.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define ALIGN ((size_t) _Alignof(max_align_t))
#define FIRST_CHUNK 2048
#define CHUNK_MAX (64 * 1024)

struct chunk {
    struct chunk *next;
    size_t cap; /* usable bytes after the (aligned) header */
    size_t used;
};

struct pv_arena {
    struct chunk *head; /* chunk currently being filled */
    size_t total;       /* bytes held, headers included */
    size_t next_cap;    /* capacity of the next ordinary chunk */
};

static size_t round_up(size_t n)
{
    return (n + ALIGN - 1) & ~(ALIGN - 1);
}

#define ARENA_HDR round_up(sizeof(struct pv_arena))
#define CHUNK_HDR round_up(sizeof(struct chunk))

static char *chunk_data(struct chunk *c)
{
    return (char *)c + CHUNK_HDR;
}

size_t arena_need(size_t n)
{
    return round_up(n ? n : 1);
}

/* The arena header and its first chunk in one malloc. */
static pv_arena_t *arena_make(size_t first, size_t next_cap)
{
    if (first > SIZE_MAX / 2)
        return NULL;
    first = round_up(first);
    char *mem = malloc(ARENA_HDR + CHUNK_HDR + first);
    if (!mem)
        return NULL;
    pv_arena_t *a = (pv_arena_t *)mem;
    struct chunk *c = (struct chunk *)(mem + ARENA_HDR);
    c->next = NULL;
    c->cap = first;
    c->used = 0;
    a->head = c;
    a->total = ARENA_HDR + CHUNK_HDR + first;
    a->next_cap = next_cap;
    return a;
}

pv_arena_t *arena_new(void)
{
    return arena_make(FIRST_CHUNK, 2 * FIRST_CHUNK);
}

pv_arena_t *arena_new_sized(size_t first)
{
    return arena_make(first, ARENA_SMALL_CHUNK);
}

void arena_free(pv_arena_t *a)
{
    if (!a)
        return;
    struct chunk *embedded = (struct chunk *)((char *)a + ARENA_HDR);
    struct chunk *c = a->head;
    while (c) {
        struct chunk *next = c->next;
        if (c != embedded)
            free(c);
        c = next;
    }
    free(a);
}

static struct chunk *chunk_new(size_t cap)
{
    if (cap > SIZE_MAX - CHUNK_HDR)
        return NULL;
    struct chunk *c = malloc(CHUNK_HDR + cap);
    if (!c)
        return NULL;
    c->next = NULL;
    c->cap = cap;
    c->used = 0;
    return c;
}

/* Uninitialised memory; the public entry points zero or fill it. */
static void *alloc_raw(pv_arena_t *a, size_t size)
{
    if (!a || size > SIZE_MAX / 2)
        return NULL;
    size = round_up(size ? size : 1);
    struct chunk *c = a->head;
    if (c->cap - c->used >= size) {
        void *p = chunk_data(c) + c->used;
        c->used += size;
        return p;
    }
    if (size > a->next_cap / 4) {
        /* Big request: its own chunk, behind the current one. */
        struct chunk *big = chunk_new(size);
        if (!big)
            return NULL;
        big->used = size;
        big->next = c->next;
        c->next = big;
        a->total += CHUNK_HDR + size;
        return chunk_data(big);
    }
    struct chunk *n = chunk_new(a->next_cap);
    if (!n)
        return NULL;
    a->total += CHUNK_HDR + n->cap;
    if (a->next_cap < CHUNK_MAX)
        a->next_cap *= 2;
    n->next = c;
    a->head = n;
    n->used = size;
    return chunk_data(n);
}

void *arena_alloc(pv_arena_t *a, size_t size)
{
    void *p = alloc_raw(a, size);
    if (p)
        memset(p, 0, size);
    return p;
}

char *arena_strndup(pv_arena_t *a, const char *s, size_t n)
{
    if (!s || n == SIZE_MAX)
        return NULL;
    char *p = alloc_raw(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(pv_arena_t *a, const char *s)
{
    if (!s)
        return NULL;
    return arena_strndup(a, s, strlen(s));
}

size_t arena_size(const pv_arena_t *a)
{
    return a ? a->total : 0;
}
