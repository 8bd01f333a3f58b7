/*
 * plugins/history/recent.c: the discussion history kept in memory, one ring
 * buffer of recent messages per room, keyed by the room's bare JID in the
 * core's hash table (palaver/map.h, growing with the rooms in memory). A
 * join reads the ring (no backend query); the archive is consulted once
 * each time the room comes into memory to refill it (archive.c,
 * loading.c), and the ring goes when the room leaves. Each
 * entry owns a clone of the reflected stanza (never with the private tags
 * element: a stored stanza's tags are moved into the entry's tags_t) and its
 * tags; the table owns the rings.
 */
#include "history.h"
#include <stdlib.h>
#include <string.h>

/* room bare JID -> recent_t (owned); zeroed: an empty case-sensitive table. */
static pv_map_t rings;

static void msg_clear(recent_msg_t *m)
{
    pv_el_free(m->stanza);
    free(m->id);
    tags_clear(&m->tags);
    memset(m, 0, sizeof *m);
}

recent_t *recent_get(const char *room_jid, bool create)
{
    recent_t *r = pv_map_get(&rings, room_jid);
    if (r || !create)
        return r;
    r = calloc(1, sizeof *r);
    if (r)
        r->room = strdup(room_jid);
    if (!r || !r->room || pv_map_put(&rings, room_jid, r) < 0) {
        if (r)
            free(r->room);
        free(r);
        pv_log(PV_LOG_ERROR, HIST, "room %s: out of memory keeping its history", room_jid);
        return NULL;
    }
    static uint64_t serials;
    r->serial = ++serials;
    return r;
}

const recent_msg_t *recent_at(const recent_t *r, size_t i)
{
    return i < r->n ? &r->msgs[(r->head + i) % r->cap] : NULL;
}

int recent_set_cap(recent_t *r, size_t cap)
{
    if (cap > HISTORY_HARD_MAX)
        cap = HISTORY_HARD_MAX;
    if (cap == r->cap)
        return 0;
    recent_msg_t *m = cap ? calloc(cap, sizeof *m) : NULL;
    if (cap && !m) {
        pv_log(PV_LOG_ERROR, HIST, "room %s: out of memory resizing its history", r->room);
        return -1;
    }
    size_t keep = r->n < cap ? r->n : cap, drop = r->n - keep;
    for (size_t i = 0; i < r->n; i++) {
        recent_msg_t *src = &r->msgs[(r->head + i) % r->cap];
        if (i < drop)
            msg_clear(src);
        else
            m[i - drop] = *src;
    }
    free(r->msgs);
    r->msgs = m;
    r->cap = cap;
    r->n = keep;
    r->head = 0;
    return 0;
}

static char *dup_id(const recent_t *r, const char *id)
{
    char *c = strdup(id ? id : "");
    if (!c)
        pv_log(PV_LOG_ERROR, HIST, "room %s: out of memory keeping a message", r->room);
    return c;
}

int recent_push(recent_t *r, const pv_el_t *stanza, int64_t stamp_us, const char *id,
                const tags_t *tags)
{
    if (!r->cap)
        return 0;
    tags_t tc = {0};
    pv_el_t *c = pv_el_clone(stanza);
    if (!c || (tags && tags_copy(&tc, tags) < 0)) {
        pv_el_free(c);
        pv_log(PV_LOG_ERROR, HIST, "room %s: out of memory keeping a message", r->room);
        return -1;
    }
    return recent_push_owned(r, c, stamp_us, id, &tc);
}

int recent_push_owned(recent_t *r, pv_el_t *stanza, int64_t stamp_us, const char *id, tags_t *tags)
{
    tags_t tc = {0};
    if (tags) {
        tc = *tags; /* moved */
        memset(tags, 0, sizeof *tags);
    }
    char *idc = r->cap ? dup_id(r, id) : NULL;
    if (!idc) {
        pv_el_free(stanza);
        tags_clear(&tc);
        return r->cap ? -1 : 0;
    }
    size_t slot;
    if (r->n == r->cap) {
        slot = r->head;
        msg_clear(&r->msgs[slot]);
        r->head = (r->head + 1) % r->cap;
    } else {
        slot = (r->head + r->n) % r->cap;
        r->n++;
    }
    r->msgs[slot] = (recent_msg_t){.stanza = stanza, .stamp_us = stamp_us, .id = idc, .tags = tc};
    return 0;
}

int recent_prepend_xml(recent_t *r, const char *xml, int64_t stamp_us, const char *id)
{
    if (r->n == r->cap || !xml)
        return 0; /* full: the ring already holds newer messages */
    for (size_t i = 0; i < r->n; i++)
        if (id && !strcmp(recent_at(r, i)->id, id))
            return 0;
    char err[128];
    pv_el_t *el = pv_el_parse(xml, strlen(xml), err, sizeof err);
    if (!el) {
        pv_log(PV_LOG_WARN, HIST, "room %s: archived message %s is not XML (%s); skipped", r->room,
               id ? id : "?", err);
        return -1;
    }
    char *idc = dup_id(r, id);
    if (!idc) {
        pv_el_free(el);
        return -1;
    }
    tags_t tags = {0};
    tags_extract(el, id, &tags);
    r->head = (r->head + r->cap - 1) % r->cap;
    r->n++;
    r->msgs[r->head] = (recent_msg_t){.stanza = el, .stamp_us = stamp_us, .id = idc, .tags = tags};
    return 0;
}

recent_msg_t *recent_find(recent_t *r, const char *id)
{
    for (size_t i = 0; r && id && i < r->n; i++) {
        recent_msg_t *m = &r->msgs[(r->head + i) % r->cap];
        if (m->id && !strcmp(m->id, id))
            return m;
    }
    return NULL;
}

int recent_replace(recent_t *r, recent_msg_t *m, const pv_el_t *stanza)
{
    pv_el_t *c = pv_el_clone(stanza);
    if (!c) {
        pv_log(PV_LOG_ERROR, HIST, "room %s: out of memory replacing message %s", r->room, m->id);
        return -1;
    }
    tags_strip(c); /* ring entries hold their tags apart */
    pv_el_free(m->stanza);
    m->stanza = c;
    return 0;
}

static void ring_free(void *ring)
{
    recent_t *r = ring;
    for (size_t i = 0; i < r->n; i++)
        msg_clear(&r->msgs[(r->head + i) % r->cap]);
    free(r->msgs);
    free(r->room);
    free(r);
}

void recent_drop(const char *room_jid)
{
    recent_t *r = pv_map_del(&rings, room_jid);
    if (!r)
        return;
    if (r->parked) /* the load's answer will find no ring: let them go now */
        history_unpark(r);
    ring_free(r);
}

void recent_free_all(void)
{
    pv_map_clear(&rings, ring_free);
}
