"""tests/integration/xmppclient.py: a small synchronous slixmpp client for integration tests.

Connects to a loopback server without TLS, runs one coroutine with the
session up, and disconnects. Run with /usr/bin/python3 (it has slixmpp).

    with Client('alice@localhost', 'pw', port) as c:
        iq = c.call(c.xmpp['xep_0030'].get_info(jid='muc.localhost', timeout=5))
"""

import asyncio
import logging

import slixmpp

logging.getLogger('slixmpp').setLevel(logging.CRITICAL)


def close_loop(loop):
    """Cancels the tasks still pending in an asyncio loop (a client's reader,
    keepalives), lets them end, and closes the loop."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in pending:
        t.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()


class Client:
    def __init__(self, jid, password, port, host='127.0.0.1', plugins=('xep_0030', 'xep_0045',
                                                                        'xep_0092', 'xep_0199'),
                 timeout=15.0):
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.xmpp = slixmpp.ClientXMPP(jid, password)
        for p in plugins:
            self.xmpp.register_plugin(p)
        self.xmpp['feature_mechanisms'].unencrypted_plain = True
        self.host, self.port, self.timeout = host, port, timeout
        self._ready = None
        self._failed = None

    def connect(self):
        self._ready = self.loop.create_future()

        def on_start(_event):
            self.xmpp.send_presence()
            if not self._ready.done():
                self._ready.set_result(True)

        def on_fail(event):
            if not self._ready.done():
                self._ready.set_exception(RuntimeError('XMPP login failed: %s' % (event,)))

        self.xmpp.add_event_handler('session_start', on_start)
        self.xmpp.add_event_handler('failed_auth', on_fail)
        self.xmpp.connect((self.host, self.port), force_starttls=False, disable_starttls=True)
        self.loop.run_until_complete(asyncio.wait_for(self._ready, self.timeout))
        return self

    def call(self, coro, timeout=None):
        """Runs a coroutine in the client's loop and returns its result."""
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout or self.timeout))

    def sleep(self, seconds):
        self.loop.run_until_complete(asyncio.sleep(seconds))

    def disconnect(self):
        try:
            fut = self.xmpp.disconnect(wait=1.0)
            if fut is not None and not isinstance(fut, bool):
                self.loop.run_until_complete(asyncio.wait_for(fut, 3))
        except Exception:   # noqa: BLE001 - best effort at teardown
            pass
        finally:
            close_loop(self.loop)

    def __enter__(self):
        return self.connect()

    def __exit__(self, *exc):
        self.disconnect()
        return False
