"""tests/integration/test_ejabberd_muc.py: palaver as the MUC component of a real ejabberd, with real clients.

A private ejabberd (ejabberd.py: `erl` run directly, loopback, no Erlang
distribution) routes muc.localhost to palaver (sqlite backend, the standard
plugins); real accounts log in over c2s with slixmpp (mucclient.py) and do
what a person's client does. Covered: the component handshake, creating and
configuring a room, talking, a nick change, private messages, a kick and a
ban, disco#info and disco#items of the service and the room, XEP-0410
self-ping, the error a client gets while palaver is down (ejabberd:
remote-server-not-found), and a persistent room surviving palaver's restart.

The tests are written against a SERVER description so that
test_jabberd2_muc.py runs the same ones through jabberd2 (adding its own
traps). Skipped when ejabberd is not installed. TAP_ONLY=substring runs some
tests; PALAVER_KEEP_TMP=1 keeps the directories.
"""

import os
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

import ejabberd  # noqa: E402
from mucclient import XmppError, NS, q  # noqa: E402
from suite import Suite  # noqa: E402
# the stanza helpers of the Prosody suite (they take the user objects, not a server)
from test_prosody_muc import (codes, item, text, err, show, join, leave, groupchat,  # noqa: E402
                              presence_from, message_from, get_config, submit_config,
                              admin_set, ROOMCONFIG)

DOMAIN = 'muc.localhost'
SECRET = 'muc-server-suite-secret'
PLUGINS = ['muc-core', 'history', 'disco-extended', 'game-rooms']
ACCOUNTS = ('alice', 'bob', 'carol', 'dave')

# What differs between servers (a description as suite.prosody_server()
# gives, and down_error); test_jabberd2_muc.py replaces it.
SERVER = {
    'name': 'ejabberd',
    'available': ejabberd.available,
    'make': lambda: ejabberd.Ejabberd(components={DOMAIN: SECRET}),
    # the server's log line once palaver's handshake is accepted
    'auth_line': 'Accepted external component handshake authentication for ' + DOMAIN,
    # what a client gets for an IQ to the service while palaver is down
    'down_error': 'remote-server-not-found',
    # the port palaver connects to (a relay may sit in between)
    'palaver_port': lambda server: server.component_port,
}

S = D = U = None  # the server (ejabberd.Ejabberd, jabberd2.Jabberd2), daemon.Palaver,
#                   mucclient.Users: see suite.py
SUITE = Suite(globals(), SERVER, DOMAIN, SECRET, PLUGINS, ACCOUNTS, name='muc',
              server_global='S')
setup, login, logout = SUITE.setup, SUITE.login, SUITE.logout
start_palaver, wait_component = SUITE.start_palaver, SUITE.wait_component


# ---- helpers -------------------------------------------------------------

def room(name):
    return '%s@%s' % (name, DOMAIN)


def create(u, rname, nick, config=None):
    pres = join(u, rname, nick)
    assert pres.get('type') != 'error' and 201 in codes(pres), show([pres])
    submit_config(u, rname, config or {})
    return pres


def features(res):
    return {f.get('var') for f in res.iter(q('info:feature'))}


# ---- the tests -----------------------------------------------------------

def test_component_handshake_accepted_by_the_server():
    setup()
    line = S.wait_log(SERVER['auth_line'], timeout=5)
    assert DOMAIN in line, line
    assert D.running(), D.output()[-3000:]
    assert 'connected to 127.0.0.1:%d as component %s' % (SERVER['palaver_port'](S), DOMAIN) \
        in D.output(), D.output()[-3000:]


def test_enter_1_11_owner_2_msg_1_nick_1_msg_4_exit_1_create_configure_talk_nick_pm():
    setup()
    R = 'lounge'
    alice, bob = login('alice'), login('bob')
    try:
        pres = join(alice, R, 'Alice')
        assert codes(pres) == [110, 201], show([pres])
        assert (item(pres).get('affiliation'), item(pres).get('role')) == ('owner', 'moderator')
        # ENTER-11: locked until configured
        locked = join(bob, R, 'Bob')
        assert err(locked) == 'item-not-found', show([locked])
        # OWNER-2: the form, then a submit with a name
        form = get_config(alice, R)
        assert form.get('FORM_TYPE') == [ROOMCONFIG], form
        submit_config(alice, R, {'muc#roomconfig_roomname': 'The Lounge'})
        a1 = alice.mark()
        pres = join(bob, R, 'Bob')
        assert pres.get('type') != 'error' and codes(pres) == [110], show([pres])
        seen = presence_from(alice, room(R) + '/Bob', a1)
        assert item(seen).get('jid') == bob.full, show([seen])     # ENTER-5: moderator sees it
        # MSG-1 both ways, ids kept
        am, bm = alice.mark(), bob.mark()
        groupchat(alice, R, 'hello bob', 'a-1')
        groupchat(bob, R, 'hello alice', 'b-1')
        for u, m in ((alice, am), (bob, bm)):
            x = message_from(u, room(R) + '/Alice', m, lambda st: text(st, 'body') == 'hello bob')
            assert x.get('type') == 'groupchat' and x.get('id') == 'a-1', show([x])
            y = message_from(u, room(R) + '/Bob', m, lambda st: text(st, 'body') == 'hello alice')
            assert y.get('type') == 'groupchat' and y.get('id') == 'b-1', show([y])
        # NICK-1: 303 with the new nick, then the new presence
        am, bm = alice.mark(), bob.mark()
        bob.send("<presence to='%s/Robert'/>" % room(R))
        for u, m, own in ((alice, am, []), (bob, bm, [110])):
            gone = presence_from(u, room(R) + '/Bob', m, lambda st: st.get('type') == 'unavailable')
            assert codes(gone) == sorted([303] + own), show([gone])
            assert item(gone).get('nick') == 'Robert', show([gone])
            new = presence_from(u, room(R) + '/Robert', m)
            assert u.received.index(new) > u.received.index(gone)
        # MSG-4: private messages both ways
        am, bm = alice.mark(), bob.mark()
        alice.send("<message to='%s/Robert' type='chat' id='pm-1'><body>psst</body></message>"
                   % room(R))
        pm = message_from(bob, room(R) + '/Alice', bm, lambda st: text(st, 'body') == 'psst')
        assert pm.get('type') == 'chat' and pm.find(q('user:x')) is not None, show([pm])
        bob.send("<message to='%s/Alice' type='chat' id='pm-2'><body>what?</body></message>"
                 % room(R))
        pm = message_from(alice, room(R) + '/Robert', am, lambda st: text(st, 'body') == 'what?')
        assert pm.get('type') == 'chat', show([pm])
        # EXIT-1
        am = alice.mark()
        gone = leave(bob, R, 'Robert', 'bye')
        assert codes(gone) == [110] and text(gone, 'status') == 'bye', show([gone])
        gone = presence_from(alice, room(R) + '/Robert', am,
                             lambda s: s.get('type') == 'unavailable')
        assert text(gone, 'status') == 'bye', show([gone])
        leave(alice, R, 'Alice')
    finally:
        logout(alice, bob)


def test_mod_1_admin_1_kick_and_ban_with_reasons():
    setup()
    R = 'strict'
    alice, bob, carol = login('alice'), login('bob'), login('carol')
    try:
        create(alice, R, 'Alice')
        join(bob, R, 'Bob')
        join(carol, R, 'Carol')
        # MOD-1: kick Bob
        am, bm, cm = alice.mark(), bob.mark(), carol.mark()
        alice.iq(room(R), 'set', "<query xmlns='%s'><item nick='Bob' role='none'>"
                 "<reason>spam</reason></item></query>" % NS['admin'])
        for u, m, own in ((alice, am, []), (bob, bm, [110]), (carol, cm, [])):
            st = presence_from(u, room(R) + '/Bob', m, lambda s: s.get('type') == 'unavailable')
            assert codes(st) == sorted([307] + own), show([st])
            it = item(st)
            assert it.get('role') == 'none', show([st])
            assert it.find(q('user:reason')).text == 'spam', show([st])
            assert it.find(q('user:actor')).get('nick') == 'Alice', show([st])
        # ADMIN-1: ban Carol
        am, cm = alice.mark(), carol.mark()
        admin_set(alice, R, "<item jid='carol@localhost' affiliation='outcast'>"
                            "<reason>trolling</reason></item>")
        for u, m, own in ((alice, am, []), (carol, cm, [110])):
            st = presence_from(u, room(R) + '/Carol', m, lambda s: s.get('type') == 'unavailable')
            assert codes(st) == sorted([301] + own), show([st])
            assert item(st).get('affiliation') == 'outcast', show([st])
            assert item(st).find(q('user:reason')).text == 'trolling', show([st])
        # ENTER-8: the banned user cannot come back; the kicked one can
        pres = join(carol, R, 'Carol')
        assert err(pres) == 'forbidden', show([pres])
        pres = join(bob, R, 'Bob')
        assert pres.get('type') != 'error' and codes(pres) == [110], show([pres])
        res = alice.iq(room(R), 'get', "<query xmlns='%s'><item affiliation='outcast'/></query>"
                       % NS['admin'])
        jids = [i.get('jid') for i in res.iter(q('admin:item'))]
        assert jids == ['carol@localhost'], ET.tostring(res, 'unicode')
    finally:
        logout(alice, bob, carol)


def test_disco_1_2_3_msg_5_service_and_room_discovery_and_self_ping():
    setup()
    R = 'public-room'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_roomname': 'Public Room',
                                   'muc#roomconfig_publicroom': '1',
                                   'muc#roomconfig_persistentroom': '1',
                                   'muc#roomconfig_moderatedroom': '1'})
        # DISCO-1: the service
        res = bob.iq(DOMAIN, 'get', "<query xmlns='%s'/>" % NS['info'])
        assert res.get('from') == DOMAIN, ET.tostring(res, 'unicode')
        ident = res.find(q('info:query')).find(q('info:identity'))
        assert (ident.get('category'), ident.get('type')) == ('conference', 'text'), \
            ET.tostring(res, 'unicode')
        assert {'http://jabber.org/protocol/muc', 'urn:xmpp:ping',
                'http://jabber.org/protocol/muc#self-ping-optimization'} <= features(res), \
            sorted(features(res))
        # DISCO-2: the public room listed with its name
        res = bob.iq(DOMAIN, 'get', "<query xmlns='%s'/>" % NS['items'])
        items = {i.get('jid'): i.get('name') for i in res.iter(q('items:item'))}
        assert items.get(room(R)) == 'Public Room', items
        # DISCO-3: the room
        res = bob.iq(room(R), 'get', "<query xmlns='%s'/>" % NS['info'])
        ident = res.find(q('info:query')).find(q('info:identity'))
        assert ident.get('name') == 'Public Room', ET.tostring(res, 'unicode')
        assert {'http://jabber.org/protocol/muc', 'muc_public', 'muc_persistent',
                'muc_moderated'} <= features(res), sorted(features(res))
        # MSG-5 / XEP-0410: a self-ping is answered by the service
        join(bob, R, 'Bob')
        res = bob.iq(room(R) + '/Bob', 'get', "<ping xmlns='urn:xmpp:ping'/>")
        assert res.get('type') == 'result' and res.get('from') == room(R) + '/Bob', \
            ET.tostring(res, 'unicode')
        # ... and a non-occupant's is refused with not-acceptable (not joined)
        carol = login('carol')
        try:
            carol.iq(room(R) + '/Bob', 'get', "<ping xmlns='urn:xmpp:ping'/>")
            raise AssertionError('a non-occupant got a ping result')
        except XmppError as e:
            assert e.condition == 'not-acceptable', e
        finally:
            logout(carol)
        leave(bob, R, 'Bob')
        leave(alice, R, 'Alice')
    finally:
        logout(alice, bob)


def test_exit_2_error_while_palaver_is_down_then_persistent_room_survives():
    global D
    setup()
    R = 'kept'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_persistentroom': '1',
                                   'muc#roomconfig_roomname': 'Kept Room',
                                   'muc#roomconfig_membersonly': '1'})
        admin_set(alice, R, "<item jid='bob@localhost' affiliation='member'/>")
        leave(alice, R, 'Alice')
        code = D.stop()
        D = None
        assert code == 0, 'palaver exit code %s' % code
        # the server answers for the absent component
        for target in (DOMAIN, room(R)):
            try:
                res = bob.iq(target, 'get', "<query xmlns='%s'/>" % NS['info'], timeout=15)
                raise AssertionError('an answer while palaver is down: %s'
                                     % ET.tostring(res, 'unicode'))
            except XmppError as e:
                assert e.condition == SERVER['down_error'], e
        start_palaver()
        wait_component()
        res = bob.iq(room(R), 'get', "<query xmlns='%s'/>" % NS['info'])
        ident = res.find(q('info:query')).find(q('info:identity'))
        assert ident.get('name') == 'Kept Room', ET.tostring(res, 'unicode')
        assert {'muc_persistent', 'muc_membersonly'} <= features(res), sorted(features(res))
        pres = join(bob, R, 'Bob')
        assert pres.get('type') != 'error' and item(pres).get('affiliation') == 'member', \
            show([pres])
        carol = login('carol')
        try:
            pres = join(carol, R, 'Carol')
            assert err(pres) == 'registration-required', show([pres])
        finally:
            logout(carol)
        pres = join(alice, R, 'Alice')
        assert codes(pres) == [110] and item(pres).get('affiliation') == 'owner', show([pres])
    finally:
        logout(alice, bob)


def test_palaver_stops_cleanly_after_the_suite():
    """Exit 0 on SIGTERM, and no sanitizer report in its output (ASan builds)."""
    SUITE.check_clean_stop()


if __name__ == '__main__':
    SUITE.main(globals())
