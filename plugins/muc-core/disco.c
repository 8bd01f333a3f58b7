/*
 * disco.c: service discovery for rooms (XEP-0045 §6). The service's own
 * disco#info is the core's (muc-core registers its identity and features);
 * here: the service's disco#items (public rooms, read from storage without
 * loading them, XEP-0059 paging), a room's disco#info (identity, room-type
 * features, then other plugins extend it, e.g. the muc#roominfo form; node
 * x-roomuser-item tells a user its registered nick) and a room's
 * disco#items (occupants, when allowed).
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
                                        "urn:xmpp:hats:0",
                                        "http://jabber.org/protocol/commands",
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

/* ---- The service's disco#items: the public rooms, paged (DISCO-2) ----
 *
 * The list is the stored public rooms (the backend's rooms_list, which reads
 * an index and never loads a room) merged, in byte order of names, with the
 * public unlocked rooms in memory that are not stored (temporary rooms).
 * Without a backend that has rooms_list, the rooms in memory are the list.
 *
 * rooms_list only pages forwards from a name, so everything is a forward
 * walk over the merged list, page by page (SERVICE_PAGE stored rooms per
 * call), chained through the completion callback (which may run before
 * rooms_list returns, or later with pgsql; a loop absorbs the synchronous
 * case, so the stack does not grow with the number of pages):
 *   - no <set>: every room, as before (one answer, built page by page);
 *   - <max>: at most SERVICE_PAGE, also when absent from a <set>; 0 gives
 *     the count alone;
 *   - <after>: starts at the index right after that name: one page (or two);
 *   - <index> N: walks over the first N rooms: O(N) rows read;
 *   - <before> (empty: the last page): walks from the start (or <after>)
 *     to that name keeping the last <max> rooms seen: O(position) rows read,
 *     O(max) memory. A client paging backwards through a huge list thus
 *     reads it quadratically; paging forwards with <after> is the cheap way.
 * <first index> is given when known: always, except after an <after> (the
 * position of a name is not known without walking to it). <count> is the
 * store's count plus the rooms in memory not stored; when the backend cannot
 * count cheaply it is given only when the walk reached the end, else left
 * out (XEP-0059 allows it). The IQ is answered from the last callback: the
 * walk keeps a copy of the request and of the requester, never the ctx.
 */

#define SERVICE_PAGE 1000 /* stored rooms per rooms_list call; also the <max> cap */

typedef struct listed {
    char *name;
    char *title; /* the item's name: the room title, or the node */
} listed_t;

typedef struct items_walk {
    pv_el_t *iq;          /* the request (clone) */
    pv_jid_t *from;       /* the requester (copy) */
    const pv_store_t *st; /* NULL: the rooms in memory only */
    void *h;
    bool has_set;
    char *after;   /* start strictly after this name (NULL: first) */
    char *bound;   /* stop before this name (NULL: at the end) */
    bool backward; /* <before>: keep the last `max` */
    size_t skip;   /* <index>: rooms passed over first */
    size_t max;    /* SIZE_MAX: no limit */
    listed_t *mem; /* rooms in memory to merge in, sorted; owned */
    size_t nmem, mi;
    size_t mem_total;      /* all of those, before `after` too (for <count>) */
    char *cursor;          /* the last stored name read (next page after it) */
    size_t asked;          /* the page size of the call under way */
    long long store_count; /* -1: unknown */
    bool first_page, store_done, done, reached_end, failed;
    bool in_call, answered; /* the synchronous-completion loop */
    size_t pos;             /* rooms walked (after `after`) */
    listed_t *out;          /* forward: in order; backward: a ring of `max` */
    size_t nout, cap, head;
} items_walk_t;

static void listed_free(listed_t *l)
{
    free(l->name);
    free(l->title);
    l->name = l->title = NULL;
}

static void walk_free(items_walk_t *w)
{
    for (size_t i = 0; i < w->nmem; i++)
        listed_free(&w->mem[i]);
    for (size_t i = 0; i < w->nout; i++)
        listed_free(&w->out[(w->head + i) % (w->cap ? w->cap : 1)]);
    free(w->mem);
    free(w->out);
    free(w->after);
    free(w->bound);
    free(w->cursor);
    pv_el_free(w->iq);
    pv_jid_free(w->from);
    free(w);
}

static int cmp_listed(const void *a, const void *b)
{
    return strcmp(((const listed_t *)a)->name, ((const listed_t *)b)->name);
}

/* The rooms in memory the store does not list (all of them without a
 * store): public, unlocked, strictly after w->after; sorted. */
static bool walk_snapshot_memory(items_walk_t *w)
{
    size_t i, n = 0;
    w->mem = calloc(muc->rooms.count + 1, sizeof *w->mem);
    if (!w->mem)
        return false;
    for (map_entry_t *e = map_first(&muc->rooms, &i); e; e = map_next(&muc->rooms, e, &i)) {
        room_t *r = e->val;
        if (r->locked || !room_is_public(r) || (w->st && r->stored))
            continue;
        w->mem_total++;
        if (w->after && strcmp(r->name, w->after) <= 0)
            continue;
        const char *title = room_cfg(r, CF_ROOMNAME);
        listed_t *l = &w->mem[n++];
        l->name = strdup(r->name);
        l->title = strdup(*title ? title : r->name);
        if (!l->name || !l->title) {
            w->nmem = n;
            return false;
        }
    }
    w->nmem = n;
    qsort(w->mem, n, sizeof *w->mem, cmp_listed);
    return true;
}

/* The node of an RSM <after>/<before> value: our items' JIDs (a bare room
 * JID); a plain node is taken as it is. malloc'd, NULL on failure. */
static char *rsm_node(const char *v)
{
    const char *at = strchr(v, '@');
    return at ? strndup(v, (size_t)(at - v)) : strdup(v);
}

/* Reads the request's <set>; false when out of memory. */
static bool walk_read_rsm(items_walk_t *w, const pv_el_t *payload)
{
    pv_el_t *set = pv_el_child(payload, NS_RSM, "set");
    w->max = SIZE_MAX;
    if (!set)
        return true;
    w->has_set = true;
    const char *after = pv_el_child_text(set, NS_RSM, "after");
    const char *before = pv_el_child_text(set, NS_RSM, "before");
    const char *maxs = pv_el_child_text(set, NS_RSM, "max");
    const char *index = pv_el_child_text(set, NS_RSM, "index");
    w->max = SERVICE_PAGE;
    if (maxs) {
        char *end;
        unsigned long m = strtoul(maxs, &end, 10);
        if (end != maxs && m < SERVICE_PAGE)
            w->max = m;
    }
    if (after && *after && !(w->after = rsm_node(after)))
        return false;
    if (!w->after && index)
        w->skip = strtoul(index, NULL, 10);
    if (before) {
        w->backward = true;
        if (*before && !(w->bound = rsm_node(before)))
            return false;
    }
    return true;
}

/* One room of the merged list in order. False once the walk has what it
 * needs (the bound reached, or `max` rooms forwards). */
static bool walk_take(items_walk_t *w, const char *name, const char *title)
{
    if (w->bound && strcmp(name, w->bound) >= 0) {
        w->done = true;
        return false;
    }
    if (++w->pos <= w->skip)
        return true;
    if (w->max == 0) { /* <max>0</max>: the count only */
        w->done = true;
        return false;
    }
    listed_t l = {strdup(name), strdup(title)};
    if (!l.name || !l.title) {
        listed_free(&l);
        w->failed = w->done = true;
        return false;
    }
    if (w->backward && w->nout == w->max) { /* the ring is full: drop the oldest */
        listed_free(&w->out[w->head]);
        w->out[w->head] = l;
        w->head = (w->head + 1) % w->cap;
        return true;
    }
    if (w->nout == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        if (w->backward && cap > w->max)
            cap = w->max;
        listed_t *o = realloc(w->out, cap * sizeof *o);
        if (!o) {
            listed_free(&l);
            w->failed = w->done = true;
            return false;
        }
        w->out = o;
        w->cap = cap;
    }
    w->out[w->nout++] = l; /* head is 0 until the ring is full */
    if (!w->backward && w->nout == w->max) {
        w->done = true;
        return false;
    }
    return true;
}

/* The rooms in memory whose names sort before `upto` (NULL: all left). */
static bool walk_take_memory(items_walk_t *w, const char *upto)
{
    while (w->mi < w->nmem && (!upto || strcmp(w->mem[w->mi].name, upto) < 0)) {
        const listed_t *l = &w->mem[w->mi];
        if (!walk_take(w, l->name, l->title))
            return false;
        w->mi++;
    }
    return true;
}

/* One stored room: merged after the rooms in memory that sort before it. */
static bool walk_take_stored(items_walk_t *w, const pv_store_room_entry_t *e)
{
    if (!walk_take_memory(w, e->name))
        return false;
    if (w->mi < w->nmem && !strcmp(w->mem[w->mi].name, e->name))
        w->mi++; /* in memory and stored meanwhile: listed once */
    if (strchr(e->name, '@'))
        return true; /* room-tombstones' rows (NODE@tombstone) */
    room_t *r = muc ? rooms_get(e->name) : NULL;
    if (r && r->locked)
        return true;
    return walk_take(w, e->name, e->title ? e->title : e->name);
}

/* How many stored rooms the next rooms_list call asks for. */
static size_t walk_page_size(const items_walk_t *w)
{
    if (w->backward || w->max == SIZE_MAX)
        return SERVICE_PAGE;
    size_t want = w->max - w->nout + (w->skip > w->pos ? w->skip - w->pos : 0) + 1;
    return want < SERVICE_PAGE ? want : SERVICE_PAGE;
}

static void walk_on_page(int status, const char *error, const pv_store_room_entry_t *rooms,
                         size_t n, long long count, void *ud);

static void walk_answer(items_walk_t *w);

/* Asks for pages until the walk is done; a page answered synchronously
 * continues this loop, one answered later calls walk_continue again. */
static void walk_continue(items_walk_t *w)
{
    while (!w->done) {
        w->in_call = true;
        w->answered = false;
        w->asked = walk_page_size(w);
        w->st->rooms_list(w->h, w->cursor ? w->cursor : w->after, w->asked,
                          PV_STORE_LIST_PUBLIC | PV_STORE_LIST_COUNT, walk_on_page, w);
        w->in_call = false;
        if (!w->answered)
            return; /* walk_on_page continues */
    }
    walk_answer(w);
}

static void walk_on_page(int status, const char *error, const pv_store_room_entry_t *rooms,
                         size_t n, long long count, void *ud)
{
    items_walk_t *w = ud;
    w->answered = true;
    if (status != PV_STORE_OK) {
        pv_log(PV_LOG_ERROR, MUC, "listing the stored rooms: %s", error ? error : "failed");
        w->failed = w->done = true;
    } else {
        if (w->first_page)
            w->store_count = count;
        w->first_page = false;
        for (size_t i = 0; i < n && walk_take_stored(w, &rooms[i]); i++)
            ;
        if (!w->done && n) {
            free(w->cursor);
            if (!(w->cursor = strdup(rooms[n - 1].name)))
                w->failed = w->done = true;
        }
        if (!w->done && n < w->asked) {
            w->store_done = true;
            if (walk_take_memory(w, NULL))
                w->reached_end = w->done = true;
        }
    }
    if (!w->in_call)
        walk_continue(w);
}

/* Adds one <item/> and lets plugins extend it (room NULL when not loaded). */
static bool add_item(pv_el_t *q, const listed_t *l, const pv_jid_t *requester)
{
    pv_el_t *it = pv_el_add(q, PV_NS_DISCO_ITEMS, "item");
    if (!it || pv_el_set_attrf(it, "jid", "%s@%s", l->name, pv_service_domain()) < 0 ||
        pv_el_set_attr(it, "name", l->title) < 0)
        return false;
    pv_event_t *ev = pv_event(PV_MUC_EVENT_DISCO_ITEM);
    if (ev && pv_event_has_subscribers(ev)) {
        room_t *r = muc ? rooms_get(l->name) : NULL;
        pv_muc_disco_item_event_t iev = {.room = r, .item = it, .requester = requester};
        pv_event_fire(ev, &iev);
    }
    return true;
}

/* A room's bare JID as RSM's <first>/<last> text. */
static pv_el_t *add_jid_child(pv_el_t *rs, const char *name, const char *room)
{
    size_t len = strlen(room) + 1 + strlen(pv_service_domain()) + 1;
    char *jid = malloc(len);
    if (!jid)
        return NULL;
    snprintf(jid, len, "%s@%s", room, pv_service_domain());
    pv_el_t *el = pv_el_add_text_child(rs, NS_RSM, name, jid);
    free(jid);
    return el;
}

static bool add_rsm(pv_el_t *q, const items_walk_t *w)
{
    pv_el_t *rs = pv_el_add(q, NS_RSM, "set");
    if (!rs)
        return false;
    if (w->nout) {
        const listed_t *last = &w->out[(w->head + w->nout - 1) % w->cap];
        pv_el_t *f = add_jid_child(rs, "first", w->out[w->head].name);
        if (!f || !add_jid_child(rs, "last", last->name))
            return false;
        /* the position is known when the walk started at the first room */
        if (!w->after &&
            pv_el_set_attrf(f, "index", "%zu", w->backward ? w->pos - w->nout : w->skip) < 0)
            return false;
    }
    long long count = -1;
    if (w->store_count >= 0)
        count = w->store_count + (long long)w->mem_total;
    else if (w->reached_end && !w->after)
        count = (long long)w->pos;
    if (count >= 0) {
        char cnt[24];
        snprintf(cnt, sizeof cnt, "%lld", count);
        if (!pv_el_add_text_child(rs, NS_RSM, "count", cnt))
            return false;
    }
    return true;
}

/* Sends the answer (or the error) and frees the walk. */
static void walk_answer(items_walk_t *w)
{
    pv_el_t *res = w->failed ? NULL : pv_iq_result_new(w->iq);
    pv_el_t *q = res ? pv_el_add(res, PV_NS_DISCO_ITEMS, "query") : NULL;
    bool ok = q != NULL;
    for (size_t k = 0; ok && k < w->nout; k++)
        ok = add_item(q, &w->out[(w->head + k) % w->cap], w->from);
    if (ok && w->has_set)
        ok = add_rsm(q, w);
    if (ok)
        pv_send(res);
    else
        pv_send_error(w->iq, "wait", "internal-server-error",
                      w->failed ? "The room list could not be read" : "Out of memory");
    pv_el_free(res);
    walk_free(w);
}

static pv_verdict_t service_items(pv_stanza_ctx_t *ctx)
{
    if (pv_el_attr(ctx->payload, "node"))
        return PV_PASS;
    items_walk_t *w = calloc(1, sizeof *w);
    if (!w)
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    const pv_store_t *st = pv_store(&w->h);
    w->st = st && PV_STORE_HAS(st, rooms_list) ? st : NULL;
    w->store_count = w->st ? -1 : 0;
    w->first_page = true;
    w->iq = pv_el_clone(ctx->stanza);
    w->from = pv_jid_dup(ctx->from);
    if (!w->iq || !w->from || !walk_read_rsm(w, ctx->payload) || !walk_snapshot_memory(w)) {
        walk_free(w);
        return refuse(ctx, "wait", "internal-server-error", "Out of memory");
    }
    if (w->st) {
        walk_continue(w); /* answers and frees w, now or later */
        return PV_HANDLED;
    }
    w->store_done = true;
    if (walk_take_memory(w, NULL))
        w->reached_end = true;
    walk_answer(w);
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
