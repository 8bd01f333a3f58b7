#!/bin/sh
# bench/make-sqlite-rooms.sh: writes an SQLite database in the sqlite
# backend's current schema (backends/sqlite/schema.c, version 2: the same
# statements, so that the backend opens it without a migration) holding N
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
rm -f "$db" "$db-wal" "$db-shm"
sqlite3 "$db" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);

-- schema.c migration 0 -> 1
BEGIN;
CREATE TABLE rooms (  id INTEGER PRIMARY KEY,  name TEXT NOT NULL UNIQUE,  stored INTEGER NOT NULL DEFAULT 0);CREATE TABLE room_config (  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,  pos INTEGER NOT NULL,  key TEXT NOT NULL,  value TEXT NOT NULL,  PRIMARY KEY (room_id, pos));CREATE TABLE affiliations (  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,  jid TEXT NOT NULL,  affiliation TEXT NOT NULL,  reason TEXT,  PRIMARY KEY (room_id, jid));CREATE TABLE registrations (  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,  jid TEXT NOT NULL,  nick TEXT NOT NULL,  PRIMARY KEY (room_id, jid));CREATE TABLE archive (  seq INTEGER PRIMARY KEY,  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,  msg_id TEXT NOT NULL,  stamp_us INTEGER NOT NULL,  nick TEXT,  jid TEXT,  xml TEXT NOT NULL,  UNIQUE (room_id, msg_id));CREATE INDEX archive_room_seq ON archive (room_id, seq);
DELETE FROM schema_version; INSERT INTO schema_version VALUES (1);
COMMIT;

-- schema.c migration 1 -> 2 (its UPDATE and INSERT run on empty tables)
BEGIN;
ALTER TABLE rooms ADD COLUMN public INTEGER NOT NULL DEFAULT 0;ALTER TABLE rooms ADD COLUMN title TEXT;CREATE INDEX rooms_public_name ON rooms (name) WHERE public = 1;CREATE TABLE room_counts (stored INTEGER NOT NULL, public INTEGER NOT NULL);INSERT INTO room_counts SELECT (SELECT count(*) FROM rooms WHERE stored = 1),  (SELECT count(*) FROM rooms WHERE public = 1);CREATE TRIGGER rooms_count_insert AFTER INSERT ON rooms BEGIN  UPDATE room_counts SET stored = stored + NEW.stored, public = public + NEW.public; END;CREATE TRIGGER rooms_count_delete AFTER DELETE ON rooms BEGIN  UPDATE room_counts SET stored = stored - OLD.stored, public = public - OLD.public; END;CREATE TRIGGER rooms_count_update AFTER UPDATE OF stored, public ON rooms  WHEN NEW.stored IS NOT OLD.stored OR NEW.public IS NOT OLD.public BEGIN  UPDATE room_counts SET stored = stored + NEW.stored - OLD.stored,    public = public + NEW.public - OLD.public; END;
DELETE FROM schema_version; INSERT INTO schema_version VALUES (2);
COMMIT;

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
  (20, 'message_size', '0'), (21, 'pubsub', ''), (22, 'history', '20'), (23, 'privacy', '1'),
  (24, 'join', ''), (25, 'leave', ''), (26, 'rename', ''), (27, 'registration_approval', '0'),
  (28, 'x-palaver#owners', NULL);
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
