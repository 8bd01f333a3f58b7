"""tests/integration/aioclient.py: real XMPP users through aioxmpp, a library nobody here wrote.

mucclient.py drives slixmpp with stanzas the tests write themselves; this
module drives aioxmpp's own MUC client (aioxmpp.MUCClient and Room), so what
a suite checks is what that library accepts and reports: its join futures,
its signals (enter, join, leave, exit, nick and role changes, voice requests,
invitations), its forms (ConfigurationForm, VoiceRequestForm) and its errors.

Every user lives in one asyncio loop owned by AioUsers; a test runs one
coroutine in it with run(), bounded by a timeout, so waiting on one user
keeps the others reading. Each user records the signals of its rooms and of
its MUCClient as Event tuples, in order, and wait() looks for one after a
mark(), with a timeout of a few seconds.

Prosody's test rig offers no TLS, so the security layer is aioxmpp's own
(make_security_layer, no certificate checks) with TLS not required; the
client connects to the rig's c2s port through override_peer. Without TLS
aioxmpp authenticates with SCRAM only, which Prosody offers. Run with
/usr/bin/python3 (Debian's python3-aioxmpp).

    users = AioUsers(c2s_port)
    async def scenario():
        alice = await users.login('alice@localhost/aio', 'alicepw')
        room, fut = alice.muc.join(aioxmpp.JID.fromstr('r@muc.localhost'), 'Alice')
        alice.track(room)
        await users.bounded(fut)
    users.run(scenario())
    users.close()
"""

import asyncio
import collections
import logging

import aioxmpp
import aioxmpp.connector
import aioxmpp.errors
import aioxmpp.muc

for _name in ('aioxmpp', 'aiosasl', 'aioopenssl'):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

WAIT = 5.0      # seconds a wait() or bounded() allows by default
RUN = 45.0      # seconds one run() allows

# what a user saw: the signal's name, the room's bare JID (None for the
# MUCClient's own signals), the positional and keyword arguments
Event = collections.namedtuple('Event', 'name room args kwargs')

# the Room signals recorded by track()
ROOM_SIGNALS = ('on_muc_enter', 'on_join', 'on_leave', 'on_exit', 'on_nick_changed',
                'on_muc_role_changed', 'on_muc_affiliation_changed', 'on_presence_changed',
                'on_message', 'on_topic_changed', 'on_muc_role_request', 'on_muc_stale',
                'on_muc_fresh', 'on_muc_suspend', 'on_muc_resume')


def security_layer(password):
    """aioxmpp's own security layer, with TLS optional (the rig has none)
    and no certificate verification (never a real server)."""
    return aioxmpp.make_security_layer(password, no_verify=True)._replace(tls_required=False)


class AioUser:
    """One logged-in account: .client (aioxmpp.PresenceManagedClient), .muc
    (its aioxmpp.MUCClient), .events (every recorded signal, in order)."""

    def __init__(self, users, jid, password):
        self.users = users
        self.jid = aioxmpp.JID.fromstr(jid)
        self.client = aioxmpp.PresenceManagedClient(
            self.jid, security_layer(password),
            override_peer=[(users.host, users.port, aioxmpp.connector.STARTTLSConnector())],
            max_initial_attempts=1)
        self.muc = self.client.summon(aioxmpp.MUCClient)
        self.events = []
        self._changed = asyncio.Event()
        self.muc.on_muc_invitation.connect(self._recorder('on_muc_invitation', None))
        self.client.send = self._recording_send(self.client.send)

    def _recorder(self, name, room):
        def record(*args, **kwargs):
            self.events.append(Event(name, room, args, kwargs))
            self._changed.set()
            # on_muc_role_request's handlers must not return a value
        return record

    def _recording_send(self, send):
        """client.send(), recording every IQ it sends, also those aioxmpp
        sends itself (the Room's self-pings), as an 'iq' event whose
        arguments are the IQ and its outcome: 'result' or the error's
        condition."""
        async def recorded(stanza, **kwargs):
            if not isinstance(stanza, aioxmpp.IQ):
                return await send(stanza, **kwargs)
            try:
                reply = await send(stanza, **kwargs)
            except aioxmpp.errors.XMPPError as e:
                self._recorder('iq', None)(stanza, e.condition.value[1])
                raise
            self._recorder('iq', None)(stanza, 'result')
            return reply
        return recorded

    def track(self, room):
        """Records the signals of a Room (from MUCClient.join())."""
        for name in ROOM_SIGNALS:
            getattr(room, name).connect(self._recorder(name, str(room.jid)))
        return room

    async def start(self, timeout=WAIT * 2):
        established = self.client.on_stream_established.future()
        failed = self.client.on_failure.future()
        self.client.presence = aioxmpp.PresenceState(True)
        done, _ = await asyncio.wait([established, failed], timeout=timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if failed in done:
            raise RuntimeError('aioxmpp login of %s failed: %r' % (self.jid, failed.exception()))
        if established not in done:
            raise AssertionError('aioxmpp login of %s: no stream within %.0fs' % (self.jid,
                                                                                timeout))
        for fut in (established, failed):
            if not fut.done():
                fut.cancel()

    def mark(self):
        """Where the next wait() starts looking."""
        return len(self.events)

    async def wait(self, pred, start=0, timeout=WAIT, what='an event'):
        """The first recorded event from `start` on for which pred(event) is
        true, waiting at most `timeout` seconds for it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        i = start
        while True:
            while i < len(self.events):
                if pred(self.events[i]):
                    return self.events[i]
                i += 1
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError('%s: no %s within %.0fs; saw:\n%s' % (
                    self.jid, what, timeout, self.show(start)))
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def wait_for(self, name, start=0, timeout=WAIT, where=lambda e: True):
        """The first event named `name` from `start` on that where(e) accepts."""
        return await self.wait(lambda e: e.name == name and where(e), start, timeout, what=name)

    def seen(self, name, start=0, where=lambda e: True):
        """Every recorded event named `name` from `start` on that where() accepts."""
        return [e for e in self.events[start:] if e.name == name and where(e)]

    def show(self, start=0):
        return '\n'.join('  %s %s %r %r' % e for e in self.events[start:]) or '  (nothing)'

    async def stop(self):
        if self.client.running:
            stopped = self.client.on_stopped.future()
            self.client.stop()
            try:
                await asyncio.wait_for(stopped, 3)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                pass


def _quiet_disconnects(loop, context):
    """The loop's exception handler: what aioxmpp left in flight when a
    user logged out (a self-ping, a stream future) fails with
    ConnectionError and is nobody's concern; anything else is reported."""
    if isinstance(context.get('exception'), ConnectionError):
        return
    loop.default_exception_handler(context)


class AioUsers:
    """Every aioxmpp user of a suite, on one asyncio loop (see the module
    docstring)."""

    def __init__(self, port, host='127.0.0.1'):
        self.port, self.host = port, host
        self.loop = asyncio.new_event_loop()
        self.loop.set_exception_handler(_quiet_disconnects)
        self.live = []

    def run(self, coro, timeout=RUN):
        """Runs a coroutine in the users' loop, at most `timeout` seconds."""
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout))

    @staticmethod
    async def bounded(awaitable, timeout=WAIT, what=None):
        """Awaits at most `timeout` seconds; AssertionError naming `what`
        (or the awaitable) when that is not enough."""
        try:
            return await asyncio.wait_for(awaitable, timeout)
        except asyncio.TimeoutError:
            raise AssertionError('nothing within %.0fs: %s' % (timeout, what or awaitable)) \
                from None

    async def login(self, jid, password):
        """Logs in with presence; returns the AioUser."""
        user = AioUser(self, jid, password)
        self.live.append(user)
        await user.start()
        return user

    async def logout(self, *users):
        for u in users:
            if u in self.live:
                self.live.remove(u)
            await u.stop()

    def close(self):
        """Stops every user still logged in and closes the loop."""
        try:
            self.run(self.logout(*list(self.live)), timeout=10)
        except Exception:   # noqa: BLE001 - best effort at teardown
            pass
        pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        for t in pending:
            t.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()
