/*
 * admin.c: the muc#admin IQ (XEP-0045 §8, §9, §10.3-10.8).
 *
 * get: one list per request (<item role=.../> or <item affiliation=.../>),
 * allowed per the list table in privileges.c.
 * set: every <item> is validated against the change tables first (any
 * refusal answers the IQ with that one error and changes nothing); the
 * affiliation changes of a stored room are then written with one affs_set
 * call (all or none); only when the backend said yes (now, or later for
 * asynchronous backends) are they applied in memory and broadcast: removed
 * occupants are told first, then the actor gets the result, then the room
 * gets each change once (with <actor nick/>, <reason/> and the status code);
 * users who are not in the room learn of their new affiliation by a message
 * with status 101 and the occupants who may see real JIDs by a message.
 * A failing backend gives internal-server-error and nothing is broadcast.
 *
 * An affiliation is a row (affiliations.c): its name (as stored and
 * shown), its rank for every standard check, who may grant and list it.
 * The five of XEP-0045 are muc-core's; the extra ones other plugins
 * register (pv_muc_extra_aff_t) rank as none, are granted and listed from
 * `grantor` up (listed from admin up at most), are never granted to oneself
 * and are stored by name (extensions.c keeps who holds them). Items of both kinds go through the
 * same checks, the same single stored write and the same broadcast, in one request or several; an
 * extra grant kicks nobody and is not announced to absent users.
 */
#include "muc_internal.h"
#include <stdlib.h>
#include <string.h>

typedef struct change {
    bool is_role;
    pv_muc_role_t role;
    pv_muc_aff_t aff; /* PV_MUC_AFF_NONE for an extra one */
    char *extra;      /* an extra affiliation's name (owned), or NULL */
    char *nick;       /* role changes: the target occupant's nick */
    char *jid;        /* affiliation changes: bare JID or domain */
    char *reason;     /* or NULL */
} change_t;

typedef struct admin_op {
    char *room;       /* room node */
    pv_el_t *iq;      /* copy of the request (owned) */
    char *actor_nick; /* the actor's nick in the room, or NULL */
    char *actor_bare; /* the actor's bare JID (for the log) */
    change_t *c;
    size_t n;
    pv_el_t *result; /* the reply when it is not an empty result (service commands), or NULL */
} admin_op_t;

static void op_free(admin_op_t *op)
{
    if (!op)
        return;
    for (size_t i = 0; i < op->n; i++) {
        free(op->c[i].nick);
        free(op->c[i].extra);
        free(op->c[i].jid);
        free(op->c[i].reason);
    }
    free(op->c);
    free(op->room);
    free(op->actor_nick);
    free(op->actor_bare);
    pv_el_free(op->iq);
    pv_el_free(op->result);
    free(op);
}

/* ---- get: lists ---- */

static void add_occupant_item(pv_el_t *q, const occupant_t *o, bool with_jid)
{
    pv_el_t *it = pv_el_add(q, NS_MUC_ADMIN, "item");
    if (!it)
        return;
    pv_el_set_attr(it, "affiliation", aff_name(occupant_aff(o)));
    pv_el_set_attr(it, "role", role_name(o->role));
    pv_el_set_attr(it, "nick", o->nick);
    if (with_jid && o->sessions)
        pv_el_set_attr(it, "jid", o->sessions->jid->full);
}

/* A get of an extra affiliation's list: as its row says (priv_list_aff). */
static pv_verdict_t get_extra_list(pv_stanza_ctx_t *ctx, room_t *r, const aff_row_t *d,
                                   pv_muc_role_t actor_role)
{
    if (!priv_list_aff(r, room_aff(r, ctx->from->bare), actor_role, (pv_muc_aff_t)d->id))
        return refuse(ctx, "auth", "forbidden",
                      errtext("You may not read the %s list of this room", d->name));
    pv_el_t *res = pv_iq_result_new(ctx->stanza);
    pv_el_t *rq = res ? pv_el_add(res, NS_MUC_ADMIN, "query") : NULL;
    if (!rq) {
        pv_el_free(res);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    ext_aff_list_items(r, d->name, rq);
    pv_send(res);
    pv_el_free(res);
    return PV_HANDLED;
}

static pv_verdict_t get_list(pv_stanza_ctx_t *ctx, room_t *r, pv_el_t *q)
{
    pv_el_t *want = pv_el_child(q, NS_MUC_ADMIN, "item");
    if (!want || pv_el_next(want, NS_MUC_ADMIN, "item"))
        return refuse(ctx, "modify", "bad-request",
                      "Ask for one list: one <item role|affiliation/>");
    session_t *s = session_by_full(r, ctx->from->full);
    pv_muc_aff_t actor_aff = room_aff(r, ctx->from->bare);
    pv_muc_role_t actor_role = s ? s->occ->role : PV_MUC_ROLE_NONE;
    const char *rs = pv_el_attr(want, "role"), *as = pv_el_attr(want, "affiliation");
    pv_muc_role_t role;
    pv_muc_aff_t aff;
    bool by_role = rs != NULL;
    const aff_row_t *extra = by_role ? NULL : ext_aff_def(as);
    if (extra)
        return get_extra_list(ctx, r, extra, actor_role);
    if (by_role ? !role_parse(rs, &role) : !aff_parse(as, &aff))
        return refuse(ctx, "modify", "bad-request",
                      errtext("Unknown %s '%s'", by_role ? "role" : "affiliation",
                              by_role ? rs
                              : as    ? as
                                      : ""));
    if (by_role ? !priv_list_role(r, actor_aff, actor_role, role)
                : !priv_list_aff(r, actor_aff, actor_role, aff))
        return refuse(ctx, "auth", "forbidden",
                      errtext("You may not read the %s list of this room", by_role ? rs : as));
    pv_el_t *res = pv_iq_result_new(ctx->stanza);
    pv_el_t *rq = res ? pv_el_add(res, NS_MUC_ADMIN, "query") : NULL;
    if (!rq) {
        pv_el_free(res);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    if (by_role) {
        bool see = actor_aff >= PV_MUC_AFF_ADMIN || (s && may_see_jid(r, s->occ));
        for (occupant_t *o = r->first; o; o = o->next)
            if (o->role == role)
                add_occupant_item(rq, o, see);
    } else {
        size_t i;
        for (map_entry_t *e = map_first(&r->affs, &i); e; e = map_next(&r->affs, e, &i)) {
            if ((pv_muc_aff_t)((intptr_t)e->val - 1) != aff)
                continue;
            pv_el_t *it = pv_el_add(rq, NS_MUC_ADMIN, "item");
            if (!it)
                break;
            pv_el_set_attr(it, "affiliation", as);
            pv_el_set_attr(it, "jid", e->key);
            const char *why = room_aff_reason(r, e->key);
            if (why)
                pv_el_add_text_child(it, NS_MUC_ADMIN, "reason", why);
        }
    }
    pv_send(res);
    pv_el_free(res);
    return PV_HANDLED;
}

/* ---- set: validation ---- */

static char *bare_of(const char *jid)
{
    pv_jid_t *j = pv_jid_parse(jid);
    char *out = j ? xstrdup(j->bare) : NULL;
    pv_jid_free(j);
    return out;
}

/* Is anyone of that bare JID in the room now? */
static bool left_present(const room_t *r, const char *bare)
{
    return map_get(&r->by_bare, bare) != NULL;
}

/* Granting an extra affiliation: as its row says (from its grantor up,
 * never to oneself), to a target the actor reaches (priv_aff_change). */
static pv_verdict_t check_extra(pv_stanza_ctx_t *ctx, room_t *r, const change_t *c,
                                const aff_row_t *d, pv_muc_aff_t actor_aff,
                                pv_muc_role_t actor_role)
{
    priv_answer_t a = priv_aff_change(actor_aff, actor_role, room_aff(r, c->jid), d->id);
    if (a != PRIV_OK)
        return refuse(ctx, a == PRIV_FORBIDDEN ? "auth" : "cancel", priv_condition(a),
                      errtext("You may not make %s a %s", c->jid, d->name));
    if (d->not_to_self && !strcmp(c->jid, ctx->from->bare))
        return refuse(ctx, "cancel", "not-allowed", "You cannot change your own affiliation");
    return PV_PASS;
}

/* Parses and checks one item into c; on refusal returns the verdict. */
static pv_verdict_t check_item(pv_stanza_ctx_t *ctx, room_t *r, pv_el_t *it, change_t *c,
                               pv_muc_aff_t actor_aff, pv_muc_role_t actor_role)
{
    const char *rs = pv_el_attr(it, "role"), *as = pv_el_attr(it, "affiliation");
    const char *nick = pv_el_attr(it, "nick"), *jid = pv_el_attr(it, "jid");
    const char *reason = pv_el_child_text(it, NS_MUC_ADMIN, "reason");
    const pv_el_t *oid_el = pv_el_child(it, NS_OCCUPANT_ID, "occupant-id");
    const char *oid = oid_el ? pv_el_attr(oid_el, "id") : NULL;
    bool by_id = false;
    if ((rs != NULL) == (as != NULL))
        return refuse(ctx, "modify", "bad-request",
                      "Each item changes either a role or an affiliation");
    if (reason && *reason && !(c->reason = xstrdup(reason)))
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    if (rs) {
        c->is_role = true;
        if (!role_parse(rs, &c->role))
            return refuse(ctx, "modify", "bad-request", errtext("Unknown role '%s'", rs));
        if (!nick)
            return refuse(ctx, "modify", "bad-request", "A role change names the occupant's nick");
        occupant_t *t = occupant_by_nick(r, nick);
        if (!t)
            return refuse(ctx, "cancel", "item-not-found",
                          errtext("There is no occupant with the nick '%s'", nick));
        priv_answer_t a =
            priv_role_change(actor_aff, actor_role, occupant_aff(t), t->role, c->role);
        if (a != PRIV_OK)
            return refuse(ctx, a == PRIV_FORBIDDEN ? "auth" : "cancel", priv_condition(a),
                          errtext("You may not make %s a %s", t->nick, rs));
        if (!(c->nick = xstrdup(t->nick)))
            return refuse(ctx, "wait", "internal-server-error", "Out of memory");
        return PV_PASS;
    }
    const aff_row_t *extra = ext_aff_def(as);
    if (extra) {
        c->aff = extra->rank;
        if (!(c->extra = xstrdup(extra->name)))
            return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    } else if (!aff_parse(as, &c->aff)) {
        return refuse(ctx, "modify", "bad-request", errtext("Unknown affiliation '%s'", as));
    }
    if (jid) {
        c->jid = bare_of(jid);
        if (!c->jid)
            return refuse(ctx, "modify", "jid-malformed", errtext("'%s' is not a JID", jid));
    } else if (nick) {
        occupant_t *t = occupant_by_nick(r, nick);
        if (!t)
            return refuse(ctx, "cancel", "item-not-found",
                          errtext("There is no occupant with the nick '%s'", nick));
        c->jid = xstrdup(t->bare);
    } else if (oid) { /* BAN-OID-1: present, or gone a little while ago (left_ids.c) */
        const char *bare = left_ids_find(r, oid);
        if (!bare)
            return refuse(ctx, "cancel", "item-not-found",
                          "No occupant with that occupant-id is here or left recently");
        c->jid = xstrdup(bare);
        by_id = true;
    } else {
        return refuse(ctx, "modify", "bad-request",
                      "An affiliation change names a jid, a nick or an occupant-id");
    }
    if (!c->jid)
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    if (pv_is_sadmin(c->jid))
        return refuse(ctx, "cancel", "not-allowed",
                      "Service administrators own every room; their affiliation cannot change");
    if (extra)
        return check_extra(ctx, r, c, extra, actor_aff, actor_role);
    priv_answer_t a = priv_aff_change(actor_aff, actor_role, room_aff(r, c->jid), c->aff);
    if (a != PRIV_OK && by_id && c->aff == PV_MUC_AFF_OUTCAST &&
        actor_role == PV_MUC_ROLE_MODERATOR && room_aff(r, c->jid) == PV_MUC_AFF_NONE &&
        !left_present(r, c->jid))
        a = PRIV_OK; /* BAN-OID-1: a moderator bans an unaffiliated user who already left */
    if (a != PRIV_OK)
        return refuse(ctx, a == PRIV_FORBIDDEN ? "auth" : "cancel", priv_condition(a),
                      errtext("You may not make %s %s %s", c->jid,
                              c->aff == PV_MUC_AFF_NONE ? "affiliated with" : "a", as));
    return PV_PASS;
}

/* Would the room be left without an owner (ADMIN-6)? Later items win. */
static bool removes_last_owner(const room_t *r, const admin_op_t *op)
{
    size_t before = room_owner_count(r), after = before;
    if (before == 0)
        return false;
    for (size_t i = 0; i < op->n; i++) {
        const change_t *c = &op->c[i];
        if (c->is_role)
            continue;
        bool later = false;
        for (size_t k = i + 1; k < op->n; k++)
            if (!op->c[k].is_role && !strcmp(op->c[k].jid, c->jid))
                later = true;
        if (later)
            continue;
        void *v = map_get(&r->affs, c->jid);
        bool was = v && (pv_muc_aff_t)((intptr_t)v - 1) == PV_MUC_AFF_OWNER;
        bool is = c->aff == PV_MUC_AFF_OWNER;
        if (was && !is)
            after--;
        else if (!was && is)
            after++;
    }
    return after == 0;
}

/* ---- set: applying ---- */

static bool aff_matches(const change_t *c, const char *bare)
{
    if (c->is_role)
        return false;
    if (!strcmp(c->jid, bare))
        return true;
    const char *at = strchr(bare, '@');
    return !strchr(c->jid, '@') && at && !strcmp(at + 1, c->jid); /* domain */
}

static bool sees_jids(const occupant_t *o, void *ud)
{
    (void)ud;
    return may_see_jid(o->room, o);
}

static void tell_absent(room_t *r, const change_t *c)
{
    /* the occupants who may see real JIDs learn of it (§9.3, §9.5) */
    pv_el_t *m = pv_el_new(PV_NS_STANZA, "message");
    if (!m)
        return;
    pv_el_set_attr(m, "from", r->jid);
    pv_el_t *x = pv_el_add(m, NS_MUC_USER, "x");
    pv_el_t *it = x ? pv_el_add(x, NS_MUC_USER, "item") : NULL;
    if (it) {
        pv_el_set_attr(it, "affiliation", aff_name(c->aff));
        pv_el_set_attr(it, "jid", c->jid);
        if (c->reason)
            pv_el_add_text_child(it, NS_MUC_USER, "reason", c->reason);
    }
    room_broadcast(r, m, NULL, &(bcast_t){.want = sees_jids});
    /* and the user, out of band, with 101 (not a whole domain) */
    if (it && strchr(c->jid, '@')) {
        pv_el_t *st = pv_el_add(x, NS_MUC_USER, "status");
        if (st) {
            pv_el_set_attr(st, "code", "101");
            pv_el_set_attr(m, "to", c->jid);
            pv_send(m);
        }
    }
    pv_el_free(m);
}

typedef struct touched {
    occupant_t *o;
    int code; /* 307, 301, 321 or 0 (stays) */
    pv_muc_role_t old_role;
    const char *reason;
} touched_t;

/* Does an earlier item of op change the affiliation of item i's JID? */
static bool changed_earlier(const admin_op_t *op, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (!op->c[k].is_role && !strcmp(op->c[k].jid, op->c[i].jid))
            return true;
    return false;
}

/* One INFO line per item, before anything changes (the old values are read
 * here); a role change of an occupant who left meanwhile is not logged. */
static void log_changes(const room_t *r, const admin_op_t *op)
{
    if (!pv_log_enabled(PV_LOG_INFO))
        return;
    char who[400];
    audit_actor(who, sizeof who, op->actor_bare, op->actor_nick);
    for (size_t i = 0; i < op->n; i++) {
        const change_t *c = &op->c[i];
        if (!c->is_role) {
            /* earlier items for the same JID in this IQ apply first */
            pv_muc_aff_t was = room_aff(r, c->jid);
            for (size_t k = 0; k < i; k++)
                if (!op->c[k].is_role && !strcmp(op->c[k].jid, c->jid))
                    was = op->c[k].aff;
            const char *held = changed_earlier(op, i) ? NULL : ext_aff_held(r, c->jid);
            if (c->extra || held) /* audit.c knows the standard ones */
                pv_log(PV_LOG_INFO, MUC,
                       "room %s: %s changed the affiliation of %s: %s -> %s%s%s%s", r->jid, who,
                       c->jid, held ? held : aff_name(was), c->extra ? c->extra : aff_name(c->aff),
                       c->reason ? ", reason: '" : "", c->reason ? c->reason : "",
                       c->reason ? "'" : "");
            else
                audit_aff(r, who, c->jid, was, c->aff, c->reason);
            continue;
        }
        const occupant_t *o = occupant_by_nick(r, c->nick);
        if (o)
            audit_role(r, who, o->nick, o->role, c->role, c->reason);
    }
}

/* The role an affiliation change gives a present occupant. */
static pv_muc_role_t new_role(const room_t *r, const change_t *ac, pv_muc_aff_t a)
{
    const aff_row_t *d = ac->extra ? ext_aff_def(ac->extra) : NULL;
    return d ? d->join_role : role_for(r, a);
}

static void apply(admin_op_t *op)
{
    room_t *r = rooms_get(op->room);
    if (!r) {
        pv_send_error(op->iq, "cancel", "item-not-found", "The room was destroyed meanwhile");
        return;
    }
    r->busy++;
    log_changes(r, op);
    for (size_t i = 0; i < op->n; i++) {
        change_t *c = &op->c[i];
        if (c->is_role)
            continue;
        if (room_aff_set(r, c->jid, c->aff) < 0)
            pv_log(PV_LOG_ERROR, MUC, "out of memory setting %s's affiliation in %s", c->jid,
                   r->jid);
        room_aff_reason_set(r, c->jid, c->aff == PV_MUC_AFF_NONE ? NULL : c->reason);
        if (c->extra)
            ext_aff_grant(r, c->jid, c->extra);
    }
    bool *absent = calloc(op->n, sizeof *absent);
    for (size_t i = 0; absent && i < op->n; i++)
        absent[i] = !op->c[i].is_role && !op->c[i].extra && strchr(op->c[i].jid, '@') &&
                    !occupant_by_bare(r, op->c[i].jid);
    touched_t *t = calloc(r->noccupants + 1, sizeof *t);
    size_t nt = 0;
    for (occupant_t *o = r->first; t && o; o = o->next) {
        const change_t *rc = NULL, *ac = NULL;
        for (size_t i = 0; i < op->n; i++) {
            if (op->c[i].is_role && nick_equal(op->c[i].nick, o->nick))
                rc = &op->c[i];
            else if (aff_matches(&op->c[i], o->bare))
                ac = &op->c[i];
        }
        if (!rc && !ac)
            continue;
        pv_muc_aff_t a = occupant_aff(o);
        touched_t *e = &t[nt++];
        e->o = o;
        e->old_role = o->role;
        if (ac && a == PV_MUC_AFF_OUTCAST)
            e->code = 301;
        else if (rc && rc->role == PV_MUC_ROLE_NONE)
            e->code = 307;
        else if (ac && !ac->extra && room_cfg_bool(r, CF_MEMBERSONLY) && a < PV_MUC_AFF_MEMBER)
            e->code = 321;
        e->reason = e->code == 307 || (rc && !ac) ? rc->reason : ac ? ac->reason : NULL;
        if (!e->code)
            o->role = rc ? rc->role : new_role(r, ac, a);
    }
    /* 1. the removed hear it first */
    for (size_t i = 0; i < nt; i++)
        if (t[i].code)
            evict_tell_self(t[i].o, t[i].code, op->actor_nick, t[i].reason);
    /* 2. the actor */
    pv_el_t *res = op->result ? pv_el_clone(op->result) : pv_iq_result_new(op->iq);
    if (res) {
        pv_send(res);
        pv_el_free(res);
    }
    /* those removed hear nothing more from the room */
    for (size_t i = 0; i < nt; i++)
        if (t[i].code)
            t[i].o->role = PV_MUC_ROLE_NONE;
    /* 3. the room, once per change */
    static const int self110[] = {110, 0};
    for (size_t i = 0; i < nt; i++) {
        occupant_t *o = t[i].o;
        if (t[i].code) {
            evict_finish(o, t[i].code, t[i].old_role, op->actor_nick, t[i].reason);
            continue;
        }
        pres_opts_t opt = {
            .self_codes = self110, .actor_nick = op->actor_nick, .reason = t[i].reason};
        occupant_announce_role(o, &opt);
    }
    free(t);
    for (size_t i = 0; absent && i < op->n; i++)
        if (absent[i])
            tell_absent(r, &op->c[i]);
    free(absent);
    r->busy--;
    rooms_maybe_destroy(r);
}

static void stored(int status, const char *error, void *ud)
{
    admin_op_t *op = ud;
    if (!muc) { /* the backend settled it after muc-core shut down */
        op_free(op);
        return;
    }
    if (status != PV_STORE_OK) {
        pv_log(PV_LOG_ERROR, MUC, "storing affiliations of %s failed: %s", op->room,
               error ? error : "unknown error");
        pv_send_error(op->iq, "wait", "internal-server-error",
                      "The change could not be stored; nothing was changed");
    } else {
        apply(op);
    }
    room_unpin(op->room);
    op_free(op);
}

/* An extra affiliation is stored by its name, without a reason. */
static pv_store_aff_t stored_item(const change_t *c)
{
    if (c->extra)
        return (pv_store_aff_t){c->jid, c->extra, NULL};
    return (pv_store_aff_t){c->jid, aff_name(c->aff), c->reason};
}

static pv_verdict_t set_items(pv_stanza_ctx_t *ctx, room_t *r, pv_el_t *q, const pv_el_t *result)
{
    size_t n = 0;
    for (pv_el_t *it = pv_el_child(q, NS_MUC_ADMIN, "item"); it;
         it = pv_el_next(it, NS_MUC_ADMIN, "item"))
        n++;
    if (n == 0)
        return refuse(ctx, "modify", "bad-request", "Nothing to change: no <item/>");
    admin_op_t *op = calloc(1, sizeof *op);
    if (!op || !(op->c = calloc(n, sizeof *op->c)) || !(op->room = xstrdup(r->name)) ||
        !(op->iq = pv_el_clone(ctx->stanza)) || !(op->actor_bare = xstrdup(ctx->from->bare)) ||
        (result && !(op->result = pv_el_clone(result)))) {
        op_free(op);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    session_t *s = session_by_full(r, ctx->from->full);
    pv_muc_aff_t actor_aff = room_aff(r, ctx->from->bare);
    pv_muc_role_t actor_role = s ? s->occ->role : PV_MUC_ROLE_NONE;
    if (s && !(op->actor_nick = xstrdup(s->occ->nick))) {
        op_free(op);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    size_t naffs = 0;
    for (pv_el_t *it = pv_el_child(q, NS_MUC_ADMIN, "item"); it;
         it = pv_el_next(it, NS_MUC_ADMIN, "item")) {
        pv_verdict_t v = check_item(ctx, r, it, &op->c[op->n++], actor_aff, actor_role);
        if (v != PV_PASS) {
            op_free(op);
            return v;
        }
        if (!op->c[op->n - 1].is_role)
            naffs++;
    }
    if (removes_last_owner(r, op)) {
        op_free(op);
        return refuse(ctx, "cancel", "conflict", "A room keeps at least one owner");
    }
    void *h;
    const pv_store_t *st = naffs && r->stored ? pv_store(&h) : NULL;
    if (!st) {
        apply(op);
        op_free(op);
        return PV_HANDLED;
    }
    pv_store_aff_t *items = calloc(naffs, sizeof *items);
    if (!items) {
        op_free(op);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; i < op->n; i++)
        if (!op->c[i].is_role)
            items[k++] = stored_item(&op->c[i]);
    room_pin(r);                                    /* stays in memory until stored() */
    st->affs_set(h, r->name, items, k, stored, op); /* owns op from here */
    free(items);
    return PV_HANDLED;
}

pv_verdict_t admin_iq_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    if (strcmp(ctx->type, "get") && strcmp(ctx->type, "set"))
        return PV_PASS;
    room_t *r = room_of(ctx->to);
    if (!r || (r->locked && room_aff(r, ctx->from->bare) != PV_MUC_AFF_OWNER))
        return refuse(ctx, "cancel", "item-not-found", "No such room");
    pv_el_t *q = ctx->payload;
    if (!q || strcmp(q->name, "query"))
        return refuse(ctx, "modify", "bad-request", "Expected a muc#admin <query/>");
    if (!strcmp(ctx->type, "get"))
        return get_list(ctx, r, q);
    return set_items(ctx, r, q, NULL);
}

pv_verdict_t admin_set_for_command(pv_stanza_ctx_t *ctx, room_t *r, pv_el_t *q,
                                   const pv_el_t *result)
{
    return set_items(ctx, r, q, result);
}
