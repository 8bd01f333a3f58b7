/*
 * invite.c: mediated invitations and declines (XEP-0045 §7.8.2). Every
 * <invite/> of the message is honoured (all are checked before any is sent):
 * the invitee gets a message from the room with <invite from=inviter>, the
 * reason, <continue/> when given and the password of a protected room; in a
 * members-only room an invitee is made a member when the inviter may invite.
 * A <decline/> is forwarded to the inviter from the room JID.
 */
#include "muc_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void send_invite(room_t *r, const pv_jid_t *from, pv_el_t *inv, const pv_jid_t *to)
{
    pv_el_t *m = pv_el_new(PV_NS_STANZA, "message");
    if (!m)
        return;
    pv_el_set_attr(m, "from", r->jid);
    pv_el_set_attr(m, "to", to->full);
    pv_el_t *x = pv_el_add(m, NS_MUC_USER, "x");
    pv_el_t *i = pv_el_add(x, NS_MUC_USER, "invite");
    pv_el_set_attr(i, "from", from->full);
    for (pv_el_t *c = inv->children; c; c = c->next)
        if (c->kind == PV_EL_ELEMENT)
            pv_el_copy_into(i, c); /* reason, continue */
    if (room_cfg_bool(r, CF_PASSWORDPROTECTED))
        pv_el_add_text_child(x, NS_MUC_USER, "password", room_cfg(r, CF_ROOMSECRET));
    const char *reason = pv_el_child_text(inv, NS_MUC_USER, "reason");
    char body[1024];
    snprintf(body, sizeof body, "%s invites you to the room %s%s%s", from->bare, r->jid,
             reason && *reason ? ": " : "", reason ? reason : "");
    pv_el_add_text_child(m, PV_NS_STANZA, "body", body);
    pv_el_t *conf = pv_el_add(m, NS_CONFERENCE, "x");
    if (conf)
        pv_el_set_attr(conf, "jid", r->jid);
    pv_send(m);
    pv_el_free(m);
}

static pv_verdict_t decline(pv_stanza_ctx_t *ctx, room_t *r, pv_el_t *d)
{
    const char *to = pv_el_attr(d, "to");
    pv_jid_t *j = to ? pv_jid_parse(to) : NULL;
    if (!j)
        return refuse(ctx, "modify", "jid-malformed", "The decline needs a valid 'to' JID");
    pv_el_t *m = pv_el_new(PV_NS_STANZA, "message");
    if (m) {
        pv_el_set_attr(m, "from", r->jid);
        pv_el_set_attr(m, "to", j->full);
        pv_el_t *x = pv_el_add(m, NS_MUC_USER, "x");
        pv_el_t *dd = pv_el_add(x, NS_MUC_USER, "decline");
        pv_el_set_attr(dd, "from", ctx->from->bare);
        for (pv_el_t *c = d->children; c; c = c->next)
            if (c->kind == PV_EL_ELEMENT)
                pv_el_copy_into(dd, c);
        pv_send(m);
        pv_el_free(m);
    }
    pv_jid_free(j);
    return PV_HANDLED;
}

/* Invitations waiting for the backend (members-only stored rooms). */
typedef struct inv_op {
    char *room;   /* node */
    pv_el_t *msg; /* copy of the inviter's message (owned) */
} inv_op_t;

static void inv_op_free(inv_op_t *op)
{
    if (!op)
        return;
    free(op->room);
    pv_el_free(op->msg);
    free(op);
}

static void inv_apply(inv_op_t *op)
{
    room_t *r = rooms_get(op->room);
    pv_el_t *x = pv_el_child(op->msg, NS_MUC_USER, "x");
    pv_jid_t *from = pv_jid_parse(pv_el_attr(op->msg, "from"));
    if (!r || !x || !from) {
        if (!r)
            pv_send_error(op->msg, "cancel", "item-not-found", "The room was destroyed meanwhile");
        pv_jid_free(from);
        return;
    }
    bool add_members = room_cfg_bool(r, CF_MEMBERSONLY);
    for (pv_el_t *i = pv_el_child(x, NS_MUC_USER, "invite"); i;
         i = pv_el_next(i, NS_MUC_USER, "invite")) {
        pv_jid_t *to = pv_jid_parse(pv_el_attr(i, "to"));
        if (!to)
            continue;
        if (add_members && room_aff(r, to->bare) == PV_MUC_AFF_NONE &&
            room_aff_set(r, to->bare, PV_MUC_AFF_MEMBER) < 0)
            pv_log(PV_LOG_ERROR, MUC, "out of memory making %s a member of %s", to->bare, r->jid);
        send_invite(r, from, i, to);
        pv_jid_free(to);
    }
    pv_jid_free(from);
}

static void inv_stored(bool ok, void *ud)
{
    inv_op_t *op = ud;
    if (muc) {
        if (ok)
            inv_apply(op);
        else
            pv_send_error(op->msg, "wait", "internal-server-error",
                          "The invitees' membership could not be stored; nobody was invited");
    }
    inv_op_free(op);
}

pv_verdict_t invite_handle(pv_stanza_ctx_t *ctx, room_t *r, pv_el_t *x)
{
    pv_el_t *d = pv_el_child(x, NS_MUC_USER, "decline");
    if (d && !pv_el_child(x, NS_MUC_USER, "invite"))
        return decline(ctx, r, d);
    session_t *s = session_by_full(r, ctx->from->full);
    if (!s)
        return refuse(ctx, "modify", "not-acceptable",
                      "Only occupants may invite others to this room");
    if (!may(r, s->occ, PRIV_INVITE))
        return refuse(ctx, "auth", "forbidden",
                      "You are not allowed to invite others to this room");
    pv_jid_t *to[32];
    size_t n = 0;
    pv_verdict_t v = PV_HANDLED;
    for (pv_el_t *i = pv_el_child(x, NS_MUC_USER, "invite"); i;
         i = pv_el_next(i, NS_MUC_USER, "invite")) {
        const char *t = pv_el_attr(i, "to");
        pv_jid_t *j = t ? pv_jid_parse(t) : NULL;
        if (n == 32) {
            pv_jid_free(j);
            v = refuse(ctx, "modify", "not-acceptable", "At most 32 invitations per message");
            goto out;
        }
        if (!j) {
            v = refuse(ctx, "modify", "jid-malformed", "An invitation needs a valid 'to' JID");
            goto out;
        }
        to[n++] = j;
    }
    /* LIMIT-1: each invitation takes a token; none is sent unless all may go */
    for (size_t k = 0; k < n; k++)
        if (!throttle_allow(THR_INVITE, r->name, ctx->from->bare) &&
            !pv_is_sadmin(ctx->from->bare)) {
            v = throttle_refuse(ctx, THR_INVITE);
            goto out;
        }
    /* invitees made members of a stored room are stored first */
    pv_store_aff_t items[32];
    size_t naffs = 0;
    if (room_cfg_bool(r, CF_MEMBERSONLY))
        for (size_t k = 0; k < n; k++) {
            bool dup = false;
            for (size_t i = 0; i < naffs; i++)
                dup |= !strcmp(items[i].jid, to[k]->bare);
            if (!dup && room_aff(r, to[k]->bare) == PV_MUC_AFF_NONE)
                items[naffs++] = (pv_store_aff_t){to[k]->bare, "member", NULL};
        }
    inv_op_t *op = calloc(1, sizeof *op);
    if (!op || !(op->room = xstrdup(r->name)) || !(op->msg = pv_el_clone(ctx->stanza))) {
        inv_op_free(op);
        v = refuse(ctx, "wait", "internal-server-error", "Out of memory");
        goto out;
    }
    if (naffs && room_cfg_bool(r, CF_PERSISTENT))
        persist_changes(r, items, naffs, NULL, NULL, false, -1, inv_stored, op);
    else
        inv_stored(true, op);
    if (d)
        decline(ctx, r, d);
out:
    for (size_t i = 0; i < n; i++)
        pv_jid_free(to[i]);
    return v;
}
