/*
 * backends/sqlite/archive.c: the message archive in SQLite.
 *
 * Messages are ordered by seq (the rowid, increasing with every append), so
 * "after id X" is "seq > seq(X)". A query asks for max+1 rows through the
 * (room_id, seq) index; getting the extra row means the page is not
 * complete. Backward pages are read newest first and reversed.
 *
 * The history plugin's stanza-ids start with the message's time in 9
 * characters (plugins/history/stanza_id.c), and its times are strictly
 * increasing. A message whose id starts with its own stamp_us, above every
 * seq stored, is stored with seq = stamp_us and by_id = 0: finding it from
 * its id is a primary key lookup, and no index of the ids is written (one
 * index entry per message, the (room_id, seq) one, instead of two). Any
 * other id (random ids archived before schema 4, ids from elsewhere, a
 * clock that went back) takes the next seq with by_id = 1 and is found
 * through the partial index archive_room_msg. Lookups try the parsed seq
 * first, then that index.
 */
#include <stdlib.h>
#include <string.h>

#include <palaver/log.h>

#include "query.h"
#include "sqlite.h"

/* The cache slot of a room name (FNV-1a). */
static struct sq_room_slot *room_slot(sq_store_t *s, const char *room)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)room; *p; p++)
        h = (h ^ *p) * 16777619u;
    return &s->room_ids[h % (sizeof s->room_ids / sizeof s->room_ids[0])];
}

void sq_room_ids_clear(sq_store_t *s)
{
    for (size_t i = 0; i < sizeof s->room_ids / sizeof s->room_ids[0]; i++) {
        free(s->room_ids[i].name);
        s->room_ids[i].name = NULL;
    }
}

/* Remembers a room's id (out of memory: not remembered). */
static void room_slot_set(sq_store_t *s, const char *room, int64_t id)
{
    struct sq_room_slot *slot = room_slot(s, room);
    char *name = strdup(room);
    if (!name)
        return;
    free(slot->name);
    slot->name = name;
    slot->id = id;
}

/* The room's row id for an append, creating an unstored row when the room
 * has none (temporary rooms keep archives too). 0, or -1 (s->err set).
 * Every message looks its room up: the ids are cached. */
static int archive_room(sq_store_t *s, const char *room, int64_t *id)
{
    struct sq_room_slot *slot = room_slot(s, room);
    if (slot->name && strcmp(slot->name, room) == 0) {
        *id = slot->id;
        return 0;
    }
    int stored;
    int found = sq_room_id(s, room, id, &stored);
    if (found > 0)
        room_slot_set(s, room, *id);
    if (found)
        return found < 0 ? -1 : 0;
    sqlite3_stmt *st = sq_stmt(s, ST_ROOM_ADD_UNSTORED);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, room, -1, SQLITE_STATIC);
    if (sq_step_write(s, st, room, "adding the room's archive") < 0)
        return -1;
    *id = sqlite3_last_insert_rowid(s->db);
    room_slot_set(s, room, *id);
    return 0;
}

/* The seq an id names by its first 9 characters (the time, 6 bits each in
 * the alphabet -0-9A-Z_a-z), or 0 when it has no such form. */
static int64_t id_seq(const char *id)
{
    uint64_t v = 0;
    int i = 0;
    for (; i < 9 && id[i]; i++) {
        unsigned char c = (unsigned char)id[i];
        int d = c == '-'               ? 0
                : c >= '0' && c <= '9' ? c - '0' + 1
                : c >= 'A' && c <= 'Z' ? c - 'A' + 11
                : c == '_'             ? 37
                : c >= 'a' && c <= 'z' ? c - 'a' + 38
                                       : -1;
        if (d < 0)
            return 0;
        v = v << 6 | (uint64_t)d;
    }
    return i == 9 && id[9] ? (int64_t)v : 0;
}

/* s->max_seq, read once. 0 or -1 (s->err set). */
static int max_seq(sq_store_t *s)
{
    if (s->max_seq)
        return 0;
    sqlite3_stmt *st = sq_stmt(s, ST_MSG_MAX_SEQ);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        s->max_seq = sqlite3_column_int64(st, 0);
    else
        sq_error(s, NULL, "reading the archive's last seq");
    sqlite3_reset(st);
    if (rc == SQLITE_ROW && s->max_seq < 1)
        s->max_seq = 1; /* empty: any id's time is above */
    return rc == SQLITE_ROW ? 0 : -1;
}

static int msg_seq(sq_store_t *s, const char *room, int64_t room_id, const char *id, int64_t *seq);

/* The seq a new message is stored with: its id's time when that is the
 * message's stamp and above every stored seq, else 0 (the next seq, the id
 * indexed: a duplicate of an earlier id is looked for first, 1). -1 on
 * error. */
static int append_seq(sq_store_t *s, const char *room, int64_t room_id, const pv_store_msg_t *msg,
                      int64_t *seq)
{
    *seq = id_seq(msg->id);
    if (max_seq(s) < 0)
        return -1;
    if (*seq > s->max_seq && *seq == msg->stamp_us)
        return 0;
    *seq = 0;
    int64_t old;
    return msg_seq(s, room, room_id, msg->id, &old);
}

void sq_archive_append(void *h, const char *room, const pv_store_msg_t *msg, pv_store_done_fn cb,
                       void *ud)
{
    sq_store_t *s = h;
    sq_batch_end(s); /* a write: not inside room_list's read transaction */
    int64_t id, seq = 0;
    sqlite3_stmt *st;
    int dup = 0;
    if (archive_room(s, room, &id) < 0 || (dup = append_seq(s, room, id, msg, &seq)) < 0 ||
        !(st = sq_stmt(s, ST_MSG_INSERT))) {
        cb(PV_STORE_EIO, s->err, ud);
        return;
    }
    if (dup) {
        cb(PV_STORE_EINVAL, "a message with this id is already archived in this room", ud);
        return;
    }
    sqlite3_bind_int64(st, 1, id);
    if (seq)
        sqlite3_bind_int64(st, 7, seq);
    sqlite3_bind_int(st, 8, seq == 0);
    sqlite3_bind_text(st, 2, msg->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, msg->stamp_us);
    if (msg->nick)
        sqlite3_bind_text(st, 4, msg->nick, -1, SQLITE_STATIC);
    if (msg->jid)
        sqlite3_bind_text(st, 5, msg->jid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, msg->xml, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        int64_t last = sqlite3_last_insert_rowid(s->db);
        if (last > s->max_seq)
            s->max_seq = last;
        cb(PV_STORE_OK, NULL, ud);
        return;
    }
    int ext = sqlite3_extended_errcode(s->db);
    if (ext == SQLITE_CONSTRAINT_UNIQUE) {
        sqlite3_reset(st);
        cb(PV_STORE_EINVAL, "a message with this id is already archived in this room", ud);
        return;
    }
    if (ext == SQLITE_CONSTRAINT_PRIMARYKEY && seq) {
        /* someone else wrote that seq (another program on the file): read
         * the last seq again; the id then takes the next one */
        sqlite3_reset(st);
        s->max_seq = 0;
        if (max_seq(s) < 0) {
            cb(PV_STORE_EIO, s->err, ud);
            return;
        }
        if (s->max_seq < seq)
            s->max_seq = seq;
        sq_archive_append(h, room, msg, cb, ud);
        return;
    }
    sq_error(s, room, "archiving a message");
    sqlite3_reset(st);
    cb(PV_STORE_EIO, s->err, ud);
}

/* One of the two lookups of a message id: 1 found, 0 absent, -1 error. */
static int seq_lookup(sq_store_t *s, const char *room, enum sq_stmt which, int64_t room_id,
                      const char *id, int64_t key, int64_t *seq)
{
    sqlite3_stmt *st = sq_stmt(s, which);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, room_id);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    if (which == ST_MSG_SEQ_KEY)
        sqlite3_bind_int64(st, 3, key);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *seq = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE)
        sq_error(s, room, "looking up a message id");
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* seq of message id in room: 1 found, 0 absent, -1 error. */
static int msg_seq(sq_store_t *s, const char *room, int64_t room_id, const char *id, int64_t *seq)
{
    int64_t key = id_seq(id);
    int r = key ? seq_lookup(s, room, ST_MSG_SEQ_KEY, room_id, id, key, seq) : 0;
    return r ? r : seq_lookup(s, room, ST_MSG_SEQ, room_id, id, 0, seq);
}

static void free_msgs(pv_store_msg_t *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)m[i].id);
        free((char *)m[i].nick);
        free((char *)m[i].jid);
        free((char *)m[i].xml);
    }
    free(m);
}

static char *col_dup(sqlite3_stmt *st, int i, int *ok)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (!t)
        return NULL;
    char *d = strdup((const char *)t);
    if (!d)
        *ok = 0;
    return d;
}

/* Runs the bound query statement and hands the rows to cb. */
static void run_query(sq_store_t *s, const char *room, sqlite3_stmt *st, size_t max, int back,
                      pv_store_msgs_fn cb, void *ud)
{
    pv_store_msg_t *out = calloc(max + 1, sizeof(*out));
    if (!out) {
        sqlite3_reset(st);
        pv_log(PV_LOG_ERROR, "sqlite", "room %s: out of memory reading the archive", room);
        cb(PV_STORE_ENOMEM, "out of memory", NULL, 0, 0, ud);
        return;
    }
    size_t n = 0;
    int rc = SQLITE_DONE, ok = 1;
    while (ok && n <= max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        out[n].id = col_dup(st, 0, &ok);
        out[n].stamp_us = sqlite3_column_int64(st, 1);
        out[n].nick = col_dup(st, 2, &ok);
        out[n].jid = col_dup(st, 3, &ok);
        out[n].xml = col_dup(st, 4, &ok);
        n++;
    }
    if (ok && n <= max && rc != SQLITE_DONE) {
        sq_error(s, room, "reading the archive");
        sqlite3_reset(st);
        free_msgs(out, n);
        cb(PV_STORE_EIO, s->err, NULL, 0, 0, ud);
        return;
    }
    sqlite3_reset(st);
    if (!ok) {
        free_msgs(out, n);
        pv_log(PV_LOG_ERROR, "sqlite", "room %s: out of memory reading the archive", room);
        cb(PV_STORE_ENOMEM, "out of memory", NULL, 0, 0, ud);
        return;
    }
    int complete = n <= max;
    size_t shown = complete ? n : max;
    if (back) {
        for (size_t i = 0; i < shown / 2; i++) {
            pv_store_msg_t t = out[i];
            out[i] = out[shown - 1 - i];
            out[shown - 1 - i] = t;
        }
    }
    cb(PV_STORE_OK, NULL, out, shown, complete, ud);
    free_msgs(out, n);
}

void sq_archive_query(void *h, const char *room, const pv_store_query_t *q, pv_store_msgs_fn cb,
                      void *ud)
{
    static const pv_store_query_t none;
    sq_store_t *s = h;
    if (!q)
        q = &none;
    int64_t room_id = 0, lo = 0, hi = INT64_MAX;
    int stored;
    int found = sq_room_id(s, room, &room_id, &stored);
    if (found < 0) {
        cb(PV_STORE_EIO, s->err, NULL, 0, 0, ud);
        return;
    }
    const char *ids[2] = {q->after_id, q->before_id};
    int64_t *bounds[2] = {&lo, &hi};
    for (int i = 0; i < 2; i++) {
        if (!ids[i])
            continue;
        int r = found ? msg_seq(s, room, room_id, ids[i], bounds[i]) : 0;
        if (r < 0) {
            cb(PV_STORE_EIO, s->err, NULL, 0, 0, ud);
            return;
        }
        if (r == 0) {
            cb(PV_STORE_ENOTFOUND,
               i ? "before_id: no such message in this room"
                 : "after_id: no such message in this room",
               NULL, 0, 0, ud);
            return;
        }
    }
    if (!found) {
        cb(PV_STORE_OK, NULL, NULL, 0, 1, ud);
        return;
    }
    int back = query_backwards(q);
    size_t max = query_max(q);
    sqlite3_stmt *st = sq_stmt(s, back ? ST_MSG_BACKWARD : ST_MSG_FORWARD);
    if (!st) {
        cb(PV_STORE_EIO, s->err, NULL, 0, 0, ud);
        return;
    }
    sqlite3_bind_int64(st, 1, room_id);
    sqlite3_bind_int64(st, 2, lo);
    sqlite3_bind_int64(st, 3, hi);
    sqlite3_bind_int64(st, 4, q->start_us ? q->start_us : INT64_MIN);
    sqlite3_bind_int64(st, 5, q->end_us ? q->end_us : INT64_MAX);
    if (q->with_nick)
        sqlite3_bind_text(st, 6, q->with_nick, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, max >= (size_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)max + 1);
    run_query(s, room, st, max, back, cb, ud);
}

/* A write's room: room_list's read transaction ends first, then the room's
 * row id. 1, 0 when the room has no row, or -1 (s->err set). */
static int write_room_id(sq_store_t *s, const char *room, int64_t *room_id)
{
    sq_batch_end(s);
    int stored;
    return sq_room_id(s, room, room_id, &stored);
}

void sq_archive_replace(void *h, const char *room, const char *id, const char *xml,
                        pv_store_done_fn cb, void *ud)
{
    sq_store_t *s = h;
    int64_t room_id;
    int found = write_room_id(s, room, &room_id);
    if (found < 0) {
        cb(PV_STORE_EIO, s->err, ud);
        return;
    }
    int64_t seq = 0;
    if (found && (found = msg_seq(s, room, room_id, id, &seq)) < 0) {
        cb(PV_STORE_EIO, s->err, ud);
        return;
    }
    if (!found) {
        cb(PV_STORE_ENOTFOUND, "no such message", ud);
        return;
    }
    sqlite3_stmt *st = sq_stmt(s, ST_MSG_REPLACE);
    if (!st) {
        cb(PV_STORE_EIO, s->err, ud);
        return;
    }
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_text(st, 2, xml, -1, SQLITE_STATIC);
    if (sq_step_write(s, st, room, "replacing a message") < 0) {
        cb(PV_STORE_EIO, s->err, ud);
        return;
    }
    if (sqlite3_changes(s->db) == 0)
        cb(PV_STORE_ENOTFOUND, "no such message", ud);
    else
        cb(PV_STORE_OK, NULL, ud);
}

void sq_archive_delete(void *h, const char *room, pv_store_done_fn cb, void *ud)
{
    sq_store_t *s = h;
    int64_t room_id;
    int found = write_room_id(s, room, &room_id);
    if (found < 0) {
        cb(PV_STORE_EIO, s->err, ud);
        return;
    }
    if (!found) {
        cb(PV_STORE_OK, NULL, ud);
        return;
    }
    sqlite3_stmt *st = sq_stmt(s, ST_MSG_DELETE_ALL);
    if (!st) {
        cb(PV_STORE_EIO, s->err, ud);
        return;
    }
    sqlite3_bind_int64(st, 1, room_id);
    if (sq_step_write(s, st, room, "deleting the archive") < 0) {
        cb(PV_STORE_EIO, s->err, ud);
        return;
    }
    cb(PV_STORE_OK, NULL, ud);
}

/* One of the two trim statements, bound to room_id and arg. 0 or -1. */
static int trim_step(sq_store_t *s, const char *room, enum sq_stmt id, int64_t room_id, int64_t arg)
{
    sqlite3_stmt *st = sq_stmt(s, id);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, room_id);
    sqlite3_bind_int64(st, 2, arg);
    return sq_step_write(s, st, room, "trimming the archive");
}

void sq_archive_trim(void *h, const char *room, int64_t before_us, size_t keep_newest,
                     pv_store_done_fn cb, void *ud)
{
    sq_store_t *s = h;
    int64_t room_id;
    int found = write_room_id(s, room, &room_id);
    if (found <= 0) {
        cb(found < 0 ? PV_STORE_EIO : PV_STORE_OK, found < 0 ? s->err : NULL, ud);
        return;
    }
    int64_t keep = keep_newest > (size_t)INT64_MAX ? INT64_MAX : (int64_t)keep_newest;
    if (sq_begin(s, room) < 0 ||
        (before_us && trim_step(s, room, ST_MSG_TRIM_AGE, room_id, before_us) < 0) ||
        (keep && trim_step(s, room, ST_MSG_TRIM_COUNT, room_id, keep) < 0) ||
        sq_commit(s, room) < 0) {
        sq_rollback(s);
        cb(PV_STORE_EIO, s->err, ud);
        return;
    }
    cb(PV_STORE_OK, NULL, ud);
}
