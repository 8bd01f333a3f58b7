"""tests/integration/test_jabberd2_muc.py: palaver as the MUC component of a real jabberd2, with real clients.

A private jabberd2 (jabberd2.py: router, sm and c2s on loopback, SQLite
authreg) routes muc.localhost to palaver, which connects to the router with
the router's <secret>. Runs every test of test_ejabberd_muc.py through it
(the error a client gets while palaver is down is item-not-found here), and
checks jabberd2's own traps on the raw component stream, recorded by a relay
between palaver and the router:
  - the handshake answer carries a namespace
    (<handshake xmlns='jabber:component:accept'></handshake>);
  - stanzas reach the component in the jabber:client namespace, and palaver
    serves them;
  - right after the bind the session manager sends a disco#info from 'sm'
    (no '@', no dot), which palaver answers.
Skipped when jabberd2 is not installed.
"""

import os
import re
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

import jabberd2  # noqa: E402
import test_ejabberd_muc as suite  # noqa: E402
from test_prosody_muc import text, show, groupchat, message_from  # noqa: E402


class Relay:
    """A loopback TCP relay from a free port to the router, one connection
    at a time, recording what each side sent (bytes, in order). The relay
    keeps listening, so palaver can reconnect through it after a restart."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.from_server = bytearray()
        self.from_palaver = bytearray()
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(('127.0.0.1', self.target_port), timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._pump, args=(client, server, self.from_palaver),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, self.from_server),
                             daemon=True).start()

    def _pump(self, src, dst, record):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with self.lock:
                    record.extend(data)
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def received(self):
        """What the router sent palaver so far, as text."""
        with self.lock:
            return bytes(self.from_server).decode('utf-8', 'replace')

    def sent(self):
        """What palaver sent the router so far, as text."""
        with self.lock:
            return bytes(self.from_palaver).decode('utf-8', 'replace')

    def close(self):
        self.closed = True
        self.sock.close()


RELAY = None


def palaver_port(server):
    """palaver connects through the recording relay."""
    global RELAY
    if RELAY is None or RELAY.target_port != server.component_port:
        RELAY = Relay(server.component_port)
    return RELAY.port


suite.SERVER.update({
    'name': 'jabberd2',
    'available': jabberd2.available,
    'make': lambda: jabberd2.Jabberd2(components={suite.DOMAIN: suite.SECRET}),
    'auth_line': '[%s] online' % suite.DOMAIN,
    'down_error': 'item-not-found',
    'palaver_port': palaver_port,
})


# ---- jabberd2's traps, on the recorded stream ------------------------------

def test_jabberd2_trap_handshake_answer_with_a_namespace():
    suite.setup()
    got = RELAY.received()
    m = re.search(r"<handshake[^>]*>", got)
    assert m, 'no handshake answer recorded:\n' + got[:2000]
    assert 'jabber:component:accept' in m.group(0), m.group(0)
    assert 'connected to 127.0.0.1:%d as component %s' % (RELAY.port, suite.DOMAIN) \
        in suite.D.output()


def test_jabberd2_trap_jabber_client_stanzas_are_served():
    suite.setup()
    R = 'nstrap'
    alice, bob = suite.login('alice'), suite.login('bob')
    try:
        suite.create(alice, R, 'Alice')
        suite.join(bob, R, 'Bob')
        m = bob.mark()
        groupchat(alice, R, 'namespace-probe-7731', 'ns-1')
        got = message_from(bob, suite.room(R) + '/Alice', m,
                           lambda st: text(st, 'body') == 'namespace-probe-7731')
        assert got.get('id') == 'ns-1', show([got])
        # the router handed palaver that very message in the jabber:client namespace
        raw = RELAY.received()
        msgs = [s for s in re.findall(r"<message\b[^>]*>", raw) if "id='ns-1'" in s
                or 'id="ns-1"' in s]
        assert msgs, 'the message never crossed the component stream:\n' + raw[-3000:]
        assert any('jabber:client' in s for s in msgs), msgs
        # and palaver's copies went out to the router (jabberd2 accepts them as sent)
        assert 'namespace-probe-7731' in RELAY.sent()
    finally:
        suite.logout(alice, bob)


def test_jabberd2_trap_disco_info_from_sm_answered():
    suite.setup()
    deadline = time.monotonic() + 5       # sent right after the bind; normally already here
    while True:
        raw = RELAY.received()
        asks = re.findall(r"<iq\b[^>]*from=['\"]sm['\"][^>]*>", raw)
        if asks or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert asks, 'no IQ from sm recorded:\n' + raw[:3000]
    ids = [re.search(r"id=['\"]([^'\"]+)['\"]", a).group(1) for a in asks]
    out = RELAY.sent()
    for id_ in ids:
        ans = [a for a in re.findall(r"<iq\b[^>]*>", out) if re.search(
            r"id=['\"]%s['\"]" % re.escape(id_), a)]
        assert ans, 'palaver did not answer the IQ %s from sm:\n%s' % (id_, out[-3000:])
        assert re.search(r"to=['\"]sm['\"]", ans[0]) and re.search(
            r"type=['\"]result['\"]", ans[0]), ans[0]
    assert suite.D.running(), suite.D.output()[-3000:]


if __name__ == '__main__':
    ns = dict(vars(suite))
    ns.update({k: v for k, v in globals().items() if k.startswith('test_')})
    try:
        suite.SUITE.main(ns)
    finally:
        if RELAY is not None:
            RELAY.close()
