/*
 * persist.c: persistent rooms through the storage backend (palaver/store.h).
 * Changes are stored before they are applied: a chain of writes (room_put of
 * the whole config, reg_set, then one affs_set) runs step by step, each
 * after the backend said yes, and the caller's callback learns whether all
 * succeeded; a failing step is logged, stops the chain and puts back the
 * config (or nick) an earlier step wrote. Temporary rooms never touch
 * storage. Stored rooms are loaded on first use: room_load.c reads the row
 * and persist_room_from_store builds the room. Callbacks may run now or
 * later (pgsql), so nothing here assumes either; a room with writes in
 * flight is pinned (never unloaded meanwhile). Keys: the field
 * table's storage keys plus "subject" and "subject_from", OWNERS_KEY,
 * OFFLINE_KEY, and other plugins' keys (extensions.c), such as the
 * registration requests awaiting approval (the registration-approval
 * plugin's x-palaver#registration_pending).
 *
 * OWNERS_KEY (Palaver-private, never shown in a form, disco or roominfo: it
 * is kept out of the room's options) holds the room's owners, space
 * separated, as they were at the room_put. It closes the crash window of a
 * room's first store (room_put, then reg_set and affs_set): a room stored
 * without any owner affiliation gets these owners back when loaded, and
 * they are written back through affs_set once it is in memory.
 */
#include "muc_internal.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const pv_store_t *store(void **h)
{
    const pv_store_t *st = pv_store(h);
    if (!st)
        pv_log(PV_LOG_ERROR, MUC, "no storage backend: persistent rooms are not saved");
    return st;
}

#define OWNERS_KEY "x-palaver#owners"

/* The keys stored with a room that are not a configuration row's: no row
 * may take them (extensions.c). Keep in step when kv_build stores a new one. */
bool persist_room_key(const char *k)
{
    static const char *const keys[] = {"subject", "subject_from", "FORM_TYPE", OWNERS_KEY,
                                       OFFLINE_KEY};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (!strcmp(keys[i], k))
            return true;
    return false;
}

/* ---- write chains: store first, answer when the backend said yes ---- */

typedef struct chain {
    char *room;   /* node */
    char *jid;    /* room JID, for the log */
    pv_kv_t *cfg; /* NULL: no room_put */
    size_t ncfg;
    pv_kv_t *old_cfg; /* the stored config before, to put back when a later step fails */
    size_t nold;
    bool undo_reg; /* persist_changes: regs[0] replaced old_nick (NULL: none) */
    char *old_nick;
    pv_store_aff_t *affs;
    size_t naffs;
    pv_store_reg_t *regs;
    size_t nregs;
    bool del;         /* room_delete instead of everything else */
    size_t step;      /* 0 room_put/delete, 1+i reg_set i, 1+nregs affs_set */
    bool first_store; /* the room was not stored: also its extra affiliations */
    bool pinned;      /* room_pin'd by chain_new: unpinned when freed */
    persist_cb cb;
    void *ud;
} chain_t;

static void kv_free(pv_kv_t *kv, size_t n)
{
    for (size_t i = 0; kv && i < n; i++) {
        free((char *)kv[i].key);
        free((char *)kv[i].value);
    }
    free(kv);
}

static void chain_free(chain_t *c)
{
    if (c->pinned && c->room && muc)
        room_unpin(c->room);
    kv_free(c->cfg, c->ncfg);
    kv_free(c->old_cfg, c->nold);
    free(c->old_nick);
    for (size_t i = 0; c->affs && i < c->naffs; i++) {
        free((char *)c->affs[i].jid);
        free((char *)c->affs[i].affiliation);
        free((char *)c->affs[i].reason);
    }
    for (size_t i = 0; c->regs && i < c->nregs; i++) {
        free((char *)c->regs[i].jid);
        free((char *)c->regs[i].nick);
    }
    free(c->affs);
    free(c->regs);
    free(c->room);
    free(c->jid);
    free(c);
}

static void chain_step(chain_t *c);

static void chain_finish(chain_t *c, bool ok)
{
    persist_cb cb = c->cb;
    void *ud = c->ud;
    if (ok && muc && c->first_store) {
        room_t *r = rooms_get(c->room);
        if (r)
            r->stored = true;
    }
    char *name = c->pinned ? c->room : NULL; /* unpinned after the caller's callback */
    if (name)
        c->room = NULL;
    chain_free(c);
    cb(ok, ud);
    if (name && muc)
        room_unpin(name);
    free(name);
}

static void undo_done(int status, const char *error, void *ud)
{
    char *jid = ud;
    if (status != PV_STORE_OK)
        pv_log(PV_LOG_ERROR, MUC,
               "putting back the stored configuration of %s failed too: %s; the stored "
               "configuration differs from the one in use until the next change",
               jid ? jid : "a room", error ? error : "unknown error");
    free(jid);
}

/* A step after room_put failed: the stored config goes back to what it was
 * (or the room, stored for the first time, is deleted again). */
static void chain_undo(chain_t *c)
{
    void *h;
    const pv_store_t *st = pv_store(&h);
    if (!st || c->del)
        return;
    if (c->undo_reg && c->nregs == 1 && c->step == 2) /* reg_set done, affs_set failed */
        st->reg_set(h, c->room, c->regs[0].jid, c->old_nick, undo_done, xstrdup(c->jid));
    if (!c->cfg || c->step == 0)
        return;
    if (c->first_store)
        st->room_delete(h, c->room, undo_done, xstrdup(c->jid));
    else if (c->old_cfg)
        st->room_put(h, c->room, c->old_cfg, c->nold, undo_done, xstrdup(c->jid));
}

static void chain_done(int status, const char *error, void *ud)
{
    chain_t *c = ud;
    const char *op = c->del                   ? "room_delete"
                     : c->step == 0           ? "room_put"
                     : c->step - 1 < c->nregs ? "reg_set"
                                              : "affs_set";
    if (status != PV_STORE_OK) {
        pv_log(PV_LOG_ERROR, MUC, "storing %s failed (%s): %s", c->jid, op,
               error ? error : "unknown error");
        if (muc)
            chain_undo(c);
        chain_finish(c, false);
        return;
    }
    if (!muc) { /* the backend answered after muc-core shut down */
        chain_finish(c, false);
        return;
    }
    if (c->del) {
        chain_finish(c, true);
        return;
    }
    c->step++;
    chain_step(c);
}

static void chain_step(chain_t *c)
{
    void *h;
    const pv_store_t *st = pv_store(&h);
    if (!st) { /* as before: a service without storage keeps rooms in memory */
        pv_log(PV_LOG_WARN, MUC, "no storage backend: %s is not saved", c->jid);
        chain_finish(c, true);
        return;
    }
    if (c->del) {
        st->room_delete(h, c->room, chain_done, c);
        return;
    }
    /* 0: room_put; 1..nregs: reg_set; nregs+1: affs_set */
    if (c->step == 0 && !c->cfg)
        c->step = 1;
    if (c->step == 0)
        st->room_put(h, c->room, c->cfg, c->ncfg, chain_done, c);
    else if (c->step - 1 < c->nregs)
        st->reg_set(h, c->room, c->regs[c->step - 1].jid, c->regs[c->step - 1].nick, chain_done, c);
    else if (c->step - 1 == c->nregs && c->naffs)
        st->affs_set(h, c->room, c->affs, c->naffs, chain_done, c);
    else
        chain_finish(c, true);
}

static bool dup_into(const char **dst, const char *src)
{
    if (!src) {
        *dst = NULL;
        return true;
    }
    *dst = xstrdup(src);
    return *dst != NULL;
}

static chain_t *chain_new(room_t *r, persist_cb cb, void *ud)
{
    chain_t *c = calloc(1, sizeof *c);
    if (!c || !(c->room = xstrdup(r->name)) || !(c->jid = xstrdup(r->jid))) {
        if (c)
            chain_free(c);
        return NULL;
    }
    c->cb = cb;
    c->ud = ud;
    room_pin(r); /* not unloaded while its writes are in flight */
    c->pinned = true;
    return c;
}

static bool chain_affs(chain_t *c, const pv_store_aff_t *items, size_t n)
{
    if (!n)
        return true;
    pv_store_aff_t *a = realloc(c->affs, (c->naffs + n) * sizeof *a);
    if (!a)
        return false;
    c->affs = a;
    for (size_t i = 0; i < n; i++) {
        pv_store_aff_t *d = &c->affs[c->naffs];
        *d = (pv_store_aff_t){0};
        c->naffs++;
        if (!dup_into(&d->jid, items[i].jid) || !dup_into(&d->affiliation, items[i].affiliation) ||
            !dup_into(&d->reason, items[i].reason))
            return false;
    }
    return true;
}

static bool chain_reg(chain_t *c, const char *bare, const char *nick)
{
    pv_store_reg_t *g = realloc(c->regs, (c->nregs + 1) * sizeof *g);
    if (!g)
        return false;
    c->regs = g;
    pv_store_reg_t *d = &c->regs[c->nregs++];
    *d = (pv_store_reg_t){0};
    return dup_into(&d->jid, bare) && dup_into(&d->nick, nick);
}

/* The room's owners' bare JIDs, space separated (caller frees), or NULL:
 * none (*oom false) or out of memory (*oom true, logged). */
static bool is_owner(const char *bare, const void *room)
{
    return room_aff(room, bare) == PV_MUC_AFF_OWNER;
}

static char *owners_list(const room_t *r, bool *oom)
{
    char *s = key_list_join(&r->affs, &(key_list_t){.sep = ' ', .keep = is_owner, .ud = r}, oom);
    if (*oom)
        pv_log(PV_LOG_ERROR, MUC, "out of memory listing the owners of %s", r->jid);
    return s;
}

/* The room's config as stored, with cfg[i] (when non-NULL) instead of the
 * room's value and the given subject: copied into *out (owned). */
/* ...and with off_bare's offline delivery choice replaced by off_on
 * (off_bare NULL: as it is; offline_delivery.c). */
static bool kv_build_with(pv_kv_t **out, size_t *nout, const room_t *r, char *const cfg[CF_COUNT],
                          const char *subject, const char *subject_from, const char *off_bare,
                          bool off_on)
{
    pv_kv_t kv[CF_COUNT + 4 + EXT_MAX_FIELDS];
    size_t n = 0;
    *out = NULL;
    *nout = 0;
    for (int i = 0; i < CF_COUNT; i++)
        kv[n++] = (pv_kv_t){config_fields[i].key, cfg && cfg[i] ? cfg[i] : room_cfg(r, i)};
    if (subject)
        kv[n++] = (pv_kv_t){"subject", subject};
    if (subject_from)
        kv[n++] = (pv_kv_t){"subject_from", subject_from};
    bool oom = false;
    char *owners = owners_list(r, &oom); /* owned here */
    if (oom)
        return false;
    if (owners)
        kv[n++] = (pv_kv_t){OWNERS_KEY, owners};
    char *offline = offline_encode(r, off_bare, off_on, &oom); /* owned here */
    if (oom) {
        free(owners);
        return false;
    }
    if (offline)
        kv[n++] = (pv_kv_t){OFFLINE_KEY, offline};
    n += ext_config_kv(r, kv + n, EXT_MAX_FIELDS);
    bool ok = (*out = calloc(n, sizeof **out)) != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        (*nout)++;
        ok = dup_into(&(*out)[i].key, kv[i].key) && dup_into(&(*out)[i].value, kv[i].value);
    }
    free(owners);
    free(offline);
    return ok;
}

static bool kv_build(pv_kv_t **out, size_t *nout, const room_t *r, char *const cfg[CF_COUNT],
                     const char *subject, const char *subject_from)
{
    return kv_build_with(out, nout, r, cfg, subject, subject_from, NULL, false);
}

/* A room not yet stored gets every affiliation and registration it has,
 * except those `changes` replace. */
static bool chain_all_affs_regs(chain_t *c, const room_t *r, const pv_store_aff_t *changes,
                                size_t nchanges)
{
    size_t i;
    for (map_entry_t *e = map_first(&r->affs, &i); e; e = map_next(&r->affs, e, &i)) {
        bool replaced = false;
        for (size_t k = 0; k < nchanges; k++)
            if (!strcmp(changes[k].jid, e->key))
                replaced = true;
        if (replaced)
            continue;
        pv_store_aff_t it = {e->key, aff_name((pv_muc_aff_t)((intptr_t)e->val - 1)),
                             room_aff_reason(r, e->key)};
        if (!chain_affs(c, &it, 1))
            return false;
    }
    pv_store_aff_t *x;
    size_t nx = ext_affs_list(r, changes, nchanges, &x);
    bool ok = nx != SIZE_MAX && chain_affs(c, x, nx);
    free(x);
    if (!ok)
        return false;
    for (map_entry_t *e = map_first(&r->regs, &i); e; e = map_next(&r->regs, e, &i))
        if (!chain_reg(c, e->key, e->val))
            return false;
    return true;
}

void persist_config(room_t *r, char *const cfg[CF_COUNT], const char *subject,
                    const char *subject_from, const pv_store_aff_t *affs, size_t naffs,
                    persist_cb cb, void *ud)
{
    chain_t *c = chain_new(r, cb, ud);
    if (!c) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory storing %s", r->jid);
        cb(false, ud);
        return;
    }
    c->first_store = !r->stored;
    if (!kv_build(&c->cfg, &c->ncfg, r, cfg, subject, subject_from) ||
        (r->stored && !kv_build(&c->old_cfg, &c->nold, r, NULL, r->subject, r->subject_from)) ||
        (!r->stored && !chain_all_affs_regs(c, r, affs, naffs)) || !chain_affs(c, affs, naffs)) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory storing %s", r->jid);
        chain_free(c);
        cb(false, ud);
        return;
    }
    chain_step(c);
}

void persist_changes(room_t *r, const pv_store_aff_t *affs, size_t naffs, const char *reg_bare,
                     const char *reg_nick, bool with_reg, int offline, persist_cb cb, void *ud)
{
    if (!r->stored) {
        cb(true, ud);
        return;
    }
    chain_t *c = chain_new(r, cb, ud);
    const char *old = with_reg ? room_reg_nick(r, reg_bare) : NULL;
    if (c && with_reg) {
        c->undo_reg = true;
        c->old_nick = old ? xstrdup(old) : NULL;
    }
    bool cfg = offline >= 0 && reg_bare;
    if (!c || !chain_affs(c, affs, naffs) || (with_reg && !chain_reg(c, reg_bare, reg_nick)) ||
        (old && !c->old_nick) ||
        (cfg && (!kv_build_with(&c->cfg, &c->ncfg, r, NULL, r->subject, r->subject_from, reg_bare,
                                offline == 1) ||
                 !kv_build(&c->old_cfg, &c->nold, r, NULL, r->subject, r->subject_from)))) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory storing %s", r->jid);
        if (c)
            chain_free(c);
        cb(false, ud);
        return;
    }
    chain_step(c);
}

void persist_delete_then(room_t *r, persist_cb cb, void *ud)
{
    if (!r->stored) {
        cb(true, ud);
        return;
    }
    chain_t *c = chain_new(r, cb, ud);
    if (!c) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory deleting %s", r->jid);
        cb(false, ud);
        return;
    }
    c->del = true;
    chain_step(c);
}

/* The field stored under key, or -1. Rooms are stored in field order
 * (kv_build), so the search starts at the field after the previous match
 * (`from`): usually one strcmp a key at start-up instead of up to CF_COUNT. */
static int field_by_key(const char *key, int from)
{
    for (int n = 0; n < CF_COUNT; n++) {
        int f = (from + n) % CF_COUNT;
        if (!strcmp(config_fields[f].key, key))
            return f;
    }
    return -1;
}

static void written_back(int status, const char *error, void *ud)
{
    char *jid = ud;
    if (status != PV_STORE_OK)
        pv_log(PV_LOG_ERROR, MUC,
               "storing the restored owners of %s failed: %s; they are restored again at the "
               "next start",
               jid ? jid : "a room", error ? error : "unknown error");
    else
        pv_log(PV_LOG_INFO, MUC, "restored owners of %s stored", jid ? jid : "a room");
    free(jid);
}

/* Stores every owner affiliation of r (one affs_set). */
void persist_owners_write_back(const room_t *r)
{
    void *h;
    const pv_store_t *st = store(&h);
    size_t n = 0, i;
    for (map_entry_t *e = map_first(&r->affs, &i); e; e = map_next(&r->affs, e, &i))
        n += room_aff(r, e->key) == PV_MUC_AFF_OWNER;
    pv_store_aff_t *items = n ? calloc(n, sizeof *items) : NULL;
    if (!st || !items) {
        if (st)
            pv_log(PV_LOG_ERROR, MUC, "out of memory storing the restored owners of %s", r->jid);
        free(items);
        return;
    }
    n = 0;
    for (map_entry_t *e = map_first(&r->affs, &i); e; e = map_next(&r->affs, e, &i))
        if (room_aff(r, e->key) == PV_MUC_AFF_OWNER)
            items[n++] = (pv_store_aff_t){e->key, "owner", room_aff_reason(r, e->key)};
    st->affs_set(h, r->name, items, n, written_back, xstrdup(r->jid));
    free(items);
}

/* A stored room without any owner (a crash cut its first store short after
 * room_put): the owners OWNERS_KEY recorded become owners again. True when
 * at least one was restored (logged with the room). */
static bool owners_restore(room_t *r, const char *owners)
{
    if (!owners || !*owners) {
        pv_log(PV_LOG_WARN, MUC,
               "stored room %s has no owner and no recorded owners: only service "
               "administrators can configure it",
               r->jid);
        return false;
    }
    char *list = xstrdup(owners), *j, *end;
    if (!list) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory restoring the owners of %s", r->jid);
        return false;
    }
    bool any = false;
    for (j = list; *j; j = end) { /* space separated bare JIDs */
        while (*j == ' ')
            j++;
        end = j + strcspn(j, " ");
        if (*end)
            *end++ = '\0';
        if (!*j)
            continue;
        if (room_aff_set(r, j, PV_MUC_AFF_OWNER) < 0) {
            pv_log(PV_LOG_ERROR, MUC, "restoring %s as owner of %s failed", j, r->jid);
            continue;
        }
        pv_log(PV_LOG_WARN, MUC,
               "stored room %s had no owner (its first store was interrupted): %s is owner "
               "again",
               r->jid, j);
        any = true;
    }
    free(list);
    return any;
}

room_t *persist_room_from_store(const pv_store_room_t *sr, bool *owners_back)
{
    *owners_back = false;
    room_t *r = room_new(sr->name);
    if (!r) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory loading room %s", sr->name);
        return NULL;
    }
    int next = 0, f;
    const char *owners = NULL;  /* OWNERS_KEY's value, in sr */
    const char *offline = NULL; /* OFFLINE_KEY's, in sr */
    bool ok = true;
    for (size_t i = 0; i < sr->nconfig; i++) {
        const char *k = sr->config[i].key, *v = sr->config[i].value;
        if (!strcmp(k, OWNERS_KEY)) {
            owners = v;
        } else if (!strcmp(k, OFFLINE_KEY)) {
            offline = v;
        } else if (!strcmp(k, "subject")) {
            free(r->subject);
            ok &= (r->subject = xstrdup(v)) != NULL;
        } else if (!strcmp(k, "subject_from")) {
            free(r->subject_from);
            ok &= (r->subject_from = xstrdup(v)) != NULL;
        } else if ((f = field_by_key(k, next)) >= 0) {
            ok &= room_cfg_set(r, f, v) == 0;
            next = f + 1;
        } else {
            ext_config_load(r, k, v); /* another plugin's option (it skips core keys) */
        }
    }
    bool has_owner = false;
    for (size_t i = 0; i < sr->naffs; i++) {
        pv_muc_aff_t a = PV_MUC_AFF_NONE; /* an extra one (ext_aff_load) ranks as none */
        aff_parse(sr->affs[i].affiliation, &a);
        has_owner |= a == PV_MUC_AFF_OWNER;
        ok &= room_aff_set(r, sr->affs[i].jid, a) == 0;
        room_aff_reason_set(r, sr->affs[i].jid, sr->affs[i].reason);
        ext_aff_load(r, sr->affs[i].jid, sr->affs[i].affiliation);
    }
    for (size_t i = 0; i < sr->nregs; i++)
        ok &= room_reg_set(r, sr->regs[i].jid, sr->regs[i].nick) == 0;
    if (!ok) { /* never a half-loaded room */
        pv_log(PV_LOG_ERROR, MUC, "out of memory loading room %s", r->jid);
        room_free(r);
        return NULL;
    }
    offline_load(r, offline); /* after the registrations: those gone are dropped */
    r->stored = true;
    *owners_back = !has_owner && owners_restore(r, owners);
    return r;
}
