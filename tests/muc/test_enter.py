"""muc-core: addressing and entering a room (XEP-0045 §4, §7.2): ADDR-*, ENTER-*."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, DOMAIN, occ, room_jid, to, kind, is_presence, is_message,  # noqa: E402
                     item, codes, subject_of, describe, assert_error, occupant_id, tostring,
                     cond)
from taptest import run  # noqa: E402

A, B, C = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@example.net/x'


# ---- addressing ----

def test_addr_1_room_names_case_insensitive():
    with MUC() as m:
        m.create(A, 'Lobby', 'alice')
        got = m.join(B, 'LOBBY', 'bob')
        mine = to(got, B)
        # bob sees alice, then himself; the room is the same one (alice hears of bob)
        assert [s.get('from') for s in mine if is_presence(s)] == [occ('lobby', 'alice'),
                                                                  occ('lobby', 'bob')], describe(mine)
        assert len([s for s in to(got, A) if is_presence(s)]) == 1, describe(got)


def test_addr_1_nicks_resourceprepped_and_conflict_case_insensitive():
    with MUC() as m:
        m.create(A, 'r', 'Alice')
        got = m.join(B, 'r', 'ALICE')
        assert_error(got, B, 'cancel', 'conflict', frm=occ('r', 'ALICE'))


def test_addr_1_nick_conflict_folds_unicode_case():
    with MUC() as m:
        m.create(A, 'r', '\u00c4rger')
        got = m.join(B, 'r', '\u00e4rger')
        assert_error(got, B, 'cancel', 'conflict')
        got = m.join(C, 'r', '\uff21lice')      # fullwidth A: no conflict with an absent alice
        assert 110 in codes([s for s in to(got, C) if is_presence(s)][-1]), describe(got)
        got = m.join('dave@localhost/d', 'r', 'alice')
        assert_error(got, 'dave@localhost/d', 'cancel', 'conflict')


def test_addr_1_invalid_room_jid_malformed():
    with MUC() as m:
        m.send("<presence from='%s' to='a@b@%s/nick'><x xmlns='%s'/></presence>" % (A, DOMAIN, NS['muc']))
        got = m.collect()
        assert len(got) == 1 and cond(got[0]) == ('modify', 'jid-malformed'), describe(got)


def test_addr_2_escaped_room_name():
    with MUC() as m:
        got = m.create(A, 'inner\\20chamber', 'alice')
        self_p = [s for s in got if is_presence(s)]
        assert self_p[0].get('from') == 'inner\\20chamber@%s/alice' % DOMAIN, describe(got)
        got = m.groupchat(A, 'inner\\20chamber', 'hello')
        assert got[0].get('from') == 'inner\\20chamber@%s/alice' % DOMAIN, describe(got)
        info = m.iq(B, 'inner\\20chamber@' + DOMAIN, 'get', "<query xmlns='%s'/>" % NS['disco_info'])
        assert info.get('type') == 'result', tostring(info)


def test_addr_3_presence_to_bare_room_is_jid_malformed():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.presence(B, room_jid('r'), body="<x xmlns='%s'/>" % NS['muc'])
        got = m.collect()
        assert_error(got, B, 'modify', 'jid-malformed', frm=room_jid('r'))


# ---- entering ----

def test_enter_1_join_order():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.groupchat(A, 'r', 'x')
        m.send("<message type='groupchat' from='%s' to='%s'><subject>Topic</subject></message>" % (A, room_jid('r')))
        m.collect()
        m.join(B, 'r', 'bob')
        got = m.join(C, 'r', 'carol')
        mine = to(got, C)
        # alice's presence, bob's presence, own presence with 110, then the subject: each once
        assert len(mine) == 4, describe(mine)
        assert [s.get('from') for s in mine[:3]] == [occ('r', 'alice'), occ('r', 'bob'), occ('r', 'carol')], describe(mine)
        assert all(is_presence(s) and s.get('type') is None for s in mine[:3]), describe(mine)
        assert codes(mine[0]) == set() and codes(mine[1]) == set(), describe(mine)
        assert 110 in codes(mine[2]) and 201 not in codes(mine[2]), describe(mine)
        assert is_message(mine[3]) and subject_of(mine[3]) == 'Topic', describe(mine)
        assert mine[3].get('type') == 'groupchat'
        assert mine[3].find('{%s}body' % NS['component']) is None


def test_enter_1_empty_subject_when_none():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        got = to(m.join(B, 'r', 'bob'), B)
        assert is_message(got[-1]) and subject_of(got[-1]) == '', describe(got)
        assert got[-1].get('from') == room_jid('r')


def test_enter_1_created_room_gets_201():
    with MUC() as m:
        got = m.join(A, 'new', 'alice')
        p = [s for s in got if is_presence(s)]
        assert len(p) == 1 and {110, 201} <= codes(p[0]), describe(got)
        it = item(p[0])
        assert it.get('affiliation') == 'owner' and it.get('role') == 'moderator', describe(got)


def test_enter_2_others_receive_joiner_once_without_jid():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        got = m.join(C, 'r', 'carol')
        to_a, to_b = to(got, A), to(got, B)
        assert len(to_a) == 1 and len(to_b) == 1, describe(got)
        assert to_a[0].get('from') == occ('r', 'carol')
        # semi-anonymous by default: the moderator (owner alice) sees the jid, bob does not
        assert item(to_a[0]).get('jid') == C, describe(to_a)
        assert item(to_b[0]).get('jid') is None, describe(to_b)
        assert codes(to_b[0]) == set(), describe(to_b)
        assert len(got) == 4 + 1 + 1, describe(got)   # carol: 3 presences + subject; alice; bob


def test_enter_3_groupchat10_join_creates_instant_room():
    with MUC() as m:
        got = m.join(A, 'old', 'alice', muc=False)
        p = [s for s in got if is_presence(s)]
        assert len(p) == 1 and 201 not in codes(p[0]) and 110 in codes(p[0]), describe(got)
        assert item(p[0]).get('affiliation') == 'owner'
        # not locked: someone else can enter right away
        got = to(m.join(B, 'old', 'bob', muc=False), B)
        assert [s.get('from') for s in got if is_presence(s)] == [occ('old', 'alice'), occ('old', 'bob')], describe(got)


def test_enter_4_nonanonymous_room():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'whois': 'anyone'})
        m.join(B, 'r', 'bob')
        got = m.join(C, 'r', 'carol')
        mine = to(got, C)
        assert item(mine[0]).get('jid') == A and item(mine[1]).get('jid') == B, describe(mine)
        assert {110, 100} <= codes(mine[2]), describe(mine)
        assert item(to(got, B)[0]).get('jid') == C, describe(got)


def test_enter_5_semianonymous_jids_only_to_moderators():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'whois': 'moderators'})
        got = m.join(B, 'r', 'bob')
        mine = to(got, B)
        assert item(mine[0]).get('jid') is None, describe(mine)     # alice, seen by bob
        assert 100 not in codes(mine[1])
        assert item(mine[1]).get('jid') == B                        # own presence has own jid
        assert item(to(got, A)[0]).get('jid') == B                  # the moderator sees it


def test_enter_6_password_missing_or_wrong():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'passwordprotectedroom': 1, 'roomsecret': 'sesame'})
        got = m.join(B, 'r', 'bob')
        assert_error(got, B, 'auth', 'not-authorized', frm=occ('r', 'bob'))
        got = m.join(B, 'r', 'bob', password='Wr0ng-s3cret')
        e = assert_error(got, B, 'auth', 'not-authorized', frm=occ('r', 'bob'))
        # The error carries none of the join's payload: the password never travels back.
        assert e.find('{%s}x' % NS['muc']) is None, 'payload echoed: ' + tostring(e)
        assert 'Wr0ng-s3cret' not in tostring(e), 'password echoed: ' + tostring(e)
        got = m.join(B, 'r', 'bob', password='sesame')
        assert 110 in codes([s for s in to(got, B) if is_presence(s)][-1]), describe(got)


def test_enter_7_members_only_registration_required():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'membersonly': 1})
        got = m.join(B, 'r', 'bob')
        assert_error(got, B, 'auth', 'registration-required', frm=occ('r', 'bob'))


def test_enter_9_nick_in_use_conflict():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        got = m.join(B, 'r', 'alice')
        assert_error(got, B, 'cancel', 'conflict', frm=occ('r', 'alice'))


def test_enter_9_reserved_nick_conflict():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        res = m.iq(C, room_jid('r'), 'set', reg_form('carolyn'))
        assert res.get('type') == 'result', tostring(res)
        got = m.join(B, 'r', 'carolyn')
        assert_error(got, B, 'cancel', 'conflict', frm=occ('r', 'carolyn'))


def reg_form(nick):
    return ("<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>"
            "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>"
            "<field var='muc#register_roomnick'><value>%s</value></field></x></query>" % nick)


def test_enter_10_room_full():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'maxusers': 2})
        m.join(B, 'r', 'bob')
        got = m.join(C, 'r', 'carol')
        assert_error(got, C, 'wait', 'service-unavailable', frm=occ('r', 'carol'))
        # the owner's second nick still gets in (owners and admins are exempt)
        got = m.join('alice@localhost/tablet', 'r', 'alice2')
        p = [s for s in to(got, 'alice@localhost/tablet') if is_presence(s)]
        assert len(p) == 3 and 110 in codes(p[-1]), describe(got)


def test_enter_11_locked_room_item_not_found():
    with MUC() as m:
        m.join(A, 'r', 'alice')
        got = m.join(B, 'r', 'bob')
        assert_error(got, B, 'cancel', 'item-not-found', frm=occ('r', 'bob'))
        # nothing leaked to the owner
        assert not to(got, A)


def test_enter_12_creation_not_allowed():
    with MUC(muc_config='<create>admins</create>') as m:
        got = m.join(A, 'r', 'alice')
        assert_error(got, A, 'cancel', 'not-allowed', frm=occ('r', 'alice'))
        info = m.iq(A, room_jid('r'), 'get', "<query xmlns='%s'/>" % NS['disco_info'])
        assert cond(info) == ('cancel', 'item-not-found'), tostring(info)


def test_enter_13_history_slot_between_presence_and_subject():
    # without the history plugin nothing fills the slot: own presence, then subject
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.groupchat(A, 'r', 'earlier')
        got = to(m.join(B, 'r', 'bob', history="<history maxstanzas='5'/>"), B)
        assert [kind(s) for s in got] == ['presence', 'presence', 'message'], describe(got)
        assert subject_of(got[-1]) == '', describe(got)


def test_enter_14_multi_session_same_nick():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        got = m.join('alice@localhost/phone', 'r', 'alice')
        mine = to(got, 'alice@localhost/phone')
        assert [s.get('from') for s in mine if is_presence(s)] == [occ('r', 'bob'), occ('r', 'alice')], describe(got)
        assert 110 in codes([s for s in mine if is_presence(s)][-1])
        assert not to(got, B), 'bob must not hear of a second session: ' + describe(got)
        # both sessions get messages
        got = m.groupchat(B, 'r', 'hi all')
        assert {s.get('to') for s in got} == {A, 'alice@localhost/phone', B}, describe(got)
        # leaving from one session keeps the occupant
        got = m.leave(A, 'r', 'alice')
        assert [s.get('to') for s in got] == [A], describe(got)
        assert 110 in codes(got[0])
        got = m.groupchat(B, 'r', 'still there?')
        assert {s.get('to') for s in got} == {'alice@localhost/phone', B}, describe(got)


def test_enter_14_other_user_same_nick_conflict():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        got = m.join('mallory@evil.example/x', 'r', 'alice')
        assert_error(got, 'mallory@evil.example/x', 'cancel', 'conflict', frm=occ('r', 'alice'))


def test_enter_15_status_change_is_not_a_rejoin():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        m.presence(B, occ('r', 'bob'), body='<show>away</show>')
        got = m.collect()
        assert sorted(s.get('to') for s in got) == sorted([A, B]), describe(got)
        assert all(is_presence(s) and s.find('{%s}show' % NS['component']).text == 'away' for s in got)
        assert not [s for s in got if is_message(s)], 'no subject on a status change'


def test_enter_15_repeated_join_does_not_flood_room():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        got = m.join(B, 'r', 'bob')
        assert not to(got, A), 'the room must not hear a repeated join: ' + describe(got)
        mine = to(got, B)
        assert [kind(s) for s in mine] == ['presence', 'presence', 'message'], describe(mine)


def test_enter_15_repeated_join_with_new_status_is_a_status_change():
    with MUC() as m:
        m.create(A, 'r', 'alice')
        m.join(B, 'r', 'bob')
        got = m.join(B, 'r', 'bob', extra='<show>dnd</show><status>busy</status>')
        others = to(got, A)
        assert len(others) == 1 and is_presence(others[0]), describe(got)
        p = others[0]
        assert p.get('from') == occ('r', 'bob') and p.get('type') is None, describe(got)
        assert p.find('{%s}show' % NS['component']).text == 'dnd', describe(got)
        assert p.find('{%s}status' % NS['component']).text == 'busy', describe(got)
        # bob gets the room's state again, his own presence with the new show
        mine = to(got, B)
        own = [s for s in mine if is_presence(s) and s.get('from') == occ('r', 'bob')]
        assert own and all(s.find('{%s}show' % NS['component']).text == 'dnd' for s in own), \
            describe(mine)
        # the same presence again changes nothing: the room hears nothing
        got = m.join(B, 'r', 'bob', extra='<show>dnd</show><status>busy</status>')
        assert not to(got, A), describe(got)


def test_id_1_occupant_id_on_presence_and_message():
    with MUC() as m:
        got = m.create(A, 'r', 'alice')
        pid = occupant_id([s for s in got if is_presence(s)][0])
        assert pid and len(pid) >= 16, describe(got)
        msg = m.groupchat(A, 'r', 'hi', extra="<occupant-id xmlns='urn:xmpp:occupant-id:0' id='forged'/>")
        assert [occupant_id(s) for s in msg] == [pid], describe(msg)
        got = m.create(A, 'other', 'alice')
        pid2 = occupant_id([s for s in got if is_presence(s)][0])
        assert pid2 and pid2 != pid, 'ids differ between rooms'
        m.join(B, 'r', 'bob')
        m.leave(A, 'r', 'alice')
        got = m.join(A, 'r', 'alice-again')
        me = [s for s in to(got, A) if is_presence(s) and s.get('from') == occ('r', 'alice-again')]
        assert occupant_id(me[0]) == pid, 'stable for the same user in the same room'


run(globals())
