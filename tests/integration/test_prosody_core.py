"""tests/integration/test_prosody_core.py: the daemon as a component of a real Prosody.

Starts a private Prosody (tests/integration/prosody.py) with a Component for
our domain, runs palaver against it (no plugins: the core alone), and checks
that Prosody authenticated it, that a client's disco#info reaches it, and
that it comes back by itself when Prosody is restarted. Skipped only when
Prosody is not installed.
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

from taptest import run, skip_all  # noqa: E402
import prosody  # noqa: E402

if not prosody.available():
    skip_all('prosody is not installed')

from daemon import Palaver  # noqa: E402
from xmppclient import Client  # noqa: E402

DOMAIN = 'muc.localhost'
SECRET = 'prosody-test-secret'
AUTH_LINE = 'External component successfully authenticated'

P = None
D = None


def setup():
    global P, D
    if P is None:
        P = prosody.Prosody(components={DOMAIN: SECRET})
        P.start()
        P.register('alice', 'alicepw')
    if D is None:
        D = Palaver(DOMAIN, SECRET, P.component_port, plugins=[]).start()
    return P, D


def disco_info_of_component(timeout=10.0):
    """A slixmpp client asks the component for disco#info; returns the result
    IQ. Retries while Prosody answers 'component unavailable' (the daemon may
    still be reconnecting), up to `timeout`."""
    deadline = time.monotonic() + timeout
    last = None
    with Client('alice@localhost', 'alicepw', P.c2s_port) as c:
        while time.monotonic() < deadline:
            try:
                return c.call(c.xmpp['xep_0030'].get_info(jid=DOMAIN, timeout=5, cached=False))
            except Exception as e:   # noqa: BLE001 - retried, reported at the end
                last = e
                c.sleep(0.3)
    raise AssertionError('no disco#info answer from %s within %.0fs: %s' % (DOMAIN, timeout,
                                                                              last))


def test_component_authenticates_with_prosody():
    p, d = setup()
    line = p.wait_log(AUTH_LINE, timeout=15)
    assert DOMAIN in line, line
    assert d.running(), d.output()


def test_client_disco_info_reaches_component():
    setup()
    iq = disco_info_of_component()
    assert iq['type'] == 'result', str(iq)
    assert iq['from'].bare == DOMAIN, str(iq)
    idents = iq['disco_info']['identities']
    assert idents, str(iq)
    features = iq['disco_info']['features']
    assert 'http://jabber.org/protocol/disco#info' in features, features


def test_reconnects_after_prosody_restart():
    p, d = setup()
    p.wait_log(AUTH_LINE, timeout=15)
    p.stop()
    since = p.log_size()
    time.sleep(1.0)          # the daemon sees the server gone and backs off
    assert d.running(), 'palaver exited when the server went away:\n' + d.output()
    p.start()
    # Prosody's own log proves the reconnect happened without our help.
    line = p.wait_log(AUTH_LINE, timeout=30, since=since)
    assert DOMAIN in line, line
    iq = disco_info_of_component(timeout=15)
    assert iq['type'] == 'result', str(iq)


def test_reconnects_after_two_restarts_in_a_row():
    p, d = setup()
    p.stop()
    time.sleep(0.3)
    p.start()
    p.stop()
    since = p.log_size()
    time.sleep(2.0)
    p.start()
    p.wait_log(AUTH_LINE, timeout=60, since=since)
    iq = disco_info_of_component(timeout=15)
    assert iq['type'] == 'result', str(iq)


def test_palaver_stops_cleanly():
    global D
    p, d = setup()
    D = None
    since = p.log_size()
    code = d.stop()
    assert code == 0, 'exit code %s:\n%s' % (code, d.output()[-3000:])
    # Prosody saw the component leave
    p.wait_log('component disconnected', timeout=10, since=since)


if __name__ == '__main__':
    try:
        run(globals())
    finally:
        if D is not None:
            try:
                D.stop()
            except AssertionError as e:
                print('# ' + str(e).replace('\n', '\n# '))
        if P is not None:
            P.cleanup()
