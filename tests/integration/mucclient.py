"""tests/integration/mucclient.py: several real XMPP users on one event loop, as a person's client sees MUC.

Every user logs in over c2s (no TLS) to the private Prosody, and records
every <message/> and <presence/> it receives (as ElementTree copies, in
order) so tests can check the full stream a user got, not only the stanza
they waited for. IQs are sent and their result or error returned. All users
share one asyncio loop, so waiting on one keeps the others reading.

    users = Users(c2s_port)
    a = users.login('alice@localhost', 'pw')
    a.send("<presence to='room@muc.localhost/A'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
    st = a.wait(lambda s: s.tag.endswith('presence') and s.get('from') == 'room@muc.localhost/A')
    users.close()
"""

import asyncio
import copy
import logging
import time
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher.base import MatcherBase

from xmppclient import close_loop

logging.getLogger('slixmpp').setLevel(logging.CRITICAL)

NS = {
    'c': 'jabber:client',
    'muc': 'http://jabber.org/protocol/muc',
    'user': 'http://jabber.org/protocol/muc#user',
    'admin': 'http://jabber.org/protocol/muc#admin',
    'owner': 'http://jabber.org/protocol/muc#owner',
    'data': 'jabber:x:data',
    'info': 'http://jabber.org/protocol/disco#info',
    'items': 'http://jabber.org/protocol/disco#items',
    'register': 'jabber:iq:register',
    'mam': 'urn:xmpp:mam:2',
    'rsm': 'http://jabber.org/protocol/rsm',
    'forward': 'urn:xmpp:forward:0',
    'delay': 'urn:xmpp:delay',
    'sid': 'urn:xmpp:sid:0',
    'stanzas': 'urn:ietf:params:xml:ns:xmpp-stanzas',
}


def q(tag):
    """'user:x' -> '{http://jabber.org/protocol/muc#user}x'."""
    prefix, local = tag.split(':', 1)
    return '{%s}%s' % (NS[prefix], local)


class _Any(MatcherBase):
    def __init__(self, names):
        super().__init__(None)
        self.names = names

    def match(self, xml):
        return xml.tag in self.names


class XmppError(Exception):
    """An IQ error answer; .condition is the stanza error condition."""

    def __init__(self, condition, stanza):
        super().__init__('%s: %s' % (condition, stanza))
        self.condition = condition
        self.stanza = stanza


class User:
    """One logged-in account. .received: every message/presence, in order."""

    def __init__(self, users, jid, password):
        self.users = users
        self.jid = jid
        self.xmpp = slixmpp.ClientXMPP(jid, password)
        self.xmpp.register_plugin('xep_0030')
        self.xmpp['feature_mechanisms'].unencrypted_plain = True
        self.received = []
        self.xmpp.register_handler(Callback(
            'record', _Any({'{jabber:client}message', '{jabber:client}presence'}),
            lambda st: self.received.append(copy.deepcopy(st.xml))))

    @property
    def full(self):
        return str(self.xmpp.boundjid.full)

    def send(self, xml):
        self.xmpp.send_raw(xml)

    def iq(self, to, type_, payload, timeout=10):
        """Sends an IQ with the payload (XML text); returns the answer's
        Element or raises XmppError(condition) on an error answer."""
        iq = self.xmpp.Iq()
        iq['to'] = to
        iq['type'] = type_
        if payload:
            iq.append(ET.fromstring(payload))
        try:
            res = self.users.run(iq.send(timeout=timeout), timeout + 2)
        except IqError as e:
            raise XmppError(e.iq['error']['condition'], str(e.iq)) from None
        except IqTimeout:
            raise AssertionError('no answer to IQ to %s: %s' % (to, payload)) from None
        return copy.deepcopy(res.xml)

    def mark(self):
        """A position in .received; since(mark) is what arrived after it."""
        return len(self.received)

    def since(self, mark):
        return self.received[mark:]

    def wait(self, pred, timeout=8.0, start=0, what=None):
        """Waits for a received stanza (from index `start`) matching pred; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            for st in self.received[start:]:
                if pred(st):
                    return st
            if time.monotonic() > deadline:
                raise AssertionError('%s never received %s; got:\n%s' % (
                    self.jid, what or 'the expected stanza',
                    '\n'.join(ET.tostring(s, 'unicode') for s in self.received[start:])[-4000:]))
            self.users.sleep(0.03)


class Users:
    """The shared loop and every logged-in User."""

    def __init__(self, port, host='127.0.0.1', timeout=15.0):
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.port, self.host, self.timeout = port, host, timeout
        self.users = []
        self.retired = []      # logged out; kept so their tasks end with the loop

    def run(self, coro, timeout=None):
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout or self.timeout))

    def sleep(self, seconds):
        self.loop.run_until_complete(asyncio.sleep(seconds))

    def login(self, jid, password, presence=True):
        u = User(self, jid, password)
        ready = self.loop.create_future()

        def on_start(_event):
            if presence:
                u.xmpp.send_presence()
            if not ready.done():
                ready.set_result(True)

        def on_fail(event):
            if not ready.done():
                ready.set_exception(RuntimeError('login of %s failed: %s' % (jid, event)))

        u.xmpp.add_event_handler('session_start', on_start)
        u.xmpp.add_event_handler('failed_auth', on_fail)
        u.xmpp.connect((self.host, self.port), force_starttls=False, disable_starttls=True)
        self.run(ready)
        self.users.append(u)
        return u

    def logout(self, u):
        try:
            fut = u.xmpp.disconnect(wait=0.5)
            if fut is not None and not isinstance(fut, bool):
                self.run(fut, 3)
        except Exception:   # noqa: BLE001 - best effort at teardown
            pass
        if u in self.users:
            self.users.remove(u)
            self.retired.append(u)

    def close(self):
        for u in list(self.users):
            self.logout(u)
        close_loop(self.loop)

