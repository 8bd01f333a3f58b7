"""tests/integration/test_prosody_hats.py: XEP-0317 hats (FEATURES.md HATS-1) with real clients through a real Prosody.

Palaver (muc-core, sqlite) runs as the component of a private Prosody. alice
(slixmpp, over c2s) owns a persistent room that bob is in; she finds the hat
commands in the room's disco#items, fetches the don form and submits it:
bob and she both receive bob's presence with his hat, and carol, joining
later, sees it in the roster. bob, not an admin, is refused. alice takes the
hat off with doff and everyone gets bob's presence without it.
TAP_ONLY=substring runs some tests; PALAVER_KEEP_TMP=1 keeps directories.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

import test_prosody_muc as M  # noqa: E402  (helpers only; its tests do not run here)
from mucclient import NS, XmppError  # noqa: E402
from suite import Suite, prosody_server  # noqa: E402
from test_prosody_muc import room, create, join, presence_from, show  # noqa: E402

DOMAIN = M.DOMAIN
SECRET = 'hats-integration-secret'
ACCOUNTS = ('alice', 'bob', 'carol', 'dave')
CMD = 'http://jabber.org/protocol/commands'
HATS = 'urn:xmpp:hats:0'
DON, DOFF = 'urn:xmpp:hats:commands:don', 'urn:xmpp:hats:commands:doff'
HOST = 'http://schemas.example.com/hats#host'

P = D = U = None  # prosody.Prosody, daemon.Palaver, mucclient.Users: see suite.py
SUITE = Suite(globals(), prosody_server(DOMAIN, SECRET), DOMAIN, SECRET, ['muc-core'], ACCOUNTS,
              name='hats', resource='hat')
setup, login, logout = SUITE.setup, SUITE.login, SUITE.logout


def hats_of(st):
    h = st.find('{%s}hats' % HATS)
    return [] if h is None else [(x.get('uri'), x.get('title')) for x in h.findall('{%s}hat' % HATS)]


def run_command(u, rname, node, fields=None):
    x = ''
    if fields:
        x = ("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>"
             "<value>urn:xmpp:hats:commands</value></field>%s</x>"
             % ''.join("<field var='%s'><value>%s</value></field>" % kv for kv in fields.items()))
    return u.iq(room(rname), 'set', "<command xmlns='%s' action='execute' node='%s'>%s</command>"
                % (CMD, node, x))


def test_hats_1_don_and_doff_seen_by_real_clients():
    setup()
    alice, bob, carol = login('alice'), login('bob'), login('carol')
    R = 'hatted'
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_persistentroom': '1'})
        join(bob, R, 'Bob')
        res = alice.iq(room(R), 'get', "<query xmlns='%s' node='%s'/>" % (NS['items'], CMD))
        nodes = {i.get('node') for i in res.iter('{%s}item' % NS['items'])}
        assert {DON, DOFF} <= nodes, nodes
        form = run_command(alice, R, DON)
        cmd = form.find('{%s}command' % CMD)
        assert cmd.get('status') == 'executing', show([form])
        try:
            run_command(bob, R, DON, {'accountjid': 'bob@localhost', 'hat': HOST})
            raise AssertionError('bob put a hat on')
        except XmppError as e:
            assert e.condition == 'forbidden', e.condition
        ma, mb = alice.mark(), bob.mark()
        done = run_command(alice, R, DON, {'accountjid': 'bob@localhost', 'hat': HOST,
                                           'title': 'Host'})
        assert done.find('{%s}command' % CMD).get('status') == 'completed', show([done])
        for u, m in ((alice, ma), (bob, mb)):
            st = presence_from(u, room(R) + '/Bob', m, lambda s: hats_of(s) != [],
                               what="Bob's presence with his hat")
            assert hats_of(st) == [(HOST, 'Host')], show([st])
        mc = carol.mark()
        join(carol, R, 'Carol')
        st = presence_from(carol, room(R) + '/Bob', mc, what="Bob's presence in the roster")
        assert hats_of(st) == [(HOST, 'Host')], show([st])
        mc = carol.mark()
        run_command(alice, R, DOFF, {'accountjid': 'bob@localhost', 'hat': HOST})
        st = presence_from(carol, room(R) + '/Bob', mc, what="Bob's presence without the hat")
        assert hats_of(st) == [], show([st])
    finally:
        logout(alice, bob, carol)


def test_palaver_stops_cleanly():
    SUITE.check_clean_stop()


if __name__ == '__main__':
    SUITE.main(globals())
