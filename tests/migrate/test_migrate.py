"""palaver-migrate: converts hand-built fixtures of each legacy format (a JCR
mu-conference spool, Palaver 0.6 SQLite databases) and our own backends, and
checks the converted rooms field by field, reading them back through the
target backend. Prints TAP."""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

BUILD = os.environ.get("PALAVER_BUILDDIR", os.getcwd())
BIN = os.path.join(BUILD, "palaver-migrate")
MODDIRS = os.environ.get("PALAVER_MODULE_DIR", "")
TMP = tempfile.mkdtemp(prefix="pv-migrate-")

results = []


def ok(cond, name, diag=None):
    results.append((bool(cond), name, diag))


def skip(name, why):
    results.append((None, name, why))


def module_built(name):
    for d in MODDIRS.split(":"):
        if d and (os.path.exists(os.path.join(d, name + ".la")) or
                  os.path.exists(os.path.join(d, ".libs", name + ".so")) or
                  os.path.exists(os.path.join(d, name + ".so"))):
            return True
    return False


def module_path():
    """The build tree keeps the .so files under .libs."""
    dirs = []
    for d in MODDIRS.split(":"):
        if d:
            dirs += [d, os.path.join(d, ".libs")]
    return ":".join(dirs)


def config(name, backend, extra=""):
    path = os.path.join(TMP, name + ".xml")
    with open(path, "w") as f:
        f.write("<palaver><name>conf.example</name><secret>s</secret>"
                "<backend><type>%s</type>%s</backend></palaver>\n" % (backend, extra))
    return path


def run(source, cfg, dry=False):
    args = [BIN, "--from", source, "--to-config", cfg] + (["--dry-run"] if dry else [])
    env = dict(os.environ, PALAVER_MODULE_DIR=module_path())
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                       universal_newlines=True)
    for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
        if marker in p.stderr:
            ok(False, "no sanitizer report from %s" % " ".join(args[1:]), p.stderr[-2000:])
            break
    return p.returncode, p.stdout, p.stderr


def parse(out):
    """Rooms as {name: {config: {}, affs: {jid: (aff, reason)}, nicks: {}}},
    plus the skipped and error lines and the summary."""
    rooms, skipped, errors, summary, cur = {}, [], [], None, None
    for line in out.splitlines():
        if line.startswith("room "):
            cur = rooms.setdefault(line[5:], {"config": {}, "affs": {}, "nicks": {}})
        elif line.startswith("  config "):
            k, _, v = line[9:].partition(" = ")
            cur["config"][k] = v
        elif line.startswith("  affiliation "):
            parts = line[14:].split(" ", 2)
            reason = None
            if len(parts) == 3 and parts[2].startswith("reason "):
                reason = parts[2][7:]
            cur["affs"][parts[0]] = (parts[1], reason)
        elif line.startswith("  nick "):
            jid, _, nick = line[7:].partition(" ")
            cur["nicks"][jid] = nick
        elif line.startswith("skipped: "):
            skipped.append(line)
        elif line.startswith("error: "):
            errors.append(line)
        elif line.startswith("summary: "):
            summary = line
    return rooms, skipped, errors, summary


def readback(source):
    """Reads a backend's rooms through the backend itself (palaver-migrate
    --dry-run with that backend as the source)."""
    rc, out, err = run(source, config("readback", "memory"), dry=True)
    rooms, _, errors, _ = parse(out)
    return rc, rooms, errors, err


def same(a, b, name):
    ok(a == b, name, None if a == b else "got %r\nexpected %r" % (a, b))


# ---------------------------------------------------------------- mu-conference

MUC_DIR = os.path.join(TMP, "conf.example")


def sha1(s):
    return hashlib.sha1(s.encode()).hexdigest()


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def build_mucconf():
    os.makedirs(MUC_DIR)
    rooms = ["Lobby@conf.example", "quiet@conf.example", "broken@conf.example",
             "missing@conf.example"]
    items = "".join("<item name='%s' jid='%s@conf.example'/>" % (r, sha1(r.lower()))
                    for r in rooms)
    write(os.path.join(MUC_DIR, "rooms.xml"),
          "<xdb><registered xmlns='muc:room:list' xdbns='muc:room:list'>%s</registered></xdb>\n"
          % items)
    write(os.path.join(MUC_DIR, sha1("lobby@conf.example") + ".xml"), """<xdb>
<room xmlns='muc:room:config' xdbns='muc:room:config'>
  <name>The Lobby</name>
  <secret>hunter2</secret>
  <description>Where everyone meets</description>
  <subject>Welcome &amp; hello</subject>
  <creator>alice@example.org</creator>
  <private>1</private>
  <notice><leave>has left</leave><join>has joined</join><rename>is now known as</rename></notice>
  <public>0</public>
  <subjectlock>1</subjectlock>
  <maxusers>1</maxusers>
  <persistent>1</persistent>
  <moderated>1</moderated>
  <defaulttype>1</defaulttype>
  <privmsg>1</privmsg>
  <invitation>1</invitation>
  <invites>0</invites>
  <legacy>0</legacy>
  <visible>1</visible>
  <logformat>2</logformat>
  <logging>1</logging>
</room>
<list xmlns='muc:list:owner' xdbns='muc:list:owner'><item jid='alice@example.org'/></list>
<list xmlns='muc:list:admin' xdbns='muc:list:admin'><item jid='Bob@Example.org/Home'/></list>
<list xmlns='muc:list:member' xdbns='muc:list:member'><item jid='carol@example.org'/></list>
<list xmlns='muc:list:outcast' xdbns='muc:list:outcast'>
  <item jid='mallory@evil.example'><reason>spam</reason></item>
  <item jid='evil.example'/>
</list>
</xdb>
""")
    write(os.path.join(MUC_DIR, sha1("quiet@conf.example") + ".xml"), """<xdb>
<room xdbns='muc:room:config'><name>Quiet</name><visible>0</visible><privmsg>0</privmsg>
<maxusers>many</maxusers><colour>blue</colour></room>
</xdb>
""")
    # Truncated mid-element, as a crash during a write would leave it.
    write(os.path.join(MUC_DIR, sha1("broken@conf.example") + ".xml"),
          "<xdb><room xdbns='muc:room:config'><name>Bro")
    write(os.path.join(MUC_DIR, "registration.xml"),
          "<xdb><registered xmlns='muc:data' xdbns='muc:data'>"
          "<item nick='Alice' keynick='alice' jid='alice@example.org'/>"
          "<item nick='Dave' keynick='dave' jid='dave@example.org/laptop'/>"
          "</registered></xdb>\n")


NICKS = {"alice@example.org": "Alice", "dave@example.org": "Dave"}
MUC_EXPECTED = {
    "lobby": {
        "config": {
            "roomname": "The Lobby", "roomsecret": "hunter2", "passwordprotected": "1",
            "roomdesc": "Where everyone meets", "subject": "Welcome & hello",
            "privacy": "1", "leave": "has left", "join": "has joined",
            "rename": "is now known as", "public": "0", "changesubject": "1",
            "maxusers": "1", "persistent": "1", "moderated": "1",
            "allowpm": "moderators", "membersonly": "1", "allowinvites": "0",
            "whois": "anyone", "enablelogging": "1",
        },
        "affs": {
            "alice@example.org": ("owner", None), "bob@example.org": ("admin", None),
            "carol@example.org": ("member", None),
            "mallory@evil.example": ("outcast", "spam"), "evil.example": ("outcast", None),
        },
        "nicks": NICKS,
    },
    "quiet": {
        "config": {"roomname": "Quiet", "whois": "moderators", "allowpm": "anyone",
                   "persistent": "1"},
        "affs": {},
        "nicks": NICKS,
    },
}


def test_mucconf():
    build_mucconf()
    rc, out, err = run("mu-conference:" + MUC_DIR, config("mem", "memory"), dry=True)
    rooms, skipped, errors, summary = parse(out)
    ok(rc == 1, "mucconf dry run: exit status 1 because two rooms failed", "rc=%d" % rc)
    for name in MUC_EXPECTED:
        for part in ("config", "affs", "nicks"):
            same(rooms.get(name, {}).get(part), MUC_EXPECTED[name][part],
                 "mucconf dry run: room %s %s mapped field by field" % (name, part))
    ok(set(rooms) == {"lobby", "quiet"}, "mucconf dry run: only the readable rooms converted",
       repr(sorted(rooms)))
    brk = [e for e in errors if "broken" in e]
    ok(len(brk) == 1 and sha1("broken@conf.example") + ".xml" in brk[0]
       and "not well-formed" in brk[0],
       "mucconf: a truncated room file is reported with its file and room", repr(errors))
    ok(any("missing" in e and "cannot read" in e for e in errors),
       "mucconf: a room file that does not exist is reported with the room", repr(errors))
    for field in ("creator", "defaulttype", "logformat"):
        ok(any("room lobby: %s:" % field in s for s in skipped),
           "mucconf dry run: unmappable field %s reported" % field, repr(skipped))
    ok(not any(": legacy:" in s for s in skipped),
       "mucconf dry run: legacy=0 carries nothing and is not reported", repr(skipped))
    ok(any("room quiet: maxusers:" in s and "many" in s for s in skipped),
       "mucconf dry run: a maxusers that is not a number is reported", repr(skipped))
    ok(any("room quiet: colour:" in s for s in skipped),
       "mucconf dry run: an unknown field is reported", repr(skipped))
    ok(summary and "2 rooms, 5 list entries, 4 nicks" in summary and "2 failures" in summary
       and "%d items skipped" % len(skipped) in summary,
       "mucconf dry run: summary counts rooms, lists, nicks, skips, failures", summary)

    rc, out, err = run("mu-conference:" + MUC_DIR, config("mem", "memory"))
    rooms, _, errors, summary = parse(out)
    ok(rc == 1 and summary and "2 rooms" in summary,
       "mucconf into memory: two rooms written, failures still give status 1",
       "rc=%d %s %s" % (rc, summary, err))

    rc, out, err = run("mu-conference:" + os.path.join(TMP, "nowhere"),
                       config("mem", "memory"), dry=True)
    ok(rc == 1 and "rooms.xml" in out and "cannot read" in out,
       "mucconf: a directory without rooms.xml fails and says which file", out + err)


def test_mucconf_into(backend, extra, source_of):
    """Converts the spool into backend and reads every room back through it."""
    name = "mucconf into %s" % backend
    if not module_built(backend):
        skip(name, "the %s backend module is not built" % backend)
        return None
    cfg = config("to-" + backend, backend, extra)
    rc, out, err = run("mu-conference:" + MUC_DIR, cfg)
    ok(rc == 1 and "2 rooms" in (parse(out)[3] or ""),
       "%s: converts (status 1 for the two bad rooms)" % name, out + err)
    rc, rooms, errors, err = readback(source_of)
    ok(rc == 0 and not errors, "%s: reads back through the backend" % name, err)
    same(rooms, MUC_EXPECTED, "%s: every room read back field by field" % name)
    return rooms


# ---------------------------------------------------------------- Palaver 0.6

SCHEMA = """
CREATE TABLE muc_users (id INTEGER PRIMARY KEY, username varchar(255) NOT NULL UNIQUE,
  presence text, resource varchar(255));
CREATE TABLE muc_rooms (id INTEGER PRIMARY KEY, name varchar(255) NOT NULL,
  roomname varchar(255), subject varchar(255), subject_change bool, persistent bool,
  moderated bool, private bool, history int, game bool, invitation bool, invites bool,
  hidden bool, locked bool, subjectlocked bool, description text, leave varchar(255),
  "join" varchar(255), rename varchar(255), maxusers int, privmsg bool, change_nick bool,
  query_occupants bool, hostname varchar(255) NOT NULL, UNIQUE(name, hostname));
CREATE TABLE muc_roomattributess (id INTEGER PRIMARY KEY,
  room_id int REFERENCES muc_rooms(id) ON DELETE CASCADE, key varchar(255), value text,
  UNIQUE(room_id, key));
CREATE TABLE muc_rooms_owners (id INTEGER PRIMARY KEY, room_id int REFERENCES muc_rooms(id)
  ON DELETE CASCADE, user_id int REFERENCES muc_users(id), UNIQUE(room_id, user_id));
CREATE TABLE muc_rooms_admins (id INTEGER PRIMARY KEY, room_id int REFERENCES muc_rooms(id)
  ON DELETE CASCADE, user_id int REFERENCES muc_users(id), UNIQUE(room_id, user_id));
CREATE TABLE muc_rooms_members (id INTEGER PRIMARY KEY, room_id int REFERENCES muc_rooms(id)
  ON DELETE CASCADE, user_id int REFERENCES muc_users(id), UNIQUE(room_id, user_id));
CREATE TABLE muc_rooms_outcasts (id INTEGER PRIMARY KEY, room_id int REFERENCES muc_rooms(id)
  ON DELETE CASCADE, user_id int REFERENCES muc_users(id), reason varchar(255),
  UNIQUE(room_id, user_id));
CREATE TABLE muc_rooms_roster (id INTEGER PRIMARY KEY, room_id int REFERENCES muc_rooms(id)
  ON DELETE CASCADE, user_id int, role varchar(55), affiliation varchar(55),
  nick varchar(255), show varchar(255), status varchar(255), legacy bool,
  UNIQUE(room_id, user_id));
"""
PLAYERS = """
CREATE TABLE muc_rooms_players (id INTEGER PRIMARY KEY, room_id int REFERENCES muc_rooms(id)
  ON DELETE CASCADE, user_id int REFERENCES muc_users(id), UNIQUE(room_id, user_id));
"""
DATA = """
INSERT INTO muc_users (id, username) VALUES (1, 'alice@example.org'),
  (2, 'bob@example.org/Home'), (3, 'kasparov@example.org'), (4, 'troll@example.org');
INSERT INTO muc_rooms VALUES (1, 'Chess', 'Chess Club', 'e4', NULL, 1, 0, 0, NULL, 1, 0, 1,
  1, 1, 0, 'Games', '', 'hi', '', 0, 0, 1, 0, 'chat.example');
INSERT INTO muc_rooms VALUES (2, 'lounge', 'Lounge', '', 't', 't', 'f', 't', 10, 'f', 'f', 't',
  'f', 'f', 'f', 'Sit down', 'bye', '', '', 30, 't', 't', 'f', 'chat.example');
INSERT INTO muc_rooms VALUES (3, 'Lounge', 'Other lounge', '', 1, 1, 0, 1, 10, 0, 0, 1,
  0, 0, 0, 'Elsewhere', '', '', '', 30, 1, 1, 0, 'other.example');
INSERT INTO muc_rooms_owners (room_id, user_id) VALUES (1, 1), (2, 1);
INSERT INTO muc_rooms_admins (room_id, user_id) VALUES (2, 2);
INSERT INTO muc_rooms_members (room_id, user_id) VALUES (2, 3);
INSERT INTO muc_rooms_outcasts (room_id, user_id, reason) VALUES (2, 4, 'trolling');
INSERT INTO muc_rooms_roster (room_id, user_id, role, affiliation, nick)
  VALUES (1, 1, 'moderator', 'owner', 'ghost');
"""
ATTRS = """
INSERT INTO muc_roomattributess (room_id, key, value) VALUES
  (1, 'privacy', 'I01
.'),
  (1, 'message_size', 'I500
.'),
  (1, 'logroom', 'S''0''
p1
.'),
  (1, 'weird', '(dp0
.'),
  (2, 'leave', 'Vbye \\u00e9
p0
.'),
  (2, 'FORM_TYPE', 'Vhttp://jabber.org/protocol/muc#roomconfig
p0
.'),
  (2, 'ignore_player', 'I01
.');
"""
PLAYER_ROWS = """
INSERT INTO muc_rooms_players (room_id, user_id) VALUES (1, 3), (1, 99);
"""

P06_EXPECTED = {
    "chess": {
        "config": {
            "roomname": "Chess Club", "subject": "e4", "changesubject": "0",
            "persistent": "1", "moderated": "0", "whois": "anyone", "history": "30",
            "game": "1", "membersonly": "0", "allowinvites": "1", "public": "0",
            "roomdesc": "Games", "leave": "", "join": "hi", "rename": "", "maxusers": "0",
            "allowpm": "none", "changenick": "1", "privacy": "1", "message_size": "500",
            "logroom": "0",
        },
        "affs": {"alice@example.org": ("owner", None), "kasparov@example.org": ("player", None)},
        "nicks": {},
    },
    "lounge": {
        "config": {
            "roomname": "Lounge", "subject": "", "changesubject": "1", "persistent": "1",
            "moderated": "0", "whois": "moderators", "history": "10", "game": "0",
            "membersonly": "0", "allowinvites": "1", "public": "1",
            "roomdesc": "Sit down", "leave": "bye \u00e9", "join": "", "rename": "",
            "maxusers": "30", "allowpm": "anyone", "changenick": "1", "ignore_player": "1",
        },
        "affs": {
            "alice@example.org": ("owner", None), "bob@example.org": ("admin", None),
            "kasparov@example.org": ("member", None),
            "troll@example.org": ("outcast", "trolling"),
        },
        "nicks": {},
    },
}


def sqlite_db(name, sql):
    path = os.path.join(TMP, name)
    p = subprocess.run(["sqlite3", path], input=sql, universal_newlines=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError("sqlite3: " + p.stderr)
    return path


def test_palaver06():
    if not shutil.which("sqlite3"):
        skip("palaver06-sqlite", "the sqlite3 command is not installed")
        return None
    db = sqlite_db("palaver06.db", SCHEMA + PLAYERS + DATA + ATTRS + PLAYER_ROWS)
    rc, out, err = run("palaver06-sqlite:" + db, config("mem", "memory"), dry=True)
    rooms, skipped, errors, summary = parse(out)
    ok(rc == 0 and not errors, "palaver06-sqlite dry run: succeeds", out + err)
    for name in P06_EXPECTED:
        for part in ("config", "affs"):
            same(rooms.get(name, {}).get(part), P06_EXPECTED[name][part],
                 "palaver06-sqlite: room %s %s mapped field by field" % (name, part))
    ok(set(rooms) == {"chess", "lounge"}, "palaver06-sqlite: rooms keep their (lower-cased) node",
       repr(sorted(rooms)))
    ok(any("room lounge: row:" in s and "other.example" in s for s in skipped),
       "palaver06-sqlite: a second room with the same name on another host is reported",
       repr(skipped))
    ok(any("room chess: locked:" in s for s in skipped),
       "palaver06-sqlite: locked=1 is reported as not converted", repr(skipped))
    ok(any("room lounge: FORM_TYPE:" in s for s in skipped),
       "palaver06-sqlite: FORM_TYPE attribute is reported as not converted", repr(skipped))
    ok(any("room chess: weird:" in s and "pickle" in s for s in skipped),
       "palaver06-sqlite: an unreadable pickle is reported", repr(skipped))
    ok(any("muc_rooms_players" in s and "user 99" in s for s in skipped),
       "palaver06-sqlite: a player whose user is missing is reported", repr(skipped))
    ok(any("muc_rooms_roster" in s and "1 live occupant" in s for s in skipped),
       "palaver06-sqlite: the persisted live roster is reported as not converted",
       repr(skipped))
    ok(summary and "2 rooms, 6 list entries, 0 nicks" in summary and "0 failures" in summary
       and "%d items skipped" % len(skipped) in summary,
       "palaver06-sqlite: summary", summary)

    # A database without muc_rooms_players and muc_roomattributess (older schema).
    old = sqlite_db("palaver06-old.db", SCHEMA.replace("CREATE TABLE muc_roomattributess",
                                                       "CREATE TABLE unused_attrs") + DATA)
    rc, out, err = run("palaver06-sqlite:" + old, config("mem", "memory"), dry=True)
    rooms, skipped, errors, summary = parse(out)
    ok(rc == 1, "palaver06-sqlite: missing tables give exit status 1", "rc=%d" % rc)
    ok(any("table muc_rooms_players" in e and "no such table" in e for e in errors) and
       any("table muc_roomattributess" in e for e in errors),
       "palaver06-sqlite: each missing table is named", repr(errors))
    ok(set(rooms) == {"chess", "lounge"} and
       rooms["lounge"]["affs"] == P06_EXPECTED["lounge"]["affs"],
       "palaver06-sqlite: the rest still converts when tables are missing", repr(rooms))

    rc, out, err = run("palaver06-sqlite:" + os.path.join(TMP, "absent.db"),
                       config("mem", "memory"), dry=True)
    ok(rc == 1 and "absent.db" in out, "palaver06-sqlite: a missing database file fails",
       out + err)
    return db


def test_palaver06_into(backend, extra, source_of, db):
    name = "palaver06-sqlite into %s" % backend
    if not db or not module_built(backend):
        skip(name, "the %s backend module is not built" % backend)
        return
    cfg = config("p06-to-" + backend, backend, extra)
    rc, out, err = run("palaver06-sqlite:" + db, cfg)
    ok(rc == 0, "%s: converts" % name, out + err)
    rc, rooms, errors, err = readback(source_of)
    ok(rc == 0 and not errors, "%s: reads back through the backend" % name, err)
    same(rooms, P06_EXPECTED, "%s: every room read back field by field, players included"
         % name)


# ---------------------------------------------------------------- Palaver 0.6 on PostgreSQL

PG_BIN = "/usr/lib/postgresql/15/bin"


def pg_tool(name):
    for d in (os.environ.get("PG_BINDIR", ""), PG_BIN):
        if d and os.access(os.path.join(d, name), os.X_OK):
            return os.path.join(d, name)
    return shutil.which(name)


def as_server_user(cmd):
    """PostgreSQL refuses to run as root: use nobody then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "nobody", "--"] + cmd
    return cmd


def start_pgsql():
    """A private PostgreSQL on a Unix socket in TMP; its conninfo or None."""
    initdb, pg_ctl = pg_tool("initdb"), pg_tool("pg_ctl")
    if not initdb or not pg_ctl or not shutil.which("psql"):
        return None, "initdb, pg_ctl or psql not installed"
    d = os.path.join(TMP, "pg")
    os.makedirs(d)
    if os.geteuid() == 0:
        os.chown(TMP, 65534, -1)
        os.chown(d, 65534, -1)
    port = str(50000 + os.getpid() % 10000)
    p = subprocess.run(as_server_user([initdb, "-D", d + "/data", "-A", "trust", "-U", "pv",
                                       "--no-sync"]),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if p.returncode != 0:
        return None, "initdb failed: " + p.stdout[-300:]
    p = subprocess.run(as_server_user([pg_ctl, "-D", d + "/data", "-l", d + "/log", "-w", "-o",
                                       "-k %s -c listen_addresses= -p %s -F" % (d, port),
                                       "start"]),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if p.returncode != 0:
        return None, "pg_ctl start failed: " + p.stdout[-300:]
    return "host=%s port=%s user=pv dbname=postgres" % (d, port), None


def stop_pgsql():
    d = os.path.join(TMP, "pg")
    if os.path.exists(os.path.join(d, "data", "postmaster.pid")):
        subprocess.run(as_server_user([pg_tool("pg_ctl"), "-D", d + "/data", "-m", "immediate",
                                       "stop"]), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


PG = {}


def test_palaver06_pgsql():
    name = "palaver06-pgsql"
    conninfo, why = start_pgsql()
    PG["conninfo"], PG["why"] = conninfo, why
    if not conninfo:
        skip(name, why)
        return
    # The same schema and rows in PostgreSQL's dialect: serial keys, quoted
    # literals (PostgreSQL reads '1'/'0' as booleans), and no foreign key to
    # muc_users (so that the dangling player row can exist, as in SQLite).
    import re
    schema = SCHEMA + PLAYERS
    schema = schema.replace("INTEGER PRIMARY KEY", "serial PRIMARY KEY")
    schema = schema.replace(" REFERENCES muc_users(id)", "")
    data = re.sub(r"(?<=[(, ])(\d+)(?=[,)])", r"'\1'", DATA + ATTRS + PLAYER_ROWS)
    p = subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-q", conninfo],
                       input=schema + data, universal_newlines=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        ok(False, "%s: fixture loads" % name, p.stderr)
        return
    rc, out, err = run("palaver06-pgsql:" + conninfo, config("mem", "memory"), dry=True)
    if rc != 0 and "built without libpq" in out:
        skip(name, "palaver-migrate was built without libpq")
        return
    rooms, skipped, errors, summary = parse(out)
    ok(rc == 0 and not errors, "%s dry run: succeeds" % name, out + err)
    for room in P06_EXPECTED:
        for part in ("config", "affs"):
            same(rooms.get(room, {}).get(part), P06_EXPECTED[room][part],
                 "%s: room %s %s mapped field by field" % (name, room, part))
    ok(any("muc_rooms_players" in s and "user 99" in s for s in skipped),
       "%s: a player whose user is missing is reported" % name, repr(skipped))
    subprocess.run(["psql", "-q", conninfo, "-c", "DROP TABLE muc_rooms_players"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rc, out, err = run("palaver06-pgsql:" + conninfo, config("mem", "memory"), dry=True)
    rooms, skipped, errors, summary = parse(out)
    ok(rc == 1 and any("table muc_rooms_players" in e for e in errors) and
       set(rooms) == {"chess", "lounge"},
       "%s: a missing table is named and the rest still converts" % name, out)
    rc, out, err = run("palaver06-pgsql:host=%s port=1 user=pv" % os.path.join(TMP, "nopg"),
                       config("mem", "memory"), dry=True)
    ok(rc == 1 and "cannot connect" in out, "%s: an unreachable server fails" % name, out)


def test_pgsql_backend(db):
    """Palaver 0.6 into the pgsql backend (asynchronous completions), read
    back through it, then pgsql -> sqlite with nothing lost."""
    name = "pgsql backend"
    if not module_built("pgsql") or not module_built("sqlite") or not db:
        skip(name, "the pgsql or sqlite backend module is not built")
        return
    if not PG.get("conninfo"):
        skip(name, PG.get("why") or "no PostgreSQL server")
        return
    base = PG["conninfo"]
    p = subprocess.run(["psql", "-q", base, "-c", "CREATE DATABASE pvtarget"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    if p.returncode != 0:
        ok(False, "%s: target database created" % name, p.stderr)
        return
    conninfo = base.replace("dbname=postgres", "dbname=pvtarget")
    cfg = config("to-pgsql", "pgsql", "<conninfo>%s</conninfo>" % conninfo)
    rc, out, err = run("palaver06-sqlite:" + db, cfg)
    ok(rc == 0, "palaver06-sqlite into pgsql: converts", out + err)
    rc, rooms, errors, err = readback("pgsql:" + conninfo)
    ok(rc == 0 and not errors, "palaver06-sqlite into pgsql: reads back through the backend",
       err)
    same(rooms, P06_EXPECTED, "palaver06-sqlite into pgsql: every room read back field by field")
    dst = os.path.join(TMP, "from-pgsql.db")
    rc, out, err = run("pgsql:" + conninfo,
                       config("pg-to-sqlite", "sqlite", "<database>%s</database>" % dst))
    ok(rc == 0 and "2 rooms" in (parse(out)[3] or ""), "pgsql into sqlite: converts", out + err)
    rc, after, errors, err = readback("sqlite:" + dst)
    same(after, P06_EXPECTED, "pgsql into sqlite: nothing lost")


# ---------------------------------------------------------------- backend to backend

def test_backend_to_backend(src_backend, src_extra, src_loc, dst_backend, dst_extra, dst_loc):
    name = "%s into %s" % (src_backend, dst_backend)
    if not module_built(src_backend) or not module_built(dst_backend):
        skip(name, "the %s or %s backend module is not built" % (src_backend, dst_backend))
        return
    # Fill the source from both legacy fixtures.
    src_cfg = config("b2b-src-" + src_backend, src_backend, src_extra)
    run("mu-conference:" + MUC_DIR, src_cfg)
    run("palaver06-sqlite:" + os.path.join(TMP, "palaver06.db"), src_cfg)
    rc0, before, e0, _ = readback(src_loc)
    dst_cfg = config("b2b-dst-" + dst_backend, dst_backend, dst_extra)
    rc, out, err = run(src_loc, dst_cfg)
    ok(rc == 0 and "4 rooms" in (parse(out)[3] or ""), "%s: converts all four rooms" % name,
       out + err)
    rc, after, errors, err = readback(dst_loc)
    ok(rc0 == 0 and rc == 0 and not errors and len(before) == 4,
       "%s: both read back" % name, err)
    same(after, before, "%s: nothing lost (every field, list and nick)" % name)


def test_backend_source_missing():
    name = "backend source"
    if not module_built("sqlite"):
        skip(name, "the sqlite backend module is not built")
        return
    absent = os.path.join(TMP, "absent-source.db")
    rc, out, err = run("sqlite:" + absent, config("mem", "memory"), dry=True)
    ok(rc == 1 and "absent-source.db" in out and not os.path.exists(absent),
       "%s: a sqlite source that does not exist fails and is not created" % name, out + err)
    rc, out, err = run("memory:x", config("mem", "memory"), dry=True)
    ok(rc != 0 and "memory" in err, "%s: memory cannot be a source" % name, out + err)


def main():
    if not os.access(BIN, os.X_OK):
        print("1..0 # SKIP palaver-migrate is not built")
        return 0
    try:
        test_mucconf()
        sq_db = os.path.join(TMP, "target.db")
        spool_dir = os.path.join(TMP, "spool")
        os.makedirs(spool_dir)
        test_mucconf_into("sqlite", "<database>%s</database>" % sq_db, "sqlite:" + sq_db)
        test_mucconf_into("spool", "<spool>%s</spool>" % spool_dir, "spool:" + spool_dir)
        db = test_palaver06()
        test_palaver06_pgsql()
        sq2 = os.path.join(TMP, "target2.db")
        sp2 = os.path.join(TMP, "spool2")
        os.makedirs(sp2)
        test_palaver06_into("sqlite", "<database>%s</database>" % sq2, "sqlite:" + sq2, db)
        test_palaver06_into("spool", "<spool>%s</spool>" % sp2, "spool:" + sp2, db)
        test_pgsql_backend(db)
        a, b, c = (os.path.join(TMP, n) for n in ("b2b-a", "b2b-b.db", "b2b-c.db"))
        os.makedirs(a)
        test_backend_to_backend("spool", "<spool>%s</spool>" % a, "spool:" + a,
                                "sqlite", "<database>%s</database>" % b, "sqlite:" + b)
        test_backend_source_missing()
        test_backend_to_backend("sqlite", "<database>%s</database>" % b, "sqlite:" + b,
                                "sqlite", "<database>%s</database>" % c, "sqlite:" + c)
    finally:
        stop_pgsql()
        shutil.rmtree(TMP, ignore_errors=True)
    print("1..%d" % len(results))
    failed = 0
    for i, (res, name, diag) in enumerate(results, 1):
        if res is None:
            print("ok %d - %s # SKIP %s" % (i, name, diag))
            continue
        print("%s %d - %s" % ("ok" if res else "not ok", i, name))
        if not res:
            failed += 1
            for line in (diag or "").splitlines():
                print("# " + line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
