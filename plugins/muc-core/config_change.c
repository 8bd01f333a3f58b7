/*
 * config_change.c: what a submitted room configuration does besides storing
 * values (XEP-0045 §10.2.1, OWNER-4): one message to every occupant with the
 * status codes of the change (104 for a change that does not touch privacy,
 * 170/171 logging on/off, 172/173 non-anonymous/semi-anonymous, 102/103
 * unavailable members shown/hidden: the member list readable by
 * participants or not), and, when the room became members-only, the removal
 * of every occupant who is not a member (322). Also the owner and admin
 * lists carried in the form (muc#roomconfig_roomowners/_roomadmins).
 * As in Prosody, a submit that changes no value sends no message, and the
 * first configuration of a locked new room is announced like any other
 * (its owner, already in, learns 172 when it made the room non-anonymous).
 */
#include "muc_internal.h"
#include <stdlib.h>
#include <string.h>

#define F_OWNERS "muc#roomconfig_roomowners"
#define F_ADMINS "muc#roomconfig_roomadmins"

static void send_codes(room_t *r, const int *codes, size_t n)
{
    pv_el_t *m = pv_el_new(PV_NS_STANZA, "message");
    pv_el_t *x = m ? pv_el_add(m, NS_MUC_USER, "x") : NULL;
    if (!x) {
        pv_el_free(m);
        pv_log(PV_LOG_ERROR, MUC, "out of memory notifying %s of its new configuration", r->jid);
        return;
    }
    pv_el_set_attr(m, "from", r->jid);
    pv_el_set_attr(m, "type", "groupchat");
    for (size_t i = 0; i < n; i++) {
        pv_el_t *st = pv_el_add(x, NS_MUC_USER, "status");
        if (st)
            pv_el_set_attrf(st, "code", "%d", codes[i]);
    }
    room_broadcast(r, m, NULL, NULL);
    pv_el_free(m);
}

static bool was_on(char *const old[CF_COUNT], int f)
{
    return old[f] && !strcmp(old[f], "1");
}

/* Whether v is the row's `on` value (a list-multi: lists it). */
static bool is_on(const config_field_t *f, const char *v)
{
    if (!v || !f->on)
        return false;
    if (f->type != FT_LIST_MULTI)
        return !strcmp(v, f->on);
    size_t n = strlen(f->on);
    for (const char *p = v; (p = strstr(p, f->on)); p += n)
        if ((p == v || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

/* The status codes of the change from old to the room's values, 104 first
 * (as in XEP-0045's examples); none when no value changed. Each row says
 * which of its changes are announced otherwise than with 104
 * (config_fields.c). Returns how many. */
static size_t change_codes(const room_t *r, char *const old[CF_COUNT], bool other, int codes[8])
{
    size_t n = 0;
    for (int f = 0; f < CF_COUNT; f++) {
        const char *now = room_cfg(r, f);
        if (old[f] && !strcmp(old[f], now))
            continue;
        const config_field_t *row = &config_fields[f];
        bool on = is_on(row, now);
        if (row->on && on != is_on(row, old[f]) && n < 7)
            codes[n++] = on ? row->status_on : row->status_off;
        else
            other = true;
    }
    if (other) {
        for (size_t i = n; i > 0; i--)
            codes[i] = codes[i - 1];
        codes[0] = 104;
        n++;
    }
    return n;
}

void config_changed(room_t *r, char *const old[CF_COUNT], bool ext_changed)
{
    int codes[8];
    size_t n = change_codes(r, old, ext_changed, codes);
    if (n > 0)
        send_codes(r, codes, n);
    if (room_cfg_bool(r, CF_MEMBERSONLY) && !was_on(old, CF_MEMBERSONLY)) {
        r->busy++;
        occupant_t *next;
        for (occupant_t *o = r->first; o; o = next) {
            next = o->next;
            if (occupant_aff(o) >= PV_MUC_AFF_MEMBER)
                continue;
            pv_muc_role_t role = o->role;
            evict_tell_self(o, 322, NULL, NULL);
            evict_finish(o, 322, role, NULL, NULL);
        }
        r->busy--;
        rooms_maybe_destroy(r);
    }
}

/* ---- the owner and admin lists in the form ---- */

static pv_el_t *field(pv_el_t *x, const char *var)
{
    for (pv_el_t *f = pv_el_child(x, PV_NS_DATA, "field"); f;
         f = pv_el_next(f, PV_NS_DATA, "field")) {
        const char *v = pv_el_attr(f, "var");
        if (v && !strcmp(v, var))
            return f;
    }
    return NULL;
}

static void list_field(const room_t *r, pv_el_t *x, const char *var, const char *label,
                       pv_muc_aff_t aff)
{
    pv_el_t *fe = pv_el_add(x, PV_NS_DATA, "field");
    if (!fe)
        return;
    pv_el_set_attr(fe, "var", var);
    pv_el_set_attr(fe, "type", "jid-multi");
    pv_el_set_attr(fe, "label", label);
    size_t i;
    for (map_entry_t *e = map_first(&r->affs, &i); e; e = map_next(&r->affs, e, &i))
        if ((pv_muc_aff_t)((intptr_t)e->val - 1) == aff)
            pv_el_add_text_child(fe, PV_NS_DATA, "value", e->key);
}

void config_lists_form(const room_t *r, pv_el_t *x)
{
    list_field(r, x, F_ADMINS, "Full List of Room Admins", PV_MUC_AFF_ADMIN);
    list_field(r, x, F_OWNERS, "Full List of Room Owners", PV_MUC_AFF_OWNER);
}

const char *config_lists_check(pv_el_t *x)
{
    static const char *const vars[] = {F_ADMINS, F_OWNERS};
    for (int k = 0; k < 2; k++) {
        pv_el_t *f = field(x, vars[k]);
        if (!f)
            continue;
        size_t n = 0;
        for (pv_el_t *v = pv_el_child(f, PV_NS_DATA, "value"); v;
             v = pv_el_next(v, PV_NS_DATA, "value")) {
            pv_jid_t *j = pv_jid_parse(pv_el_text(v));
            bool ok = j && j->node && !j->resource;
            pv_jid_free(j);
            if (!ok)
                return errtext("Field %s: '%s' is not a bare JID", vars[k], pv_el_text(v));
            n++;
        }
        if (k == 1 && n == 0)
            return "Field " F_OWNERS " must keep at least one owner";
    }
    return NULL;
}

static void set_aff(room_t *r, const char *bare, pv_muc_aff_t a)
{
    if (room_aff(r, bare) == a || pv_is_sadmin(bare))
        return;
    if (room_aff_set(r, bare, a) < 0) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory setting %s's affiliation in %s", bare, r->jid);
        return;
    }
    for (occupant_t *o = occupant_by_bare(r, bare); o; o = o->bare_next)
        o->role = role_for(r, a);
    occupant_announce_affiliation(r, bare);
}

/* Listed JIDs get the affiliation; holders not listed drop to none. */
static void apply_list(room_t *r, pv_el_t *f, pv_muc_aff_t aff)
{
    size_t i, n = 0;
    char **drop = calloc(r->affs.count + 1, sizeof *drop);
    for (map_entry_t *e = map_first(&r->affs, &i); drop && e; e = map_next(&r->affs, e, &i)) {
        if ((pv_muc_aff_t)((intptr_t)e->val - 1) != aff)
            continue;
        bool listed = false;
        for (pv_el_t *v = pv_el_child(f, PV_NS_DATA, "value"); v;
             v = pv_el_next(v, PV_NS_DATA, "value"))
            if (!strcmp(pv_el_text(v), e->key))
                listed = true;
        if (!listed)
            drop[n++] = xstrdup(e->key);
    }
    for (pv_el_t *v = pv_el_child(f, PV_NS_DATA, "value"); v;
         v = pv_el_next(v, PV_NS_DATA, "value")) {
        pv_jid_t *j = pv_jid_parse(pv_el_text(v));
        if (j)
            set_aff(r, j->bare, aff);
        pv_jid_free(j);
    }
    for (size_t k = 0; drop && k < n; k++) {
        if (drop[k])
            set_aff(r, drop[k], PV_MUC_AFF_NONE);
        free(drop[k]);
    }
    free(drop);
}

void config_lists_apply(room_t *r, pv_el_t *x)
{
    pv_el_t *f = field(x, F_OWNERS);
    if (f)
        apply_list(r, f, PV_MUC_AFF_OWNER);
    if ((f = field(x, F_ADMINS)))
        apply_list(r, f, PV_MUC_AFF_ADMIN);
}

/* ---- the same changes computed without applying them (stored first) ---- */

typedef struct aff_changes {
    pv_store_aff_t *items; /* jid owned */
    pv_muc_aff_t *affs;    /* items[i]'s affiliation */
    size_t n;
    bool oom;
} aff_changes_t;

static pv_muc_aff_t eff_aff(const room_t *r, const aff_changes_t *c, const char *bare)
{
    for (size_t i = c->n; i-- > 0;)
        if (!strcmp(c->items[i].jid, bare))
            return c->affs[i];
    return room_aff(r, bare);
}

static void change_add(const room_t *r, aff_changes_t *c, const char *bare, pv_muc_aff_t a)
{
    if (c->oom || eff_aff(r, c, bare) == a || pv_is_sadmin(bare))
        return;
    pv_store_aff_t *it = realloc(c->items, (c->n + 1) * sizeof *it);
    if (it)
        c->items = it;
    pv_muc_aff_t *af = it ? realloc(c->affs, (c->n + 1) * sizeof *af) : NULL;
    if (af)
        c->affs = af;
    char *jid = af ? xstrdup(bare) : NULL;
    if (!jid) {
        c->oom = true;
        return;
    }
    c->items[c->n] = (pv_store_aff_t){jid, aff_name(a), NULL};
    c->affs[c->n++] = a;
}

static bool listed_in(pv_el_t *f, const char *bare)
{
    for (pv_el_t *v = pv_el_child(f, PV_NS_DATA, "value"); v;
         v = pv_el_next(v, PV_NS_DATA, "value"))
        if (!strcmp(pv_el_text(v), bare))
            return true;
    return false;
}

static void changes_for_list(const room_t *r, aff_changes_t *c, pv_el_t *f, pv_muc_aff_t aff)
{
    /* holders before this list: the room's, then those the changes made */
    size_t n0 = c->n, i;
    char **drop = calloc(r->affs.count + n0 + 1, sizeof *drop);
    size_t nd = 0;
    if (!drop) {
        c->oom = true;
        return;
    }
    for (map_entry_t *e = map_first(&r->affs, &i); e; e = map_next(&r->affs, e, &i))
        if (eff_aff(r, c, e->key) == aff && !listed_in(f, e->key))
            drop[nd++] = e->key;
    for (size_t k = 0; k < n0; k++)
        if (c->affs[k] == aff && !map_get(&r->affs, c->items[k].jid) &&
            eff_aff(r, c, c->items[k].jid) == aff && !listed_in(f, c->items[k].jid))
            drop[nd++] = (char *)c->items[k].jid;
    char **copies = calloc(nd + 1, sizeof *copies);
    for (size_t k = 0; copies && k < nd; k++)
        copies[k] = xstrdup(drop[k]);
    free(drop);
    for (pv_el_t *v = pv_el_child(f, PV_NS_DATA, "value"); v;
         v = pv_el_next(v, PV_NS_DATA, "value")) {
        pv_jid_t *j = pv_jid_parse(pv_el_text(v));
        if (j)
            change_add(r, c, j->bare, aff);
        pv_jid_free(j);
    }
    for (size_t k = 0; copies && k < nd; k++) {
        if (copies[k])
            change_add(r, c, copies[k], PV_MUC_AFF_NONE);
        else
            c->oom = true;
        free(copies[k]);
    }
    if (!copies)
        c->oom = true;
    free(copies);
}

int config_lists_changes(const room_t *r, pv_el_t *x, pv_store_aff_t **items, size_t *n)
{
    aff_changes_t c = {0};
    pv_el_t *f = field(x, F_OWNERS);
    if (f)
        changes_for_list(r, &c, f, PV_MUC_AFF_OWNER);
    if ((f = field(x, F_ADMINS)))
        changes_for_list(r, &c, f, PV_MUC_AFF_ADMIN);
    free(c.affs);
    *items = c.items;
    *n = c.n;
    if (c.oom) {
        config_lists_free(*items, *n);
        *items = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

void config_lists_free(pv_store_aff_t *items, size_t n)
{
    for (size_t i = 0; items && i < n; i++)
        free((char *)items[i].jid);
    free(items);
}
