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

pv_verdict_t subject_handle(pv_stanza_ctx_t *ctx, room_t *r, occupant_t *o)
{
    if (!may(r, o, PRIV_CHANGE_SUBJECT))
        return refuse(ctx, "auth", "forbidden",
                      "You are not allowed to change the subject of this room");
    const char *text = pv_el_child_text(ctx->stanza, PV_NS_STANZA, "subject");
    char *subj = xstrdup(text ? text : "");
    char *from = xstrdup(o->nick);
    if (!subj || !from) {
        free(subj);
        free(from);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    free(r->subject);
    free(r->subject_from);
    r->subject = subj;
    r->subject_from = from;
    if (room_cfg_bool(r, CF_PERSISTENT))
        persist_room(r);
    pv_el_t *m = message_from_occupant(ctx, o);
    if (!m)
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    pv_prepared_t *p = pv_prepare(m);
    for (occupant_t *q = r->first; p && q; q = q->next)
        for (session_t *s = q->sessions; s && ext_may_deliver(r, o, q, m, "subject"); s = s->next)
            pv_send_prepared(p, s->jid->full);
    pv_prepared_free(p);
    pv_el_free(m);
    return PV_HANDLED;
}
