/*
 * destroy.c: destroying a room (XEP-0045 §10.9, OWNER-6; ad-hoc command of
 * ADHOC-1). A stored room is first deleted from the backend with everything
 * kept for it (room_delete: configuration, affiliations, registrations,
 * archive); only when that succeeded is each occupant sent one unavailable
 * presence (its own, affiliation and role none, 110) carrying the <destroy/>
 * with the reason, the alternate venue and its password, and the room freed.
 * Before the occupants go, PV_MUC_EVENT_ROOM_DESTROY (palaver/muc.h) tells
 * plugins who destroyed the room, where to and why, and whether it was
 * persistent: the room-tombstones plugin keeps a tombstone of a persistent
 * room (TOMB-1) there.
 */
#include "muc_internal.h"
#include <stdlib.h>
#include <string.h>

typedef struct destroy_op {
    char *room;
    pv_el_t *destroy; /* muc#user <destroy/> (owned) */
    pv_jid_t *actor;  /* owned, or NULL */
    destroy_done_fn done;
    void *ud;
    bool persistent; /* stored or configured persistent (the event says so) */
} destroy_op_t;

static pv_el_t *user_destroy(const pv_el_t *req)
{
    pv_el_t *d = pv_el_new(NS_MUC_USER, "destroy");
    if (!d || !req)
        return d;
    const char *jid = pv_el_attr(req, "jid");
    if (jid)
        pv_el_set_attr(d, "jid", jid);
    const char *pw = pv_el_child_text(req, req->ns, "password");
    const char *why = pv_el_child_text(req, req->ns, "reason");
    if (pw)
        pv_el_add_text_child(d, NS_MUC_USER, "password", pw);
    if (why)
        pv_el_add_text_child(d, NS_MUC_USER, "reason", why);
    return d;
}

/* One INFO line: who destroyed the room, why, and where everyone was sent
 * (never the alternate venue's password). Read before the occupants go. */
static void log_destroy(const room_t *r, const pv_el_t *destroy, const pv_jid_t *actor)
{
    if (!pv_log_enabled(PV_LOG_INFO))
        return;
    const session_t *s = actor ? session_by_full(r, actor->full) : NULL;
    char who[400];
    audit_actor(who, sizeof who, actor ? actor->bare : NULL, s ? s->occ->nick : NULL);
    const char *why = destroy ? pv_el_child_text(destroy, NS_MUC_USER, "reason") : NULL;
    const char *venue = destroy ? pv_el_attr(destroy, "jid") : NULL;
    pv_log(PV_LOG_INFO, MUC, "room %s destroyed by %s (%zu occupants)%s%s%s%s%s", r->jid, who,
           r->noccupants, why && *why ? ", reason: '" : "", why && *why ? why : "",
           why && *why ? "'" : "", venue ? ", alternate venue: " : "", venue ? venue : "");
}

/* PV_MUC_EVENT_ROOM_DESTROY, with the venue and reason of the muc#user
 * <destroy/>. */
static void fire_destroy(room_t *r, const pv_el_t *destroy, const pv_jid_t *actor, bool persistent)
{
    pv_muc_destroy_event_t ev = {
        .room = r,
        .name = r->name,
        .actor = actor,
        .venue = destroy ? pv_el_attr(destroy, "jid") : NULL,
        .reason = destroy ? pv_el_child_text(destroy, NS_MUC_USER, "reason") : NULL,
        .persistent = persistent,
    };
    pv_event_fire(ev_room_destroy, &ev);
}

static void remove_all(room_t *r, const pv_el_t *destroy, const pv_jid_t *actor, bool persistent)
{
    log_destroy(r, destroy, actor);
    fire_destroy(r, destroy, actor, persistent);
    r->busy++;
    r->destroying = true; /* no leave notices while everyone is removed */
    while (r->first) {
        occupant_t *o = r->first;
        pv_el_t *p = pv_el_new(PV_NS_STANZA, "presence");
        pv_el_t *x = p ? pv_el_add(p, NS_MUC_USER, "x") : NULL;
        pv_el_t *it = x ? pv_el_add(x, NS_MUC_USER, "item") : NULL;
        if (it) {
            pv_el_set_attrf(p, "from", "%s/%s", r->jid, o->nick);
            pv_el_set_attr(p, "type", "unavailable");
            pv_el_set_attr(it, "affiliation", "none");
            pv_el_set_attr(it, "role", "none");
            if (destroy)
                pv_el_copy_into(x, destroy);
            pv_el_t *st = pv_el_add(x, NS_MUC_USER, "status");
            if (st)
                pv_el_set_attr(st, "code", "110");
            occupant_id_add(p, o);
            pv_prepared_t *pp = pv_prepare(p);
            for (session_t *s = o->sessions; pp && s; s = s->next)
                session_send(s, pp);
            pv_prepared_free(pp);
        } else {
            pv_log(PV_LOG_ERROR, MUC, "out of memory telling %s that %s is destroyed", o->nick,
                   r->jid);
        }
        pv_el_free(p);
        o->role = PV_MUC_ROLE_NONE;
        pv_muc_occupant_event_t ev = {.room = r,
                                      .occupant = o,
                                      .nick = o->nick,
                                      .real_jid = o->sessions ? o->sessions->jid : NULL};
        pv_event_fire(ev_left, &ev);
        occupant_remove(o);
    }
    r->busy--;
    r->stored = false;
    rooms_remove_and_free(r, actor);
}

static void op_free(destroy_op_t *op)
{
    if (!op)
        return;
    free(op->room);
    pv_el_free(op->destroy);
    pv_jid_free(op->actor);
    free(op);
}

static void deleted(int status, const char *error, void *ud)
{
    destroy_op_t *op = ud;
    if (!muc) { /* settled after muc-core shut down */
        if (op->done)
            op->done(false, "The service is shutting down", op->ud);
        op_free(op);
        return;
    }
    room_t *r = rooms_get(op->room);
    /* ENOTFOUND: nothing was stored (e.g. never persisted): fine */
    if (status != PV_STORE_OK && status != PV_STORE_ENOTFOUND) {
        pv_log(PV_LOG_ERROR, MUC, "deleting room %s failed: %s", op->room,
               error ? error : "unknown error");
        if (op->done)
            op->done(false, "The room could not be deleted from storage; it was kept", op->ud);
    } else {
        if (r)
            remove_all(r, op->destroy, op->actor, op->persistent);
        if (op->done)
            op->done(true, NULL, op->ud);
    }
    room_unpin(op->room); /* when it was kept */
    op_free(op);
}

void room_destroy(room_t *r, const pv_el_t *destroy, const pv_jid_t *actor, destroy_done_fn done,
                  void *ud)
{
    destroy_op_t *op = calloc(1, sizeof *op);
    if (!op || !(op->room = xstrdup(r->name)) || !(op->destroy = user_destroy(destroy)) ||
        (actor && !(op->actor = pv_jid_dup(actor)))) {
        op_free(op);
        pv_log(PV_LOG_ERROR, MUC, "out of memory destroying %s", r->jid);
        if (done)
            done(false, "Out of memory", ud);
        return;
    }
    op->done = done;
    op->ud = ud;
    op->persistent = r->stored || room_cfg_bool(r, CF_PERSISTENT);
    void *h;
    const pv_store_t *st = r->stored ? pv_store(&h) : NULL;
    room_pin(r); /* stays in memory until deleted() unpins it */
    if (!st) {
        deleted(PV_STORE_OK, NULL, op);
        return;
    }
    st->room_delete(h, r->name, deleted, op);
}

/* The owner's IQ: answered when the deletion is settled. */
static void answer(bool ok, const char *error, void *ud)
{
    pv_el_t *iq = ud;
    if (ok) {
        pv_el_t *res = pv_iq_result_new(iq);
        if (res) {
            pv_send(res);
            pv_el_free(res);
        }
    } else {
        pv_send_error(iq, "wait", "internal-server-error", error);
    }
    pv_el_free(iq);
}

pv_verdict_t owner_destroy(pv_stanza_ctx_t *ctx, room_t *r, pv_el_t *destroy)
{
    if (strcmp(ctx->type, "set"))
        return refuse(ctx, "modify", "bad-request", "Destroying a room is an IQ of type set");
    const char *alt = pv_el_attr(destroy, "jid");
    pv_jid_t *j = alt ? pv_jid_parse(alt) : NULL;
    if (alt && !j)
        return refuse(ctx, "modify", "jid-malformed", "The alternate venue is not a JID");
    pv_jid_free(j);
    pv_el_t *iq = pv_el_clone(ctx->stanza);
    if (!iq)
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    room_destroy(r, destroy, ctx->from, answer, iq);
    return PV_HANDLED;
}
