/*
 * iq_forward.c: IQs to an occupant JID (XEP-0045 §7.9: vCard, version,
 * ping...). A get/set from an occupant is re-sent to one real JID of the
 * target from the sender's occupant JID under a fresh id (vCard requests go
 * to the bare JID); the reply, matched by that id and its sender, goes back
 * to the requester with its original id. A ping to one's own occupant JID is
 * answered by the service (XEP-0410 self-ping). Rooms whose x-palaver#privacy
 * is off (Palaver 0.6's "Allow users to query others?") refuse the rest with
 * not-allowed.
 */
#include "muc_internal.h"
#include <stdlib.h>
#include <string.h>

#define MAX_PENDING 4096

typedef struct pending {
    char *requester; /* full JID that asked */
    char *orig_id;
    char *target;   /* real JID the IQ went to */
    char *from_occ; /* occupant JID the reply comes from (room/target nick) */
} pending_t;

static map_t pending; /* our id -> pending_t */
static bool pending_init;

static void pending_free(pending_t *p)
{
    if (!p)
        return;
    free(p->requester);
    free(p->orig_id);
    free(p->target);
    free(p->from_occ);
    free(p);
}

void iq_forward_reset(void)
{
    size_t i;
    if (!pending_init)
        return;
    for (map_entry_t *e = map_first(&pending, &i); e; e = map_next(&pending, e, &i))
        pending_free(e->val);
    map_clear(&pending);
}

static void answer_result(pv_stanza_ctx_t *ctx)
{
    pv_el_t *res = pv_iq_result_new(ctx->stanza);
    if (res) {
        pv_send(res);
        pv_el_free(res);
    }
}

static pv_verdict_t route_reply(pv_stanza_ctx_t *ctx)
{
    const char *id = pv_el_attr(ctx->stanza, "id");
    pending_t *p = id && pending_init ? map_get(&pending, id) : NULL;
    if (!p || (strcmp(p->target, ctx->from->full) != 0 && strcmp(p->target, ctx->from->bare) != 0))
        return PV_HANDLED; /* unknown or spoofed reply: dropped */
    map_del(&pending, id);
    pv_el_t *out = pv_el_clone(ctx->stanza);
    if (out) {
        pv_el_set_attr(out, "from", p->from_occ);
        pv_el_set_attr(out, "to", p->requester);
        pv_el_set_attr(out, "id", p->orig_id);
        pv_send(out);
        pv_el_free(out);
    }
    pending_free(p);
    return PV_HANDLED;
}

pv_verdict_t iq_occupant_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    if (!strcmp(ctx->type, "result") || !strcmp(ctx->type, "error"))
        return route_reply(ctx);
    room_t *r = room_of(ctx->to);
    if (!r)
        return refuse(ctx, "cancel", "item-not-found", "No such room");
    session_t *s = session_by_full(r, ctx->from->full);
    occupant_t *target = occupant_by_nick(r, ctx->to->resource);
    if (s && target == s->occ && ctx->payload && pv_el_is(ctx->payload, NS_PING, "ping")) {
        answer_result(ctx);
        return PV_HANDLED;
    }
    if (!s)
        return refuse(ctx, "cancel", "not-acceptable",
                      "Only occupants may send IQs to other occupants");
    if (!room_cfg_bool(r, CF_PRIVACY))
        return refuse(ctx, "cancel", "not-allowed",
                      "This room does not pass IQs between occupants");
    if (!target)
        return refuse(ctx, "cancel", "item-not-found", "There is no occupant with that nickname");
    if (!pending_init) {
        map_init(&pending, false);
        pending_init = true;
    }
    if (pending.count >= MAX_PENDING) {
        pv_log(PV_LOG_WARN, MUC, "%d unanswered forwarded IQs: forgetting them", MAX_PENDING);
        iq_forward_reset();
    }
    bool vcard = ctx->payload && !strcmp(ctx->payload->ns, "vcard-temp");
    const char *to = vcard ? target->bare : target->sessions->jid->full;
    char id[24];
    pv_random_id(id, 16);
    pending_t *p = calloc(1, sizeof *p);
    const char *orig = pv_el_attr(ctx->stanza, "id");
    if (p) {
        p->requester = xstrdup(ctx->from->full);
        p->orig_id = xstrdup(orig ? orig : "");
        p->target = xstrdup(to);
        p->from_occ = xstrdup(ctx->to->full);
    }
    if (!p || !p->requester || !p->orig_id || !p->target || !p->from_occ ||
        map_put(&pending, id, p) < 0) {
        pending_free(p);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    pv_el_t *out = pv_el_clone(ctx->stanza);
    if (out) {
        pv_el_set_attrf(out, "from", "%s/%s", r->jid, s->occ->nick);
        pv_el_set_attr(out, "to", to);
        pv_el_set_attr(out, "id", id);
        pv_send(out);
        pv_el_free(out);
    }
    return PV_HANDLED;
}
