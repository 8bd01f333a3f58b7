/*
 * map.c: a small chained hash table with string keys, the index behind rooms
 * by name and occupants by nick / bare JID / full JID. Keys are copied into
 * their entry (one malloc per entry); values are borrowed (the caller owns
 * them). Starts at two buckets and grows at load factor 1, so a room with
 * one owner costs little and lookups stay O(1) whatever the number of rooms
 * or occupants.
 */
#include "muc_internal.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void map_init(map_t *m, bool ci)
{
    memset(m, 0, sizeof *m);
    m->ci = ci ? 1u : 0u;
}

void map_clear(map_t *m)
{
    size_t nb = m->nbuckets;
    for (size_t i = 0; i < nb; i++) {
        map_entry_t *e = m->buckets[i];
        while (e) {
            map_entry_t *n = e->next;
            free(e);
            e = n;
        }
    }
    free(m->buckets);
    m->buckets = NULL;
    m->nbuckets = 0;
    m->count = 0;
}

static size_t slot(const map_t *m, const char *key)
{
    uint32_t h = m->ci ? pv_hash_str_ci(key) : pv_hash_str(key);
    return h & (m->nbuckets - 1);
}

static bool same(const map_t *m, const char *a, const char *b)
{
    return m->ci ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

/* Starts at MAP_FIRST_BUCKETS buckets (most rooms hold one or two affiliations and
 * no occupant) and doubles. */
#define MAP_FIRST_BUCKETS 2
#define MAP_MAX_BUCKETS (1u << 30)
static int grow(map_t *m)
{
    size_t nb = m->nbuckets ? (size_t)m->nbuckets * 2 : MAP_FIRST_BUCKETS;
    if (nb > MAP_MAX_BUCKETS)
        return -1;
    map_entry_t **b = calloc(nb, sizeof *b);
    if (!b)
        return -1;
    map_entry_t **old = m->buckets;
    size_t oldn = m->nbuckets;
    m->buckets = b;
    m->nbuckets = (unsigned)nb;
    for (size_t i = 0; i < oldn; i++) {
        map_entry_t *e = old[i];
        while (e) {
            map_entry_t *n = e->next;
            size_t s = slot(m, e->key);
            e->next = b[s];
            b[s] = e;
            e = n;
        }
    }
    free(old);
    return 0;
}

void *map_get(const map_t *m, const char *key)
{
    if (!m->buckets || !key)
        return NULL;
    for (map_entry_t *e = m->buckets[slot(m, key)]; e; e = e->next)
        if (same(m, e->key, key))
            return e->val;
    return NULL;
}

int map_put(map_t *m, const char *key, void *val)
{
    if (m->buckets) {
        for (map_entry_t *e = m->buckets[slot(m, key)]; e; e = e->next)
            if (same(m, e->key, key)) {
                e->val = val;
                return 0;
            }
    }
    if (m->count >= m->nbuckets && grow(m) < 0)
        return -1;
    size_t kl = strlen(key) + 1;
    map_entry_t *e = malloc(sizeof *e + kl); /* the key lives in the entry */
    if (!e)
        return -1;
    memcpy(e->key, key, kl);
    e->val = val;
    size_t s = slot(m, key);
    e->next = m->buckets[s];
    m->buckets[s] = e;
    m->count++;
    return 0;
}

void *map_del(map_t *m, const char *key)
{
    if (!m->buckets || !key)
        return NULL;
    map_entry_t **pp = &m->buckets[slot(m, key)];
    for (; *pp; pp = &(*pp)->next) {
        if (same(m, (*pp)->key, key)) {
            map_entry_t *e = *pp;
            void *v = e->val;
            *pp = e->next;
            free(e);
            m->count--;
            return v;
        }
    }
    return NULL;
}

map_entry_t *map_first(const map_t *m, size_t *i)
{
    size_t nb = m->nbuckets;
    for (*i = 0; *i < nb; (*i)++)
        if (m->buckets[*i])
            return m->buckets[*i];
    return NULL;
}

map_entry_t *map_next(const map_t *m, map_entry_t *e, size_t *i)
{
    if (e->next)
        return e->next;
    size_t nb = m->nbuckets;
    for ((*i)++; *i < nb; (*i)++)
        if (m->buckets[*i])
            return m->buckets[*i];
    return NULL;
}

char *xstrdup(const char *s)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        pv_log(PV_LOG_ERROR, MUC, "out of memory copying a string of %zu bytes", strlen(s));
    return d;
}

/* ---- nick keys ----
 * Nicks are compared case-insensitively after resourceprep, for every script:
 * the key is the nick's nameprep form (Unicode case folding and NFKC, so
 * "Ａlice" and "alice" collide too), or the nick itself when nameprep refuses
 * it; the map then also folds ASCII case. */

static char *nick_key(const char *nick)
{
    char *k = pv_nameprep(nick);
    return k ? k : xstrdup(nick);
}

void *map_get_nick(const map_t *m, const char *nick)
{
    char *k = nick ? nick_key(nick) : NULL;
    void *v = k ? map_get(m, k) : NULL;
    free(k);
    return v;
}

int map_put_nick(map_t *m, const char *nick, void *val)
{
    char *k = nick_key(nick);
    int rc = k ? map_put(m, k, val) : -1;
    free(k);
    return rc;
}

void *map_del_nick(map_t *m, const char *nick)
{
    char *k = nick_key(nick);
    void *v = k ? map_del(m, k) : NULL;
    free(k);
    return v;
}

bool nick_equal(const char *a, const char *b)
{
    char *ka = nick_key(a), *kb = nick_key(b);
    bool eq = ka && kb && strcasecmp(ka, kb) == 0;
    free(ka);
    free(kb);
    return eq;
}
