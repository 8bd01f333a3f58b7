/*
 * backends/memory/archive.c: per-room archives as msglist_t in a hash table
 * keyed by room name. An append costs one lookup and one array push.
 */
#include <palaver/log.h>

#include "memory.h"
#include "msglist.h"

void mem_archive_append(void *h, const char *room, const pv_store_msg_t *msg, pv_store_done_fn cb,
                        void *ud)
{
    mem_store_t *s = h;
    msglist_t *l = pv_map_get(s->archives, room), *fresh = NULL;
    if (!l) {
        l = fresh = msglist_new();
        if (!l || pv_map_put(s->archives, room, l) < 0)
            goto nomem;
    }
    if (msglist_has(l, msg->id)) {
        cb(PV_STORE_EINVAL, "a message with this id is already archived in this room", ud);
        return;
    }
    if (msglist_append(l, msg) < 0)
        goto nomem;
    cb(PV_STORE_OK, NULL, ud);
    return;
nomem:
    if (fresh && pv_map_get(s->archives, room) != fresh)
        msglist_free(fresh);
    pv_log(PV_LOG_ERROR, "memory", "room %s: out of memory archiving message %s", room, msg->id);
    cb(PV_STORE_ENOMEM, "out of memory", ud);
}

void mem_archive_query(void *h, const char *room, const pv_store_query_t *q, pv_store_msgs_fn cb,
                       void *ud)
{
    mem_store_t *s = h;
    msglist_query(pv_map_get(s->archives, room), q, cb, ud);
}

void mem_archive_replace(void *h, const char *room, const char *id, const char *xml,
                         pv_store_done_fn cb, void *ud)
{
    mem_store_t *s = h;
    msglist_t *l = pv_map_get(s->archives, room);
    int rc = l ? msglist_replace(l, id, xml) : PV_STORE_ENOTFOUND;
    if (rc == PV_STORE_ENOMEM)
        pv_log(PV_LOG_ERROR, "memory", "room %s: out of memory replacing message %s", room, id);
    cb(rc, rc == 0 ? NULL : rc == PV_STORE_ENOTFOUND ? "no such message" : "out of memory", ud);
}

void mem_archive_delete(void *h, const char *room, pv_store_done_fn cb, void *ud)
{
    mem_store_t *s = h;
    msglist_free(pv_map_del(s->archives, room));
    cb(PV_STORE_OK, NULL, ud);
}

void mem_archive_trim(void *h, const char *room, int64_t before_us, size_t keep_newest,
                      pv_store_done_fn cb, void *ud)
{
    mem_store_t *s = h;
    msglist_t *l = pv_map_get(s->archives, room);
    if (l)
        msglist_trim(l, before_us, keep_newest);
    cb(PV_STORE_OK, NULL, ud);
}
