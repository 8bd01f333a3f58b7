/*
 * plugins/history/archive.c: what happens to each groupchat message the room
 * reflects (muc-core's MESSAGE event): forged stanza-ids and forged private
 * tags elements are stripped, a new stanza-id is stamped on the broadcast
 * copy, other plugins tag the message (tags.c), the message joins the room's
 * ring of recent messages with its tags, and, when the room logs
 * (muc#roomconfig_enablelogging), it is appended to the backend's archive
 * under that id (the tags inside it as the private element) and written to
 * the disk log (body only). Also the one query that refills a ring from the
 * archive when the room comes into memory, and archive deletion with the room.
 *
 * The backend may answer later (pgsql): callbacks never hold pointers into
 * rooms, only copies of names.
 */
#include "history.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Payloads that make a body-less message worth keeping (data, not branches). */
static const struct {
    const char *ns, *name;
} storable[] = {
    {"eu.siacs.conversations.axolotl", "encrypted"}, /* OMEMO */
    {"urn:xmpp:omemo:2", "encrypted"},
    {"urn:xmpp:openpgp:0", "openpgp"},
    {"urn:xmpp:message-retract:1", "retract"},
    {"urn:xmpp:reactions:0", "reactions"},
    {"urn:xmpp:fasten:0", "apply-to"},
    {NS_HINTS, "store"},
};

bool archive_storable(const pv_el_t *msg)
{
    if (pv_el_child(msg, NS_HINTS, "no-store") || pv_el_child(msg, NS_HINTS, "no-permanent-store"))
        return false;
    if (pv_el_child(msg, PV_NS_STANZA, "body"))
        return true;
    for (size_t i = 0; i < sizeof storable / sizeof storable[0]; i++)
        if (pv_el_child(msg, storable[i].ns, storable[i].name))
            return true;
    return false;
}

static void appended(int status, const char *error, void *ud)
{
    char *what = ud;
    if (status != PV_STORE_OK)
        pv_log(PV_LOG_ERROR, HIST, "archiving %s failed: %s", what,
               error ? error : "unknown error");
    free(what);
}

void archive_append(const char *room_name, const char *id, int64_t stamp_us, const char *nick,
                    const char *bare_jid, pv_el_t *msg, const tags_t *tags)
{
    void *h;
    const pv_store_t *st = pv_store(&h);
    if (!st || !st->archive_append)
        return;
    /* the tags go in for serialising only: the broadcast copy never has them */
    pv_el_t *te = tags ? tags_attach(msg, id, tags) : NULL;
    char *xml = pv_el_serialize(msg, NULL);
    if (te)
        pv_el_unlink(te);
    if (!xml) {
        pv_log(PV_LOG_ERROR, HIST, "room %s: message %s cannot be serialised; not archived",
               room_name, id);
        return;
    }
    size_t len = strlen(room_name) + strlen(id) + 32;
    char *what = malloc(len);
    if (what)
        snprintf(what, len, "message %s in room %s", id, room_name);
    pv_store_msg_t m = {.id = id, .stamp_us = stamp_us, .nick = nick, .jid = bare_jid, .xml = xml};
    st->archive_append(h, room_name, &m, appended, what);
    free(xml);
    retention_note_room(room_name);
}

static void deleted(int status, const char *error, void *ud)
{
    char *room = ud;
    if (status != PV_STORE_OK && status != PV_STORE_ENOTFOUND)
        pv_log(PV_LOG_ERROR, HIST, "deleting the archive of room %s failed: %s", room,
               error ? error : "unknown error");
    free(room);
}

void archive_delete(const char *room_name)
{
    void *h;
    const pv_store_t *st = pv_store(&h);
    if (!st || !st->archive_delete)
        return;
    st->archive_delete(h, room_name, deleted, strdup(room_name));
}

pv_verdict_t archive_on_message(const pv_event_t *ev, void *payload, void *ud)
{
    (void)ev;
    (void)ud;
    pv_muc_message_event_t *me = payload;
    const char *room_jid = muc_api->room_jid(me->room);
    int forged = stanza_id_strip(me->message, room_jid);
    if (forged)
        pv_log(PV_LOG_DEBUG, HIST, "room %s: removed %d stanza-id(s) forged by %s", room_jid,
               forged, me->real_from ? me->real_from->full : "?");
    forged = tags_strip(me->message);
    if (forged)
        pv_log(PV_LOG_DEBUG, HIST, "room %s: removed %d private tags element(s) sent by %s",
               room_jid, forged, me->real_from ? me->real_from->full : "?");
    char id[STANZA_ID_LEN + 1];
    if (stanza_id_add(me->message, room_jid, id) < 0)
        return PV_PASS;
    if (!archive_storable(me->message))
        return PV_PASS;
    tags_t tags = {0};
    tags_collect(me, id, &tags);
    /* strictly increasing, so that time order is archive order (the ids
     * field of MAM sorts by it) even for messages in the same microsecond */
    static int64_t last_us;
    int64_t now = pv_now_us();
    if (now <= last_us)
        now = last_us + 1;
    last_us = now;
    recent_t *r = recent_get(room_jid, true);
    if (r && (r->cap || recent_set_cap(r, history_room_length(me->room)) == 0))
        recent_push(r, me->message, now, id, &tags);
    if (!muc_api->room_config_bool(me->room, "muc#roomconfig_enablelogging")) {
        tags_clear(&tags);
        return PV_PASS;
    }
    const char *nick = me->sender ? muc_api->occupant_nick(me->sender) : NULL;
    const char *bare = me->sender ? muc_api->occupant_bare_jid(me->sender) : NULL;
    if (!bare && me->real_from)
        bare = me->real_from->bare;
    const char *name = muc_api->room_name(me->room);
    archive_append(name, id, now, nick, bare, me->message, &tags);
    tags_clear(&tags);
    disklog_message(name, room_jid, nick, now, me->message);
    return PV_PASS;
}

/* ---- refilling a ring when its room comes into memory ---- */

typedef struct load_ud {
    char *room_jid;  /* owned */
    uint64_t serial; /* the ring it was for: a ring dropped and made again is another */
} load_ud_t;

/* After a failed load none is tried for this long: the joins it released
 * are replayed at once and go on without history, not with another try. */
#define LOAD_RETRY_US 2000000

static size_t loads_pending;

size_t archive_loads_pending(void)
{
    return loads_pending;
}

static void loaded(int status, const char *error, const pv_store_msg_t *msgs, size_t n,
                   int complete, void *ud)
{
    (void)complete;
    load_ud_t *lu = ud;
    loads_pending--;
    recent_t *r = recent_get(lu->room_jid, false);
    if (r && r->serial == lu->serial) {
        r->loading = false;
        if (status != PV_STORE_OK && status != PV_STORE_ENOTFOUND) {
            pv_log(PV_LOG_ERROR, HIST, "room %s: loading its history failed: %s%s", lu->room_jid,
                   error ? error : "unknown error",
                   r->parked ? "; the joins that waited for it get none" : "");
            r->loaded = false; /* try again at a later join, not at those released now */
            r->retry_us = pv_now_us() + LOAD_RETRY_US;
        } else {
            for (size_t i = n; i-- > 0;)
                recent_prepend_xml(r, msgs[i].xml, msgs[i].stamp_us, msgs[i].id);
        }
        if (r->parked)
            history_unpark(r);
    }
    free(lu->room_jid);
    free(lu);
}

void archive_load_recent(recent_t *r, const pv_muc_room_t *room, size_t n)
{
    void *h;
    const pv_store_t *st = pv_store(&h);
    if (r->loading || pv_now_us() < r->retry_us)
        return; /* under way, or failed a moment ago */
    r->loaded = true;
    if (!st || !st->archive_query || n == 0)
        return;
    load_ud_t *lu = malloc(sizeof *lu);
    if (lu && !(lu->room_jid = strdup(r->room))) {
        free(lu);
        lu = NULL;
    }
    if (!lu) {
        pv_log(PV_LOG_ERROR, HIST, "room %s: out of memory loading its history", r->room);
        r->loaded = false;
        return;
    }
    lu->serial = r->serial;
    r->loading = true; /* before the query: sqlite answers inside it */
    loads_pending++;
    pv_store_query_t q = {.max = n, .last = 1};
    st->archive_query(h, muc_api->room_name(room), &q, loaded, lu);
}
