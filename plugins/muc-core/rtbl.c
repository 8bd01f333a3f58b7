/*
 * rtbl.c (RTBL-1): real-time block lists, as the public lists used with
 * Prosody's and ejabberd's mod_muc_rtbl. Each <rtbl service node/> names a
 * XEP-0060 node whose item ids are the lowercase hex SHA-256 of bare JIDs.
 * Once connected, the service's domain subscribes to each node and fetches
 * its items (paged with XEP-0059 when the service pages, else what it gives);
 * the fetch builds a new set that replaces the old one when complete, so
 * items retracted while the stream was down are gone after a reconnect.
 * Notifications published later apply at once: a listed JID cannot join
 * (PRE_JOIN: forbidden) and a listed occupant is removed (307) from every
 * room in memory. The hashes are kept in hash sets (map.c); a joiner's bare
 * JID is hashed once per join.
 */
#include "muc_internal.h"
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define NS_PUBSUB "http://jabber.org/protocol/pubsub"
#define NS_PUBSUB_EVENT "http://jabber.org/protocol/pubsub#event"
#define NS_RSM "http://jabber.org/protocol/rsm"
#define ID_PREFIX "pv-rtbl-"
#define PAGE 250         /* items asked per page */
#define MAX_PAGES 100000 /* a service paging for ever is cut off */

typedef struct rtbl_list {
    char *service; /* bare JID the node lives on */
    char *node;
    map_t items;   /* hex hash (case-insensitive) -> (void *)1: the live set */
    map_t fresh;   /* the set a fetch builds, swapped in when complete */
    bool fetching; /* `fresh` is being built */
    long pages;    /* pages asked in this fetch */
} rtbl_list_t;

static struct {
    rtbl_list_t *lists;
    size_t n;
    unsigned gen; /* one per connection, in the IQ ids */
    pv_hook_t *iq_hook, *msg_hook;
    pv_subscription_t *join_sub;
} rt;

static void *const PRESENT = (void *)1;

/* ---- hashing ---- */

/* Lowercase hex SHA-256 of a bare JID into out (65 bytes): 0, or -1 logged. */
static int bare_hash(const char *bare, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(bare, strlen(bare), md, &len, EVP_sha256(), NULL) != 1 || len != 32) {
        pv_log(PV_LOG_ERROR, MUC, "rtbl: SHA-256 computation failed (OpenSSL)");
        return -1;
    }
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < len; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
    return 0;
}

/* The list that lists this hash (its live set, or the set being fetched), or NULL. */
static const rtbl_list_t *listed_by(const char *hash)
{
    for (size_t i = 0; i < rt.n; i++)
        if (map_get(&rt.lists[i].items, hash) ||
            (rt.lists[i].fetching && map_get(&rt.lists[i].fresh, hash)))
            return &rt.lists[i];
    return NULL;
}

static const rtbl_list_t *bare_listed(const char *bare)
{
    char h[65];
    return bare_hash(bare, h) < 0 ? NULL : listed_by(h);
}

/* ---- removing listed occupants ---- */

/* Every occupant of r whose user a list names leaves with 307. */
static void sweep_room(room_t *r)
{
    r->busy++;
    occupant_t *next;
    for (occupant_t *o = r->first; o; o = next) {
        next = o->next;
        const rtbl_list_t *l = bare_listed(o->bare);
        if (!l)
            continue;
        char reason[512];
        snprintf(reason, sizeof reason, "You are listed on the block list %s of %s", l->node,
                 l->service);
        pv_log(PV_LOG_INFO, MUC, "rtbl: %s is listed by %s (%s): removed from %s", o->bare,
               l->service, l->node, r->jid);
        pv_muc_role_t role = o->role;
        evict_tell_self(o, 307, NULL, reason);
        evict_finish(o, 307, role, NULL, reason);
    }
    r->busy--;
    rooms_maybe_destroy(r);
}

/* Every room in memory: names first, as removing occupants may free rooms. */
static void sweep_all(void)
{
    size_t n = muc->rooms.count, k = 0, i;
    char **names = n ? calloc(n, sizeof *names) : NULL;
    if (n && !names) {
        pv_log(PV_LOG_ERROR, MUC, "rtbl: out of memory checking the occupants");
        return;
    }
    for (map_entry_t *e = map_first(&muc->rooms, &i); e && k < n; e = map_next(&muc->rooms, e, &i))
        if (((room_t *)e->val)->first && (names[k] = xstrdup(e->key)) != NULL)
            k++;
    for (size_t j = 0; j < k; j++) {
        room_t *r = rooms_get(names[j]);
        if (r)
            sweep_room(r);
        free(names[j]);
    }
    free(names);
}

/* ---- requests to the pubsub services ---- */

static void send_request(size_t idx, const char *type, const char *what, const char *after)
{
    rtbl_list_t *l = &rt.lists[idx];
    pv_el_t *iq = pv_el_new(NULL, "iq");
    pv_el_t *ps = iq ? pv_el_add(iq, NS_PUBSUB, "pubsub") : NULL;
    pv_el_t *op = ps ? pv_el_add(ps, NS_PUBSUB, what) : NULL;
    bool ok = op && pv_el_set_attr(iq, "type", type) == 0 &&
              pv_el_set_attrf(iq, "id", ID_PREFIX "%u-%zu-%s", rt.gen, idx, what) == 0 &&
              pv_el_set_attr(iq, "to", l->service) == 0 &&
              pv_el_set_attr(iq, "from", pv_service_domain()) == 0 &&
              pv_el_set_attr(op, "node", l->node) == 0;
    if (ok && !strcmp(what, "subscribe"))
        ok = pv_el_set_attr(op, "jid", pv_service_domain()) == 0;
    if (ok && !strcmp(what, "items")) {
        char max[16];
        snprintf(max, sizeof max, "%d", PAGE);
        pv_el_t *set = pv_el_add(ps, NS_RSM, "set");
        ok = set && pv_el_add_text_child(set, NS_RSM, "max", max) &&
             (!after || pv_el_add_text_child(set, NS_RSM, "after", after));
    }
    if (!ok)
        pv_log(PV_LOG_ERROR, MUC, "rtbl: out of memory asking %s", l->service);
    else if (pv_send(iq) < 0)
        pv_log(PV_LOG_WARN, MUC, "rtbl: cannot send the %s request to %s", what, l->service);
    pv_el_free(iq);
}

/* The fetch of list idx is complete: its new set replaces the old one. */
static void fetch_done(rtbl_list_t *l)
{
    map_clear(&l->items);
    l->items = l->fresh;
    map_init(&l->fresh, true);
    l->fetching = false;
    pv_log(PV_LOG_INFO, MUC, "rtbl: %u entries in %s on %s", (unsigned)l->items.count, l->node,
           l->service);
    sweep_all();
}

static int add_hash(map_t *m, const char *id)
{
    if (!id || !*id || map_get(m, id))
        return 0;
    if (map_put(m, id, PRESENT) < 0) {
        pv_log(PV_LOG_ERROR, MUC, "rtbl: out of memory storing an entry");
        return -1;
    }
    return 1;
}

/* One page of items: kept in the fresh set; the next page is asked when the
 * service pages (XEP-0059 <set> with <last>) and this page was full. */
static void items_page(size_t idx, const pv_el_t *pubsub)
{
    rtbl_list_t *l = &rt.lists[idx];
    const pv_el_t *items = pubsub ? pv_el_child(pubsub, NS_PUBSUB, "items") : NULL;
    size_t got = 0;
    for (pv_el_t *it = items ? pv_el_child(items, NS_PUBSUB, "item") : NULL; it;
         it = pv_el_next(it, NS_PUBSUB, "item"), got++)
        add_hash(&l->fresh, pv_el_attr(it, "id"));
    const pv_el_t *set = pubsub ? pv_el_child(pubsub, NS_RSM, "set") : NULL;
    const char *last = set ? pv_el_child_text(set, NS_RSM, "last") : NULL;
    const char *count = set ? pv_el_child_text(set, NS_RSM, "count") : NULL;
    bool more = last && *last && got > 0 && ++l->pages < MAX_PAGES &&
                (count ? strtol(count, NULL, 10) > (long)l->fresh.count : got >= PAGE);
    if (more)
        send_request(idx, "get", "items", last);
    else
        fetch_done(l);
}

/* Answers to our requests: "pv-rtbl-GEN-IDX-WHAT". Those of an earlier
 * connection are dropped. */
static pv_verdict_t iq_handler_rtbl(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    const char *id = pv_el_attr(ctx->stanza, "id");
    bool result = !strcmp(ctx->type, "result");
    if (!id || strncmp(id, ID_PREFIX, strlen(ID_PREFIX)) != 0 ||
        (!result && strcmp(ctx->type, "error") != 0))
        return PV_PASS;
    char *end;
    unsigned long gen = strtoul(id + strlen(ID_PREFIX), &end, 10);
    size_t idx = *end == '-' ? strtoul(end + 1, &end, 10) : rt.n;
    if (gen != rt.gen || idx >= rt.n || *end != '-')
        return PV_HANDLED;
    rtbl_list_t *l = &rt.lists[idx];
    const char *what = end + 1;
    if (!ctx->from || strcmp(ctx->from->bare, l->service) != 0)
        return PV_HANDLED;
    if (!strcmp(what, "subscribe")) {
        if (!result)
            pv_log(PV_LOG_WARN, MUC,
                   "rtbl: %s refused the subscription to %s: changes will "
                   "show only after a reconnect",
                   l->service, l->node);
    } else if (!strcmp(what, "items") && l->fetching) {
        if (result) {
            items_page(idx, ctx->payload && pv_el_is(ctx->payload, NS_PUBSUB, "pubsub")
                                ? ctx->payload
                                : NULL);
        } else {
            pv_log(PV_LOG_WARN, MUC,
                   "rtbl: %s refused the items of %s: keeping the %u "
                   "entries known",
                   l->service, l->node, (unsigned)l->items.count);
            map_clear(&l->fresh);
            l->fetching = false;
        }
    }
    return PV_HANDLED;
}

/* ---- notifications ---- */

/* One <items/> or <purge/> notification for list l: true if entries came. */
static bool apply_event(rtbl_list_t *l, const pv_el_t *e)
{
    bool added = false;
    if (pv_el_is(e, NS_PUBSUB_EVENT, "purge")) {
        map_clear(&l->items);
        map_clear(&l->fresh);
        pv_log(PV_LOG_INFO, MUC, "rtbl: %s on %s purged", l->node, l->service);
        return false;
    }
    for (pv_el_t *c = pv_el_first_element(e); c; c = pv_el_next(c, NULL, NULL)) {
        const char *id = pv_el_attr(c, "id");
        if (!id)
            continue;
        if (pv_el_is(c, NS_PUBSUB_EVENT, "item")) {
            if (add_hash(&l->items, id) > 0)
                added = true;
            if (l->fetching)
                add_hash(&l->fresh, id);
        } else if (pv_el_is(c, NS_PUBSUB_EVENT, "retract")) {
            map_del(&l->items, id);
            map_del(&l->fresh, id);
        }
    }
    return added;
}

/* Notifications from a configured service about a configured node. */
static pv_verdict_t msg_handler_rtbl(pv_stanza_ctx_t *ctx, void *ud)
{
    (void)ud;
    pv_el_t *ev = pv_el_child(ctx->stanza, NS_PUBSUB_EVENT, "event");
    if (!ev || !ctx->from)
        return PV_PASS;
    bool added = false;
    for (pv_el_t *e = pv_el_first_element(ev); e; e = pv_el_next(e, NULL, NULL)) {
        const char *node = pv_el_attr(e, "node");
        for (size_t i = 0; node && i < rt.n; i++)
            if (!strcmp(rt.lists[i].service, ctx->from->bare) && !strcmp(rt.lists[i].node, node))
                added |= apply_event(&rt.lists[i], e);
    }
    if (added)
        sweep_all();
    return PV_HANDLED;
}

/* ---- joins ---- */

static pv_verdict_t pre_join_rtbl(const pv_event_t *e, void *payload, void *ud)
{
    (void)e;
    (void)ud;
    pv_muc_occupant_event_t *ev = payload;
    if (!ev->real_jid)
        return PV_PASS;
    const rtbl_list_t *l = bare_listed(ev->real_jid->bare);
    if (!l)
        return PV_PASS;
    static char text[512]; /* read by enter.c right after the event */
    snprintf(text, sizeof text, "You are listed on the block list %s of %s", l->node, l->service);
    pv_log(PV_LOG_INFO, MUC, "rtbl: join of %s refused: listed by %s (%s)", ev->real_jid->bare,
           l->service, l->node);
    ev->err_type = "auth";
    ev->err_condition = "forbidden";
    ev->err_text = text;
    return PV_ERROR;
}

/* ---- configuration and life cycle ---- */

static int read_list(const pv_el_t *el, rtbl_list_t *l)
{
    for (const pv_attr_t *a = el->attrs; a; a = a->next)
        if (strcmp(a->name, "service") != 0 && strcmp(a->name, "node") != 0)
            return pv_config_error(el, MUC,
                                   "<rtbl>: unknown attribute '%s' (write <rtbl "
                                   "service='pubsub.example.org' node='muc_bans_sha256'/>)",
                                   a->name);
    const char *service = pv_el_attr(el, "service"), *node = pv_el_attr(el, "node");
    pv_jid_t *j = service && *service ? pv_jid_parse(service) : NULL;
    if (!j || j->resource) {
        pv_jid_free(j);
        return pv_config_error(el, MUC,
                               "<rtbl> needs the pubsub service's JID, not '%s': write <rtbl "
                               "service='pubsub.example.org' node='muc_bans_sha256'/>",
                               service ? service : "");
    }
    if (!node || !*node) {
        pv_jid_free(j);
        return pv_config_error(el, MUC,
                               "<rtbl> needs the pubsub node: write <rtbl service='%s' "
                               "node='muc_bans_sha256'/>",
                               service);
    }
    l->service = xstrdup(j->bare);
    l->node = xstrdup(node);
    pv_jid_free(j);
    map_init(&l->items, true); /* hex in either case */
    map_init(&l->fresh, true);
    return l->service && l->node ? 0 : -1;
}

void rtbl_shutdown(void)
{
    pv_hook_remove(rt.iq_hook);
    pv_hook_remove(rt.msg_hook);
    pv_event_unsubscribe(rt.join_sub);
    for (size_t i = 0; i < rt.n; i++) {
        free(rt.lists[i].service);
        free(rt.lists[i].node);
        map_clear(&rt.lists[i].items);
        map_clear(&rt.lists[i].fresh);
    }
    free(rt.lists);
    memset(&rt, 0, sizeof rt);
}

int rtbl_init(const pv_config_t *cfg)
{
    memset(&rt, 0, sizeof rt);
    size_t n = 0;
    for (pv_el_t *e = cfg ? pv_el_child(cfg, NULL, "rtbl") : NULL; e;
         e = pv_el_next(e, NULL, "rtbl"))
        n++;
    if (!n)
        return 0;
    rt.lists = calloc(n, sizeof *rt.lists);
    if (!rt.lists)
        return -1;
    for (pv_el_t *e = pv_el_child(cfg, NULL, "rtbl"); e; e = pv_el_next(e, NULL, "rtbl")) {
        rtbl_list_t *l = &rt.lists[rt.n++];
        if (read_list(e, l) < 0) {
            rtbl_shutdown();
            return -1;
        }
    }
    rt.iq_hook = pv_plugin_hook_stanza(muc_handle, PV_KIND_IQ, PV_TO_SERVICE, NULL, 1000,
                                       iq_handler_rtbl, NULL);
    rt.msg_hook = pv_plugin_hook_stanza(muc_handle, PV_KIND_MESSAGE, PV_TO_SERVICE, NULL, 1000,
                                        msg_handler_rtbl, NULL);
    rt.join_sub = pv_plugin_subscribe(muc_handle, ev_pre_join, 0, pre_join_rtbl, NULL);
    if (!rt.iq_hook || !rt.msg_hook || !rt.join_sub) {
        pv_log(PV_LOG_ERROR, MUC, "rtbl: cannot register its stanza hooks");
        rtbl_shutdown();
        return -1;
    }
    for (size_t i = 0; i < rt.n; i++)
        pv_log(PV_LOG_INFO, MUC, "rtbl: block list %s on %s once connected", rt.lists[i].node,
               rt.lists[i].service);
    return 0;
}

/* Every connection: subscribe again and fetch each list anew. */
void rtbl_connected(void)
{
    rt.gen++;
    for (size_t i = 0; i < rt.n; i++) {
        rtbl_list_t *l = &rt.lists[i];
        map_clear(&l->fresh);
        l->fetching = true;
        l->pages = 0;
        send_request(i, "set", "subscribe", NULL);
        send_request(i, "get", "items", NULL);
    }
}
