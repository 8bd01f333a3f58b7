/*
 * subject.c: the room subject (XEP-0045 §8.1): who may change it (moderators,
 * and participants when muc#roomconfig_changesubject is on), the broadcast of
 * a change from the changer's occupant JID, storage with persistent rooms, and
 * the subject message every joiner gets last (an empty <subject/> when none).
 */
#include "muc_internal.h"
#include <stdlib.h>
#include <string.h>

void subject_send(const room_t *r, const char *to)
{
    pv_el_t *m = pv_el_new(PV_NS_STANZA, "message");
    if (!m)
        return;
    occupant_t *setter = r->subject_from ? occupant_by_nick(r, r->subject_from) : NULL;
    if (r->subject_from)
        pv_el_set_attrf(m, "from", "%s/%s", r->jid, r->subject_from);
    else
        pv_el_set_attr(m, "from", r->jid);
    pv_el_set_attr(m, "to", to);
    pv_el_set_attr(m, "type", "groupchat");
    pv_el_add_text_child(m, PV_NS_STANZA, "subject", r->subject && *r->subject ? r->subject : NULL);
    if (setter)
        occupant_id_add(m, setter);
    pv_send(m);
    pv_el_free(m);
}

/* A subject change of a stored room waiting for the backend. */
typedef struct subj_op {
    char *room;    /* node */
    char *sender;  /* the changer's full JID */
    char *subject; /* new subject */
    char *from;    /* the changer's nick */
    pv_el_t *msg;  /* copy of the sender's message (owned) */
} subj_op_t;

static void subj_op_free(subj_op_t *op)
{
    if (!op)
        return;
    free(op->room);
    free(op->sender);
    free(op->subject);
    free(op->from);
    pv_el_free(op->msg);
    free(op);
}

static void subj_apply(subj_op_t *op)
{
    room_t *r = rooms_get(op->room);
    if (!r) {
        pv_send_error(op->msg, "cancel", "item-not-found", "The room was destroyed meanwhile");
        return;
    }
    free(r->subject);
    free(r->subject_from);
    r->subject = op->subject;
    r->subject_from = op->from;
    op->subject = op->from = NULL;
    session_t *s = session_by_full(r, op->sender);
    if (!s) /* the changer left meanwhile: the new subject is for the next joiners */
        return;
    occupant_t *o = s->occ;
    pv_el_t *m = op->msg;
    pv_el_set_attrf(m, "from", "%s/%s", r->jid, o->nick);
    pv_el_set_attr(m, "to", NULL);
    occupant_id_add(m, o);
    room_broadcast(r, m, NULL, &(bcast_t){.sender = o, .kind = "subject"});
}

static void subj_stored(bool ok, void *ud)
{
    subj_op_t *op = ud;
    if (muc) {
        if (ok) {
            subj_apply(op);
        } else {
            pv_send_error(op->msg, "wait", "internal-server-error",
                          "The subject could not be stored; it was not changed");
        }
    }
    subj_op_free(op);
}

pv_verdict_t subject_handle(pv_stanza_ctx_t *ctx, room_t *r, occupant_t *o)
{
    if (!may(r, o, PRIV_CHANGE_SUBJECT))
        return refuse(ctx, "auth", "forbidden",
                      "You are not allowed to change the subject of this room");
    const char *text = pv_el_child_text(ctx->stanza, PV_NS_STANZA, "subject");
    subj_op_t *op = calloc(1, sizeof *op);
    if (!op || !(op->room = xstrdup(r->name)) || !(op->sender = xstrdup(ctx->from->full)) ||
        !(op->subject = xstrdup(text ? text : "")) || !(op->from = xstrdup(o->nick)) ||
        !(op->msg = pv_el_clone(ctx->stanza))) {
        subj_op_free(op);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    if (room_cfg_bool(r, CF_PERSISTENT) && r->stored)
        persist_config(r, NULL, op->subject, op->from, NULL, 0, subj_stored, op);
    else
        subj_stored(true, op);
    return PV_HANDLED;
}
