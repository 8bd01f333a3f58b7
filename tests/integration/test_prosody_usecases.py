"""tests/integration/test_prosody_usecases.py: the XEP-0045 use cases and service rules that test_prosody_muc.py does not walk through, with real clients through a real Prosody.

Addressing (ADDR-1..3), entering (ENTER-4, 8, 12), bounces (EXIT-3),
presence broadcast by role (STATUS-2), flood control (MSG-7), all-or-nothing
admin requests (MOD-4), service administrators and the creation policy
(OWNER-7, OWNER-8), the admin ad-hoc commands (ADHOC-1) and tombstones
(TOMB-1). Palaver runs with a creation policy (`list`: alice, bob and carol
may create rooms; dave may not), a flood limit of 5 messages at once, and
admin@localhost as service administrator.

Backend: sqlite by default; test_prosody_muc_pgsql.py runs these tests
against a private PostgreSQL too. Skipped only when Prosody is not installed.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..'))

from mucclient import XmppError, NS, q  # noqa: E402
from suite import Suite, prosody_server  # noqa: E402
import test_prosody_muc as M  # noqa: E402  (helpers only; its tests do not run here)
from test_prosody_muc import (room, codes, item, err, show, join, leave, groupchat,  # noqa: E402
                              create, submit_config, get_config, admin_set, presence_from,
                              message_from)

DOMAIN = M.DOMAIN
SECRET = 'usecases-integration-secret'
PLUGINS = ['muc-core', 'disco-extended']
ACCOUNTS = ('alice', 'bob', 'carol', 'dave', 'admin')
MUC_CONFIG = ('<create>list</create><allow>alice@localhost</allow><allow>bob@localhost</allow>'
              '<allow>carol@localhost</allow><flood-burst>5</flood-burst>'
              '<flood-per-minute>6</flood-per-minute>')
SADMIN = '<sadmin><user>admin@localhost</user></sadmin>'
CMDS = 'http://jabber.org/protocol/commands'
ADMIN_CMD = 'http://jabber.org/protocol/admin#'

P = D = U = None  # prosody.Prosody, daemon.Palaver, mucclient.Users: see suite.py
SUITE = Suite(globals(), prosody_server(DOMAIN, SECRET), DOMAIN, SECRET, PLUGINS, ACCOUNTS,
              name='usecases', plugin_config={'muc-core': MUC_CONFIG}, extra_config=SADMIN)
setup, login, logout = SUITE.setup, SUITE.login, SUITE.logout


def is_presence(st):
    return st.tag == '{jabber:client}presence'


def error_presence(u, start, what):
    return u.wait(lambda st: is_presence(st) and st.get('type') == 'error', start=start, what=what)


def joined_as(u, occ_sent, occ_expected):
    """Sends a join to occ_sent; returns the self-presence, which must come
    from occ_expected (or an error presence)."""
    m = u.mark()
    u.send("<presence to='%s'><x xmlns='%s'/></presence>" % (occ_sent, NS['muc']))
    return u.wait(lambda st: is_presence(st) and (
        (st.get('from') == occ_expected and 110 in codes(st)) or st.get('type') == 'error'),
        start=m, what='self-presence from ' + occ_expected)


def command(u, node, action='execute', sid=None, fields=None):
    """An XEP-0050 command to the service; returns the <command/> element."""
    attrs = "node='%s' action='%s'" % (node, action) + (" sessionid='%s'" % sid if sid else '')
    form = ''
    if fields is not None:
        form = "<x xmlns='%s' type='submit'>%s</x>" % (NS['data'], ''.join(
            "<field var='%s'><value>%s</value></field>" % kv for kv in fields.items()))
    res = u.iq(DOMAIN, 'set', "<command xmlns='%s' %s>%s</command>" % (CMDS, attrs, form))
    return res.find('{%s}command' % CMDS)


# ---- addressing -------------------------------------------------------------

def test_addr_1_room_jid_and_nick_normalised():
    # (a nick resourceprep refuses never reaches palaver through Prosody,
    # which drops the stanza: tests/muc/test_enter.py covers jid-malformed)
    setup()
    alice, carol = login('alice'), login('carol')
    try:
        create(alice, 'caseroom', 'Alice')
        # the room's JID is case-insensitive: carol enters "CaseRoom" and is in "caseroom"
        pres = joined_as(carol, 'CaseRoom@%s/carol' % DOMAIN.upper(), room('caseroom') + '/carol')
        assert pres.get('type') != 'error', show([pres])
        presence_from(alice, room('caseroom') + '/carol')
        leave(carol, 'caseroom', 'carol')
        # a fullwidth nick is the same nick as its ASCII form (resourceprep, NFKC)
        m = carol.mark()
        carol.send("<presence to='%s/\uff21\uff4c\uff49\uff43\uff45'><x xmlns='%s'/></presence>"
                   % (room('caseroom'), NS['muc']))
        pres = error_presence(carol, m, 'conflict for a nick that normalises to Alice')
        assert err(pres) == 'conflict', show([pres])
    finally:
        logout(alice, carol)


def test_addr_2_escaped_room_name_in_and_out():
    setup()
    alice, bob = login('alice'), login('bob')
    name = 'inner\\20chamber'
    occ = '%s@%s/Alice' % (name, DOMAIN)
    try:
        create(alice, name, 'Alice', {'muc#roomconfig_publicroom': '1'})
        pres = join(bob, name, 'Bob')
        assert pres.get('type') != 'error', show([pres])
        m = bob.mark()
        groupchat(alice, name, 'hello from the chamber', id_='esc1')
        msg = message_from(bob, occ, m)
        assert M.text(msg, 'body') == 'hello from the chamber', show([msg])
        res = bob.iq(DOMAIN, 'get', "<query xmlns='%s'/>" % NS['items'])
        jids = {i.get('jid') for i in res.iter(q('items:item'))}
        assert room(name) in jids, jids
        res = bob.iq(room(name), 'get', "<query xmlns='%s'/>" % NS['info'])
        assert res.find(q('info:query')).find(q('info:identity')) is not None
    finally:
        logout(alice, bob)


def test_addr_3_presence_to_bare_room_jid_is_jid_malformed():
    setup()
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, 'bareroom', 'Alice')
        m = bob.mark()
        bob.send("<presence to='%s'><x xmlns='%s'/></presence>" % (room('bareroom'), NS['muc']))
        pres = error_presence(bob, m, 'jid-malformed for a presence to the bare room')
        assert err(pres) == 'jid-malformed' and pres.get('from') == room('bareroom'), show([pres])
        assert not [st for st in alice.received if st.get('from', '').endswith('/bob')]
    finally:
        logout(alice, bob)


# ---- entering ---------------------------------------------------------------

def test_enter_4_non_anonymous_room_status_100_and_real_jids():
    setup()
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, 'openfaces', 'Alice', {'muc#roomconfig_whois': 'anyone'})
        m = bob.mark()
        pres = join(bob, 'openfaces', 'Bob')
        assert 100 in codes(pres), show([pres])
        others = presence_from(bob, room('openfaces') + '/Alice', m)
        assert item(others).get('jid') == alice.full, show([others])
        seen = presence_from(alice, room('openfaces') + '/Bob')
        assert item(seen).get('jid') == bob.full, show([seen])
    finally:
        logout(alice, bob)


def test_enter_8_banned_user_gets_forbidden():
    setup()
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, 'noentry', 'Alice')
        admin_set(alice, 'noentry', "<item affiliation='outcast' jid='bob@localhost'/>")
        pres = join(bob, 'noentry', 'Bob')
        assert pres.get('type') == 'error' and err(pres) == 'forbidden', show([pres])
    finally:
        logout(alice, bob)


def test_enter_12_owner_8_creation_policy_list():
    setup()
    dave, bob = login('dave'), login('bob')
    try:
        # dave is not on the list: a nonexistent room is not created for him
        pres = join(dave, 'davesroom', 'Dave')
        assert pres.get('type') == 'error' and err(pres) == 'not-allowed', show([pres])
        # bob is: he creates it (201)
        pres = join(bob, 'davesroom', 'Bob')
        assert 201 in codes(pres), show([pres])
        submit_config(bob, 'davesroom', {})
        # and once it exists, dave may enter it
        pres = join(dave, 'davesroom', 'Dave')
        assert pres.get('type') != 'error' and 201 not in codes(pres), show([pres])
    finally:
        logout(dave, bob)


# ---- exit, status -------------------------------------------------------------

def test_exit_3_error_bounce_from_real_jid_removes_the_occupant_once():
    setup()
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, 'bounces', 'Alice')
        join(bob, 'bounces', 'Bob')
        m = alice.mark()
        # bob's client answers the room with an error, as a client that
        # cannot take the room's stanzas does
        bob.send("<message type='error' to='%s'><error type='cancel'><service-unavailable "
                 "xmlns='%s'/></error></message>" % (room('bounces'), NS['stanzas']))
        gone = presence_from(alice, room('bounces') + '/Bob', m,
                             lambda st: st.get('type') == 'unavailable')
        assert 333 in codes(gone), show([gone])
        bob.send("<presence type='error' to='%s/Alice'><error type='cancel'><gone xmlns='%s'/>"
                 "</error></presence>" % (room('bounces'), NS['stanzas']))
        U.sleep(0.5)
        again = [st for st in alice.since(m) if st.get('from') == room('bounces') + '/Bob']
        assert len(again) == 1, 'removed once only:\n' + show(again)
    finally:
        logout(alice, bob)


def test_status_2_presence_broadcast_only_for_listed_roles():
    setup()
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, 'quietjoins', 'Alice', {'muc#roomconfig_presencebroadcast': ['moderator'],
                                              'muc#roomconfig_moderatedroom': '1'})
        m = alice.mark()
        pres = join(bob, 'quietjoins', 'Bob')       # a visitor: not broadcast
        assert item(pres).get('role') == 'visitor', show([pres])
        presence_from(bob, room('quietjoins') + '/Alice')   # moderators are
        U.sleep(0.5)
        assert not [st for st in alice.since(m) if st.get('from') == room('quietjoins') + '/Bob'], \
            show(alice.since(m))
        # given voice (participant is not listed either): still unseen; made moderator: seen
        admin_set(alice, 'quietjoins', "<item nick='Bob' role='moderator'/>")
        seen = presence_from(alice, room('quietjoins') + '/Bob', m)
        assert item(seen).get('role') == 'moderator', show([seen])
    finally:
        logout(alice, bob)


# ---- messages, moderation -------------------------------------------------------

def test_msg_7_flood_control_resource_constraint():
    setup()
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, 'chatty', 'Alice')
        join(bob, 'chatty', 'Bob')
        m = bob.mark()
        for i in range(7):
            groupchat(bob, 'chatty', 'msg %d' % i, id_='fl%d' % i)
        occ = room('chatty') + '/Bob'

        def answers():
            got = bob.since(m)
            return ([st for st in got if st.get('type') == 'error' and st.get('from') == room('chatty')],
                    [st for st in got if st.get('from') == occ and st.get('type') == 'groupchat'])
        bob.wait(lambda st: sum(map(len, answers())) >= 7, start=m,
                 what='an answer to each of 7 messages')
        errors, reflected = answers()
        assert [M.text(st, 'body') for st in reflected] == ['msg %d' % i for i in range(5)], \
            show(reflected)
        assert len(errors) == 2 and all(err(st) == 'resource-constraint' for st in errors), \
            show(errors)
        # alice is not limited by bob's flood
        m = alice.mark()
        groupchat(alice, 'chatty', 'still here', id_='al')
        message_from(bob, room('chatty') + '/Alice', pred=lambda st: M.text(st, 'body') == 'still here')
    finally:
        logout(alice, bob)


def test_mod_4_admin_request_applies_all_items_or_none():
    setup()
    alice, bob, carol = login('alice'), login('bob'), login('carol')
    try:
        create(alice, 'allornone', 'Alice')
        join(bob, 'allornone', 'Bob')
        join(carol, 'allornone', 'Carol')
        # the second item names nobody in the room: nothing applies
        try:
            admin_set(alice, 'allornone', "<item nick='Bob' role='visitor'/>"
                                          "<item nick='Nobody' role='visitor'/>")
            raise AssertionError('an admin request with an absent nick was accepted')
        except XmppError as e:
            assert e.condition == 'item-not-found', e
        res = alice.iq(room('allornone'), 'get',
                       "<query xmlns='%s'><item role='visitor'/></query>" % NS['admin'])
        assert not list(res.iter(q('admin:item'))), show([res])
        # a member grant with a refused item (the owner cannot be banned by an admin): none
        admin_set(alice, 'allornone', "<item affiliation='admin' jid='bob@localhost'/>")
        try:
            admin_set(bob, 'allornone', "<item affiliation='member' jid='carol@localhost'/>"
                                        "<item affiliation='outcast' jid='alice@localhost'/>")
            raise AssertionError('an admin request with a forbidden item was accepted')
        except XmppError as e:
            assert e.condition == 'not-allowed', e
        res = alice.iq(room('allornone'), 'get',
                       "<query xmlns='%s'><item affiliation='member'/></query>" % NS['admin'])
        assert 'carol@localhost' not in {i.get('jid') for i in res.iter(q('admin:item'))}
    finally:
        logout(alice, bob, carol)


# ---- service administrators, ad-hoc commands, tombstones -------------------------

def test_owner_7_service_admin_owns_every_room_and_creates_despite_the_policy():
    setup()
    alice, admin = login('alice'), login('admin')
    try:
        create(alice, 'alicesroom', 'Alice', {'muc#roomconfig_roomname': 'Alice Only'})
        # admin is not on the creation list, yet creates rooms
        pres = join(admin, 'staffroom', 'Admin')
        assert 201 in codes(pres), show([pres])
        submit_config(admin, 'staffroom', {})
        # and configures alice's room without being its owner
        form = get_config(admin, 'alicesroom')
        assert form['muc#roomconfig_roomname'] == ['Alice Only'], form
        submit_config(admin, 'alicesroom', {'muc#roomconfig_roomname': 'Renamed by staff'})
        assert get_config(alice, 'alicesroom')['muc#roomconfig_roomname'] == ['Renamed by staff']
        # alice is no owner of the staff room
        try:
            get_config(alice, 'staffroom')
            raise AssertionError('a non-owner got the configuration form')
        except XmppError as e:
            assert e.condition == 'forbidden', e
    finally:
        logout(alice, admin)


def test_adhoc_1_service_admin_lists_rooms_announces_and_destroys():
    setup()
    alice, bob, admin = login('alice'), login('bob'), login('admin')
    try:
        create(alice, 'adhocroom', 'Alice')
        join(bob, 'adhocroom', 'Bob')
        # others are refused
        try:
            command(alice, ADMIN_CMD + 'list-rooms')
            raise AssertionError('a non-admin ran list-rooms')
        except XmppError as e:
            assert e.condition == 'forbidden', e
        c = command(admin, ADMIN_CMD + 'list-rooms')
        assert c.get('status') == 'completed', show([c])
        listed = {v.text for v in c.iter(q('data:value'))}
        assert room('adhocroom') in listed, listed
        m = bob.mark()
        c = command(admin, ADMIN_CMD + 'announce', fields={'body': 'maintenance at noon'})
        assert c.get('status') == 'completed', show([c])
        msg = message_from(bob, room('adhocroom'), m, lambda st: st.get('type') == 'groupchat')
        assert M.text(msg, 'body') == 'maintenance at noon', show([msg])
        c = command(admin, ADMIN_CMD + 'destroy-room')
        assert c.get('status') == 'executing', show([c])
        c = command(admin, ADMIN_CMD + 'destroy-room', sid=c.get('sessionid'),
                    fields={'room': room('adhocroom'), 'reason': 'cleanup'})
        assert c.get('status') == 'completed', show([c])
        gone = presence_from(bob, room('adhocroom') + '/Bob', m,
                             lambda st: st.get('type') == 'unavailable')
        destroy = gone.find(q('user:x')).find(q('user:destroy'))
        assert destroy is not None and destroy.findtext(q('user:reason')) == 'cleanup', show([gone])
    finally:
        logout(alice, bob, admin)


def test_tomb_1_destroyed_persistent_room_answers_gone_with_the_venue():
    setup()
    alice, bob = login('alice'), login('bob')
    try:
        create(alice, 'oldplace', 'Alice', {'muc#roomconfig_persistentroom': '1'})
        alice.iq(room('oldplace'), 'set',
                 "<query xmlns='%s'><destroy jid='%s'><reason>moved</reason></destroy></query>"
                 % (NS['owner'], room('newplace')))
        pres = join(bob, 'oldplace', 'Bob')
        assert pres.get('type') == 'error' and err(pres) == 'gone', show([pres])
        gone = pres.find('{jabber:client}error').find('{%s}gone' % NS['stanzas'])
        assert gone is not None and gone.text == 'xmpp:%s?join' % room('newplace'), show([pres])
    finally:
        logout(alice, bob)


def test_palaver_stops_cleanly_after_the_suite():
    SUITE.check_clean_stop()


if __name__ == '__main__':
    SUITE.main(globals())
