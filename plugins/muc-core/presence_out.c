/*
 * presence_out.c: an occupant's presence as the room sends it (XEP-0045 §7.2.3):
 * from room@service/nick, the client's show/status/priority and other
 * extensions, a muc#user <x> with the item (jid only for those allowed to see
 * it) and status codes, and the XEP-0421 occupant-id. A broadcast builds at
 * most three variants (with jid, without jid, self) and serialises each once;
 * the two shared ones go out through room_broadcast (broadcast.c: with
 * <multicast> on, through the host's XEP-0033 service), each to the
 * occupants it is for; the self variant (status codes) goes to the
 * occupant's own sessions.
 */
#include "muc_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool keep_child(const pv_el_t *c)
{
    if (c->kind != PV_EL_ELEMENT)
        return false;
    if (!strcmp(c->ns, NS_MUC) || !strcmp(c->ns, NS_MUC_USER) || !strcmp(c->ns, NS_OCCUPANT_ID))
        return false;
    if (!strcmp(c->ns, PV_NS_STANZA) && !strcmp(c->name, "error"))
        return false;
    return true;
}

static void add_codes(pv_el_t *x, const int *codes)
{
    for (; codes && *codes; codes++) {
        pv_el_t *st = pv_el_add(x, NS_MUC_USER, "status");
        if (st)
            pv_el_set_attrf(st, "code", "%d", *codes);
    }
}

pv_el_t *presence_build(const occupant_t *o, bool with_jid, bool self, const pres_opts_t *opt)
{
    const room_t *r = o->room;
    pv_el_t *p = pv_el_new(PV_NS_STANZA, "presence");
    if (!p)
        return NULL;
    pv_el_set_attrf(p, "from", "%s/%s", r->jid, o->nick);
    if (opt && opt->type)
        pv_el_set_attr(p, "type", opt->type);
    bool unavailable = opt && opt->type && !strcmp(opt->type, "unavailable");
    if (!unavailable && o->presence) {
        for (pv_el_t *c = o->presence->children; c; c = c->next)
            if (keep_child(c))
                pv_el_copy_into(p, c);
    } else if (unavailable && opt->status_text) {
        pv_el_add_text_child(p, PV_NS_STANZA, "status", opt->status_text);
    }
    pv_el_t *x = pv_el_add(p, NS_MUC_USER, "x");
    pv_el_t *item = x ? pv_el_add(x, NS_MUC_USER, "item") : NULL;
    if (!item) {
        pv_el_free(p);
        return NULL;
    }
    pv_el_set_attr(item, "affiliation", ext_aff_shown(o));
    pv_el_set_attr(item, "role", ext_role_shown(o));
    if ((with_jid || self) && o->sessions)
        pv_el_set_attr(item, "jid", o->sessions->jid->full);
    if (opt && opt->new_nick)
        pv_el_set_attr(item, "nick", opt->new_nick);
    if (opt && opt->actor_nick) {
        pv_el_t *actor = pv_el_add(item, NS_MUC_USER, "actor");
        if (actor)
            pv_el_set_attr(actor, "nick", opt->actor_nick);
    }
    if (opt && opt->reason)
        pv_el_add_text_child(item, NS_MUC_USER, "reason", opt->reason);
    if (opt && opt->extra_x)
        pv_el_copy_into(x, opt->extra_x);
    if (opt)
        add_codes(x, opt->codes);
    if (self && opt)
        add_codes(x, opt->self_codes);
    if (!unavailable)
        hats_add_to_presence(p, o); /* XEP-0317, hats.c */
    occupant_id_add(p, o);
    return p;
}

void presence_send_to(const occupant_t *o, const char *to, bool with_jid, const pres_opts_t *opt)
{
    pv_el_t *p = presence_build(o, with_jid, false, opt);
    if (!p) {
        pv_log(PV_LOG_ERROR, MUC, "cannot build presence of %s/%s", o->room->jid, o->nick);
        return;
    }
    pv_el_set_attr(p, "to", to);
    pv_send(p);
    pv_el_free(p);
}

/* Who gets variant k (0: without real JIDs, 1: with) of o's presence: the
 * others still in the room (role none: being removed, no longer in the
 * room, XEP-0045 §5.1) who may, or may not, see real JIDs. */
typedef struct pres_want {
    const occupant_t *o, *except;
    int k;
} pres_want_t;

static bool wants(const occupant_t *p, void *ud)
{
    const pres_want_t *w = ud;
    return p != w->o && p != w->except && p->role != PV_MUC_ROLE_NONE &&
           (may_see_jid(p->room, p) ? 1 : 0) == w->k;
}

/* Variant k of o's presence to those who want it (room_broadcast), built
 * only when someone does. */
static void broadcast_variant(occupant_t *o, const pres_opts_t *opt, int k)
{
    pres_want_t w = {o, opt->except, k};
    const occupant_t *p = o->room->first;
    while (p && !wants(p, &w))
        p = p->next;
    if (!p)
        return;
    pv_el_t *el = presence_build(o, k == 1, false, opt);
    pv_prepared_t *pp = el ? pv_prepare(el) : NULL;
    if (pp)
        room_broadcast(o->room, el, pp, &(bcast_t){.want = wants, .ud = &w});
    else
        pv_log(PV_LOG_ERROR, MUC, "cannot prepare presence of %s/%s", o->room->jid, o->nick);
    pv_prepared_free(pp);
    pv_el_free(el);
}

/* o's own presence (with its status codes) to its sessions, or only to
 * opt->only_session. */
static void send_self(occupant_t *o, const pres_opts_t *opt)
{
    pv_el_t *el = presence_build(o, true, true, opt);
    pv_prepared_t *self = el ? pv_prepare(el) : NULL;
    pv_el_free(el);
    if (!self) {
        pv_log(PV_LOG_ERROR, MUC, "cannot prepare presence of %s/%s", o->room->jid, o->nick);
        return;
    }
    if (opt->only_session)
        session_send(opt->only_session, self);
    else
        for (session_t *s = o->sessions; s; s = s->next)
            session_send(s, self);
    pv_prepared_free(self);
}

void presence_broadcast(occupant_t *o, const pres_opts_t *opt)
{
    pv_muc_role_t filter = opt->filter_set ? opt->filter_role : o->role;
    if (!opt->self_only && presence_broadcast_for(o->room, filter))
        for (int k = 0; k < 2; k++)
            broadcast_variant(o, opt, k);
    if (o != opt->except)
        send_self(o, opt);
}
