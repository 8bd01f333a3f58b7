/*
 * core/map.c: the string-keyed hash table of palaver/map.h, the only one in
 * the tree (muc-core's indexes of rooms and occupants, the backends' tables,
 * the history's rings all use it).
 *
 * Chained buckets, a power of two of them, starting at two (most rooms hold
 * one or two affiliations and no occupant) and doubling at load factor 1;
 * each entry is one allocation with its key at its end, so a lookup touches
 * the bucket and one entry per candidate. When doubling fails for lack of
 * memory the table keeps its buckets and only gets slower.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <palaver/map.h>
#include <palaver/util.h>

#define FIRST_BUCKETS 2
#define MAX_BUCKETS (1u << 30)

void pv_map_init(pv_map_t *m, unsigned flags)
{
    memset(m, 0, sizeof *m);
    m->ci = (flags & PV_MAP_CI) ? 1u : 0u;
}

void pv_map_clear(pv_map_t *m, void (*free_val)(void *))
{
    for (size_t i = 0; i < m->nbuckets; i++) {
        pv_map_entry_t *e = m->buckets[i];
        while (e) {
            pv_map_entry_t *n = e->next;
            if (free_val)
                free_val(e->val);
            free(e);
            e = n;
        }
    }
    free(m->buckets);
    m->buckets = NULL;
    m->nbuckets = 0;
    m->count = 0;
}

pv_map_t *pv_map_new(unsigned flags)
{
    pv_map_t *m = malloc(sizeof *m);
    if (m)
        pv_map_init(m, flags);
    return m;
}

void pv_map_free(pv_map_t *m, void (*free_val)(void *))
{
    if (!m)
        return;
    pv_map_clear(m, free_val);
    free(m);
}

static size_t slot(const pv_map_t *m, const char *key)
{
    uint32_t h = m->ci ? pv_hash_str_ci(key) : pv_hash_str(key);
    return h & (m->nbuckets - 1);
}

static int same(const pv_map_t *m, const char *a, const char *b)
{
    return m->ci ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

/* The entry holding key, or NULL. */
static pv_map_entry_t *find(const pv_map_t *m, const char *key)
{
    if (!m->buckets || !key)
        return NULL;
    for (pv_map_entry_t *e = m->buckets[slot(m, key)]; e; e = e->next)
        if (same(m, e->key, key))
            return e;
    return NULL;
}

/* Doubles the buckets (or makes the first ones). -1 when there are none
 * and none could be made; a failed doubling leaves the table as it was. */
static int grow(pv_map_t *m)
{
    size_t nb = m->nbuckets ? (size_t)m->nbuckets * 2 : FIRST_BUCKETS;
    pv_map_entry_t **b = nb <= MAX_BUCKETS ? calloc(nb, sizeof *b) : NULL;
    if (!b)
        return m->buckets ? 0 : -1;
    pv_map_entry_t **old = m->buckets;
    size_t oldn = m->nbuckets;
    m->buckets = b;
    m->nbuckets = (unsigned)nb;
    for (size_t i = 0; i < oldn; i++) {
        pv_map_entry_t *e = old[i];
        while (e) {
            pv_map_entry_t *n = e->next;
            size_t s = slot(m, e->key);
            e->next = b[s];
            b[s] = e;
            e = n;
        }
    }
    free(old);
    return 0;
}

void *pv_map_get(const pv_map_t *m, const char *key)
{
    pv_map_entry_t *e = find(m, key);
    return e ? e->val : NULL;
}

int pv_map_put(pv_map_t *m, const char *key, void *val)
{
    pv_map_entry_t *e = find(m, key);
    if (e) {
        e->val = val;
        return 0;
    }
    if (!key)
        return -1;
    size_t kl = strlen(key) + 1;
    e = malloc(sizeof *e + kl);
    if (!e)
        return -1;
    if (m->count >= m->nbuckets && grow(m) < 0) {
        free(e);
        return -1;
    }
    memcpy(e->key, key, kl);
    e->val = val;
    size_t s = slot(m, key);
    e->next = m->buckets[s];
    m->buckets[s] = e;
    m->count++;
    return 0;
}

void *pv_map_del(pv_map_t *m, const char *key)
{
    if (!m->buckets || !key)
        return NULL;
    for (pv_map_entry_t **pp = &m->buckets[slot(m, key)]; *pp; pp = &(*pp)->next) {
        if (same(m, (*pp)->key, key)) {
            pv_map_entry_t *e = *pp;
            void *v = e->val;
            *pp = e->next;
            free(e);
            m->count--;
            return v;
        }
    }
    return NULL;
}

size_t pv_map_count(const pv_map_t *m)
{
    return m->count;
}

/* The first entry of bucket *i or a later one (*i moves to it), or NULL. */
static pv_map_entry_t *from_bucket(const pv_map_t *m, size_t *i)
{
    for (; *i < m->nbuckets; (*i)++)
        if (m->buckets[*i])
            return m->buckets[*i];
    return NULL;
}

pv_map_entry_t *pv_map_first(const pv_map_t *m, size_t *i)
{
    *i = 0;
    return from_bucket(m, i);
}

pv_map_entry_t *pv_map_next(const pv_map_t *m, const pv_map_entry_t *e, size_t *i)
{
    if (e->next)
        return e->next;
    (*i)++;
    return from_bucket(m, i);
}

const char *pv_map_key(const pv_map_entry_t *e)
{
    return e->key;
}

void pv_map_each(const pv_map_t *m, void (*fn)(const char *key, void *val, void *ud), void *ud)
{
    size_t i;
    for (pv_map_entry_t *e = pv_map_first(m, &i); e; e = pv_map_next(m, e, &i))
        fn(e->key, e->val, ud);
}
