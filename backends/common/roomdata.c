/*
 * backends/common/roomdata.c: in-memory room records (see roomdata.h).
 *
 * Entries are small arrays searched linearly: a room holds at most a few
 * thousand affiliations, and every operation touches one room only. To make
 * affs_set all-or-nothing without a transaction log, it builds a complete new
 * affiliation array and swaps it in only when every allocation succeeded.
 */
#include "roomdata.h"

#include <stdlib.h>
#include <string.h>

char *store_strdup(const char *s, int *ok)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *ok = 0;
    return d;
}

static void free_kvs(pv_kv_t *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)kv[i].key);
        free((char *)kv[i].value);
    }
    free(kv);
}

static void free_affs(pv_store_aff_t *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)a[i].jid);
        free((char *)a[i].affiliation);
        free((char *)a[i].reason);
    }
    free(a);
}

static void free_regs(pv_store_reg_t *g, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)g[i].jid);
        free((char *)g[i].nick);
    }
    free(g);
}

roomdata_t *roomdata_new(const char *name)
{
    roomdata_t *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->name = strdup(name);
    if (!r->name) {
        free(r);
        return NULL;
    }
    return r;
}

void roomdata_free(roomdata_t *r)
{
    if (!r)
        return;
    free_kvs(r->config, r->nconfig);
    free_affs(r->affs, r->naffs);
    free_regs(r->regs, r->nregs);
    free(r->name);
    free(r);
}

int roomdata_set_config(roomdata_t *r, const pv_kv_t *config, size_t n)
{
    pv_kv_t *kv = n ? calloc(n, sizeof(*kv)) : NULL;
    if (n && !kv)
        return -1;
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        kv[i].key = store_strdup(config[i].key, &ok);
        kv[i].value = store_strdup(config[i].value, &ok);
    }
    if (!ok) {
        free_kvs(kv, n);
        return -1;
    }
    free_kvs(r->config, r->nconfig);
    r->config = kv;
    r->nconfig = n;
    return 0;
}

static size_t find_aff(const pv_store_aff_t *a, size_t n, const char *jid)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i].jid, jid) == 0)
            return i;
    return n;
}

int roomdata_apply_affs(roomdata_t *r, const pv_store_aff_t *items, size_t n)
{
    size_t cap = r->naffs + n, cnt = r->naffs;
    pv_store_aff_t *a = cap ? calloc(cap, sizeof(*a)) : NULL;
    if (cap && !a)
        return -1;
    int ok = 1;
    for (size_t i = 0; i < r->naffs; i++) {
        a[i].jid = store_strdup(r->affs[i].jid, &ok);
        a[i].affiliation = store_strdup(r->affs[i].affiliation, &ok);
        a[i].reason = store_strdup(r->affs[i].reason, &ok);
    }
    for (size_t i = 0; ok && i < n; i++) {
        size_t at = find_aff(a, cnt, items[i].jid);
        if (strcmp(items[i].affiliation, "none") == 0) {
            if (at == cnt)
                continue;
            free((char *)a[at].jid);
            free((char *)a[at].affiliation);
            free((char *)a[at].reason);
            a[at] = a[--cnt]; /* order of affiliations carries no meaning */
            continue;
        }
        if (at == cnt) {
            a[cnt].jid = store_strdup(items[i].jid, &ok);
            a[cnt].affiliation = NULL;
            a[cnt].reason = NULL;
            cnt++;
        }
        free((char *)a[at].affiliation);
        free((char *)a[at].reason);
        a[at].affiliation = store_strdup(items[i].affiliation, &ok);
        a[at].reason = store_strdup(items[i].reason, &ok);
    }
    if (!ok) {
        free_affs(a, cnt);
        return -1;
    }
    free_affs(r->affs, r->naffs);
    r->affs = a;
    r->naffs = cnt;
    return 0;
}

int roomdata_set_reg(roomdata_t *r, const char *jid, const char *nick)
{
    size_t at = 0;
    while (at < r->nregs && strcmp(r->regs[at].jid, jid) != 0)
        at++;
    if (!nick) {
        if (at == r->nregs)
            return 0;
        free((char *)r->regs[at].jid);
        free((char *)r->regs[at].nick);
        r->regs[at] = r->regs[--r->nregs];
        return 0;
    }
    char *n = strdup(nick);
    if (!n)
        return -1;
    if (at < r->nregs) {
        free((char *)r->regs[at].nick);
        r->regs[at].nick = n;
        return 0;
    }
    if (roomdata_add_reg(r, jid, n) < 0) {
        free(n);
        return -1;
    }
    free(n);
    return 0;
}

/* Grows *arr (of elements of size sz, n used) by one slot. 0 or -1. */
static int grow_one(void **arr, size_t n, size_t sz)
{
    void *p = realloc(*arr, (n + 1) * sz);
    if (!p)
        return -1;
    *arr = p;
    return 0;
}

int roomdata_add_config(roomdata_t *r, const char *key, const char *value)
{
    int ok = 1;
    char *k = store_strdup(key, &ok), *v = store_strdup(value, &ok);
    if (!ok || grow_one((void **)&r->config, r->nconfig, sizeof(*r->config)) < 0) {
        free(k);
        free(v);
        return -1;
    }
    r->config[r->nconfig].key = k;
    r->config[r->nconfig].value = v;
    r->nconfig++;
    return 0;
}

int roomdata_add_aff(roomdata_t *r, const char *jid, const char *aff, const char *reason)
{
    int ok = 1;
    char *j = store_strdup(jid, &ok), *a = store_strdup(aff, &ok), *re = store_strdup(reason, &ok);
    if (!ok || grow_one((void **)&r->affs, r->naffs, sizeof(*r->affs)) < 0) {
        free(j);
        free(a);
        free(re);
        return -1;
    }
    r->affs[r->naffs].jid = j;
    r->affs[r->naffs].affiliation = a;
    r->affs[r->naffs].reason = re;
    r->naffs++;
    return 0;
}

int roomdata_add_reg(roomdata_t *r, const char *jid, const char *nick)
{
    int ok = 1;
    char *j = store_strdup(jid, &ok), *n = store_strdup(nick, &ok);
    if (!ok || grow_one((void **)&r->regs, r->nregs, sizeof(*r->regs)) < 0) {
        free(j);
        free(n);
        return -1;
    }
    r->regs[r->nregs].jid = j;
    r->regs[r->nregs].nick = n;
    r->nregs++;
    return 0;
}

void roomdata_view(const roomdata_t *r, pv_store_room_t *out)
{
    out->name = r->name;
    out->config = r->config;
    out->nconfig = r->nconfig;
    out->affs = r->affs;
    out->naffs = r->naffs;
    out->regs = r->regs;
    out->nregs = r->nregs;
}
