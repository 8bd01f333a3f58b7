/*
 * create.c: room creation (XEP-0045 §10.1) and the owner's configuration
 * flow. Who may create is the plugin's <create> policy (anyone, local users,
 * listed JIDs/domains, service admins). A join with the muc <x/> creates a
 * locked room (201) that nobody else can enter until the owner submits the
 * form (instant room: an empty submit; reserved room: get, then submit) or
 * cancels (which destroys it); a GroupChat 1.0 join creates an instant room.
 * The form is generated from the registry of configuration rows (muc-core's
 * own, config_fields.c, and other plugins'; extensions.c). A submitted
 * form of a persistent room is stored first (the config, then its owner and
 * admin lists in one affs_set); only when the backend said yes is it applied,
 * answered and announced; a failure answers internal-server-error.
 */
#include "muc_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool allow_listed(const pv_jid_t *who)
{
    for (char **a = muc->allow; a && *a; a++)
        if (!strcmp(*a, who->bare) || !strcmp(*a, who->domain))
            return true;
    return false;
}

bool create_allowed(const pv_jid_t *who)
{
    if (pv_is_sadmin(who->bare))
        return true;
    switch (muc->create) {
    case CREATE_ANYONE:
        return true;
    case CREATE_LOCAL: {
        const char *svc = pv_service_domain();
        const char *dot = strchr(svc, '.');
        const char *parent = dot ? dot + 1 : svc;
        return strcmp(who->domain, parent) == 0 || strcmp(who->domain, svc) == 0 ||
               allow_listed(who);
    }
    case CREATE_LIST:
        return allow_listed(who);
    case CREATE_ADMINS:
    default:
        return false;
    }
}

room_t *create_room(const char *name, const pv_jid_t *creator, bool locked)
{
    room_t *r = room_new(name);
    if (!r)
        return NULL;
    room_defaults_apply(r); /* the service's <room-defaults> (room_defaults.c) */
    if (room_aff_set(r, creator->bare, PV_MUC_AFF_OWNER) < 0 || rooms_add(r) < 0) {
        room_free(r);
        return NULL;
    }
    r->locked = locked;
    pv_log(PV_LOG_INFO, MUC, "%s created room %s (%s)", creator->full, r->jid,
           locked ? "locked until configured" : "instant");
    pv_muc_room_event_t ev = {.room = r, .actor = creator};
    pv_event_fire(ev_room_created, &ev);
    return r;
}

/* Row i as a form field, with its value(s) and options. */
static bool form_row(const room_t *r, pv_el_t *x, int i)
{
    const config_field_t *f = config_row(i);
    pv_el_t *fe = pv_form_add_field(x, f->var, config_field_type_name(f->type), f->label, NULL);
    if (!fe)
        return false;
    if (room_defaults_admin_only(f->var)) /* kept in the form: a whole-form submit stays fine */
        pv_el_add_text_child(fe, PV_NS_DATA, "desc",
                             "Only a service administrator may change this value");
    const char *v = config_row_value(r, i);
    if (f->type == FT_LIST_MULTI || f->type == FT_TEXT_MULTI) {
        char *dup = xstrdup(v), *save = NULL;
        const char *sep = f->type == FT_LIST_MULTI ? " " : "\n";
        for (char *t = dup ? strtok_r(dup, sep, &save) : NULL; t; t = strtok_r(NULL, sep, &save))
            pv_form_add_value(fe, t);
        free(dup);
    } else if (pv_form_add_value(fe, v) < 0) {
        return false;
    }
    for (const char *const *o = f->options; o && *o; o++)
        pv_form_add_option(fe, *o, *o);
    return true;
}

/* The rows whose form place follows `after`, each with those that follow it;
 * after NULL: the rows that follow no other row, muc-core's own (own true)
 * or other plugins' (own false), in registration order. */
static bool form_rows_after(const room_t *r, pv_el_t *x, const char *after, bool own)
{
    for (int i = 0; i < CONFIG_MAX_ROWS; i++) {
        const config_field_t *f = config_row(i);
        if (!f)
            continue;
        bool placed = f->after && config_row_find(f->after) >= 0;
        if (after ? !placed || strcmp(f->after, after) : placed || own != (i < CF_COUNT))
            continue;
        if (!form_row(r, x, i) || !form_rows_after(r, x, f->var, own)) {
            pv_log(PV_LOG_ERROR, MUC, "out of memory building the form of %s", r->jid);
            return false;
        }
    }
    return true;
}

void config_form_build(const room_t *r, pv_el_t *query)
{
    pv_el_t *x = pv_form_new(query, "form", NS_MUC_ROOMCONFIG, "Room configuration",
                             "Complete this form to configure the room.");
    if (!x || !form_rows_after(r, x, NULL, true))
        return;
    config_lists_form(r, x);
    form_rows_after(r, x, NULL, false);
}

static void destroy_locked(room_t *r, const pv_jid_t *actor)
{
    /* every occupant (the owner) is told the room is gone (destroy.c) */
    room_destroy(r, NULL, actor, NULL, NULL);
}

/* A submitted configuration waiting for the backend (persistent rooms). */
typedef struct cfg_op {
    char *room;  /* node */
    pv_el_t *iq; /* copy of the request (owned) */
    /* submitted values by row (owned), NULL: unchanged; muc-core's rows'
     * (vals[CF]) until applied, other plugins' (vals + CF_COUNT) until set */
    char *vals[CONFIG_MAX_ROWS];
    bool persistent;          /* stored as persistent; else deleted (or never stored) */
    ext_cfg_undo_t *ext_undo; /* other plugins' fields as they were (owned) */
    pv_el_t *x;               /* copy of the submitted form (owned) */
    pv_el_t *result;          /* the reply when not an empty result (service commands), or NULL */
} cfg_op_t;

static void cfg_op_free(cfg_op_t *op)
{
    if (!op)
        return;
    for (int i = 0; i < CONFIG_MAX_ROWS; i++)
        free(op->vals[i]);
    ext_config_undo_free(op->ext_undo);
    free(op->room);
    pv_el_free(op->iq);
    pv_el_free(op->x);
    pv_el_free(op->result);
    free(op);
}

/* The backend said yes (or the room is not stored): applied in memory, answered, announced. */
static void cfg_apply(cfg_op_t *op)
{
    room_t *r = rooms_get(op->room);
    if (!r) {
        pv_send_error(op->iq, "cancel", "item-not-found", "The room was destroyed meanwhile");
        return;
    }
    char *old[CF_COUNT] = {0};
    for (int i = 0; i < CF_COUNT; i++)
        old[i] = xstrdup(room_cfg(r, i));
    for (int i = 0; i < CF_COUNT; i++)
        if (op->vals[i] && room_cfg_set(r, i, op->vals[i]) < 0)
            pv_log(PV_LOG_ERROR, MUC, "out of memory setting %s of %s", config_fields[i].var,
                   r->jid);
    r->locked = false;
    if (!op->persistent)
        r->stored = false;
    pv_el_t *res = op->result ? pv_el_clone(op->result) : pv_iq_result_new(op->iq);
    if (res) {
        pv_send(res);
        pv_el_free(res);
    }
    pv_el_t *x = op->x;
    r->busy++;
    audit_config(r, op->iq, old, x);
    if (x)
        config_lists_apply(r, x);
    config_changed(r, old, ext_config_changed(r, op->ext_undo)); /* the first one too */
    pv_jid_t *actor = pv_jid_parse(pv_el_attr(op->iq, "from"));
    pv_muc_room_event_t ev = {.room = r, .actor = actor};
    pv_event_fire(ev_room_configured, &ev);
    pv_log(PV_LOG_DEBUG, MUC, "%s configured %s", actor ? actor->full : "?", r->jid);
    pv_jid_free(actor);
    for (int i = 0; i < CF_COUNT; i++)
        free(old[i]);
    r->busy--;
    rooms_maybe_destroy(r);
}

static void cfg_stored(bool ok, void *ud)
{
    cfg_op_t *op = ud;
    if (!muc) { /* settled after muc-core shut down */
        cfg_op_free(op);
        return;
    }
    if (ok) {
        cfg_apply(op);
    } else {
        ext_config_undo(rooms_get(op->room), op->ext_undo);
        op->ext_undo = NULL;
        pv_send_error(op->iq, "wait", "internal-server-error",
                      "The configuration could not be stored; nothing was changed");
    }
    cfg_op_free(op);
}

pv_verdict_t config_submit(pv_stanza_ctx_t *ctx, room_t *r, pv_el_t *x, const pv_el_t *result)
{
    cfg_op_t *op = calloc(1, sizeof *op);
    if (!op || !(op->room = xstrdup(r->name)) || !(op->iq = pv_el_clone(ctx->stanza)) ||
        !(op->x = pv_el_clone(x)) || (result && !(op->result = pv_el_clone(result)))) {
        cfg_op_free(op);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    const char *locked = room_defaults_forbidden(r, x, ctx->from->bare); /* <admin-only-fields> */
    if (locked) {
        const char *text = errtext("Only a service administrator may change %s", locked);
        cfg_op_free(op);
        return refuse(ctx, "auth", "forbidden", text);
    }
    for (pv_el_t *f = pv_el_child(x, PV_NS_DATA, "field"); f;
         f = pv_el_next(f, PV_NS_DATA, "field")) {
        const char *var = pv_el_attr(f, "var");
        int i = var ? config_row_find(var) : -1;
        if (i < 0)
            continue; /* FORM_TYPE, the lists (config_lists_check), unknown vars */
        const char *why = NULL;
        char *val = config_field_normalise(config_row(i), f, &why);
        if (!val) {
            const char *kept = errtext("Field %s %s", var, why ? why : "has an invalid value");
            cfg_op_free(op);
            return refuse(ctx, "modify", "not-acceptable", kept);
        }
        free(op->vals[i]);
        op->vals[i] = val;
    }
    const char *bad = config_lists_check(x);
    if (bad) {
        cfg_op_free(op);
        return refuse(ctx, "modify", "not-acceptable", bad);
    }
    const char *ext_why = ext_config_set(r, op->vals + CF_COUNT, &op->ext_undo);
    if (ext_why) {
        cfg_op_free(op);
        return refuse(ctx, "modify", "not-acceptable", ext_why);
    }
    const char *p = op->vals[CF_PERSISTENT] ? op->vals[CF_PERSISTENT] : room_cfg(r, CF_PERSISTENT);
    op->persistent = p && !strcmp(p, "1");
    if (op->persistent) {
        pv_store_aff_t *items;
        size_t n;
        if (config_lists_changes(r, x, &items, &n) < 0) {
            cfg_op_free(op);
            return refuse(ctx, "wait", "internal-server-error", "Out of memory");
        }
        /* the config, then the form's owner/admin lists in one affs_set */
        persist_config(r, op->vals, r->subject, r->subject_from, items, n, cfg_stored, op);
        config_lists_free(items, n);
    } else if (r->stored) {
        persist_delete_then(r, cfg_stored, op);
    } else {
        cfg_stored(true, op);
    }
    return PV_HANDLED;
}

pv_verdict_t owner_iq_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    if (strcmp(ctx->type, "get") && strcmp(ctx->type, "set"))
        return PV_PASS;
    room_t *r = room_of(ctx->to);
    if (!r)
        return refuse(ctx, "cancel", "item-not-found", "No such room");
    if (room_aff(r, ctx->from->bare) != PV_MUC_AFF_OWNER)
        return refuse(ctx, "auth", "forbidden", "Only owners may configure this room");
    pv_el_t *q = ctx->payload;
    pv_el_t *destroy = pv_el_child(q, NS_MUC_OWNER, "destroy");
    if (destroy)
        return owner_destroy(ctx, r, destroy);
    if (!strcmp(ctx->type, "get")) {
        pv_el_t *res = pv_iq_result_new(ctx->stanza);
        pv_el_t *rq = res ? pv_el_add(res, NS_MUC_OWNER, "query") : NULL;
        if (!rq) {
            pv_el_free(res);
            return refuse(ctx, "wait", "internal-server-error", "Out of memory");
        }
        config_form_build(r, rq);
        pv_send(res);
        pv_el_free(res);
        return PV_HANDLED;
    }
    pv_el_t *x = pv_form_find(q, NULL);
    if (!x)
        return refuse(ctx, "modify", "bad-request", "Expected a jabber:x:data form");
    const char *t = pv_el_attr(x, "type");
    if (t && !strcmp(t, "cancel")) {
        pv_el_t *res = pv_iq_result_new(ctx->stanza);
        if (res) {
            pv_send(res);
            pv_el_free(res);
        }
        if (r->locked)
            destroy_locked(r, ctx->from);
        return PV_HANDLED;
    }
    if (!t || strcmp(t, "submit"))
        return refuse(ctx, "modify", "bad-request", "The form must be of type submit or cancel");
    return config_submit(ctx, r, x, NULL);
}
