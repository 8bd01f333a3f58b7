/*
 * backends/pgsql/schema.c: the PostgreSQL schema, created at open when
 * absent.
 *
 * Same tables as the SQLite backend (rooms with ON DELETE CASCADE children,
 * schema_version for migrations), plus PL/pgSQL functions for the operations
 * that take several statements, so that each operation is one round trip and
 * one implicit transaction: palaver_room_put and palaver_affs_set are atomic
 * on the server, whatever happens to the connection.
 *
 * Everything is idempotent (IF NOT EXISTS, OR REPLACE), so running the script
 * on every open also installs fixed functions. Version 2 (rooms_list) adds
 * each room's public flag and display name to its row (filled from the
 * stored config once, when a version 1 database is opened; then by
 * palaver_room_put), partial indexes on the name in byte order (COLLATE
 * "C", whatever the database's collation) for stored and for public rooms,
 * and room_counts, one row kept by a trigger, for the listing's count.
 * Version 3 (several instances on one domain) adds `leases` (one row per
 * room ever leased: holder, epoch, expiry on the server's clock),
 * palaver_fence (the guard of every write for a leased room, lease.c), the
 * lease functions, and `occupants` (live occupants by room and nick, in the
 * order first put). Nothing of version 2 changes, so a version 2 database
 * only gains the new objects. Version 4 changes the archive in place (its
 * foreign key to rooms replaced by a trigger on rooms, its primary key
 * (room_id, seq) instead of seq and the index on those dropped; the rows
 * stay). A database whose schema_version is newer than this code is refused
 * untouched.
 */
#include <stdlib.h>
#include <string.h>

#include <palaver/log.h>

#include "pgsql.h"

#define SCHEMA_VERSION 4

static const char version_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL);"
    "SELECT coalesce(max(version), 0) FROM schema_version";

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS rooms ("
    "  id bigserial PRIMARY KEY,"
    "  name text NOT NULL UNIQUE,"
    "  stored boolean NOT NULL DEFAULT false);"
    "CREATE TABLE IF NOT EXISTS room_config ("
    "  room_id bigint NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,"
    "  pos integer NOT NULL,"
    "  key text NOT NULL,"
    "  value text NOT NULL,"
    "  PRIMARY KEY (room_id, pos));"
    "CREATE TABLE IF NOT EXISTS affiliations ("
    "  room_id bigint NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,"
    "  jid text NOT NULL,"
    "  affiliation text NOT NULL,"
    "  reason text,"
    "  PRIMARY KEY (room_id, jid));"
    "CREATE TABLE IF NOT EXISTS registrations ("
    "  room_id bigint NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,"
    "  jid text NOT NULL,"
    "  nick text NOT NULL,"
    "  PRIMARY KEY (room_id, jid));"
    /* Version 4's archive (a version 3 one is changed below). */
    "CREATE TABLE IF NOT EXISTS archive ("
    "  seq bigserial,"
    "  room_id bigint NOT NULL,"
    "  msg_id text NOT NULL,"
    "  stamp_us bigint NOT NULL,"
    "  nick text,"
    "  jid text,"
    "  xml text NOT NULL,"
    "  PRIMARY KEY (room_id, seq),"
    "  UNIQUE (room_id, msg_id));"

    /* Version 2: rooms_list (the backfill runs only on a version 1 database). */
    "ALTER TABLE rooms ADD COLUMN IF NOT EXISTS public boolean NOT NULL DEFAULT false;"
    "ALTER TABLE rooms ADD COLUMN IF NOT EXISTS title text;"
    "UPDATE rooms r SET\n"
    "  public = coalesce((SELECT c.value = '1' FROM room_config c WHERE c.room_id = r.id\n"
    "    AND c.key = 'public' ORDER BY c.pos DESC LIMIT 1), false),\n"
    "  title = (SELECT nullif(c.value, '') FROM room_config c WHERE c.room_id = r.id\n"
    "    AND c.key = 'roomname' ORDER BY c.pos DESC LIMIT 1)\n"
    "  WHERE r.stored AND EXISTS (SELECT 1 FROM schema_version WHERE version < 2);"
    "CREATE INDEX IF NOT EXISTS rooms_stored_name ON rooms (name COLLATE \"C\") WHERE stored;"
    "CREATE INDEX IF NOT EXISTS rooms_public_name ON rooms (name COLLATE \"C\") WHERE public;"
    "CREATE TABLE IF NOT EXISTS room_counts (id integer PRIMARY KEY CHECK (id = 1),\n"
    "  stored bigint NOT NULL, public bigint NOT NULL);"
    "INSERT INTO room_counts SELECT 1, count(*) FILTER (WHERE stored), count(*) FILTER (WHERE "
    "public)\n"
    "  FROM rooms ON CONFLICT (id) DO NOTHING;"
    "CREATE OR REPLACE FUNCTION palaver_room_counts() RETURNS trigger AS $$\n"
    "DECLARE ds bigint := 0; dp bigint := 0;\n"
    "BEGIN\n"
    "  IF TG_OP <> 'DELETE' THEN ds := ds + NEW.stored::int; dp := dp + NEW.public::int; END IF;\n"
    "  IF TG_OP <> 'INSERT' THEN ds := ds - OLD.stored::int; dp := dp - OLD.public::int; END IF;\n"
    "  IF ds <> 0 OR dp <> 0 THEN\n"
    "    UPDATE room_counts SET stored = stored + ds, public = public + dp;\n"
    "  END IF;\n"
    "  RETURN NULL;\n"
    "END $$ LANGUAGE plpgsql;"
    "DO $$ BEGIN\n"
    "  IF NOT EXISTS (SELECT 1 FROM pg_trigger\n"
    "                 WHERE tgname = 'rooms_count' AND tgrelid = 'rooms'::regclass) THEN\n"
    "    CREATE TRIGGER rooms_count AFTER INSERT OR DELETE OR UPDATE OF stored, public ON rooms\n"
    "      FOR EACH ROW EXECUTE FUNCTION palaver_room_counts();\n"
    "  END IF;\n"
    "END $$;"

    /* The room's id for an archive, adding an unstored row when needed. */
    "CREATE OR REPLACE FUNCTION palaver_room_id(p_name text) RETURNS bigint AS $$\n"
    "DECLARE rid bigint;\n"
    "BEGIN\n"
    "  SELECT id INTO rid FROM rooms WHERE name = p_name;\n"
    "  IF rid IS NULL THEN\n"
    "    INSERT INTO rooms (name) VALUES (p_name) ON CONFLICT (name) DO NOTHING\n"
    "      RETURNING id INTO rid;\n"
    "    IF rid IS NULL THEN SELECT id INTO rid FROM rooms WHERE name = p_name; END IF;\n"
    "  END IF;\n"
    "  RETURN rid;\n"
    "END $$ LANGUAGE plpgsql;"

    /* The last pair of a key counts; "1" is public; an empty name is none. */
    "CREATE OR REPLACE FUNCTION palaver_room_put(p_name text, p_keys text[], p_values text[])\n"
    "RETURNS void AS $$\n"
    "DECLARE rid bigint; pub boolean; ttl text;\n"
    "BEGIN\n"
    "  pub := coalesce((SELECT t.v = '1' FROM unnest(p_keys, p_values) WITH ORDINALITY AS t (k, v, "
    "ord)\n"
    "    WHERE t.k = 'public' ORDER BY t.ord DESC LIMIT 1), false);\n"
    "  ttl := (SELECT nullif(t.v, '') FROM unnest(p_keys, p_values) WITH ORDINALITY AS t (k, v, "
    "ord)\n"
    "    WHERE t.k = 'roomname' ORDER BY t.ord DESC LIMIT 1);\n"
    "  INSERT INTO rooms (name, stored, public, title) VALUES (p_name, true, pub, ttl)\n"
    "    ON CONFLICT (name) DO UPDATE SET stored = true, public = excluded.public,\n"
    "      title = excluded.title RETURNING id INTO rid;\n"
    "  DELETE FROM room_config WHERE room_id = rid;\n"
    "  INSERT INTO room_config (room_id, pos, key, value)\n"
    "    SELECT rid, t.ord, t.k, t.v FROM unnest(p_keys, p_values) WITH ORDINALITY AS t (k, v, "
    "ord);\n"
    "END $$ LANGUAGE plpgsql;"

    "CREATE OR REPLACE FUNCTION palaver_affs_set(p_room text, p_jids text[], p_affs text[],\n"
    "                                            p_reasons text[]) RETURNS boolean AS $$\n"
    "DECLARE rid bigint;\n"
    "BEGIN\n"
    "  SELECT id INTO rid FROM rooms WHERE name = p_room AND stored FOR UPDATE;\n"
    "  IF rid IS NULL THEN RETURN false; END IF;\n"
    "  FOR i IN 1 .. coalesce(array_length(p_jids, 1), 0) LOOP\n"
    "    IF p_affs[i] = 'none' THEN\n"
    "      DELETE FROM affiliations WHERE room_id = rid AND jid = p_jids[i];\n"
    "    ELSE\n"
    "      INSERT INTO affiliations (room_id, jid, affiliation, reason)\n"
    "        VALUES (rid, p_jids[i], p_affs[i], p_reasons[i])\n"
    "        ON CONFLICT (room_id, jid) DO UPDATE\n"
    "        SET affiliation = excluded.affiliation, reason = excluded.reason;\n"
    "    END IF;\n"
    "  END LOOP;\n"
    "  RETURN true;\n"
    "END $$ LANGUAGE plpgsql;"

    "CREATE OR REPLACE FUNCTION palaver_reg_set(p_room text, p_jid text, p_nick text)\n"
    "RETURNS boolean AS $$\n"
    "DECLARE rid bigint;\n"
    "BEGIN\n"
    "  SELECT id INTO rid FROM rooms WHERE name = p_room AND stored;\n"
    "  IF rid IS NULL THEN RETURN false; END IF;\n"
    "  IF p_nick IS NULL THEN\n"
    "    DELETE FROM registrations WHERE room_id = rid AND jid = p_jid;\n"
    "  ELSE\n"
    "    INSERT INTO registrations (room_id, jid, nick) VALUES (rid, p_jid, p_nick)\n"
    "      ON CONFLICT (room_id, jid) DO UPDATE SET nick = excluded.nick;\n"
    "  END IF;\n"
    "  RETURN true;\n"
    "END $$ LANGUAGE plpgsql;"

    /* Unknown after/before ids raise P0002 (no_data_found). */
    "CREATE OR REPLACE FUNCTION palaver_archive_query(p_room text, p_after text, p_before text,\n"
    "    p_start bigint, p_end bigint, p_nick text, p_limit bigint, p_backward boolean)\n"
    "RETURNS TABLE (r_id text, r_stamp bigint, r_nick text, r_jid text, r_xml text) AS $$\n"
    "DECLARE rid bigint; lo bigint := 0; hi bigint := 9223372036854775807;\n"
    "BEGIN\n"
    "  SELECT id INTO rid FROM rooms WHERE name = p_room;\n"
    "  IF p_after IS NOT NULL THEN\n"
    "    SELECT a.seq INTO lo FROM archive a WHERE a.room_id = rid AND a.msg_id = p_after;\n"
    "    IF NOT FOUND THEN\n"
    "      RAISE EXCEPTION USING ERRCODE = 'P0002',\n"
    "        MESSAGE = 'after_id: no such message in this room';\n"
    "    END IF;\n"
    "  END IF;\n"
    "  IF p_before IS NOT NULL THEN\n"
    "    SELECT a.seq INTO hi FROM archive a WHERE a.room_id = rid AND a.msg_id = p_before;\n"
    "    IF NOT FOUND THEN\n"
    "      RAISE EXCEPTION USING ERRCODE = 'P0002',\n"
    "        MESSAGE = 'before_id: no such message in this room';\n"
    "    END IF;\n"
    "  END IF;\n"
    "  IF p_backward THEN\n"
    "    RETURN QUERY SELECT a.msg_id, a.stamp_us, a.nick, a.jid, a.xml FROM archive a\n"
    "      WHERE a.room_id = rid AND a.seq > lo AND a.seq < hi\n"
    "        AND a.stamp_us >= p_start AND a.stamp_us <= p_end\n"
    "        AND (p_nick IS NULL OR a.nick = p_nick)\n"
    "      ORDER BY a.seq DESC LIMIT p_limit;\n"
    "  ELSE\n"
    "    RETURN QUERY SELECT a.msg_id, a.stamp_us, a.nick, a.jid, a.xml FROM archive a\n"
    "      WHERE a.room_id = rid AND a.seq > lo AND a.seq < hi\n"
    "        AND a.stamp_us >= p_start AND a.stamp_us <= p_end\n"
    "        AND (p_nick IS NULL OR a.nick = p_nick)\n"
    "      ORDER BY a.seq ASC LIMIT p_limit;\n"
    "  END IF;\n"
    "END $$ LANGUAGE plpgsql STABLE;"

    /* Retention: age cut, then keep only the newest p_keep. */
    "CREATE OR REPLACE FUNCTION palaver_archive_trim(p_room text, p_before bigint, p_keep bigint)\n"
    "RETURNS void AS $$\n"
    "DECLARE rid bigint; cut bigint;\n"
    "BEGIN\n"
    "  SELECT id INTO rid FROM rooms WHERE name = p_room;\n"
    "  IF rid IS NULL THEN RETURN; END IF;\n"
    "  IF p_before <> 0 THEN\n"
    "    DELETE FROM archive WHERE room_id = rid AND stamp_us < p_before;\n"
    "  END IF;\n"
    "  IF p_keep > 0 THEN\n"
    "    SELECT a.seq INTO cut FROM archive a WHERE a.room_id = rid\n"
    "      ORDER BY a.seq DESC OFFSET p_keep LIMIT 1;\n"
    "    IF cut IS NOT NULL THEN DELETE FROM archive WHERE room_id = rid AND seq <= cut; END IF;\n"
    "  END IF;\n"
    "END $$ LANGUAGE plpgsql;"

    /* Version 3: leases (lease.c explains the design) and live occupants.
     * holder NULL: released (the row stays, so the epoch only ever grows). */
    "CREATE TABLE IF NOT EXISTS leases (\n"
    "  room text PRIMARY KEY,\n"
    "  holder text,\n"
    "  epoch bigint NOT NULL,\n"
    "  expires timestamptz NOT NULL);"
    "CREATE INDEX IF NOT EXISTS leases_holder ON leases (holder);"
    "CREATE TABLE IF NOT EXISTS occupants (\n"
    "  room text NOT NULL,\n"
    "  nick text NOT NULL,\n"
    "  data text NOT NULL,\n"
    "  pos bigserial NOT NULL,\n"
    "  PRIMARY KEY (room, nick));"
    "CREATE INDEX IF NOT EXISTS occupants_room_pos ON occupants (room, pos);"

    /* A write's guard: passes when no holder is given (a room this handle
     * holds no lease on), else only while the lease still has that holder
     * and epoch; the row lock (FOR SHARE) keeps a takeover waiting until
     * the write's transaction ends. Its SQLSTATE is PG_SQLSTATE_FENCED. */
    "CREATE OR REPLACE FUNCTION palaver_fence(p_room text, p_holder text, p_epoch bigint)\n"
    "RETURNS boolean AS $$\n"
    "BEGIN\n"
    "  IF p_holder IS NULL THEN RETURN true; END IF;\n"
    "  PERFORM 1 FROM leases WHERE room = p_room AND holder = p_holder AND epoch = p_epoch\n"
    "    FOR SHARE;\n"
    "  IF NOT FOUND THEN\n"
    "    RAISE EXCEPTION USING ERRCODE = 'PV001',\n"
    "      MESSAGE = format('room %s: %s no longer holds its lease of epoch %s',\n"
    "                       p_room, p_holder, p_epoch);\n"
    "  END IF;\n"
    "  RETURN true;\n"
    "END $$ LANGUAGE plpgsql;"

    /* Takes a free, released or expired lease (the epoch grows when the
     * holder changes), keeps our own (same epoch), or reports the live
     * holder (r_ok false). Times are the server's. */
    "CREATE OR REPLACE FUNCTION palaver_lease_acquire(p_room text, p_holder text, p_ttl_ms "
    "integer)\n"
    "RETURNS TABLE (r_ok boolean, r_epoch bigint, r_holder text) AS $$\n"
    "DECLARE l leases%ROWTYPE;\n"
    "BEGIN\n"
    "  INSERT INTO leases (room, holder, epoch, expires)\n"
    "    VALUES (p_room, p_holder, 1, clock_timestamp() + p_ttl_ms * interval '1 millisecond')\n"
    "    ON CONFLICT (room) DO NOTHING;\n"
    "  IF FOUND THEN RETURN QUERY SELECT true, 1::bigint, p_holder; RETURN; END IF;\n"
    "  SELECT * INTO l FROM leases WHERE room = p_room FOR UPDATE;\n"
    "  IF l.holder IS NOT NULL AND l.holder <> p_holder AND l.expires > clock_timestamp() THEN\n"
    "    RETURN QUERY SELECT false, l.epoch, l.holder; RETURN;\n"
    "  END IF;\n"
    "  IF l.holder IS DISTINCT FROM p_holder THEN l.epoch := l.epoch + 1; END IF;\n"
    "  UPDATE leases SET holder = p_holder, epoch = l.epoch,\n"
    "    expires = clock_timestamp() + p_ttl_ms * interval '1 millisecond' WHERE room = p_room;\n"
    "  RETURN QUERY SELECT true, l.epoch, p_holder;\n"
    "END $$ LANGUAGE plpgsql;"

    /* The heartbeat: extends the leases listed (room, epoch) that p_holder
     * still holds at that epoch; returns the others (lost). */
    "CREATE OR REPLACE FUNCTION palaver_lease_renew(p_holder text, p_ttl_ms integer,\n"
    "    p_rooms text[], p_epochs bigint[])\n"
    "RETURNS TABLE (r_room text, r_epoch bigint) AS $$\n"
    "BEGIN\n"
    "  UPDATE leases l SET expires = clock_timestamp() + p_ttl_ms * interval '1 millisecond'\n"
    "    FROM unnest(p_rooms, p_epochs) AS t (tr, te)\n"
    "    WHERE l.room = t.tr AND l.holder = p_holder AND l.epoch = t.te;\n"
    "  RETURN QUERY SELECT t.tr, t.te FROM unnest(p_rooms, p_epochs) AS t (tr, te)\n"
    "    WHERE NOT EXISTS (SELECT 1 FROM leases l\n"
    "                      WHERE l.room = t.tr AND l.holder = p_holder AND l.epoch = t.te);\n"
    "END $$ LANGUAGE plpgsql;"

    /* Version 4: the archive without its foreign key to rooms (the check,
     * a locking lookup per archived message, was a quarter of the server's
     * time for an append) and keyed (room_id, seq), so that a message is
     * two index entries, not three. A room's archive is deleted with the
     * room by a trigger, as ON DELETE CASCADE did, whoever deletes it. */
    "CREATE OR REPLACE FUNCTION palaver_rooms_deleted() RETURNS trigger AS $$\n"
    "BEGIN\n"
    "  DELETE FROM archive a USING gone g WHERE a.room_id = g.id;\n"
    "  RETURN NULL;\n"
    "END $$ LANGUAGE plpgsql;"
    "DO $$\n"
    "DECLARE c record;\n"
    "BEGIN\n"
    "  IF NOT EXISTS (SELECT 1 FROM pg_trigger\n"
    "                 WHERE tgname = 'rooms_archive' AND tgrelid = 'rooms'::regclass) THEN\n"
    "    CREATE TRIGGER rooms_archive AFTER DELETE ON rooms REFERENCING OLD TABLE AS gone\n"
    "      FOR EACH STATEMENT EXECUTE FUNCTION palaver_rooms_deleted();\n"
    "  END IF;\n"
    "  FOR c IN SELECT conname FROM pg_constraint\n"
    "           WHERE conrelid = 'archive'::regclass AND contype = 'f' LOOP\n"
    "    EXECUTE format('ALTER TABLE archive DROP CONSTRAINT %I', c.conname);\n"
    "  END LOOP;\n"
    "  FOR c IN SELECT conname FROM pg_constraint\n"
    "           WHERE conrelid = 'archive'::regclass AND contype = 'p'\n"
    "             AND cardinality(conkey) = 1 LOOP\n"
    "    EXECUTE format('ALTER TABLE archive DROP CONSTRAINT %I, ADD PRIMARY KEY (room_id, seq)',\n"
    "                   c.conname);\n"
    "  END LOOP;\n"
    "END $$;"
    "DROP INDEX IF EXISTS archive_room_seq;"

    "UPDATE schema_version SET version = 4 WHERE version < 4;"
    "INSERT INTO schema_version SELECT 4 WHERE NOT EXISTS (SELECT 1 FROM schema_version);";

static int exec_ok(pg_store_t *s, PGresult *r, const char *what)
{
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return 0;
    pv_log(PV_LOG_ERROR, "pgsql", "%s: %s", what,
           r ? PQresultErrorMessage(r) : PQerrorMessage(s->conn));
    return -1;
}

/* Server notices (e.g. "already exists, skipping") go to the debug log
 * instead of stderr. */
static void on_notice(void *arg, const char *message)
{
    (void)arg;
    size_t n = strlen(message);
    while (n && message[n - 1] == '\n')
        n--;
    pv_log(PV_LOG_DEBUG, "pgsql", "server says: %.*s", (int)n, message);
}

void pg_after_connect(pg_store_t *s)
{
    PQsetNoticeProcessor(s->conn, on_notice, NULL);
}

/* Instances that start together on a fresh database (several on one
 * domain) would race on CREATE TABLE IF NOT EXISTS, which is not safe
 * against a concurrent creation: the schema is read and applied under a
 * session advisory lock, one instance after the other. */
#define SCHEMA_LOCK "SELECT pg_advisory_lock(7061766572)"
#define SCHEMA_UNLOCK "SELECT pg_advisory_unlock(7061766572)"

static int apply_locked(pg_store_t *s)
{
    PGresult *r = PQexec(s->conn, version_sql);
    if (exec_ok(s, r, "reading schema_version") < 0) {
        PQclear(r);
        return -1;
    }
    int v = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (v > SCHEMA_VERSION) {
        pv_log(PV_LOG_ERROR, "pgsql",
               "the database's schema version %d is newer than this backend knows (%d); "
               "refusing it",
               v, SCHEMA_VERSION);
        return -1;
    }
    r = PQexec(s->conn, schema_sql);
    int rc = exec_ok(s, r, "creating the schema");
    PQclear(r);
    if (rc == 0 && v == 0)
        pv_log(PV_LOG_INFO, "pgsql", "created the schema (version %d)", SCHEMA_VERSION);
    else if (rc == 0 && v < SCHEMA_VERSION)
        pv_log(PV_LOG_INFO, "pgsql", "upgraded the schema from version %d to %d", v,
               SCHEMA_VERSION);
    return rc;
}

int pg_schema_apply(pg_store_t *s)
{
    pg_after_connect(s);
    PGresult *r = PQexec(s->conn, SCHEMA_LOCK);
    int rc = exec_ok(s, r, "waiting for the schema lock");
    PQclear(r);
    if (rc < 0)
        return -1;
    rc = apply_locked(s);
    r = PQexec(s->conn, SCHEMA_UNLOCK);
    if (exec_ok(s, r, "releasing the schema lock") < 0)
        rc = -1;
    PQclear(r);
    return rc;
}
