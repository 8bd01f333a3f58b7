"""tests/integration/test_prosody_restart_check.py: the check of restored occupants (RESTART-1) through a real Prosody with real clients, palaver on sqlite.

palaver stops cleanly with alice and bob in a room; bob logs out while it
is down. At the next start each restored session is pinged: alice's
slixmpp client answers and stays, untold of anything; for bob's session
Prosody answers service-unavailable to the ping and to the disco#info that
follows (RFC 6121: no such resource), so bob is removed and alice gets his
unavailable presence with 333. Skipped only when Prosody is not installed.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

from suite import Suite, prosody_server  # noqa: E402
from test_prosody_muc import codes, show, join  # noqa: E402
from test_prosody_faults import room, create, self_ping, talk  # noqa: E402

DOMAIN = 'muc.localhost'
SECRET = 'muc-check-secret'
ACCOUNTS = ('alice', 'bob', 'dave')

P = D = U = None  # prosody.Prosody, daemon.Palaver, mucclient.Users: see suite.py
SUITE = Suite(globals(), prosody_server(DOMAIN, SECRET), DOMAIN, SECRET, ['muc-core'], ACCOUNTS,
              name='check')
setup, login, logout = SUITE.setup, SUITE.login, SUITE.logout


def test_restart_1_gone_session_removed_with_333_live_client_stays():
    global D
    setup()
    R = 'checked'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_persistentroom': '1'})
        join(bob, R, 'Bob')
        code = D.stop()
        D = None
        assert code == 0, 'palaver exit code %s' % code
        logout(bob)     # bob's session ends while palaver is down
        bob = None
        m = alice.mark()
        SUITE.start_palaver()
        SUITE.wait_component()
        gone = alice.wait(lambda st: st.tag == '{jabber:client}presence'
                          and st.get('from') == room(R) + '/Bob', start=m,
                          what="Bob's removal", timeout=40)
        assert gone.get('type') == 'unavailable' and 333 in codes(gone), show([gone])
        seen = [st for st in alice.since(m) if st.tag == '{jabber:client}presence'
                and st.get('from') == room(R) + '/Alice']
        assert not seen, 'alice was told of herself: ' + show(seen)
        assert self_ping(alice, R, 'Alice') == 'joined'
        # bob logs in again: he is not in the room any more, and rejoins
        bob = login('bob')
        assert self_ping(bob, R, 'Bob') == 'not-acceptable'
        join(bob, R, 'Bob')
        talk(alice, bob, R, 'Alice', 'welcome back', 'wb-1')
    finally:
        logout(*[u for u in (alice, bob) if u is not None])


def test_palaver_stops_cleanly():
    SUITE.check_clean_stop()


if __name__ == '__main__':
    SUITE.main(globals())
