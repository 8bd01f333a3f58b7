/*
 * backends/sqlite/schema.c: the database schema and its versions.
 *
 * schema_version holds one row with the version the tables follow.
 * migrations[v] upgrades version v to v+1, each in its own transaction, so a
 * future schema change is one new entry here and old databases upgrade on
 * open. A database with a newer version than this code knows is refused
 * rather than misread.
 *
 * Every room that has anything stored, even only an archive (temporary
 * rooms with logging), has a row in rooms; `stored` says whether the room
 * itself was put. All other tables reference rooms(id) ON DELETE CASCADE, so
 * deleting a room's row deletes everything kept for it.
 */
#include <stdio.h>
#include <stdlib.h>

#include <palaver/log.h>

#include "sqlite.h"

static const char *const migrations[] = {
    /* 0 -> 1: the first schema */
    "CREATE TABLE rooms ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  stored INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE room_config ("
    "  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
    "  pos INTEGER NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (room_id, pos));"
    "CREATE TABLE affiliations ("
    "  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
    "  jid TEXT NOT NULL,"
    "  affiliation TEXT NOT NULL,"
    "  reason TEXT,"
    "  PRIMARY KEY (room_id, jid));"
    "CREATE TABLE registrations ("
    "  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
    "  jid TEXT NOT NULL,"
    "  nick TEXT NOT NULL,"
    "  PRIMARY KEY (room_id, jid));"
    "CREATE TABLE archive ("
    "  seq INTEGER PRIMARY KEY,"
    "  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
    "  msg_id TEXT NOT NULL,"
    "  stamp_us INTEGER NOT NULL,"
    "  nick TEXT,"
    "  jid TEXT,"
    "  xml TEXT NOT NULL,"
    "  UNIQUE (room_id, msg_id));"
    "CREATE INDEX archive_room_seq ON archive (room_id, seq);",

    /* 1 -> 2: rooms_list. Each room row carries its public flag and display
     * name (set by room_put from the config, rules of backends/common/
     * listing.c), public rooms have an index by name of their own, and
     * room_counts keeps the number of stored and of public rooms, kept by
     * triggers, so that a page is an index range and its count one row. */
    "ALTER TABLE rooms ADD COLUMN public INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE rooms ADD COLUMN title TEXT;"
    "UPDATE rooms SET"
    "  public = coalesce((SELECT c.value = '1' FROM room_config c WHERE c.room_id = rooms.id"
    "    AND c.key = 'public' ORDER BY c.pos DESC LIMIT 1), 0),"
    "  title = (SELECT nullif(c.value, '') FROM room_config c WHERE c.room_id = rooms.id"
    "    AND c.key = 'roomname' ORDER BY c.pos DESC LIMIT 1)"
    "  WHERE stored = 1;"
    "CREATE INDEX rooms_public_name ON rooms (name) WHERE public = 1;"
    "CREATE TABLE room_counts (stored INTEGER NOT NULL, public INTEGER NOT NULL);"
    "INSERT INTO room_counts SELECT (SELECT count(*) FROM rooms WHERE stored = 1),"
    "  (SELECT count(*) FROM rooms WHERE public = 1);"
    "CREATE TRIGGER rooms_count_insert AFTER INSERT ON rooms BEGIN"
    "  UPDATE room_counts SET stored = stored + NEW.stored, public = public + NEW.public;"
    " END;"
    "CREATE TRIGGER rooms_count_delete AFTER DELETE ON rooms BEGIN"
    "  UPDATE room_counts SET stored = stored - OLD.stored, public = public - OLD.public;"
    " END;"
    "CREATE TRIGGER rooms_count_update AFTER UPDATE OF stored, public ON rooms"
    "  WHEN NEW.stored IS NOT OLD.stored OR NEW.public IS NOT OLD.public BEGIN"
    "  UPDATE room_counts SET stored = stored + NEW.stored - OLD.stored,"
    "    public = public + NEW.public - OLD.public;"
    " END;",

    /* 2 -> 3: live occupants (occupants.c), keyed by room name: temporary
     * rooms have them too. pos keeps the order of the first put. */
    "CREATE TABLE occupants ("
    "  room TEXT NOT NULL,"
    "  nick TEXT NOT NULL,"
    "  data TEXT NOT NULL,"
    "  pos INTEGER NOT NULL,"
    "  PRIMARY KEY (room, nick));"
    "CREATE INDEX occupants_room_pos ON occupants (room, pos);",

    /* 3 -> 4: archive rows without an index of their ids. A message whose
     * stanza-id starts with its own time (the history plugin's ids) is
     * stored with seq = that time and found by parsing the id (archive.c);
     * only the others (older random ids, ids from elsewhere) are in the
     * index of ids, by_id = 1. One index entry per message instead of two:
     * about one page written per archived message instead of two. The
     * UNIQUE constraint cannot be dropped in place: the table is copied. */
    "CREATE TABLE archive4 ("
    "  seq INTEGER PRIMARY KEY,"
    "  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
    "  msg_id TEXT NOT NULL,"
    "  stamp_us INTEGER NOT NULL,"
    "  nick TEXT,"
    "  jid TEXT,"
    "  xml TEXT NOT NULL,"
    "  by_id INTEGER NOT NULL DEFAULT 1);"
    "INSERT INTO archive4 (seq, room_id, msg_id, stamp_us, nick, jid, xml)"
    "  SELECT seq, room_id, msg_id, stamp_us, nick, jid, xml FROM archive ORDER BY seq;"
    "DROP TABLE archive;"
    "ALTER TABLE archive4 RENAME TO archive;"
    "CREATE INDEX archive_room_seq ON archive (room_id, seq);"
    "CREATE UNIQUE INDEX archive_room_msg ON archive (room_id, msg_id) WHERE by_id = 1;",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

static int run(sq_store_t *s, const char *sql, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        pv_log(PV_LOG_ERROR, "sqlite", "%s: %s: %s", s->path, what, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Current version: 0 for a fresh database, -1 on error. */
static int current_version(sq_store_t *s)
{
    if (run(s, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
            "creating schema_version") < 0)
        return -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT max(version) FROM schema_version", -1, &st, NULL) !=
        SQLITE_OK) {
        pv_log(PV_LOG_ERROR, "sqlite", "%s: reading schema_version: %s", s->path,
               sqlite3_errmsg(s->db));
        return -1;
    }
    int v = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0); /* NULL (no row) reads as 0 */
    else
        pv_log(PV_LOG_ERROR, "sqlite", "%s: reading schema_version: %s", s->path,
               sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return v;
}

int sq_schema_apply(sq_store_t *s)
{
    int v = current_version(s);
    if (v < 0)
        return -1;
    if (v > SCHEMA_VERSION) {
        pv_log(PV_LOG_ERROR, "sqlite",
               "%s: schema version %d is newer than this backend knows (%d); refusing it", s->path,
               v, SCHEMA_VERSION);
        return -1;
    }
    int fresh = v == 0;
    for (; v < SCHEMA_VERSION; v++) {
        char bump[96];
        snprintf(bump, sizeof(bump),
                 "DELETE FROM schema_version; INSERT INTO schema_version VALUES (%d);", v + 1);
        if (run(s, "BEGIN IMMEDIATE", "starting a schema upgrade") < 0)
            return -1;
        if (run(s, migrations[v], "upgrading the schema") < 0 ||
            run(s, bump, "recording the schema version") < 0 ||
            run(s, "COMMIT", "committing the schema upgrade") < 0) {
            run(s, "ROLLBACK", "rolling back the schema upgrade");
            return -1;
        }
        /* Creating a fresh database is routine; upgrading one is news. */
        pv_log(fresh ? PV_LOG_DEBUG : PV_LOG_INFO, "sqlite", "%s: schema upgraded to version %d",
               s->path, v + 1);
    }
    return 0;
}
