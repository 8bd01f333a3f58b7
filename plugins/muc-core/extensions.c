/*
 * extensions.c: affiliations, roles and configuration fields contributed by
 * other plugins (palaver/muc.h, pv_muc_extra_aff_t and pv_muc_extra_field_t).
 * muc-core itself has no such affiliation or field: this file keeps the
 * registry, the per-room values (struct ext_room, hung on room_t), the
 * muc#admin requests that name an extra affiliation (grant, list, and taking
 * one back by granting a standard one), the extra form fields and their
 * storage with the room's configuration, and the DELIVER event. The rest of
 * muc-core calls in here at a few points (presence items, join role,
 * affiliation changes, form build and submit, persistence, subject).
 * As in admin.c, a change of a stored room is written first (one affs_set)
 * and only applied, answered and broadcast once the backend said yes; a
 * failure answers internal-server-error and changes nothing. Submitted
 * fields are set before persist_config stores them with the room, and
 * create.c puts them back (ext_config_undo) when that store fails.
 *
 * Ownership: per-room values are owned by the room (freed by ext_room_free);
 * extra affiliations are stored by name, so values loaded from storage before
 * the plugin registers keep working once it does; registry entries are
 * borrowed from the registering plugin.
 */
#include "muc_internal.h"
#include <stdlib.h>
#include <string.h>

#define EXT_MAX_AFFS 8

struct ext_room {
    map_t affs; /* bare JID -> char *name (owned) */
    map_t cfg;  /* storage key -> char *value (owned) */
};

static const pv_muc_extra_aff_t *reg_affs[EXT_MAX_AFFS];
static const pv_muc_extra_field_t *reg_fields[EXT_MAX_FIELDS];

/* ---- registry ---- */

static const pv_muc_extra_aff_t *aff_def(const char *name)
{
    for (size_t i = 0; name && i < EXT_MAX_AFFS; i++)
        if (reg_affs[i] && !strcmp(reg_affs[i]->name, name))
            return reg_affs[i];
    return NULL;
}

static const pv_muc_extra_field_t *field_def(const char *var)
{
    for (size_t i = 0; var && i < EXT_MAX_FIELDS; i++)
        if (reg_fields[i] && !strcmp(reg_fields[i]->var, var))
            return reg_fields[i];
    return NULL;
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

int ext_api_register_config_field(const pv_muc_extra_field_t *d)
{
    if (!d || !d->var || !d->type || is_core_key(d->var) || field_def(d->var) ||
        (strcmp(d->type, "boolean") && strcmp(d->type, "text-single"))) {
        pv_log(PV_LOG_ERROR, MUC, "extra config field %s refused (invalid, known or registered)",
               d && d->var ? d->var : "(null)");
        return -1;
    }
    if (room_defaults_ext_check(d) < 0) /* its <room-defaults> value (room_defaults.c) */
        return -1;
    for (size_t i = 0; i < EXT_MAX_FIELDS; i++)
        if (!reg_fields[i]) {
            reg_fields[i] = d;
            return 0;
        }
    pv_log(PV_LOG_ERROR, MUC, "extra config field %s refused: at most %d", d->var, EXT_MAX_FIELDS);
    return -1;
}

void ext_api_unregister_config_field(const pv_muc_extra_field_t *d)
{
    for (size_t i = 0; i < EXT_MAX_FIELDS; i++)
        if (reg_fields[i] == d)
            reg_fields[i] = NULL;
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
    const pv_muc_extra_field_t *d = field_def(var);
    const char *v = r->ext ? map_get(&r->ext->cfg, var) : NULL;
    return v ? v : d ? (d->def ? d->def : "") : NULL;
}

/* "boolean" or "text-single" for a registered field, else NULL. */
const char *ext_config_type(const char *var)
{
    const pv_muc_extra_field_t *d = field_def(var);
    return d ? d->type : NULL;
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

void ext_form_fields(const room_t *r, pv_el_t *x)
{
    for (size_t i = 0; i < EXT_MAX_FIELDS; i++) {
        const pv_muc_extra_field_t *d = reg_fields[i];
        if (!d)
            continue;
        pv_el_t *fe = pv_form_add_field(x, d->var, d->type, d->label, NULL);
        if (pv_form_add_value(fe, ext_config_get(r, d->var)) < 0) {
            pv_log(PV_LOG_ERROR, MUC, "out of memory building the form of %s", r->jid);
            return;
        }
    }
}

/* What ext_config_submit replaced, to put back when storing the form failed. */
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

/* True when a field ext_config_submit set now differs from what it was
 * (config_change.c: such a change is announced with 104 too). */
bool ext_config_changed(const room_t *r, const ext_cfg_undo_t *u)
{
    for (size_t i = 0; u && i < u->n; i++) {
        const pv_muc_extra_field_t *d = field_def(u->key[i]);
        const char *before = u->old[i] ? u->old[i] : d && d->def ? d->def : "";
        const char *now = ext_config_get(r, u->key[i]);
        if (now && strcmp(before, now))
            return true;
    }
    return false;
}

/* Remembers the value `var` has now in *u: false when out of memory. */
static bool undo_keep(ext_cfg_undo_t *u, const room_t *r, const char *var)
{
    const char *cur = r->ext ? map_get(&r->ext->cfg, var) : NULL;
    size_t i = u->n;
    if (!(u->key[i] = xstrdup(var)))
        return false;
    u->n++;
    return !cur || (u->old[i] = xstrdup(cur)) != NULL;
}

/* Validates every extra field of the submitted form, then sets them all in
 * memory (persist_config stores them with the room). NULL when fine, with
 * *undo (owned by the caller: ext_config_undo or ext_config_undo_free) able
 * to put the previous values back; else an error text (nothing changed). */
const char *ext_config_submit(room_t *r, pv_el_t *form, ext_cfg_undo_t **undo)
{
    char *vals[EXT_MAX_FIELDS] = {0};
    const char *why = NULL;
    *undo = NULL;
    for (pv_el_t *f = pv_el_child(form, PV_NS_DATA, "field"); f && !why;
         f = pv_el_next(f, PV_NS_DATA, "field")) {
        const char *var = pv_el_attr(f, "var");
        const pv_muc_extra_field_t *d = field_def(var);
        if (!d)
            continue;
        size_t k = 0;
        while (reg_fields[k] != d)
            k++;
        const char *t = pv_el_child_text(f, PV_NS_DATA, "value");
        t = t ? t : "";
        if (!strcmp(d->type, "boolean")) {
            if (!strcmp(t, "1") || !strcmp(t, "true"))
                t = "1";
            else if (!strcmp(t, "0") || !strcmp(t, "false") || !*t)
                t = "0";
            else
                why = errtext("Field %s must be a boolean (1, 0, true or false)", var);
        }
        free(vals[k]);
        vals[k] = why ? NULL : xstrdup(t);
        if (!why && !vals[k])
            why = "Out of memory";
    }
    ext_cfg_undo_t *u = why ? NULL : calloc(1, sizeof *u);
    struct ext_room *x = u ? ext_of(r) : NULL;
    for (size_t k = 0; !why && x && k < EXT_MAX_FIELDS; k++)
        if (vals[k] && !undo_keep(u, r, reg_fields[k]->var))
            x = NULL;
    if (!why && !x) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory taking the options of %s", r->jid);
        why = "Out of memory";
    }
    for (size_t k = 0; k < EXT_MAX_FIELDS; k++) {
        if (!why && vals[k]) {
            free(map_del(&x->cfg, reg_fields[k]->var));
            if (map_put(&x->cfg, reg_fields[k]->var, vals[k]) == 0)
                continue; /* the map owns it now */
            pv_log(PV_LOG_ERROR, MUC, "out of memory storing %s of %s", reg_fields[k]->var, r->jid);
        }
        free(vals[k]);
    }
    if (why)
        ext_config_undo_free(u);
    else
        *undo = u;
    return why;
}

/* ---- muc#admin: extra affiliations ---- */

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

typedef struct ext_item {
    char *bare;                      /* owned */
    const pv_muc_extra_aff_t *grant; /* granting this extra affiliation */
    char *gname;                     /* its name (owned): looked up again once stored */
    pv_muc_aff_t std;                /* else: taking one back with this standard affiliation */
} ext_item_t;

static bool std_aff(const char *s, pv_muc_aff_t *out)
{
    for (int a = PV_MUC_AFF_OUTCAST; a <= PV_MUC_AFF_OWNER; a++)
        if (s && !strcmp(aff_name((pv_muc_aff_t)a), s)) {
            *out = (pv_muc_aff_t)a;
            return true;
        }
    return false;
}

/* The item's target bare JID (malloc'd), or NULL with *cond set. */
static char *item_target(const room_t *r, pv_el_t *item, const char **cond)
{
    const char *j = pv_el_attr(item, "jid"), *nick = pv_el_attr(item, "nick");
    if (j) {
        pv_jid_t *jid = pv_jid_parse(j);
        char *b = jid ? xstrdup(jid->bare) : NULL;
        pv_jid_free(jid);
        *cond = b ? NULL : "jid-malformed";
        return b;
    }
    if (nick) {
        occupant_t *o = occupant_by_nick(r, nick);
        *cond = o ? NULL : "item-not-found";
        return o ? xstrdup(o->bare) : NULL;
    }
    *cond = "bad-request";
    return NULL;
}

/* In memory and announced: stored beforehand (or the room is not stored). */
static void apply(room_t *r, const ext_item_t *it)
{
    pv_muc_aff_t std = it->grant ? PV_MUC_AFF_NONE : it->std;
    room_aff_set(r, it->bare, std); /* clears the extra one (ext_aff_cleared) */
    if (it->grant) {
        if (held_set(r, it->bare, it->grant->name) < 0)
            pv_log(PV_LOG_ERROR, MUC, "cannot grant %s to %s in %s", it->grant->name, it->bare,
                   r->jid);
    }
    for (occupant_t *o = occupant_by_bare(r, it->bare); o; o = o->bare_next)
        o->role = it->grant ? it->grant->base_role : role_for(r, std);
    occupant_announce_affiliation(r, it->bare);
    pv_log(PV_LOG_DEBUG, MUC, "%s is now %s in %s", it->bare,
           it->grant ? it->grant->name : aff_name(std), r->jid);
}

static pv_verdict_t list(pv_stanza_ctx_t *ctx, room_t *r, const pv_muc_extra_aff_t *d)
{
    pv_muc_aff_t need = d->grantor < PV_MUC_AFF_ADMIN ? d->grantor : PV_MUC_AFF_ADMIN;
    if (room_aff(r, ctx->from->bare) < need)
        return refuse(ctx, "auth", "forbidden",
                      errtext("You may not list the %s affiliation of this room", d->name));
    pv_el_t *res = pv_iq_result_new(ctx->stanza);
    pv_el_t *q = res ? pv_el_add(res, NS_MUC_ADMIN, "query") : NULL;
    if (!q) {
        pv_el_free(res);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    size_t i;
    if (r->ext)
        for (map_entry_t *e = map_first(&r->ext->affs, &i); e; e = map_next(&r->ext->affs, e, &i)) {
            if (strcmp(e->val, d->name))
                continue;
            pv_el_t *item = pv_el_add(q, NS_MUC_ADMIN, "item");
            if (!item)
                break;
            pv_el_set_attr(item, "affiliation", d->name);
            pv_el_set_attr(item, "jid", e->key);
            occupant_t *o = occupant_by_bare(r, e->key);
            if (o)
                pv_el_set_attr(item, "nick", o->nick);
        }
    pv_send(res);
    pv_el_free(res);
    return PV_HANDLED;
}

static void free_items(ext_item_t *items, size_t n)
{
    for (size_t i = 0; items && i < n; i++) {
        free(items[i].bare);
        free(items[i].gname);
    }
    free(items);
}

/* A muc#admin change of extra affiliations waiting for the backend. */
typedef struct ext_op {
    char *room;        /* room node (owned) */
    pv_el_t *iq;       /* copy of the request (owned) */
    ext_item_t *items; /* owned */
    size_t n;
} ext_op_t;

static void op_free(ext_op_t *op)
{
    if (!op)
        return;
    free_items(op->items, op->n);
    free(op->room);
    pv_el_free(op->iq);
    free(op);
}

/* Stored (or nothing to store): applied in memory, broadcast, answered. */
static void settle(ext_op_t *op)
{
    room_t *r = rooms_get(op->room);
    if (!r) {
        pv_send_error(op->iq, "cancel", "item-not-found", "The room was destroyed meanwhile");
        return;
    }
    r->busy++;
    for (size_t k = 0; k < op->n; k++) {
        ext_item_t *it = &op->items[k];
        if (it->gname && !(it->grant = aff_def(it->gname))) {
            pv_log(PV_LOG_WARN, MUC, "%s of %s in %s stored, but %s is no longer registered",
                   it->gname, it->bare, r->jid, it->gname);
            room_aff_set(r, it->bare, PV_MUC_AFF_NONE); /* as stored */
            if (held_set(r, it->bare, it->gname) < 0)
                pv_log(PV_LOG_ERROR, MUC, "cannot keep %s of %s in %s", it->gname, it->bare,
                       r->jid);
            continue;
        }
        apply(r, it);
    }
    pv_el_t *res = pv_iq_result_new(op->iq);
    if (res) {
        pv_send(res);
        pv_el_free(res);
    }
    r->busy--;
    rooms_maybe_destroy(r);
}

static void stored(int status, const char *error, void *ud)
{
    ext_op_t *op = ud;
    if (!muc) { /* the backend settled it after muc-core shut down */
        op_free(op);
        return;
    }
    if (status != PV_STORE_OK) {
        pv_log(PV_LOG_ERROR, MUC, "storing extra affiliations of %s failed: %s", op->room,
               error ? error : "unknown error");
        pv_send_error(op->iq, "wait", "internal-server-error",
                      "The change could not be stored; nothing was changed");
    } else {
        settle(op);
    }
    room_unpin(op->room);
    op_free(op);
}

/* Handles muc#admin requests about extra affiliations; passes the rest on. */
pv_verdict_t ext_admin_iq_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    room_t *r = room_of(ctx->to);
    pv_el_t *q = ctx->payload;
    if (!r || !q || strcmp(q->name, "query"))
        return PV_PASS;
    bool get = !strcmp(ctx->type, "get");
    if (!get && strcmp(ctx->type, "set"))
        return PV_PASS;
    if (get) {
        pv_el_t *item = pv_el_child(q, NS_MUC_ADMIN, "item");
        const pv_muc_extra_aff_t *d = item ? aff_def(pv_el_attr(item, "affiliation")) : NULL;
        return d ? list(ctx, r, d) : PV_PASS;
    }
    size_t n = 0, ours = 0;
    for (pv_el_t *it = pv_el_child(q, NS_MUC_ADMIN, "item"); it;
         it = pv_el_next(it, NS_MUC_ADMIN, "item"))
        n++;
    ext_item_t *items = n ? calloc(n, sizeof *items) : NULL;
    if (!items)
        return PV_PASS;
    const char *cond = NULL;
    size_t k = 0;
    for (pv_el_t *it = pv_el_child(q, NS_MUC_ADMIN, "item"); it;
         it = pv_el_next(it, NS_MUC_ADMIN, "item"), k++) {
        const char *a = pv_el_attr(it, "affiliation");
        const pv_muc_extra_aff_t *d = aff_def(a);
        pv_muc_aff_t std;
        if (d) {
            items[k].grant = d;
            if (!(items[k].gname = xstrdup(d->name))) {
                free_items(items, n);
                return refuse(ctx, "wait", "internal-server-error", "Out of memory");
            }
        } else if (a && !pv_el_attr(it, "role") && std_aff(a, &std) && std != PV_MUC_AFF_OUTCAST) {
            items[k].std = std;
        } else {
            continue; /* not ours */
        }
        const char *c = NULL;
        char *bare = item_target(r, it, &c);
        if (!bare) {
            if (d && !cond)
                cond = c; /* an error matters only for our own items */
            continue;
        }
        if (!d && !held(r, bare)) {
            free(bare);
            continue; /* a standard change of a standard holder */
        }
        items[k].bare = bare;
        ours++;
    }
    pv_verdict_t v = PV_PASS;
    if (!ours && !cond)
        goto out;
    if (cond) {
        v = refuse(ctx, "modify", cond, "Cannot find the target of an item");
        goto out;
    }
    if (ours != n) {
        v = refuse(ctx, "modify", "bad-request",
                   "Changes of extra affiliations must be sent in a request of their own");
        goto out;
    }
    pv_muc_aff_t actor = room_aff(r, ctx->from->bare);
    for (k = 0; k < n; k++) {
        pv_muc_aff_t need = items[k].grant                     ? items[k].grant->grantor
                            : items[k].std >= PV_MUC_AFF_ADMIN ? PV_MUC_AFF_OWNER
                                                               : PV_MUC_AFF_ADMIN;
        if (actor < need) {
            v = refuse(ctx, "auth", "forbidden",
                       "You are not allowed to change this affiliation in this room");
            goto out;
        }
        if (!strcmp(items[k].bare, ctx->from->bare)) {
            v = refuse(ctx, "cancel", "not-allowed", "You cannot change your own affiliation");
            goto out;
        }
    }
    void *h;
    const pv_store_t *st = r->stored ? pv_store(&h) : NULL;
    ext_op_t *op = calloc(1, sizeof *op);
    pv_store_aff_t *sa = st ? calloc(n, sizeof *sa) : NULL;
    if (!op || (st && !sa) || !(op->room = xstrdup(r->name)) ||
        !(op->iq = pv_el_clone(ctx->stanza))) {
        free(sa);
        op_free(op);
        v = refuse(ctx, "wait", "internal-server-error", "Out of memory");
        goto out;
    }
    op->items = items; /* the op owns them from here */
    op->n = n;
    if (!st) {
        settle(op);
        op_free(op);
        return PV_HANDLED;
    }
    for (k = 0; k < n; k++)
        sa[k] = (pv_store_aff_t){items[k].bare,
                                 items[k].gname ? items[k].gname : aff_name(items[k].std), NULL};
    room_pin(r);                                 /* stays in memory until stored() */
    st->affs_set(h, r->name, sa, n, stored, op); /* owns op from here */
    free(sa);
    return PV_HANDLED;
out:
    free_items(items, n);
    return v;
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
