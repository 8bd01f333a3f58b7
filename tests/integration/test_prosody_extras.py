"""tests/integration/test_prosody_extras.py: message moderation (FEATURES.md
MODERATE-1, XEP-0425) and room avatars (AVATAR-1, XEP-0486) with real
clients through a real Prosody.

Palaver (muc-core, history, disco-extended; sqlite backend) runs as the
component of a private Prosody; real accounts log in over c2s (slixmpp).
Moderation: an owner retracts another occupant's message by the room's
stanza-id; both clients get the retraction from the room JID, a later
joiner gets the tombstone in the history, not the body. Avatars: the owner
sets the room's vCard photo; an occupant gets the update presence from the
room JID and reads the photo back; disco#info carries the hash in the
roominfo form. The stanza helpers are test_prosody_muc.py's.
PALAVER_KEEP_TMP=1 keeps the directories.
"""

import base64
import hashlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

import test_prosody_muc as M  # noqa: E402  (helpers only; its tests do not run here)
from mucclient import XmppError  # noqa: E402
from suite import Suite, prosody_server  # noqa: E402
from test_prosody_muc import (room, text, show, join, message_from, presence_from,  # noqa: E402
                              groupchat, create)

DOMAIN = M.DOMAIN
SECRET = 'extras-integration-secret'
PLUGINS = ['muc-core', 'history', 'disco-extended']
ACCOUNTS = ('alice', 'bob', 'carol', 'dave')
NS_MOD1 = 'urn:xmpp:message-moderate:1'
NS_RET1 = 'urn:xmpp:message-retract:1'
NS_SID = 'urn:xmpp:sid:0'
NS_DELAY = 'urn:xmpp:delay'
NS_VC = 'vcard-temp'
NS_UPD = 'vcard-temp:x:update'
LOGGED = {'muc#roomconfig_enablelogging': '1', 'muc#roomconfig_persistentroom': '1'}

P = D = U = None  # prosody.Prosody, daemon.Palaver, mucclient.Users: see suite.py
SUITE = Suite(globals(), prosody_server(DOMAIN, SECRET), DOMAIN, SECRET, PLUGINS, ACCOUNTS,
              name='extras', resource='extras')
setup, login, logout = SUITE.setup, SUITE.login, SUITE.logout


def q(ns, name):
    return '{%s}%s' % (ns, name)


def test_moderate_1_retraction_through_prosody():
    setup()
    R = 'extras-moderate'
    alice, bob, carol = login('alice'), login('bob'), login('carol')
    try:
        create(alice, R, 'Alice', LOGGED)
        join(bob, R, 'Bob')
        m = alice.mark()
        groupchat(bob, R, 'buy cheap stuff', 'spam1')
        refl = message_from(alice, '%s/Bob' % room(R), m,
                            lambda st: text(st, 'body') == 'buy cheap stuff', what='the spam')
        sids = [s.get('id') for s in refl.findall(q(NS_SID, 'stanza-id')) if s.get('by') == room(R)]
        assert len(sids) == 1, show([refl])
        ma, mb = alice.mark(), bob.mark()
        res = alice.iq(room(R), 'set', "<moderate xmlns='%s' id='%s'><retract xmlns='%s'/>"
                       "<reason>Spam</reason></moderate>" % (NS_MOD1, sids[0], NS_RET1))
        assert res.get('type') == 'result', show([res])
        for u, mark in ((alice, ma), (bob, mb)):
            n = message_from(u, room(R), mark, lambda st: st.find(q(NS_RET1, 'retract')) is not None,
                             what='the retraction')
            r = n.find(q(NS_RET1, 'retract'))
            assert r.get('id') == sids[0], show([n])
            assert r.find(q(NS_MOD1, 'moderated')).get('by') == '%s/Alice' % room(R), show([n])
            assert r.find(q(NS_RET1, 'reason')).text == 'Spam', show([n])
        # a later joiner: the tombstone, never the body
        mc = carol.mark()
        join(carol, R, 'Carol')
        message_from(carol, room(R), mc, lambda st: st.find('{jabber:client}subject') is not None,
                     what='the subject')
        got = carol.since(mc)
        assert 'buy cheap stuff' not in show(got), show(got)
        tombs = [st for st in got if st.find(q(NS_RET1, 'retracted')) is not None
                 and st.find(q(NS_DELAY, 'delay')) is not None]
        assert len(tombs) == 1 and tombs[0].get('from') == '%s/Bob' % room(R), show(got)
        # a participant may not retract
        try:
            bob.iq(room(R), 'set', "<moderate xmlns='%s' id='%s'><retract xmlns='%s'/>"
                   "</moderate>" % (NS_MOD1, sids[0], NS_RET1))
            raise AssertionError('a participant retracted a message')
        except XmppError as e:
            assert e.condition == 'forbidden', str(e)
    finally:
        logout(alice, bob, carol)


def test_avatar_1_room_vcard_through_prosody():
    setup()
    R = 'extras-avatar'
    image = b'\x89PNG\r\n\x1a\n' + bytes(range(200))
    sha = hashlib.sha1(image).hexdigest()
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_publicroom': '1'})
        join(bob, R, 'Bob')
        mb = bob.mark()
        res = alice.iq(room(R), 'set', "<vCard xmlns='%s'><PHOTO><TYPE>image/png</TYPE>"
                       "<BINVAL>%s</BINVAL></PHOTO></vCard>"
                       % (NS_VC, base64.b64encode(image).decode()))
        assert res.get('type') == 'result', show([res])
        p = presence_from(bob, room(R), mb, lambda st: st.find(q(NS_UPD, 'x')) is not None,
                          what='the avatar update presence')
        assert p.find(q(NS_UPD, 'x')).find(q(NS_UPD, 'photo')).text == sha, show([p])
        res = bob.iq(room(R), 'get', "<vCard xmlns='%s'/>" % NS_VC)
        ph = res.find(q(NS_VC, 'vCard')).find(q(NS_VC, 'PHOTO'))
        assert ph.find(q(NS_VC, 'TYPE')).text == 'image/png', show([res])
        assert base64.b64decode(ph.find(q(NS_VC, 'BINVAL')).text) == image
        res = bob.iq(room(R), 'get', "<query xmlns='http://jabber.org/protocol/disco#info'/>")
        feats = {f.get('var') for f in res.iter('{http://jabber.org/protocol/disco#info}feature')}
        assert NS_VC in feats, show([res])
        hashes = [v.text for f in res.iter('{jabber:x:data}field')
                  if f.get('var') == 'muc#roominfo_avatarhash'
                  for v in f.findall('{jabber:x:data}value')]
        assert hashes == [sha], show([res])
        # bob is no owner
        try:
            bob.iq(room(R), 'set', "<vCard xmlns='%s'/>" % NS_VC)
            raise AssertionError('a participant changed the avatar')
        except XmppError as e:
            assert e.condition == 'forbidden', str(e)
    finally:
        logout(alice, bob)


def test_palaver_stops_cleanly_after_the_suite():
    """Exit 0 on SIGTERM and no sanitizer report in its output (ASan builds)."""
    SUITE.check_clean_stop()


if __name__ == '__main__':
    SUITE.main(globals())
