#!/bin/sh
# bench/make-sqlite-rooms.sh: writes an SQLite database in the sqlite
# backend's current schema (the migrations of backends/sqlite/schema.c, read
# from it and run as the backend runs them, so that the backend opens the
# file without a migration; version 2 added the listing columns) holding N
# persistent rooms room0..room<N-1>, for the start-up and first-join
# benchmarks (palaver-bench --startup FILE -r N, --first-join FILE -r N).
#
# Each room is stored the way muc-core stores one (plugins/muc-core/persist.c
# kv_build): every field of config_fields.c under its storage key, in field
# order, with its default value except persistent 1, public 1 and the title
# "Room roomI"; then x-palaver#owners; and the owner's affiliation
# (ownerI@bench.localhost). The rooms row carries the listing columns that
# room_put sets (public, title); the triggers keep room_counts.
# bench/test_smoke.py checks the schema against the one the backend creates
# and the keys against config_fields.c.
#   usage: make-sqlite-rooms.sh FILE N
set -eu
[ $# -eq 2 ] || { echo "usage: make-sqlite-rooms.sh FILE N" >&2; exit 2; }
db=$1
n=$2
schema_c=$(dirname "$0")/../backends/sqlite/schema.c
[ -r "$schema_c" ] || { echo "make-sqlite-rooms.sh: no $schema_c" >&2; exit 1; }

# The backend's migrations[] (C string literals, one migration per element),
# each run in its own transaction with its version, as sq_schema_apply does.
migrations=$(awk '
    /migrations\[\] = \{/ { on = 1; next }
    !on { next }
    /^};/ { exit }
    {
        line = $0
        out = ""
        while (line != "") {
            if (incomment) {
                e = index(line, "*/")
                if (!e) { line = ""; break }
                line = substr(line, e + 2); incomment = 0; continue
            }
            c = index(line, "/*"); q = index(line, "\"")
            if (c && (!q || c < q)) { line = substr(line, c + 2); incomment = 1; continue }
            if (!q) break
            rest = substr(line, q + 1)
            e = index(rest, "\"")
            if (!e) { print "unterminated string in schema.c" > "/dev/stderr"; exit 1 }
            out = out substr(rest, 1, e - 1)
            line = substr(rest, e + 1)
            if (line ~ /^[ \t]*,/) { done = 1 }
        }
        sql = sql out
        if (done) {
            n++
            printf "BEGIN;\n%s\nDELETE FROM schema_version; INSERT INTO schema_version VALUES (%d);\nCOMMIT;\n", sql, n
            sql = ""; done = 0
        }
    }' "$schema_c")
[ -n "$migrations" ] || { echo "make-sqlite-rooms.sh: no migrations in $schema_c" >&2; exit 1; }

rm -f "$db" "$db-wal" "$db-shm"
sqlite3 "$db" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);

$migrations

-- the rooms: muc-core's room_put (kv_build: config fields in field order,
-- then the owners), then its affiliations_set for the owner
CREATE TEMP TABLE fields (pos INTEGER PRIMARY KEY, key TEXT NOT NULL, value TEXT);
INSERT INTO fields VALUES
  (0, 'roomname', NULL), (1, 'roomdesc', ''), (2, 'lang', ''), (3, 'persistent', '1'),
  (4, 'public', '1'), (5, 'membersonly', '0'), (6, 'moderated', '0'),
  (7, 'passwordprotected', '0'), (8, 'roomsecret', ''), (9, 'whois', 'moderators'),
  (10, 'maxusers', '0'), (11, 'changesubject', '0'), (12, 'allowinvites', '0'),
  (13, 'allowpm', 'anyone'), (14, 'presencebroadcast', 'moderator participant visitor'),
  (15, 'enablelogging', '0'), (16, 'getmemberlist', 'moderator participant visitor'),
  (17, 'changenick', '1'), (18, 'voicerequests', '1'), (19, 'registration', '1'),
  (20, 'message_size', '0'), (21, 'pubsub', ''), (22, 'privacy', '1'),
  (23, 'registration_approval', '0'), (24, 'offlinedelivery', '1'),
  (25, 'x-palaver#owners', NULL);
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 0 WHERE $n > 0 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < $n)
  INSERT INTO rooms (id, name, stored, public, title)
  SELECT i + 1, 'room' || i, 1, 1, 'Room room' || i FROM c;
INSERT INTO room_config (room_id, pos, key, value)
  SELECT r.id, f.pos, f.key,
         CASE f.key WHEN 'roomname' THEN r.title
                    WHEN 'x-palaver#owners' THEN 'owner' || r.id || '@bench.localhost'
                    ELSE f.value END
  FROM rooms r CROSS JOIN fields f ORDER BY r.id, f.pos;
INSERT INTO affiliations (room_id, jid, affiliation)
  SELECT id, 'owner' || id || '@bench.localhost', 'owner' FROM rooms;
COMMIT;
SQL
