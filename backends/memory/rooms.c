/*
 * backends/memory/rooms.c: rooms, affiliations and registrations in a hash
 * table of roomdata_t. Each call touches one room (O(1) lookup), never the
 * whole table, except room_list which must name them all and rooms_list,
 * which walks the table for each page (the memory backend holds what one
 * process created; sqlite and pgsql page through an index).
 */
#include <stdlib.h>
#include <string.h>

#include <palaver/log.h>

#include "listing.h"
#include "memory.h"
#include "msglist.h"
#include "roomdata.h"

typedef struct names {
    const char **v;
    size_t n;
} names_t;

static void collect(const char *key, void *val, void *ud)
{
    names_t *nm = ud;
    roomdata_t *r = val;
    nm->v[nm->n++] = r->name ? r->name : key;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void mem_room_list(void *h, pv_store_names_fn cb, void *ud)
{
    mem_store_t *s = h;
    size_t count = pv_map_count(s->rooms);
    names_t nm = {count ? malloc(count * sizeof(char *)) : NULL, 0};
    if (count && !nm.v) {
        pv_log(PV_LOG_ERROR, "memory", "out of memory listing %zu rooms", count);
        cb(PV_STORE_ENOMEM, "out of memory", NULL, 0, ud);
        return;
    }
    pv_map_each(s->rooms, collect, &nm);
    if (nm.n)
        qsort(nm.v, nm.n, sizeof(char *), cmp_names);
    cb(PV_STORE_OK, NULL, nm.v, nm.n, ud);
    free(nm.v);
}

typedef struct page {
    pv_store_room_entry_t *v;
    size_t n;
    long long count; /* rooms matching the flags */
    const char *after;
    unsigned flags;
} page_t;

static void collect_entry(const char *key, void *val, void *ud)
{
    page_t *pg = ud;
    roomdata_t *r = val;
    const char *name = r->name ? r->name : key;
    int pub = config_public(r->config, r->nconfig);
    if ((pg->flags & PV_STORE_LIST_PUBLIC) && !pub)
        return;
    pg->count++;
    if (pg->after && strcmp(name, pg->after) <= 0)
        return;
    pg->v[pg->n++] = (pv_store_room_entry_t){name, config_title(r->config, r->nconfig), pub};
}

void mem_rooms_list(void *h, const char *after, size_t max, unsigned flags, pv_store_entries_fn cb,
                    void *ud)
{
    mem_store_t *s = h;
    size_t total = pv_map_count(s->rooms);
    page_t pg = {total ? malloc(total * sizeof(*pg.v)) : NULL, 0, 0, after, flags};
    if (total && !pg.v) {
        pv_log(PV_LOG_ERROR, "memory", "out of memory listing %zu rooms", total);
        cb(PV_STORE_ENOMEM, "out of memory", NULL, 0, -1, ud);
        return;
    }
    pv_map_each(s->rooms, collect_entry, &pg);
    list_sort_after(pg.v, pg.n, NULL); /* all collected are after `after` */
    size_t n = pg.n < list_max(max) ? pg.n : list_max(max);
    cb(PV_STORE_OK, NULL, pg.v, n, pg.count, ud);
    free(pg.v);
}

void mem_room_load(void *h, const char *name, pv_store_room_fn cb, void *ud)
{
    mem_store_t *s = h;
    roomdata_t *r = pv_map_get(s->rooms, name);
    if (!r) {
        cb(PV_STORE_ENOTFOUND, "no such room", NULL, ud);
        return;
    }
    pv_store_room_t view;
    roomdata_view(r, &view);
    cb(PV_STORE_OK, NULL, &view, ud);
}

void mem_room_put(void *h, const char *name, const pv_kv_t *config, size_t n, pv_store_done_fn cb,
                  void *ud)
{
    mem_store_t *s = h;
    roomdata_t *r = pv_map_get(s->rooms, name), *fresh = NULL;
    if (!r) {
        r = fresh = roomdata_new(name);
        if (!r)
            goto nomem;
    }
    if (roomdata_set_config(r, config, n) < 0)
        goto nomem;
    if (fresh && pv_map_put(s->rooms, name, fresh) < 0)
        goto nomem;
    cb(PV_STORE_OK, NULL, ud);
    return;
nomem:
    roomdata_free(fresh);
    pv_log(PV_LOG_ERROR, "memory", "room %s: out of memory storing its config", name);
    cb(PV_STORE_ENOMEM, "out of memory", ud);
}

void mem_room_delete(void *h, const char *name, pv_store_done_fn cb, void *ud)
{
    mem_store_t *s = h;
    roomdata_t *r = pv_map_del(s->rooms, name);
    if (!r) {
        cb(PV_STORE_ENOTFOUND, "no such room", ud);
        return;
    }
    roomdata_free(r);
    msglist_free(pv_map_del(s->archives, name));
    cb(PV_STORE_OK, NULL, ud);
}

void mem_affs_set(void *h, const char *room, const pv_store_aff_t *items, size_t n,
                  pv_store_done_fn cb, void *ud)
{
    mem_store_t *s = h;
    roomdata_t *r = pv_map_get(s->rooms, room);
    if (!r) {
        cb(PV_STORE_ENOTFOUND, "no such room", ud);
        return;
    }
    if (roomdata_apply_affs(r, items, n) < 0) {
        pv_log(PV_LOG_ERROR, "memory", "room %s: out of memory setting affiliations", room);
        cb(PV_STORE_ENOMEM, "out of memory", ud);
        return;
    }
    cb(PV_STORE_OK, NULL, ud);
}

void mem_reg_set(void *h, const char *room, const char *jid, const char *nick, pv_store_done_fn cb,
                 void *ud)
{
    mem_store_t *s = h;
    roomdata_t *r = pv_map_get(s->rooms, room);
    if (!r) {
        cb(PV_STORE_ENOTFOUND, "no such room", ud);
        return;
    }
    if (roomdata_set_reg(r, jid, nick) < 0) {
        pv_log(PV_LOG_ERROR, "memory", "room %s: out of memory registering %s", room, jid);
        cb(PV_STORE_ENOMEM, "out of memory", ud);
        return;
    }
    cb(PV_STORE_OK, NULL, ud);
}
