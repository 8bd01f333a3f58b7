/*
 * persist.c: persistent rooms through the storage backend (palaver/store.h).
 * Every change of a persistent room's configuration or subject rewrites its
 * key/value pairs; affiliation and registration changes are written one by
 * one. Temporary rooms never touch storage. At start every stored room is
 * loaded (room_list + room_load); callbacks may run now or later (pgsql), so
 * nothing here assumes either. Keys: the field table's storage keys plus
 * "subject" and "subject_from".
 */
#include "muc_internal.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void done(int status, const char *error, void *ud)
{
    char *what = ud;
    if (status != PV_STORE_OK)
        pv_log(PV_LOG_ERROR, MUC, "storing %s failed: %s", what ? what : "room data",
               error ? error : "unknown error");
    free(what);
}

static char *what(const char *verb, const room_t *r)
{
    size_t n = strlen(verb) + strlen(r->jid) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s %s", verb, r->jid);
    return s;
}

static const pv_store_t *store(void **h)
{
    const pv_store_t *st = pv_store(h);
    if (!st)
        pv_log(PV_LOG_ERROR, MUC, "no storage backend: persistent rooms are not saved");
    return st;
}

static void put_all_affs_regs(room_t *r, const pv_store_t *st, void *h)
{
    size_t n = r->affs.count, i, k = 0;
    if (n) {
        pv_store_aff_t *items = calloc(n, sizeof *items);
        if (!items)
            return;
        for (map_entry_t *e = map_first(&r->affs, &i); e; e = map_next(&r->affs, e, &i)) {
            items[k].jid = e->key;
            items[k].affiliation = aff_name((pv_muc_aff_t)((intptr_t)e->val - 1));
            items[k].reason = room_aff_reason(r, e->key);
            k++;
        }
        st->affs_set(h, r->name, items, k, done, what("affiliations of", r));
        free(items);
    }
    for (map_entry_t *e = map_first(&r->regs, &i); e; e = map_next(&r->regs, e, &i))
        st->reg_set(h, r->name, e->key, e->val, done, what("registration in", r));
    ext_persist_affs(r);
}

void persist_room(room_t *r)
{
    void *h;
    const pv_store_t *st = store(&h);
    if (!st)
        return;
    pv_kv_t kv[CF_COUNT + 2 + EXT_MAX_FIELDS];
    size_t n = 0;
    for (int i = 0; i < CF_COUNT; i++)
        kv[n++] = (pv_kv_t){config_fields[i].key, room_cfg(r, i)};
    if (r->subject)
        kv[n++] = (pv_kv_t){"subject", r->subject};
    if (r->subject_from)
        kv[n++] = (pv_kv_t){"subject_from", r->subject_from};
    n += ext_config_kv(r, kv + n, EXT_MAX_FIELDS);
    st->room_put(h, r->name, kv, n, done, what("configuration of", r));
    if (!r->stored) {
        r->stored = true;
        put_all_affs_regs(r, st, h);
    }
}

void persist_aff(room_t *r, const char *bare, pv_muc_aff_t a)
{
    void *h;
    const pv_store_t *st;
    if (!r->stored || !(st = store(&h)))
        return;
    pv_store_aff_t item = {bare, aff_name(a), NULL};
    st->affs_set(h, r->name, &item, 1, done, what("affiliation in", r));
}

void persist_reg(room_t *r, const char *bare, const char *nick)
{
    void *h;
    const pv_store_t *st;
    if (!r->stored || !(st = store(&h)))
        return;
    st->reg_set(h, r->name, bare, nick, done, what("registration in", r));
}

void persist_delete(room_t *r)
{
    void *h;
    const pv_store_t *st;
    if (!r->stored || !(st = store(&h)))
        return;
    st->room_delete(h, r->name, done, what("deletion of", r));
    r->stored = false;
}

static pv_muc_aff_t aff_from_name(const char *s)
{
    for (int a = PV_MUC_AFF_OUTCAST; a <= PV_MUC_AFF_OWNER; a++)
        if (s && !strcmp(s, aff_name((pv_muc_aff_t)a)))
            return (pv_muc_aff_t)a;
    return PV_MUC_AFF_NONE;
}

static void loaded(int status, const char *error, const pv_store_room_t *sr, void *ud)
{
    (void)ud;
    if (status != PV_STORE_OK || !sr) {
        pv_log(PV_LOG_ERROR, MUC, "loading a stored room failed: %s", error ? error : "not found");
        return;
    }
    if (rooms_get(sr->name))
        return;
    room_t *r = room_new(sr->name);
    if (!r)
        return;
    for (size_t i = 0; i < sr->nconfig; i++) {
        const char *k = sr->config[i].key, *v = sr->config[i].value;
        if (!strcmp(k, "subject"))
            r->subject = xstrdup(v);
        else if (!strcmp(k, "subject_from"))
            r->subject_from = xstrdup(v);
        else
            for (int f = 0; f < CF_COUNT; f++)
                if (!strcmp(config_fields[f].key, k))
                    room_cfg_set(r, f, v);
        ext_config_load(r, k, v);
    }
    for (size_t i = 0; i < sr->naffs; i++) {
        room_aff_set(r, sr->affs[i].jid, aff_from_name(sr->affs[i].affiliation));
        room_aff_reason_set(r, sr->affs[i].jid, sr->affs[i].reason);
        ext_aff_load(r, sr->affs[i].jid, sr->affs[i].affiliation);
    }
    for (size_t i = 0; i < sr->nregs; i++)
        room_reg_set(r, sr->regs[i].jid, sr->regs[i].nick);
    r->stored = true;
    if (rooms_add(r) < 0) {
        room_free(r);
        return;
    }
    pv_muc_room_event_t ev = {.room = r};
    pv_event_fire(ev_room_created, &ev);
}

static void listed(int status, const char *error, const char *const *names, size_t n, void *ud)
{
    (void)ud;
    if (status != PV_STORE_OK) {
        pv_log(PV_LOG_ERROR, MUC, "listing stored rooms failed: %s",
               error ? error : "unknown error");
        return;
    }
    void *h;
    const pv_store_t *st = store(&h);
    for (size_t i = 0; st && i < n; i++)
        st->room_load(h, names[i], loaded, NULL);
    pv_log(PV_LOG_INFO, MUC, "%zu stored rooms", n);
}

int persist_load_all(void)
{
    void *h;
    const pv_store_t *st = pv_store(&h);
    if (!st)
        return -1;
    st->room_list(h, listed, NULL);
    return 0;
}
