"""tests/integration/test_prosody_faults.py: faults with real clients through a real Prosody, palaver on sqlite.

Three failures a deployment meets, each checked on the state clients can
observe afterwards:
  - Prosody restarts while several clients are sending into busy persistent
    rooms: palaver (the same process) reconnects by itself, the rooms, their
    configuration and affiliations are intact, and the clients, once logged
    in again, rejoin and talk;
  - palaver restarts while Prosody stays up: after a clean restart
    (SIGTERM, RESTART-1) the clients are still joined: their XEP-0410
    self-ping succeeds, nobody was told of a leave, messages reach them
    without a rejoin, and the room and its configuration are intact; after
    a crash (SIGKILL) nobody is kept: self-ping answers not-acceptable
    (XEP-0410: not joined) and the clients rejoin;
  - palaver is killed (SIGKILL) in the middle of a burst of configuration
    forms and affiliation changes from a real owner: after a restart every
    change the owner received an IQ result for is there.
Skipped only when Prosody is not installed. TAP_ONLY=substring runs some
tests; PALAVER_KEEP_TMP=1 keeps the directories.
"""

import asyncio
import os
import signal
import sys
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

from mucclient import Users, XmppError, NS, q  # noqa: E402
from suite import Suite, prosody_server  # noqa: E402
from test_prosody_muc import (codes, item, text, err, show, join, groupchat,  # noqa: E402
                              message_from, get_config, submit_config,
                              admin_set, ROOMCONFIG)
from slixmpp.exceptions import IqError, IqTimeout  # noqa: E402

DOMAIN = 'muc.localhost'
SECRET = 'muc-faults-secret'
PLUGINS = ['muc-core', 'history', 'disco-extended', 'game-rooms']
ACCOUNTS = ('alice', 'bob', 'carol', 'dave')
AUTH_LINE = 'External component successfully authenticated'

P = D = U = None  # prosody.Prosody, daemon.Palaver, mucclient.Users: see suite.py
SUITE = Suite(globals(), prosody_server(DOMAIN, SECRET), DOMAIN, SECRET, PLUGINS, ACCOUNTS,
              name='faults')
setup, login, logout = SUITE.setup, SUITE.login, SUITE.logout
start_palaver, wait_component = SUITE.start_palaver, SUITE.wait_component


# ---- helpers -------------------------------------------------------------

def new_clients():
    """Drops every client session (they died with Prosody) and opens a new
    loop for the logins that follow."""
    global U
    old, U = U, None
    try:
        old.close()
    except Exception as e:   # noqa: BLE001 - the connections are already gone
        print('# closing the old clients: %r' % (e,), flush=True)
    U = Users(P.c2s_port)


def room(name):
    return '%s@%s' % (name, DOMAIN)


def create(u, rname, nick, config):
    pres = join(u, rname, nick)
    assert pres.get('type') != 'error' and 201 in codes(pres), show([pres])
    submit_config(u, rname, config)
    return pres


def features(res):
    return {f.get('var') for f in res.iter(q('info:feature'))}


def room_info(u, rname):
    res = u.iq(room(rname), 'get', "<query xmlns='%s'/>" % NS['info'])
    ident = res.find(q('info:query')).find(q('info:identity'))
    return ident.get('name'), features(res)


def affiliated(u, rname, aff):
    res = u.iq(room(rname), 'get', "<query xmlns='%s'><item affiliation='%s'/></query>"
               % (NS['admin'], aff))
    return sorted(i.get('jid') for i in res.iter(q('admin:item')))


def self_ping(u, rname, nick):
    """XEP-0410: 'joined' (a result) or the error condition."""
    try:
        res = u.iq('%s/%s' % (room(rname), nick), 'get', "<ping xmlns='urn:xmpp:ping'/>")
    except XmppError as e:
        return e.condition
    assert res.get('type') == 'result', ET.tostring(res, 'unicode')
    return 'joined'


def talk(sender, receiver, rname, snick, body, id_):
    m = receiver.mark()
    groupchat(sender, rname, body, id_)
    got = message_from(receiver, '%s/%s' % (room(rname), snick), m,
                       lambda st: text(st, 'body') == body, what='"%s" in %s' % (body, rname))
    assert got.get('type') == 'groupchat' and got.get('id') == id_, show([got])


def build_iq(u, to, type_, payload):
    iq = u.xmpp.Iq()
    iq['to'] = to
    iq['type'] = type_
    iq.append(ET.fromstring(payload))
    return iq


# ---- Prosody restarts under load ------------------------------------------

BUSY = {
    'busy-one': {'muc#roomconfig_persistentroom': '1', 'muc#roomconfig_roomname': 'Busy One',
                 'muc#roomconfig_roomdesc': 'the first busy room',
                 'muc#roomconfig_passwordprotectedroom': '1',
                 'muc#roomconfig_roomsecret': 'sesame', 'muc#roomconfig_maxusers': '20'},
    'busy-two': {'muc#roomconfig_persistentroom': '1', 'muc#roomconfig_roomname': 'Busy Two',
                 'muc#roomconfig_membersonly': '1', 'muc#roomconfig_moderatedroom': '1',
                 'muc#roomconfig_whois': 'anyone'},
}
PASSWORD = {'busy-one': '<password>sesame</password>', 'busy-two': ''}


def check_busy_rooms(owner):
    """The configuration and affiliations BUSY set up, as the owner reads them."""
    for rname, conf in BUSY.items():
        form = get_config(owner, rname)
        for var, val in conf.items():
            assert form.get(var) == [val] or (val == '1' and form.get(var) == ['true']), \
                '%s: %s is %s, not %s' % (rname, var, form.get(var), val)
    name, feats = room_info(owner, 'busy-one')
    assert name == 'Busy One' and {'muc_persistent', 'muc_passwordprotected'} <= feats, \
        (name, sorted(feats))
    name, feats = room_info(owner, 'busy-two')
    assert name == 'Busy Two' and {'muc_persistent', 'muc_membersonly', 'muc_moderated',
                                   'muc_nonanonymous'} <= feats, (name, sorted(feats))
    assert affiliated(owner, 'busy-two', 'member') == ['bob@localhost', 'carol@localhost']
    assert affiliated(owner, 'busy-two', 'owner') == ['alice@localhost']


def test_prosody_restart_while_rooms_are_busy_palaver_reconnects_rooms_intact_clients_rejoin():
    setup()
    pid = D.proc.pid
    alice, bob, carol = login('alice'), login('bob'), login('carol')
    nicks = {alice: 'Alice', bob: 'Bob', carol: 'Carol'}
    for rname, conf in BUSY.items():
        create(alice, rname, 'Alice', conf)
    admin_set(alice, 'busy-two', "<item jid='bob@localhost' affiliation='member'/>"
                                 "<item jid='carol@localhost' affiliation='member'/>")
    for u in (bob, carol):
        for rname in BUSY:
            pres = join(u, rname, nicks[u], history=PASSWORD[rname])
            assert pres.get('type') != 'error', show([pres])
    talk(bob, alice, 'busy-one', 'Bob', 'before the restart', 'pre-1')

    # Every client keeps sending into both rooms while Prosody goes down.
    sent = {'n': 0}
    stopping = {'done': False}

    async def chatter(u):
        i = 0
        while not stopping['done']:
            for rname in BUSY:
                try:
                    u.send("<message to='%s' type='groupchat' id='%s-%d'><body>load %d</body>"
                           "</message>" % (room(rname), nicks[u], i, i))
                    sent['n'] += 1
                except Exception:   # noqa: BLE001 - the stream is going away
                    pass
            i += 1
            await asyncio.sleep(0.005)

    async def busy_restart():
        tasks = [asyncio.ensure_future(chatter(u)) for u in (alice, bob, carol)]
        await asyncio.sleep(0.5)
        since = P.log_size()
        await U.loop.run_in_executor(None, P.stop)
        stopping['done'] = True
        await asyncio.gather(*tasks, return_exceptions=True)
        return since

    since = U.run(busy_restart(), 60)
    assert sent['n'] > 50, 'the clients sent only %d messages' % sent['n']
    assert D.running() and D.proc.pid == pid, 'palaver died with Prosody:\n' + D.output()[-3000:]
    new_clients()
    P.start()
    # palaver came back by itself (Prosody's own log), the same process
    line = P.wait_log(AUTH_LINE, timeout=60, since=since)
    assert DOMAIN in line, line
    assert D.running() and D.proc.pid == pid, D.output()[-3000:]
    wait_component()

    # The clients log in again (bob with a new resource, alice and carol with
    # the one they had), rejoin, and talk.
    alice, bob, carol = login('alice'), login('bob', 'back'), login('carol')
    nicks = {alice: 'Alice', bob: 'Bob', carol: 'Carol'}
    try:
        check_busy_rooms(alice)
        for u in (alice, bob, carol):
            for rname in BUSY:
                pres = join(u, rname, nicks[u], history=PASSWORD[rname])
                assert pres.get('type') != 'error', show([pres])
                assert 110 in codes(pres) and 201 not in codes(pres), show([pres])
        assert item(join(alice, 'busy-two', 'Alice')).get('affiliation') == 'owner'
        talk(alice, bob, 'busy-one', 'Alice', 'after the restart', 'post-1')
        talk(bob, carol, 'busy-two', 'Bob', 'me too', 'post-2')
        talk(carol, alice, 'busy-two', 'Carol', 'and me', 'post-3')
        # a password is still required by busy-one
        dave = login('dave')
        try:
            pres = join(dave, 'busy-one', 'Dave')
            assert err(pres) == 'not-authorized', show([pres])
            pres = join(dave, 'busy-two', 'Dave')
            assert err(pres) == 'registration-required', show([pres])
        finally:
            logout(dave)
    finally:
        logout(alice, bob, carol)


# ---- palaver restarts: a clean one keeps the clients, a crash does not -------

PINGED = {'muc#roomconfig_persistentroom': '1', 'muc#roomconfig_roomname': 'Pinged',
          'muc#roomconfig_roomdesc': 'self-ping across a restart',
          'muc#roomconfig_allowpm': 'moderators', 'muc#roomconfig_changesubject': '1',
          'muc#roomconfig_maxusers': '7'}


def check_pinged_room(alice, bob, R):
    """The configuration of PINGED, and allowpm=moderators still holds."""
    form = get_config(alice, R)
    for var, val in PINGED.items():
        assert form.get(var) == [val] or (val == '1' and form.get(var) == ['true']), \
            '%s is %s, not %s' % (var, form.get(var), val)
    m = bob.mark()
    bob.send("<message to='%s/Alice' type='chat' id='pm'><body>hi</body></message>" % room(R))
    e = bob.wait(lambda st: st.get('type') == 'error', start=m, what='the PM refusal')
    assert err(e) == 'forbidden', show([e])


def kill_palaver():
    """SIGKILL: no shutdown, nothing saved."""
    global D
    d, D = D, None
    os.kill(d.proc.pid, signal.SIGKILL)
    d.proc.wait()
    try:
        d.stop()        # only collects its output (a sanitizer report would be printed)
    except AssertionError as e:
        print('# ' + str(e).replace('\n', '\n# '), flush=True)
    assert d.proc.returncode == -signal.SIGKILL, d.proc.returncode


def test_restart_1_palaver_clean_restart_keeps_clients_joined_kill_9_makes_them_rejoin():
    global D
    setup()
    R = 'pinged'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice', PINGED)
        join(bob, R, 'Bob')
        # before: both are joined, and the ping says so
        assert self_ping(bob, R, 'Bob') == 'joined'
        assert self_ping(alice, R, 'Alice') == 'joined'
        marks = {alice: alice.mark(), bob: bob.mark()}
        code = D.stop()
        D = None
        assert code == 0, 'palaver exit code %s' % code
        start_palaver()
        wait_component()
        # after a clean restart (RESTART-1) they are still joined: XEP-0410
        # says so, nobody was told of a leave or a join, and messages reach
        # them without a rejoin
        assert self_ping(bob, R, 'Bob') == 'joined'
        assert self_ping(alice, R, 'Alice') == 'joined'
        for u, m in marks.items():
            seen = [st for st in u.since(m) if st.tag == '{jabber:client}presence'
                    and (st.get('from') or '').startswith(room(R))]
            assert not seen, 'presence from the room across a clean restart:\n' + show(seen)
        talk(alice, bob, R, 'Alice', 'still here after the restart', 'kept-1')
        talk(bob, alice, R, 'Bob', 'so am I', 'kept-2')
        # the room and its configuration are intact
        check_pinged_room(alice, bob, R)

        # a crash keeps nobody: not-acceptable means "not joined" (XEP-0410)
        kill_palaver()
        start_palaver()
        wait_component()
        assert self_ping(bob, R, 'Bob') == 'not-acceptable'
        assert self_ping(alice, R, 'Alice') == 'not-acceptable'
        # they rejoin: the room exists (no 201), alice is still its owner
        pres = join(alice, R, 'Alice')
        assert codes(pres) == [110] and item(pres).get('affiliation') == 'owner', show([pres])
        pres = join(bob, R, 'Bob')
        assert codes(pres) == [110] and item(pres).get('affiliation') == 'none', show([pres])
        assert self_ping(bob, R, 'Bob') == 'joined'
        check_pinged_room(alice, bob, R)
        talk(bob, alice, R, 'Bob', 'back again', 'again-1')
    finally:
        logout(alice, bob)


# ---- kill -9 during a burst of configuration changes ------------------------

KILL_AFTER = 120     # acknowledged changes seen before the SIGKILL
BATCH = 8            # IQs written back to back, then a short pause


def burst_payload(i):
    """Change i: a whole config form (even i) or one member grant (odd i)."""
    if i % 2 == 0:
        return ("<query xmlns='%s'><x xmlns='%s' type='submit'>"
                "<field var='FORM_TYPE'><value>%s</value></field>"
                "<field var='muc#roomconfig_roomname'><value>name-%04d</value></field>"
                "<field var='muc#roomconfig_roomdesc'><value>desc-%04d</value></field>"
                "<field var='muc#roomconfig_persistentroom'><value>1</value></field>"
                "</x></query>" % (NS['owner'], NS['data'], ROOMCONFIG, i, i))
    return ("<query xmlns='%s'><item jid='m%04d@localhost' affiliation='member'/></query>"
            % (NS['admin'], i))


def test_kill_9_during_config_burst_keeps_every_acknowledged_change():
    global D
    setup()
    R = 'burst'
    alice = login('alice')
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_persistentroom': '1',
                                   'muc#roomconfig_roomname': 'name-start'})
        outcome = {}          # change number -> 'result', 'error:condition' or 'timeout'
        state = {'sent': 0, 'killed_at': None, 'sent_at_kill': None}

        async def one(i):
            try:
                res = await build_iq(alice, room(R), 'set', burst_payload(i)).send(timeout=5)
                outcome[i] = res['type']
            except IqError as e:
                outcome[i] = 'error:' + e.iq['error']['condition']
            except IqTimeout:
                outcome[i] = 'timeout'

        def acked_count():
            return sum(1 for v in outcome.values() if v == 'result')

        async def burst():
            # The owner keeps sending changes, pipelined, while palaver is
            # killed: the kill lands in the middle of the stream.
            tasks = []
            deadline = time.monotonic() + 30
            while state['killed_at'] is None:
                for _ in range(BATCH):
                    tasks.append(asyncio.ensure_future(one(state['sent'])))
                    state['sent'] += 1
                await asyncio.sleep(0.001)
                if acked_count() >= KILL_AFTER or time.monotonic() > deadline:
                    # one more batch goes out right before the signal, so
                    # the kill never finds the stream drained
                    for _ in range(BATCH):
                        tasks.append(asyncio.ensure_future(one(state['sent'])))
                        state['sent'] += 1
                    await asyncio.sleep(0)          # the tasks write their IQs
                    os.kill(D.proc.pid, signal.SIGKILL)
                    state['killed_at'] = acked_count()
                    state['sent_at_kill'] = state['sent']
            await asyncio.gather(*tasks)

        U.run(burst(), 60)
        d, D = D, None
        d.proc.wait()
        try:
            d.stop()        # only collects its output (a sanitizer report would be printed)
        except AssertionError as e:
            print('# ' + str(e).replace('\n', '\n# '), flush=True)
        assert d.proc.returncode == -signal.SIGKILL, d.proc.returncode
        acked = sorted(i for i, v in outcome.items() if v == 'result')
        others = sorted(set(v for v in outcome.values() if v != 'result'))
        print('# %d changes sent before the kill, %d acknowledged then, %d in the end; the rest: %s'
              % (state['sent_at_kill'], state['killed_at'], len(acked), others), flush=True)
        assert len(acked) >= KILL_AFTER, (len(acked), outcome)
        # Before the last acknowledged change, every other one was refused as
        # a flood, never lost: while a change is being stored the room's
        # next requests wait (at most 100 of them: resource-constraint for
        # the rest, not applied), and with the storage writes of one loop
        # turn committed together a pipelined burst fills that queue.
        gaps = {outcome.get(i) for i in range(max(acked)) if outcome.get(i) != 'result'}
        assert gaps <= {'error:resource-constraint'}, (gaps, acked)
        start_palaver()
        wait_component()
        # XEP-0410: after the crash alice is told she is not joined
        assert self_ping(alice, R, 'Alice') == 'not-acceptable'
        pres = join(alice, R, 'Alice')
        assert codes(pres) == [110] and item(pres).get('affiliation') == 'owner', show([pres])
        form = get_config(alice, R)
        last_form = max(i for i in acked if i % 2 == 0)
        name = (form.get('muc#roomconfig_roomname') or [''])[0]
        desc = (form.get('muc#roomconfig_roomdesc') or [''])[0]
        assert name.startswith('name-') and int(name[5:]) >= last_form, \
            'room name %r; the last acknowledged form set name-%04d' % (name, last_form)
        assert desc == 'desc' + name[4:], (name, desc)    # one form, applied whole
        members = set(affiliated(alice, R, 'member'))
        lost = ['m%04d@localhost' % i for i in acked if i % 2 == 1
                and 'm%04d@localhost' % i not in members]
        assert not lost, 'acknowledged member grants lost: %s' % lost
        # whatever else survived came from the burst: nothing invented
        sent = {'m%04d@localhost' % i for i in range(1, state['sent'], 2)}
        assert members <= sent, sorted(members - sent)
    finally:
        logout(alice)


def test_palaver_stops_cleanly_after_the_faults():
    """Exit 0 on SIGTERM, and no sanitizer report in its output (ASan builds)."""
    SUITE.check_clean_stop()


if __name__ == '__main__':
    SUITE.main(globals())
