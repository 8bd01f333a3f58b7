/*
 * backends/common/strmap.c: separate-chaining hash table with string keys.
 *
 * Buckets are a power of two and grow when the load passes 3/4, so every
 * operation stays O(1) on average. FNV-1a is plenty for room names and
 * message ids, which are not chosen to collide (and the worst case is only
 * slower, never wrong).
 */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char *key;
    void *val;
    uint32_t hash;
    struct entry *next;
} entry_t;

struct strmap {
    entry_t **buckets;
    size_t nbuckets; /* power of two */
    size_t count;
};

static uint32_t hash_key(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

strmap_t *strmap_new(void)
{
    strmap_t *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->nbuckets = 16;
    m->buckets = calloc(m->nbuckets, sizeof(*m->buckets));
    if (!m->buckets) {
        free(m);
        return NULL;
    }
    return m;
}

void strmap_free(strmap_t *m, void (*free_val)(void *))
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nbuckets; i++) {
        entry_t *e = m->buckets[i];
        while (e) {
            entry_t *next = e->next;
            if (free_val)
                free_val(e->val);
            free(e->key);
            free(e);
            e = next;
        }
    }
    free(m->buckets);
    free(m);
}

static entry_t **find_slot(const strmap_t *m, const char *key, uint32_t h)
{
    entry_t **pe = &m->buckets[h & (m->nbuckets - 1)];
    while (*pe && ((*pe)->hash != h || strcmp((*pe)->key, key) != 0))
        pe = &(*pe)->next;
    return pe;
}

void *strmap_get(const strmap_t *m, const char *key)
{
    entry_t *e = *find_slot(m, key, hash_key(key));
    return e ? e->val : NULL;
}

/* Doubles the bucket array; on allocation failure the map keeps working,
 * only with longer chains. */
static void grow(strmap_t *m)
{
    size_t n = m->nbuckets * 2;
    entry_t **b = calloc(n, sizeof(*b));
    if (!b)
        return;
    for (size_t i = 0; i < m->nbuckets; i++) {
        entry_t *e = m->buckets[i];
        while (e) {
            entry_t *next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = n;
}

int strmap_put(strmap_t *m, const char *key, void *val)
{
    uint32_t h = hash_key(key);
    entry_t **pe = find_slot(m, key, h);
    if (*pe) {
        (*pe)->val = val;
        return 0;
    }
    entry_t *e = malloc(sizeof(*e));
    if (!e)
        return -1;
    e->key = strdup(key);
    if (!e->key) {
        free(e);
        return -1;
    }
    e->val = val;
    e->hash = h;
    e->next = NULL;
    *pe = e;
    m->count++;
    if (m->count * 4 > m->nbuckets * 3)
        grow(m);
    return 0;
}

void *strmap_remove(strmap_t *m, const char *key)
{
    entry_t **pe = find_slot(m, key, hash_key(key));
    entry_t *e = *pe;
    if (!e)
        return NULL;
    void *val = e->val;
    *pe = e->next;
    free(e->key);
    free(e);
    m->count--;
    return val;
}

size_t strmap_count(const strmap_t *m)
{
    return m->count;
}

void strmap_each(const strmap_t *m, void (*fn)(const char *key, void *val, void *ud), void *ud)
{
    for (size_t i = 0; i < m->nbuckets; i++)
        for (entry_t *e = m->buckets[i]; e; e = e->next)
            fn(e->key, e->val, ud);
}
