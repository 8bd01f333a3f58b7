/*
 * reg_approval.c: registration requests that wait for the room's admins
 * (XEP-0045 §9.9), in rooms with x-palaver#registration_approval on. A new
 * user's muc#register submission is kept (persistent rooms store it first,
 * under REG_PENDING_KEY in the room's config, so a restart keeps it) and
 * every owner and admin gets it as a muc#register form message from the
 * room; an admin submits it back with muc#register_allow: true registers the
 * nick and makes the user a member (register.c, stored first), false drops
 * the request; either way the user is told by message and the stored
 * request is removed.
 */
#include "muc_internal.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The approval form for one request, to one admin. Caller frees. */
static pv_el_t *approval_form(const room_t *r, const char *bare, const char *nick)
{
    pv_el_t *m = pv_el_new(PV_NS_STANZA, "message");
    if (!m)
        return NULL;
    pv_el_set_attr(m, "from", r->jid);
    pv_el_add_text_child(m, PV_NS_STANZA, "body",
                         errtext("%s asks to register with %s as %s; submit the form to approve "
                                 "or deny",
                                 bare, r->jid, nick));
    pv_el_t *x = pv_form_new(m, "form", NS_MUC_REGISTER, "Registration request",
                             "To approve this registration request, select the "
                             "\"Allow this person to register with the room?\" checkbox and "
                             "submit this form.");
    if (!x) {
        pv_el_free(m);
        return NULL;
    }
    pv_form_add_field(x, "muc#jid", "jid-single", "User JID", bare);
    pv_form_add_field(x, "muc#register_roomnick", "text-single", "Desired Nickname", nick);
    pv_form_add_field(x, "muc#register_allow", "boolean",
                      "Allow this person to register with the room?", "0");
    return m;
}

static void tell_user(const room_t *r, const char *bare, const char *text)
{
    pv_el_t *m = pv_el_new(PV_NS_STANZA, "message");
    if (!m)
        return;
    pv_el_set_attr(m, "from", r->jid);
    pv_el_set_attr(m, "to", bare);
    pv_el_add_text_child(m, PV_NS_STANZA, "body", text);
    pv_send(m);
    pv_el_free(m);
}

/* A request being stored: what is needed to answer once the backend did. */
typedef struct {
    char *room;  /* owned */
    pv_el_t *iq; /* owned: the user's submission */
    char *bare;  /* owned */
    char *nick;  /* owned */
    char *old;   /* owned: the nick an earlier pending request of bare had, or NULL */
} req_op_t;

static void req_op_free(req_op_t *op)
{
    free(op->room);
    pv_el_free(op->iq);
    free(op->bare);
    free(op->nick);
    free(op->old);
    free(op);
}

/* The request is kept: every owner and admin gets the form, the user the result. */
static void request_announce(const room_t *r, const pv_el_t *iq, const char *bare, const char *nick)
{
    pv_el_t *m = approval_form(r, bare, nick);
    size_t i, n = 0;
    for (map_entry_t *e = map_first(&r->affs, &i); m && e; e = map_next(&r->affs, e, &i)) {
        pv_muc_aff_t a = (pv_muc_aff_t)((intptr_t)e->val - 1);
        if (a != PV_MUC_AFF_OWNER && a != PV_MUC_AFF_ADMIN)
            continue;
        pv_el_set_attr(m, "to", e->key);
        pv_send(m);
        n++;
    }
    pv_el_free(m);
    pv_log(PV_LOG_DEBUG, MUC, "%s asks to register in %s as %s (%zu admins asked)", bare, r->jid,
           nick, n);
    pv_el_t *res = pv_iq_result_new(iq);
    pv_el_t *q = res ? pv_el_add(res, NS_REGISTER, "query") : NULL;
    if (q)
        pv_el_add_text_child(q, NS_REGISTER, "instructions",
                             "Your registration request awaits the approval of the room's "
                             "admins; you will be told of their decision");
    if (res)
        pv_send(res);
    pv_el_free(res);
}

static void request_stored(bool ok, void *ud)
{
    req_op_t *op = ud;
    room_t *r = muc ? rooms_get(op->room) : NULL;
    if (!muc) {
        req_op_free(op);
        return;
    }
    if (!r) {
        pv_send_error(op->iq, "cancel", "item-not-found", "The room was destroyed meanwhile");
    } else if (ok) {
        request_announce(r, op->iq, op->bare, op->nick);
    } else {
        /* Not stored: the request is forgotten (or the earlier one put back). */
        char *now = map_get(&r->reg_pending, op->bare);
        if (now && !strcmp(now, op->nick)) {
            if (op->old && map_put(&r->reg_pending, op->bare, op->old) == 0) {
                op->old = NULL;
                free(now);
            } else {
                free(map_del(&r->reg_pending, op->bare));
            }
        }
        pv_send_error(op->iq, "wait", "internal-server-error",
                      "The registration request could not be stored; try again later");
    }
    req_op_free(op);
}

pv_verdict_t reg_approval_request(pv_stanza_ctx_t *ctx, room_t *r, const char *bare,
                                  const char *nick)
{
    req_op_t *op = calloc(1, sizeof *op);
    char *kept = xstrdup(nick);
    const char *old = map_get(&r->reg_pending, bare);
    if (!op || !kept || !(op->room = xstrdup(r->name)) || !(op->iq = pv_el_clone(ctx->stanza)) ||
        !(op->bare = xstrdup(bare)) || !(op->nick = xstrdup(nick)) ||
        (old && !(op->old = xstrdup(old))) || map_put(&r->reg_pending, bare, kept) < 0) {
        free(kept);
        if (op)
            req_op_free(op);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    free((char *)old); /* replaced by kept */
    if (r->stored)
        persist_config(r, NULL, r->subject, r->subject_from, NULL, 0, request_stored, op);
    else
        request_stored(true, op);
    return PV_HANDLED;
}

static void removal_stored(bool ok, void *ud)
{
    char *jid = ud; /* owned: the room's JID, for the log */
    if (!ok)
        pv_log(PV_LOG_WARN, MUC,
               "the answered registration request in %s is still stored; it is asked again "
               "after a restart",
               jid ? jid : "a room");
    free(jid);
}

/* The answered request leaves storage too (its answer already took effect). */
static void request_forget(room_t *r, const char *bare)
{
    free(map_del(&r->reg_pending, bare));
    if (r->stored)
        persist_config(r, NULL, r->subject, r->subject_from, NULL, 0, removal_stored,
                       xstrdup(r->jid));
}

pv_verdict_t reg_approval_handle(pv_stanza_ctx_t *ctx, room_t *r, pv_el_t *form)
{
    const char *type = pv_el_attr(form, "type");
    if (type && !strcmp(type, "cancel"))
        return PV_HANDLED;
    if (!type || strcmp(type, "submit"))
        return refuse(ctx, "modify", "bad-request", "Expected a submitted muc#register form");
    pv_muc_aff_t aff = room_aff(r, ctx->from->bare);
    if (aff != PV_MUC_AFF_OWNER && aff != PV_MUC_AFF_ADMIN)
        return refuse(ctx, "auth", "forbidden", "Only admins may approve registrations");
    const char *jid = pv_form_value(form, "muc#jid");
    pv_jid_t *j = jid ? pv_jid_parse(jid) : NULL;
    if (!j) {
        return refuse(ctx, "modify", "bad-request", "The form must give muc#jid");
    }
    char *bare = xstrdup(j->bare);
    pv_jid_free(j);
    char *pending = bare ? map_get(&r->reg_pending, bare) : NULL;
    if (!pending) {
        free(bare);
        return refuse(ctx, "cancel", "item-not-found",
                      "No registration request of that user is pending");
    }
    bool yes = pv_form_bool(form, "muc#register_allow", 0) == 1;
    pv_verdict_t v = PV_HANDLED;
    if (yes) {
        const char *owner = room_reg_owner(r, pending);
        occupant_t *o = occupant_by_nick(r, pending);
        if ((owner && strcmp(owner, bare)) || (o && strcmp(o->bare, bare))) {
            v = refuse(ctx, "cancel", "conflict", "That nickname was taken meanwhile");
        } else {
            v = register_approved(ctx, r, bare, pending);
        }
    } else {
        tell_user(r, bare, errtext("Your registration with %s was denied", r->jid));
        pv_log(PV_LOG_DEBUG, MUC, "%s denied %s's registration in %s", ctx->from->bare, bare,
               r->jid);
    }
    if (v == PV_HANDLED)
        request_forget(r, bare);
    free(bare);
    return v;
}

char *reg_pending_encode(const room_t *r, bool *oom)
{
    /* "bare nick" lines (key_list.c) */
    char *s = key_list_join(&r->reg_pending, &(key_list_t){.sep = '\n', .with_values = true}, oom);
    if (*oom)
        pv_log(PV_LOG_ERROR, MUC, "out of memory listing the registration requests of %s", r->jid);
    return s;
}

/* One "bare nick" line of the stored requests (key_list_each_line). */
static void load_request(const char *line, size_t len, void *ud)
{
    room_t *r = ud;
    const char *sp = memchr(line, ' ', len);
    if (!sp || sp == line || sp + 1 == line + len) {
        pv_log(PV_LOG_WARN, MUC, "stored room %s: a damaged registration request is ignored",
               r->jid);
        return;
    }
    char *bare = strndup(line, (size_t)(sp - line));
    char *nick = strndup(sp + 1, len - (size_t)(sp + 1 - line));
    if (!bare || !nick) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory loading the registration requests of %s", r->jid);
    } else if (!room_reg_nick(r, bare)) { /* answered, removal not stored: nothing to ask */
        char *before = map_get(&r->reg_pending, bare);
        if (map_put(&r->reg_pending, bare, nick) == 0) {
            free(before);
            nick = NULL;
        } else {
            pv_log(PV_LOG_ERROR, MUC, "out of memory loading the registration requests of %s",
                   r->jid);
        }
    }
    free(bare);
    free(nick);
}

void reg_pending_load(room_t *r, const char *value)
{
    key_list_each_line(value, load_request, r);
}
