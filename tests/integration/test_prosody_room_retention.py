"""tests/integration/test_prosody_room_retention.py: a room's own history retention (RETAIN-1) with real clients through a real Prosody.

Palaver (muc-core and history, sqlite) runs as the component of a private
Prosody. alice (slixmpp, over c2s) makes a logging room that keeps no
history (x-history#retention-days 0) and another that keeps it (empty, the
service's rule), and says something in each: bob, joining both, gets
history only from the second, and his XEP-0313 query of the first finds
nothing while the second's finds alice's message.
TAP_ONLY=substring runs some tests; PALAVER_KEEP_TMP=1 keeps directories.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

import test_prosody_muc as M  # noqa: E402  (helpers only; its tests do not run here)
from suite import Suite, prosody_server  # noqa: E402
from test_prosody_muc import (room, create, join, groupchat, message_from, show,  # noqa: E402
                              text)

DOMAIN = M.DOMAIN
SECRET = 'retention-integration-secret'
ACCOUNTS = ('alice', 'bob', 'dave')
MAM = 'urn:xmpp:mam:2'

P = D = U = None  # prosody.Prosody, daemon.Palaver, mucclient.Users: see suite.py
SUITE = Suite(globals(), prosody_server(DOMAIN, SECRET), DOMAIN, SECRET, ['muc-core', 'history'],
              ACCOUNTS, name='retain', resource='ret')
setup, login, logout = SUITE.setup, SUITE.login, SUITE.logout


def archived_bodies(u, rname):
    m = u.mark()
    res = u.iq(room(rname), 'set', "<query xmlns='%s' queryid='q'/>" % MAM)
    assert res.get('type') == 'result', show([res])
    return [text(fw, 'body') for st in u.since(m) for r in st.iter('{%s}result' % MAM)
            for fw in r.iter('{jabber:client}message')]


def test_retain_1_a_room_that_keeps_nothing_and_one_that_keeps():
    setup()
    alice, bob = login('alice'), login('bob')
    try:
        for rname, days in (('forgetful', '0'), ('mindful', '')):
            create(alice, rname, 'Alice', {'muc#roomconfig_enablelogging': '1',
                                           'x-history#retention-days': days})
            m = alice.mark()
            groupchat(alice, rname, 'said in ' + rname, 'r-' + rname)
            message_from(alice, room(rname) + '/Alice', m)
        m = bob.mark()
        join(bob, 'forgetful', 'Bob')
        join(bob, 'mindful', 'Bob')
        bob.users.sleep(0.5)
        got = [text(st, 'body') for st in bob.since(m) if st.tag == '{jabber:client}message'
               and st.find('{urn:xmpp:delay}delay') is not None]
        assert got == ['said in mindful'], got
        assert archived_bodies(bob, 'forgetful') == []
        assert archived_bodies(bob, 'mindful') == ['said in mindful']
    finally:
        logout(alice, bob)


def test_palaver_stops_cleanly():
    SUITE.check_clean_stop()


if __name__ == '__main__':
    SUITE.main(globals())
