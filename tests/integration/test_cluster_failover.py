"""tests/integration/test_cluster_failover.py: several palaver instances serve one MUC domain (CLUSTER-1), with real servers, real clients and a private PostgreSQL.

Prosody 0.12 refuses a second connection for a component domain
(`conflict`), so there one instance is active and the other a hot standby
that keeps retrying (<reconnect-max>1</reconnect-max>). Both run muc-core
and the history plugin on the pgsql backend with <cluster> (lease 3 s,
heartbeat 1 s). alice, bob and carol (slixmpp, over c2s) talk in 5
persistent rooms; the active instance is killed with SIGKILL. Within 5 s
the clients send and receive again without rejoining: the standby got the
connection, waited for the dead one's leases to expire, and loaded each
room with its live occupants. Every message reflected before the kill is in
the archive exactly once, nobody was kicked, and every occupant's XEP-0410
self-ping succeeds.

Then PostgreSQL is restarted in the middle of the traffic, down for longer
than the instance may keep its rooms without renewing their leases: the
instance stops serving them, and once the database is back the rooms come
back with their occupants, still owned by exactly one instance.

ejabberd 23.01 with `domain_balancing` (bare_destination, component_number
3) routes each room to one of 3 fixed connections: 3 active instances with
<slots>3</slots> and a standby that connects only when a slot's lease is
free. 30 rooms spread over the slots; one active instance is killed; the
standby connects, takes its place and serves exactly its rooms with their
occupants. A join storm during the move never finds a room served twice
(each room's occupants see one consistent roster), and a configuration
change acknowledged before the kill is still there after it.

Skipped when Prosody/ejabberd or PostgreSQL is not installed.
Run alone: make check TESTS=tests/integration/test_cluster_failover.py
"""

import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

from taptest import run, skip, diag  # noqa: E402
from daemon import Palaver, escape  # noqa: E402
from mucclient import Users, XmppError, NS, q  # noqa: E402
import ejabberd  # noqa: E402
import prosody  # noqa: E402
import pgserver  # noqa: E402
from test_prosody_muc import codes, text, show, join, submit_config  # noqa: E402

DOMAIN = 'muc.localhost'
SECRET = 'cluster-failover-secret'
LEASE, BEAT = 3, 1
ACCOUNTS = ('alice', 'bob', 'carol')
ROOMS = ['talk%d' % i for i in range(5)]
PLUGINS = ['muc-core', 'history']

S = {'pg': None, 'server': None, 'users': None, 'daemons': []}


def room(name):
    return '%s@%s' % (name, DOMAIN)


def pg():
    if S['pg'] is None:
        try:
            S['pg'] = pgserver.PgServer().start()
        except pgserver.Unavailable as e:
            skip(str(e))
    return S['pg']


def instance(port, name, slots=0):
    cluster = ('<cluster><instance>%s</instance><lease-time>%d</lease-time>'
               '<heartbeat>%d</heartbeat>%s</cluster>'
               % (name, LEASE, BEAT, '<slots>%d</slots>' % slots if slots else ''))
    d = Palaver(DOMAIN, SECRET, port, backend='pgsql',
                backend_options='<conninfo>%s</conninfo>' % escape(pg().conninfo),
                plugins=PLUGINS, plugin_config={'muc-core': cluster},
                extra_config='<reconnect-max>1</reconnect-max>')
    S['daemons'].append(d)
    return d.start()


def kill9(d):
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()


def psql(sql):
    p = subprocess.run([os.path.join(pgserver.PGBIN, 'psql'), '-X', '-q', '-t', '-A', '-F', '|',
                        '-d', pg().conninfo, '-c', sql], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    out = p.stdout.decode()
    assert p.returncode == 0, out
    return [line.split('|') for line in out.splitlines() if line]


def login_all(port):
    if S['users'] is None:
        S['users'] = Users(port)
    u = S['users']
    return [u.login('%s@localhost' % a, '%spw' % a) for a in ACCOUNTS]


def groupchat(u, rname, body, id_):
    u.send("<message to='%s' type='groupchat' id='%s'><body>%s</body></message>"
           % (room(rname), id_, body))


def reflected(u, rname, body, start=0):
    return [st for st in u.received[start:] if st.tag == '{jabber:client}message'
            and st.get('type') == 'groupchat' and (st.get('from') or '').startswith(room(rname) + '/')
            and text(st, 'body') == body]


def kicked(users, start):
    """Unavailable presences from any room since the marks in start."""
    out = []
    for u in users:
        out += [st for st in u.received[start[u.jid]:] if st.tag == '{jabber:client}presence'
                and st.get('type') == 'unavailable' and (st.get('from') or '').endswith(
                    '@' + DOMAIN + '/' + (st.get('from') or '').split('/')[-1])]
    return out


def self_ping(u, rname, nick):
    try:
        res = u.iq('%s/%s' % (room(rname), nick), 'get', "<ping xmlns='urn:xmpp:ping'/>")
    except XmppError as e:
        return e.condition
    return 'joined' if res.get('type') == 'result' else 'odd'


def set_up_rooms(users, rooms):
    alice = users[0]
    for r in rooms:
        pres = join(alice, r, 'alice')
        assert 201 in codes(pres), show([pres])
        submit_config(alice, r, {'muc#roomconfig_persistentroom': '1',
                                 'muc#roomconfig_enablelogging': '1'})
        for u in users[1:]:
            pres = join(u, r, u.jid.split('@')[0])
            assert pres.get('type') != 'error', show([pres])


def talk_until_back(users, rname, tag, timeout):
    """Sends a message every 0.25 s from users[0] until one is reflected to
    every user; returns the seconds it took."""
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < timeout:
        body = '%s-%d' % (tag, n)
        start = {u.jid: u.mark() for u in users}
        groupchat(users[0], rname, body, 'back-%s-%d' % (tag, n))
        end = time.monotonic() + 0.25
        while time.monotonic() < end:
            if all(reflected(u, rname, body, start[u.jid]) for u in users):
                return time.monotonic() - t0
            S['users'].sleep(0.02)
        n += 1
    raise AssertionError('no message went through %s within %d s' % (rname, timeout))


def stop_all():
    for d in S['daemons']:
        if d.running():
            try:
                d.stop()
            except AssertionError as e:
                diag(str(e)[:2000])
    S['daemons'] = []
    if S['users'] is not None:
        S['users'].close()
        S['users'] = None
    if S['server'] is not None:
        S['server'].cleanup()
        S['server'] = None


# ---- Prosody: a hot standby -------------------------------------------------

def prosody_rig():
    if not prosody.available():
        skip('prosody is not installed')
    pg()
    s = prosody.Prosody(components={DOMAIN: SECRET})
    S['server'] = s
    s.start()
    for a in ACCOUNTS:
        s.register(a, '%spw' % a)
    return s


def test_cluster_prosody_hot_standby_takes_over_after_kill_9():
    server = prosody_rig()
    try:
        a = instance(server.component_port, 'a')
        a.wait_output('stream: connected to', 20)
        b = instance(server.component_port, 'b')
        b.wait_output('conflict', 20)     # Prosody refuses the second connection
        users = login_all(server.c2s_port)
        set_up_rooms(users, ROOMS)
        start = {u.jid: u.mark() for u in users}
        sent = []
        for i in range(40):
            u = users[i % 3]
            r = ROOMS[i % len(ROOMS)]
            body = 'before-%d' % i
            groupchat(u, r, body, 'b%d' % i)
            sent.append((r, body))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not all(
                reflected(users[0], r, body, start[users[0].jid]) for r, body in sent):
            S['users'].sleep(0.05)
        before = [(r, body) for r, body in sent if reflected(users[0], r, body, start[users[0].jid])]
        assert len(before) == len(sent), 'not every message was reflected before the kill'
        kill9(a)
        took = talk_until_back(users, ROOMS[0], 'after', 10)
        diag('first delivery %.2f s after the kill' % took)
        assert took < 5, 'the standby served again only after %.1f s' % took
        for r in ROOMS[1:]:
            talk_until_back(users, r, 'after-' + r, 10)
        for r in ROOMS:
            for u in users:
                assert self_ping(u, r, u.jid.split('@')[0]) == 'joined', (r, u.jid)
        gone = kicked(users, start)
        assert not gone, 'kicked: ' + show(gone)
        assert 'live occupants restored' in b.output(), b.output()[-3000:]
        # the archive holds every message reflected before the kill, once
        rows = psql("SELECT r.name, a.xml FROM archive a JOIN rooms r ON r.id = a.room_id")
        for r, body in before:
            n = sum(1 for name, xml in rows if name == r and '>%s<' % body in xml)
            assert n == 1, '%s in %s archived %d times' % (body, r, n)
        holders = psql("SELECT room, holder FROM leases WHERE room LIKE 'talk%'")
        assert {h[1] for h in holders} == {'b'}, holders
        S['prosody_b'] = b
    except BaseException:
        stop_all()
        raise


def test_cluster_prosody_postgresql_restart_rooms_recover():
    b = S.get('prosody_b')
    if b is None or S['users'] is None:
        skip('the hot-standby test did not leave its rig')
    users = S['users'].users
    try:
        talk_until_back(users, ROOMS[1], 'pre-restart', 10)
        data = os.path.join(pg().dir, 'data')
        pg()._cmd(['pg_ctl', '-D', data, '-m', 'fast', '-w', 'stop'], 'pg_ctl.log')
        b.wait_output('is no longer served here: its lease could not be renewed in time', 15)
        pg()._cmd(['pg_ctl', '-D', data, '-l', os.path.join(pg().dir, 'server.log'), '-w',
                   '-t', '60', '-o', '-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off'
                   % (pg().port, pg().dir), 'start'], 'pg_ctl.log')
        for r in ROOMS:
            talk_until_back(users, r, 'post-restart-' + r, 20)
        for r in ROOMS:
            for u in users:
                assert self_ping(u, r, u.jid.split('@')[0]) == 'joined', (r, u.jid)
        holders = psql("SELECT room, holder FROM leases WHERE room LIKE 'talk%'")
        assert sorted(h[0] for h in holders) == sorted(ROOMS), holders
        assert {h[1] for h in holders} == {'b'}, holders
    finally:
        stop_all()


# ---- ejabberd: fixed slots, three active instances and a standby ----------

SLOTS = 3
EROOMS = ['slot%02d' % i for i in range(50)]


class SlottedEjabberd(ejabberd.Ejabberd):
    """ejabberd.py's instance with DOMAIN routed to SLOTS fixed connections
    by the room's bare JID (domain_balancing, bare_destination)."""

    def __init__(self):
        super().__init__(components={DOMAIN: SECRET})

    def config(self):
        return super().config() + (
            'domain_balancing:\n  %s:\n    type: bare_destination\n'
            '    component_number: %d\n' % (ejabberd.yaml_str(DOMAIN), SLOTS))


def holders(rooms):
    rows = psql("SELECT room, holder FROM leases WHERE room NOT LIKE ':%'")
    return {r: h for r, h in rows if r in rooms}


def join_storm(u, rooms, nick, timeout=20, start=None):
    """u joins every room at once (joins already sent since mark `start`
    count); joins that got no answer (a slot nobody holds: ejabberd drops
    them silently) are sent again every second. Returns {room: the
    self-presence} and the mark."""
    start = u.mark() if start is None else start
    answered = {}
    t0 = time.monotonic()
    while len(answered) < len(rooms):
        assert time.monotonic() - t0 < timeout, 'no self-presence from %s' % sorted(
            set(rooms) - set(answered))
        for r in rooms:
            if r not in answered:
                u.send("<presence to='%s/%s'><x xmlns='%s'/></presence>" % (room(r), nick, NS['muc']))
        end = time.monotonic() + 1.0
        while time.monotonic() < end and len(answered) < len(rooms):
            for st in u.received[start:]:
                f = st.get('from') or ''
                r = f.split('@')[0]
                if (st.tag == '{jabber:client}presence' and f == '%s/%s' % (room(r), nick)
                        and r in rooms and r not in answered
                        and (110 in codes(st) or st.get('type') == 'error')):
                    answered[r] = st
            S['users'].sleep(0.05)
    return answered, start


def test_cluster_ejabberd_standby_takes_the_dead_slot_and_its_rooms():
    if not ejabberd.available():
        skip('ejabberd is not installed')
    pg()
    server = SlottedEjabberd()
    S['server'] = server
    try:
        server.start()
        for a in ACCOUNTS:
            server.register(a, '%spw' % a)
        actives = [instance(server.component_port, 'e%d' % i, slots=SLOTS) for i in (1, 2, 3)]
        for d in actives:
            d.wait_output('stream: connected to', 30)
        standby = instance(server.component_port, 'spare', slots=SLOTS)
        standby.wait_output('waiting as a standby', 20)
        assert 'stream: connected to' not in standby.output(), standby.output()[-2000:]
        users = login_all(server.c2s_port)
        alice, bob, carol = users
        for r in EROOMS:
            pres = join(alice, r, 'alice')
            assert 201 in codes(pres), show([pres])
            submit_config(alice, r, {'muc#roomconfig_persistentroom': '1'})
            pres = join(bob, r, 'bob')
            assert pres.get('type') != 'error', show([pres])
        owners = holders(EROOMS)
        assert sorted(owners) == sorted(EROOMS), owners
        spread = {d: [r for r, h in owners.items() if h == d] for d in ('e1', 'e2', 'e3')}
        diag('rooms per instance: %s' % {d: len(rs) for d, rs in spread.items()})
        assert all(spread.values()), 'a slot got no room: %s' % spread
        victim = max(spread, key=lambda d: len(spread[d]))
        moved = spread[victim]
        # a configuration change acknowledged before the kill
        for r in moved:
            res = submit_config(alice, r, {'muc#roomconfig_roomname': 'Renamed %s' % r})
            assert res.get('type') == 'result', show([res])
        kill9(actives[int(victim[1]) - 1])
        t0 = time.monotonic()
        storm = carol.mark()
        for r in EROOMS:    # the join storm, during the move
            carol.send("<presence to='%s/carol'><x xmlns='%s'/></presence>" % (room(r), NS['muc']))
        took = talk_until_back([alice, bob], moved[0], 'moved', 15)
        diag('the dead slot served again %.2f s after the kill' % took)
        assert took < 5, 'the standby served the dead slot after %.1f s' % took
        answered, start = join_storm(carol, EROOMS, 'carol', start=storm)
        for r, st in answered.items():
            assert st.get('type') != 'error' and 201 not in codes(st), (r, show([st]))
            roster = {(x.get('from') or '').split('/')[-1] for x in carol.received[start:]
                      if x.tag == '{jabber:client}presence'
                      and (x.get('from') or '').startswith(room(r) + '/')}
            assert {'alice', 'bob', 'carol'} <= roster, (r, roster)
        after = holders(EROOMS)
        assert sorted(r for r, h in after.items() if h == 'spare') == sorted(moved), after
        assert all(after[r] == owners[r] for r in EROOMS if r not in moved), after
        assert 'holds slot' in standby.output(), standby.output()[-2000:]
        for r in moved:
            res = alice.iq(room(r), 'get', "<query xmlns='%s'/>" % NS['info'])
            ident = res.find(q('info:query')).find(q('info:identity'))
            assert ident.get('name') == 'Renamed %s' % r, (r, ident.get('name'))
            for u in users:
                assert self_ping(u, r, u.jid.split('@')[0]) == 'joined', (r, u.jid)
        gone = kicked(users, {u.jid: 0 for u in users})
        assert not gone, 'kicked: ' + show(gone)
    finally:
        stop_all()


def teardown():
    stop_all()
    if S['pg'] is not None:
        S['pg'].stop()
        S['pg'] = None


def _interrupted(*_):
    raise KeyboardInterrupt('SIGTERM')


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        run(globals())
    finally:
        teardown()
