"""tests/integration/test_prosody_game.py: game rooms (FEATURES.md GAME-1) with real clients through a real Prosody.

Palaver (muc-core, history, disco-extended, game-rooms) runs as the
component of a private Prosody; real accounts log in over c2s (slixmpp)
and do what a person's client does. One named test per rule of
plugins/game-rooms/README: the player affiliation through muc#admin, the
delivery rules for groupchat messages and subject changes, the history
rules for joining players and participants, game payloads relayed
untouched, and the room options. One Prosody and one palaver for the file,
a distinct room per test. The stanza helpers are test_prosody_muc.py's.
TAP_ONLY=substring runs some tests; PALAVER_KEEP_TMP=1 keeps directories.
"""

import os
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

import test_prosody_muc as M  # noqa: E402  (helpers only; its tests do not run here)
from mucclient import XmppError, NS, q  # noqa: E402
from suite import Suite, prosody_server  # noqa: E402
from test_prosody_muc import (room, item, text, show, from_room, join,  # noqa: E402
                              presence_from, message_from, groupchat, get_config,
                              submit_config, create, admin_set, affiliations)

DOMAIN = M.DOMAIN
SECRET = 'game-integration-secret'
PLUGINS = ['muc-core', 'history', 'disco-extended', 'game-rooms']
ACCOUNTS = ('alice', 'bob', 'carol', 'dave', 'erin')
CHESS = 'urn:example:chess'

P = D = U = None  # prosody.Prosody, daemon.Palaver, mucclient.Users: see suite.py
SUITE = Suite(globals(), prosody_server(DOMAIN, SECRET), DOMAIN, SECRET, PLUGINS, ACCOUNTS,
              name='game', resource='game')
setup, login, logout = SUITE.setup, SUITE.login, SUITE.logout


def bodies(u, rname, start):
    return [text(s, 'body') for s in from_room(u, rname, start)
            if s.tag.endswith('message') and text(s, 'body') is not None]


def game_room(owner, rname, extra=None):
    """A game room owned by `owner` (nick Alice), configured with game=1."""
    cfg = {'game': '1'}
    cfg.update(extra or {})
    create(owner, rname, 'Alice', cfg)


def table(rname, alice, bob, carol):
    """alice owns (moderator), bob is a participant, carol a player; every
    occupant has seen the others arrive. Returns nothing."""
    game_room(alice, rname)
    admin_set(alice, rname, "<item jid='carol@localhost' affiliation='player'/>")
    join(bob, rname, 'Bob')
    pres = join(carol, rname, 'Carol')
    assert (item(pres).get('affiliation'), item(pres).get('role')) == ('player', 'player'), \
        show([pres])
    presence_from(bob, room(rname) + '/Carol')


def settle(users, rname, sender, marker):
    """Sends a marker message from `sender` and waits until every user got it:
    whatever was routed before it has arrived too."""
    marks = [u.mark() for u in users]
    groupchat(sender, rname, marker, 'mk-' + marker)
    for u, m in zip(users, marks):
        u.wait(lambda st, r=rname: st.tag.endswith('message') and M.bare(st.get('from')) == room(r)
               and text(st, 'body') == marker, start=m, what='the marker ' + marker)


def say(u, rname, nick, body):
    """A groupchat message, once its echo is back (so messages from several
    senders reach the room in the order they were said)."""
    m = u.mark()
    groupchat(u, rname, body, 'say-%d' % m)
    message_from(u, '%s/%s' % (room(rname), nick), m, lambda st: text(st, 'body') == body)


def canon(el):
    """An element as a comparable tree: name, attributes (order is not
    significant in XML), text and children."""
    return (el.tag, sorted(el.attrib.items()), el.text or '', el.tail or '',
            [canon(c) for c in el])


def history_after_join(u, rname, nick):
    """Joins and returns the bodies of the delayed (history) messages that
    precede the subject message."""
    m = u.mark()
    pres = join(u, rname, nick)
    assert pres.get('type') != 'error', show([pres])
    u.wait(lambda st: st.tag.endswith('message') and st.get('from') == room(rname)
           and st.find('{jabber:client}subject') is not None, start=m, what='the subject')
    out = []
    for st in from_room(u, rname, m):
        if st.tag.endswith('message') and st.find('{jabber:client}subject') is not None:
            break
        if st.tag.endswith('message') and st.find(q('delay:delay')) is not None:
            out.append(text(st, 'body'))
    return out


# ---- tests -----------------------------------------------------------------

def test_game_1_owner_form_offers_game_and_ignore_player_booleans():
    setup()
    R = 'g-form'
    alice = login('alice')
    try:
        create(alice, R, 'Alice')
        res = alice.iq(room(R), 'get', "<query xmlns='%s'/>" % NS['owner'])
        fields = {f.get('var'): f for f in res.iter(q('data:field'))}
        for var in ('game', 'ignore_player'):
            assert var in fields, sorted(fields)
            assert fields[var].get('type') == 'boolean', ET.tostring(fields[var], 'unicode')
            assert [v.text for v in fields[var].findall(q('data:value'))] == ['0'], \
                ET.tostring(fields[var], 'unicode')
        submit_config(alice, R, {'game': '1', 'ignore_player': 'true'})
        form = get_config(alice, R)
        assert form['game'] in (['1'], ['true']) and form['ignore_player'] in (['1'], ['true']), form
        # the muc#roominfo form tells anyone whether it is a game room
        info = alice.iq(room(R), 'get', "<query xmlns='%s'/>" % NS['info'])
        roominfo = M.form_fields(info.find(q('info:query')).find(q('data:x')))
        assert roominfo.get('x-palaver#game') == ['1'], roominfo
        submit_config(alice, R, {'game': '0'})
        info = alice.iq(room(R), 'get', "<query xmlns='%s'/>" % NS['info'])
        roominfo = M.form_fields(info.find(q('info:query')).find(q('data:x')))
        assert roominfo.get('x-palaver#game') == ['0'], roominfo
        try:
            submit_config(alice, R, {'game': 'sometimes'})
            raise AssertionError('a non-boolean game value was accepted')
        except XmppError as e:
            assert e.condition == 'not-acceptable', e
    finally:
        logout(alice)


def test_game_1_grant_list_and_revoke_player_through_muc_admin():
    setup()
    R = 'g-admin'
    alice, bob, carol, dave = login('alice'), login('bob'), login('carol'), login('dave')
    try:
        game_room(alice, R)
        # granted by jid while absent: stored, listed, and the role on entry
        admin_set(alice, R, "<item jid='bob@localhost' affiliation='player'/>")
        assert affiliations(alice, R, 'player') == ['bob@localhost']
        pres = join(bob, R, 'Bob')
        assert (item(pres).get('affiliation'), item(pres).get('role')) == ('player', 'player'), \
            show([pres])
        # granted by nick while present: everyone sees the new affiliation
        join(carol, R, 'Carol')
        a0, c0 = alice.mark(), carol.mark()
        admin_set(alice, R, "<item nick='Carol' affiliation='player'/>")
        for u, m in ((alice, a0), (carol, c0)):
            pres = presence_from(u, room(R) + '/Carol', m,
                                 lambda st: item(st) is not None and
                                 item(st).get('affiliation') == 'player')
            assert item(pres).get('role') == 'player', show([pres])
        assert affiliations(alice, R, 'player') == ['bob@localhost', 'carol@localhost']
        # a participant may not grant it
        join(dave, R, 'Dave')
        try:
            admin_set(dave, R, "<item jid='dave@localhost' affiliation='player'/>")
            raise AssertionError('a participant granted the player affiliation')
        except XmppError as e:
            assert e.condition in ('forbidden', 'not-allowed'), e
        # revoked by granting another affiliation: role back to participant
        a1 = alice.mark()
        admin_set(alice, R, "<item jid='bob@localhost' affiliation='member'/>")
        pres = presence_from(alice, room(R) + '/Bob', a1,
                             lambda st: item(st) is not None and
                             item(st).get('affiliation') == 'member')
        assert item(pres).get('role') == 'participant', show([pres])
        assert affiliations(alice, R, 'player') == ['carol@localhost']
        assert affiliations(alice, R, 'member') == ['bob@localhost']
        admin_set(alice, R, "<item jid='carol@localhost' affiliation='none'/>")
        assert affiliations(alice, R, 'player') == []
        # no longer a player: a participant's message reaches bob again
        b0 = bob.mark()
        groupchat(dave, R, 'heard by bob', 'ga1')
        message_from(bob, room(R) + '/Dave', b0, lambda st: text(st, 'body') == 'heard by bob')
    finally:
        logout(alice, bob, carol, dave)


def test_game_1_participant_groupchat_not_delivered_to_players():
    setup()
    R = 'g-withheld'
    alice, bob, carol = login('alice'), login('bob'), login('carol')
    try:
        table(R, alice, bob, carol)
        a0, b0, c0 = alice.mark(), bob.mark(), carol.mark()
        say(bob, R, 'Bob', 'kibitz')
        settle((alice, bob, carol), R, alice, 'after-kibitz')
        assert bodies(alice, R, a0) == ['kibitz', 'after-kibitz'], bodies(alice, R, a0)
        assert bodies(bob, R, b0) == ['kibitz', 'after-kibitz'], bodies(bob, R, b0)
        assert bodies(carol, R, c0) == ['after-kibitz'], show(from_room(carol, R, c0))
    finally:
        logout(alice, bob, carol)


def test_game_1_ignore_player_on_delivers_participant_groupchat_to_players():
    setup()
    R = 'g-ignore'
    alice, bob, carol = login('alice'), login('bob'), login('carol')
    try:
        table(R, alice, bob, carol)
        submit_config(alice, R, {'ignore_player': '1'})
        c0 = carol.mark()
        say(bob, R, 'Bob', 'kibitz allowed')
        settle((alice, bob, carol), R, alice, 'after-allowed')
        assert bodies(carol, R, c0) == ['kibitz allowed', 'after-allowed'], \
            show(from_room(carol, R, c0))
        # and off again: withheld again
        submit_config(alice, R, {'ignore_player': '0'})
        c1 = carol.mark()
        say(bob, R, 'Bob', 'kibitz withheld')
        settle((alice, bob, carol), R, alice, 'after-withheld')
        assert bodies(carol, R, c1) == ['after-withheld'], show(from_room(carol, R, c1))
    finally:
        logout(alice, bob, carol)


def test_game_1_players_and_moderators_messages_reach_everyone():
    setup()
    R = 'g-everyone'
    alice, bob, carol, dave = login('alice'), login('bob'), login('carol'), login('dave')
    try:
        table(R, alice, bob, carol)
        admin_set(alice, R, "<item jid='dave@localhost' affiliation='player'/>")
        join(dave, R, 'Dave')
        marks = [(u, u.mark()) for u in (alice, bob, carol, dave)]
        say(carol, R, 'Carol', 'e4')          # a player
        say(alice, R, 'Alice', 'good move')   # the owner, a moderator
        say(dave, R, 'Dave', 'e5')            # another player
        settle((alice, bob, carol, dave), R, alice, 'after-moves')
        for u, m in marks:
            assert bodies(u, R, m) == ['e4', 'good move', 'e5', 'after-moves'], \
                (u.jid, bodies(u, R, m))
        # a moderator who is not an owner: bob made moderator
        admin_set(alice, R, "<item nick='Bob' role='moderator'/>")
        c0, d0 = carol.mark(), dave.mark()
        say(bob, R, 'Bob', 'as moderator')
        settle((carol, dave), R, alice, 'after-mod')
        assert bodies(carol, R, c0) == ['as moderator', 'after-mod'], bodies(carol, R, c0)
        assert bodies(dave, R, d0) == ['as moderator', 'after-mod'], bodies(dave, R, d0)
    finally:
        logout(alice, bob, carol, dave)


def test_game_1_subject_change_by_participant_not_broadcast_to_players():
    setup()
    R = 'g-subject'
    alice, bob, carol = login('alice'), login('bob'), login('carol')
    try:
        game_room(alice, R, {'muc#roomconfig_changesubject': '1'})
        admin_set(alice, R, "<item jid='carol@localhost' affiliation='player'/>")
        join(bob, R, 'Bob')
        join(carol, R, 'Carol')
        presence_from(bob, room(R) + '/Carol')

        def subjects(u, m):
            return [text(s, 'subject') for s in from_room(u, R, m)
                    if s.tag.endswith('message') and s.find('{jabber:client}subject') is not None]

        a0, b0, c0 = alice.mark(), bob.mark(), carol.mark()
        bob.send("<message to='%s' type='groupchat'><subject>spectators</subject></message>"
                 % room(R))
        message_from(bob, room(R) + '/Bob', b0, lambda st: text(st, 'subject') == 'spectators')
        settle((alice, bob, carol), R, alice, 'after-subject')
        assert subjects(alice, a0) == ['spectators'], show(from_room(alice, R, a0))
        assert subjects(bob, b0) == ['spectators'], show(from_room(bob, R, b0))
        assert subjects(carol, c0) == [], show(from_room(carol, R, c0))
        c1 = carol.mark()
        alice.send("<message to='%s' type='groupchat'><subject>round 2</subject></message>"
                   % room(R))
        message_from(carol, room(R) + '/Alice', c1, lambda st: text(st, 'subject') == 'round 2')
        c2 = carol.mark()
        carol.send("<message to='%s' type='groupchat'><subject>my turn</subject></message>"
                   % room(R))
        message_from(bob, room(R) + '/Carol', b0, lambda st: text(st, 'subject') == 'my turn')
        message_from(carol, room(R) + '/Carol', c2, lambda st: text(st, 'subject') == 'my turn')
    finally:
        logout(alice, bob, carol)


def test_game_1_history_for_a_joining_player_and_a_joining_participant():
    setup()
    R = 'g-history'
    alice, bob, carol, dave, erin = (login(n) for n in ('alice', 'bob', 'carol', 'dave', 'erin'))
    try:
        table(R, alice, bob, carol)
        say(alice, R, 'Alice', 'mod says')
        say(bob, R, 'Bob', 'participant says')
        say(carol, R, 'Carol', 'player says')
        settle((alice, bob), R, alice, 'last word')
        admin_set(alice, R, "<item jid='dave@localhost' affiliation='player'/>")
        got = history_after_join(dave, R, 'Dave')
        assert got == ['player says'], got
        got = history_after_join(erin, R, 'Erin')
        assert got == ['mod says', 'participant says', 'last word'], got
    finally:
        logout(alice, bob, carol, dave, erin)


def test_game_1_game_payload_children_relayed_untouched():
    setup()
    R = 'g-payload'
    alice, bob, carol = login('alice'), login('bob'), login('carol')
    payload = ("<move xmlns='%s' game='g7' seq='12'><from>e2</from><to promote=''>e4</to>"
               "<clock xmlns='urn:example:clock' ms='59000'/><note>&lt;ok&gt; &amp; fast</note>"
               "</move>" % CHESS)
    want = canon(ET.fromstring(payload))
    try:
        table(R, alice, bob, carol)
        b0, a0 = bob.mark(), alice.mark()
        carol.send("<message to='%s' type='groupchat' id='gp1'><body>e4</body>%s</message>"
                   % (room(R), payload))
        for u, m in ((bob, b0), (alice, a0)):
            st = message_from(u, room(R) + '/Carol', m, lambda s: text(s, 'body') == 'e4')
            moves = st.findall('{%s}move' % CHESS)
            assert len(moves) == 1, show([st])
            assert canon(moves[0]) == want, (ET.tostring(moves[0], 'unicode'), payload)
    finally:
        logout(alice, bob, carol)


def test_game_1_palaver_stops_cleanly_after_the_suite():
    SUITE.check_clean_stop()


if __name__ == '__main__':
    SUITE.main(globals())
