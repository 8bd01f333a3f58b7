/*
 * extensions.c: affiliations, roles and configuration fields contributed by
 * other plugins (palaver/muc.h, pv_muc_extra_aff_t and pv_muc_extra_field_t).
 * muc-core itself has no such affiliation or field: this file keeps the
 * registry, the per-room values (struct ext_room, hung on room_t), the
 * extra form fields and their storage with the room's configuration, and
 * the DELIVER event. The rest of muc-core calls in here at a few points
 * (presence items, join role, affiliation changes, form build and submit,
 * persistence, subject). muc#admin requests naming an extra affiliation are
 * admin.c's, in the same path and the same stored write as the standard
 * ones: an extra affiliation is one more row there (ext_aff_def), granted
 * with ext_aff_grant once stored and listed with ext_aff_list_items.
 * Submitted fields are set before persist_config stores them with the room,
 * and create.c puts them back (ext_config_undo) when that store fails.
 *
 * A field is a row (pv_muc_config_row_t): var, type, label, default, and
 * optionally its storage key, its check and the field it follows in the
 * form; per-room values are kept by storage key.
 *
 * Ownership: per-room values are owned by the room (freed by ext_room_free);
 * extra affiliations are stored by name, so values loaded from storage before
 * the plugin registers keep working once it does; registry entries are
 * borrowed from the registering plugin (a field's row is copied, its strings
 * borrowed).
 */
#include "muc_internal.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define EXT_MAX_AFFS 8

struct ext_room {
    map_t affs; /* bare JID -> char *name (owned) */
    map_t cfg;  /* storage key -> char *value (owned) */
};

static const pv_muc_extra_aff_t *reg_affs[EXT_MAX_AFFS];
/* A registered field: the registering plugin's definition (borrowed, for
 * unregistering) and a copy of the members it was built with (the rest 0). */
typedef struct field_row {
    const pv_muc_extra_field_t *owner; /* NULL: a free slot */
    pv_muc_config_row_t row;
} field_row_t;

static field_row_t reg_fields[EXT_MAX_FIELDS];

/* ---- registry ---- */

static const pv_muc_extra_aff_t *aff_def(const char *name)
{
    for (size_t i = 0; name && i < EXT_MAX_AFFS; i++)
        if (reg_affs[i] && !strcmp(reg_affs[i]->name, name))
            return reg_affs[i];
    return NULL;
}

static const char *key_of(const pv_muc_config_row_t *d)
{
    return d->key ? d->key : d->field.var;
}

/* The slot of the field whose var (by_key false) or storage key is s, or -1. */
static int field_slot(const char *s, bool by_key)
{
    for (int i = 0; s && i < EXT_MAX_FIELDS; i++)
        if (reg_fields[i].owner &&
            !strcmp(by_key ? key_of(&reg_fields[i].row) : reg_fields[i].row.field.var, s))
            return i;
    return -1;
}

static const pv_muc_config_row_t *field_def(const char *var)
{
    int i = field_slot(var, false);
    return i < 0 ? NULL : &reg_fields[i].row;
}

/* Keys muc-core itself stores with a room (persist.c): every other stored key
 * belongs to an extra field. Keep in step when persist.c stores a new key. */
static bool is_core_key(const char *k)
{
    if (!strcmp(k, "subject") || !strcmp(k, "subject_from") || !strcmp(k, "FORM_TYPE") ||
        !strcmp(k, "x-palaver#owners")) /* persist.c's OWNERS_KEY */
        return true;
    for (int f = 0; f < CF_COUNT; f++)
        if (!strcmp(config_fields[f].key, k) || !strcmp(config_fields[f].var, k))
            return true;
    return false;
}

int ext_api_register_affiliation(const pv_muc_extra_aff_t *d)
{
    if (!d || !d->name || !d->role || aff_def(d->name)) {
        pv_log(PV_LOG_ERROR, MUC, "extra affiliation %s refused (invalid or registered)",
               d && d->name ? d->name : "(null)");
        return -1;
    }
    for (int a = PV_MUC_AFF_OUTCAST; a <= PV_MUC_AFF_OWNER; a++)
        if (!strcmp(aff_name((pv_muc_aff_t)a), d->name)) {
            pv_log(PV_LOG_ERROR, MUC, "extra affiliation %s is a standard one", d->name);
            return -1;
        }
    for (size_t i = 0; i < EXT_MAX_AFFS; i++)
        if (!reg_affs[i]) {
            reg_affs[i] = d;
            return 0;
        }
    pv_log(PV_LOG_ERROR, MUC, "extra affiliation %s refused: at most %d", d->name, EXT_MAX_AFFS);
    return -1;
}

void ext_api_unregister_affiliation(const pv_muc_extra_aff_t *d)
{
    for (size_t i = 0; i < EXT_MAX_AFFS; i++)
        if (reg_affs[i] == d)
            reg_affs[i] = NULL;
}

/* size: how much of *r the registering plugin knows. */
int ext_api_register_config_row(const pv_muc_config_row_t *r, size_t size)
{
    pv_muc_config_row_t row = {0};
    if (r)
        memcpy(&row, r, size < sizeof row ? size : sizeof row);
    const pv_muc_extra_field_t *d = &row.field;
    if (!r || !d->var || !d->type || is_core_key(d->var) || is_core_key(key_of(&row)) ||
        field_def(d->var) || field_slot(key_of(&row), true) >= 0 ||
        (strcmp(d->type, "boolean") && strcmp(d->type, "text-single"))) {
        pv_log(PV_LOG_ERROR, MUC, "extra config field %s refused (invalid, known or registered)",
               d->var ? d->var : "(null)");
        return -1;
    }
    if (room_defaults_ext_check(&row) < 0) /* its <room-defaults> value (room_defaults.c) */
        return -1;
    for (size_t i = 0; i < EXT_MAX_FIELDS; i++)
        if (!reg_fields[i].owner) {
            reg_fields[i] = (field_row_t){&r->field, row};
            return 0;
        }
    pv_log(PV_LOG_ERROR, MUC, "extra config field %s refused: at most %d", d->var, EXT_MAX_FIELDS);
    return -1;
}

int ext_api_register_config_field(const pv_muc_extra_field_t *d)
{
    if (!d)
        return ext_api_register_config_row(NULL, 0);
    pv_muc_config_row_t row = {.field = *d};
    int rc = ext_api_register_config_row(&row, sizeof row);
    for (size_t i = 0; rc == 0 && i < EXT_MAX_FIELDS; i++)
        if (reg_fields[i].owner == &row.field)
            reg_fields[i].owner = d; /* the plugin's, to unregister it by */
    return rc;
}

void ext_api_unregister_config_field(const pv_muc_extra_field_t *d)
{
    for (size_t i = 0; i < EXT_MAX_FIELDS; i++)
        if (reg_fields[i].owner == d)
            reg_fields[i] = (field_row_t){0};
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

/* The registered extra affiliation `bare` holds, or NULL. */
static const pv_muc_extra_aff_t *held(const room_t *r, const char *bare)
{
    return r->ext ? aff_def(map_get(&r->ext->affs, bare)) : NULL;
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
    for (int a = PV_MUC_AFF_OUTCAST; a <= PV_MUC_AFF_OWNER; a++)
        if (name && !strcmp(aff_name((pv_muc_aff_t)a), name))
            return; /* a standard one: room.c has it */
    if (name && held_set(r, bare, name) < 0)
        pv_log(PV_LOG_ERROR, MUC, "cannot load affiliation %s of %s in %s", name, bare, r->jid);
}

const char *ext_aff_shown(const occupant_t *o)
{
    const pv_muc_extra_aff_t *d = held(o->room, o->bare);
    return d ? d->name : aff_name(occupant_aff(o));
}

const char *ext_role_shown(const occupant_t *o)
{
    const pv_muc_extra_aff_t *d = held(o->room, o->bare);
    return d && o->role == d->base_role ? d->role : role_name(o->role);
}

pv_muc_role_t ext_join_role(const room_t *r, const char *bare, pv_muc_role_t role)
{
    const pv_muc_extra_aff_t *d = held(r, bare);
    return d && room_aff(r, bare) == PV_MUC_AFF_NONE ? d->base_role : role;
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

const char *ext_config_get(const room_t *r, const char *var)
{
    const pv_muc_config_row_t *d = field_def(var);
    const char *v = r->ext ? map_get(&r->ext->cfg, d ? key_of(d) : var) : NULL;
    return v ? v : d ? (d->field.def ? d->field.def : "") : NULL;
}

const char *ext_config_key(const char *var)
{
    const pv_muc_config_row_t *d = field_def(var);
    return d ? key_of(d) : NULL;
}

/* "boolean" or "text-single" for a registered field, else NULL. */
const char *ext_config_type(const char *var)
{
    const pv_muc_config_row_t *d = field_def(var);
    return d ? d->field.type : NULL;
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

/* Is `after` a field of the form that others may follow (one of muc-core's
 * table, create.c's config_form_build, or another registered one)? */
static bool placed(const char *after)
{
    return after && (config_field_index(after) >= 0 || field_def(after));
}

void ext_form_fields_after(const room_t *r, pv_el_t *x, const char *after)
{
    for (size_t i = 0; i < EXT_MAX_FIELDS; i++) {
        const pv_muc_config_row_t *d = &reg_fields[i].row;
        if (!reg_fields[i].owner ||
            (after ? !d->after || strcmp(d->after, after) : placed(d->after)))
            continue;
        pv_el_t *fe = pv_form_add_field(x, d->field.var, d->field.type, d->field.label, NULL);
        if (pv_form_add_value(fe, ext_config_get(r, d->field.var)) < 0) {
            pv_log(PV_LOG_ERROR, MUC, "out of memory building the form of %s", r->jid);
            return;
        }
        ext_form_fields_after(r, x, d->field.var); /* the fields that follow it */
    }
}

void ext_form_fields(const room_t *r, pv_el_t *x)
{
    ext_form_fields_after(r, x, NULL);
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
        int k = field_slot(u->key[i], true);
        const pv_muc_config_row_t *d = k < 0 ? NULL : &reg_fields[k].row;
        const char *before = u->old[i] ? u->old[i] : d && d->field.def ? d->field.def : "";
        const char *now = d ? ext_config_get(r, d->field.var) : NULL;
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

/* A submitted value as stored (booleans as "1"/"0"), or NULL with *why set. */
static const char *normalised(const pv_muc_config_row_t *d, const char *t, const char **why)
{
    *why = NULL;
    if (!strcmp(d->field.type, "boolean")) {
        if (!strcmp(t, "1") || !strcmp(t, "true"))
            return "1";
        if (!strcmp(t, "0") || !strcmp(t, "false") || !*t)
            return "0";
        *why = "must be a boolean (1, 0, true or false)";
        return NULL;
    }
    *why = d->check ? d->check(t) : NULL;
    return *why ? NULL : t;
}

const char *ext_config_check(const char *var, const char *value)
{
    const pv_muc_config_row_t *d = field_def(var);
    const char *why = NULL;
    if (d)
        normalised(d, value ? value : "", &why);
    return why;
}

const char *ext_config_take(const char *var, pv_el_t *f, char *staged[EXT_MAX_FIELDS])
{
    int k = field_slot(var, false);
    if (k < 0)
        return NULL; /* FORM_TYPE, muc-core's lists, or no plugin's field */
    const char *t = pv_el_child_text(f, PV_NS_DATA, "value"), *bad = NULL;
    t = normalised(&reg_fields[k].row, t ? t : "", &bad);
    if (bad)
        return errtext("Field %s %s", var, bad);
    char *v = xstrdup(t);
    if (!v)
        return "Out of memory";
    free(staged[k]); /* a field given twice: the last one */
    staged[k] = v;
    return NULL;
}

const char *ext_config_set(room_t *r, char *staged[EXT_MAX_FIELDS], ext_cfg_undo_t **undo)
{
    const char *why = NULL;
    ext_cfg_undo_t *u = calloc(1, sizeof *u);
    struct ext_room *x = u ? ext_of(r) : NULL;
    *undo = NULL;
    for (size_t k = 0; x && k < EXT_MAX_FIELDS; k++)
        if (staged[k] && !undo_keep(u, r, key_of(&reg_fields[k].row)))
            x = NULL;
    if (!x) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory taking the options of %s", r->jid);
        why = "Out of memory";
    }
    for (size_t k = 0; k < EXT_MAX_FIELDS; k++) {
        char *v = staged[k];
        staged[k] = NULL;
        if (!why && v) {
            const char *key = key_of(&reg_fields[k].row);
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

const pv_muc_extra_aff_t *ext_aff_def(const char *name)
{
    return aff_def(name);
}

const char *ext_aff_held(const room_t *r, const char *bare)
{
    const pv_muc_extra_aff_t *d = held(r, bare);
    return d ? d->name : NULL;
}

/* admin.c has set the standard affiliation none first (room_aff_set, which
 * cleared any extra one); the name is kept as stored even when no plugin
 * registers it any more (it then shows as none). */
void ext_aff_grant(room_t *r, const char *bare, const char *name)
{
    if (held_set(r, bare, name) < 0)
        pv_log(PV_LOG_ERROR, MUC, "cannot grant %s to %s in %s", name, bare, r->jid);
    if (!aff_def(name))
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
    const pv_muc_extra_aff_t *d = held(r, bare);
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
