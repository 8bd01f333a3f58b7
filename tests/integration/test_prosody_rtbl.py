"""tests/integration/test_prosody_rtbl.py: real-time block lists (FEATURES.md RTBL-1) against a real pubsub service, Prosody's mod_pubsub.

A private Prosody serves pubsub.localhost (mod_pubsub, admin@localhost its
admin) and palaver's component. Before palaver starts, the admin (slixmpp,
xep_0060) creates the node muc_bans_sha256, open to everyone, and publishes
the SHA-256 of bob@localhost. Palaver (muc-core, sqlite) is configured with
<rtbl service='pubsub.localhost' node='muc_bans_sha256'/>: once connected it
subscribes and fetches the node. bob's join through Prosody is refused
(forbidden); carol, in two rooms, is removed from both (307) as soon as the
admin publishes her hash, and can join again once the item is retracted.
One Prosody and one palaver for the file.
TAP_ONLY=substring runs some tests; PALAVER_KEEP_TMP=1 keeps directories.
"""

import hashlib
import os
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

import prosody  # noqa: E402
import test_prosody_muc as M  # noqa: E402  (helpers only; its tests do not run here)
from mucclient import Users, q  # noqa: E402
from suite import Suite, prosody_server  # noqa: E402
from test_prosody_muc import room, create, join, err, codes, presence_from, show  # noqa: E402

DOMAIN = M.DOMAIN
SECRET = 'rtbl-integration-secret'
PUBSUB, NODE = 'pubsub.localhost', 'muc_bans_sha256'
PLUGINS = ['muc-core', 'history']
ACCOUNTS = ('alice', 'bob', 'carol', 'dave', 'admin')
REPORT = 'urn:xmpp:reporting:1'


def make_prosody():
    return prosody.Prosody(components={DOMAIN: SECRET},
                           extra_global='admins = { "admin@localhost" }',
                           extra_hosts='Component %s "pubsub"' % prosody.lua_str(PUBSUB))


DESCRIPTION = dict(prosody_server(DOMAIN, SECRET), make=make_prosody)
P = D = U = None  # prosody.Prosody, daemon.Palaver, mucclient.Users: see suite.py
SUITE = Suite(globals(), DESCRIPTION, DOMAIN, SECRET, PLUGINS, ACCOUNTS, name='rtbl',
              resource='rtbl',
              plugin_config={'muc-core': "<rtbl service='%s' node='%s'/>" % (PUBSUB, NODE)})
login, logout = SUITE.login, SUITE.logout


def h(bare):
    return hashlib.sha256(bare.encode()).hexdigest()


def pubsub(u):
    if 'xep_0060' not in u.xmpp.plugin:
        u.xmpp.register_plugin('xep_0004')
        u.xmpp.register_plugin('xep_0060')
    return u.xmpp['xep_0060']


def publish(u, bare):
    payload = ET.Element('{%s}report' % REPORT, reason='urn:xmpp:reporting:spam')
    u.users.run(pubsub(u).publish(PUBSUB, NODE, id=h(bare), payload=payload), 12)


def retract(u, bare):
    u.users.run(pubsub(u).retract(PUBSUB, NODE, h(bare), notify=True), 12)


def create_node(u):
    ps = pubsub(u)
    form = u.xmpp['xep_0004'].make_form('submit')
    form.add_field(var='pubsub#access_model', value='open')
    form.add_field(var='pubsub#max_items', value='256')
    u.users.run(ps.create_node(PUBSUB, NODE, config=form), 12)


def setup():
    """The server and the node with bob listed first, then palaver (which
    fetches the node once connected)."""
    if SUITE.server is None:
        SUITE.server = make_prosody()
        SUITE.server.start()
        for a in ACCOUNTS:
            SUITE.server.register(a, a + 'pw')
        SUITE.users = Users(SUITE.server.c2s_port)
        admin = login('admin')
        try:
            create_node(admin)
            publish(admin, 'bob@localhost')
        finally:
            logout(admin)
    first = SUITE.daemon is None
    users = SUITE.setup()
    if first:
        SUITE.daemon.wait_output('rtbl: 1 entries in %s on %s' % (NODE, PUBSUB), timeout=15)
    return users


def test_rtbl_1_listed_user_cannot_join():
    setup()
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, 'rtbl-a', 'Alice')
        pres = join(bob, 'rtbl-a', 'Bob')
        assert pres.get('type') == 'error' and err(pres) == 'forbidden', show([pres])
        e = pres.find('{jabber:client}error')
        assert e.get('type') == 'auth', show([pres])
        assert 'block list' in (e.findtext(q('stanzas:text')) or ''), show([pres])
    finally:
        logout(alice, bob)


def test_rtbl_1_published_occupant_removed_from_every_room_retract_readmits():
    setup()
    alice, carol, admin = login('alice'), login('carol'), login('admin')
    try:
        create(alice, 'rtbl-b', 'Alice')
        create(alice, 'rtbl-c', 'Alice')
        for r in ('rtbl-b', 'rtbl-c'):
            pres = join(carol, r, 'Carol')
            assert pres.get('type') != 'error', show([pres])
        mc, ma = carol.mark(), alice.mark()
        publish(admin, 'carol@localhost')
        for r in ('rtbl-b', 'rtbl-c'):
            occ = '%s/Carol' % room(r)
            gone = presence_from(carol, occ, mc, lambda st: st.get('type') == 'unavailable',
                                 what='her removal from ' + r)
            assert {307, 110} <= set(codes(gone)), show([gone])
            gone = presence_from(alice, occ, ma, lambda st: st.get('type') == 'unavailable',
                                 what="carol's removal from " + r)
            assert 307 in codes(gone), show([gone])
        pres = join(carol, 'rtbl-b', 'Carol')
        assert pres.get('type') == 'error' and err(pres) == 'forbidden', show([pres])
        retract(admin, 'carol@localhost')
        users = SUITE.users
        for _ in range(50):          # the retraction notification is on its way
            pres = join(carol, 'rtbl-b', 'Carol')
            if pres.get('type') != 'error':
                break
            users.sleep(0.1)
        assert pres.get('type') != 'error', show([pres])
    finally:
        logout(alice, carol, admin)


def test_zz_clean_stop():
    SUITE.check_clean_stop()


if __name__ == '__main__':
    SUITE.main(globals())
