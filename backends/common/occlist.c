/*
 * backends/common/occlist.c: a room's occupant records in put order (see
 * occlist.h).
 */
#include "occlist.h"

#include <stdlib.h>
#include <string.h>

occlist_t *occlist_new(void)
{
    return calloc(1, sizeof(occlist_t));
}

void occlist_free(occlist_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free((char *)l->v[i].key);
        free((char *)l->v[i].value);
    }
    free(l->v);
    free(l);
}

static size_t find(const occlist_t *l, const char *nick)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].key, nick) == 0)
            return i;
    return l->n;
}

static void remove_at(occlist_t *l, size_t i)
{
    free((char *)l->v[i].key);
    free((char *)l->v[i].value);
    memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(l->v[0]));
    l->n--;
}

int occlist_put(occlist_t *l, const char *nick, const char *data)
{
    size_t i = find(l, nick);
    if (!data) {
        if (i < l->n)
            remove_at(l, i);
        return 0;
    }
    char *d = strdup(data);
    if (!d)
        return -1;
    if (i < l->n) {
        free((char *)l->v[i].value);
        l->v[i].value = d;
        return 0;
    }
    char *k = strdup(nick);
    if (k && l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        pv_kv_t *v = realloc(l->v, cap * sizeof(*v));
        if (v) {
            l->v = v;
            l->cap = cap;
        }
    }
    if (!k || l->n == l->cap) {
        free(k);
        free(d);
        return -1;
    }
    l->v[l->n++] = (pv_kv_t){k, d};
    return 0;
}
