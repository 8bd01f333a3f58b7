#!/bin/sh
# bench/make-sqlite-rooms.sh: writes an SQLite database in the schema of
# backends/sqlite/schema.c (version 1) holding N persistent rooms
# room0..room<N-1>, each with a few config keys and one owner, for the
# start-up benchmark (palaver-bench --startup FILE -r N).
#   usage: make-sqlite-rooms.sh FILE N
set -eu
db=$1
n=$2
rm -f "$db" "$db-wal" "$db-shm"
sqlite3 "$db" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1);
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
  stored INTEGER NOT NULL DEFAULT 0);
CREATE TABLE room_config (room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  pos INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (room_id, pos));
CREATE TABLE affiliations (room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  jid TEXT NOT NULL, affiliation TEXT NOT NULL, reason TEXT, PRIMARY KEY (room_id, jid));
CREATE TABLE registrations (room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  jid TEXT NOT NULL, nick TEXT NOT NULL, PRIMARY KEY (room_id, jid));
CREATE TABLE archive (seq INTEGER PRIMARY KEY,
  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  msg_id TEXT NOT NULL, stamp_us INTEGER NOT NULL, nick TEXT, jid TEXT, xml TEXT NOT NULL,
  UNIQUE (room_id, msg_id));
CREATE INDEX archive_room_seq ON archive (room_id, seq);
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < $n)
  INSERT INTO rooms (id, name, stored) SELECT i + 1, 'room' || i, 1 FROM c;
INSERT INTO room_config (room_id, pos, key, value) SELECT id, 0, 'persistent', '1' FROM rooms;
INSERT INTO room_config (room_id, pos, key, value) SELECT id, 1, 'roomname', 'Room ' || name FROM rooms;
INSERT INTO room_config (room_id, pos, key, value) SELECT id, 2, 'public', '1' FROM rooms;
INSERT INTO affiliations (room_id, jid, affiliation) SELECT id, 'owner' || id || '@bench.localhost', 'owner' FROM rooms;
COMMIT;
SQL
