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
 * The backend may answer later (pgsql, sqlite's group commit): callbacks
 * never hold pointers into rooms, only copies of names; the reflection of an
 * archived message waits for the write (durable before visible, below).
 */
#include "history.h"
#include <stddef.h>
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

/* ---- where a room's messages are stored ----
 * A room that logs (muc#roomconfig_enablelogging) stores every message in
 * its archive under its name: MAM serves it, the disk log follows it. A
 * persistent room that does not log keeps only its last maxhistoryfetch
 * messages, for the join history after a restart or an unload, in a private
 * archive named NAME@recent: '@' never appears in a room node, so MAM (which
 * asks for the room's own name) never serves it and no room can clash with
 * it. It is trimmed to the ring's length as it grows. Temporary rooms that
 * do not log store nothing. */

const char *archive_store_name(const pv_muc_room_t *room, char *buf, size_t len)
{
    const char *name = muc_api->room_name(room);
    if (muc_api->room_config_bool(room, "muc#roomconfig_enablelogging"))
        return name;
    if (!muc_api->room_config_bool(room, "muc#roomconfig_persistentroom"))
        return NULL;
    int n = snprintf(buf, len, "%s%s", name, RECENT_SUFFIX);
    return n > 0 && (size_t)n < len ? buf : NULL;
}

static void trimmed(int status, const char *error, void *ud)
{
    char *name = ud;
    if (status != PV_STORE_OK)
        pv_log(PV_LOG_ERROR, HIST, "trimming the recent messages of %s failed: %s", name,
               error ? error : "unknown error");
    free(name);
}

/* The private archive of a room that does not log keeps about `keep`
 * (its maxhistoryfetch) messages: trimmed whenever half as many again were
 * added. */
static void recent_store_trim(recent_t *r, const char *store_name, size_t keep)
{
    void *h;
    const pv_store_t *st = pv_store(&h);
    if (!r || !PV_STORE_HAS(st, archive_trim) || ++r->since_trim <= keep / 2)
        return;
    r->since_trim = 0;
    char *name = strdup(store_name);
    if (name)
        st->archive_trim(h, store_name, 0, keep ? keep : 1, trimmed, name);
}

static void appended(int status, const char *error, void *ud)
{
    char *what = ud;
    if (status != PV_STORE_OK)
        pv_log(PV_LOG_ERROR, HIST, "archiving %s failed: %s", what,
               error ? error : "unknown error");
    free(what);
}

/* Serialises msg (with tags) and hands it to the backend; cb(ud) is called
 * once. -1 (logged, cb not called) when the message cannot be serialised. */
static int append_start(const char *room_name, const char *id, int64_t stamp_us, const char *nick,
                        const char *bare_jid, pv_el_t *msg, const tags_t *tags, pv_store_done_fn cb,
                        void *ud, bool logged)
{
    void *h;
    const pv_store_t *st = pv_store(&h);
    /* the tags go in for serialising only: the broadcast copy never has them */
    pv_el_t *te = tags ? tags_attach(msg, id, tags) : NULL;
    char *xml = pv_el_serialize(msg, NULL);
    if (te)
        pv_el_unlink(te);
    if (!xml) {
        pv_log(PV_LOG_ERROR, HIST, "room %s: message %s cannot be serialised; not archived",
               room_name, id);
        return -1;
    }
    pv_store_msg_t m = {.id = id, .stamp_us = stamp_us, .nick = nick, .jid = bare_jid, .xml = xml};
    st->archive_append(h, room_name, &m, cb, ud);
    free(xml);
    if (logged)
        retention_note_room(room_name);
    return 0;
}

void archive_append(const char *room_name, const char *id, int64_t stamp_us, const char *nick,
                    const char *bare_jid, pv_el_t *msg, const tags_t *tags)
{
    void *h;
    const pv_store_t *st = pv_store(&h);
    if (!st || !st->archive_append)
        return;
    size_t len = strlen(room_name) + strlen(id) + 32;
    char *what = malloc(len);
    if (what)
        snprintf(what, len, "message %s in room %s", id, room_name);
    if (append_start(room_name, id, stamp_us, nick, bare_jid, msg, tags, appended, what, true) < 0)
        free(what);
}

/* ---- durable before visible ----
 * A message that a room archives is reflected only once the backend has
 * stored it. Backends that answer inside the call (memory, spool, sqlite
 * without an event loop) decide at once: stored, the message goes on as
 * muc-core reflects it; not stored, the MESSAGE event refuses it (the
 * sender gets an error, nobody else sees it). Backends that answer later
 * (sqlite's group commit, pgsql) make the event skip every recipient and
 * keep a copy here; when the write completes, the copy joins the ring and
 * the disk log and goes to the room's occupants at that time (room_broadcast),
 * or, when the write failed, the sender gets an error instead. When another
 * plugin skipped some recipients (the copy would reach them later) the
 * message is reflected at once, as before. */

typedef struct append_wait {
    bool done;     /* the backend answered */
    int status;    /* its answer */
    bool deferred; /* the reflection waits for the answer (fields below set) */
    bool orphan;   /* nobody waits: the answer is only logged */
    bool logged;   /* the room logs: the disk log gets it too */
    char what[160];
    char *room_jid, *room_name, *nick, *sender; /* owned */
    pv_el_t *msg;                               /* the copy to reflect, owned */
    tags_t tags;                                /* owned */
    int64_t stamp_us;
    char id[STANZA_ID_LEN + 1];
} append_wait_t;

static void wait_free(append_wait_t *w)
{
    free(w->room_jid);
    free(w->room_name);
    free(w->nick);
    free(w->sender);
    pv_el_free(w->msg);
    tags_clear(&w->tags);
    free(w);
}

/* The error the sender of a message that was not stored gets. */
static void refuse_sender(const append_wait_t *w)
{
    pv_el_t *orig = pv_el_clone(w->msg);
    if (!orig)
        return;
    pv_el_set_attr(orig, "from", w->sender);
    pv_el_set_attr(orig, "to", w->room_jid);
    if (pv_send_error(orig, "wait", "internal-server-error",
                      "The message could not be stored; it was not sent") < 0)
        pv_log(PV_LOG_ERROR, HIST, "room %s: cannot tell %s that message %s was not stored",
               w->room_jid, w->sender, w->id);
    pv_el_free(orig);
}

/* The stored message goes where muc-core would have sent it; then the ring
 * keeps it (w->msg and w->tags move there). */
static void release(append_wait_t *w)
{
    pv_muc_room_t *room = muc_api->room_find(w->room_jid);
    if (w->logged)
        disklog_message(w->room_name, w->room_jid, w->nick, w->stamp_us, w->msg);
    if (room && muc_api->room_broadcast(room, w->msg) < 0)
        pv_log(PV_LOG_ERROR, HIST, "room %s: message %s was stored but could not be sent",
               w->room_jid, w->id);
    if (room) {
        recent_t *r = recent_get(w->room_jid, true);
        if (r && (r->cap || recent_set_cap(r, history_room_length(room)) == 0)) {
            recent_push_owned(r, w->msg, w->stamp_us, w->id, &w->tags);
            w->msg = NULL;
        }
    }
}

static void stored(int status, const char *error, void *ud)
{
    append_wait_t *w = ud;
    w->done = true;
    w->status = status;
    if (status != PV_STORE_OK)
        pv_log(PV_LOG_ERROR, HIST, "archiving %s failed: %s", w->what,
               error ? error : "unknown error");
    if (!w->deferred && !w->orphan)
        return; /* answered inside the call: the MESSAGE handler goes on */
    if (w->deferred && status == PV_STORE_OK)
        release(w);
    else if (w->deferred)
        refuse_sender(w);
    wait_free(w);
}

/* True when the reflection can wait for the store: muc-core can broadcast
 * for us and no other plugin skipped a recipient. */
static bool can_wait(const pv_muc_message_event_t *me)
{
    if (muc_api->size < offsetof(pv_muc_api_t, room_broadcast) + sizeof muc_api->room_broadcast ||
        !muc_api->room_broadcast)
        return false;
    for (size_t i = 0; me->skip && i < me->nrecipients; i++)
        if (me->skip[i])
            return false;
    return true;
}

/* muc-core hands the message over (no copy needed) when it can. */
static pv_el_t *take_message(pv_muc_message_event_t *me)
{
    if (muc_api->size >= offsetof(pv_muc_api_t, message_take) + sizeof muc_api->message_take &&
        muc_api->message_take) {
        pv_el_t *m = muc_api->message_take(me);
        if (m)
            return m;
    }
    return pv_el_clone(me->message);
}

/* Keeps what the deferred reflection needs, the message itself last (once
 * taken, muc-core reflects nothing); false when out of memory. */
static bool wait_keep(append_wait_t *w, pv_muc_message_event_t *me, const char *nick, tags_t *tags)
{
    w->room_jid = strdup(muc_api->room_jid(me->room));
    w->room_name = strdup(muc_api->room_name(me->room));
    w->nick = nick ? strdup(nick) : NULL;
    w->sender = me->real_from ? strdup(me->real_from->full) : NULL;
    if (!w->room_jid || !w->room_name || (nick && !w->nick) || !w->sender ||
        !(w->msg = take_message(me)))
        return false;
    w->tags = *tags; /* moved */
    memset(tags, 0, sizeof *tags);
    return true;
}

/* Stores the message of a logging room: PV_PASS (reflected now, or later
 * from stored()), or PV_ERROR (not stored: refused). */
static pv_verdict_t archive_and_release(pv_muc_message_event_t *me, const char *id, int64_t now,
                                        tags_t *tags, const char *store_name)
{
    void *h;
    const pv_store_t *st = pv_store(&h);
    const char *room_jid = muc_api->room_jid(me->room);
    const char *nick = me->sender ? muc_api->occupant_nick(me->sender) : NULL;
    const char *bare = me->sender ? muc_api->occupant_bare_jid(me->sender) : NULL;
    if (!bare && me->real_from)
        bare = me->real_from->bare;
    const char *name = muc_api->room_name(me->room);
    bool logged = strcmp(store_name, name) == 0;
    append_wait_t *w = st && st->archive_append ? calloc(1, sizeof *w) : NULL;
    if (w) {
        snprintf(w->what, sizeof w->what, "message %s in room %s", id, name);
        w->logged = logged;
    }
    if (!w ||
        append_start(store_name, id, now, nick, bare, me->message, tags, stored, w, logged) < 0) {
        free(w); /* not archived (logged, or no archive): reflected as before */
        w = NULL;
    } else if (w->done && w->status != PV_STORE_OK) {
        free(w);
        me->err_type = "wait";
        me->err_condition = "internal-server-error";
        me->err_text = "The message could not be stored; it was not sent";
        return PV_ERROR;
    } else if (!w->done && can_wait(me) && wait_keep(w, me, nick, tags)) {
        w->stamp_us = now;
        snprintf(w->id, sizeof w->id, "%s", id);
        w->deferred = true;
        for (size_t i = 0; i < me->nrecipients; i++)
            muc_api->message_skip(me, i);
        if (!logged)
            recent_store_trim(recent_get(room_jid, true), store_name,
                              history_room_length(me->room));
        return PV_PASS;
    } else if (!w->done) {
        w->orphan = true; /* reflected now; stored() frees it */
    } else {
        free(w);
    }
    recent_t *r = recent_get(room_jid, true);
    if (r && (r->cap || recent_set_cap(r, history_room_length(me->room)) == 0))
        recent_push(r, me->message, now, id, tags);
    if (logged)
        disklog_message(name, room_jid, nick, now, me->message);
    else
        recent_store_trim(r, store_name, history_room_length(me->room));
    return PV_PASS;
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
    size_t len = strlen(room_name) + sizeof RECENT_SUFFIX;
    char *recent = malloc(len);
    if (!recent)
        return;
    snprintf(recent, len, "%s%s", room_name, RECENT_SUFFIX);
    st->archive_delete(h, recent, deleted, recent); /* deleted() frees it */
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
    /* strictly increasing, so that time order is archive order (the ids
     * field of MAM sorts by it) even for messages in the same microsecond;
     * the stanza-id starts with it (stanza_id.c) */
    static int64_t last_us;
    int64_t now = pv_now_us();
    if (now <= last_us)
        now = last_us + 1;
    last_us = now;
    char id[STANZA_ID_LEN + 1];
    if (stanza_id_add(me->message, room_jid, now, id) < 0)
        return PV_PASS;
    if (!archive_storable(me->message))
        return PV_PASS;
    long long keep = room_retention_s(me->room);
    if (keep == 0)
        return PV_PASS; /* RETAIN-1: the room keeps no history at all */
    tags_t tags = {0};
    tags_collect(me, id, &tags);
    pv_verdict_t v = PV_PASS;
    char buf[STORE_NAME_MAX];
    const char *store_name = archive_store_name(me->room, buf, sizeof buf);
    if (store_name) {
        v = archive_and_release(me, id, now, &tags, store_name);
        if (keep > 0)
            room_retention_note_message(recent_get(room_jid, false), me->room);
    } else {
        recent_t *r = recent_get(room_jid, true);
        if (r && (r->cap || recent_set_cap(r, history_room_length(me->room)) == 0))
            recent_push(r, me->message, now, id, &tags);
    }
    tags_clear(&tags);
    return v;
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
    char buf[STORE_NAME_MAX];
    const char *store_name = archive_store_name(room, buf, sizeof buf);
    if (!st || !st->archive_query || n == 0 || !store_name)
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
    st->archive_query(h, store_name, &q, loaded, lu);
}
