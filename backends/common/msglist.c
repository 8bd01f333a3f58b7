/*
 * backends/common/msglist.c: the in-memory archive and its query (see
 * msglist.h).
 *
 * A query first narrows the append-order array to the open interval between
 * after_id and before_id (O(1) through the id index), then walks it forwards,
 * or backwards when paging from the end, collecting at most max matches; one
 * more match found means the page is not complete. Backward results are
 * reversed so the caller always gets them oldest first.
 */
#include "msglist.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "roomdata.h"

msglist_t *msglist_new(void)
{
    msglist_t *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->byid = pv_map_new(0);
    if (!l->byid) {
        free(l);
        return NULL;
    }
    return l;
}

static void free_msg(pv_store_msg_t *m)
{
    free((char *)m->id);
    free((char *)m->nick);
    free((char *)m->jid);
    free((char *)m->xml);
}

void msglist_free(msglist_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free_msg(&l->msgs[i]);
    free(l->msgs);
    pv_map_free(l->byid, NULL);
    free(l);
}

/* Index of id, or -1 when absent. */
static long index_of(const msglist_t *l, const char *id)
{
    uintptr_t v = (uintptr_t)pv_map_get(l->byid, id);
    return v ? (long)(v - 1) : -1;
}

int msglist_has(const msglist_t *l, const char *id)
{
    return index_of(l, id) >= 0;
}

int msglist_append(msglist_t *l, const pv_store_msg_t *msg)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        pv_store_msg_t *m = realloc(l->msgs, cap * sizeof(*m));
        if (!m)
            return -1;
        l->msgs = m;
        l->cap = cap;
    }
    int ok = 1;
    pv_store_msg_t c = {
        .id = store_strdup(msg->id, &ok),
        .stamp_us = msg->stamp_us,
        .nick = store_strdup(msg->nick, &ok),
        .jid = store_strdup(msg->jid, &ok),
        .xml = store_strdup(msg->xml, &ok),
    };
    if (!ok || pv_map_put(l->byid, c.id, (void *)(uintptr_t)(l->n + 1)) < 0) {
        free_msg(&c);
        return -1;
    }
    l->msgs[l->n++] = c;
    return 0;
}

int msglist_replace(msglist_t *l, const char *id, const char *xml)
{
    long at = index_of(l, id);
    if (at < 0)
        return PV_STORE_ENOTFOUND;
    char *x = strdup(xml);
    if (!x)
        return PV_STORE_ENOMEM;
    free((char *)l->msgs[at].xml);
    l->msgs[at].xml = x;
    return 0;
}

/* How many messages survive the age cut, and so the first index (among
 * those) that the count cut keeps. */
static size_t survivors(const msglist_t *l, int64_t before_us)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        if (!before_us || l->msgs[i].stamp_us >= before_us)
            n++;
    return n;
}

int msglist_each_kept(const msglist_t *l, int64_t before_us, size_t keep,
                      int (*fn)(const pv_store_msg_t *m, void *ud), void *ud)
{
    size_t alive = survivors(l, before_us);
    size_t drop_oldest = keep && alive > keep ? alive - keep : 0;
    size_t seen = 0;
    for (size_t i = 0; i < l->n; i++) {
        const pv_store_msg_t *m = &l->msgs[i];
        if (before_us && m->stamp_us < before_us)
            continue;
        if (seen++ < drop_oldest)
            continue;
        int rc = fn(m, ud);
        if (rc)
            return rc;
    }
    return 0;
}

size_t msglist_trim(msglist_t *l, int64_t before_us, size_t keep)
{
    size_t alive = survivors(l, before_us);
    size_t drop_oldest = keep && alive > keep ? alive - keep : 0;
    size_t w = 0, seen = 0;
    for (size_t i = 0; i < l->n; i++) {
        pv_store_msg_t *m = &l->msgs[i];
        int old = before_us && m->stamp_us < before_us;
        if (!old && seen++ >= drop_oldest) {
            l->msgs[w] = *m;
            /* replacing an existing key's value does not allocate */
            pv_map_put(l->byid, m->id, (void *)(uintptr_t)(w + 1));
            w++;
            continue;
        }
        pv_map_del(l->byid, m->id);
        free_msg(m);
    }
    size_t removed = l->n - w;
    l->n = w;
    return removed;
}

static int matches(const pv_store_msg_t *m, const pv_store_query_t *q)
{
    if (q->start_us && m->stamp_us < q->start_us)
        return 0;
    if (q->end_us && m->stamp_us > q->end_us)
        return 0;
    if (q->with_nick && (!m->nick || strcmp(m->nick, q->with_nick) != 0))
        return 0;
    return 1;
}

void msglist_query(const msglist_t *l, const pv_store_query_t *q, pv_store_msgs_fn cb, void *ud)
{
    static const pv_store_query_t none;
    if (!q)
        q = &none;
    size_t lo = 0, hi = l ? l->n : 0;
    if (q->after_id) {
        long at = l ? index_of(l, q->after_id) : -1;
        if (at < 0) {
            cb(PV_STORE_ENOTFOUND, "after_id: no such message in this room", NULL, 0, 0, ud);
            return;
        }
        lo = (size_t)at + 1;
    }
    if (q->before_id) {
        long at = l ? index_of(l, q->before_id) : -1;
        if (at < 0) {
            cb(PV_STORE_ENOTFOUND, "before_id: no such message in this room", NULL, 0, 0, ud);
            return;
        }
        hi = (size_t)at;
    }
    size_t max = query_max(q), n = 0;
    size_t span = hi > lo ? hi - lo : 0;
    size_t room_for = span < max ? span : max;
    pv_store_msg_t *out = room_for ? malloc(room_for * sizeof(*out)) : NULL;
    if (room_for && !out) {
        cb(PV_STORE_ENOMEM, "out of memory building archive results", NULL, 0, 0, ud);
        return;
    }
    int complete = 1;
    if (query_backwards(q)) {
        for (size_t i = hi; i > lo; i--) {
            if (!matches(&l->msgs[i - 1], q))
                continue;
            if (n == max) {
                complete = 0;
                break;
            }
            out[n++] = l->msgs[i - 1];
        }
        for (size_t i = 0; i < n / 2; i++) {
            pv_store_msg_t t = out[i];
            out[i] = out[n - 1 - i];
            out[n - 1 - i] = t;
        }
    } else {
        for (size_t i = lo; i < hi; i++) {
            if (!matches(&l->msgs[i], q))
                continue;
            if (n == max) {
                complete = 0;
                break;
            }
            out[n++] = l->msgs[i];
        }
    }
    cb(PV_STORE_OK, NULL, out, n, complete, ud);
    free(out);
}
