"""CLUSTER-1: several instances serve one MUC domain through one PostgreSQL
database. Each instance here has its own fake router (the tests play the
XMPP server's routing by choosing where to send). A room is served by one
instance at a time, held by a lease; another instance that receives a
stanza for it asks the holder, which stores the room's live occupants and
gives it up; after a kill -9 the lease expires and another instance takes
the room over with its occupants, who go on talking without rejoining.
<cluster> without the pgsql backend is refused at start-up with the file,
the line and the fix. Run by tests/backends/test_cluster_pgsql.sh, which
starts a private PostgreSQL and sets PALAVER_PGSQL_CONNINFO.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from backendutil import StoreMUC, escape, tostring  # noqa: E402
from fakerouter import Router  # noqa: E402
from mucutil import NS, occ, room_jid, is_presence, is_message, body_of, describe  # noqa: E402
from taptest import run, skip_all  # noqa: E402

CONNINFO = os.environ.get('PALAVER_PGSQL_CONNINFO')
if not CONNINFO:
    skip_all('PALAVER_PGSQL_CONNINFO is not set (run test_cluster_pgsql.sh)')

BACKEND = '<backend><type>pgsql</type><conninfo>%s</conninfo></backend>' % escape(CONNINFO)
A, B, C = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@localhost/x'
PING = "<ping xmlns='urn:xmpp:ping'/>"
LEASE = 2   # seconds: short, so that a dead instance's rooms move quickly here


def instance(name, check_timeout=0, slots=0, connect=True):
    cfg = ('<cluster><instance>%s</instance><lease-time>%d</lease-time>'
           '<heartbeat>1</heartbeat>%s</cluster>'
           '<restart-check-timeout>%d</restart-check-timeout>'
           % (name, LEASE, '<slots>%d</slots>' % slots if slots else '', check_timeout))
    m = StoreMUC('pgsql', backend_xml=BACKEND, muc_config=cfg, start=False)
    m.r.start(accept=connect)
    if connect:
        m.r.wait_log('stream: connected to ')
    return m


def log_of(m):
    return '\n'.join(l for l in m.r.stderr().splitlines() if ' DEBUG core: ' not in l)[-5000:]


def wait_log(m, text, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if text in m.r.stderr():
            return
        time.sleep(0.05)
    raise AssertionError('%r not logged:\n%s' % (text, log_of(m)))


def set_up_room(m, room):
    """alice owns a persistent room; bob is in it, away."""
    m.create(A, room, 'alice', {'persistentroom': 1, 'whois': 'anyone'})
    m.join(B, room, 'bob', extra='<show>away</show><status>brb</status>')


def reflected_to(got):
    return sorted(s.get('to') for s in got if is_message(s))


def self_ping(m, frm, room, nick):
    return m.iq(frm, occ(room, nick), 'get', PING, id_='sp')


def test_cluster_1_refused_without_pgsql():
    """<cluster> with the sqlite backend: the daemon does not start, and says
    which file and line, and what to do."""
    r = Router(domain='muc.localhost', backend='sqlite', plugins=['muc-core'],
               plugin_config={'muc-core': '<cluster><instance>a</instance></cluster>'},
               start=False)
    try:
        r.start(accept=False)
        rc = r.proc.wait(timeout=20)
        err = r.stderr()
        assert rc != 0, 'started with <cluster> on sqlite:\n' + err
        assert 'palaver.xml:' in err and 'needs the pgsql backend' in err, err
        assert "not 'sqlite'" in err, err
    finally:
        r._cleanup()


def test_cluster_2_holder_gives_the_room_up_when_asked():
    """Instance b receives a stanza for a room a serves: b asks a, a stores
    the occupants and releases the room, b loads it with them; the message
    reaches alice and bob through b, nobody rejoined or was kicked."""
    a = instance('a')
    b = instance('b')
    try:
        set_up_room(a, 'handover')
        got = a.groupchat(A, 'handover', 'before')
        assert reflected_to(got) == [A, B], describe(got)
        got = b.groupchat(A, 'handover', 'after the move')
        assert reflected_to(got) == [A, B], describe(got) + '\n' + log_of(b)
        assert all(body_of(s) == 'after the move' for s in got if is_message(s)), describe(got)
        assert not [s for s in got if is_presence(s)], 'presence at the move:\n' + describe(got)
        wait_log(a, 'room handover@muc.localhost is no longer served here: another instance '
                 'asked for it')
        assert 'room handover@muc.localhost: 2 of 2 live occupants restored' in b.r.stderr(), \
            log_of(b)
        # bob is still bob on b: his self-ping succeeds, his presence is kept
        res = self_ping(b, B, 'handover', 'bob')
        assert res.get('type') == 'result', tostring(res)
        b.presence(C, occ('handover', 'carol'), body="<x xmlns='%s'/>" % NS['muc'])
        got = b.collect()
        bob = [s for s in got if is_presence(s) and s.get('to') == C
               and s.get('from') == occ('handover', 'bob')]
        assert bob and bob[0].findtext('{*}show') == 'away', describe(got)
        a.nothing()   # a said nothing to anybody when it gave the room up
    finally:
        a.stop()
        b.stop()


def test_cluster_3_kill_9_the_room_moves_with_its_occupants():
    """kill -9 of the instance serving a room: once its lease expired, the
    other instance serves the room with its occupants (no rejoin, no kick):
    messages reach everybody and self-ping succeeds."""
    a = instance('a')
    b = instance('b')
    try:
        set_up_room(a, 'survivor')
        a.join(C, 'survivor', 'carol')
        a.presence(C, occ('survivor', 'carol'), body='<show>dnd</show>')   # a later change
        a.collect()
        time.sleep(0.3)    # stored at the end of the iteration; the kill comes after
        a.r.proc.kill()
        a.r.proc.wait()
        t0 = time.monotonic()
        b.send("<message type='groupchat' id='m1' from='%s' to='%s'><body>anyone here?</body>"
               "</message>" % (B, room_jid('survivor')))
        got = b.r.collect(quiet=0.5, first=LEASE + 3)
        took = time.monotonic() - t0
        assert reflected_to(got) == [A, B, C], describe(got) + '\n' + log_of(b)
        assert not [s for s in got if is_presence(s) and s.get('type') == 'unavailable'], \
            describe(got)
        assert took < LEASE + 3, 'the room came back after %.1f s' % took
        for frm, nick in ((A, 'alice'), (B, 'bob'), (C, 'carol')):
            res = self_ping(b, frm, 'survivor', nick)
            assert res.get('type') == 'result', '%s: %s' % (nick, tostring(res))
        b.presence('dave@localhost/d', occ('survivor', 'dave'), body="<x xmlns='%s'/>" % NS['muc'])
        got = b.collect()
        carol = [s for s in got if is_presence(s) and s.get('to') == 'dave@localhost/d'
                 and s.get('from') == occ('survivor', 'carol')]
        assert carol and carol[0].findtext('{*}show') == 'dnd', describe(got)
    finally:
        try:
            a.r._cleanup()
        except Exception:
            pass
        b.stop()


def test_cluster_4_leaving_is_stored_too():
    """A departure is stored: after a handover the occupant who left is not
    brought back, and one who changed nick comes back under the new one."""
    a = instance('a')
    b = instance('b')
    try:
        set_up_room(a, 'leavers')
        a.join(C, 'leavers', 'carol')
        a.leave(B, 'leavers', 'bob')
        a.presence(C, occ('leavers', 'caroline'), body='')   # nick change
        a.collect()
        got = b.groupchat(A, 'leavers', 'who is left?')
        assert reflected_to(got) == [A, C], describe(got) + '\n' + log_of(b)
        res = self_ping(b, C, 'leavers', 'caroline')
        assert res.get('type') == 'result', tostring(res)
        res = self_ping(b, B, 'leavers', 'bob')
        assert res.get('type') == 'error', tostring(res)
    finally:
        a.stop()
        b.stop()


def test_cluster_5_clean_stop_hands_rooms_over_at_once():
    """A clean stop gives every lease back: the next instance serves the
    room at once (no lease to wait for), with its occupants."""
    a = instance('a')
    b = instance('b')
    try:
        set_up_room(a, 'handed')
        a.stop()
        t0 = time.monotonic()
        got = b.groupchat(A, 'handed', 'quick?')
        took = time.monotonic() - t0
        assert reflected_to(got) == [A, B], describe(got) + '\n' + log_of(b)
        assert took < 1.5, 'waited %.1f s for a released lease' % took
    finally:
        b.stop()


def test_cluster_6_slots_a_standby_connects_only_when_a_place_frees():
    """<slots>1</slots>: the first instance takes the slot and connects; the
    second waits without connecting (a server such as ejabberd would give a
    connection beyond its slots nothing); after a kill -9 of the first, the
    second takes the slot once its lease expired, connects and serves the
    room with its occupants."""
    a = instance('a', slots=1)
    b = instance('b', slots=1, connect=False)
    try:
        wait_log(a, 'cluster instance a holds slot 1 of 1: connecting')
        set_up_room(a, 'slotted')
        wait_log(b, 'cluster instance b: all 1 slots are held (the last by a): waiting as a standby')
        b.r.listener.settimeout(0.5)
        try:
            b.r.listener.accept()
            raise AssertionError('the standby connected while the slot was held')
        except OSError:
            pass
        a.r.proc.kill()
        a.r.proc.wait()
        t0 = time.monotonic()
        b.r.conn = b.r.wait_connection(timeout=LEASE + 5)
        took = time.monotonic() - t0
        assert took < LEASE + 2.5, 'the standby connected %.1f s after the kill' % took
        assert 'cluster instance b holds slot 1 of 1: connecting' in b.r.stderr(), log_of(b)
        got = b.groupchat(A, 'slotted', 'the standby serves')
        assert reflected_to(got) == [A, B], describe(got) + '\n' + log_of(b)
    finally:
        try:
            a.r._cleanup()
        except Exception:
            pass
        b.stop()


def test_cluster_7_durable_before_visible_a_join_waits_for_its_record():
    """A join's presences reach nobody before the occupant's record is in
    the database: while another session holds the occupants table locked,
    the joiner gets nothing; once the lock goes, the presence arrives."""
    import subprocess
    a = instance('a')
    psql = subprocess.Popen([os.path.join(os.environ.get('PGBIN', '/usr/lib/postgresql/15/bin'),
                                          'psql'), '-X', '-q', '-t', '-A', '-d', CONNINFO],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        set_up_room(a, 'durable')
        psql.stdin.write("BEGIN; LOCK TABLE occupants IN ACCESS EXCLUSIVE MODE; "
                         "SELECT 'locked';\n")
        psql.stdin.flush()
        assert psql.stdout.readline().strip() == 'locked', 'no lock'
        a.presence(C, occ('durable', 'carol'), body="<x xmlns='%s'/>" % NS['muc'])
        early = a.collect(quiet=1.0)
        assert not early, 'sent before the record was stored:\n' + describe(early)
        psql.stdin.write('ROLLBACK;\n')
        psql.stdin.flush()
        got = a.r.collect(quiet=0.5, first=5)
        own = [s for s in got if is_presence(s) and s.get('to') == C
               and s.get('from') == occ('durable', 'carol')]
        assert own, describe(got)
        assert sorted({s.get('to') for s in got if is_presence(s)
                       and s.get('from') == occ('durable', 'carol')}) == [A, B, C], describe(got)
    finally:
        psql.stdin.close()
        psql.wait(timeout=10)
        a.stop()


if __name__ == '__main__':
    run(globals())
