"""tests/integration/test_prosody_ban_occupant_id.py: a ban by XEP-0421 occupant-id (BAN-OID-1) with real clients through a real Prosody.

Palaver (muc-core, sqlite) runs as the component of a private Prosody. In
alice's semi-anonymous room bob (slixmpp, over c2s) says something and
leaves; alice only knows the occupant-id the room put on his message. She
bans that id with a muc#admin request; bob's next join is refused with
forbidden, and the ban list names bob@localhost.
TAP_ONLY=substring runs some tests; PALAVER_KEEP_TMP=1 keeps directories.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

import test_prosody_muc as M  # noqa: E402  (helpers only; its tests do not run here)
from mucclient import NS, q  # noqa: E402
from suite import Suite, prosody_server  # noqa: E402
from test_prosody_muc import (room, create, join, leave, groupchat, message_from,  # noqa: E402
                              err, show, text)

DOMAIN = M.DOMAIN
SECRET = 'ban-oid-integration-secret'
ACCOUNTS = ('alice', 'bob', 'dave')
OID = 'urn:xmpp:occupant-id:0'

P = D = U = None  # prosody.Prosody, daemon.Palaver, mucclient.Users: see suite.py
SUITE = Suite(globals(), prosody_server(DOMAIN, SECRET), DOMAIN, SECRET, ['muc-core'], ACCOUNTS,
              name='banoid', resource='oid')
setup, login, logout = SUITE.setup, SUITE.login, SUITE.logout


def test_ban_oid_1_departed_spammer_banned_by_occupant_id():
    setup()
    alice, bob = login('alice'), login('bob')
    R = 'anon'
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_whois': 'moderators'})
        join(bob, R, 'Bob')
        m = alice.mark()
        groupchat(bob, R, 'buy cheap stuff', 'spam-1')
        msg = message_from(alice, room(R) + '/Bob', m, lambda st: text(st, 'body') == 'buy cheap stuff')
        oid = msg.find('{%s}occupant-id' % OID)
        assert oid is not None and oid.get('id'), show([msg])
        leave(bob, R, 'Bob')
        res = alice.iq(room(R), 'set', "<query xmlns='%s'><item affiliation='outcast'>"
                       "<occupant-id xmlns='%s' id='%s'/><reason>spam</reason></item></query>"
                       % (NS['admin'], OID, oid.get('id')))
        assert res.get('type') == 'result', show([res])
        pres = join(bob, R, 'Bob')
        assert pres.get('type') == 'error' and err(pres) == 'forbidden', show([pres])
        res = alice.iq(room(R), 'get', "<query xmlns='%s'><item affiliation='outcast'/></query>"
                       % NS['admin'])
        assert [i.get('jid') for i in res.iter(q('admin:item'))] == ['bob@localhost'], show([res])
    finally:
        logout(alice, bob)


def test_palaver_stops_cleanly():
    SUITE.check_clean_stop()


if __name__ == '__main__':
    SUITE.main(globals())
