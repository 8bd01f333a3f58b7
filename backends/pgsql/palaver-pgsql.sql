-- Palaver: the pgsql backend's schema, for creating a database by hand:
--   psql -v ON_ERROR_STOP=1 -d DBNAME -f palaver-pgsql.sql
-- palaver creates (and upgrades) the same schema itself at start-up.
-- Generated from backends/pgsql/schema.c by tools/pgsql-schema.py.

CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL);
CREATE TABLE IF NOT EXISTS rooms (  id bigserial PRIMARY KEY,  name text NOT NULL UNIQUE,  stored boolean NOT NULL DEFAULT false);
CREATE TABLE IF NOT EXISTS room_config (  room_id bigint NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,  pos integer NOT NULL,  key text NOT NULL,  value text NOT NULL,  PRIMARY KEY (room_id, pos));
CREATE TABLE IF NOT EXISTS affiliations (  room_id bigint NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,  jid text NOT NULL,  affiliation text NOT NULL,  reason text,  PRIMARY KEY (room_id, jid));
CREATE TABLE IF NOT EXISTS registrations (  room_id bigint NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,  jid text NOT NULL,  nick text NOT NULL,  PRIMARY KEY (room_id, jid));
CREATE TABLE IF NOT EXISTS archive (  seq bigserial,  room_id bigint NOT NULL,  msg_id text NOT NULL,  stamp_us bigint NOT NULL,  nick text,  jid text,  xml text NOT NULL,  PRIMARY KEY (room_id, seq),  UNIQUE (room_id, msg_id));
ALTER TABLE rooms ADD COLUMN IF NOT EXISTS public boolean NOT NULL DEFAULT false;
ALTER TABLE rooms ADD COLUMN IF NOT EXISTS title text;
UPDATE rooms r SET
  public = coalesce((SELECT c.value = '1' FROM room_config c WHERE c.room_id = r.id
    AND c.key = 'public' ORDER BY c.pos DESC LIMIT 1), false),
  title = (SELECT nullif(c.value, '') FROM room_config c WHERE c.room_id = r.id
    AND c.key = 'roomname' ORDER BY c.pos DESC LIMIT 1)
  WHERE r.stored AND EXISTS (SELECT 1 FROM schema_version WHERE version < 2);
CREATE INDEX IF NOT EXISTS rooms_stored_name ON rooms (name COLLATE "C") WHERE stored;
CREATE INDEX IF NOT EXISTS rooms_public_name ON rooms (name COLLATE "C") WHERE public;
CREATE TABLE IF NOT EXISTS room_counts (id integer PRIMARY KEY CHECK (id = 1),
  stored bigint NOT NULL, public bigint NOT NULL);
INSERT INTO room_counts SELECT 1, count(*) FILTER (WHERE stored), count(*) FILTER (WHERE public)
  FROM rooms ON CONFLICT (id) DO NOTHING;
CREATE OR REPLACE FUNCTION palaver_room_counts() RETURNS trigger AS $$
DECLARE ds bigint := 0; dp bigint := 0;
BEGIN
  IF TG_OP <> 'DELETE' THEN ds := ds + NEW.stored::int; dp := dp + NEW.public::int; END IF;
  IF TG_OP <> 'INSERT' THEN ds := ds - OLD.stored::int; dp := dp - OLD.public::int; END IF;
  IF ds <> 0 OR dp <> 0 THEN
    UPDATE room_counts SET stored = stored + ds, public = public + dp;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger
                 WHERE tgname = 'rooms_count' AND tgrelid = 'rooms'::regclass) THEN
    CREATE TRIGGER rooms_count AFTER INSERT OR DELETE OR UPDATE OF stored, public ON rooms
      FOR EACH ROW EXECUTE FUNCTION palaver_room_counts();
  END IF;
END $$;
CREATE OR REPLACE FUNCTION palaver_room_id(p_name text) RETURNS bigint AS $$
DECLARE rid bigint;
BEGIN
  SELECT id INTO rid FROM rooms WHERE name = p_name;
  IF rid IS NULL THEN
    INSERT INTO rooms (name) VALUES (p_name) ON CONFLICT (name) DO NOTHING
      RETURNING id INTO rid;
    IF rid IS NULL THEN SELECT id INTO rid FROM rooms WHERE name = p_name; END IF;
  END IF;
  RETURN rid;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION palaver_room_put(p_name text, p_keys text[], p_values text[])
RETURNS void AS $$
DECLARE rid bigint; pub boolean; ttl text;
BEGIN
  pub := coalesce((SELECT t.v = '1' FROM unnest(p_keys, p_values) WITH ORDINALITY AS t (k, v, ord)
    WHERE t.k = 'public' ORDER BY t.ord DESC LIMIT 1), false);
  ttl := (SELECT nullif(t.v, '') FROM unnest(p_keys, p_values) WITH ORDINALITY AS t (k, v, ord)
    WHERE t.k = 'roomname' ORDER BY t.ord DESC LIMIT 1);
  INSERT INTO rooms (name, stored, public, title) VALUES (p_name, true, pub, ttl)
    ON CONFLICT (name) DO UPDATE SET stored = true, public = excluded.public,
      title = excluded.title RETURNING id INTO rid;
  DELETE FROM room_config WHERE room_id = rid;
  INSERT INTO room_config (room_id, pos, key, value)
    SELECT rid, t.ord, t.k, t.v FROM unnest(p_keys, p_values) WITH ORDINALITY AS t (k, v, ord);
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION palaver_affs_set(p_room text, p_jids text[], p_affs text[],
                                            p_reasons text[]) RETURNS boolean AS $$
DECLARE rid bigint;
BEGIN
  SELECT id INTO rid FROM rooms WHERE name = p_room AND stored FOR UPDATE;
  IF rid IS NULL THEN RETURN false; END IF;
  FOR i IN 1 .. coalesce(array_length(p_jids, 1), 0) LOOP
    IF p_affs[i] = 'none' THEN
      DELETE FROM affiliations WHERE room_id = rid AND jid = p_jids[i];
    ELSE
      INSERT INTO affiliations (room_id, jid, affiliation, reason)
        VALUES (rid, p_jids[i], p_affs[i], p_reasons[i])
        ON CONFLICT (room_id, jid) DO UPDATE
        SET affiliation = excluded.affiliation, reason = excluded.reason;
    END IF;
  END LOOP;
  RETURN true;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION palaver_reg_set(p_room text, p_jid text, p_nick text)
RETURNS boolean AS $$
DECLARE rid bigint;
BEGIN
  SELECT id INTO rid FROM rooms WHERE name = p_room AND stored;
  IF rid IS NULL THEN RETURN false; END IF;
  IF p_nick IS NULL THEN
    DELETE FROM registrations WHERE room_id = rid AND jid = p_jid;
  ELSE
    INSERT INTO registrations (room_id, jid, nick) VALUES (rid, p_jid, p_nick)
      ON CONFLICT (room_id, jid) DO UPDATE SET nick = excluded.nick;
  END IF;
  RETURN true;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION palaver_archive_query(p_room text, p_after text, p_before text,
    p_start bigint, p_end bigint, p_nick text, p_limit bigint, p_backward boolean)
RETURNS TABLE (r_id text, r_stamp bigint, r_nick text, r_jid text, r_xml text) AS $$
DECLARE rid bigint; lo bigint := 0; hi bigint := 9223372036854775807;
BEGIN
  SELECT id INTO rid FROM rooms WHERE name = p_room;
  IF p_after IS NOT NULL THEN
    SELECT a.seq INTO lo FROM archive a WHERE a.room_id = rid AND a.msg_id = p_after;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'P0002',
        MESSAGE = 'after_id: no such message in this room';
    END IF;
  END IF;
  IF p_before IS NOT NULL THEN
    SELECT a.seq INTO hi FROM archive a WHERE a.room_id = rid AND a.msg_id = p_before;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'P0002',
        MESSAGE = 'before_id: no such message in this room';
    END IF;
  END IF;
  IF p_backward THEN
    RETURN QUERY SELECT a.msg_id, a.stamp_us, a.nick, a.jid, a.xml FROM archive a
      WHERE a.room_id = rid AND a.seq > lo AND a.seq < hi
        AND a.stamp_us >= p_start AND a.stamp_us <= p_end
        AND (p_nick IS NULL OR a.nick = p_nick)
      ORDER BY a.seq DESC LIMIT p_limit;
  ELSE
    RETURN QUERY SELECT a.msg_id, a.stamp_us, a.nick, a.jid, a.xml FROM archive a
      WHERE a.room_id = rid AND a.seq > lo AND a.seq < hi
        AND a.stamp_us >= p_start AND a.stamp_us <= p_end
        AND (p_nick IS NULL OR a.nick = p_nick)
      ORDER BY a.seq ASC LIMIT p_limit;
  END IF;
END $$ LANGUAGE plpgsql STABLE;
CREATE OR REPLACE FUNCTION palaver_archive_trim(p_room text, p_before bigint, p_keep bigint)
RETURNS void AS $$
DECLARE rid bigint; cut bigint;
BEGIN
  SELECT id INTO rid FROM rooms WHERE name = p_room;
  IF rid IS NULL THEN RETURN; END IF;
  IF p_before <> 0 THEN
    DELETE FROM archive WHERE room_id = rid AND stamp_us < p_before;
  END IF;
  IF p_keep > 0 THEN
    SELECT a.seq INTO cut FROM archive a WHERE a.room_id = rid
      ORDER BY a.seq DESC OFFSET p_keep LIMIT 1;
    IF cut IS NOT NULL THEN DELETE FROM archive WHERE room_id = rid AND seq <= cut; END IF;
  END IF;
END $$ LANGUAGE plpgsql;
CREATE TABLE IF NOT EXISTS leases (
  room text PRIMARY KEY,
  holder text,
  epoch bigint NOT NULL,
  expires timestamptz NOT NULL);
CREATE INDEX IF NOT EXISTS leases_holder ON leases (holder);
CREATE TABLE IF NOT EXISTS occupants (
  room text NOT NULL,
  nick text NOT NULL,
  data text NOT NULL,
  pos bigserial NOT NULL,
  PRIMARY KEY (room, nick));
CREATE INDEX IF NOT EXISTS occupants_room_pos ON occupants (room, pos);
CREATE OR REPLACE FUNCTION palaver_fence(p_room text, p_holder text, p_epoch bigint)
RETURNS boolean AS $$
BEGIN
  IF p_holder IS NULL THEN RETURN true; END IF;
  PERFORM 1 FROM leases WHERE room = p_room AND holder = p_holder AND epoch = p_epoch
    FOR SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'PV001',
      MESSAGE = format('room %s: %s no longer holds its lease of epoch %s',
                       p_room, p_holder, p_epoch);
  END IF;
  RETURN true;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION palaver_lease_acquire(p_room text, p_holder text, p_ttl_ms integer)
RETURNS TABLE (r_ok boolean, r_epoch bigint, r_holder text) AS $$
DECLARE l leases%ROWTYPE;
BEGIN
  INSERT INTO leases (room, holder, epoch, expires)
    VALUES (p_room, p_holder, 1, clock_timestamp() + p_ttl_ms * interval '1 millisecond')
    ON CONFLICT (room) DO NOTHING;
  IF FOUND THEN RETURN QUERY SELECT true, 1::bigint, p_holder; RETURN; END IF;
  SELECT * INTO l FROM leases WHERE room = p_room FOR UPDATE;
  IF l.holder IS NOT NULL AND l.holder <> p_holder AND l.expires > clock_timestamp() THEN
    RETURN QUERY SELECT false, l.epoch, l.holder; RETURN;
  END IF;
  IF l.holder IS DISTINCT FROM p_holder THEN l.epoch := l.epoch + 1; END IF;
  UPDATE leases SET holder = p_holder, epoch = l.epoch,
    expires = clock_timestamp() + p_ttl_ms * interval '1 millisecond' WHERE room = p_room;
  RETURN QUERY SELECT true, l.epoch, p_holder;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION palaver_lease_renew(p_holder text, p_ttl_ms integer,
    p_rooms text[], p_epochs bigint[])
RETURNS TABLE (r_room text, r_epoch bigint) AS $$
BEGIN
  UPDATE leases l SET expires = clock_timestamp() + p_ttl_ms * interval '1 millisecond'
    FROM unnest(p_rooms, p_epochs) AS t (tr, te)
    WHERE l.room = t.tr AND l.holder = p_holder AND l.epoch = t.te;
  RETURN QUERY SELECT t.tr, t.te FROM unnest(p_rooms, p_epochs) AS t (tr, te)
    WHERE NOT EXISTS (SELECT 1 FROM leases l
                      WHERE l.room = t.tr AND l.holder = p_holder AND l.epoch = t.te);
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION palaver_rooms_deleted() RETURNS trigger AS $$
BEGIN
  DELETE FROM archive a USING gone g WHERE a.room_id = g.id;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
DO $$
DECLARE c record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger
                 WHERE tgname = 'rooms_archive' AND tgrelid = 'rooms'::regclass) THEN
    CREATE TRIGGER rooms_archive AFTER DELETE ON rooms REFERENCING OLD TABLE AS gone
      FOR EACH STATEMENT EXECUTE FUNCTION palaver_rooms_deleted();
  END IF;
  FOR c IN SELECT conname FROM pg_constraint
           WHERE conrelid = 'archive'::regclass AND contype = 'f' LOOP
    EXECUTE format('ALTER TABLE archive DROP CONSTRAINT %I', c.conname);
  END LOOP;
  FOR c IN SELECT conname FROM pg_constraint
           WHERE conrelid = 'archive'::regclass AND contype = 'p'
             AND cardinality(conkey) = 1 LOOP
    EXECUTE format('ALTER TABLE archive DROP CONSTRAINT %I, ADD PRIMARY KEY (room_id, seq)',
                   c.conname);
  END LOOP;
END $$;
DROP INDEX IF EXISTS archive_room_seq;
UPDATE schema_version SET version = 4 WHERE version < 4;
INSERT INTO schema_version SELECT 4 WHERE NOT EXISTS (SELECT 1 FROM schema_version);
