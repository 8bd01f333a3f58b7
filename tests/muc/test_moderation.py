"""muc-core: moderator use cases (XEP-0045 §8): MOD-1 to MOD-4, and the
moderated-room behaviour that depends on roles (MSG-2 visitors, VOICE-1
approval, STATUS-2)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mucutil import (MUC, NS, occ, room_jid, to, is_presence, is_message, item, codes,  # noqa: E402
                     describe, assert_error, tostring, cond, admin_set, admin_get, iq_answers,
                     actor_reason)
from taptest import run  # noqa: E402

A, B, C, D = 'alice@localhost/pc', 'bob@localhost/phone', 'carol@example.net/x', 'dave@localhost/d'
ADMIN_NS = NS['muc_admin']


def room4(m, config=None):
    m.create(A, 'r', 'alice', config)
    m.join(B, 'r', 'bob')
    m.join(C, 'r', 'carol')
    m.join(D, 'r', 'dave')


def make_moderator(m, nick):
    got = admin_set(m, A, "<item nick='%s' role='moderator'/>" % nick, id_='mk')
    assert iq_answers(got, 'mk')[0].get('type') == 'result', describe(got)


def test_mod_1_kick_307_actor_reason_kicked_first():
    with MUC() as m:
        room4(m)
        make_moderator(m, 'bob')
        got = admin_set(m, B, "<item nick='carol' role='none'><reason>spam</reason></item>")
        # the kicked one first, then the result, then each remaining occupant once
        assert got[0].get('to') == C and got[0].get('type') == 'unavailable', describe(got)
        assert codes(got[0]) == {307, 110}, describe(got)
        assert actor_reason(got[0]) == ('bob', 'spam')
        assert item(got[0]).get('role') == 'none'
        assert got[1].get('id') == 'adm' and got[1].get('type') == 'result' and got[1].get('to') == B
        rest = got[2:]
        assert sorted(s.get('to') for s in rest) == sorted([A, B, D]), describe(got)
        for s in rest:
            assert s.get('from') == occ('r', 'carol') and s.get('type') == 'unavailable'
            assert codes(s) == {307}, describe(got)
            assert actor_reason(s) == ('bob', 'spam')
        # carol is gone: she may come back (a kick is not a ban)
        got = m.join(C, 'r', 'carol')
        assert [s for s in to(got, C) if is_presence(s) and 110 in codes(s)], describe(got)


def test_mod_1_kick_multi_session_occupant_removes_all_sessions():
    with MUC() as m:
        room4(m)
        m.join('carol@example.net/y', 'r', 'carol')
        got = admin_set(m, A, "<item nick='carol' role='none'/>")
        selfs = [s for s in got if 110 in codes(s)]
        assert sorted(s.get('to') for s in selfs) == ['carol@example.net/x', 'carol@example.net/y']
        others = [s for s in got if s.get('from') == occ('r', 'carol') and 110 not in codes(s)]
        assert sorted(s.get('to') for s in others) == sorted([A, B, D]), describe(got)
        res = m.groupchat('carol@example.net/y', 'r', 'still here?')
        assert_error(res, 'carol@example.net/y', 'modify', 'not-acceptable')


def test_mod_1_moderator_cannot_kick_admin_or_owner():
    with MUC() as m:
        room4(m)
        admin_set(m, A, "<item jid='dave@localhost' affiliation='admin'/>", id_='a1')
        make_moderator(m, 'bob')
        for nick in ('dave', 'alice'):
            got = admin_set(m, B, "<item nick='%s' role='none'/>" % nick)
            assert_error(got, B, 'cancel', 'not-allowed')


def test_mod_1_participant_cannot_kick_forbidden():
    with MUC() as m:
        room4(m)
        got = admin_set(m, B, "<item nick='carol' role='none'/>")
        assert_error(got, B, 'auth', 'forbidden')


def test_mod_1_kick_unknown_nick_item_not_found():
    with MUC() as m:
        room4(m)
        got = admin_set(m, A, "<item nick='zed' role='none'/>")
        assert_error(got, A, 'cancel', 'item-not-found')


def test_mod_2_revoke_and_grant_voice_broadcast_once():
    with MUC() as m:
        room4(m)
        make_moderator(m, 'bob')
        got = admin_set(m, B, "<item nick='carol' role='visitor'><reason>calm down</reason></item>")
        assert iq_answers(got)[0].get('type') == 'result', describe(got)
        pres = [s for s in got if is_presence(s)]
        assert sorted(s.get('to') for s in pres) == sorted([A, B, C, D]), describe(got)
        for s in pres:
            assert s.get('from') == occ('r', 'carol') and s.get('type') is None
            assert item(s).get('role') == 'visitor'
            assert actor_reason(s) == ('bob', 'calm down')
            assert codes(s) == ({110} if s.get('to') == C else set()), describe(got)
        # a visitor may not speak even in an unmoderated room
        assert_error(m.groupchat(C, 'r', 'hi'), C, 'auth', 'forbidden')
        got = admin_set(m, B, "<item nick='carol' role='participant'/>")
        pres = [s for s in got if is_presence(s)]
        assert len(pres) == 4 and all(item(s).get('role') == 'participant' for s in pres)
        assert len(m.groupchat(C, 'r', 'hi')) == 4


def test_mod_2_moderator_cannot_revoke_voice_of_admin():
    with MUC() as m:
        room4(m)
        admin_set(m, A, "<item jid='dave@localhost' affiliation='admin'/>", id_='a1')
        make_moderator(m, 'bob')
        assert_error(admin_set(m, B, "<item nick='dave' role='visitor'/>"), B, 'cancel', 'not-allowed')


def test_mod_3_voice_list_get_and_modify_several():
    with MUC() as m:
        room4(m, {'moderatedroom': 1})
        # in a moderated room, users without affiliation are visitors
        res = admin_get(m, A, "role='visitor'")
        got = {i.get('nick') for i in res.iter('{%s}item' % ADMIN_NS)}
        assert got == {'bob', 'carol', 'dave'}, tostring(res)
        got = admin_set(m, A, "<item nick='bob' role='participant'/><item nick='carol' role='participant'/>")
        assert len(iq_answers(got)) == 1 and iq_answers(got)[0].get('type') == 'result'
        res = admin_get(m, A, "role='participant'")
        got = {i.get('nick') for i in res.iter('{%s}item' % ADMIN_NS)}
        assert got == {'bob', 'carol'}, tostring(res)
        for i in res.iter('{%s}item' % ADMIN_NS):
            assert i.get('role') == 'participant' and i.get('affiliation') == 'none'
        assert {i.get('jid') for i in res.iter('{%s}item' % ADMIN_NS)} == {B, C}, 'full JIDs, as in §8.5'
        # a participant may not read the voice list
        res = admin_get(m, B, "role='participant'")
        assert cond(res) == ('auth', 'forbidden'), tostring(res)


def test_mod_4_all_or_nothing_one_error():
    with MUC() as m:
        room4(m, {'moderatedroom': 1})
        # the second item names an absent occupant: nothing applies, one error
        got = admin_set(m, A, "<item nick='bob' role='participant'/><item nick='zed' role='participant'/>"
                              "<item nick='carol' role='none'/>")
        assert_error(got, A, 'cancel', 'item-not-found')
        res = admin_get(m, A, "role='visitor'")
        assert {i.get('nick') for i in res.iter('{%s}item' % ADMIN_NS)} == {'bob', 'carol', 'dave'}
        # a refused item among allowed ones: the same
        make_moderator(m, 'bob')
        m.collect()
        admin_set(m, A, "<item jid='dave@localhost' affiliation='admin'/>", id_='a1')
        got = admin_set(m, B, "<item nick='carol' role='participant'/><item nick='dave' role='none'/>")
        assert_error(got, B, 'cancel', 'not-allowed')
        res = admin_get(m, A, "role='visitor'")
        assert {i.get('nick') for i in res.iter('{%s}item' % ADMIN_NS)} == {'carol'}


def test_mod_4_every_item_of_a_mixed_request_applies():
    with MUC() as m:
        room4(m)
        got = admin_set(m, A, "<item nick='bob' role='visitor'/><item jid='carol@example.net' affiliation='member'/>"
                              "<item nick='dave' role='none'/>")
        assert len(iq_answers(got)) == 1 and iq_answers(got)[0].get('type') == 'result', describe(got)
        bob = [s for s in got if s.get('from') == occ('r', 'bob')]
        carol = [s for s in got if s.get('from') == occ('r', 'carol')]
        dave = [s for s in got if s.get('from') == occ('r', 'dave')]
        # dave, kicked, hears of his own removal first and of nothing after it
        assert got[0].get('to') == D and codes(got[0]) == {307, 110}, describe(got)
        assert got[1].get('type') == 'result', describe(got)
        assert sorted(s.get('to') for s in bob) == sorted([A, B, C]), describe(got)
        assert all(item(s).get('role') == 'visitor' for s in bob)
        assert sorted(s.get('to') for s in carol) == sorted([A, B, C]), describe(got)
        assert all(item(s).get('affiliation') == 'member' for s in carol)
        assert sorted(s.get('to') for s in dave) == sorted([A, B, C, D])
        assert all(307 in codes(s) for s in dave)


def test_mod_4_item_with_role_and_affiliation_bad_request():
    with MUC() as m:
        room4(m)
        got = admin_set(m, A, "<item nick='bob' role='visitor' affiliation='member'/>")
        assert_error(got, A, 'modify', 'bad-request')


def test_msg_2_visitor_forbidden_until_voice_granted():
    with MUC() as m:
        room4(m, {'moderatedroom': 1})
        assert_error(m.groupchat(B, 'r', 'hi'), B, 'auth', 'forbidden')
        admin_set(m, A, "<item nick='bob' role='participant'/>")
        got = m.groupchat(B, 'r', 'hi')
        assert sorted(s.get('to') for s in got) == sorted([A, B, C, D]), describe(got)


def test_voice_1_approval_from_non_moderator_does_nothing():
    with MUC() as m:
        room4(m, {'moderatedroom': 1})
        form = ("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>%s</value></field>"
                "<field var='muc#role'><value>participant</value></field>"
                "<field var='muc#roomnick'><value>bob</value></field>"
                "<field var='muc#request_allow'><value>true</value></field></x>" % NS['muc_request'])
        m.send("<message from='%s' to='%s'>%s</message>" % (C, room_jid('r'), form))
        m.collect()
        res = admin_get(m, A, "role='visitor'")
        assert 'bob' in {i.get('nick') for i in res.iter('{%s}item' % ADMIN_NS)}
        m.send("<message from='%s' to='%s'>%s</message>" % (A, room_jid('r'), form))
        got = m.collect()
        pres = [s for s in got if is_presence(s)]
        assert len(pres) == 4 and all(item(s).get('role') == 'participant' for s in pres), describe(got)


def test_status_2_voice_makes_presence_broadcast():
    with MUC() as m:
        m.create(A, 'r', 'alice', {'presencebroadcast': ['moderator', 'participant'],
                                   'moderatedroom': 1})
        got = m.join(B, 'r', 'bob')
        assert not to(got, A), describe(got)
        got = admin_set(m, A, "<item nick='bob' role='participant'/>")
        assert [s.get('to') for s in got if is_presence(s)].count(A) == 1, describe(got)
        got = admin_set(m, A, "<item nick='bob' role='visitor'/>")
        # back to visitor: only bob hears of it
        assert [s.get('to') for s in got if is_presence(s)] == [B], describe(got)


run(globals())
