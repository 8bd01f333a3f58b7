"""tests/integration/test_prosody_muc.py: XEP-0045 use cases with real clients through a real Prosody.

Palaver (muc-core, history, disco-extended, game-rooms) runs as the
component of a private Prosody; real accounts log in over c2s (slixmpp, no
TLS) and do what a person's client does (mucclient.py); nothing is written
into the component socket. One named test per use case, with the FEATURES.md
IDs in the names. One Prosody and one palaver serve every test (distinct room
names per test); the persistence test restarts palaver on the same database.

The first test is the acceptance scenario of muc-core: create (locked, 201),
configure, join, talk, change nick, private messages, status, leave, and
compare each client's complete stream from the room with what it must be.
TAP_ONLY=substring runs some tests; PALAVER_KEEP_TMP=1 keeps the directories.

Backend: sqlite by default; test_prosody_muc_pgsql.py runs the same tests
against a private PostgreSQL. Skipped only when Prosody is not installed.
"""

import os
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

from mucclient import XmppError, NS, q  # noqa: E402
from suite import Suite, prosody_server  # noqa: E402

DOMAIN = 'muc.localhost'
SECRET = 'muc-integration-secret'
PLUGINS = ['muc-core', 'history', 'disco-extended', 'game-rooms']
ACCOUNTS = ('alice', 'bob', 'carol', 'dave')
ROOMCONFIG = 'http://jabber.org/protocol/muc#roomconfig'

P = D = U = None  # prosody.Prosody, daemon.Palaver, mucclient.Users: see suite.py
# test_prosody_muc_pgsql.py sets SUITE.backend (and its options) before main()
SUITE = Suite(globals(), prosody_server(DOMAIN, SECRET), DOMAIN, SECRET, PLUGINS, ACCOUNTS,
              name='muc')
setup, login, logout = SUITE.setup, SUITE.login, SUITE.logout
start_palaver, wait_component = SUITE.start_palaver, SUITE.wait_component


# ---- stanza helpers ------------------------------------------------------

def room(name):
    return '%s@%s' % (name, DOMAIN)


def bare(jid):
    return (jid or '').split('/', 1)[0]


def codes(st):
    return sorted(int(s.get('code')) for s in st.iter(q('user:status')))


def item(st):
    x = st.find(q('user:x'))
    return x.find(q('user:item')) if x is not None else None


def text(st, tag):
    el = st.find('{jabber:client}' + tag)
    return el.text if el is not None else None


def err(st):
    e = st.find('{jabber:client}error')
    if e is None:
        return None
    for c in e:
        if c.tag.startswith('{%s}' % NS['stanzas']) and not c.tag.endswith('}text'):
            return c.tag.split('}', 1)[1]
    return '?'


def summary(st):
    """A short, comparable description of a stanza from a room."""
    kind = st.tag.split('}', 1)[1]
    if kind == 'presence':
        it = item(st)
        d = [kind, st.get('type') or 'available', st.get('from'), codes(st)]
        if it is not None:
            d += [it.get('affiliation'), it.get('role')]
            if it.get('nick'):
                d.append('nick=' + it.get('nick'))
        if text(st, 'show'):
            d.append('show=' + text(st, 'show'))
        if text(st, 'status'):
            d.append('status=' + text(st, 'status'))
        if err(st):
            d.append('error=' + err(st))
        return tuple(str(x) for x in d)
    d = [kind, st.get('type') or 'normal', st.get('from')]
    if text(st, 'subject') is not None or st.find('{jabber:client}subject') is not None:
        d.append('subject=' + (text(st, 'subject') or ''))
    if text(st, 'body') is not None:
        d.append('body=' + text(st, 'body'))
    if codes(st):
        d.append('status=%s' % codes(st))
    if err(st):
        d.append('error=' + err(st))
    return tuple(str(x) for x in d)


def from_room(u, name, start=0):
    return [st for st in u.received[start:] if bare(st.get('from')) == room(name)]


def show(sts):
    return '\n'.join(ET.tostring(s, 'unicode') for s in sts)


def presence_from(u, jid, start=0, pred=lambda st: True, what=None):
    return u.wait(lambda st: st.tag == '{jabber:client}presence' and st.get('from') == jid
                  and pred(st), start=start, what=what or 'presence from ' + jid)


def message_from(u, jid, start=0, pred=lambda st: True, what=None):
    return u.wait(lambda st: st.tag == '{jabber:client}message' and st.get('from') == jid
                  and pred(st), start=start, what=what or 'message from ' + jid)


def join(u, rname, nick, extra='', history=''):
    """Sends a MUC join and waits for the self-presence (110) or an error
    presence; returns that presence."""
    m = u.mark()
    occ = '%s/%s' % (room(rname), nick)
    u.send("<presence to='%s'><x xmlns='%s'>%s</x>%s</presence>" % (occ, NS['muc'], history, extra))
    return presence_from(u, occ, m, lambda st: 110 in codes(st) or st.get('type') == 'error',
                         what='self-presence from ' + occ)


def leave(u, rname, nick, status=None):
    m = u.mark()
    occ = '%s/%s' % (room(rname), nick)
    body = '<status>%s</status>' % status if status else ''
    u.send("<presence to='%s' type='unavailable'>%s</presence>" % (occ, body))
    return presence_from(u, occ, m, lambda st: st.get('type') == 'unavailable')


def groupchat(u, rname, body, id_='m1'):
    u.send("<message to='%s' type='groupchat' id='%s'><body>%s</body></message>" % (
        room(rname), id_, body))


def form_fields(x):
    out = {}
    for f in x.findall(q('data:field')):
        out[f.get('var')] = [v.text or '' for v in f.findall(q('data:value'))]
    return out


def get_config(u, rname):
    res = u.iq(room(rname), 'get', "<query xmlns='%s'/>" % NS['owner'])
    x = res.find(q('owner:query')).find(q('data:x'))
    assert x is not None, ET.tostring(res, 'unicode')
    return form_fields(x)


def submit_config(u, rname, values):
    fields = "<field var='FORM_TYPE'><value>%s</value></field>" % ROOMCONFIG
    for var, val in values.items():
        vals = val if isinstance(val, list) else [val]
        fields += "<field var='%s'>%s</field>" % (var, ''.join('<value>%s</value>' % v
                                                                for v in vals))
    return u.iq(room(rname), 'set', "<query xmlns='%s'><x xmlns='%s' type='submit'>%s</x></query>"
                % (NS['owner'], NS['data'], fields))


def create(u, rname, nick, config=None):
    """Creates a room (201), configures it with `config` (an empty submit
    when None) and returns the self-presence."""
    pres = join(u, rname, nick)
    assert pres.get('type') != 'error', ET.tostring(pres, 'unicode')
    assert 201 in codes(pres), ET.tostring(pres, 'unicode')
    submit_config(u, rname, config or {})
    return pres


def admin_set(u, rname, items):
    return u.iq(room(rname), 'set', "<query xmlns='%s'>%s</query>" % (NS['admin'], items))


# ---- ENTER / MSG / NICK / STATUS / EXIT: the acceptance scenario ----------

def test_enter_1_2_5_11_owner_2_msg_1_4_nick_1_status_1_exit_1_two_users_full_session():
    setup()
    R = 'lounge'
    alice, bob = login('alice'), login('bob')
    try:
        a0, b0 = alice.mark(), bob.mark()
        # Alice creates the room: locked, 201.
        pres = join(alice, R, 'Alice')
        assert codes(pres) == [110, 201], show([pres])
        assert (item(pres).get('affiliation'), item(pres).get('role')) == ('owner', 'moderator')
        # ENTER-11: while locked, Bob cannot enter.
        locked = join(bob, R, 'Bob')
        assert locked.get('type') == 'error' and err(locked) == 'item-not-found', show([locked])
        # OWNER-2: the owner gets the form and submits it; the room unlocks.
        form = get_config(alice, R)
        assert form.get('FORM_TYPE') == [ROOMCONFIG], form
        assert form.get('muc#roomconfig_whois') == ['moderators'], form
        submit_config(alice, R, {'muc#roomconfig_roomname': 'The Lounge'})
        b1 = bob.mark()
        pres = join(bob, R, 'Bob')
        assert pres.get('type') != 'error', show([pres])
        assert codes(pres) == [110], show([pres])
        alice_sees_bob = presence_from(alice, room(R) + '/Bob')
        # ENTER-5: the moderator sees Bob's real JID, Bob does not see Alice's.
        assert item(alice_sees_bob).get('jid') == bob.full, show([alice_sees_bob])
        message_from(bob, room(R), b1, lambda st: st.find('{jabber:client}subject') is not None,
                     what='the subject')
        # MSG-1: both see each message, from the sender's occupant JID.
        am, bm = alice.mark(), bob.mark()
        groupchat(alice, R, 'hello bob', 'a-1')
        message_from(bob, room(R) + '/Alice', bm)     # so that the order is fixed
        groupchat(bob, R, 'hello alice', 'b-1')
        for u, m in ((alice, am), (bob, bm)):
            x = message_from(u, room(R) + '/Alice', m, lambda st: text(st, 'body') == 'hello bob')
            assert x.get('type') == 'groupchat' and x.get('id') == 'a-1', show([x])
            y = message_from(u, room(R) + '/Bob', m, lambda st: text(st, 'body') == 'hello alice')
            assert y.get('type') == 'groupchat' and y.get('id') == 'b-1', show([y])
        # NICK-1: Bob becomes Robert: unavailable with 303 and the new nick, then the new presence.
        am, bm = alice.mark(), bob.mark()
        bob.send("<presence to='%s/Robert'/>" % room(R))
        for u, m, own in ((alice, am, []), (bob, bm, [110])):
            gone = presence_from(u, room(R) + '/Bob', m, lambda st: st.get('type') == 'unavailable')
            assert codes(gone) == sorted([303] + own), show([gone])
            assert item(gone).get('nick') == 'Robert', show([gone])
            new = presence_from(u, room(R) + '/Robert', m)
            assert u.received.index(new) > u.received.index(gone)
            assert codes(new) == own, show([new])
        # MSG-4: private messages both ways, from the occupant JIDs.
        am, bm = alice.mark(), bob.mark()
        alice.send("<message to='%s/Robert' type='chat' id='pm-1'><body>psst</body></message>"
                   % room(R))
        pm = message_from(bob, room(R) + '/Alice', bm, lambda st: text(st, 'body') == 'psst')
        assert pm.get('type') == 'chat' and pm.find(q('user:x')) is not None, show([pm])
        bob.send("<message to='%s/Alice' type='chat' id='pm-2'><body>what?</body></message>"
                 % room(R))
        pm = message_from(alice, room(R) + '/Robert', am, lambda st: text(st, 'body') == 'what?')
        assert pm.get('type') == 'chat', show([pm])
        # STATUS-1
        am, bm = alice.mark(), bob.mark()
        bob.send("<presence to='%s/Robert'><show>away</show><status>brb</status></presence>"
                 % room(R))
        for u, m in ((alice, am), (bob, bm)):
            st = presence_from(u, room(R) + '/Robert', m, lambda s: text(s, 'show') == 'away')
            assert text(st, 'status') == 'brb', show([st])
        # EXIT-1: Bob leaves with a status; both get the unavailable presence.
        am = alice.mark()
        gone = leave(bob, R, 'Robert', 'bye')
        assert codes(gone) == [110] and text(gone, 'status') == 'bye', show([gone])
        gone = presence_from(alice, room(R) + '/Robert', am, lambda s: s.get('type') == 'unavailable')
        assert codes(gone) == [] and text(gone, 'status') == 'bye', show([gone])
        leave(alice, R, 'Alice')
        U.sleep(0.3)

        # The full streams, exactly, in order (nothing duplicated or extra).
        A, B = room(R) + '/Alice', room(R) + '/Bob'
        Rb = room(R) + '/Robert'
        expect_alice = [
            ('presence', 'available', A, '[110, 201]', 'owner', 'moderator'),
            ('message', 'groupchat', room(R), 'subject='),
            # the first configuration named the room: 104, as Prosody sends
            ('message', 'groupchat', room(R), 'status=[104]'),
            ('presence', 'available', B, '[]', 'none', 'participant'),
            ('message', 'groupchat', A, 'body=hello bob'),
            ('message', 'groupchat', B, 'body=hello alice'),
            ('presence', 'unavailable', B, '[303]', 'none', 'participant', 'nick=Robert'),
            ('presence', 'available', Rb, '[]', 'none', 'participant'),
            ('message', 'chat', Rb, 'body=what?'),
            ('presence', 'available', Rb, '[]', 'none', 'participant', 'show=away', 'status=brb'),
            ('presence', 'unavailable', Rb, '[]', 'none', 'none', 'status=bye'),
            ('presence', 'unavailable', A, '[110]', 'owner', 'none'),
        ]
        expect_bob = [
            ('presence', 'error', B, '[]', 'error=item-not-found'),
            ('presence', 'available', A, '[]', 'owner', 'moderator'),
            ('presence', 'available', B, '[110]', 'none', 'participant'),
            ('message', 'groupchat', room(R), 'subject='),
            ('message', 'groupchat', A, 'body=hello bob'),
            ('message', 'groupchat', B, 'body=hello alice'),
            ('presence', 'unavailable', B, '[110, 303]', 'none', 'participant', 'nick=Robert'),
            ('presence', 'available', Rb, '[110]', 'none', 'participant'),
            ('message', 'chat', A, 'body=psst'),
            ('presence', 'available', Rb, '[110]', 'none', 'participant', 'show=away',
             'status=brb'),
            ('presence', 'unavailable', Rb, '[110]', 'none', 'none', 'status=bye'),
        ]
        got_a = [summary(s) for s in from_room(alice, R, a0)]
        got_b = [summary(s) for s in from_room(bob, R, b0)]
        assert got_a == expect_alice, 'alice got:\n%s' % '\n'.join(map(str, got_a))
        assert got_b == expect_bob, 'bob got:\n%s' % '\n'.join(map(str, got_b))
        # ENTER-5: no one else's real JID ever reached Bob (a participant of a
        # semi-anonymous room); his own self-presence may carry his own.
        leaks = [s for s in from_room(bob, R, b0) if item(s) is not None and item(s).get('jid')
                 and bare(item(s).get('jid')) != 'bob@localhost']
        assert not leaks, show(leaks)
        # The moderator saw Bob's real JID on every presence of his.
        for s in from_room(alice, R, a0):
            if s.tag.endswith('presence') and s.get('from') in (B, Rb):
                assert item(s).get('jid') == bob.full, show([s])
    finally:
        logout(alice, bob)




# ---- more entering rules -------------------------------------------------

def test_owner_1_enter_3_instant_rooms_and_exit_2_temporary_room_goes_away():
    setup()
    alice, bob = login('alice'), login('bob')
    try:
        # OWNER-1: an empty submit unlocks a new room.
        pres = join(alice, 'instant', 'Alice')
        assert codes(pres) == [110, 201], show([pres])
        alice.iq(room('instant'), 'set', "<query xmlns='%s'><x xmlns='%s' type='submit'/></query>"
                 % (NS['owner'], NS['data']))
        pres = join(bob, 'instant', 'Bob')
        assert pres.get('type') != 'error' and codes(pres) == [110], show([pres])
        # ENTER-3: a GroupChat 1.0 join (no <x/>) creates an instant room, not locked.
        m = alice.mark()
        alice.send("<presence to='%s/Alice'/>" % room('gc-one'))
        pres = presence_from(alice, room('gc-one') + '/Alice', m)
        assert 110 in codes(pres) and item(pres).get('affiliation') == 'owner', show([pres])
        pres = join(bob, 'gc-one', 'Bob')
        assert pres.get('type') != 'error', show([pres])
        # EXIT-2: when the last occupant leaves a temporary room it is gone.
        leave(bob, 'instant', 'Bob')
        leave(alice, 'instant', 'Alice')
        U.sleep(0.2)
        try:
            bob.iq(room('instant'), 'get', "<query xmlns='%s'/>" % NS['info'])
            raise AssertionError('the emptied temporary room still exists')
        except XmppError as e:
            assert e.condition == 'item-not-found', e
    finally:
        logout(alice, bob)


def test_enter_6_7_9_14_password_members_only_nick_conflict_multi_session():
    setup()
    alice, bob, carol = login('alice'), login('bob'), login('carol')
    bob2 = login('bob', 'second')
    try:
        create(alice, 'secret-room', 'Alice', {'muc#roomconfig_passwordprotectedroom': '1',
                                               'muc#roomconfig_roomsecret': 'sesame'})
        pres = join(bob, 'secret-room', 'Bob')
        assert err(pres) == 'not-authorized', show([pres])
        pres = join(bob, 'secret-room', 'Bob', history='<password>wrong</password>')
        assert err(pres) == 'not-authorized', show([pres])
        pres = join(bob, 'secret-room', 'Bob', history='<password>sesame</password>')
        assert pres.get('type') != 'error' and codes(pres) == [110], show([pres])
        # ENTER-9: the nick is taken by another user.
        pres = join(carol, 'secret-room', 'Bob', history='<password>sesame</password>')
        assert err(pres) == 'conflict', show([pres])
        # ENTER-14: Bob's second resource with the same nick shares the occupant.
        c0 = alice.mark()
        pres = join(bob2, 'secret-room', 'Bob', history='<password>sesame</password>')
        assert pres.get('type') != 'error' and 110 in codes(pres), show([pres])
        m = bob.mark()
        groupchat(alice, 'secret-room', 'to both sessions', 'ms1')
        message_from(bob, room('secret-room') + '/Alice', m)
        message_from(bob2, room('secret-room') + '/Alice', 0)
        joins = [s for s in from_room(alice, 'secret-room', c0)
                 if s.tag.endswith('presence') and s.get('from') == room('secret-room') + '/Bob']
        assert len(joins) <= 1, show(joins)   # no second occupant appeared
        # ENTER-7: members-only.
        create(alice, 'members', 'Alice', {'muc#roomconfig_membersonly': '1'})
        pres = join(carol, 'members', 'Carol')
        assert err(pres) == 'registration-required', show([pres])
        admin_set(alice, 'members', "<item jid='carol@localhost' affiliation='member'/>")
        pres = join(carol, 'members', 'Carol')
        assert pres.get('type') != 'error' and item(pres).get('affiliation') == 'member', \
            show([pres])
    finally:
        logout(alice, bob, bob2, carol)


def test_msg_2_msg_5_id_1_non_occupant_iq_forwarding_stanza_and_occupant_ids():
    setup()
    R = 'ids'
    alice, bob, carol = login('alice'), login('bob'), login('carol')
    try:
        create(alice, R, 'Alice')
        join(bob, R, 'Bob')
        # MSG-2: a non-occupant's groupchat is refused.
        c0 = carol.mark()
        groupchat(carol, R, 'let me in', 'x1')
        e = message_from(carol, room(R), c0, lambda st: st.get('type') == 'error')
        assert err(e) == 'not-acceptable', show([e])
        # ID-1: stanza-id by the room and occupant-id on the reflection.
        m = bob.mark()
        groupchat(alice, R, 'tagged', 't1')
        got = message_from(bob, room(R) + '/Alice', m, lambda st: text(st, 'body') == 'tagged')
        sid = got.find(q('sid:stanza-id'))
        assert sid is not None and sid.get('by') == room(R) and sid.get('id'), show([got])
        oid = got.find('{urn:xmpp:occupant-id:0}occupant-id')
        assert oid is not None and oid.get('id'), show([got])
        pres = [s for s in from_room(bob, R) if s.get('from') == room(R) + '/Alice'
                and s.tag.endswith('presence')]
        assert pres and pres[0].find('{urn:xmpp:occupant-id:0}occupant-id').get('id') == \
            oid.get('id'), 'the occupant-id of presence and message differ'
        # MSG-5: an IQ to an occupant reaches one of its real JIDs, and the answer comes back.
        res = alice.iq(room(R) + '/Bob', 'get', "<query xmlns='http://jabber.org/protocol/disco#info'/>")
        assert res.get('from') == room(R) + '/Bob', ET.tostring(res, 'unicode')
        assert res.find(q('info:query')) is not None, ET.tostring(res, 'unicode')
        # XEP-0410: a ping to one's own occupant JID is answered by the service.
        res = bob.iq(room(R) + '/Bob', 'get', "<ping xmlns='urn:xmpp:ping'/>")
        assert res.get('type') == 'result', ET.tostring(res, 'unicode')
    finally:
        logout(alice, bob, carol)



def test_nick_1_msg_4_msg_6_enter_10_enter_15_room_rules():
    setup()
    R = 'rules'
    alice, bob, carol, dave = login('alice'), login('bob'), login('carol'), login('dave')
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_allowpm': 'none', 'x-palaver#message_size': '64',
                                   'muc#roomconfig_maxusers': '2'})
        join(bob, R, 'Bob')
        # ENTER-10: full for a third user (maxusers 2).
        pres = join(carol, R, 'Carol')
        assert err(pres) == 'service-unavailable', show([pres])
        # NICK-1: changing to a nick in use is refused with conflict.
        b0 = bob.mark()
        bob.send("<presence to='%s/Alice'/>" % room(R))
        e = bob.wait(lambda st: st.get('type') == 'error', start=b0, what='the nick conflict')
        assert err(e) == 'conflict', show([e])
        # MSG-4: private messages are off in this room; an unknown nick: item-not-found.
        b1 = bob.mark()
        bob.send("<message to='%s/Alice' type='chat' id='p1'><body>hi</body></message>" % room(R))
        e = bob.wait(lambda st: st.get('type') == 'error', start=b1, what='the PM refusal')
        assert err(e) == 'forbidden', show([e])
        submit_config(alice, R, {'muc#roomconfig_allowpm': 'anyone'})
        b2 = bob.mark()
        bob.send("<message to='%s/Nobody' type='chat' id='p2'><body>hi</body></message>" % room(R))
        e = bob.wait(lambda st: st.get('type') == 'error', start=b2, what='the unknown nick error')
        assert err(e) == 'item-not-found', show([e])
        # MSG-6: a body over the room's message_size.
        b3, a3 = bob.mark(), alice.mark()
        groupchat(bob, R, 'x' * 200, 'big')
        e = bob.wait(lambda st: st.get('type') == 'error', start=b3, what='the size refusal')
        assert err(e) == 'not-acceptable', show([e])
        assert not [st for st in alice.since(a3) if text(st, 'body')], show(alice.since(a3))
        # ENTER-15: a repeated join presence is not a new join and floods nobody.
        a4 = alice.mark()
        bob.send("<presence to='%s/Bob'><x xmlns='%s'/></presence>" % (room(R), NS['muc']))
        bob.send("<presence to='%s/Bob'><x xmlns='%s'/></presence>" % (room(R), NS['muc']))
        groupchat(bob, R, 'still here', 'sh')
        message_from(alice, room(R) + '/Bob', a4, lambda st: text(st, 'body') == 'still here')
        pres = [st for st in from_room(alice, R, a4) if st.tag.endswith('presence')]
        assert len(pres) <= 1, show(pres)
        # ENTER-10: an owner still enters a full room (a second session of alice).
        alice2 = login('alice', 'second')
        try:
            pres = join(alice2, R, 'Alice')
            assert pres.get('type') != 'error', show([pres])
        finally:
            logout(alice2)
    finally:
        logout(alice, bob, carol, dave)


def test_disco_2_service_items_paged_with_rsm():
    setup()
    alice, bob = login('alice'), login('bob')
    names = ['page-%d' % i for i in range(5)]
    try:
        for n in names:
            create(alice, n, 'Alice')
        seen, after = [], None
        for _ in range(20):
            rsm = '<max>2</max>' + ('<after>%s</after>' % after if after else '')
            res = bob.iq(DOMAIN, 'get', "<query xmlns='%s'><set xmlns='%s'>%s</set></query>"
                         % (NS['items'], NS['rsm'], rsm))
            page = [i.get('jid') for i in res.iter(q('items:item'))]
            assert len(page) <= 2, page
            seen += page
            s = res.find(q('items:query')).find(q('rsm:set'))
            if not page or s is None or s.findtext(q('rsm:last')) is None:
                break
            after = s.findtext(q('rsm:last'))
        assert len(seen) == len(set(seen)), seen
        for n in names:
            assert room(n) in seen, (n, seen)
    finally:
        logout(alice, bob)


def test_admin_2_mod_3_ban_list_and_voice_list_modified_in_one_iq():
    setup()
    R = 'lists'
    alice, bob, carol = login('alice'), login('bob'), login('carol')
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_moderatedroom': '1'})
        admin_set(alice, R, "<item jid='spam1@localhost' affiliation='outcast'><reason>r1</reason></item>"
                            "<item jid='spam2@localhost' affiliation='outcast'><reason>r2</reason></item>")
        res = alice.iq(room(R), 'get', "<query xmlns='%s'><item affiliation='outcast'/></query>"
                       % NS['admin'])
        got = sorted((i.get('jid'), i.findtext(q('admin:reason'))) for i in res.iter(q('admin:item')))
        assert got == [('spam1@localhost', 'r1'), ('spam2@localhost', 'r2')], got
        admin_set(alice, R, "<item jid='spam1@localhost' affiliation='none'/>")
        assert affiliations(alice, R, 'outcast') == ['spam2@localhost']
        # MOD-3: two visitors get voice in one IQ; the voice list shows them.
        join(bob, R, 'Bob')
        join(carol, R, 'Carol')
        admin_set(alice, R, "<item nick='Bob' role='participant'/><item nick='Carol' role='participant'/>")
        res = alice.iq(room(R), 'get', "<query xmlns='%s'><item role='participant'/></query>"
                       % NS['admin'])
        assert sorted(i.get('nick') for i in res.iter(q('admin:item'))) == ['Bob', 'Carol'], \
            ET.tostring(res, 'unicode')
        # MOD-4: all or nothing: one bad item refuses the whole IQ.
        try:
            admin_set(alice, R, "<item nick='Bob' role='visitor'/><item nick='Nobody' role='visitor'/>")
            raise AssertionError('an IQ with an unknown nick was accepted')
        except XmppError:
            pass
        res = alice.iq(room(R), 'get', "<query xmlns='%s'><item role='participant'/></query>"
                       % NS['admin'])
        assert sorted(i.get('nick') for i in res.iter(q('admin:item'))) == ['Bob', 'Carol'], \
            'a refused IQ changed something: ' + ET.tostring(res, 'unicode')
    finally:
        logout(alice, bob, carol)


# ---- history, subject --------------------------------------------------------

def test_enter_13_history_on_join_with_maxstanzas():
    setup()
    R = 'hist'
    alice, bob, carol = login('alice'), login('bob'), login('carol')
    try:
        create(alice, R, 'Alice')
        m = alice.mark()
        for i in range(3):
            groupchat(alice, R, 'line %d' % i, 'h%d' % i)
        message_from(alice, room(R) + '/Alice', m, lambda st: text(st, 'body') == 'line 2')
        b0 = bob.mark()
        join(bob, R, 'Bob', history="<history maxstanzas='2'/>")
        subj = message_from(bob, room(R), b0, lambda st: st.find('{jabber:client}subject') is not None)
        got = from_room(bob, R, b0)
        hist = [s for s in got if s.tag.endswith('message') and text(s, 'body')]
        assert [text(s, 'body') for s in hist] == ['line 1', 'line 2'], show(got)
        for s in hist:
            assert s.get('from') == room(R) + '/Alice', show([s])
            assert s.find(q('delay:delay')) is not None, show([s])
        assert got.index(subj) > got.index(hist[-1]), 'subject must come after the history'
        c0 = carol.mark()
        join(carol, R, 'Carol', history="<history maxchars='0'/>")
        message_from(carol, room(R), c0, lambda st: st.find('{jabber:client}subject') is not None)
        assert not [s for s in from_room(carol, R, c0) if text(s, 'body')], show(carol.since(c0))
    finally:
        logout(alice, bob, carol)


def test_msg_3_subject_change_broadcast_stored_and_refused_to_participants():
    setup()
    R = 'topic'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice')
        m = alice.mark()
        alice.send("<message to='%s' type='groupchat'><subject>Weekly sync</subject></message>"
                   % room(R))
        s = message_from(alice, room(R) + '/Alice', m, lambda st: text(st, 'subject') == 'Weekly sync')
        assert text(s, 'body') is None, show([s])
        b0 = bob.mark()
        join(bob, R, 'Bob')
        s = message_from(bob, room(R) + '/Alice', b0,
                         lambda st: st.find('{jabber:client}subject') is not None)
        assert text(s, 'subject') == 'Weekly sync', show([s])
        assert from_room(bob, R, b0)[-1] is s, 'the subject must be the last thing sent on join'
        b1 = bob.mark()
        bob.send("<message to='%s' type='groupchat' id='s2'><subject>Mine</subject></message>"
                 % room(R))
        e = message_from(bob, room(R), b1, lambda st: st.get('type') == 'error')
        assert err(e) == 'forbidden', show([e])
    finally:
        logout(alice, bob)


# ---- invitations, registration -------------------------------------------

def test_inv_1_inv_2_mediated_invitation_and_decline():
    setup()
    R = 'party'
    alice, carol = login('alice'), login('carol')
    try:
        create(alice, R, 'Alice')
        c0, a0 = carol.mark(), alice.mark()
        alice.send("<message to='%s'><x xmlns='%s'><invite to='carol@localhost'>"
                   "<reason>come along</reason></invite></x></message>" % (room(R), NS['user']))
        inv = carol.wait(lambda st: st.get('from') == room(R) and st.find(q('user:x')) is not None
                         and st.find(q('user:x')).find(q('user:invite')) is not None, start=c0)
        i = inv.find(q('user:x')).find(q('user:invite'))
        assert bare(i.get('from')) == 'alice@localhost', show([inv])
        assert i.findtext(q('user:reason')) == 'come along', show([inv])
        carol.send("<message to='%s'><x xmlns='%s'><decline to='alice@localhost'>"
                   "<reason>busy</reason></decline></x></message>" % (room(R), NS['user']))
        dec = alice.wait(lambda st: st.get('from') == room(R) and st.find(q('user:x')) is not None
                         and st.find(q('user:x')).find(q('user:decline')) is not None, start=a0)
        d = dec.find(q('user:x')).find(q('user:decline'))
        assert bare(d.get('from')) == 'carol@localhost', show([dec])
        assert d.findtext(q('user:reason')) == 'busy', show([dec])
    finally:
        logout(alice, carol)


def test_reg_1_reg_2_reg_3_register_reserved_nick_unregister():
    setup()
    R = 'club'
    alice, bob, carol = login('alice'), login('bob'), login('carol')
    try:
        create(alice, R, 'Alice')
        res = bob.iq(room(R), 'get', "<query xmlns='%s'/>" % NS['register'])
        x = res.find(q('register:query')).find(q('data:x'))
        assert x is not None, ET.tostring(res, 'unicode')
        f = form_fields(x)
        assert f.get('FORM_TYPE') == ['http://jabber.org/protocol/muc#register'], f
        assert 'muc#register_roomnick' in f, f
        bob.iq(room(R), 'set', "<query xmlns='%s'><x xmlns='%s' type='submit'>"
               "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>"
               "<field var='muc#register_roomnick'><value>Bobby</value></field></x></query>"
               % (NS['register'], NS['data']))
        # REG-1: Bob is now a member.
        res = alice.iq(room(R), 'get', "<query xmlns='%s'><item affiliation='member'/></query>"
                       % NS['admin'])
        members = [i.get('jid') for i in res.iter(q('admin:item'))]
        assert 'bob@localhost' in members, ET.tostring(res, 'unicode')
        # REG-2: his reserved nick, through disco; others get conflict.
        res = bob.iq(room(R), 'get', "<query xmlns='%s' node='x-roomuser-item'/>" % NS['info'])
        names = [i.get('name') for i in res.iter(q('info:identity'))]
        assert names == ['Bobby'], ET.tostring(res, 'unicode')
        pres = join(carol, R, 'Bobby')
        assert pres.get('type') == 'error' and err(pres) == 'conflict', show([pres])
        # REG-3: unregistering frees the nick and the membership.
        bob.iq(room(R), 'set', "<query xmlns='%s'><remove/></query>" % NS['register'])
        res = alice.iq(room(R), 'get', "<query xmlns='%s'><item affiliation='member'/></query>"
                       % NS['admin'])
        assert 'bob@localhost' not in [i.get('jid') for i in res.iter(q('admin:item'))], \
            ET.tostring(res, 'unicode')
        pres = join(carol, R, 'Bobby')
        assert pres.get('type') != 'error' and codes(pres) == [110], show([pres])
    finally:
        logout(alice, bob, carol)


# ---- discovery -----------------------------------------------------------

def test_disco_1_2_3_4_5_service_and_room_discovery():
    setup()
    R, H = 'public-hall', 'hidden-den'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_roomname': 'Public Hall',
                                   'muc#roomconfig_roomdesc': 'all welcome'})
        create(alice, H, 'Alice', {'muc#roomconfig_publicroom': '0'})
        # DISCO-1
        res = bob.iq(DOMAIN, 'get', "<query xmlns='%s'/>" % NS['info'])
        ids = [(i.get('category'), i.get('type')) for i in res.iter(q('info:identity'))]
        assert ('conference', 'text') in ids, ids
        feats = {f.get('var') for f in res.iter(q('info:feature'))}
        for need in (NS['muc'], NS['info'], NS['register'], 'urn:xmpp:ping', 'jabber:iq:version'):
            assert need in feats, (need, sorted(feats))
        # DISCO-2 / DISCO-4: the public room is listed with its name, the hidden one is not.
        res = bob.iq(DOMAIN, 'get', "<query xmlns='%s'/>" % NS['items'])
        items = {i.get('jid'): i.get('name') for i in res.iter(q('items:item'))}
        assert items.get(room(R)) == 'Public Hall', items
        assert room(H) not in items, items
        # DISCO-3: room features and the muc#roominfo form.
        res = bob.iq(room(R), 'get', "<query xmlns='%s'/>" % NS['info'])
        ident = res.find(q('info:query')).find(q('info:identity'))
        assert (ident.get('category'), ident.get('type'), ident.get('name')) == \
            ('conference', 'text', 'Public Hall'), ET.tostring(res, 'unicode')
        feats = {f.get('var') for f in res.iter(q('info:feature'))}
        for need in ('muc_public', 'muc_temporary', 'muc_open', 'muc_unmoderated',
                     'muc_semianonymous', 'muc_unsecured', NS['muc']):
            assert need in feats, (need, sorted(feats))
        x = res.find(q('info:query')).find(q('data:x'))
        assert x is not None, ET.tostring(res, 'unicode')
        f = form_fields(x)
        assert f.get('FORM_TYPE') == ['http://jabber.org/protocol/muc#roominfo'], f
        assert f.get('muc#roominfo_description') == ['all welcome'], f
        assert f.get('muc#roominfo_occupants') == ['1'], f
        # DISCO-4: the hidden room is item-not-found to an outsider (as a room that
        # does not exist), and says muc_hidden to its occupant.
        for r in (H, 'no-such-room'):
            try:
                bob.iq(room(r), 'get', "<query xmlns='%s'/>" % NS['info'])
                raise AssertionError('disco#info of %s answered to an outsider' % r)
            except XmppError as e:
                assert e.condition == 'item-not-found', e
        res = alice.iq(room(H), 'get', "<query xmlns='%s'/>" % NS['info'])
        assert 'muc_hidden' in {f.get('var') for f in res.iter(q('info:feature'))}
        # DISCO-5: a room's disco#items lists the occupants to an occupant; to an
        # outsider only in a public non-anonymous room (not this semi-anonymous one).
        res = alice.iq(room(R), 'get', "<query xmlns='%s'/>" % NS['items'])
        occ = [i.get('jid') for i in res.iter(q('items:item'))]
        assert occ == [room(R) + '/Alice'], occ
        res = bob.iq(room(R), 'get', "<query xmlns='%s'/>" % NS['items'])
        occ = [i.get('jid') for i in res.iter(q('items:item'))]
        assert occ == [], occ
        submit_config(alice, R, {'muc#roomconfig_whois': 'anyone'})
        res = bob.iq(room(R), 'get', "<query xmlns='%s'/>" % NS['items'])
        occ = [i.get('jid') for i in res.iter(q('items:item'))]
        assert occ == [room(R) + '/Alice'], occ
    finally:
        logout(alice, bob)


# ---- MAM -----------------------------------------------------------------

def mam_page(u, rname, qid, rsm):
    m = u.mark()
    res = u.iq(room(rname), 'set', "<query xmlns='%s' queryid='%s'><set xmlns='%s'>%s</set></query>"
               % (NS['mam'], qid, NS['rsm'], rsm))
    fin = res.find(q('mam:fin'))
    assert fin is not None, ET.tostring(res, 'unicode')
    u.users.sleep(0.2)
    results = []
    for st in u.since(m):
        r = st.find(q('mam:result'))
        if r is not None and r.get('queryid') == qid:
            msg = r.find(q('forward:forwarded')).find('{jabber:client}message')
            results.append((r.get('id'), text(msg, 'body')))
    s = fin.find(q('rsm:set'))
    return results, fin, (s.findtext(q('rsm:first')), s.findtext(q('rsm:last')),
                          s.findtext(q('rsm:count')))


def test_mam_1_archive_query_with_rsm_paging():
    setup()
    R = 'archive'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_enablelogging': '1'})
        m = alice.mark()
        for i in range(5):
            groupchat(alice, R, 'log %d' % i, 'l%d' % i)
        message_from(alice, room(R) + '/Alice', m, lambda st: text(st, 'body') == 'log 4')
        join(bob, R, 'Bob')
        page1, fin1, (first, last, count) = mam_page(bob, R, 'q1', '<max>2</max>')
        assert [b for _, b in page1] == ['log 0', 'log 1'], page1
        assert (first, last) == (page1[0][0], page1[1][0]), (first, last, page1)
        assert fin1.get('complete') in (None, 'false'), ET.tostring(fin1, 'unicode')
        page2, _, _ = mam_page(bob, R, 'q2', '<max>2</max><after>%s</after>' % last)
        assert [b for _, b in page2] == ['log 2', 'log 3'], page2
        page3, fin3, _ = mam_page(bob, R, 'q3', '<max>2</max><after>%s</after>' % page2[1][0])
        assert [b for _, b in page3] == ['log 4'], page3
        assert fin3.get('complete') == 'true', ET.tostring(fin3, 'unicode')
        if count is not None:
            assert count == '5', count
        # the last page, backwards
        back, _, _ = mam_page(bob, R, 'q4', '<max>2</max><before/>')
        assert [b for _, b in back] == ['log 3', 'log 4'], back
    finally:
        logout(alice, bob)


# ---- moderation, administration, destruction ------------------------------

def occupied(rname, alice, bob, carol):
    """alice creates the room (nick Alice), bob and carol join it (Bob,
    Carol); returns each user's mark() once all three are in."""
    create(alice, rname, 'Alice')
    join(bob, rname, 'Bob')
    join(carol, rname, 'Carol')
    return {u: u.mark() for u in (alice, bob, carol)}


def test_mod_1_kick_with_reason():
    setup()
    R = 'mods-kick'
    alice, bob, carol = login('alice'), login('bob'), login('carol')
    try:
        m = occupied(R, alice, bob, carol)
        admin_set(alice, R, "<item nick='Carol' role='none'><reason>spam</reason></item>")
        for u, own in ((alice, []), (bob, []), (carol, [110])):
            st = presence_from(u, room(R) + '/Carol', m[u], lambda s: s.get('type') == 'unavailable')
            assert codes(st) == sorted([307] + own), show([st])
            it = item(st)
            assert it.get('role') == 'none' and it.findtext(q('user:reason')) == 'spam', show([st])
            actor = it.find(q('user:actor'))
            assert actor is not None and actor.get('nick') == 'Alice', show([st])
        # a participant cannot kick
        try:
            admin_set(bob, R, "<item nick='Alice' role='none'/>")
            raise AssertionError('a participant kicked the owner')
        except XmppError as e:
            assert e.condition in ('forbidden', 'not-allowed'), e
    finally:
        logout(alice, bob, carol)


def test_mod_2_revoke_and_grant_voice_in_moderated_room():
    setup()
    R = 'mods-voice'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_moderatedroom': '1'})
        join(bob, R, 'Bob')
        a0, b0 = alice.mark(), bob.mark()
        admin_set(alice, R, "<item nick='Bob' role='visitor'><reason>calm down</reason></item>")
        for u, m in ((alice, a0), (bob, b0)):
            st = presence_from(u, room(R) + '/Bob', m, lambda s: item(s) is not None
                               and item(s).get('role') == 'visitor')
            assert item(st).findtext(q('user:reason')) == 'calm down', show([st])
        b1 = bob.mark()
        groupchat(bob, R, 'can I speak?', 'v1')
        e = message_from(bob, room(R), b1, lambda st: st.get('type') == 'error')
        assert err(e) == 'forbidden', show([e])
        a1 = alice.mark()
        admin_set(alice, R, "<item nick='Bob' role='participant'/>")
        presence_from(alice, room(R) + '/Bob', a1, lambda s: item(s).get('role') == 'participant')
        groupchat(bob, R, 'thanks', 'v2')
        message_from(alice, room(R) + '/Bob', a1, lambda st: text(st, 'body') == 'thanks')
        assert not [s for s in from_room(alice, R, a0) if text(s, 'body') == 'can I speak?']
    finally:
        logout(alice, bob)


def test_admin_1_ban_with_reason():
    setup()
    R = 'mods-ban'
    alice, bob, carol = login('alice'), login('bob'), login('carol')
    try:
        m = occupied(R, alice, bob, carol)
        admin_set(alice, R, "<item jid='bob@localhost' affiliation='outcast'>"
                            "<reason>troll</reason></item>")
        for u, own in ((alice, []), (carol, []), (bob, [110])):
            st = presence_from(u, room(R) + '/Bob', m[u], lambda s: s.get('type') == 'unavailable')
            assert codes(st) == sorted([301] + own), show([st])
            assert item(st).get('affiliation') == 'outcast', show([st])
            assert item(st).findtext(q('user:reason')) == 'troll', show([st])
        pres = join(bob, R, 'Bob')
        assert pres.get('type') == 'error' and err(pres) == 'forbidden', show([pres])
        res = alice.iq(room(R), 'get', "<query xmlns='%s'><item affiliation='outcast'/></query>"
                       % NS['admin'])
        assert [i.get('jid') for i in res.iter(q('admin:item'))] == ['bob@localhost'], \
            ET.tostring(res, 'unicode')
    finally:
        logout(alice, bob, carol)


def test_owner_6_destroy_with_reason_and_alternate_venue():
    setup()
    R = 'doomed'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_persistentroom': '1'})
        join(bob, R, 'Bob')
        a0, b0 = alice.mark(), bob.mark()
        alice.iq(room(R), 'set', "<query xmlns='%s'><destroy jid='%s'><reason>moving</reason>"
                 "</destroy></query>" % (NS['owner'], room('newplace')))
        for u, m in ((alice, a0), (bob, b0)):
            for nick in ('Alice', 'Bob'):
                pass
            own = 'Alice' if u is alice else 'Bob'
            st = presence_from(u, room(R) + '/' + own, m, lambda s: s.get('type') == 'unavailable')
            d = st.find(q('user:x')).find(q('user:destroy'))
            assert d is not None and d.get('jid') == room('newplace'), show([st])
            assert d.findtext(q('user:reason')) == 'moving', show([st])
        try:
            bob.iq(room(R), 'get', "<query xmlns='%s'/>" % NS['info'])
            raise AssertionError('the destroyed room still answers disco#info')
        except XmppError as e:
            assert e.condition in ('item-not-found', 'gone'), e
    finally:
        logout(alice, bob)



def affiliations(u, rname, aff):
    res = u.iq(room(rname), 'get', "<query xmlns='%s'><item affiliation='%s'/></query>"
               % (NS['admin'], aff))
    return sorted(i.get('jid') for i in res.iter(q('admin:item')))


def test_admin_3_4_5_6_membership_moderator_absent_user_and_owner_protection():
    setup()
    R = 'admins'
    alice, bob, carol = login('alice'), login('bob'), login('carol')
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_membersonly': '1', 'muc#roomconfig_whois': 'anyone'})
        admin_set(alice, R, "<item jid='bob@localhost' affiliation='admin'/>")
        # ADMIN-5: a change for a user not in the room is stored, announced, and told with 101.
        a0, c0 = alice.mark(), carol.mark()
        admin_set(alice, R, "<item jid='carol@localhost' affiliation='member'>"
                            "<reason>welcome</reason></item>")
        note = carol.wait(lambda st: st.get('from') == room(R) and 101 in codes(st), start=c0,
                          what='the 101 message')
        assert item(note).get('affiliation') == 'member', show([note])
        ann = alice.wait(lambda st: st.tag.endswith('message') and st.get('from') == room(R)
                         and item(st) is not None and item(st).get('jid') == 'carol@localhost',
                         start=a0, what='the announcement')
        assert 101 not in codes(ann), show([ann])
        assert affiliations(alice, R, 'member') == ['carol@localhost']
        # ADMIN-3: the member enters; revoking membership removes her with 321.
        join(bob, R, 'Bob')
        join(carol, R, 'Carol')
        c1 = carol.mark()
        admin_set(bob, R, "<item jid='carol@localhost' affiliation='none'/>")
        gone = presence_from(carol, room(R) + '/Carol', c1, lambda st: st.get('type') == 'unavailable')
        assert 321 in codes(gone), show([gone])
        # ADMIN-4: grant the moderator role; it shows in the moderator list.
        a1 = alice.mark()
        admin_set(alice, R, "<item nick='Bob' role='moderator'/>")
        presence_from(alice, room(R) + '/Bob', a1, lambda st: item(st).get('role') == 'moderator')
        res = alice.iq(room(R), 'get', "<query xmlns='%s'><item role='moderator'/></query>"
                       % NS['admin'])
        mods = sorted(i.get('nick') for i in res.iter(q('admin:item')))
        assert mods == ['Alice', 'Bob'], ET.tostring(res, 'unicode')
        # ADMIN-6: an admin cannot touch an owner; the last owner cannot step down.
        for who, items in ((bob, "<item jid='alice@localhost' affiliation='member'/>"),
                           (alice, "<item jid='alice@localhost' affiliation='admin'/>")):
            try:
                admin_set(who, R, items)
                raise AssertionError('accepted: %s' % items)
            except XmppError as e:
                assert e.condition in ('not-allowed', 'conflict', 'forbidden'), e
        assert affiliations(alice, R, 'owner') == ['alice@localhost']
    finally:
        logout(alice, bob, carol)


def test_owner_3_4_5_form_fields_change_notices_and_owner_list():
    setup()
    R = 'configured'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice')
        form = get_config(alice, R)
        for f in ('roomname', 'roomdesc', 'lang', 'enablelogging', 'changesubject',
                  'allowinvites', 'allowpm', 'maxusers', 'presencebroadcast', 'getmemberlist',
                  'publicroom', 'persistentroom', 'moderatedroom', 'membersonly',
                  'passwordprotectedroom', 'roomsecret', 'whois', 'roomadmins', 'roomowners'):
            assert 'muc#roomconfig_' + f in form, (f, sorted(form))
        assert 'muc#maxhistoryfetch' in form or 'muc#roomconfig_maxhistoryfetch' in form, sorted(form)
        try:
            submit_config(alice, R, {'muc#roomconfig_persistentroom': 'maybe'})
            raise AssertionError('an invalid boolean was accepted')
        except XmppError as e:
            assert e.condition == 'not-acceptable', e
        join(bob, R, 'Bob')
        # OWNER-4: the occupants are told.
        for fields, want in (({'muc#roomconfig_roomname': 'Renamed'}, [104]),
                             ({'muc#roomconfig_enablelogging': 'true'}, [170]),
                             ({'muc#roomconfig_whois': 'anyone'}, [172])):
            b0 = bob.mark()
            submit_config(alice, R, fields)
            note = bob.wait(lambda st: st.tag.endswith('message') and st.get('from') == room(R)
                            and codes(st), start=b0, what='the change notice')
            assert codes(note) == want, (fields, show([note]))
        # OWNER-5: a second owner through the owner list; the list shows both.
        alice.iq(room(R), 'set', "<query xmlns='%s'><item jid='bob@localhost' affiliation='owner'/>"
                 "</query>" % NS['admin'])
        res = alice.iq(room(R), 'get', "<query xmlns='%s'><item affiliation='owner'/></query>"
                       % NS['admin'])
        assert sorted(i.get('jid') for i in res.iter(q('admin:item'))) == \
            ['alice@localhost', 'bob@localhost'], ET.tostring(res, 'unicode')
    finally:
        logout(alice, bob)


def test_voice_1_visitor_requests_voice_moderator_approves():
    setup()
    R = 'voice-req'
    alice, bob = login('alice'), login('bob')
    form = ("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
            "<value>http://jabber.org/protocol/muc#request</value></field>%s</x>")
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_moderatedroom': '1'})
        pres = join(bob, R, 'Bob')
        assert item(pres).get('role') == 'visitor', show([pres])
        a0 = alice.mark()
        bob.send("<message to='%s'>%s</message>" % (room(R), form % (
            "<field var='muc#role' type='list-single'><value>participant</value></field>")))
        req = alice.wait(lambda st: st.tag.endswith('message') and st.get('from') == room(R)
                         and st.find(q('data:x')) is not None, start=a0, what='the voice request')
        f = form_fields(req.find(q('data:x')))
        assert f.get('muc#roomnick') == ['Bob'], f
        b0 = bob.mark()
        alice.send("<message to='%s'>%s</message>" % (room(R), form % (
            "<field var='muc#roomnick'><value>Bob</value></field>"
            "<field var='muc#request_allow'><value>true</value></field>")))
        pres = presence_from(bob, room(R) + '/Bob', b0, lambda st: item(st).get('role') == 'participant')
        assert 110 in codes(pres), show([pres])
    finally:
        logout(alice, bob)


def test_exit_1_client_vanishing_without_leaving_is_seen_leaving():
    """A client that disconnects without leaving: its server sends the room an
    unavailable presence, and the others see it go."""
    setup()
    R = 'vanish'
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, R, 'Alice')
        join(bob, R, 'Bob')
        a0 = alice.mark()
        logout(bob)
        gone = presence_from(alice, room(R) + '/Bob', a0, lambda st: st.get('type') == 'unavailable')
        assert item(gone).get('role') == 'none', show([gone])
        U.sleep(0.3)
        assert len([s for s in from_room(alice, R, a0) if s.get('from') == room(R) + '/Bob']) == 1, \
            show(from_room(alice, R, a0))
    finally:
        logout(alice)


# ---- game rooms ----------------------------------------------------------

def test_game_1_player_affiliation_and_delivery():
    setup()
    R = 'chess'
    alice, bob, carol = login('alice'), login('bob'), login('carol')
    try:
        join(alice, R, 'Alice')
        form = get_config(alice, R)
        game_var = [v for v in form if v.split('#')[-1] == 'game']
        assert game_var, sorted(form)
        submit_config(alice, R, {game_var[0]: '1'})
        admin_set(alice, R, "<item jid='carol@localhost' affiliation='player'/>")
        join(bob, R, 'Bob')
        pres = join(carol, R, 'Carol')
        assert (item(pres).get('affiliation'), item(pres).get('role')) == ('player', 'player'), \
            show([pres])
        c0, b0 = carol.mark(), bob.mark()
        groupchat(bob, R, 'kibitz', 'g1')        # a participant: not for players
        message_from(bob, room(R) + '/Bob', b0)
        groupchat(alice, R, 'your move', 'g2')   # a moderator: for everyone
        message_from(carol, room(R) + '/Alice', c0)
        groupchat(carol, R, 'e4', 'g3')          # a player: for everyone
        message_from(bob, room(R) + '/Carol', b0, lambda st: text(st, 'body') == 'e4')
        message_from(carol, room(R) + '/Carol', c0, lambda st: text(st, 'body') == 'e4')
        bodies = [text(s, 'body') for s in from_room(carol, R, c0) if text(s, 'body')]
        assert bodies == ['your move', 'e4'], bodies
        bodies = [text(s, 'body') for s in from_room(bob, R, b0) if text(s, 'body')]
        assert bodies == ['kibitz', 'your move', 'e4'], bodies
    finally:
        logout(alice, bob, carol)


# ---- persistence across a restart ------------------------------------------

def test_exit_2_owner_2_admin_1_reg_2_persistent_room_survives_palaver_restart():
    global D
    setup()
    R = 'keep'
    alice, bob, dave = login('alice'), login('bob'), login('dave')
    try:
        create(alice, R, 'Alice', {'muc#roomconfig_persistentroom': '1',
                                   'muc#roomconfig_roomname': 'Kept Room',
                                   'muc#roomconfig_moderatedroom': '1'})
        admin_set(alice, R, "<item jid='dave@localhost' affiliation='outcast'><reason>no</reason></item>")
        bob.iq(room(R), 'set', "<query xmlns='%s'><x xmlns='%s' type='submit'>"
               "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>"
               "<field var='muc#register_roomnick'><value>Bobby</value></field></x></query>"
               % (NS['register'], NS['data']))
        leave(alice, R, 'Alice')
    finally:
        logout(alice, bob, dave)
    code = D.stop()
    assert code == 0, 'palaver exit code %s' % code
    D = None
    since = P.log_size()
    start_palaver()
    P.wait_log('External component successfully authenticated', timeout=15, since=since)
    wait_component()
    alice, carol, dave = login('alice'), login('carol'), login('dave')
    try:
        res = carol.iq(room(R), 'get', "<query xmlns='%s'/>" % NS['info'])
        ident = res.find(q('info:query')).find(q('info:identity'))
        assert ident.get('name') == 'Kept Room', ET.tostring(res, 'unicode')
        feats = {f.get('var') for f in res.iter(q('info:feature'))}
        assert {'muc_persistent', 'muc_moderated'} <= feats, sorted(feats)
        pres = join(dave, R, 'Dave')
        assert pres.get('type') == 'error' and err(pres) == 'forbidden', show([pres])
        pres = join(carol, R, 'Bobby')
        assert pres.get('type') == 'error' and err(pres) == 'conflict', show([pres])
        pres = join(alice, R, 'Alice')
        assert codes(pres) == [110], show([pres])    # no 201: the room exists
        assert item(pres).get('affiliation') == 'owner', show([pres])
    finally:
        logout(alice, carol, dave)



def test_palaver_stops_cleanly_after_the_suite():
    """Exit 0 on SIGTERM and no sanitizer report in its output (ASan builds)."""
    SUITE.check_clean_stop()


if __name__ == '__main__':
    SUITE.main(globals())
