/*
 * disco.c: service discovery for rooms (XEP-0045 §6). The service's own
 * disco#info is the core's (muc-core registers its identity and features);
 * here: the service's disco#items (public rooms, XEP-0059 paging), a room's
 * disco#info (identity, room-type features, then other plugins extend it,
 * e.g. the muc#roominfo form; node x-roomuser-item tells a user its
 * registered nick) and a room's disco#items (occupants, when allowed).
 * Hidden rooms are item-not-found to those who may not see them.
 */
#include "muc_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_RSM "http://jabber.org/protocol/rsm"

static bool may_see_room(const room_t *r, const pv_jid_t *who)
{
    pv_muc_aff_t a = room_aff(r, who->bare);
    if (a == PV_MUC_AFF_OWNER)
        return true;
    if (r->locked)
        return false;
    return room_is_public(r) || a >= PV_MUC_AFF_MEMBER || occupant_by_bare(r, who->bare);
}

static void send_and_free(pv_el_t *res)
{
    pv_send(res);
    pv_el_free(res);
}

pv_verdict_t disco_info_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    if (strcmp(ctx->type, "get"))
        return PV_PASS;
    room_t *r = room_of(ctx->to);
    if (!r || !may_see_room(r, ctx->from))
        return refuse(ctx, "cancel", "item-not-found", "No such room");
    const char *node = pv_el_attr(ctx->payload, "node");
    pv_el_t *res = pv_iq_result_new(ctx->stanza);
    pv_el_t *q = res ? pv_el_add(res, PV_NS_DISCO_INFO, "query") : NULL;
    if (!q) {
        pv_el_free(res);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    if (node && !strcmp(node, "x-roomuser-item")) {
        pv_el_set_attr(q, "node", node);
        const char *nick = room_reg_nick(r, ctx->from->bare);
        if (nick)
            pv_disco_query_identity(q, "conference", "text", nick);
        send_and_free(res);
        return PV_HANDLED;
    }
    if (node) {
        pv_el_free(res);
        return PV_PASS; /* other plugins' nodes */
    }
    const char *name = room_cfg(r, CF_ROOMNAME);
    pv_disco_query_identity(q, "conference", "text", *name ? name : r->name);
    static const char *const fixed[] = {NS_MUC,
                                        PV_NS_DISCO_INFO,
                                        PV_NS_DISCO_ITEMS,
                                        "http://jabber.org/protocol/muc#stable_id",
                                        NS_OCCUPANT_ID,
                                        NS_SELFPING,
                                        NS_MUC_REQUEST,
                                        NULL};
    for (const char *const *f = fixed; *f; f++)
        pv_disco_query_feature(q, *f);
    if (room_cfg_bool(r, CF_REGISTRATION))
        pv_disco_query_feature(q, NS_REGISTER);
    pv_disco_query_feature(q, room_is_public(r) ? "muc_public" : "muc_hidden");
    pv_disco_query_feature(q, room_cfg_bool(r, CF_PERSISTENT) ? "muc_persistent" : "muc_temporary");
    pv_disco_query_feature(q, room_cfg_bool(r, CF_MEMBERSONLY) ? "muc_membersonly" : "muc_open");
    pv_disco_query_feature(q, room_cfg_bool(r, CF_MODERATED) ? "muc_moderated" : "muc_unmoderated");
    pv_disco_query_feature(q, room_whois_anyone(r) ? "muc_nonanonymous" : "muc_semianonymous");
    pv_disco_query_feature(q, room_cfg_bool(r, CF_PASSWORDPROTECTED) ? "muc_passwordprotected"
                                                                     : "muc_unsecured");
    pv_disco_info_t info = {
        .target = ctx->to, .node = NULL, .requester = ctx->from, .query = q, .subject = r};
    pv_disco_info_extend(&info);
    send_and_free(res);
    return PV_HANDLED;
}

static int cmp_rooms(const void *a, const void *b)
{
    return strcmp((*(room_t *const *)a)->name, (*(room_t *const *)b)->name);
}

static pv_verdict_t service_items(pv_stanza_ctx_t *ctx)
{
    if (pv_el_attr(ctx->payload, "node"))
        return PV_PASS;
    size_t n = 0, i;
    room_t **list = malloc((muc->rooms.count + 1) * sizeof *list);
    if (!list)
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    for (map_entry_t *e = map_first(&muc->rooms, &i); e; e = map_next(&muc->rooms, e, &i)) {
        room_t *r = e->val;
        if (!r->locked && room_is_public(r))
            list[n++] = r;
    }
    qsort(list, n, sizeof *list, cmp_rooms);
    pv_el_t *set = pv_el_child(ctx->payload, NS_RSM, "set");
    size_t start = 0, end = n;
    if (set) {
        const char *after = pv_el_child_text(set, NS_RSM, "after");
        const char *before = pv_el_child_text(set, NS_RSM, "before");
        const char *maxs = pv_el_child_text(set, NS_RSM, "max");
        const char *index = pv_el_child_text(set, NS_RSM, "index");
        size_t max = maxs ? strtoul(maxs, NULL, 10) : n;
        if (after) {
            while (start < n && strcmp(list[start]->jid, after) <= 0)
                start++;
        } else if (index) {
            start = strtoul(index, NULL, 10);
            if (start > n)
                start = n;
        }
        if (before) {
            end = 0;
            while (end < n && strcmp(list[end]->jid, before) < 0)
                end++;
            if (*before == '\0')
                end = n;
            if (start > end)
                start = end;
            if (end - start > max)
                start = end - max;
        } else if (end - start > max) {
            end = start + max;
        }
        if (start > end)
            start = end;
    }
    pv_el_t *res = pv_iq_result_new(ctx->stanza);
    pv_el_t *q = res ? pv_el_add(res, PV_NS_DISCO_ITEMS, "query") : NULL;
    for (size_t k = start; q && k < end; k++) {
        pv_el_t *it = pv_el_add(q, PV_NS_DISCO_ITEMS, "item");
        const char *name = room_cfg(list[k], CF_ROOMNAME);
        pv_el_set_attr(it, "jid", list[k]->jid);
        pv_el_set_attr(it, "name", *name ? name : list[k]->name);
        pv_event_t *ev = pv_event(PV_MUC_EVENT_DISCO_ITEM);
        if (ev && pv_event_has_subscribers(ev)) {
            pv_muc_disco_item_event_t iev = {.room = list[k], .item = it, .requester = ctx->from};
            pv_event_fire(ev, &iev);
        }
    }
    if (q && set) {
        pv_el_t *rs = pv_el_add(q, NS_RSM, "set");
        if (end > start) {
            pv_el_t *first = pv_el_add_text_child(rs, NS_RSM, "first", list[start]->jid);
            pv_el_set_attrf(first, "index", "%zu", start);
            pv_el_add_text_child(rs, NS_RSM, "last", list[end - 1]->jid);
        }
        char cnt[24];
        snprintf(cnt, sizeof cnt, "%zu", n);
        pv_el_add_text_child(rs, NS_RSM, "count", cnt);
    }
    free(list);
    if (!q) {
        pv_el_free(res);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    send_and_free(res);
    return PV_HANDLED;
}

pv_verdict_t disco_items_handler(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    if (strcmp(ctx->type, "get"))
        return PV_PASS;
    if (ctx->to_class == PV_TO_SERVICE)
        return service_items(ctx);
    room_t *r = room_of(ctx->to);
    if (!r || !may_see_room(r, ctx->from))
        return refuse(ctx, "cancel", "item-not-found", "No such room");
    pv_el_t *res = pv_iq_result_new(ctx->stanza);
    pv_el_t *q = res ? pv_el_add(res, PV_NS_DISCO_ITEMS, "query") : NULL;
    if (!q) {
        pv_el_free(res);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    /* occupants are listed to occupants, and to outsiders only in public
     * non-anonymous rooms (nicks are no secret there) */
    bool list =
        occupant_by_bare(r, ctx->from->bare) != NULL || (room_is_public(r) && room_whois_anyone(r));
    for (occupant_t *o = list ? r->first : NULL; o; o = o->next) {
        pv_el_t *it = pv_el_add(q, PV_NS_DISCO_ITEMS, "item");
        pv_el_set_attrf(it, "jid", "%s/%s", r->jid, o->nick);
    }
    send_and_free(res);
    return PV_HANDLED;
}
