/*
 * extensions.c: affiliations and roles contributed by other plugins
 * (palaver/muc.h, pv_muc_extra_aff_t), and the one registry of room
 * configuration fields, muc-core's own and other plugins'.
 * For affiliations this file keeps the per-room holders (struct ext_room,
 * hung on room_t) and the DELIVER event; their rows are in the one registry
 * of affiliations (affiliations.c), with the five of XEP-0045. The rest of
 * muc-core calls in here at a few points (presence items, join role,
 * affiliation changes, persistence, subject). muc#admin requests naming an
 * extra affiliation are admin.c's, in the same path and the same stored
 * write as the standard ones: an extra affiliation is one more row there
 * (ext_aff_def), granted with ext_aff_grant once stored and listed with
 * ext_aff_list_items.
 *
 * A field is a row (config_field_t; a plugin gives a pv_muc_config_row_t):
 * var, storage key, type, label, default, offered values, its check (an
 * integer row's bounds, or a function) and the field it follows in the
 * form. muc-core's own rows (config_fields.c) are added first, through the
 * same row_add as a plugin's register_config_row, at their CF_* index, and
 * keep their values in room_t's cfg[] (the hot path reads them by index);
 * other plugins' rows follow and keep theirs in the room's ext map by
 * storage key. create.c builds the form from the rows and checks a
 * submitted form with them; room_defaults.c checks <room-defaults> values
 * with them; persist.c stores the values. Other plugins' submitted values
 * are set before persist_config stores them with the room, and create.c
 * puts them back (ext_config_undo) when that store fails.
 *
 * Ownership: per-room values are owned by the room (freed by ext_room_free);
 * extra affiliations are stored by name, so values loaded from storage before
 * the plugin registers keep working once it does; a field's row is copied,
 * its strings borrowed from the registering plugin.
 */
#include "muc_internal.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct ext_room {
    map_t affs; /* bare JID -> char *name (owned) */
    map_t cfg;  /* storage key -> char *value (owned) */
};

/* A registered row: who registered it (the plugin's definition, to
 * unregister it by, or muc-core's own table entry) and the row as muc-core
 * keeps it (a plugin's strings borrowed). Index i < CF_COUNT: muc-core's row
 * CF i, its values in room_t's cfg[i]; after them other plugins' rows, their
 * values in the room's ext map by storage key. */
typedef struct field_row {
    const void *owner; /* NULL: a free place */
    config_field_t f;
} field_row_t;

static field_row_t rows[CONFIG_MAX_ROWS];
#define EXT_ROW(k) (&rows[CF_COUNT + (k)].f) /* another plugin's k-th row */

/* ---- registry ---- */

const config_field_t *config_row(int i)
{
    return i >= 0 && i < CONFIG_MAX_ROWS && rows[i].owner ? &rows[i].f : NULL;
}

/* The index of the row whose var (by_key false) or storage key is s, or -1. */
static int row_index(const char *s, bool by_key)
{
    for (int i = 0; s && i < CONFIG_MAX_ROWS; i++)
        if (rows[i].owner && !strcmp(by_key ? rows[i].f.key : rows[i].f.var, s))
            return i;
    return -1;
}

int config_row_find(const char *var)
{
    return row_index(var, false);
}

/* A key muc-core stores with a room: one of its rows' (or their vars, as
 * Palaver 0.6 stored some), or persist.c's own (subject, owners...). */
static bool is_core_key(const char *k)
{
    int i = row_index(k, true);
    return persist_room_key(k) || (i >= 0 && i < CF_COUNT) || config_field_index(k) >= 0;
}

/* Taken by a row already, as a var or as a storage key, or persist.c's. */
static bool taken(const char *s)
{
    return persist_room_key(s) || row_index(s, false) >= 0 || row_index(s, true) >= 0;
}

/* Adds a row at the first free index in [lo, hi): its var and storage key
 * unique, its <room-defaults> value checked. 0, or -1 logged. */
static int row_add(const void *owner, const config_field_t *f, int lo, int hi)
{
    if (!f->var || !f->key || taken(f->var) || (strcmp(f->key, f->var) && taken(f->key))) {
        pv_log(PV_LOG_ERROR, MUC, "config field %s refused (invalid, known or registered)",
               f->var ? f->var : "(null)");
        return -1;
    }
    if (room_defaults_row_check(f) < 0) /* its <room-defaults> value (room_defaults.c) */
        return -1;
    for (int i = lo; i < hi; i++)
        if (!rows[i].owner) {
            rows[i] = (field_row_t){owner, *f};
            return 0;
        }
    pv_log(PV_LOG_ERROR, MUC, "config field %s refused: at most %d", f->var, EXT_MAX_FIELDS);
    return -1;
}

int config_rows_core(void)
{
    for (int i = 0; i < CF_COUNT; i++)
        if (!rows[i].owner && row_add(&config_fields[i], &config_fields[i], i, i + 1) < 0)
            return -1;
    return 0;
}

/* size: how much of *r the registering plugin knows. The row is kept as
 * muc-core keeps its own (config_field_t), through the same row_add. */
int ext_api_register_config_row(const pv_muc_config_row_t *r, size_t size)
{
    pv_muc_config_row_t row = {0};
    if (r)
        memcpy(&row, r, size < sizeof row ? size : sizeof row);
    const pv_muc_extra_field_t *d = &row.field;
    int type = config_field_type_of(d->type);
    if (type < 0) {
        pv_log(PV_LOG_ERROR, MUC, "config field %s refused: no such type %s",
               d->var ? d->var : "(null)", d->type ? d->type : "(null)");
        return -1;
    }
    config_field_t f = {.var = d->var,
                        .key = row.key ? row.key : d->var,
                        .type = (field_type_t)type,
                        .label = d->label,
                        .def = d->def ? d->def : "",
                        .options = row.options,
                        .check = row.check,
                        .integer = row.integer,
                        .min = row.min,
                        .max = row.max,
                        .after = row.after};
    return row_add(r ? (const void *)&r->field : NULL, &f, CF_COUNT, CONFIG_MAX_ROWS);
}

int ext_api_register_config_field(const pv_muc_extra_field_t *d)
{
    if (!d)
        return ext_api_register_config_row(NULL, 0);
    pv_muc_config_row_t row = {.field = *d};
    int rc = ext_api_register_config_row(&row, sizeof row);
    for (int i = CF_COUNT; rc == 0 && i < CONFIG_MAX_ROWS; i++)
        if (rows[i].owner == &row.field)
            rows[i].owner = d; /* the plugin's, to unregister it by */
    return rc;
}

void ext_api_unregister_config_field(const pv_muc_extra_field_t *d)
{
    for (int i = CF_COUNT; d && i < CONFIG_MAX_ROWS; i++)
        if (rows[i].owner == d)
            rows[i] = (field_row_t){0};
}

/* ---- per-room values ---- */

static struct ext_room *ext_of(room_t *r)
{
    if (!r->ext) {
        r->ext = calloc(1, sizeof *r->ext);
        if (!r->ext) {
            pv_log(PV_LOG_ERROR, MUC, "out of memory extending room %s", r->jid);
            return NULL;
        }
        map_init(&r->ext->affs, false);
        map_init(&r->ext->cfg, false);
    }
    return r->ext;
}

void ext_room_free(room_t *r)
{
    if (!r->ext)
        return;
    size_t i;
    for (map_entry_t *e = map_first(&r->ext->affs, &i); e; e = map_next(&r->ext->affs, e, &i))
        free(e->val);
    for (map_entry_t *e = map_first(&r->ext->cfg, &i); e; e = map_next(&r->ext->cfg, e, &i))
        free(e->val);
    map_clear(&r->ext->affs);
    map_clear(&r->ext->cfg);
    free(r->ext);
    r->ext = NULL;
}

/* The row of the registered extra affiliation `bare` holds, or NULL. */
static const aff_row_t *held(const room_t *r, const char *bare)
{
    return r->ext ? aff_row_extra(map_get(&r->ext->affs, bare)) : NULL;
}

static int held_set(room_t *r, const char *bare, const char *name)
{
    struct ext_room *x = ext_of(r);
    if (!x)
        return -1;
    free(map_del(&x->affs, bare));
    if (!name)
        return 0;
    char *n = xstrdup(name);
    if (!n || map_put(&x->affs, bare, n) < 0) {
        free(n);
        return -1;
    }
    return 0;
}

void ext_aff_cleared(room_t *r, const char *bare)
{
    if (r->ext)
        free(map_del(&r->ext->affs, bare));
}

void ext_aff_load(room_t *r, const char *bare, const char *name)
{
    int id = aff_row_find(name);
    if (id >= 0 && id <= PV_MUC_AFF_OWNER)
        return; /* a standard one: room.c has it */
    if (name && held_set(r, bare, name) < 0)
        pv_log(PV_LOG_ERROR, MUC, "cannot load affiliation %s of %s in %s", name, bare, r->jid);
}

const char *ext_aff_shown(const occupant_t *o)
{
    const aff_row_t *d = held(o->room, o->bare);
    return d ? d->name : aff_name(occupant_aff(o));
}

const char *ext_role_shown(const occupant_t *o)
{
    const aff_row_t *d = held(o->room, o->bare);
    return d && d->role_shown && o->role == d->join_role ? d->role_shown : role_name(o->role);
}

pv_muc_role_t ext_join_role(const room_t *r, const char *bare, pv_muc_role_t role)
{
    const aff_row_t *d = held(r, bare);
    return d && room_aff(r, bare) == PV_MUC_AFF_NONE ? d->join_role : role;
}

bool ext_may_deliver(room_t *r, occupant_t *sender, occupant_t *to, const pv_el_t *st,
                     const char *kind)
{
    pv_event_t *ev = pv_event(PV_MUC_EVENT_DELIVER);
    if (!ev || !pv_event_has_subscribers(ev))
        return true;
    pv_muc_deliver_event_t de = {
        .room = r, .sender = sender, .recipient = to, .stanza = st, .kind = kind, .deliver = true};
    pv_event_fire(ev, &de);
    return de.deliver;
}

/* ---- configuration ---- */

const char *config_row_value(const room_t *r, int i)
{
    const config_field_t *f = config_row(i);
    if (!f)
        return NULL;
    if (i < CF_COUNT)
        return room_cfg(r, i);
    const char *v = r->ext ? map_get(&r->ext->cfg, f->key) : NULL;
    return v ? v : f->def;
}

/* A row's value by var; any other name is read as a key of the ext map
 * (avatar.c's and hats.c's own values). NULL: neither. */
const char *ext_config_get(const room_t *r, const char *var)
{
    int i = config_row_find(var);
    if (i >= 0)
        return config_row_value(r, i);
    return r->ext ? map_get(&r->ext->cfg, var) : NULL;
}

bool ext_config_bool(const room_t *r, const char *var)
{
    const char *v = var ? ext_config_get(r, var) : NULL;
    return v && !strcmp(v, "1");
}

void ext_config_load(room_t *r, const char *key, const char *value)
{
    if (is_core_key(key))
        return;
    struct ext_room *x = ext_of(r);
    char *v = xstrdup(value ? value : "");
    if (x)
        free(map_del(&x->cfg, key));
    if (!x || !v || map_put(&x->cfg, key, v) < 0) {
        free(v);
        pv_log(PV_LOG_ERROR, MUC, "cannot keep option %s of %s", key, r->jid);
    }
}

int config_row_set(room_t *r, int i, const char *value)
{
    const config_field_t *f = config_row(i);
    if (!f)
        return -1;
    if (i < CF_COUNT)
        return room_cfg_set(r, i, value);
    ext_config_load(r, f->key, value);
    return 0;
}

size_t ext_config_kv(const room_t *r, pv_kv_t *kv, size_t max)
{
    size_t n = 0, i;
    if (!r->ext)
        return 0;
    for (map_entry_t *e = map_first(&r->ext->cfg, &i); e && n < max;
         e = map_next(&r->ext->cfg, e, &i))
        kv[n++] = (pv_kv_t){e->key, e->val};
    return n;
}

/* What ext_config_set replaced, to put back when storing the form failed. */
struct ext_cfg_undo {
    size_t n;
    char *key[EXT_MAX_FIELDS]; /* owned */
    char *old[EXT_MAX_FIELDS]; /* owned; NULL: the room had no value (default) */
};

void ext_config_undo_free(ext_cfg_undo_t *u)
{
    for (size_t i = 0; u && i < u->n; i++) {
        free(u->key[i]);
        free(u->old[i]);
    }
    free(u);
}

void ext_config_undo(room_t *r, ext_cfg_undo_t *u)
{
    struct ext_room *x = r && u ? ext_of(r) : NULL;
    for (size_t i = 0; x && i < u->n; i++) {
        free(map_del(&x->cfg, u->key[i]));
        if (u->old[i] && map_put(&x->cfg, u->key[i], u->old[i]) == 0)
            u->old[i] = NULL; /* the map owns it now */
        else if (u->old[i])
            pv_log(PV_LOG_ERROR, MUC, "out of memory putting back %s of %s", u->key[i], r->jid);
    }
    ext_config_undo_free(u);
}

/* True when a field ext_config_set set now differs from what it was
 * (config_change.c: such a change is announced with 104 too). */
bool ext_config_changed(const room_t *r, const ext_cfg_undo_t *u)
{
    for (size_t i = 0; u && i < u->n; i++) {
        int k = row_index(u->key[i], true);
        const config_field_t *d = k < CF_COUNT ? NULL : config_row(k);
        const char *before = u->old[i] ? u->old[i] : d ? d->def : "";
        const char *now = d ? config_row_value(r, k) : NULL;
        if (now && strcmp(before, now))
            return true;
    }
    return false;
}

/* Remembers the value stored under `key` now in *u: false when out of memory. */
static bool undo_keep(ext_cfg_undo_t *u, const room_t *r, const char *key)
{
    const char *cur = r->ext ? map_get(&r->ext->cfg, key) : NULL;
    size_t i = u->n;
    if (!(u->key[i] = xstrdup(key)))
        return false;
    u->n++;
    return !cur || (u->old[i] = xstrdup(cur)) != NULL;
}

const char *ext_config_set(room_t *r, char *staged[EXT_MAX_FIELDS], ext_cfg_undo_t **undo)
{
    const char *why = NULL;
    ext_cfg_undo_t *u = calloc(1, sizeof *u);
    struct ext_room *x = u ? ext_of(r) : NULL;
    *undo = NULL;
    for (size_t k = 0; x && k < EXT_MAX_FIELDS; k++)
        if (staged[k] && !undo_keep(u, r, EXT_ROW(k)->key))
            x = NULL;
    if (!x) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory taking the options of %s", r->jid);
        why = "Out of memory";
    }
    for (size_t k = 0; k < EXT_MAX_FIELDS; k++) {
        char *v = staged[k];
        staged[k] = NULL;
        if (!why && v) {
            const char *key = EXT_ROW(k)->key;
            free(map_del(&x->cfg, key));
            if (map_put(&x->cfg, key, v) == 0)
                continue; /* the map owns it now */
            pv_log(PV_LOG_ERROR, MUC, "out of memory storing %s of %s", key, r->jid);
        }
        free(v);
    }
    if (why)
        ext_config_undo_free(u);
    else
        *undo = u;
    return why;
}

/* ---- muc#admin: extra affiliations (admin.c handles the requests) ---- */

size_t ext_affs_list(const room_t *r, const pv_store_aff_t *skip, size_t nskip,
                     pv_store_aff_t **out)
{
    size_t n = 0, i;
    *out = NULL;
    if (!r->ext || !map_first(&r->ext->affs, &i))
        return 0;
    for (map_entry_t *e = map_first(&r->ext->affs, &i); e; e = map_next(&r->ext->affs, e, &i))
        n++;
    if (!(*out = calloc(n, sizeof **out))) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory listing the affiliations of %s", r->jid);
        return SIZE_MAX;
    }
    n = 0;
    for (map_entry_t *e = map_first(&r->ext->affs, &i); e; e = map_next(&r->ext->affs, e, &i)) {
        bool replaced = false;
        for (size_t k = 0; k < nskip; k++)
            replaced = replaced || !strcmp(skip[k].jid, e->key);
        if (!replaced)
            (*out)[n++] = (pv_store_aff_t){e->key, e->val, NULL};
    }
    return n;
}

const aff_row_t *ext_aff_def(const char *name)
{
    return aff_row_extra(name);
}

const char *ext_aff_held(const room_t *r, const char *bare)
{
    const aff_row_t *d = held(r, bare);
    return d ? d->name : NULL;
}

/* admin.c has set the standard affiliation none first (room_aff_set, which
 * cleared any extra one); the name is kept as stored even when no plugin
 * registers it any more (it then shows as none). */
void ext_aff_grant(room_t *r, const char *bare, const char *name)
{
    if (held_set(r, bare, name) < 0)
        pv_log(PV_LOG_ERROR, MUC, "cannot grant %s to %s in %s", name, bare, r->jid);
    if (!aff_row_extra(name))
        pv_log(PV_LOG_WARN, MUC, "%s of %s in %s stored, but %s is no longer registered", name,
               bare, r->jid, name);
}

void ext_aff_list_items(const room_t *r, const char *name, pv_el_t *q)
{
    size_t i;
    if (!r->ext)
        return;
    for (map_entry_t *e = map_first(&r->ext->affs, &i); e; e = map_next(&r->ext->affs, e, &i)) {
        if (strcmp(e->val, name))
            continue;
        pv_el_t *item = pv_el_add(q, NS_MUC_ADMIN, "item");
        if (!item)
            return;
        pv_el_set_attr(item, "affiliation", name);
        pv_el_set_attr(item, "jid", e->key);
        occupant_t *o = occupant_by_bare(r, e->key);
        if (o)
            pv_el_set_attr(item, "nick", o->nick);
    }
}

/* ---- SDK entries (api.c puts them in the table) ---- */

const char *ext_api_extra_affiliation(const pv_muc_room_t *r, const char *bare)
{
    const aff_row_t *d = held(r, bare);
    return d ? d->name : NULL;
}

const char *ext_api_occupant_role_name(const pv_muc_occupant_t *o)
{
    return ext_role_shown(o);
}

void ext_api_room_occupants(const pv_muc_room_t *r, bool (*fn)(pv_muc_occupant_t *, size_t, void *),
                            void *ud)
{
    size_t i = 0;
    for (occupant_t *o = r->first; o; o = o->next, i++)
        if (!fn(o, i, ud))
            return;
}
