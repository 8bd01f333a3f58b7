"""tests/integration/test_prosody_offline_delivery.py: messages for absent members (FEATURES.md OFFLINE-1) through a real Prosody.

Palaver (muc-core, sqlite) runs as the component of a private Prosody that
loads mod_cloud_notify (XEP-0357 push, Debian's prosody-modules), which turns
a groupchat message sent to a user's bare JID into a push notification while
the user has no session. bob (slixmpp) registers with alice's persistent
room, asking with the registration form's {http://tigase.org/protocol/muc}offline
field for messages while absent, and enables push towards carol's client (the
app server stand-in); then he logs out. alice's message in the room reaches
bob's own server and is pushed to carol with its body and sender; dave,
registered without asking, gets nothing. Once the room's owner turns
x-palaver#offlinedelivery off, nothing more is pushed.
TAP_ONLY=substring runs some tests; PALAVER_KEEP_TMP=1 keeps directories.
"""

import copy
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

from slixmpp.xmlstream.handler import Callback  # noqa: E402
from slixmpp.xmlstream.matcher import MatchXPath  # noqa: E402

import prosody  # noqa: E402
import test_prosody_muc as M  # noqa: E402  (helpers only; its tests do not run here)
from suite import Suite, prosody_server  # noqa: E402
from test_prosody_muc import room, create, join, submit_config  # noqa: E402

DOMAIN = M.DOMAIN
SECRET = 'offline-integration-secret'
ACCOUNTS = ('alice', 'bob', 'carol', 'dave')
FIELD = '{http://tigase.org/protocol/muc}offline'
PUSH, PUBSUB = 'urn:xmpp:push:0', 'http://jabber.org/protocol/pubsub'
DATA = 'jabber:x:data'


def make_prosody():
    return prosody.Prosody(components={DOMAIN: SECRET}, extra_modules=['cloud_notify'],
                           extra_global='push_notification_with_body = true\n'
                                        'push_notification_with_sender = true')


def cloud_notify_installed():
    return prosody.available() and any(
        os.path.exists(os.path.join(d, 'mod_cloud_notify', 'mod_cloud_notify.lua'))
        for d in ('/usr/lib/prosody/modules', '/usr/share/prosody-modules'))


DESCRIPTION = dict(prosody_server(DOMAIN, SECRET), make=make_prosody,
                   available=cloud_notify_installed)
P = D = U = None  # prosody.Prosody, daemon.Palaver, mucclient.Users: see suite.py
SUITE = Suite(globals(), DESCRIPTION, DOMAIN, SECRET, ['muc-core', 'history'], ACCOUNTS,
              name='offline', resource='off')
setup, login, logout = SUITE.setup, SUITE.login, SUITE.logout


def register(u, rname, nick, offline=None):
    extra = '' if offline is None else \
        "<field var='%s'><value>%s</value></field>" % (FIELD, offline)
    return u.iq(room(rname), 'set',
                "<query xmlns='jabber:iq:register'><x xmlns='%s' type='submit'>"
                "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>"
                "<field var='muc#register_roomnick'><value>%s</value></field>%s</x></query>"
                % (DATA, nick, extra))


def form_field(res, var):
    for f in res.iter('{%s}field' % DATA):
        if f.get('var') == var:
            return f
    return None


def push_watcher(u):
    """Records the XEP-0357 publishes u (the app server) gets, answering each."""
    got = []

    def on_push(iq):
        got.append(copy.deepcopy(iq.xml))
        iq.reply().send()

    u.xmpp.register_handler(Callback('push', MatchXPath('{jabber:client}iq/{%s}pubsub' % PUBSUB),
                                     on_push))
    return got


def summary(iq):
    """The notification's urn:xmpp:push:summary form as a dict."""
    out = {}
    for f in iq.iter('{%s}field' % DATA):
        out[f.get('var')] = f.findtext('{%s}value' % DATA)
    return out


def wait_for(users, pred, timeout=8.0):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        users.sleep(0.05)
    return pred()


def test_offline_1_absent_member_is_pushed_through_own_server():
    setup()
    alice, bob, carol, dave = login('alice'), login('bob'), login('carol', 'appserver'), login('dave')
    R = 'absent'
    pushes = push_watcher(carol)
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_persistentroom': '1'})
        form = bob.iq(room(R), 'get', "<query xmlns='jabber:iq:register'/>")
        f = form_field(form, FIELD)
        assert f is not None and f.get('type') == 'boolean', M.show([form])
        assert register(bob, R, 'Bob', '1').get('type') == 'result'
        assert register(dave, R, 'Dave').get('type') == 'result'
        bob.iq('bob@localhost', 'set', "<enable xmlns='%s' jid='%s' node='bob-node'/>" % (PUSH, carol.full))
        dave.iq('dave@localhost', 'set', "<enable xmlns='%s' jid='%s' node='dave-node'/>" % (PUSH, carol.full))
        logout(bob, dave)
        alice.send("<message to='%s' type='groupchat'><body>while you were away</body></message>"
                   % room(R))
        assert wait_for(SUITE.users, lambda: pushes), 'no push notification for bob'
        SUITE.users.sleep(1.0)
        nodes = [iq.find('{%s}pubsub/{%s}publish' % (PUBSUB, PUBSUB)).get('node') for iq in pushes]
        assert nodes == ['bob-node'], nodes
        s = summary(pushes[0])
        assert s.get('last-message-body') == 'while you were away', s
        assert s.get('last-message-sender') == room(R) + '/Alice', s
        # the owner turns it off: nothing more
        submit_config(alice, R, {'x-palaver#offlinedelivery': '0'})
        alice.send("<message to='%s' type='groupchat'><body>unheard</body></message>" % room(R))
        SUITE.users.sleep(1.5)
        assert len(pushes) == 1, [summary(p) for p in pushes]
    finally:
        logout(alice, carol)


def test_offline_1_member_in_room_gets_no_bare_copy():
    setup()
    alice, bob, carol = login('alice'), login('bob'), login('carol', 'appserver2')
    R = 'present'
    pushes = push_watcher(carol)
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_persistentroom': '1'})
        assert register(bob, R, 'Bob', 'true').get('type') == 'result'
        bob.iq('bob@localhost', 'set', "<enable xmlns='%s' jid='%s' node='bob-here'/>" % (PUSH, carol.full))
        join(bob, R, 'Bob')
        m = bob.mark()
        alice.send("<message to='%s' type='groupchat'><body>you are here</body></message>"
                   % room(R))
        bob.wait(lambda st: st.findtext('{jabber:client}body') == 'you are here', start=m,
                 what="the room's copy")
        SUITE.users.sleep(1.0)
        assert not pushes, [summary(p) for p in pushes]
    finally:
        logout(alice, bob, carol)


def test_zz_clean_stop():
    SUITE.check_clean_stop()


if __name__ == '__main__':
    SUITE.main(globals())
