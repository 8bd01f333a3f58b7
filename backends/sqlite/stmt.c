/*
 * backends/sqlite/stmt.c: every SQL statement of the backend, prepared once
 * and cached; transactions and error reporting.
 *
 * Keeping the SQL in one table makes the queries easy to review together and
 * lets every call site say only which statement it wants.
 */
#include <stdio.h>

#include <palaver/log.h>

#include "sqlite.h"

static const char *const sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_BEGIN_READ] = "BEGIN",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_ROOM_ID] = "SELECT id, stored FROM rooms WHERE name = ?1",
    [ST_ROOM_PUT] = "INSERT INTO rooms (name, stored) VALUES (?1, 1)"
                    " ON CONFLICT (name) DO UPDATE SET stored = 1",
    [ST_ROOM_ADD_UNSTORED] = "INSERT INTO rooms (name, stored) VALUES (?1, 0)",
    [ST_ROOM_LIST] = "SELECT name FROM rooms WHERE stored = 1 ORDER BY name",
    [ST_ROOM_DELETE] = "DELETE FROM rooms WHERE id = ?1",
    [ST_CONFIG_CLEAR] = "DELETE FROM room_config WHERE room_id = ?1",
    [ST_CONFIG_INSERT] = "INSERT INTO room_config (room_id, pos, key, value)"
                         " VALUES (?1, ?2, ?3, ?4)",
    [ST_CONFIG_LOAD] = "SELECT key, value FROM room_config WHERE room_id = ?1 ORDER BY pos",
    [ST_AFF_UPSERT] = "INSERT INTO affiliations (room_id, jid, affiliation, reason)"
                      " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (room_id, jid) DO UPDATE"
                      " SET affiliation = excluded.affiliation, reason = excluded.reason",
    [ST_AFF_DELETE] = "DELETE FROM affiliations WHERE room_id = ?1 AND jid = ?2",
    [ST_AFF_LOAD] = "SELECT jid, affiliation, reason FROM affiliations"
                    " WHERE room_id = ?1 ORDER BY jid",
    [ST_REG_UPSERT] = "INSERT INTO registrations (room_id, jid, nick) VALUES (?1, ?2, ?3)"
                      " ON CONFLICT (room_id, jid) DO UPDATE SET nick = excluded.nick",
    [ST_REG_DELETE] = "DELETE FROM registrations WHERE room_id = ?1 AND jid = ?2",
    [ST_REG_LOAD] = "SELECT jid, nick FROM registrations WHERE room_id = ?1 ORDER BY jid",
    /* ?7: the seq parsed from the id, or NULL (the next one); ?8: by_id */
    [ST_MSG_INSERT] = "INSERT INTO archive (room_id, msg_id, stamp_us, nick, jid, xml, seq, by_id)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_MSG_SEQ] = "SELECT seq FROM archive WHERE room_id = ?1 AND msg_id = ?2 AND by_id = 1",
    [ST_MSG_SEQ_KEY] = "SELECT seq FROM archive WHERE seq = ?3 AND room_id = ?1 AND msg_id = ?2",
    [ST_MSG_MAX_SEQ] = "SELECT max(seq) FROM archive",
    [ST_MSG_FORWARD] = "SELECT msg_id, stamp_us, nick, jid, xml FROM archive"
                       " WHERE room_id = ?1 AND seq > ?2 AND seq < ?3"
                       " AND stamp_us >= ?4 AND stamp_us <= ?5"
                       " AND (?6 IS NULL OR nick = ?6) ORDER BY seq ASC LIMIT ?7",
    [ST_MSG_BACKWARD] = "SELECT msg_id, stamp_us, nick, jid, xml FROM archive"
                        " WHERE room_id = ?1 AND seq > ?2 AND seq < ?3"
                        " AND stamp_us >= ?4 AND stamp_us <= ?5"
                        " AND (?6 IS NULL OR nick = ?6) ORDER BY seq DESC LIMIT ?7",
    [ST_MSG_REPLACE] = "UPDATE archive SET xml = ?2 WHERE seq = ?1",
    [ST_MSG_DELETE_ALL] = "DELETE FROM archive WHERE room_id = ?1",
    [ST_MSG_TRIM_AGE] = "DELETE FROM archive WHERE room_id = ?1 AND stamp_us < ?2",
    [ST_MSG_TRIM_COUNT] = "DELETE FROM archive WHERE room_id = ?1 AND seq <="
                          " (SELECT seq FROM archive WHERE room_id = ?1"
                          "  ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
    [ST_ROOM_LIST_IDS] = "SELECT id, name FROM rooms WHERE stored = 1 ORDER BY id",
    /* each walks its primary key index: no sorting, no temporary b-tree */
    [ST_CONFIG_SCAN] = "SELECT room_id, key, value FROM room_config ORDER BY room_id, pos",
    [ST_AFF_SCAN] = "SELECT room_id, jid, affiliation, reason FROM affiliations"
                    " ORDER BY room_id, jid",
    [ST_REG_SCAN] = "SELECT room_id, jid, nick FROM registrations ORDER BY room_id, jid",
    [ST_ROOM_SUMMARY] = "UPDATE rooms SET public = ?2, title = ?3 WHERE id = ?1",
    /* a range of the name index (rooms_public_name for public rooms) */
    [ST_PAGE_ALL] = "SELECT name, title, public FROM rooms"
                    " WHERE stored = 1 AND name > ?1 ORDER BY name LIMIT ?2",
    [ST_PAGE_PUBLIC] = "SELECT name, title, public FROM rooms"
                       " WHERE public = 1 AND name > ?1 ORDER BY name LIMIT ?2",
    [ST_PAGE_COUNT] = "SELECT stored, public FROM room_counts",
    [ST_OCC_PUT] = "INSERT INTO occupants (room, nick, data, pos) VALUES (?1, ?2, ?3,"
                   " (SELECT coalesce(max(pos), 0) + 1 FROM occupants WHERE room = ?1))"
                   " ON CONFLICT (room, nick) DO UPDATE SET data = excluded.data",
    [ST_OCC_DELETE] = "DELETE FROM occupants WHERE room = ?1 AND nick = ?2",
    [ST_OCC_LOAD] = "SELECT nick, data FROM occupants WHERE room = ?1 ORDER BY pos",
    [ST_SAVEPOINT] = "SAVEPOINT op",
    [ST_RELEASE] = "RELEASE op",
    [ST_ROLLBACK_TO] = "ROLLBACK TO op",
};

const char *sq_error(sq_store_t *s, const char *room, const char *what)
{
    if (room)
        snprintf(s->err, sizeof(s->err), "room %s: %s: %s", room, what, sqlite3_errmsg(s->db));
    else
        snprintf(s->err, sizeof(s->err), "%s: %s", what, sqlite3_errmsg(s->db));
    pv_log(PV_LOG_ERROR, "sqlite", "%s: %s", s->path, s->err);
    return s->err;
}

sqlite3_stmt *sq_stmt(sq_store_t *s, enum sq_stmt id)
{
    sqlite3_stmt *st = s->st[id];
    s->ops++; /* the idle check's sign of use (idle.c) */
    if (!st) {
        if (sqlite3_prepare_v3(s->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->st[id], NULL) !=
            SQLITE_OK) {
            sq_error(s, NULL, "preparing a statement");
            s->st[id] = NULL;
            return NULL;
        }
        return s->st[id];
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

void sq_finalize_all(sq_store_t *s)
{
    for (int i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(s->st[i]);
        s->st[i] = NULL;
    }
}

int sq_exec(sq_store_t *s, enum sq_stmt id)
{
    sqlite3_stmt *st = s->st[id];
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc;
}

int sq_step_write(sq_store_t *s, sqlite3_stmt *st, const char *room, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        sq_error(s, room, what);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int run_simple(sq_store_t *s, enum sq_stmt id, const char *room, const char *what)
{
    if (!sq_stmt(s, id))
        return -1;
    if (sq_exec(s, id) != SQLITE_DONE) {
        sq_error(s, room, what);
        return -1;
    }
    return 0;
}

/* Inside the group transaction an operation's own transaction is a savepoint. */
static int savepoint(sq_store_t *s, const char *room)
{
    if (run_simple(s, ST_SAVEPOINT, room, "starting a savepoint") < 0)
        return -1;
    s->sp++;
    return 0;
}

int sq_begin(sq_store_t *s, const char *room)
{
    if (s->wtx)
        return savepoint(s, room);
    return run_simple(s, ST_BEGIN, room, "starting a transaction");
}

int sq_begin_read(sq_store_t *s, const char *room)
{
    if (s->wtx)
        return savepoint(s, room);
    return run_simple(s, ST_BEGIN_READ, room, "starting a read transaction");
}

int sq_commit(sq_store_t *s, const char *room)
{
    if (s->sp > 0) {
        if (run_simple(s, ST_RELEASE, room, "releasing a savepoint") < 0)
            return -1;
        s->sp--;
        return 0;
    }
    return run_simple(s, ST_COMMIT, room, "committing a transaction");
}

int sq_batch_begin(sq_store_t *s)
{
    sq_batch_end(s);
    sq_scans_clear(s); /* the scans start unstarted, nothing listed yet */
    if (sq_begin_read(s, NULL) < 0)
        return -1;
    s->batch = 1;
    return 0;
}

void sq_batch_end(sq_store_t *s)
{
    if (!s->batch)
        return;
    s->batch = 0;
    sq_scans_clear(s);
    if (sqlite3_get_autocommit(s->db))
        return;                 /* already ended (a failed statement rolled it back) */
    if (sq_commit(s, NULL) < 0) /* read-only: nothing to lose, but do not leave it open */
        sq_rollback(s);
}

void sq_rollback(sq_store_t *s)
{
    sq_room_ids_clear(s); /* a room row added by what is undone goes too */
    if (s->batch) {
        s->batch = 0;
        sq_scans_clear(s);
    }
    if (sqlite3_get_autocommit(s->db)) {
        s->sp = 0;
        return; /* SQLite already rolled back (e.g. after SQLITE_FULL) */
    }
    if (s->sp > 0) { /* only this operation's savepoint: the group goes on */
        if (!sq_stmt(s, ST_ROLLBACK_TO) || sq_exec(s, ST_ROLLBACK_TO) != SQLITE_DONE ||
            !sq_stmt(s, ST_RELEASE) || sq_exec(s, ST_RELEASE) != SQLITE_DONE)
            pv_log(PV_LOG_ERROR, "sqlite", "%s: rolling back to a savepoint: %s", s->path,
                   sqlite3_errmsg(s->db));
        s->sp--;
        return;
    }
    if (s->wtx)
        return; /* no savepoint of ours is open: the group's COMMIT decides */
    if (sq_stmt(s, ST_ROLLBACK) && sq_exec(s, ST_ROLLBACK) != SQLITE_DONE)
        pv_log(PV_LOG_ERROR, "sqlite", "%s: rolling back: %s", s->path, sqlite3_errmsg(s->db));
}

int sq_room_id(sq_store_t *s, const char *name, int64_t *id, int *stored)
{
    sqlite3_stmt *st = sq_stmt(s, ST_ROOM_ID);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        *stored = sqlite3_column_int(st, 1);
        sqlite3_reset(st);
        return 1;
    }
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return 0;
    }
    sq_error(s, name, "looking up the room");
    sqlite3_reset(st);
    return -1;
}
