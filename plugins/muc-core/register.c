/*
 * register.c: registering with a room (XEP-0045 §7.10, §7.11): the
 * muc#register form, the submitted nick reserved for the user and membership
 * granted; <remove/> unregisters (nick and membership go; in a members-only
 * room the user's occupants leave with status 321). Reservations are
 * enforced at entry and nick change (conflict). Stored with persistent rooms
 * before the user is answered. Where the room requires approval
 * (x-palaver#registration_approval), a new member's request is handed to
 * the REGISTER_REQUEST event (palaver/muc.h; the registration-approval
 * plugin asks the admins), and an admin's approval comes back through
 * api_register_member; without a plugin to take it the request is refused.
 */
#include "muc_internal.h"
#include <stdlib.h>
#include <string.h>

static pv_el_t *result_query(pv_stanza_ctx_t *ctx, pv_el_t **res)
{
    *res = pv_iq_result_new(ctx->stanza);
    return *res ? pv_el_add(*res, NS_REGISTER, "query") : NULL;
}

/* A registration change waiting for the backend (stored rooms). */
typedef struct reg_op {
    char *room;      /* node */
    pv_el_t *iq;     /* copy of the request (owned), answered; NULL: done instead */
    char *bare;      /* the user */
    char *nick;      /* new nick, NULL: unregister */
    bool aff_change; /* member (register) or none (unregister) too */
    int offline;     /* the offline delivery choice: 1, 0, -1 unchanged */
    /* a plugin's change (api_register_member): told the outcome instead of
     * an IQ answer; called exactly once, by reg_op_free when not before */
    void (*done)(bool ok, void *ud);
    void *done_ud;
} reg_op_t;

static void reg_op_free(reg_op_t *op)
{
    if (!op)
        return;
    if (op->done)
        op->done(false, op->done_ud);
    free(op->room);
    pv_el_free(op->iq);
    free(op->bare);
    free(op->nick);
    free(op);
}

/* An occupant of a user who unregistered from a members-only room. */
typedef struct leaving {
    occupant_t *o;
    pv_muc_role_t old_role;
} leaving_t;

/* A member who unregisters loses membership (REG-3); in a members-only room
 * its occupants are then removed as when an admin revokes membership
 * (XEP-0045 §9.4, status 321; admin.c): each is told first (321 and 110),
 * before the IQ result. Returns them for leaving_finish() (caller frees), or
 * NULL (*n = 0) when bare has none here or memory ran out. */
static leaving_t *leaving_start(room_t *r, const char *bare, size_t *n)
{
    *n = 0;
    for (occupant_t *o = occupant_by_bare(r, bare); o; o = o->bare_next)
        (*n)++;
    leaving_t *l = *n ? calloc(*n, sizeof *l) : NULL;
    if (!l) {
        if (*n)
            pv_log(PV_LOG_ERROR, MUC, "out of memory removing %s from %s", bare, r->jid);
        *n = 0;
        return NULL;
    }
    size_t i = 0;
    for (occupant_t *o = occupant_by_bare(r, bare); o; o = o->bare_next, i++) {
        l[i].o = o;
        l[i].old_role = o->role;
        evict_tell_self(o, 321, NULL, NULL);
    }
    return l;
}

/* ...then the room hears each leave once (evict.c frees the occupants). */
static void leaving_finish(leaving_t *l, size_t n)
{
    /* those removed hear nothing more from the room */
    for (size_t i = 0; i < n; i++)
        l[i].o->role = PV_MUC_ROLE_NONE;
    for (size_t i = 0; i < n; i++)
        evict_finish(l[i].o, 321, l[i].old_role, NULL, NULL);
    free(l);
}

/* Elsewhere the user's occupants stay: their role becomes the one their new
 * affiliation gives (XEP-0045 §9.4, as admin.c does), then the room is told. */
static void membership_changed(room_t *r, const char *bare, bool lost)
{
    for (occupant_t *o = lost ? occupant_by_bare(r, bare) : NULL; o; o = o->bare_next)
        o->role = role_for(r, occupant_aff(o));
    occupant_announce_affiliation(r, bare);
}

/* A failure's answer: to the IQ, or (a plugin's change) done(false) later. */
static void reg_failed(const reg_op_t *op, const char *type, const char *cond, const char *text)
{
    if (op->iq)
        pv_send_error(op->iq, type, cond, text);
}

static void reg_apply(reg_op_t *op)
{
    room_t *r = rooms_get(op->room);
    if (!r) {
        reg_failed(op, "cancel", "item-not-found", "The room was destroyed meanwhile");
        return;
    }
    if (room_reg_set(r, op->bare, op->nick) < 0 ||
        (op->offline >= 0 && offline_set(r, op->bare, op->offline == 1) < 0) ||
        (op->aff_change &&
         room_aff_set(r, op->bare, op->nick ? PV_MUC_AFF_MEMBER : PV_MUC_AFF_NONE) < 0)) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory registering %s in %s", op->bare, r->jid);
        reg_failed(op, "wait", "internal-server-error", "Out of memory");
        return;
    }
    bool lost = op->aff_change && !op->nick;
    size_t nleaving = 0;
    r->busy++;
    leaving_t *leaving =
        lost && room_cfg_bool(r, CF_MEMBERSONLY) ? leaving_start(r, op->bare, &nleaving) : NULL;
    pv_el_t *res = op->iq ? pv_iq_result_new(op->iq) : NULL;
    if (res) {
        pv_send(res);
        pv_el_free(res);
    }
    if (leaving)
        leaving_finish(leaving, nleaving);
    else if (op->aff_change)
        membership_changed(r, op->bare, lost);
    if (op->done) { /* the plugin tells the user now, the room still here */
        op->done(true, op->done_ud);
        op->done = NULL;
    }
    r->busy--;
    rooms_maybe_destroy(r);
}

static void reg_stored(bool ok, void *ud)
{
    reg_op_t *op = ud;
    if (muc) {
        if (ok)
            reg_apply(op);
        else
            reg_failed(op, "wait", "internal-server-error",
                       "The registration could not be stored; nothing was changed");
    }
    reg_op_free(op); /* done(false) unless reg_apply completed */
}

/* Stores (persistent rooms) then applies: bare gets nick (NULL removes) and,
 * with aff_change, membership (nick) or none (NULL). The outcome goes to
 * iq's sender (iq copied), or else to done. 0, or -1 when out of memory
 * (nothing changes, done does not run). */
static int reg_change(room_t *r, const pv_el_t *iq, const char *bare, const char *nick,
                      bool aff_change, int offline, void (*done)(bool, void *), void *done_ud)
{
    reg_op_t *op = calloc(1, sizeof *op);
    if (!op || !(op->room = xstrdup(r->name)) || (iq && !(op->iq = pv_el_clone(iq))) ||
        !(op->bare = xstrdup(bare)) || (nick && !(op->nick = xstrdup(nick)))) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory registering %s in %s", bare, r->jid);
        reg_op_free(op);
        return -1;
    }
    op->aff_change = aff_change;
    op->done = done;
    op->done_ud = done_ud;
    if (!nick && offline_wanted(r, bare))
        offline = 0; /* the registration takes the choice with it */
    else if (offline >= 0 && (offline == 1) == offline_wanted(r, bare))
        offline = -1; /* unchanged */
    op->offline = offline;
    pv_store_aff_t item = {bare, nick ? "member" : "none", NULL};
    if (room_cfg_bool(r, CF_PERSISTENT))
        persist_changes(r, &item, aff_change ? 1 : 0, bare, nick, true, offline, reg_stored, op);
    else
        reg_stored(true, op);
    return 0;
}

/* A user's own change, answered by IQ. */
static pv_verdict_t reg_change_asked(pv_stanza_ctx_t *ctx, room_t *r, const char *bare,
                                     const char *nick, bool aff_change, int offline)
{
    if (reg_change(r, ctx->stanza, bare, nick, aff_change, offline, NULL, NULL) < 0)
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    return PV_HANDLED;
}

static pv_verdict_t unregister(pv_stanza_ctx_t *ctx, room_t *r)
{
    const char *bare = ctx->from->bare;
    if (!room_reg_nick(r, bare) && room_aff(r, bare) != PV_MUC_AFF_MEMBER)
        return refuse(ctx, "cancel", "item-not-found", "You are not registered with this room");
    return reg_change_asked(ctx, r, bare, NULL, room_aff(r, bare) == PV_MUC_AFF_MEMBER, -1);
}

/* True when nick is registered to, or used by an occupant of, another user
 * than bare. */
static bool nick_taken(const room_t *r, const char *nick, const char *bare)
{
    const char *owner = room_reg_owner(r, nick);
    occupant_t *o = occupant_by_nick(r, nick);
    return (owner && strcmp(owner, bare)) || (o && strcmp(o->bare, bare));
}

const char *api_registered_nick(const pv_muc_room_t *r, const char *bare)
{
    return r && bare ? room_reg_nick(r, bare) : NULL;
}

int api_register_member(pv_muc_room_t *room, const char *bare_jid, const char *nick,
                        void (*done)(bool ok, void *ud), void *ud)
{
    room_t *r = room;
    pv_jid_t *j = r && bare_jid ? pv_jid_parse(bare_jid) : NULL;
    char *n = j && !j->resource && nick ? pv_resourceprep(nick) : NULL;
    int rc = -1;
    if (!n)
        pv_log(PV_LOG_WARN, MUC, "room %s: a plugin's registration of %s as %s refused (invalid)",
               r ? r->jid : "(none)", bare_jid ? bare_jid : "(none)", nick ? nick : "(none)");
    else if (nick_taken(r, n, j->bare))
        rc = 1;
    else
        rc = reg_change(r, NULL, j->bare, n, room_aff(r, j->bare) == PV_MUC_AFF_NONE, -1, done, ud);
    free(n);
    pv_jid_free(j);
    return rc;
}

/* A new member's request where the room requires approval: the plugin that
 * takes REGISTER_REQUEST answers it; without one nobody could approve it. */
static pv_verdict_t approval_request(pv_stanza_ctx_t *ctx, room_t *r, const char *bare,
                                     const char *nick)
{
    pv_muc_register_event_t ev = {.room = r, .iq = ctx->stanza, .bare_jid = bare, .nick = nick};
    pv_verdict_t v = pv_event_fire(ev_register_request, &ev);
    if (v == PV_HANDLED)
        return PV_HANDLED;
    if (v == PV_ERROR)
        return refuse(ctx, ev.err_type ? ev.err_type : "cancel",
                      ev.err_condition ? ev.err_condition : "not-allowed",
                      ev.err_text ? ev.err_text : "The registration was refused");
    pv_log(PV_LOG_DEBUG, MUC, "%s's registration in %s refused: no plugin takes approvals", bare,
           r->jid);
    return refuse(ctx, "cancel", "service-unavailable",
                  "Registrations with this room need an admin's approval, which this service "
                  "does not take at the moment");
}

pv_verdict_t register_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    if (strcmp(ctx->type, "get") && strcmp(ctx->type, "set"))
        return PV_PASS;
    room_t *r = room_of(ctx->to);
    if (!r || r->locked)
        return refuse(ctx, "cancel", "item-not-found", "No such room");
    const char *bare = ctx->from->bare;
    pv_muc_aff_t aff = room_aff(r, bare);
    if (aff == PV_MUC_AFF_OUTCAST)
        return refuse(ctx, "auth", "forbidden", "You are banned from this room");
    if (!room_cfg_bool(r, CF_REGISTRATION))
        return refuse(ctx, "cancel", "not-allowed", "This room does not accept registrations");
    if (!strcmp(ctx->type, "get")) {
        pv_el_t *res, *q = result_query(ctx, &res);
        if (!q) {
            pv_el_free(res);
            return refuse(ctx, "wait", "internal-server-error", "Out of memory");
        }
        const char *nick = room_reg_nick(r, bare);
        if (nick) {
            /* XEP-0077 §3.2: the current registration, which a new
             * submission changes (the nick, the offline delivery choice) */
            pv_el_add(q, NS_REGISTER, "registered");
            pv_el_add_text_child(q, NS_REGISTER, "username", nick);
        } else {
            pv_el_add_text_child(q, NS_REGISTER, "instructions",
                                 "Choose the nickname you want to reserve in this room.");
        }
        pv_el_t *x = pv_form_new(q, "form", NS_MUC_REGISTER, "Room registration", NULL);
        pv_form_set_required(
            pv_form_add_field(x, "muc#register_roomnick", "text-single", "Desired Nickname", nick));
        if (x)
            offline_form_field(r, bare, x);
        pv_send(res);
        pv_el_free(res);
        return PV_HANDLED;
    }
    pv_el_t *q = ctx->payload;
    if (pv_el_child(q, NS_REGISTER, "remove"))
        return unregister(ctx, r);
    pv_el_t *x = pv_form_find(q, NULL);
    const char *type = x ? pv_el_attr(x, "type") : NULL;
    if (type && !strcmp(type, "cancel")) {
        pv_el_t *res = pv_iq_result_new(ctx->stanza);
        if (res) {
            pv_send(res);
            pv_el_free(res);
        }
        return PV_HANDLED;
    }
    const char *raw = pv_form_value(x, "muc#register_roomnick");
    if (!raw || !*raw)
        return refuse(ctx, "modify", "bad-request", "The form must give muc#register_roomnick");
    int offline = offline_submitted(x);
    if (offline == -2)
        return refuse(ctx, "modify", "bad-request",
                      "The field " OFFLINE_FIELD " must be a boolean (1, 0, true or false)");
    if (offline == 1 && !room_cfg_bool(r, CF_OFFLINEDELIVERY))
        return refuse(ctx, "cancel", "not-allowed",
                      "This room does not send messages to members who are not in it");
    char *nick = pv_resourceprep(raw);
    if (!nick)
        return refuse(ctx, "modify", "jid-malformed", "That nickname is not valid");
    if (nick_taken(r, nick, bare)) {
        free(nick);
        return refuse(ctx, "cancel", "conflict", "That nickname is already taken in this room");
    }
    pv_verdict_t v = aff == PV_MUC_AFF_NONE && room_cfg_bool(r, CF_REGAPPROVAL)
                         ? approval_request(ctx, r, bare, nick)
                         : reg_change_asked(ctx, r, bare, nick, aff == PV_MUC_AFF_NONE, offline);
    free(nick);
    return v;
}
